// Handlers of the change feed, waiting for changes, commits, history, trash, restore and
// snapshots.

import type { ChunkRef } from '../shared/model.js';
import { contentHashOf } from '../shared/node/contentHash.js';
import { CHUNK_EDIT_LIMITS, PROTOCOL_LIMITS } from '../shared/protocol/index.js';
import type { Change, ChangeResult, ChunkEdit, CommitChange, CommitResponse, Entry, Routes } from '../shared/protocol/index.js';
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

/**
 * Applies splices to a chunk list in one pass. Splices must come in list order without
 * overlapping (each starts at or after the end of what the previous one inserted); one outside
 * the list, or out of order, is a bad request.
 */
export function applyChunkEdits(base: readonly ChunkRef[], edits: readonly ChunkEdit[], where: string): ChunkRef[] {
  const chunks: ChunkRef[] = [];
  let cursor = 0; // next index of `base` not yet copied
  let shift = 0; // the edited list's length minus the base's, so far
  let earliest = 0; // smallest `at` the next splice may have
  edits.forEach((edit, index) => {
    const baseAt = edit.at - shift;
    if (edit.at < earliest) {
      throw new ApiError('bad-request', `${where}.chunkEdits.${index}: splices must be in list order and not overlap (at ${edit.at} < ${earliest})`);
    }
    if (baseAt + edit.remove > base.length) {
      throw new ApiError(
        'bad-request',
        `${where}.chunkEdits.${index}: removing ${edit.remove} chunks at ${edit.at} reaches past the end of the list (${base.length + shift} chunks)`,
      );
    }
    for (let i = cursor; i < baseAt; i += 1) chunks.push(base[i] as ChunkRef);
    for (const chunk of edit.insert) chunks.push(chunk);
    cursor = baseAt + edit.remove;
    shift += edit.insert.length - edit.remove;
    earliest = edit.at + edit.insert.length;
  });
  for (let i = cursor; i < base.length; i += 1) chunks.push(base[i] as ChunkRef);
  return chunks;
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
    const { chunks, chunkEdits, ...rest } = change;
    if (chunkEdits === undefined) {
      if (chunks === undefined) throw new ApiError('bad-request', `changes.${index}: a put needs chunks or chunkEdits`);
      resolved.push({ ...rest, chunks });
      continue;
    }
    if (change.baseRev === null) throw new ApiError('bad-request', `changes.${index}: chunkEdits need a number baseRev`);
    const base = await services.store.versions.version(library.id, change.path, change.baseRev);
    if (base === null || base.deleted || base.kind !== 'file') {
      throw new ApiError('bad-request', `changes.${index}: chunkEdits need version ${change.baseRev} of ${change.path} to be a file; send the whole chunk list`);
    }
    const rebuilt = applyChunkEdits(base.chunks, chunkEdits, `changes.${index}`);
    resolvedChunks += rebuilt.length;
    if (resolvedChunks > CHUNK_EDIT_LIMITS.maxResolvedChunksPerCommit) {
      throw new ApiError('bad-request', `the puts sent as chunkEdits rebuild more than ${CHUNK_EDIT_LIMITS.maxResolvedChunksPerCommit} chunk refs; split the commit`);
    }
    resolved.push({ ...rest, chunks: rebuilt });
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
      return { headSeq: outcome.headSeq, results: outcome.results.map(feedResult) };
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
  async changes({ services, library, query }) {
    const page = await services.store.versions.changes(library.id, query.after, query.limit);
    const last = page.items.at(-1);
    const damaged = page.hasMore ? [] : await services.store.chunks.damaged(library.id, PROTOCOL_LIMITS.maxIdsPerRequest);
    return {
      entries: page.items.map(feedEntry),
      cursor: last === undefined ? query.after : last.rev,
      headSeq: page.headSeq,
      hasMore: page.hasMore,
      ...(damaged.length === 0 ? {} : { damagedChunks: damaged }),
    };
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

  async commit({ services, library, caller, body, now }) {
    const changes = await resolvePuts(services, library, body.changes);
    checkPuts(changes);
    return commitChanges(services, library, caller, body.device ?? caller.deviceName, changes, now);
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
    const seq = query.seq ?? head;
    if (seq > head) throw new ApiError('bad-request', `seq ${seq} is beyond the library's head (${head})`);
    const page = await services.store.versions.snapshot(library.id, seq, query.after ?? null, query.limit);
    return { seq, entries: page.items, hasMore: page.hasMore };
  },
};
