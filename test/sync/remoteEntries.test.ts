// Rebuilding what the server sent as deltas and folds, from this device's own copies: exact when
// the copies are the versions named, null (read the page whole) in every other case.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ChunkRef } from '../../shared/model.js';
import type { LibraryPath } from '../../shared/paths.js';
import { chunkEditsBetween } from '../../shared/protocol/index.js';
import type { Entry } from '../../shared/protocol/index.js';
import { contentHashOf } from '../../shared/node/contentHash.js';
import { remoteEntryOf, resolveChunkDeltas, unfoldFolderMoves } from '../../src-main/engine/sync/remoteEntries.js';
import type { RemoteEntry } from '../../src-main/engine/syncModel.js';

const ref = (n: number): ChunkRef => ({ id: createHash('sha256').update(String(n)).digest('hex'), size: 1000 + n });
const list = (...ns: number[]): ChunkRef[] => ns.map(ref);
const p = (text: string) => text as LibraryPath;

function file(path: string, rev: number, chunks: ChunkRef[], extra: Partial<Entry> = {}): Entry {
  return {
    path: p(path),
    kind: 'file',
    deleted: false,
    rev,
    size: chunks.reduce((sum, chunk) => sum + chunk.size, 0),
    mtimeMs: 1_700_000_000_000,
    executable: false,
    chunks,
    contentHash: contentHashOf(chunks),
    device: 'laptop',
    userName: 'alice',
    committedAt: 1_700_000_000_500,
    ...extra,
  };
}

function knownFrom(...entries: Entry[]): (path: LibraryPath) => RemoteEntry | undefined {
  const map = new Map(entries.map((entry) => [entry.path, remoteEntryOf(entry)]));
  return (path) => map.get(path);
}

describe('resolveChunkDeltas', () => {
  const base = file('big', 5, list(1, 2, 3, 4, 5, 6));
  const next = list(1, 2, 9, 10, 4, 5, 6);
  const sent = (baseRev = 5): Entry => ({ ...file('big', 8, next), chunks: [], chunkDelta: { baseRev, edits: chunkEditsBetween(base.chunks, next) } });

  it('rebuilds the whole list from the version named', () => {
    const [entry] = resolveChunkDeltas([sent()], knownFrom(base))!;
    expect(entry?.chunks).toEqual(next);
    expect(entry?.chunkDelta).toBeUndefined();
  });

  it('takes its own copy when it already holds the version itself', () => {
    const own = file('big', 8, next);
    expect(resolveChunkDeltas([sent()], knownFrom(own))![0]?.chunks).toEqual(next);
  });

  it('gives up when it holds another version, none, or a copy that rebuilds a contradicting list', () => {
    expect(resolveChunkDeltas([sent(4)], knownFrom(base))).toBeNull();
    expect(resolveChunkDeltas([sent()], knownFrom())).toBeNull();
    const spoiled = { ...base, chunks: list(1, 2, 3, 4, 5, 7) };
    expect(resolveChunkDeltas([sent()], knownFrom(spoiled))).toBeNull();
    const short = file('big', 5, list(1, 2));
    expect(resolveChunkDeltas([sent()], knownFrom(short))).toBeNull();
  });

  it('leaves entries without a delta as they are', () => {
    const plain = file('other', 3, list(7));
    expect(resolveChunkDeltas([plain], knownFrom())).toEqual([plain]);
  });
});

describe('unfoldFolderMoves', () => {
  const before = [
    file('old/a.txt', 2, list(1)),
    { ...file('old/sub', 3, []), kind: 'dir' as const, size: 0, contentHash: '' },
    file('old/sub/b.txt', 4, list(2, 3), { executable: true }),
  ];
  const folder: Entry = {
    ...file('new', 10, []),
    kind: 'dir',
    size: 0,
    contentHash: '',
    movedFrom: p('old'),
    device: 'desktop',
    committedAt: 1_700_000_009_000,
    movedSubtree: {
      moved: [
        ['a.txt', 11, 2],
        ['sub', 12, 3],
        ['sub/b.txt', 13, 4],
      ],
      left: [
        ['sub/b.txt', 14],
        ['sub', 15],
        ['a.txt', 16],
      ],
    },
  };

  it('rebuilds every moved and left version exactly', () => {
    const entries = unfoldFolderMoves([folder], knownFrom(...before))!;
    expect(entries.map((entry) => [entry.path, entry.rev, entry.deleted, entry.movedFrom ?? entry.movedTo ?? null])).toEqual([
      ['new', 10, false, 'old'],
      ['new/a.txt', 11, false, 'old/a.txt'],
      ['new/sub', 12, false, 'old/sub'],
      ['new/sub/b.txt', 13, false, 'old/sub/b.txt'],
      ['old/sub/b.txt', 14, true, 'new/sub/b.txt'],
      ['old/sub', 15, true, 'new/sub'],
      ['old/a.txt', 16, true, 'new/a.txt'],
    ]);
    const moved = entries.find((entry) => entry.path === 'new/sub/b.txt')!;
    expect(moved).toMatchObject({ chunks: list(2, 3), executable: true, contentHash: before[2]!.contentHash, device: 'desktop', committedAt: 1_700_000_009_000 });
    expect(entries[0]?.movedSubtree).toBeUndefined();
  });

  it('gives up when a version it names is not the one held, or a path is not canonical', () => {
    expect(unfoldFolderMoves([folder], knownFrom(before[0]!, before[1]!, { ...before[2]!, rev: 5 }))).toBeNull();
    expect(unfoldFolderMoves([folder], knownFrom(before[0]!, before[1]!))).toBeNull();
    const dotted = { ...folder, movedSubtree: { moved: [['../a.txt', 11, 2] as [string, number, number]], left: [] } };
    expect(unfoldFolderMoves([dotted], knownFrom(...before))).toBeNull();
    const leftAlone = { ...folder, movedSubtree: { moved: [], left: [['a.txt', 16] as [string, number]] } };
    expect(unfoldFolderMoves([leftAlone], knownFrom(...before))).toBeNull();
  });
});
