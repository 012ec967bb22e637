// Conversions between the protocol's entries and the engine's model, in one place.

import type { Entry, PutChange } from '../../../shared/protocol/index.js';
import type { LibraryPath } from '../../../shared/paths.js';
import type { LocalEntry, Node, RemoteEntry } from '../model.js';
import type { RemoteFeedEntry } from '../planner/index.js';

/** The node a (live) protocol entry denotes. */
export function nodeOfEntry(entry: Entry): Node {
  return entry.kind === 'dir'
    ? { kind: 'dir' }
    : { kind: 'file', contentHash: entry.contentHash, size: entry.size, executable: entry.executable };
}

/** The engine's remote entry for a live protocol entry. */
export function remoteEntryOf(entry: Entry): RemoteEntry {
  return { path: entry.path, node: nodeOfEntry(entry), rev: entry.rev, mtimeMs: entry.mtimeMs, chunks: entry.chunks };
}

/** The same, keeping the move the feed reported, for the planner. */
export function feedEntryOf(entry: Entry): RemoteFeedEntry {
  const remote = remoteEntryOf(entry);
  return entry.movedFrom === undefined ? remote : { ...remote, movedFrom: entry.movedFrom };
}

/** The commit change that uploads what the scan saw at `path` (a file). */
export function putChangeOf(path: LibraryPath, local: LocalEntry, baseRev: number | null): PutChange {
  if (local.node.kind !== 'file') throw new TypeError(`putChangeOf needs a file, ${path} is a folder`);
  return {
    op: 'put',
    path,
    baseRev,
    size: local.node.size,
    mtimeMs: local.mtimeMs,
    executable: local.node.executable,
    chunks: [...local.chunks],
    contentHash: local.node.contentHash,
  };
}
