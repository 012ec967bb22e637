import { lstat } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectationFromLocalEntry, matchesExpectation } from '../../../src-main/engine/localfs/index.js';
import type { LocalEntry } from '../../../src-main/engine/syncModel.js';
import { parseLibraryPath } from '../../../shared/paths.js';
import { type TempFolder, makeTempFolder } from './tempFolder.js';

let temp: TempFolder;
beforeEach(async () => {
  temp = await makeTempFolder();
});
afterEach(async () => temp.remove());

describe('expectations', () => {
  it('builds the expectation a scan entry stands for', () => {
    const file: LocalEntry = {
      path: parseLibraryPath('a.txt'),
      node: { kind: 'file', contentHash: 'a'.repeat(64), size: 3, executable: false },
      mtimeMs: 12.5,
      inode: 99,
      statSize: 3,
      chunks: [],
    };
    const folder: LocalEntry = { path: parseLibraryPath('d'), node: { kind: 'dir' }, mtimeMs: 1, inode: 7, statSize: 0, chunks: [] };
    expect(expectationFromLocalEntry(file)).toEqual({ kind: 'file', size: 3, mtimeMs: 12.5, inode: 99 });
    expect(expectationFromLocalEntry(folder)).toEqual({ kind: 'dir', inode: 7 });
    expect(expectationFromLocalEntry(undefined)).toEqual({ kind: 'absent' });
  });

  it('matches only the exact file, folder or absence', async () => {
    const file = await temp.file('a.txt', 'abc');
    const folder = await temp.folder('d');
    const fileStats = await lstat(file);
    const folderStats = await lstat(folder);
    const exact = { kind: 'file', size: 3, mtimeMs: fileStats.mtimeMs, inode: fileStats.ino } as const;
    const cases = [
      { name: 'the same file', expect: exact, stats: fileStats, matches: true },
      { name: 'another size', expect: { ...exact, size: 4 }, stats: fileStats, matches: false },
      { name: 'another mtime', expect: { ...exact, mtimeMs: exact.mtimeMs + 1 }, stats: fileStats, matches: false },
      { name: 'another inode', expect: { ...exact, inode: exact.inode + 1 }, stats: fileStats, matches: false },
      { name: 'a folder where a file was expected', expect: exact, stats: folderStats, matches: false },
      { name: 'nothing where a file was expected', expect: exact, stats: undefined, matches: false },
      { name: 'absence', expect: { kind: 'absent' }, stats: undefined, matches: true },
      { name: 'a file where nothing was expected', expect: { kind: 'absent' }, stats: fileStats, matches: false },
      { name: 'any folder', expect: { kind: 'dir' }, stats: folderStats, matches: true },
      { name: 'the same folder', expect: { kind: 'dir', inode: folderStats.ino }, stats: folderStats, matches: true },
      { name: 'another folder', expect: { kind: 'dir', inode: folderStats.ino + 1 }, stats: folderStats, matches: false },
    ] as const;
    for (const c of cases) expect([c.name, matchesExpectation(c.expect, c.stats)]).toEqual([c.name, c.matches]);
  });
});
