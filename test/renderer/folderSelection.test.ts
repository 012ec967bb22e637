// The selective-sync tree's logic: what each checkbox shows and what a click does.

import { describe, expect, it } from 'vitest';
import type { FolderPath, RemoteFolderListing } from '../../shared/api/index.js';
import type { LibraryPath } from '../../shared/paths.js';
import {
  checkStateOf,
  foldersToExpand,
  normalizeSelection,
  selectionTotals,
  toggleFolder,
  unsyncedLooseFiles,
} from '../../src-renderer/state/folderSelection.js';

const p = (path: string) => path as LibraryPath;
const ps = (...paths: string[]) => paths.map(p);

/**
 * The library of the tests:
 *   notes.txt (100 B)                         top-level loose file
 *   Photos/ 2024/ a.jpg (1000) 2025/ b.jpg (2000)
 *   Work/ report.txt (300)  Old/ x.txt (50)  New/ y.txt (70)
 *   Music/ song.mp3 (5000)
 */
function listing(path: FolderPath, folders: [string, number, number, boolean][], fileCount: number, totalBytes: number): RemoteFolderListing {
  const prefix = path === '' ? '' : `${path}/`;
  return {
    libraryId: 'library-0001',
    path,
    folders: folders.map(([name, count, bytes, hasSubfolders]) => ({ path: p(`${prefix}${name}`), name, fileCount: count, totalBytes: bytes, hasSubfolders })),
    fileCount,
    totalBytes,
  };
}

const LISTINGS = new Map<FolderPath, RemoteFolderListing>([
  [
    '',
    listing(
      '',
      [
        ['Music', 1, 5000, false],
        ['Photos', 2, 3000, true],
        ['Work', 3, 420, true],
      ],
      1,
      100,
    ),
  ],
  [
    p('Photos'),
    listing(
      p('Photos'),
      [
        ['2024', 1, 1000, false],
        ['2025', 1, 2000, false],
      ],
      0,
      0,
    ),
  ],
  [
    p('Work'),
    listing(
      p('Work'),
      [
        ['New', 1, 70, false],
        ['Old', 1, 50, false],
      ],
      1,
      300,
    ),
  ],
]);

describe('normalizeSelection', () => {
  it.each([
    { name: 'sorts', input: ['Work', 'Music'], expected: ['Music', 'Work'] },
    { name: 'drops duplicates', input: ['Work', 'Work'], expected: ['Work'] },
    { name: 'drops paths inside a selected folder', input: ['Work/Old', 'Work', 'Work/Old/deep'], expected: ['Work'] },
    { name: 'keeps a sibling whose name starts like another', input: ['Work', 'Workshop'], expected: ['Work', 'Workshop'] },
    { name: 'orders a folder before what is inside it', input: ['a b', 'a/b', 'a'], expected: ['a', 'a b'] },
  ])('$name', ({ input, expected }) => {
    expect(normalizeSelection(ps(...input))).toEqual(ps(...expected));
  });
});

describe('checkStateOf', () => {
  it.each([
    { path: 'Work', selection: ['Work'], expected: 'checked' },
    { path: 'Work/Old', selection: ['Work'], expected: 'checked' },
    { path: 'Work', selection: ['Work/Old'], expected: 'mixed' },
    { path: 'Work', selection: ['Workshop'], expected: 'unchecked' },
    { path: 'Music', selection: ['Work/Old'], expected: 'unchecked' },
    { path: 'Work', selection: [], expected: 'unchecked' },
  ] as const)('$path with $selection is $expected', ({ path, selection, expected }) => {
    expect(checkStateOf(p(path), ps(...selection))).toBe(expected);
  });
});

describe('toggleFolder', () => {
  it.each([
    { name: 'checks an unchecked folder', path: 'Music', selection: ['Work/Old'], expected: ['Music', 'Work/Old'] },
    { name: 'checking a mixed folder takes it whole', path: 'Work', selection: ['Work/Old', 'Music'], expected: ['Music', 'Work'] },
    { name: 'unchecks a selected folder', path: 'Work', selection: ['Music', 'Work'], expected: ['Music'] },
    { name: 'unchecks a selected subfolder', path: 'Work/Old', selection: ['Work/Old'], expected: [] },
    {
      name: 'unchecking inside a checked folder selects its siblings instead',
      path: 'Work/Old',
      selection: ['Work'],
      expected: ['Work/New'],
    },
    {
      name: 'unchecking deep inside a checked folder keeps every other branch',
      path: 'Photos/2025',
      selection: ['Photos', 'Music'],
      expected: ['Music', 'Photos/2024'],
    },
  ])('$name', ({ path, selection, expected }) => {
    expect(toggleFolder(p(path), ps(...selection), LISTINGS)).toEqual(ps(...expected));
  });

  it('needs the listings between the checked folder and the one unchecked', () => {
    expect(() => toggleFolder(p('Work/Old/deeper'), ps('Work'), new Map())).toThrow(/listing of Work/);
  });

  it('clicking twice gives the selection back', () => {
    const start = ps('Music', 'Work/Old');
    expect(toggleFolder(p('Photos'), toggleFolder(p('Photos'), start, LISTINGS), LISTINGS)).toEqual(start);
  });
});

describe('foldersToExpand', () => {
  it.each([
    { selection: null, expected: [] },
    { selection: ['Music'], expected: [] },
    { selection: ['Work/Old', 'Photos/2024/summer'], expected: ['Photos', 'Photos/2024', 'Work'] },
  ])('$selection opens $expected', ({ selection, expected }) => {
    expect(foldersToExpand(selection === null ? null : ps(...selection))).toEqual(expected);
  });
});

describe('unsyncedLooseFiles', () => {
  it.each([
    { name: 'the whole library leaves nothing out', selection: null, expected: [] },
    { name: 'top-level files stay out of any folder selection', selection: ['Music'], expected: [{ folder: '', fileCount: 1, totalBytes: 100 }] },
    {
      name: 'files beside a chosen subfolder stay out',
      selection: ['Work/Old'],
      expected: [
        { folder: '', fileCount: 1, totalBytes: 100 },
        { folder: 'Work', fileCount: 1, totalBytes: 300 },
      ],
    },
    { name: 'a fully checked folder keeps its files', selection: ['Work'], expected: [{ folder: '', fileCount: 1, totalBytes: 100 }] },
    { name: 'a mixed folder without loose files says nothing', selection: ['Photos/2024'], expected: [{ folder: '', fileCount: 1, totalBytes: 100 }] },
  ])('$name', ({ selection, expected }) => {
    expect(unsyncedLooseFiles(selection === null ? null : ps(...selection), LISTINGS)).toEqual(expected);
  });
});

describe('selectionTotals', () => {
  it.each([
    { name: 'the whole library', selection: null, expected: { fileCount: 7, totalBytes: 8520, complete: true } },
    { name: 'top-level folders', selection: ['Music', 'Work'], expected: { fileCount: 4, totalBytes: 5420, complete: true } },
    { name: 'a subfolder', selection: ['Work/Old'], expected: { fileCount: 1, totalBytes: 50, complete: true } },
    { name: 'a path not in the listings', selection: ['Music', 'Work/Old/x.txt'], expected: { fileCount: 1, totalBytes: 5000, complete: false } },
  ])('$name', ({ selection, expected }) => {
    expect(selectionTotals(selection === null ? null : ps(...selection), LISTINGS)).toEqual(expected);
  });

  it('is unknown before the top level is loaded', () => {
    expect(selectionTotals(ps('Music'), new Map())).toBeNull();
  });
});
