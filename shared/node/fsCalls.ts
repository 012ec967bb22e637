// The file-system calls of the write paths, as promises over Node's callback API: the same
// system calls as node:fs/promises with about half the work on the main thread (no FileHandle
// objects), which counts when a download makes ten of them per small file. Each looks up its
// fs function when called, so tests can count the calls an operation makes.

import fs from 'node:fs';

type Callback<T> = (error: NodeJS.ErrnoException | null, value: T) => void;

function promised<T>(start: (callback: Callback<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    start((error, value) => (error === null ? resolve(value) : reject(error)));
  });
}

export const fsCalls = {
  open: (file: string, flags: string | number, mode?: number) => promised<number>((done) => fs.open(file, flags, mode, done)),
  write: (fd: number, bytes: Uint8Array, offset: number, length: number) => promised<number>((done) => fs.write(fd, bytes, offset, length, null, done)),
  futimes: (fd: number, atime: Date, mtime: Date) => promised<void>((done) => fs.futimes(fd, atime, mtime, (error) => done(error, undefined))),
  fchmod: (fd: number, mode: number) => promised<void>((done) => fs.fchmod(fd, mode, (error) => done(error, undefined))),
  fsync: (fd: number) => promised<void>((done) => fs.fsync(fd, (error) => done(error, undefined))),
  fstat: (fd: number) => promised<fs.Stats>((done) => fs.fstat(fd, done)),
  close: (fd: number) => promised<void>((done) => fs.close(fd, (error) => done(error, undefined))),
  link: (from: string, to: string) => promised<void>((done) => fs.link(from, to, (error) => done(error, undefined))),
  unlink: (file: string) => promised<void>((done) => fs.unlink(file, (error) => done(error, undefined))),
  rename: (from: string, to: string) => promised<void>((done) => fs.rename(from, to, (error) => done(error, undefined))),
  chmod: (file: string, mode: number) => promised<void>((done) => fs.chmod(file, mode, (error) => done(error, undefined))),
  lstat: (file: string) => promised<fs.Stats>((done) => fs.lstat(file, done)),
  mkdir: (folder: string, mode: number) => promised<void>((done) => fs.mkdir(folder, mode, (error) => done(error, undefined))),
};

/**
 * The same calls made synchronously on this thread (each looked up when called, like fsCalls).
 * A small file's create, write, futimes, fstat, close, link and unlink are each a few
 * microseconds of system call, where a thread-pool round trip costs the main thread more than
 * that and waits for a pool thread; but on ext4 such a call waits for a journal commit in
 * flight, so they are only for stretches where the process does not commit the journal file
 * after file (see writeFilesAtomic's bulk mode).
 */
export const fsCallsOnThisThread = {
  open: (file: string, flags: string | number, mode?: number): number => fs.openSync(file, flags, mode),
  write: (fd: number, bytes: Uint8Array, offset: number, length: number): number => fs.writeSync(fd, bytes, offset, length, null),
  futimes: (fd: number, atime: Date, mtime: Date): void => fs.futimesSync(fd, atime, mtime),
  fchmod: (fd: number, mode: number): void => fs.fchmodSync(fd, mode),
  fstat: (fd: number): fs.Stats => fs.fstatSync(fd),
  close: (fd: number): void => fs.closeSync(fd),
  link: (from: string, to: string): void => fs.linkSync(from, to),
  unlink: (file: string): void => fs.unlinkSync(file),
  rename: (from: string, to: string): void => fs.renameSync(from, to),
  chmod: (file: string, mode: number): void => fs.chmodSync(file, mode),
  lstat: (file: string): fs.Stats => fs.lstatSync(file),
};

/** The calls of a write path, whichever way they are made. */
export type FileCalls = { readonly [K in keyof typeof fsCallsOnThisThread]: (...args: Parameters<(typeof fsCallsOnThisThread)[K]>) => ReturnType<(typeof fsCallsOnThisThread)[K]> | Promise<ReturnType<(typeof fsCallsOnThisThread)[K]>> };
