// The objects a large commit makes per change share one hidden class in V8. An object built by
// a spread plus new keys gets a hidden class of its own once the code is hot (about 1 KiB
// each: 10 MiB for a 10,000-file commit); these objects are built field by field instead.
// Checked with V8's own %HaveSameMap, enabled for the one function compiled here.

import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import { applyChanges } from '../../src-server/commitRules.js';
import { wholePut } from '../../src-server/entryHandlers.js';
import type { LibraryPath } from '../../shared/paths.js';
import type { ChangeInput, CommitPut, Entry, PutChange } from '../../shared/protocol/index.js';

v8.setFlagsFromString('--allow-natives-syntax');
const sameHiddenClass = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;

const hex = (seed: number): string => (seed % 256).toString(16).padStart(2, '0').repeat(32);

/** Puts as a commit request brings them, in folders the commit creates. */
function puts(count: number): PutChange[] {
  return Array.from({ length: count }, (_, index) => {
    const change: ChangeInput = {
      op: 'put',
      path: `t${index % 10}/m${index % 5}/f${index}.bin`,
      baseRev: null,
      size: 1000 + index,
      mtimeMs: 1_700_000_000_000 + index,
      executable: false,
      chunks: [{ id: hex(index), size: 1000 + index }],
      contentHash: hex(index + 1),
    };
    return change as PutChange;
  });
}

function allShareOne(objects: readonly object[]): boolean {
  return objects.every((object) => sameHiddenClass(object, objects[0]!));
}

describe('hidden classes of a large commit', () => {
  it('the versions a commit writes share one hidden class per shape', () => {
    const empty = { head: (): Entry | null => null, liveDescendants: (): Entry[] => [] };
    const applied = applyChanges(empty, puts(3000), { firstRev: 1, userName: 'alice', device: 'pc', committedAt: 5 });
    const files = applied.versions.filter((entry) => entry.kind === 'file');
    const folders = applied.versions.filter((entry) => entry.kind === 'dir');
    expect(files).toHaveLength(3000);
    expect(folders.length).toBeGreaterThan(10);
    expect(allShareOne(files)).toBe(true);
    expect(allShareOne(folders)).toBe(true);
    expect(allShareOne(applied.results)).toBe(true);
  });

  it('the versions of a move keep their marks', () => {
    const source: Entry = { path: 'a' as LibraryPath, kind: 'file', deleted: false, rev: 1, size: 3, mtimeMs: 1, executable: false, chunks: [{ id: hex(1), size: 3 }] as Entry['chunks'], contentHash: hex(2) as Entry['contentHash'], device: 'pc', userName: 'alice', committedAt: 1 };
    const reader = { head: (path: LibraryPath): Entry | null => (path === 'a' ? source : null), liveDescendants: (): Entry[] => [] };
    const applied = applyChanges(reader, [{ op: 'move', from: 'a' as LibraryPath, to: 'b' as LibraryPath, baseRev: 1, toBaseRev: null }], { firstRev: 2, userName: 'bob', device: 'phone', committedAt: 9 });
    expect(applied.versions).toEqual([
      { ...source, path: 'b', movedFrom: 'a', rev: 2, device: 'phone', userName: 'bob', committedAt: 9 },
      { ...source, deleted: true, movedTo: 'b', rev: 3, device: 'phone', userName: 'bob', committedAt: 9 },
    ]);
  });

  it('the puts a commit request resolves share one hidden class', () => {
    const resolved = puts(3000).map((change) => wholePut(change as CommitPut, change.chunks));
    expect(allShareOne(resolved)).toBe(true);
    expect(resolved[7]).toEqual(puts(8)[7]);
  });
});
