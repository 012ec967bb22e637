// The whole library as it was at a moment, restored into a new folder (Engine.restoreSnapshot),
// with two real clients and a real server: exactly that state, byte for byte, file times kept,
// progress to the end; an interrupted restore continued (kept files verified, a damaged one
// rewritten); and the targets it refuses (not empty, in or around a library, relative).

import { mkdir, readFile, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SNAPSHOT_MARKER } from '../../src-main/engine/restore/restoreSnapshot.js';
import type { SnapshotProgress } from '../../src-main/engine/restore/restoreSnapshot.js';
import { readTree, startHarness } from './harness.js';
import type { Harness, TestClient } from './harness.js';

describe('restoring a library as it was at a moment', () => {
  let harness: Harness;
  let desktop: TestClient;
  let laptop: TestClient;
  let before: number;
  const large = Buffer.alloc(2_500_000);
  for (let index = 0; index < large.length; index++) large[index] = (index * 7919 + (index >> 12)) % 251;

  beforeAll(async () => {
    harness = await startHarness();
    desktop = await harness.client('desktop', { libraryName: 'Documents' });
    await desktop.write('a.txt', 'a, first');
    await desktop.write('Work/b.txt', 'b');
    await desktop.write('Work/Deep/empty-folder-sibling.txt', 'deep');
    await mkdir(path.join(desktop.root, 'Empty'));
    await desktop.write('big.bin', large);
    await desktop.sync();
    await new Promise((resolve) => setTimeout(resolve, 20));
    before = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await desktop.write('a.txt', 'a, second');
    await (await import('node:fs/promises')).rm(path.join(desktop.root, 'Work', 'b.txt'));
    await desktop.write('c.txt', 'c, later');
    await desktop.sync();
    laptop = await harness.client('laptop', { libraryId: desktop.libraryId });
    await laptop.sync();
  }, 60_000);

  afterAll(() => harness.stop());

  it('writes exactly the library as it was into a new folder, and changes nothing in the library', async () => {
    const target = path.join(harness.base, 'as-it-was');
    const libraryBefore = await laptop.tree();
    const progress: SnapshotProgress[] = [];
    const result = await laptop.engine.restoreSnapshot(laptop.libraryId, before, target, (step) => progress.push(step));
    expect(result).toMatchObject({ files: 4, bytes: large.length + 'a, first'.length + 1 + 4 });
    const tree = await readTree(target);
    expect(Object.keys(tree).filter((name) => !name.endsWith('/')).sort()).toEqual(['Work/Deep/empty-folder-sibling.txt', 'Work/b.txt', 'a.txt', 'big.bin']);
    expect(tree['a.txt']).toBe('a, first');
    expect(Buffer.compare(await readFile(path.join(target, 'big.bin')), large)).toBe(0);
    expect((await stat(path.join(target, 'Empty'))).isDirectory()).toBe(true);
    // File times as they were committed.
    const version = (await laptop.engine.history(laptop.libraryId, 'a.txt' as never)).at(-1)!;
    expect(Math.abs((await stat(path.join(target, 'a.txt'))).mtimeMs - version.mtimeMs)).toBeLessThan(2);
    expect(progress.at(-1)).toEqual({ filesDone: 4, filesTotal: 4, bytesDone: result.bytes, bytesTotal: result.bytes });
    expect(await laptop.tree()).toEqual(libraryBefore);
    // A moment before the library had anything: an empty folder.
    const empty = await laptop.engine.restoreSnapshot(laptop.libraryId, 1, path.join(harness.base, 'before-anything'));
    expect([empty.seq, empty.files]).toEqual([0, 0]);
  });

  it('refuses a folder that is not empty, one in or around a library, and a relative path', async () => {
    const full = path.join(harness.base, 'full');
    await mkdir(full);
    await writeFile(path.join(full, 'mine.txt'), 'mine');
    await expect(laptop.engine.restoreSnapshot(laptop.libraryId, before, full)).rejects.toMatchObject({ reason: 'conflict' });
    expect(await readFile(path.join(full, 'mine.txt'), 'utf8')).toBe('mine');
    await expect(laptop.engine.restoreSnapshot(laptop.libraryId, before, path.join(laptop.root, 'restored'))).rejects.toMatchObject({ reason: 'conflict' });
    await expect(laptop.engine.restoreSnapshot(laptop.libraryId, before, path.dirname(laptop.root))).rejects.toMatchObject({ reason: 'conflict' });
    await expect(laptop.engine.restoreSnapshot(laptop.libraryId, before, path.join(laptop.home, 'x'))).rejects.toMatchObject({ reason: 'conflict' });
    await expect(laptop.engine.restoreSnapshot(laptop.libraryId, before, 'relative/folder')).rejects.toMatchObject({ reason: 'invalid' });
    expect(await laptop.exists('restored')).toBe(false);
  });

  it('continues an interrupted restore: files already there are verified, a damaged one is rewritten, leftovers removed', async () => {
    const target = path.join(harness.base, 'interrupted');
    const stop = new Error('interrupted');
    await expect(
      laptop.engine.restoreSnapshot(laptop.libraryId, before, target, (step) => {
        if (step.filesDone === 2) throw stop;
      }),
    ).rejects.toBe(stop);
    // Part of it is there, with the marker that says which restore it is.
    const partial = await readTree(target);
    const written = Object.keys(partial).filter((name) => !name.endsWith('/') && name !== SNAPSHOT_MARKER);
    expect(written).toHaveLength(2);
    expect(JSON.parse(partial[SNAPSHOT_MARKER]!)).toEqual({ libraryId: laptop.libraryId, at: before });
    // One written file damaged with bytes of the same size and the same time: only its hash tells.
    const damaged = path.join(target, written[0]!);
    const kept = path.join(target, written[1]!);
    const damagedStats = await stat(damaged);
    await writeFile(damaged, Buffer.alloc(damagedStats.size, 0x21));
    await utimes(damaged, damagedStats.atime, damagedStats.mtime);
    const keptInode = (await stat(kept)).ino;
    // A temp file of a write the interruption cut short.
    await writeFile(path.join(target, '.cairn-tmp-0123456789abcdef'), 'half');

    // Another moment, or another library's restore, is not continued in this folder.
    await expect(laptop.engine.restoreSnapshot(laptop.libraryId, before + 1, target)).rejects.toMatchObject({ reason: 'conflict' });

    const progress: SnapshotProgress[] = [];
    const result = await laptop.engine.restoreSnapshot(laptop.libraryId, before, target, (step) => progress.push(step));
    expect(result.files).toBe(4);
    const tree = await readTree(target);
    expect(Object.keys(tree).filter((name) => !name.endsWith('/')).sort()).toEqual(['Work/Deep/empty-folder-sibling.txt', 'Work/b.txt', 'a.txt', 'big.bin']);
    expect(tree['a.txt']).toBe('a, first');
    expect(tree['Work/b.txt']).toBe('b');
    expect(tree['Work/Deep/empty-folder-sibling.txt']).toBe('deep');
    expect(Buffer.compare(await readFile(path.join(target, 'big.bin')), large)).toBe(0);
    // The verified file was kept as it was, the damaged one replaced.
    expect((await stat(kept)).ino).toBe(keptInode);
    expect((await stat(damaged)).ino).not.toBe(damagedStats.ino);
    expect(progress.at(-1)).toEqual({ filesDone: 4, filesTotal: 4, bytesDone: result.bytes, bytesTotal: result.bytes });
    expect((await readdir(target)).filter((name) => name.startsWith('.cairn'))).toEqual([]);
    // Finished: now a folder like any other, which a new restore refuses.
    await expect(laptop.engine.restoreSnapshot(laptop.libraryId, before, target)).rejects.toMatchObject({ reason: 'conflict' });
  });
});
