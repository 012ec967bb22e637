import { chmod, lstat, open, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Expectation, cleanupTempFiles, withExecutable, writeFileAtomic } from '../../../src-main/engine/localfs/index.js';
import { EARLY_SYNC_BYTES } from '../../../src-main/engine/localfs/writeFileAtomic.js';
import { parseLibraryPath } from '../../../shared/paths.js';
import { type TempFolder, makeTempFolder } from './tempFolder.js';

let temp: TempFolder;
beforeEach(async () => {
  temp = await makeTempFolder();
});
afterEach(async () => temp.remove());

const MTIME = Date.UTC(2024, 4, 1, 12, 30, 15, 250);
const umask = process.umask();

async function* bytes(...pieces: string[]): AsyncGenerator<Uint8Array> {
  for (const piece of pieces) yield new TextEncoder().encode(piece);
}

async function statExpectation(absolute: string): Promise<Expectation & { kind: 'file' }> {
  const stats = await lstat(absolute);
  return { kind: 'file', size: stats.size, mtimeMs: stats.mtimeMs, inode: stats.ino };
}

/** Every temp file left anywhere below the root: there must never be one after a call returns. */
async function leftoverTempFiles(): Promise<string[]> {
  return (await temp.list()).filter((name) => path.posix.basename(name).startsWith('.cairn-tmp-'));
}

describe('writeFileAtomic', () => {
  it('writes a new file with the given mtime, a umask-narrowed mode and no temp file left', async () => {
    await temp.folder('docs');
    const result = await writeFileAtomic(temp.root, parseLibraryPath('docs/new.txt'), bytes('hello ', 'world'), {
      mtimeMs: MTIME,
      executable: false,
      expect: { kind: 'absent' },
    });
    const absolute = path.join(temp.root, 'docs', 'new.txt');
    const stats = await lstat(absolute);
    expect(result).toEqual({ status: 'written', inode: stats.ino, mtimeMs: stats.mtimeMs, size: 11 });
    expect(await readFile(absolute, 'utf8')).toBe('hello world');
    expect(Math.abs(stats.mtimeMs - MTIME)).toBeLessThan(1);
    expect(stats.mode & 0o777).toBe(0o666 & ~umask);
    expect(await leftoverTempFiles()).toEqual([]);
  });

  it('gives a new executable file the executable bits the umask allows', async () => {
    await writeFileAtomic(temp.root, parseLibraryPath('run.sh'), bytes('#!/bin/sh\n'), {
      mtimeMs: MTIME,
      executable: true,
      expect: { kind: 'absent' },
    });
    expect((await lstat(path.join(temp.root, 'run.sh'))).mode & 0o777).toBe(0o777 & ~umask);
  });

  it('writes an empty file from an empty source', async () => {
    const result = await writeFileAtomic(temp.root, parseLibraryPath('empty'), bytes(), {
      mtimeMs: MTIME,
      executable: false,
      expect: { kind: 'absent' },
    });
    expect(result.status === 'written' ? result.size : -1).toBe(0);
    expect(await readFile(path.join(temp.root, 'empty'), 'utf8')).toBe('');
  });

  const replaceCases = [
    { name: 'keeps other bits when setting executable', before: 0o640, executable: true, after: 0o750 },
    { name: 'keeps other bits when clearing executable', before: 0o751, executable: false, after: 0o640 },
    { name: 'keeps a private mode private', before: 0o600, executable: false, after: 0o600 },
  ] as const;
  it.each(replaceCases.map((c) => [c.name, c] as const))('replaces an unchanged file and %s', async (_name, c) => {
    const absolute = await temp.file('doc.txt', 'old contents');
    await chmod(absolute, c.before);
    const expectation = await statExpectation(absolute);
    const result = await writeFileAtomic(temp.root, parseLibraryPath('doc.txt'), bytes('new'), {
      mtimeMs: MTIME,
      executable: c.executable,
      expect: expectation,
    });
    expect(result.status).toBe('written');
    expect(await readFile(absolute, 'utf8')).toBe('new');
    expect((await lstat(absolute)).mode & 0o777).toBe(c.after);
    expect(await leftoverTempFiles()).toEqual([]);
  });

  it('does not overwrite a file modified between the scan and the write (re-check before rename)', async () => {
    const absolute = await temp.file('doc.txt', 'scanned version');
    const scanned = await statExpectation(absolute);
    async function* sourceDuringWhichTheUserSaves(): AsyncGenerator<Uint8Array> {
      yield new TextEncoder().encode('server ');
      // The user saves while the download is in flight: a different size, so it must be seen.
      await writeFile(absolute, 'the user saved this while we downloaded');
      yield new TextEncoder().encode('version');
    }
    const result = await writeFileAtomic(temp.root, parseLibraryPath('doc.txt'), sourceDuringWhichTheUserSaves(), {
      mtimeMs: MTIME,
      executable: false,
      expect: scanned,
    });
    expect(result.status).toBe('changed');
    if (result.status === 'changed') expect(result.found.kind).toBe('file');
    expect(await readFile(absolute, 'utf8')).toBe('the user saved this while we downloaded');
    expect(await leftoverTempFiles()).toEqual([]);
  });

  it('does not overwrite a file that appeared while a new file was downloaded', async () => {
    const absolute = path.join(temp.root, 'new.txt');
    async function* sourceDuringWhichAFileAppears(): AsyncGenerator<Uint8Array> {
      yield new TextEncoder().encode('server version');
      await writeFile(absolute, 'created locally meanwhile');
    }
    const result = await writeFileAtomic(temp.root, parseLibraryPath('new.txt'), sourceDuringWhichAFileAppears(), {
      mtimeMs: MTIME,
      executable: false,
      expect: { kind: 'absent' },
    });
    expect(result.status).toBe('changed');
    expect(await readFile(absolute, 'utf8')).toBe('created locally meanwhile');
    expect(await leftoverTempFiles()).toEqual([]);
  });

  const declinedUpFront = [
    { name: 'a file exists where none was expected', setup: async () => temp.file('x.txt', 'local'), expect: { kind: 'absent' } as const },
    {
      name: 'the file differs from the scanned one',
      setup: async () => temp.file('x.txt', 'local'),
      expect: { kind: 'file', size: 1, mtimeMs: 1, inode: 1 } as const,
    },
    { name: 'a folder is where the file should go', setup: async () => temp.folder('x.txt'), expect: { kind: 'absent' } as const },
  ];
  it.each(declinedUpFront.map((c) => [c.name, c] as const))('declines without reading the source when %s', async (_name, c) => {
    await c.setup();
    const before = await temp.list();
    let read = false;
    async function* source(): AsyncGenerator<Uint8Array> {
      read = true;
      yield new Uint8Array(1);
    }
    const result = await writeFileAtomic(temp.root, parseLibraryPath('x.txt'), source(), {
      mtimeMs: MTIME,
      executable: false,
      expect: c.expect,
    });
    expect(result.status).toBe('changed');
    expect(read).toBe(false);
    expect(await temp.list()).toEqual(before);
  });

  it('removes the temp file and leaves the destination alone when the source fails', async () => {
    const absolute = await temp.file('doc.txt', 'precious');
    const scanned = await statExpectation(absolute);
    async function* failingSource(): AsyncGenerator<Uint8Array> {
      yield new TextEncoder().encode('partial');
      throw new Error('download broke off');
    }
    await expect(
      writeFileAtomic(temp.root, parseLibraryPath('doc.txt'), failingSource(), { mtimeMs: MTIME, executable: false, expect: scanned }),
    ).rejects.toThrow('download broke off');
    expect(await readFile(absolute, 'utf8')).toBe('precious');
    expect(await leftoverTempFiles()).toEqual([]);
  });

  it('writes thousands of pieces of every size in order, several batches of them on their way at once', async () => {
    const pieces: Uint8Array[] = [];
    let seed = 7;
    for (let index = 0; index < 3_000; index++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      const piece = new Uint8Array(seed % 4_000);
      piece.fill(index % 251);
      pieces.push(piece);
    }
    pieces.push(new Uint8Array(3 * 1024 * 1024).fill(9)); // one larger than a batch
    async function* source(): AsyncGenerator<Uint8Array> {
      yield* pieces;
    }
    const result = await writeFileAtomic(temp.root, parseLibraryPath('many.bin'), source(), { mtimeMs: MTIME, executable: false, expect: { kind: 'absent' } });
    const expected = Buffer.concat(pieces);
    expect(result).toMatchObject({ status: 'written', size: expected.length });
    expect((await readFile(path.join(temp.root, 'many.bin'))).equals(expected)).toBe(true);
  });

  describe('a large file', () => {
    /** FileHandle's prototype, whose datasync the tests watch (node:fs/promises does not export the class). */
    let handlePrototype: FileHandle;
    beforeEach(async () => {
      const handle = await open(path.join(temp.root, '.probe'), 'w');
      handlePrototype = Object.getPrototypeOf(handle) as FileHandle;
      await handle.close();
    });
    afterEach(() => vi.restoreAllMocks());

    /** MiB pieces, over twice EARLY_SYNC_BYTES; `onPiece(i)` runs before piece i is handed over. */
    async function* mebibytes(onPiece: (index: number) => void): AsyncGenerator<Uint8Array> {
      const count = (2 * EARLY_SYNC_BYTES) / (1024 * 1024) + 3;
      for (let index = 0; index < count; index++) {
        onPiece(index);
        yield new Uint8Array(1024 * 1024).fill(index % 251);
      }
    }

    it('is handed to the disk while it is still being written, not only at the final fsync', async () => {
      const datasync = vi.spyOn(handlePrototype, 'datasync');
      let syncedBeforeLastPiece = 0;
      const source = mebibytes(() => {
        syncedBeforeLastPiece = datasync.mock.calls.length;
      });
      const result = await writeFileAtomic(temp.root, parseLibraryPath('big.bin'), source, { mtimeMs: MTIME, executable: false, expect: { kind: 'absent' } });
      expect(result).toMatchObject({ status: 'written', size: 2 * EARLY_SYNC_BYTES + 3 * 1024 * 1024 });
      expect(syncedBeforeLastPiece).toBeGreaterThanOrEqual(1);
      const written = await readFile(path.join(temp.root, 'big.bin'));
      expect(written[EARLY_SYNC_BYTES + 5 * 1024 * 1024]).toBe((EARLY_SYNC_BYTES / (1024 * 1024) + 5) % 251);
    });

    it('fails, leaving the destination alone and no temp file, when an early sync fails', async () => {
      const absolute = await temp.file('big.bin', 'precious');
      const scanned = await statExpectation(absolute);
      vi.spyOn(handlePrototype, 'datasync').mockRejectedValue(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
      await expect(
        writeFileAtomic(temp.root, parseLibraryPath('big.bin'), mebibytes(() => undefined), { mtimeMs: MTIME, executable: false, expect: scanned }),
      ).rejects.toThrow('EIO');
      expect(await readFile(absolute, 'utf8')).toBe('precious');
      expect(await leftoverTempFiles()).toEqual([]);
    });
  });

  it('keeps what a resumable download received before its source failed, batched or not', async () => {
    const received = [new Uint8Array(700_000).fill(1), new Uint8Array(700_000).fill(2), new Uint8Array(5).fill(3)];
    async function* failingSource(): AsyncGenerator<Uint8Array> {
      yield* received;
      throw new Error('download broke off');
    }
    const partial = { name: '.cairn-tmp-resume-test', keepBytes: 0 };
    await expect(
      writeFileAtomic(temp.root, parseLibraryPath('big.bin'), failingSource(), { mtimeMs: MTIME, executable: false, expect: { kind: 'absent' }, partial }),
    ).rejects.toThrow('download broke off');
    expect((await readFile(path.join(temp.root, partial.name))).equals(Buffer.concat(received))).toBe(true);
    expect(await temp.list()).not.toContain('big.bin');
  });

  it('refuses to write through a symlinked folder and writes nothing outside the root', async () => {
    await symlink(temp.outside, path.join(temp.root, 'escape'));
    const result = await writeFileAtomic(temp.root, parseLibraryPath('escape/planted.txt'), bytes('x'), {
      mtimeMs: MTIME,
      executable: false,
      expect: { kind: 'absent' },
    });
    expect(result).toMatchObject({ status: 'unsafe', reason: 'symlink', at: 'escape' });
    expect(await readdir(temp.outside)).toEqual([]);
  });

  it('refuses a folder swapped for a symlink during the download', async () => {
    await temp.folder('docs');
    async function* sourceDuringWhichTheFolderIsSwapped(): AsyncGenerator<Uint8Array> {
      yield new TextEncoder().encode('x');
      const { rename } = await import('node:fs/promises');
      await rename(path.join(temp.root, 'docs'), path.join(temp.root, 'docs-moved'));
      await symlink(temp.outside, path.join(temp.root, 'docs'));
    }
    const result = await writeFileAtomic(temp.root, parseLibraryPath('docs/new.txt'), sourceDuringWhichTheFolderIsSwapped(), {
      mtimeMs: MTIME,
      executable: false,
      expect: { kind: 'absent' },
    });
    expect(result).toMatchObject({ status: 'unsafe', reason: 'symlink' });
    expect(await readdir(temp.outside)).toEqual([]);
    // The temp file moved away with its folder, out of our reach; the startup cleanup finds it.
    expect(await leftoverTempFiles()).toHaveLength(1);
    expect((await cleanupTempFiles(temp.root)).removed).toBe(1);
    expect(await leftoverTempFiles()).toEqual([]);
  });

  it('fails with ENOENT when the parent folder does not exist', async () => {
    await expect(
      writeFileAtomic(temp.root, parseLibraryPath('missing/new.txt'), bytes('x'), { mtimeMs: MTIME, executable: false, expect: { kind: 'absent' } }),
    ).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('withExecutable', () => {
  const cases = [
    { name: 'rw-r--r-- gains x where r is', mode: 0o644, executable: true, result: 0o755 },
    { name: 'rw------- gains owner x only', mode: 0o600, executable: true, result: 0o700 },
    { name: 'rwxr-x--- loses every x', mode: 0o750, executable: false, result: 0o640 },
    { name: 'setgid and sticky bits stay', mode: 0o3644, executable: true, result: 0o3755 },
  ];
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(withExecutable(c.mode, c.executable)).toBe(c.result);
  });
});
