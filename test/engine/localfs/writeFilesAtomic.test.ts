// writeFilesAtomic's durability order for a group of files: in bulk, every temp file is written,
// then one flush of the file system, then each file's own fsync, and only then is any name put
// in place; where the bulk step is missing, refused or fails, each file's fsync still comes
// before its name. And SyncfsFlush, the Linux bulk step (`sync -f`), with its fallbacks.

import fs from 'node:fs';
import { chmod, lstat, readFile, writeFile } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CheckedFolders } from '../../../src-main/engine/localfs/index.js';
import { type BulkFlush, SyncHelper, SyncfsFlush, parseDirtyBytes } from '../../../src-main/engine/localfs/flushFileSystem.js';
import { BULK_FLUSH_MIN_FILES, type FileToWrite, HELD_DESCRIPTORS_MAX, writeFilesAtomic } from '../../../src-main/engine/localfs/writeFilesAtomic.js';
import { parseLibraryPath } from '../../../shared/paths.js';
import { type TempFolder, makeTempFolder } from './tempFolder.js';

let temp: TempFolder;
beforeEach(async () => {
  temp = await makeTempFolder();
});
afterEach(async () => {
  vi.restoreAllMocks();
  syncBuiltinESMExports();
  await temp.remove();
});

const MTIME = Date.UTC(2024, 4, 1, 12, 30, 15, 250);

function contentsOf(name: string): string {
  return `contents of ${name} `.repeat(50);
}

async function* bytesOf(text: string): AsyncGenerator<Uint8Array> {
  yield new TextEncoder().encode(text);
}

/** `count` new files spread over two folders (which exist). */
async function newFiles(count: number): Promise<FileToWrite[]> {
  await temp.folder('a');
  await temp.folder('b');
  return Array.from({ length: count }, (_, i) => {
    const name = `${i % 2 === 0 ? 'a' : 'b'}/file ${i}.txt`;
    return { path: parseLibraryPath(name), source: () => bytesOf(contentsOf(name)), mtimeMs: MTIME, executable: false, expect: { kind: 'absent' } };
  });
}

type Event = { readonly kind: 'fsync'; readonly file: string } | { readonly kind: 'link'; readonly to: string } | { readonly kind: 'flush' };

/**
 * Records, in order, each fsync (by the path of the descriptor, from /proc/self/fd on Linux),
 * each link (a new file put in place) and each run of the bulk step.
 */
function recordEvents(): Event[] {
  const events: Event[] = [];
  const fsync = fs.fsync;
  vi.spyOn(fs, 'fsync').mockImplementation(((fd: number, done: fs.NoParamCallback) => {
    let file = `fd ${fd}`;
    try {
      file = fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      // no /proc: the count and order still tell
    }
    events.push({ kind: 'fsync', file });
    fsync(fd, done);
  }) as never);
  const link = fs.link;
  vi.spyOn(fs, 'link').mockImplementation(((from: fs.PathLike, to: fs.PathLike, done: fs.NoParamCallback) => {
    events.push({ kind: 'link', to: String(to) });
    link(from, to, done);
  }) as never);
  syncBuiltinESMExports();
  return events;
}

/** A bulk step that records its run and checks, at that moment, what the disk holds. */
function fakeFlush(events: Event[], outcome: 'done' | 'refused' | 'throws', atRun: () => Promise<void> = async () => undefined): BulkFlush & { runs: number } {
  return {
    available: true,
    runs: 0,
    async run() {
      this.runs += 1;
      events.push({ kind: 'flush' });
      await atRun();
      if (outcome === 'throws') throw new Error('the bulk step broke');
      return outcome === 'done';
    },
  };
}

const isTemp = (file: string): boolean => path.basename(file).startsWith('.cairn-tmp-');

async function leftoverTempFiles(): Promise<string[]> {
  return (await temp.list()).filter((name) => isTemp(name));
}

async function expectAllWritten(files: readonly FileToWrite[], results: readonly { status: string }[]): Promise<void> {
  expect(results.map((result) => result.status)).toEqual(files.map(() => 'written'));
  for (const file of files) expect(await readFile(path.join(temp.root, file.path), 'utf8')).toBe(contentsOf(file.path));
  expect(await leftoverTempFiles()).toEqual([]);
}

describe('writeFilesAtomic: durability of a group', () => {
  it('in bulk: writes every temp file, flushes once, fsyncs each file, and only then puts names in place', async () => {
    const files = await newFiles(40);
    const events = recordEvents();
    const flush = fakeFlush(events, 'done', async () => {
      // At the flush every file is complete under its temp name, and none has its real name.
      const names = await temp.list();
      expect(names.filter(isTemp)).toHaveLength(files.length);
      for (const file of files) expect(names).not.toContain(file.path);
    });
    const results = await writeFilesAtomic(new CheckedFolders(temp.root), files, 8, flush);
    await expectAllWritten(files, results);
    expect(flush.runs).toBe(1);
    const flushAt = events.findIndex((event) => event.kind === 'flush');
    const firstLink = events.findIndex((event) => event.kind === 'link');
    // No file was fsynced before the flush (that is the point), each was after it, before any link.
    expect(events.slice(0, flushAt).filter((event) => event.kind === 'fsync')).toEqual([]);
    const fsyncedBetween = events.slice(flushAt, firstLink).filter((event) => event.kind === 'fsync');
    expect(fsyncedBetween).toHaveLength(files.length);
    if (process.platform === 'linux') expect(fsyncedBetween.every((event) => event.kind === 'fsync' && isTemp(event.file))).toBe(true);
    expect(events.filter((event) => event.kind === 'link')).toHaveLength(files.length);
    // Then the two folders, once each.
    expect(events.slice(firstLink).filter((event) => event.kind === 'fsync')).toHaveLength(2);
  });

  it.each([
    ['refuses', 'refused'],
    ['fails', 'throws'],
  ] as const)('fsyncs each file before any name is put in place when the bulk step %s', async (_, outcome) => {
    const files = await newFiles(BULK_FLUSH_MIN_FILES);
    const events = recordEvents();
    const flush = fakeFlush(events, outcome);
    const results = await writeFilesAtomic(new CheckedFolders(temp.root), files, 4, flush);
    await expectAllWritten(files, results);
    const firstLink = events.findIndex((event) => event.kind === 'link');
    expect(events.slice(0, firstLink).filter((event) => event.kind === 'fsync')).toHaveLength(files.length);
  });

  it('fsyncs file by file, with no bulk step, where none is available or the group is small', async () => {
    for (const [count, available] of [
      [40, false],
      [BULK_FLUSH_MIN_FILES - 1, true],
    ] as const) {
      const files = await newFiles(count);
      const events = recordEvents();
      const flush = { ...fakeFlush(events, 'done'), available };
      const results = await writeFilesAtomic(new CheckedFolders(temp.root), files, 4, flush);
      await expectAllWritten(files, results);
      expect(events.filter((event) => event.kind === 'flush')).toEqual([]);
      const firstLink = events.findIndex((event) => event.kind === 'link');
      expect(events.slice(0, firstLink).filter((event) => event.kind === 'fsync')).toHaveLength(count);
      vi.restoreAllMocks();
      syncBuiltinESMExports();
      await temp.remove();
      temp = await makeTempFolder();
    }
  });

  it.each([false, true])('in bulk: a file whose fsync fails puts no name in place and leaves no temp file (on this thread: %s)', async (onThisThread) => {
    const files = await newFiles(20);
    const events: Event[] = [];
    const fsync = fs.fsync;
    let calls = 0;
    vi.spyOn(fs, 'fsync').mockImplementation(((fd: number, done: fs.NoParamCallback) => {
      calls += 1;
      if (calls === 7) done(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
      else fsync(fd, done);
    }) as never);
    syncBuiltinESMExports();
    await expect(writeFilesAtomic(new CheckedFolders(temp.root), files, 4, fakeFlush(events, 'done'), { onThisThread })).rejects.toThrow(/EIO/);
    expect(await temp.list()).toEqual(['a', 'b']);
  });

  it.each([false, true])('in bulk: a file whose folder was moved away before its fsync is reported gone, the others are written (on this thread: %s)', async (onThisThread) => {
    const files = await newFiles(20);
    await temp.folder('elsewhere');
    const flush = fakeFlush([], 'done', async () => {
      await fs.promises.rename(path.join(temp.root, 'b'), path.join(temp.root, 'elsewhere', 'b'));
    });
    const results = await writeFilesAtomic(new CheckedFolders(temp.root), files, 4, flush, { onThisThread });
    files.forEach((file, index) => expect(results[index]!.status).toBe(file.path.startsWith('a/') ? 'written' : 'gone'));
    for (const file of files.filter((file) => file.path.startsWith('a/'))) expect(await readFile(path.join(temp.root, file.path), 'utf8')).toBe(contentsOf(file.path));
    // The moved folder's temp files went with it: the next scan finds and removes them by name.
    expect((await leftoverTempFiles()).every((name) => name.startsWith('elsewhere/b/'))).toBe(true);
  });

  it.each([false, true])('in bulk: replaces a file the scan saw, and leaves one changed since the scan alone (on this thread: %s)', async (onThisThread) => {
    const files = await newFiles(20);
    const kept = path.join(temp.root, files[0]!.path);
    const edited = path.join(temp.root, files[1]!.path);
    await writeFile(kept, 'old');
    await writeFile(edited, 'old');
    const expectations = await Promise.all(
      [kept, edited].map(async (file) => {
        const stats = await lstat(file);
        return { kind: 'file' as const, size: stats.size, mtimeMs: stats.mtimeMs, inode: stats.ino };
      }),
    );
    const withExisting = files.map((file, index) => (index < 2 ? { ...file, expect: expectations[index]! } : file));
    const flush = fakeFlush([], 'done', async () => {
      await writeFile(edited, 'the user saved this meanwhile');
    });
    const results = await writeFilesAtomic(new CheckedFolders(temp.root), withExisting, 4, flush, { onThisThread });
    expect(results[0]!.status).toBe('written');
    expect(results[1]!.status).toBe('changed');
    expect(await readFile(kept, 'utf8')).toBe(contentsOf(files[0]!.path));
    expect(await readFile(edited, 'utf8')).toBe('the user saved this meanwhile');
    expect(await leftoverTempFiles()).toEqual([]);
  });
});

/**
 * Counts the calls made on `fs` by name (the asynchronous ones and their Sync twins), for the
 * whatever they touch, and records each fsync and link in order as recordEvents does (a
 * link by either call).
 */
function countCalls(): { readonly counts: Map<string, number>; readonly events: Event[] } {
  const counts = new Map<string, number>();
  const events: Event[] = [];
  const fsync = fs.fsync;
  vi.spyOn(fs, 'fsync').mockImplementation(((fd: number, done: fs.NoParamCallback) => {
    events.push({ kind: 'fsync', file: `fd ${fd}` });
    fsync(fd, done);
  }) as never);
  const count = (name: string): void => {
    counts.set(name, (counts.get(name) ?? 0) + 1);
  };
  const wrap = (name: 'open' | 'openSync' | 'write' | 'writeSync' | 'futimes' | 'futimesSync' | 'close' | 'closeSync' | 'unlink' | 'unlinkSync' | 'fstat' | 'fstatSync'): void => {
    const original = fs[name] as (...args: unknown[]) => unknown;
    vi.spyOn(fs, name).mockImplementation(((...args: unknown[]) => {
      count(name);
      return original(...args);
    }) as never);
  };
  for (const name of ['open', 'openSync', 'write', 'writeSync', 'futimes', 'futimesSync', 'close', 'closeSync', 'unlink', 'unlinkSync', 'fstat', 'fstatSync'] as const) wrap(name);
  const link = fs.link;
  vi.spyOn(fs, 'link').mockImplementation(((from: fs.PathLike, to: fs.PathLike, done: fs.NoParamCallback) => {
    count('link');
    events.push({ kind: 'link', to: String(to) });
    link(from, to, done);
  }) as never);
  const linkSync = fs.linkSync;
  vi.spyOn(fs, 'linkSync').mockImplementation(((from: fs.PathLike, to: fs.PathLike) => {
    count('linkSync');
    events.push({ kind: 'link', to: String(to) });
    linkSync(from, to);
  }) as never);
  const fsyncSync = fs.fsyncSync;
  vi.spyOn(fs, 'fsyncSync').mockImplementation(((fd: number) => {
    count('fsyncSync');
    fsyncSync(fd);
  }) as never);
  syncBuiltinESMExports();
  return { counts, events };
}

describe('writeFilesAtomic on this thread (onThisThread)', () => {
  it('in bulk: creates, writes, closes, links and unlinks each file with synchronous calls; only the fsyncs leave the thread, after the flush and before any name', async () => {
    const files = await newFiles(40);
    const { counts, events } = countCalls();
    const flush = fakeFlush(events, 'done');
    const results = await writeFilesAtomic(new CheckedFolders(temp.root), files, 8, flush, { onThisThread: true });
    await expectAllWritten(files, results);
    // Per file: opened once (fsynced through the descriptor it was written through), one
    // write, futimes, fstat, close, link, unlink.
    expect(counts.get('openSync')).toBe(files.length);
    expect(counts.get('writeSync')).toBe(files.length);
    expect(counts.get('futimesSync')).toBe(files.length);
    expect(counts.get('fstatSync')).toBe(files.length);
    expect(counts.get('closeSync')).toBe(files.length);
    expect(counts.get('linkSync')).toBe(files.length);
    expect(counts.get('unlinkSync')).toBe(files.length);
    for (const name of ['write', 'futimes', 'fstat', 'link', 'unlink', 'fsyncSync']) expect(counts.get(name) ?? 0).toBe(0);
    // Only the two folders are opened (to fsync them) through the thread pool.
    expect(counts.get('open')).toBe(2);
    // The durability order is the same as off the thread.
    const flushAt = events.findIndex((event) => event.kind === 'flush');
    const firstLink = events.findIndex((event) => event.kind === 'link');
    expect(events.slice(0, flushAt).filter((event) => event.kind === 'fsync')).toEqual([]);
    expect(events.slice(flushAt, firstLink).filter((event) => event.kind === 'fsync')).toHaveLength(files.length);
    expect(events.slice(firstLink).filter((event) => event.kind === 'fsync')).toHaveLength(2);
  });

  it('in bulk: keeps at most HELD_DESCRIPTORS_MAX descriptors open for the fsyncs, and opens the other files again', async () => {
    const extra = 10;
    const files = await newFiles(HELD_DESCRIPTORS_MAX + extra);
    const { counts, events } = countCalls();
    const results = await writeFilesAtomic(new CheckedFolders(temp.root), files, 8, fakeFlush(events, 'done'), { onThisThread: true });
    await expectAllWritten(files, results);
    expect(counts.get('openSync')).toBe(files.length + extra);
    expect(counts.get('closeSync')).toBe(files.length + extra);
    expect(events.filter((event) => event.kind === 'fsync')).toHaveLength(files.length + 2);
    // Every descriptor was given back: the next group keeps its own again.
    const again = await newFiles(20);
    const before = counts.get('openSync')!;
    await writeFilesAtomic(new CheckedFolders(temp.root), again.map((file) => ({ ...file, path: parseLibraryPath(`${file.path}.2`) })), 8, fakeFlush([], 'done'), { onThisThread: true });
    expect(counts.get('openSync')! - before).toBe(20);
  });

  it('out of bulk (each file fsynced as it is written), keeps every call off the thread', async () => {
    const files = await newFiles(BULK_FLUSH_MIN_FILES - 1);
    const { counts } = countCalls();
    const results = await writeFilesAtomic(new CheckedFolders(temp.root), files, 4, fakeFlush([], 'done'), { onThisThread: true });
    await expectAllWritten(files, results);
    for (const name of ['openSync', 'writeSync', 'futimesSync', 'fstatSync', 'closeSync', 'linkSync', 'unlinkSync']) expect(counts.get(name) ?? 0).toBe(0);
    expect(counts.get('link')).toBe(files.length);
  });
});

describe('SyncfsFlush', () => {
  const meminfo = (dirtyKiB: number) => async () => `MemTotal: 100 kB\nDirty:     ${dirtyKiB} kB\nWriteback:     0 kB\n`;

  it('reads the dirty bytes of the system from /proc/meminfo', () => {
    expect(parseDirtyBytes('MemFree: 5 kB\nDirty:        2236 kB\nWriteback:      12 kB\nWritebackTmp: 7 kB\n')).toBe((2236 + 12) * 1024);
    expect(parseDirtyBytes('Dirty: 1 kB\n')).toBeUndefined();
    expect(parseDirtyBytes('')).toBeUndefined();
  });

  it.runIf(process.platform === 'linux' && fs.existsSync('/usr/bin/sync'))('runs syncfs through sync -f on Linux', async () => {
    const flush = new SyncfsFlush(['/usr/bin/sync'], meminfo(0));
    expect(flush.available).toBe(true);
    expect(await flush.run(temp.root, 0)).toBe(true);
    expect(flush.available).toBe(true);
  });

  it.runIf(process.platform === 'linux' && fs.existsSync('/usr/bin/sync'))('runs every sync -f of a process through one helper shell, any folder name, one request after another', async () => {
    const flush = new SyncfsFlush(['/usr/bin/sync'], meminfo(0));
    const odd = await temp.folder('new\nline \\0101 $(x) \'q\' é');
    const before = SyncHelper.started;
    const outcomes = await Promise.all(Array.from({ length: 12 }, (_, i) => flush.run(i % 2 === 0 ? temp.root : odd, 0)));
    expect(outcomes).toEqual(Array.from({ length: 12 }, () => true));
    expect(await flush.run(odd, 0)).toBe(true);
    // Forking this (large) process once per group was the cost; the shell forks only itself.
    expect(SyncHelper.started - before).toBeLessThanOrEqual(1);
    // A folder that is not there fails that request (sync -f cannot open it) and stops the bulk step.
    expect(await flush.run(path.join(temp.outside, 'gone'), 0)).toBe(false);
    expect(flush.available).toBe(false);
  });

  it('is not available off Linux, and refuses while others have much dirty data, without giving up', async () => {
    expect(new SyncfsFlush(['/usr/bin/sync'], meminfo(0), 'darwin').available).toBe(false);
    expect(new SyncfsFlush(['/usr/bin/sync'], meminfo(0), 'win32').available).toBe(false);
    const busy = new SyncfsFlush(['/usr/bin/sync'], meminfo(512 * 1024), 'linux');
    expect(await busy.run(temp.root, 1024 * 1024)).toBe(false);
    expect(busy.available).toBe(true);
    const unreadable = new SyncfsFlush(['/usr/bin/sync'], () => Promise.reject(new Error('no /proc')), 'linux');
    expect(await unreadable.run(temp.root, 0)).toBe(false);
  });

  it.runIf(process.platform !== 'win32')('tries the next place for sync when one is missing, and stops trying after a failure', async () => {
    const failing = path.join(temp.outside, 'sync');
    await writeFile(failing, '#!/bin/sh\nexit 1\n');
    await chmod(failing, 0o755);
    const flush = new SyncfsFlush([path.join(temp.outside, 'missing'), failing, '/usr/bin/sync'], meminfo(0), 'linux');
    expect(await flush.run(temp.root, 0)).toBe(false);
    expect(flush.available).toBe(false);
    expect(await flush.run(temp.root, 0)).toBe(false);
    const nowhere = new SyncfsFlush([path.join(temp.outside, 'missing')], meminfo(0), 'linux');
    expect(await nowhere.run(temp.root, 0)).toBe(false);
    expect(nowhere.available).toBe(false);
  });
});
