// What the daemon learns about each file a round moved, without reaching into the sync round:
// it hands the round a server client wrapped so that it sees the commit answers (what this
// device uploaded, deleted or moved on the server) and the change-feed pages (what other
// devices did, which the round then applies here), and so that transfers go at the user's
// bandwidth limits. At the end of a round the facts become activity entries.
//
// Limits of this view, stated so nobody mistakes it for more: a feed entry is reported as
// applied here once a round of the library completes, which is when the round has brought the
// disk in line with it (or turned it into a conflict, which is reported too); entries of other
// devices that share this device's name are taken for our own and not reported; folder
// creations are not reported; and the per-file byte progress of a transfer is not visible here.

import type { LibraryPath } from '../../shared/paths.js';
import { isSameOrBelow, parentPath } from '../../shared/paths.js';
import { routes } from '../../shared/protocol/index.js';
import type { ChangesResponse, CommitResponse, Entry, Frame } from '../../shared/protocol/index.js';
import type { ConflictRecord, IgnoreMatcher, LibraryRecord, ProblemRecord, RoundSummary, ServerClient } from '../engine/index.js';
import type { ActivityDraft } from './activityLog.js';
import type { BandwidthLimiter } from './bandwidthLimiter.js';
import { problemKindOf } from './syncViews.js';

/** Incoming changes kept per library until a round completes; a flood beyond this is summarized away. */
const MAX_PENDING_INCOMING = 5_000;

interface LibraryFacts {
  /** Versions this device committed in the current round. */
  committed: Entry[];
  /** Versions other devices committed, read from the feed, not yet known to be applied here. */
  incoming: Entry[];
  /** Revisions we committed and have not seen echoed in the feed yet. */
  readonly ownRevisions: Set<number>;
  /** Files deleted by another device that this device committed again (its edit won), by path. */
  readonly keptEdits: Set<LibraryPath>;
  /** The problems known at the end of the last round (kind, path, name), to report only new ones. */
  knownProblems: Set<string> | null;
}

export interface TransferLimits {
  readonly upload: BandwidthLimiter;
  readonly download: BandwidthLimiter;
}

export class RoundRecorder {
  private readonly libraries = new Map<string, LibraryFacts>();

  constructor(private readonly deviceName: () => string) {}

  /** The client a round of `libraryId` should use: observed, and paced by `limits`. */
  wrap(libraryId: string, client: ServerClient, limits: TransferLimits): ServerClient {
    const facts = this.factsOf(libraryId);
    const paced = pacedClient(client, limits);
    const call: ServerClient['call'] = async (route, options) => {
      const answer = await paced.call(route, options);
      const called: unknown = route;
      if (called === routes.commit) this.recordCommit(facts, answer as CommitResponse);
      else if (called === routes.changes) this.recordFeed(facts, answer as ChangesResponse);
      return answer;
    };
    return replaceMethods(paced, { call });
  }

  /** The library is no longer synced: forget what was recorded for it. */
  forget(libraryId: string): void {
    this.libraries.delete(libraryId);
  }

  /**
   * Turns what the round saw into activity drafts. Commits are facts on the server whatever the
   * outcome; incoming changes wait for a completed round ('synced'), since only then are they
   * applied here. Conflicts come from the summary, problems from the index (new ones only).
   */
  finishRound(
    library: LibraryRecord,
    summary: RoundSummary,
    state: { readonly ignore: IgnoreMatcher; readonly conflicts: readonly ConflictRecord[]; readonly problems: readonly ProblemRecord[] },
  ): ActivityDraft[] {
    const facts = this.factsOf(library.libraryId);
    const drafts: ActivityDraft[] = [];
    for (const draft of draftsOf(facts.committed, 'server')) {
      // A local edit that won over another device's deletion is not a plain upload.
      if (draft.kind === 'uploaded' && facts.keptEdits.delete(draft.path)) drafts.push({ kind: 'kept-edit', path: draft.path, size: draft.size });
      else drafts.push(draft);
    }
    facts.committed = [];
    facts.keptEdits.clear();
    if (summary.outcome === 'synced') {
      const selection = library.selection;
      const applicable = facts.incoming.filter((entry) => {
        if (selection !== null && !selection.some((selected) => isSameOrBelow(entry.path, selected))) return false;
        return !state.ignore.isIgnored(entry.path, entry.kind === 'dir');
      });
      facts.incoming = [];
      drafts.push(...draftsOf(applicable, 'this-device'));
    }
    for (const conflictPath of summary.conflicts) {
      const conflict = [...state.conflicts].reverse().find((candidate) => candidate.path === conflictPath || candidate.conflictPath === conflictPath);
      drafts.push({ kind: 'conflict-found', path: conflict?.path ?? conflictPath, conflictPath: conflict?.conflictPath ?? null });
    }
    for (const merged of summary.autoMerged) drafts.push({ kind: 'conflict-merged', path: merged.path, conflictPath: merged.conflictPath });
    const current = new Set<string>();
    for (const problem of state.problems) {
      const key = `${problem.kind}\u0000${problem.path}\u0000${problem.name}`;
      current.add(key);
      if (facts.knownProblems !== null && !facts.knownProblems.has(key)) drafts.push({ kind: 'problem-found', path: problem.path, message: problem.message, problemKind: problemKindOf(problem.kind) });
    }
    facts.knownProblems = current;
    return drafts;
  }

  private factsOf(libraryId: string): LibraryFacts {
    let facts = this.libraries.get(libraryId);
    if (facts === undefined) {
      facts = { committed: [], incoming: [], ownRevisions: new Set(), keptEdits: new Set(), knownProblems: null };
      this.libraries.set(libraryId, facts);
    }
    return facts;
  }

  private recordCommit(facts: LibraryFacts, answer: CommitResponse): void {
    for (const result of answer.results) {
      if (result.status !== 'applied') continue;
      facts.ownRevisions.add(result.entry.rev);
      facts.committed.push(result.entry);
      // Committing a file that another device deleted (in a feed entry not applied yet) means
      // the edit here won: that deletion never happened on this computer, so it is no activity.
      const entry = result.entry;
      if (entry.deleted || entry.kind !== 'file') continue;
      const before = facts.incoming.length;
      facts.incoming = facts.incoming.filter((incoming) => !(incoming.deleted && incoming.path === entry.path && incoming.rev < entry.rev));
      if (facts.incoming.length < before) facts.keptEdits.add(entry.path);
    }
  }

  private recordFeed(facts: LibraryFacts, page: ChangesResponse): void {
    const device = this.deviceName();
    for (const entry of page.entries) {
      // Our own commits come back through the feed, and so do the versions they imply (the
      // subtree of a moved folder): both carry our device name.
      if (facts.ownRevisions.delete(entry.rev) || entry.device === device) continue;
      facts.incoming.push(entry);
    }
    if (facts.incoming.length > MAX_PENDING_INCOMING) facts.incoming.splice(0, facts.incoming.length - MAX_PENDING_INCOMING);
  }
}

/**
 * The client with its chunk transfers paced by `limits`: every chunk's bytes are taken from the
 * limiter of its direction before they move.
 */
export function pacedClient(client: ServerClient, limits: TransferLimits): ServerClient {
  const uploadChunks: ServerClient['uploadChunks'] = (library, source) => client.uploadChunks(library, paced(source, limits.upload));
  const downloadChunks: ServerClient['downloadChunks'] = (library, ids, onChunk, allocate) =>
    client.downloadChunks(
      library,
      ids,
      async (frame) => {
        await limits.download.take(frame.bytes.length);
        await onChunk(frame);
      },
      allocate,
    );
  const putChunk: ServerClient['putChunk'] = async (library, frame) => {
    await limits.upload.take(frame.bytes.length);
    await client.putChunk(library, frame);
  };
  return replaceMethods(client, { uploadChunks, downloadChunks, putChunk });
}

/** `client` with some methods replaced; the others still run on the client itself. */
function replaceMethods(client: ServerClient, replaced: Partial<Record<keyof ServerClient, unknown>>): ServerClient {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (typeof property === 'string' && Object.hasOwn(replaced, property)) return replaced[property as keyof ServerClient];
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function* paced(source: AsyncIterable<Frame> | Iterable<Frame>, limiter: BandwidthLimiter): AsyncGenerator<Frame> {
  for await (const frame of source) {
    await limiter.take(frame.bytes.length);
    yield frame;
  }
}

/**
 * Activity drafts for versions committed in the order given. A move is one line at its new path
 * (the deleted version it leaves behind is skipped), and the contents of a moved or deleted
 * folder are summed up by the folder's own line. Folder creations are not listed.
 */
export function draftsOf(entries: readonly Entry[], side: 'server' | 'this-device'): ActivityDraft[] {
  const deletedFolders = new Set<LibraryPath>();
  const moves = new Map<LibraryPath, LibraryPath>();
  for (const entry of entries) {
    if (entry.deleted && entry.kind === 'dir' && entry.movedTo === undefined) deletedFolders.add(entry.path);
    if (!entry.deleted && entry.movedFrom !== undefined) moves.set(entry.path, entry.movedFrom);
  }
  const insideDeleted = (path: LibraryPath): boolean => {
    for (let parent = parentPath(path); parent !== ''; parent = parentPath(parent)) if (deletedFolders.has(parent)) return true;
    return false;
  };
  const insideMoved = (to: LibraryPath, from: LibraryPath): boolean => {
    const toParent = parentPath(to);
    const fromParent = parentPath(from);
    return toParent !== '' && fromParent !== '' && moves.get(toParent) === fromParent;
  };
  const drafts: ActivityDraft[] = [];
  for (const entry of entries) {
    if (entry.deleted) {
      if (entry.movedTo !== undefined || insideDeleted(entry.path)) continue;
      drafts.push({ kind: 'deleted', path: entry.path, side });
    } else if (entry.movedFrom !== undefined) {
      if (insideMoved(entry.path, entry.movedFrom)) continue;
      drafts.push({ kind: 'moved', from: entry.movedFrom, to: entry.path, side });
    } else if (entry.kind === 'file') {
      drafts.push(side === 'server' ? { kind: 'uploaded', path: entry.path, size: entry.size } : { kind: 'downloaded', path: entry.path, size: entry.size });
    }
  }
  return drafts;
}
