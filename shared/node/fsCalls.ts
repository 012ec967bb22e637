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
 * The same calls, synchronous, for the write path of a small file: each is a few microseconds
 * of metadata or page-cache work, less than the promise round trip it saves (the fsync, which
 * waits for the disk, stays asynchronous). Each looks up its fs function when called, too.
 */
export const fsCallsSync = {
  open: (file: string, flags: string | number, mode?: number): number => fs.openSync(file, flags, mode),
  write: (fd: number, bytes: Uint8Array, offset: number, length: number): number => fs.writeSync(fd, bytes, offset, length, null),
  futimes: (fd: number, atime: Date, mtime: Date): void => fs.futimesSync(fd, atime, mtime),
  fchmod: (fd: number, mode: number): void => fs.fchmodSync(fd, mode),
  fstat: (fd: number): fs.Stats => fs.fstatSync(fd),
  close: (fd: number): void => fs.closeSync(fd),
  link: (from: string, to: string): void => fs.linkSync(from, to),
  unlink: (file: string): void => fs.unlinkSync(file),
};
