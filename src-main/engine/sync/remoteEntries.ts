// Conversions between the protocol's entries and the engine's model, in one place.

import type { ChunkRef } from '../../../shared/model.js';
import { clampMtimeMs } from '../../../shared/protocol/index.js';
import type { ChunkEdit, CommitPut, Entry } from '../../../shared/protocol/index.js';
import type { LibraryPath } from '../../../shared/paths.js';
import { contentHashOf } from '../../../shared/node/contentHash.js';
import { RemoteError } from '../remote/remoteError.js';
import type { LocalEntry, Node, RemoteEntry } from '../syncModel.js';
import type { RemoteFeedEntry } from '../planner/index.js';

/**
 * Why a file version from the server contradicts its own chunk list (its size is not the sum
 * of its chunks' sizes, or its content hash is not the hash over its chunk ids), or undefined
 * when it does not. An honest server refuses such a commit, so only a broken or lying one
 * sends it; recording it would make this device believe it holds content it does not.
 */
export function entryContradiction(entry: Entry): string | undefined {
  if (entry.deleted || entry.kind !== 'file') return undefined;
  const total = entry.chunks.reduce((sum, chunk) => sum + chunk.size, 0);
  if (total !== entry.size) return `its size is ${entry.size} bytes but its chunks add up to ${total}`;
  const contentHash = contentHashOf(entry.chunks);
  if (contentHash !== entry.contentHash) return `its content hash is ${entry.contentHash} but its chunks hash to ${contentHash}`;
  return undefined;
}

/** Throws unless every entry agrees with its own chunk list (see entryContradiction); nothing of them is recorded then. */
export function checkEntries(entries: readonly Entry[]): void {
  for (const entry of entries) {
    const contradiction = entryContradiction(entry);
    if (contradiction !== undefined) {
      throw new RemoteError(
        'unavailable',
        `the server sent version ${entry.rev} of "${entry.path}", and ${contradiction}; nothing of that answer was recorded`,
        200,
        undefined,
        'not-cairn',
      );
    }
  }
}

/** The node a (live) protocol entry denotes. */
export function nodeOfEntry(entry: Entry): Node {
  return entry.kind === 'dir'
    ? { kind: 'dir' }
    : { kind: 'file', contentHash: entry.contentHash, size: entry.size, executable: entry.executable };
}

/**
 * The engine's remote entry for a live protocol entry. Its time is brought into the range a
 * commit may carry: a library can hold times from before the server checked them (1e308 once
 * made every other client fail to write the file, round after round).
 */
export function remoteEntryOf(entry: Entry): RemoteEntry {
  return { path: entry.path, node: nodeOfEntry(entry), rev: entry.rev, mtimeMs: clampMtimeMs(entry.mtimeMs), chunks: entry.chunks };
}

/** The same, keeping the move the feed reported, for the planner. */
export function feedEntryOf(entry: Entry): RemoteFeedEntry {
  const remote = remoteEntryOf(entry);
  return entry.movedFrom === undefined ? remote : { ...remote, movedFrom: entry.movedFrom };
}

/**
 * The splices turning `base` into `next`: the common prefix and suffix stay, the middle is
 * replaced. One splice is what an edit in place produces with content-defined chunking (only
 * the chunks around the edit change); none when the lists are equal.
 */
export function chunkEditsBetween(base: readonly ChunkRef[], next: readonly ChunkRef[]): ChunkEdit[] {
  const same = (a: ChunkRef | undefined, b: ChunkRef | undefined) => a !== undefined && b !== undefined && a.id === b.id && a.size === b.size;
  let prefix = 0;
  while (prefix < base.length && prefix < next.length && same(base[prefix], next[prefix])) prefix += 1;
  let suffix = 0;
  const room = Math.min(base.length, next.length) - prefix;
  while (suffix < room && same(base[base.length - 1 - suffix], next[next.length - 1 - suffix])) suffix += 1;
  if (prefix === base.length && prefix === next.length) return [];
  return [{ at: prefix, remove: base.length - prefix - suffix, insert: next.slice(prefix, next.length - suffix) }];
}

/**
 * The commit change that uploads what the scan saw at `path` (a file). Given the chunk list of
 * version `baseRev` (what this device last synced there), it sends only the splices from that
 * list when they are shorter than the whole list; the server rebuilds and checks the whole.
 */
export function putChangeOf(path: LibraryPath, local: LocalEntry, baseRev: number | null, baseChunks?: readonly ChunkRef[]): CommitPut {
  if (local.node.kind !== 'file') throw new TypeError(`putChangeOf needs a file, ${path} is a folder`);
  const put = {
    op: 'put' as const,
    path,
    baseRev,
    size: local.node.size,
    // A file dated before 1970 (or after 9999) is sent at the edge of the range the server
    // takes; its own time on this disk stays as it is.
    mtimeMs: clampMtimeMs(local.mtimeMs),
    executable: local.node.executable,
    contentHash: local.node.contentHash,
  };
  if (baseRev !== null && baseChunks !== undefined) {
    const chunkEdits = chunkEditsBetween(baseChunks, local.chunks);
    const sent = chunkEdits.reduce((sum, edit) => sum + edit.insert.length + 1, 0);
    if (sent < local.chunks.length) return { ...put, chunkEdits };
  }
  return { ...put, chunks: [...local.chunks] };
}
