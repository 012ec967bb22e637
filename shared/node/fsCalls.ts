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
