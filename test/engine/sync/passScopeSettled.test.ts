// passScope.isSettled with many touched paths (a first sync): the index's one-query check of
// the whole library answers first, and the three states are read only when it says no.

import { describe, expect, it } from 'vitest';
import type { Index } from '../../../src-main/engine/indexStore/index.js';
import { isSettled } from '../../../src-main/engine/sync/passScope.js';
import { type LibraryPath, parseLibraryPath } from '../../../shared/paths.js';

const LIBRARY = 'library-1';
const paths: LibraryPath[] = Array.from({ length: 300 }, (_, i) => parseLibraryPath(`folder/file ${i}.txt`));

function file(contentHash: string) {
  return { kind: 'file' as const, contentHash, size: 10, executable: false };
}

/** A fake index: `wholeLibrarySettled` is its SQL answer; the states hold each path settled, but `differs` edited locally. */
function fakeIndex(wholeLibrarySettled: boolean, differs?: LibraryPath): { index: Index; loads: number } {
  const counter = { index: undefined as unknown as Index, loads: 0 };
  const state = (side: 'local' | 'synced' | 'remote') => ({
    load: () => {
      counter.loads += 1;
      return new Map(paths.map((entryPath) => [entryPath, { path: entryPath, node: file(side === 'local' && entryPath === differs ? 'edited' : 'same'), rev: 7, inode: 42 }]));
    },
  });
  counter.index = { isSettled: () => wholeLibrarySettled, local: state('local'), synced: state('synced'), remote: state('remote') } as unknown as Index;
  return counter;
}

describe('isSettled after a pass that touched many paths', () => {
  it('takes the index’s answer for the whole library without reading the states', () => {
    const fake = fakeIndex(true);
    expect(isSettled(fake.index, LIBRARY, paths)).toBe(true);
    expect(fake.loads).toBe(0);
  });

  it('checks the touched paths in the states when the whole library is not settled', () => {
    const settledHere = fakeIndex(false);
    expect(isSettled(settledHere.index, LIBRARY, paths)).toBe(true);
    expect(settledHere.loads).toBe(3);
    const editedHere = fakeIndex(false, paths[123]);
    expect(isSettled(editedHere.index, LIBRARY, paths)).toBe(false);
  });
});
