// Handlers of the change feed, waiting for changes, commits, history, trash, restore and
// snapshots.

import type { IncomingMessage } from 'node:http';
import { contentHashOf } from '../shared/node/contentHash.js';
import {
  CHUNK_DELTAS_HEADER,
  CHUNK_EDIT_LIMITS,
  ChunkEditError,
  FOLDER_MOVES_HEADER,
  PROTOCOL_LIMITS,
  applyChunkEdits,
  chunkEditsBetween,
  chunkEditsWeight,
} from '../shared/protocol/index.js';
import type { ChunkRef } from '../shared/model.js';
import type { Change, ChangeResult, CommitChange, CommitPut, CommitResponse, Entry, MovedSubtree, PutChange, Routes } from '../shared/protocol/index.js';
import type { LibraryPath } from '../shared/paths.js';
import { ApiError } from './apiError.js';
import { ImpliedFoldersLimitError } from './commitRules.js';
import type { Caller, Handler, ServerServices } from './router.js';
import type { LibraryAccess } from './storage/metadataStore.js';

/**
 * An entry as the change feed and commit answers send it: a deleted version without its chunk
 * list. A client never fetches the content of a deletion, and a tombstone's chunks made up most
 * of the feed after a large delete or folder move. The rest (size, contentHash, movedTo ...)
 * stays, so a client can still tell which content went away. History and trash send whole
 * entries: a restore needs the chunks.
 */
export function feedEntry(entry: Entry): Entry {
  return entry.deleted && entry.chunks.length > 0 ? { ...entry, chunks: [] } : entry;
}

/**
 * `listedAfter` of a commit answer: when the versions this commit wrote are exactly its applied
 * results (no implied parent folder, no version a move left behind), numbered up to headSeq, a
 * client whose cursor is just below them records them from the answer instead of the feed.
 */
function listedRange(headSeq: number, results: readonly ChangeResult[]): { listedAfter?: number } {
  const revs = new Set<number>();
  for (const result of results) if (result.status === 'applied') revs.add(result.entry.rev);
  const listedAfter = headSeq - revs.size;
  if (revs.size === 0 || listedAfter < 0) return {};
  for (const rev of revs) if (rev <= listedAfter || rev > headSeq) return {};
  return { listedAfter };
}

function feedResult(result: ChangeResult): ChangeResult {
  switch (result.status) {
    case 'applied':
      return { ...result, entry: feedEntry(result.entry) };
    case 'conflict':
      return { ...result, current: result.current === null ? null : feedEntry(result.current) };
    default:
      throw new Error(`unhandled change result: ${JSON.stringify(result satisfies never)}`);
  }
}

/** Files with fewer chunks than this travel whole: a delta saves too little to be worth a lookup. */
const MIN_DELTA_CHUNKS = 16;

/** Whether the client asked for chunk-list deltas (CHUNK_DELTAS_HEADER). */
function wantsChunkDeltas(request: IncomingMessage): boolean {
  return request.headers[CHUNK_DELTAS_HEADER] === '1';
}

/**
 * The entry with its chunk list as splices of `base`'s list, when that is much shorter than the
 * list; else the entry as it is. The client rebuilds and checks the list (size, contentHash).
 */
function withChunkDelta(entry: Entry, base: Entry | null): Entry {
  if (base === null || base.deleted || base.kind !== 'file' || base.rev === entry.rev) return entry;
  const edits = chunkEditsBetween(base.chunks, entry.chunks);
  if (chunkEditsWeight(edits) * 2 > entry.chunks.length) return entry;
  return { ...entry, chunks: [], chunkDelta: { baseRev: base.rev, edits } };
}

/**
 * A feed page for a client that takes deltas: each live file of many chunks that the client
 * had at another version after reading up to `after` (the version current at `after`) is sent
 * as splices of that version's list.
 */
async function feedDeltas(services: ServerServices, library: LibraryAccess, entries: readonly Entry[], after: number): Promise<Entry[]> {
  if (after === 0) return [...entries];
  const sent: Entry[] = [];
  for (const entry of entries) {
    if (entry.deleted || entry.kind !== 'file' || entry.chunks.length < MIN_DELTA_CHUNKS) {
      sent.push(entry);
      continue;
    }
    sent.push(withChunkDelta(entry, await services.store.versions.versionAt(library.id, entry.path, after)));
  }
  return sent;
}

/** Whether the client understands folded folder moves (FOLDER_MOVES_HEADER). */
function wantsFolderMoves(request: IncomingMessage): boolean {
  return request.headers[FOLDER_MOVES_HEADER] === '1';
}

/** A folded feed page reads at most this many store pages (it holds fewer entries than it read). */
const MAX_FOLDED_READS = 10;

function sameCommitter(a: Entry, b: Entry): boolean {
  return a.committedAt === b.committedAt && a.device === b.device && a.userName === b.userName;
}

/** Whether `copy` repeats `source`'s content and metadata exactly (what a move's versions do). */
function repeats(copy: Entry, source: Entry): boolean {
  if (copy.kind !== source.kind || copy.size !== source.size || copy.mtimeMs !== source.mtimeMs || copy.executable !== source.executable) return false;
  if (copy.contentHash !== source.contentHash) return false;
  if (copy.deleted) return true; // the feed sends deletions without their chunks
  if (copy.chunks.length !== source.chunks.length) return false;
  return copy.chunks.every((chunk, index) => chunk.id === source.chunks[index]?.id && chunk.size === source.chunks[index]?.size);
}

/**
 * Folds, for a client that understands it, the versions a folder move implied (the moved
 * subtree's new versions and the deleted ones left at the old paths) into the folder's own new
 * version (`movedSubtree`, see folderMoves.ts). Only versions that repeat one the client holds
 * (current at `after`, so the client read it) are folded; the client rebuilds them exactly from
 * its copy. Anything else stays a plain entry.
 */
async function foldFolderMoves(services: ServerServices, library: LibraryAccess, items: readonly Entry[], after: number): Promise<Entry[]> {
  const folded = new Set<number>();
  const subtrees = new Map<number, MovedSubtree>();
  for (const head of items) {
    if (head.deleted || head.kind !== 'dir' || head.movedFrom === undefined || folded.has(head.rev)) continue;
    const from = head.movedFrom;
    const sources = new Map((await services.store.versions.subtreeAt(library.id, from, head.rev - 1)).map((entry) => [entry.path, entry]));
    const moved: MovedSubtree['moved'] = [];
    const movedRelative = new Map<string, Entry>();
    for (const entry of items) {
      if (entry.rev <= head.rev || entry.deleted || entry.movedFrom === undefined || folded.has(entry.rev)) continue;
      if (!entry.path.startsWith(`${head.path}/`) || !sameCommitter(entry, head)) continue;
      const relative = entry.path.slice(head.path.length + 1);
      if (entry.movedFrom !== `${from}/${relative}`) continue;
      const source = sources.get(entry.movedFrom as LibraryPath);
      if (source === undefined || source.rev > after || !repeats(entry, source)) continue;
      moved.push([relative, entry.rev, source.rev]);
      movedRelative.set(relative, source);
      folded.add(entry.rev);
    }
    if (moved.length === 0) continue;
    const left: MovedSubtree['left'] = [];
    for (const entry of items) {
      if (!entry.deleted || entry.movedTo === undefined || folded.has(entry.rev) || !entry.path.startsWith(`${from}/`)) continue;
      const relative = entry.path.slice(from.length + 1);
      const source = movedRelative.get(relative);
      if (source === undefined || entry.movedTo !== `${head.path}/${relative}` || !sameCommitter(entry, head) || !repeats(entry, source)) continue;
      left.push([relative, entry.rev]);
      folded.add(entry.rev);
    }
    subtrees.set(head.rev, { moved, left });
  }
  if (subtrees.size === 0) return [...items];
  return items.filter((entry) => !folded.has(entry.rev)).map((entry) => {
    const movedSubtree = subtrees.get(entry.rev);
    return movedSubtree === undefined ? entry : { ...entry, movedSubtree };
  });
}

/**
 * The latest versions changed after `after`, as the feed sends them: with folder moves folded
 * when the client asks (reading on, a few store pages at most, while the folded page is shorter
 * than `limit`), then with chunk-list deltas when it asks.
 */
async function feedPage(
  services: ServerServices,
  library: LibraryAccess,
  query: { after: number; limit: number },
  request: IncomingMessage,
): Promise<{ entries: Entry[]; cursor: number; headSeq: number; hasMore: boolean }> {
  const page = await services.store.versions.changes(library.id, query.after, query.limit);
  let items = page.items;
  let { hasMore, headSeq } = page;
  let entries: Entry[] = items;
  if (wantsFolderMoves(request)) {
    entries = await foldFolderMoves(services, library, items, query.after);
    for (let reads = 1; hasMore && entries.length < query.limit && reads < MAX_FOLDED_READS && items.length > 0; reads++) {
      const next = await services.store.versions.changes(library.id, items.at(-1)!.rev, query.limit);
      items = [...items, ...next.items];
      ({ hasMore, headSeq } = next);
      entries = await foldFolderMoves(services, library, items, query.after);
    }
  }
  if (wantsChunkDeltas(request)) entries = await feedDeltas(services, library, entries, query.after);
  const last = items.at(-1);
  return { entries: entries.map(feedEntry), cursor: last === undefined ? query.after : last.rev, headSeq, hasMore };
}

/**
 * A commit answer for a client that takes deltas: a put it sent as chunkEdits comes back with
 * the same splices of its base version's list (the list the client edited), not the whole list.
 */
function commitDeltas(answer: CommitResponse, changes: readonly CommitChange[]): CommitResponse {
  return {
    ...answer,
    results: answer.results.map((result) => {
      const change = changes[result.index];
      if (result.status !== 'applied' || change?.op !== 'put' || change.chunkEdits === undefined || change.baseRev === null) return result;
      const entry = result.entry;
      if (entry.deleted || entry.kind !== 'file' || chunkEditsWeight(change.chunkEdits) >= entry.chunks.length) return result;
      return { ...result, entry: { ...entry, chunks: [], chunkDelta: { baseRev: change.baseRev, edits: change.chunkEdits } } };
    }),
  };
}

/**
 * The put with its whole chunk list, built field by field: a spread plus a new key would give
 * every put a hidden class of its own in V8 (about 1 KiB each; see CommitView.write).
 */
export function wholePut(change: CommitPut, chunks: ChunkRef[]): PutChange {
  const { op, path, baseRev, size, mtimeMs, executable, contentHash } = change;
  return { op, path, baseRev, size, mtimeMs, executable, chunks, contentHash };
}

/**
 * Turns each put sent as chunkEdits into a put with its whole chunk list, rebuilt from the
 * stored chunk list of exactly version baseRev of the same path. Versions never change once
 * written, so the rebuilt list is right even if baseRev stops being the latest before the
 * commit applies; the commit then answers the usual stale-base conflict. A baseRev that is not
 * a live file version of that path cannot be edited: the whole commit is a bad request.
 */
async function resolvePuts(services: ServerServices, library: LibraryAccess, changes: readonly CommitChange[]): Promise<Change[]> {
  let resolvedChunks = 0;
  const resolved: Change[] = [];
  for (const [index, change] of changes.entries()) {
    if (change.op !== 'put') {
      resolved.push(change);
      continue;
    }
    const { chunks, chunkEdits } = change;
    if (chunkEdits === undefined) {
      if (chunks === undefined) throw new ApiError('bad-request', `changes.${index}: a put needs chunks or chunkEdits`);
      // A put without a chunkEdits key already is a whole put (the fast path's output); kept, not copied.
      resolved.push('chunkEdits' in change ? wholePut(change, chunks) : (change as PutChange));
      continue;
    }
    if (change.baseRev === null) throw new ApiError('bad-request', `changes.${index}: chunkEdits need a number baseRev`);
    const base = await services.store.versions.version(library.id, change.path, change.baseRev);
    if (base === null || base.deleted || base.kind !== 'file') {
      throw new ApiError('bad-request', `changes.${index}: chunkEdits need version ${change.baseRev} of ${change.path} to be a file; send the whole chunk list`);
    }
    let rebuilt;
    try {
      rebuilt = applyChunkEdits(base.chunks, chunkEdits, `changes.${index}`);
    } catch (error) {
      if (error instanceof ChunkEditError) throw new ApiError('bad-request', error.message);
      throw error;
    }
    resolvedChunks += rebuilt.length;
    if (resolvedChunks > CHUNK_EDIT_LIMITS.maxResolvedChunksPerCommit) {
      throw new ApiError('bad-request', `the puts sent as chunkEdits rebuild more than ${CHUNK_EDIT_LIMITS.maxResolvedChunksPerCommit} chunk refs; split the commit`);
    }
    resolved.push(wholePut(change, rebuilt));
  }
  return resolved;
}

/** Checks what the schemas cannot: each put's size and content hash against its chunk list. */
function checkPuts(changes: readonly Change[]): void {
  changes.forEach((change, index) => {
    if (change.op !== 'put') return;
    const total = change.chunks.reduce((sum, chunk) => sum + chunk.size, 0);
    if (total !== change.size) {
      throw new ApiError('bad-request', `changes.${index}: size ${change.size} differs from the sum of its chunk sizes (${total})`);
    }
    if (contentHashOf(change.chunks) !== change.contentHash) {
      throw new ApiError('bad-request', `changes.${index}: contentHash is not the SHA-256 of the concatenated chunk ids`);
    }
  });
}

/** Commits validated changes and tells waiting clients; refusals become errors. */
async function commitChanges(
  services: ServerServices,
  library: LibraryAccess,
  caller: Caller,
  device: string,
  changes: readonly Change[],
  now: number,
): Promise<CommitResponse> {
  let outcome;
  try {
    outcome = await services.store.versions.commit({
      libraryId: library.id,
      userId: caller.userId,
      userName: caller.userName,
      device,
      committedAt: now,
      changes,
    });
  } catch (error) {
    if (error instanceof ImpliedFoldersLimitError) throw new ApiError('bad-request', error.message, { limit: error.limit });
    throw error;
  }
  switch (outcome.kind) {
    case 'missing-chunks':
      throw new ApiError('missing-chunks', `the library lacks ${outcome.missing.length} chunks this commit names: upload them, then commit again`, {
        missing: outcome.missing,
      });
    case 'chunk-size-mismatch':
      throw new ApiError(
        'bad-request',
        `chunk ${outcome.chunkId} is ${outcome.stored} bytes, but the commit says ${outcome.claimed}; nothing was committed`,
      );
    case 'quota-exceeded':
      throw new ApiError(
        'quota-exceeded',
        `the library owner's storage is full: ${outcome.usedBytes} of ${outcome.quotaBytes} bytes used, and this commit adds ${outcome.addedBytes}; nothing was committed`,
        { usedBytes: outcome.usedBytes, quotaBytes: outcome.quotaBytes, addedBytes: outcome.addedBytes },
      );
    case 'committed':
      if (outcome.results.some((result) => result.status === 'applied')) {
        services.notifier.publish({ kind: 'commit', libraryId: library.id, headSeq: outcome.headSeq });
      }
      return { headSeq: outcome.headSeq, results: outcome.results.map(feedResult), ...listedRange(outcome.headSeq, outcome.results) };
    default:
      throw new Error(`unhandled commit outcome: ${JSON.stringify(outcome satisfies never)}`);
  }
}

/**
 * Resolves with the library's head once it exceeds `after`, or at the timeout, or when the
 * client leaves or the server shuts down. Subscribes before reading the head, so a commit
 * between the read and the wait cannot be missed.
 */
async function waitForHead(services: ServerServices, library: LibraryAccess, after: number, timeoutMs: number, signal: AbortSignal): Promise<number> {
  let resolveWait: () => void = () => {};
  const woken = new Promise<void>((resolve) => {
    resolveWait = resolve;
  });
  const unsubscribe = services.notifier.subscribe((event) => {
    if (event.kind === 'commit' && event.libraryId === library.id && event.headSeq > after) resolveWait();
  });
  const unregister = services.onShutdown(resolveWait);
  const timer = setTimeout(resolveWait, timeoutMs);
  signal.addEventListener('abort', resolveWait);
  try {
    if ((await services.store.versions.headSeq(library.id)) <= after) await woken;
    return await services.store.versions.headSeq(library.id);
  } finally {
    clearTimeout(timer);
    unsubscribe();
    unregister();
    signal.removeEventListener('abort', resolveWait);
  }
}

type EntryHandlerName = 'changes' | 'waitForChanges' | 'commit' | 'history' | 'trash' | 'restore' | 'snapshot';

export const entryHandlers: { readonly [Name in EntryHandlerName]: Handler<Routes[Name]> } = {
  async changes({ services, library, query, request }) {
    const page = await feedPage(services, library, query, request);
    const damaged = page.hasMore ? [] : await services.store.chunks.damaged(library.id, PROTOCOL_LIMITS.maxIdsPerRequest);
    return { ...page, ...(damaged.length === 0 ? {} : { damagedChunks: damaged }) };
  },

  async waitForChanges({ services, library, query, response }) {
    const aborted = new AbortController();
    const onClose = () => aborted.abort();
    response.once('close', onClose);
    try {
      return { headSeq: await waitForHead(services, library, query.after, query.timeoutMs, aborted.signal) };
    } finally {
      response.off('close', onClose);
    }
  },

  async commit({ services, library, caller, body, now, request }) {
    const changes = await resolvePuts(services, library, body.changes);
    checkPuts(changes);
    const answer = await commitChanges(services, library, caller, body.device ?? caller.deviceName, changes, now);
    return wantsChunkDeltas(request) ? commitDeltas(answer, body.changes) : answer;
  },

  async history({ services, library, query }) {
    return { versions: await services.store.versions.history(library.id, query.path) };
  },

  async trash({ services, library, query }) {
    const page = await services.store.versions.trash(library.id, query.after ?? null, query.limit);
    return { items: page.items.map((item) => ({ path: item.deleted.path, ...item })), hasMore: page.hasMore };
  },

  async restore({ services, library, caller, body, now }) {
    const source = await services.store.versions.version(library.id, body.path, body.rev);
    if (source === null) throw new ApiError('not-found', `${body.path} has no version ${body.rev}`);
    if (source.deleted) throw new ApiError('bad-request', `version ${body.rev} of ${body.path} is a deletion; restore the version before it`);
    const changes: Change[] = [
      source.kind === 'file'
        ? { op: 'put', path: source.path, baseRev: body.baseRev, size: source.size, mtimeMs: source.mtimeMs, executable: source.executable, chunks: source.chunks, contentHash: source.contentHash }
        : { op: 'mkdir', path: source.path, baseRev: body.baseRev },
    ];
    const current = await services.store.versions.head(library.id, body.path);
    if (source.kind === 'dir' && current !== null && current.deleted) {
      // Bring back what the folder held just before the commit that deleted it, except the
      // paths that exist again now (their new content wins; nothing is overwritten).
      const start = await services.store.versions.commitStart(library.id, current.rev);
      const subtree = start === null ? [] : await services.store.versions.subtreeAt(library.id, body.path, start - 1);
      for (const entry of subtree) {
        const existing = await services.store.versions.head(library.id, entry.path);
        if (existing !== null && !existing.deleted) continue;
        changes.push(
          entry.kind === 'file'
            ? { op: 'put', path: entry.path, baseRev: null, size: entry.size, mtimeMs: entry.mtimeMs, executable: entry.executable, chunks: entry.chunks, contentHash: entry.contentHash }
            : { op: 'mkdir', path: entry.path, baseRev: null },
        );
      }
    }
    return commitChanges(services, library, caller, caller.deviceName, changes, now);
  },

  async snapshot({ services, library, query }) {
    const head = await services.store.versions.headSeq(library.id);
    if (query.seq !== undefined && query.at !== undefined) throw new ApiError('bad-request', 'give seq or at, not both');
    // A commit that lands between the two reads is left out: the seq never passes the head read first.
    const seq = query.at === undefined ? (query.seq ?? head) : Math.min(head, await services.store.versions.seqAt(library.id, query.at));
    if (seq > head) throw new ApiError('bad-request', `seq ${seq} is beyond the library's head (${head})`);
    const page = await services.store.versions.snapshot(library.id, seq, query.after ?? null, query.limit);
    return { seq, entries: page.items, hasMore: page.hasMore };
  },
};
