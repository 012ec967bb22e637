// Conversions between the protocol's entries and the engine's model, in one place.

import type { ChunkRef } from '../../../shared/model.js';
import { ChunkEditError, applyChunkEdits, chunkEditsBetween, chunkEditsWeight, clampMtimeMs } from '../../../shared/protocol/index.js';
import type { CommitPut, Entry } from '../../../shared/protocol/index.js';
import { checkLibraryPath } from '../../../shared/paths.js';
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
    if (chunkEditsWeight(chunkEdits) < local.chunks.length) return { ...put, chunkEdits };
  }
  // Field by field, not `{ ...put, chunks }`: V8 gives each object spread and then extended a
  // map of its own (slow to make, slow to read), and a first sync makes one per file.
  return { op: put.op, path, baseRev, size: put.size, mtimeMs: put.mtimeMs, executable: put.executable, contentHash: put.contentHash, chunks: [...local.chunks] };
}

/**
 * The entries with every chunk-list delta (`chunkDelta`, sent to a client that asked for them)
 * turned back into the whole list, rebuilt from this device's copy of the version it names
 * (`known`: the remote state). A version this device holds already (its own commit) takes its
 * own copy. Each rebuilt list is checked against the entry's size and content hash; null when
 * any delta cannot be resolved or rebuilds a list that disagrees: the caller then asks for the
 * whole lists, and nothing of a delta is ever recorded unchecked.
 */
export function resolveChunkDeltas(entries: readonly Entry[], known: (path: LibraryPath) => RemoteEntry | undefined): Entry[] | null {
  const resolved: Entry[] = [];
  for (const entry of entries) {
    const delta = entry.chunkDelta;
    if (delta === undefined) {
      resolved.push(entry);
      continue;
    }
    const { chunkDelta: _delta, ...rest } = entry;
    const base = known(entry.path);
    if (base === undefined || base.node.kind !== 'file') return null;
    let chunks: readonly ChunkRef[];
    if (base.rev === delta.baseRev) {
      try {
        chunks = applyChunkEdits(base.chunks, delta.edits, entry.path);
      } catch (error) {
        if (error instanceof ChunkEditError) return null;
        throw error;
      }
    } else if (base.rev === entry.rev) {
      chunks = base.chunks;
    } else {
      return null;
    }
    const whole: Entry = { ...rest, chunks: [...chunks] };
    if (entryContradiction(whole) !== undefined) return null;
    resolved.push(whole);
  }
  return resolved;
}

/**
 * The entries with every folded folder move (`movedSubtree`, sent to a client that asked for
 * them) unfolded into the versions it stands for, each rebuilt from this device's copy of the
 * version it repeats (`known`: the remote state, before this page). Null when a fold names a
 * version this device does not hold at that rev, or a path that is not canonical: the caller
 * then reads the page again without folds.
 */
export function unfoldFolderMoves(entries: readonly Entry[], known: (path: LibraryPath) => RemoteEntry | undefined): Entry[] | null {
  if (!entries.some((entry) => entry.movedSubtree !== undefined)) return [...entries];
  const unfolded: Entry[] = [];
  for (const entry of entries) {
    const subtree = entry.movedSubtree;
    if (subtree === undefined) {
      unfolded.push(entry);
      continue;
    }
    const { movedSubtree: _subtree, ...folder } = entry;
    const from = entry.movedFrom;
    if (from === undefined || entry.deleted || entry.kind !== 'dir') return null;
    unfolded.push(folder);
    const sourceOf = (relative: string, rev: number | undefined): RemoteEntry | undefined => {
      const oldPath = `${from}/${relative}`;
      if (!checkLibraryPath(oldPath).ok || !checkLibraryPath(`${entry.path}/${relative}`).ok) return undefined;
      const source = known(oldPath as LibraryPath);
      return source === undefined || (rev !== undefined && source.rev !== rev) ? undefined : source;
    };
    const committed = { device: entry.device, userName: entry.userName, committedAt: entry.committedAt };
    const sources = new Map<string, RemoteEntry>();
    for (const [relative, rev, sourceRev] of subtree.moved) {
      const source = sourceOf(relative, sourceRev);
      if (source === undefined) return null;
      sources.set(relative, source);
      unfolded.push({ ...entryOfRemote(source, `${entry.path}/${relative}` as LibraryPath, rev, false), movedFrom: source.path, ...committed });
    }
    for (const [relative, rev] of subtree.left) {
      const source = sources.get(relative);
      if (source === undefined) return null;
      unfolded.push({ ...entryOfRemote(source, source.path, rev, true), chunks: [], movedTo: `${entry.path}/${relative}` as LibraryPath, ...committed });
    }
  }
  return unfolded;
}

/** A protocol entry with a remote entry's content, at `path` and `rev` (committer fields empty). */
function entryOfRemote(source: RemoteEntry, path: LibraryPath, rev: number, deleted: boolean): Entry {
  const file = source.node.kind === 'file' ? source.node : undefined;
  return {
    path,
    kind: source.node.kind,
    deleted,
    rev,
    size: file?.size ?? 0,
    mtimeMs: source.mtimeMs,
    executable: file?.executable ?? false,
    chunks: [...source.chunks],
    contentHash: file?.contentHash ?? '',
    device: '',
    userName: '',
    committedAt: 0,
  };
}
