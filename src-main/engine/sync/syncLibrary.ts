// One sync round of one library: pull the change feed, scan the disk, plan, run the plan, and
// repeat until the plan is empty. This is the only place where the index, the disk and the
// server meet.
//
// Crash safety comes from ordering, not from bookkeeping of work in progress: the index holds
// observations (remote, local, synced) and every step below first changes the world, then
// records what it observed. A crash between the two leaves an observation that is stale, and
// the next round's pull and scan replace it with the truth; the planner then sees both sides
// equal (recordSynced) or plans the step again, which is safe because every step re-checks what
// it expects (baseRev on the server, the scanned stat on disk) before acting.

import path from 'node:path';
import { boundedBatches } from '../../../shared/batches.js';
import type { ChunkId, ChunkRef, ChunkingParams } from '../../../shared/model.js';
import type { LibraryPath } from '../../../shared/paths.js';
import { isSameOrBelow, parentPath, rebasePath } from '../../../shared/paths.js';
import { PROTOCOL_LIMITS, quotaExceededDetailsSchema, routes } from '../../../shared/protocol/index.js';
import type { ChangeResult, ChangesResponse, CommitChangeInput, CommitResponse, Entry, Library } from '../../../shared/protocol/index.js';
import { SequentialChunkReads, readChunk } from '../chunker/index.js';
import type { ScannedStat } from '../chunker/index.js';
import { IGNORE_FILE_NAME, createIgnoreMatcher } from '../ignore/index.js';
import type { IgnoreMatcher } from '../ignore/index.js';
import { SCAN_PROBLEM_KINDS } from '../scanner/index.js';
import type { EntryTable, Index, LibraryRecord, LibraryState, ProblemInput } from '../indexStore/index.js';
import {
  CheckedFolders,
  checkLocalPath,
  cleanupTempFiles,
  deleteFileIfUnchanged,
  deleteFolderIfEmpty,
  expectationFromLocalEntry,
  isStrayTemp,
  isTempFileName,
  moveIfUnchanged,
  partialFileName,
  removeLeftoverTempFile,
  removeStrayTempFile,
  writeFileAtomic,
  PATH_REFUSED_CODES,
  writeFilesAtomic,
} from '../localfs/index.js';
import type { FileToWrite } from '../localfs/index.js';
import { fsErrorCode } from '../../../shared/node/fsErrorCode.js';
import { sameContent } from '../syncModel.js';
import type { LocalEntry, RemoteEntry, SyncedEntry } from '../syncModel.js';
import { planLibrary, unhandledCase } from '../planner/index.js';
import type { PlanAction, RemoteFeedEntry } from '../planner/index.js';
import { mapLookup, planNeighbourhood } from './planNeighbourhood.js';
import type { StateLookup } from './planNeighbourhood.js';
import { RemoteError, isRemoteError } from '../remote/remoteError.js';
import type { ServerClient } from '../remote/serverClient.js';
import { ChunkSource, type GroupChunks } from './chunkSource.js';
import type { PatchBase } from './chunkSource.js';
import { pairWithBases, uploadAsPatches } from './chunkPatching.js';
import type { PatchUpload } from './chunkPatching.js';
import { EarlyUpload } from './earlyUpload.js';
import { KeptChunks } from './keptChunks.js';
import { FileProgressMeter } from './fileProgressMeter.js';
import type { FileTransfer } from './fileProgressMeter.js';
import { emptySummary } from './roundSummary.js';
import type { FileProgress, RoundProgress, RoundSummary } from './roundSummary.js';
import { checkEntries, feedEntryOf, putChangeOf, resolveChunkDeltas, unfoldFolderMoves } from './remoteEntries.js';
import { RoundTransfers } from './roundTransfers.js';
import { foldersChangedBy, impliedByOwnMove, isSettled, ownMovesOf, recordOwnMoveRevs, refreshFolders, touchedPaths } from './passScope.js';
import type { OwnMove } from './passScope.js';
import type { TalliedFile } from './roundTransfers.js';
import type { LocalScanner } from './localScanner.js';

export interface SyncDependencies {
  readonly index: Index;
  readonly client: ServerClient;
  readonly deviceName: string;
  readonly scanner: LocalScanner;
  readonly now?: () => Date;
  readonly platform?: NodeJS.Platform;
  /** Circuit breaker: a pass that would delete more than this many files pauses the library. */
  readonly maxDeletes?: number;
  readonly onProgress?: (progress: RoundProgress) => void;
  /** Per-file transfer progress, thinned out (see fileProgressMeter.ts). */
  readonly onFileProgress?: (progress: FileProgress) => void;
  /**
   * What to scan: 'all' (the default) walks the whole folder; a list scans only those paths
   * (what a watcher reported) and trusts the rest of the last scan; an empty list scans
   * nothing (a remote change only). Trusting an older scan is safe: every action re-checks the
   * disk before it touches anything.
   */
  readonly scope?: readonly LibraryPath[] | 'all';
  /**
   * Aborting it stops the round within moments (the user paused): requests in flight are
   * aborted (the client must be tied to it too, see ServerClient.withSignal), no further action
   * starts, and the round ends as 'paused'. What arrived is kept: uploaded batches of chunks
   * stay on the server, a large download stays in its partial file, and every action already
   * done is recorded; the next round carries on from there.
   */
  readonly signal?: AbortSignal;
  /**
   * Set for a library's first round in this process: a scan of the whole folder also removes the
   * temp files a crash may have left (what cleanupTempFiles does, without a walk of its own), and
   * calls `done` once it did. A round that never scans the whole folder leaves that to the next.
   */
  readonly leftoverTemps?: { readonly done: () => void };
  /** Told the library as the server describes it, each time the round asks (at its start, see refreshRole). */
  readonly onLibrary?: (library: Library) => void;
  /**
   * Whether the round may block its thread on quick file-system calls (a one-shot command, not
   * the daemon): groups of small downloads are then written with synchronous calls (see
   * writeFilesAtomic's `onThisThread`).
   */
  readonly writeOnThisThread?: boolean;
}

/** Actions that change this disk: the library is 'applying' while they run (downloads say so themselves). */
const LOCAL_ACTIONS: ReadonlySet<PlanAction['kind']> = new Set(['moveLocal', 'deleteLocal', 'mkdirLocal', 'download', 'conflict']);
/** A plan is run at most this many times per round; each pass re-pulls and re-scans. */
const MAX_PASSES = 8;
/** Commits of one round refused for missing chunks before the round gives up (see commit()). */
const MAX_MISSING_CHUNK_ANSWERS = 4;
const DEFAULT_MAX_DELETES = 100;
/**
 * Small downloads travel in groups of at most this many files and bytes (see downloadGroups);
 * the next group's chunks arrive while a group is made durable, so two groups' chunks may be held.
 */
export const DOWNLOAD_GROUP_FILES = 512;
export const DOWNLOAD_GROUP_BYTES = 16 * 1024 * 1024;
/**
 * Changes per commit request (the protocol allows up to PROTOCOL_LIMITS.maxChangesPerCommit).
 * A first sync of 10,000 files sent them in one request: its body, its answer's text and the
 * answer's 10,000 parsed entries were all held at once, on both sides. In batches of this many
 * the client's peak heap through the commit is ~15 MiB lower, for one more fsync on the server
 * per batch.
 */
export const COMMIT_BATCH_CHANGES = 2000;
/** Files of a group written at once: their fsyncs overlap on the thread pool. */
const DOWNLOAD_CONCURRENCY = 8;
/**
 * The scan keeps the bytes of small files it reads (see KeptChunks) up to this much, so that
 * the upload need not read them again; files up to KEPT_FILE_BYTES each.
 */
const KEPT_BYTES = 64 * 1024 * 1024;
const KEPT_FILE_BYTES = 256 * 1024;
/** An upload reads the chunks of small files it was not given by the scan this many at once. */
const UPLOAD_READ_AHEAD = 8;
/** Records of large downloads written in one transaction (see downloadAll). */
const LARGE_RECORDS_AT_ONCE = 8;
/** Downloads at least this large are resumable (see writeFileAtomic's partial option). */
const RESUMABLE_DOWNLOAD_BYTES = 8 * 1024 * 1024;
/**
 * An empty library folder whose merge base held at least this many entries pauses the library
 * (an unmounted disk or a wiped folder); emptying a tiny library is an ordinary act.
 */
const EMPTIED_MIN_ENTRIES = 10;
/** A pass deleting more than half of the synced files pauses too, once the library has this many. */
const HALF_RULE_MIN_FILES = 20;

interface DownloadJob {
  readonly path: LibraryPath;
  readonly remote: RemoteEntry;
  readonly expectLocal: LocalEntry | undefined;
}

interface DownloadRecord {
  readonly path: LibraryPath;
  readonly remote: RemoteEntry;
  readonly inode: number;
  readonly mtimeMs: number;
  readonly size: number;
}

/**
 * Counts a piece once the writer asks for the next one, which it does after writing it.
 */
async function* counted(pieces: AsyncIterable<Uint8Array>, counters: readonly { add(bytes: number): void }[]): AsyncGenerator<Uint8Array> {
  for await (const piece of pieces) {
    yield piece;
    for (const counter of counters) counter.add(piece.length);
  }
}

/** The pieces, then `onEnd` once the last was taken and the source ended (not when it failed). */
async function* thenCall(pieces: AsyncIterable<Uint8Array>, onEnd: (() => void) | undefined): AsyncGenerator<Uint8Array> {
  yield* pieces;
  onEnd?.();
}

/** Pause reasons set by the circuit breakers; the user clears them by resuming. */
export type PauseReason = 'user' | 'root-missing' | 'root-emptied' | 'mass-delete';

/**
 * Runs one complete round for a library and returns what it did. Never throws for trouble the
 * user or the network causes: that is reported in the summary (outcome 'error' or 'paused').
 */
export async function syncLibrary(deps: SyncDependencies, libraryId: string): Promise<RoundSummary> {
  const library = deps.index.libraries.get(libraryId);
  if (library === undefined) throw new Error(`library ${libraryId} is not synced on this device`);
  const summary = emptySummary(library.libraryId, library.name);
  if (library.pause !== null) {
    summary.outcome = 'paused';
    summary.pauseReason = library.pause.reason;
    return summary;
  }
  const round = new Round(deps, library, summary);
  try {
    await round.run();
    if (summary.outcome === 'synced') {
      // Observations only (lost to a power cut, the next round makes them again): not flushed at once.
      deps.index.bookkeeping(() => {
        deps.index.libraries.update(libraryId, { lastSyncAt: Date.now(), lastError: null, breakerOverride: null });
        // A completed round met every path that would lead outside the root: they replace the last round's (and outlive a restart).
        deps.index.problems.replace(libraryId, { kinds: ['unsafe-path'] }, round.unsafePaths, Date.now());
      });
    }
  } catch (error) {
    if (deps.signal?.aborted) {
      summary.outcome = 'paused';
      summary.pauseReason = 'user';
      return summary;
    }
    if (!isRemoteError(error) && !isUserFacing(error)) throw error;
    summary.outcome = 'error';
    summary.error = { code: isRemoteError(error) ? error.code : 'local', message: (error as Error).message };
    deps.index.libraries.update(libraryId, { lastError: { message: (error as Error).message, at: Date.now() } });
  }
  return summary;
}

/** Errors with a message meant for the user (a missing root, a full disk), not bugs. */
function isUserFacing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && ['ENOSPC', 'EACCES', 'EPERM', 'EROFS', 'EIO', 'EDQUOT'].includes(code);
}

class Round {
  private readonly index: Index;
  private readonly libraryId: string;
  private readonly root: string;
  private readonly chunking: ChunkingParams;
  /** Set when a commit named a chunk the server lacked although a version references it. */
  private askForEveryChunk = false;
  /** How many commits of this round the server refused for chunks it lacked. */
  private missingChunkAnswers = 0;
  /** Chunks the pass's scan sent or found on the server (see EarlyUpload.present). */
  private earlyPresent: ReadonlySet<ChunkId> = new Set();
  /** Set once the server refused a commit that sent chunk lists as edits: send whole lists. */
  private sendWholeChunkLists = false;
  /** The ignore rules the last scan read. */
  private ignore: IgnoreMatcher = createIgnoreMatcher(undefined);
  /** This account's role in the library, as the server said at the start of the round. */
  private role: 'owner' | 'rw' | 'ro' | null;
  /** `movedFrom` of remote entries pulled in this round (the index does not keep it). */
  private readonly movedFrom = new Map<LibraryPath, LibraryPath>();
  /** The moves the last pass made on the server, and the versions its commits made (see passScope.ts). */
  private ownMoves: OwnMove[] = [];
  private readonly ownRevs = new Map<LibraryPath, number>();
  /** Chunks the server holds damaged, from the feed's last page: repaired from local files if they are here. */
  private damagedOnServer: readonly string[] = [];
  private readonly fileProgress: FileProgressMeter;
  /** What the round is doing now, for its progress reports. */
  private phase: RoundProgress['phase'] = 'pulling';
  /** Every file the round uploads or downloads, over all its passes: the figures of its progress. */
  private readonly transfers = new RoundTransfers(() => this.reportProgress());
  /** The downloads the pass being executed planned, by path, counted as they are written. */
  private plannedDownloads = new Map<LibraryPath, TalliedFile>();
  /**
   * Folders checked (real folders, no symlink on the way) in this round: each is checked once,
   * not once per file written into it. Forgotten where the round moves or deletes a folder.
   */
  private readonly folders: CheckedFolders;
  /** The bytes of small files the pass's scan read, for its upload (see KeptChunks). */
  private readonly keptChunks = new KeptChunks(KEPT_BYTES, KEPT_FILE_BYTES);
  /** Remote paths this OS cannot name (found when planning) and this disk refused (found when writing). */
  private illegalNames: ProblemInput[] = [];
  private readonly unholdablePaths: ProblemInput[] = [];
  /** This round's paths that would lead outside the root (see addUnsafePath). */
  readonly unsafePaths: ProblemInput[] = [];
  /** Files the server refused in this round because the library owner's storage is full. */
  private readonly quotaProblems = new Map<LibraryPath, ProblemInput>();
  /** Entries the pass's pull read from the feed, and whether its scan changed the local state. */
  private pulledEntries = 0;
  /** Versions of our own commits recorded from their answers since the last pull: the next pull counts them as read. */
  private recordedOwn = 0;
  private scanChanged = true;
  /** The paths the pass's scan found changed (new, changed or gone). */
  private scanChangedPaths: LibraryPath[] = [];
  /** The paths of the entries the pass's pull read (and where moved ones came from). */
  private pulledPaths: LibraryPath[] = [];

  constructor(
    private readonly deps: SyncDependencies,
    private readonly library: LibraryRecord,
    private readonly summary: RoundSummary,
  ) {
    this.index = deps.index;
    this.libraryId = library.libraryId;
    this.root = library.localRoot;
    this.chunking = library.chunking;
    this.role = library.role;
    this.fileProgress = new FileProgressMeter(library.libraryId, deps.onFileProgress);
    this.folders = new CheckedFolders(library.localRoot);
  }

  async run(): Promise<void> {
    await this.runPasses();
    // Every round plans each file not yet on the server again, so the files refused for the
    // owner's quota in this round are the whole list: others were uploaded, undone or deleted.
    const held = [...this.quotaProblems.values()];
    // Written only when there is something to record or to clear (a write costs an fsync).
    if (held.length > 0 || this.index.problems.list(this.libraryId).some((problem) => problem.kind === 'quota-exceeded')) {
      this.index.problems.replace(this.libraryId, { kinds: ['quota-exceeded'] }, held, Date.now());
    }
    for (const problem of held) this.addProblem(problem.path, problem.kind, problem.message);
  }

  private async runPasses(): Promise<void> {
    await this.refreshRole();
    /** What the last pass acted on (see passScope.ts): the next pass scans only that. */
    let touched: LibraryPath[] | undefined;
    /** The folders of what the last pass touched are the folders the index knows there. */
    let foldersSame = false;
    for (let pass = 1; pass <= MAX_PASSES; pass++) {
      this.deps.signal?.throwIfAborted();
      // Whether every path is settled before the first pass: then only what its pull or its
      // scan changes can need a plan (see planNeighbourhood.ts).
      const settledBefore = touched === undefined && this.nothingWaitsForAPlan() ? this.index.isSettled(this.libraryId) : undefined;
      const fresh = await this.pull(touched !== undefined);
      this.ownRevs.clear();
      if (touched !== undefined && !fresh && foldersSame) {
        if (this.ownMoves.length > 0) recordOwnMoveRevs(this.index, this.libraryId, this.ownMoves, this.pathSkipper());
        // Nothing but our own commits in the feed, and everything touched settled: a further pass would plan nothing.
        if (isSettled(this.index, this.libraryId, touched)) return;
      }
      this.summary.passes = pass;
      // Settled, nothing pulled, and the disk as the last scan recorded it: a scan would change
      // nothing, and the plan would be empty (see planIsEmpty).
      if (touched === undefined && settledBefore === true && this.pulledEntries === 0 && this.damagedOnServer.length === 0 && (await this.diskAsRecorded())) return;
      // The pass works from one copy of each state: the scan's result is the local state (the
      // index holds the same), so it is not read back; at 100,000 entries each copy is ~50 MB.
      const local = await this.scan(touched);
      if (local === null) return;
      if (this.damagedOnServer.length > 0) await this.repairDamaged(local);
      const synced = await this.releaseDeselected(local);
      if (this.planIsEmpty(settledBefore)) return;
      const planned = await this.plan(local, synced, settledBefore === true ? this.changedOnOneSide() : undefined);
      if (planned === null) return;
      const { actions, state } = planned;
      const runnable = this.withinRole(actions, state).filter((action) => action.kind !== 'problem');
      if (runnable.length === 0) return;
      let changedSomething: boolean;
      this.deps.signal?.throwIfAborted();
      try {
        changedSomething = await this.execute(runnable, state);
      } catch (error) {
        // Write access taken away while syncing: the next pass plans as read-only.
        if (!isRemoteError(error) || error.code !== 'forbidden' || this.readOnly) throw error;
        await this.refreshRole();
        if (!this.readOnly) throw error;
        changedSomething = true;
      }
      if (!changedSomething) return;
      touched = touchedPaths(runnable);
      this.ownMoves = ownMovesOf(runnable);
      foldersSame = await refreshFolders(this.index, this.libraryId, this.root, foldersChangedBy(runnable, touched));
    }
  }

  /**
   * A test of whether the planner leaves a path out (ignored, not selected) or may (a
   * case-insensitive disk, where names can clash): such paths are recorded only by a pass of
   * the planner.
   */
  private pathSkipper(): (entryPath: LibraryPath, isDirectory: boolean) => boolean {
    if (this.caseInsensitiveDisk) return () => true;
    // Read once for all the paths asked about (a read of the library per path cost a 1,000-file folder move ~15 ms).
    const selection = this.index.libraries.get(this.libraryId)?.selection ?? null;
    const ignore = this.ignore;
    return (entryPath, isDirectory) => ignore.isIgnored(entryPath, isDirectory) || (selection !== null && !isInSelection(entryPath, selection));
  }

  /** Whether this device's disk folds the case of names (macOS, Windows), where names can clash. */
  private get caseInsensitiveDisk(): boolean {
    const platform = this.deps.platform ?? process.platform;
    return platform === 'darwin' || platform === 'win32';
  }

  // ---- read-only libraries ------------------------------------------------------------------

  /** True while this account may only read the library: nothing is uploaded, changed or deleted on the server. */
  private get readOnly(): boolean {
    return this.role === 'ro';
  }

  /** Asks the server for this account's role in the library (and its owner), and records it. */
  private async refreshRole(): Promise<void> {
    const library = await this.deps.client.call(routes.getLibrary, { params: { libraryId: this.libraryId } });
    this.deps.onLibrary?.(library);
    this.role = library.role;
    const current = this.index.libraries.get(this.libraryId);
    if (current !== undefined && (current.role !== library.role || current.owner !== library.owner)) {
      this.index.libraries.update(this.libraryId, { role: library.role, owner: library.owner });
    }
  }

  /**
   * In a read-only library, the plan's changes to the server are not made: every local change
   * stays on disk, untouched, and is listed as a problem naming its file, pass after pass, until
   * it is undone or write access returns. Downloads go on; a server change to a file changed
   * here keeps the local edit as a conflict copy, which is not uploaded either.
   */
  private withinRole(actions: readonly PlanAction[], state: LibraryState): PlanAction[] {
    const problems: ProblemInput[] = [];
    const kept: PlanAction[] = [];
    for (const action of actions) {
      if (!this.readOnly) {
        kept.push(action);
        continue;
      }
      switch (action.kind) {
        case 'upload':
        case 'mkdirRemote':
          problems.push(readOnlyProblem(action.path, state.synced.has(action.path) ? 'changed' : 'added'));
          break;
        case 'deleteRemote':
          problems.push(readOnlyProblem(action.path, 'deleted'));
          break;
        case 'moveRemote':
          problems.push(readOnlyProblem(action.to, 'moved', action.from));
          break;
        default:
          kept.push(action);
      }
    }
    this.index.problems.replace(this.libraryId, { kinds: ['read-only'] }, problems, Date.now());
    for (const problem of problems) this.addProblem(problem.path, problem.kind, problem.message);
    return kept;
  }

  // ---- observing --------------------------------------------------------------------------

  /** Reads the change feed from the cursor to the head into the remote state. */
  private async pull(noticeFresh = false): Promise<boolean> {
    this.enter('pulling');
    /** With noticeFresh: whether the feed held a version the index did not (another device's, not our own commit's). */
    let fresh = false;
    let cursor = this.index.libraries.get(this.libraryId)?.cursor ?? 0;
    // A page longer than a client reads (thousands of huge files' chunk lists) is asked again
    // with fewer entries, down to one.
    let limit: number = PROTOCOL_LIMITS.maxPageSize;
    this.pulledEntries = this.recordedOwn;
    this.recordedOwn = 0;
    this.pulledPaths = [];
    for (;;) {
      let page: ChangesResponse;
      try {
        page = await this.deps.client.call(routes.changes, { params: { libraryId: this.libraryId }, query: { after: cursor, limit }, chunkDeltas: true, folderMoves: true });
        const known = this.knownRemote(page.entries);
        const unfolded = unfoldFolderMoves(page.entries, known);
        const entries = unfolded === null ? null : resolveChunkDeltas(unfolded, known);
        // A fold or delta this device cannot rebuild, or one that rebuilds a list its entry
        // contradicts: the same page again, whole.
        page =
          entries !== null
            ? { ...page, entries }
            : await this.deps.client.call(routes.changes, { params: { libraryId: this.libraryId }, query: { after: cursor, limit } });
      } catch (error) {
        if (isRemoteError(error) && error.transport === 'too-long' && limit > 1) {
          limit = Math.max(1, Math.floor(limit / 4));
          continue;
        }
        throw error;
      }
      checkEntries(page.entries);
      this.pulledEntries += page.entries.length;
      this.index.transaction(() => {
        for (const entry of page.entries) {
          if (noticeFresh && !fresh) fresh = this.ownRevs.get(entry.path) !== entry.rev && !impliedByOwnMove(entry, this.ownMoves);
          this.recordFeedEntry(entry);
          this.pulledPaths.push(entry.path);
          if (!entry.deleted && entry.movedFrom !== undefined) this.pulledPaths.push(entry.movedFrom);
        }
        this.index.libraries.update(this.libraryId, { cursor: page.cursor });
      });
      cursor = page.cursor;
      if (!page.hasMore) {
        this.damagedOnServer = page.damagedChunks ?? [];
        return fresh || this.damagedOnServer.length > 0;
      }
    }
  }

  /** Records one version read from the feed (or listed whole by our own commit's answer) as the remote state. */
  private recordFeedEntry(entry: Entry): void {
    if (entry.deleted) {
      this.index.remote.delete(this.libraryId, entry.path);
      this.movedFrom.delete(entry.path);
    } else {
      this.index.remote.put(this.libraryId, feedEntryOf(entry));
      if (entry.movedFrom !== undefined) this.movedFrom.set(entry.path, entry.movedFrom);
      else this.movedFrom.delete(entry.path);
    }
  }

  /**
   * Whether a commit answer's applied entries are, in answer order, every version from this
   * device's cursor up to the commit's head (the server says so with listedAfter, and the revs
   * agree): the pull would read exactly these, so they are recorded as it would and the cursor
   * moves past them without it. An older server never says so: the pull reads them.
   */
  private listsWholeRange(answer: CommitResponse, batchLength: number): boolean {
    if (answer.listedAfter === undefined) return false;
    const cursor = this.index.libraries.get(this.libraryId)?.cursor ?? 0;
    if (cursor !== answer.listedAfter) return false;
    let next = cursor + 1;
    for (const result of answer.results) {
      if (result.status !== 'applied') continue;
      if (result.entry.rev !== next || result.index >= batchLength) return false;
      next += 1;
    }
    return next - 1 === answer.headSeq && next > cursor + 1;
  }

  /**
   * The remote entries a page's folds and deltas are rebuilt from: below the source of each
   * folded folder move, read at once by one range read (one read per file of a 1,000-file folder
   * cost ~30 ms), else one read each.
   */
  private knownRemote(entries: readonly Entry[]): (entryPath: LibraryPath) => RemoteEntry | undefined {
    const below = new Map<LibraryPath, RemoteEntry>();
    for (const entry of entries) {
      if (entry.movedSubtree === undefined || entry.movedFrom === undefined) continue;
      for (const [remotePath, remote] of this.index.remote.loadBelow(this.libraryId, entry.movedFrom)) below.set(remotePath, remote);
    }
    return (entryPath) => below.get(entryPath) ?? this.index.remote.get(this.libraryId, entryPath);
  }

  /**
   * Sends the server again the chunks it holds damaged that this device has in files whose
   * content is the server's current version: the server verifies and stores them, and every
   * device can read those files again. Each chunk is read from the file and checked against its
   * id first; a file changed since its scan is skipped (its own upload sends its own chunks).
   * Best effort: a failure here is retried by the next round, which gets the list again.
   */
  private async repairDamaged(local: ReadonlyMap<LibraryPath, LocalEntry>): Promise<void> {
    const wanted = new Set(this.damagedOnServer);
    this.damagedOnServer = [];
    const located: { filePath: LibraryPath; chunk: ChunkRef; offset: number }[] = [];
    for (const entry of local.values()) {
      if (entry.node.kind !== 'file') continue;
      const remote = this.index.remote.get(this.libraryId, entry.path);
      if (remote?.node.kind !== 'file' || remote.node.contentHash !== entry.node.contentHash) continue;
      let offset = 0;
      for (const chunk of entry.chunks) {
        if (wanted.delete(chunk.id)) located.push({ filePath: entry.path, chunk, offset });
        offset += chunk.size;
      }
    }
    if (located.length === 0) return;
    const root = this.root;
    async function* frames(): AsyncGenerator<{ id: string; bytes: Uint8Array }> {
      // uploadChunks copies each frame into its batch before asking for the next.
      const reads = new SequentialChunkReads({ reuseBuffer: true });
      try {
        for (const { filePath, chunk, offset } of located) {
          let bytes: Uint8Array;
          try {
            // Verified against the id by the reader: a file changed since is skipped.
            bytes = await reads.read(path.join(root, filePath), { id: chunk.id, size: chunk.size, offset });
          } catch {
            continue;
          }
          yield { id: chunk.id, bytes };
        }
      } finally {
        await reads.close();
      }
    }
    try {
      const sent = await this.deps.client.uploadChunks(this.libraryId, frames());
      this.summary.uploadedBytes += sent.bytes;
    } catch (error) {
      if (!isRemoteError(error)) throw error;
      // The next round asks again.
    }
  }

  /**
   * Whether the whole disk is as the index's local state records it, told from the stats alone
   * (the scanner's matchesRecord, a one-shot command's only), without loading that state: then
   * a scan of the whole library would change nothing and report no problem. Asked only where
   * such a scan would have nothing else to do either: everything selected, no problem recorded
   * (a scan would clear one that went away), a disk that does not fold case.
   */
  private async diskAsRecorded(): Promise<boolean> {
    const matchesRecord = this.deps.scanner.matchesRecord;
    if (matchesRecord === undefined || (this.deps.scope ?? 'all') !== 'all' || this.caseInsensitiveDisk) return false;
    if ((this.index.libraries.get(this.libraryId)?.selection ?? null) !== null || this.index.problems.list(this.libraryId).length > 0) return false;
    this.enter('scanning');
    const recorded = { folders: this.index.localSignatures(this.libraryId, 'dir'), files: () => this.index.localSignatures(this.libraryId, 'file') };
    const matched = await matchesRecord.call(this.deps.scanner, { root: this.root, recorded });
    if (matched === null) return false;
    this.ignore = matched.ignore;
    this.scanChanged = false;
    this.scanChangedPaths = [];
    const leftoverTemps = this.deps.leftoverTemps;
    if (leftoverTemps !== undefined) {
      // No temp file was listed (it would not match); folders the ignore rules hide were not looked in.
      if (matched.ignore.userRules === true) await cleanupTempFiles(this.root).catch(() => undefined);
      leftoverTemps.done();
    }
    return true;
  }

  /**
   * Scans the library folder into the local state, and returns it. Returns null (and pauses
   * the library) when a circuit breaker trips: the root is missing or unreadable, or it is
   * empty while the merge base says it held files (an unmounted disk must never look like
   * "the user deleted everything").
   */
  private async scan(confined?: readonly LibraryPath[]): Promise<Map<LibraryPath, LocalEntry> | null> {
    this.enter('scanning');
    const previous = this.index.local.load(this.libraryId);
    const scope = confined ?? this.deps.scope ?? 'all';
    this.keptChunks.clear();
    // Chunks go to the server during the scan only where all it reads is meant for the server.
    const everythingSelected = (this.index.libraries.get(this.libraryId)?.selection ?? null) === null;
    const early = this.readOnly || !everythingSelected ? undefined : new EarlyUpload(this.deps.client, this.libraryId, this.keptChunks);
    // No write of this process is in flight yet when the first round scans (see cleanupTempFiles).
    const leftoverTemps = scope === 'all' ? this.deps.leftoverTemps : undefined;
    let outcome;
    try {
      outcome = await this.deps.scanner.scan({
        keptChunks: this.keptChunks,
        ...(early === undefined ? {} : { earlyUpload: early }),
        // For the leftovers of a crash, every temp file is reported.
        isStrayTemp: leftoverTemps === undefined ? isStrayTemp : isTempFileName,
        root: this.root,
        previous,
        chunking: this.chunking,
        caseInsensitive: this.caseInsensitiveDisk,
        ...(scope === 'all' ? {} : { only: scope }),
        // A pause stops the walk and the hashing between files.
        ...(this.deps.signal === undefined ? {} : { signal: this.deps.signal }),
      });
    } finally {
      await early?.finish();
      this.summary.uploadedBytes += early?.sentBytes ?? 0;
      this.earlyPresent = early?.present ?? new Set();
    }
    if (outcome.status === 'root-problem') {
      this.pause('root-missing', outcome.error.message);
      return null;
    }
    const result = outcome.result;
    // Temp files of downloads whose folder the user moved meanwhile (no write of this round is
    // in flight while it scans).
    for (const stray of result.strayTempFiles ?? []) {
      if (leftoverTemps === undefined) await removeStrayTempFile(this.root, stray);
      else await removeLeftoverTempFile(this.root, stray);
    }
    if (leftoverTemps !== undefined) {
      // Folders the user's ignore rules hide were not walked, and a crash may have left temp files
      // there before the rules changed: those libraries get the walk of their own.
      if (result.ignore.userRules === true) await cleanupTempFiles(this.root).catch(() => undefined);
      leftoverTemps.done();
    }
    if (result.local.size === 0 && this.index.synced.count(this.libraryId) >= EMPTIED_MIN_ENTRIES && !this.overridden('root-emptied')) {
      this.pause('root-emptied', `the folder ${this.root} is empty although it held synced files; if you really deleted everything, resume the library to delete them on the server too`);
      return null;
    }
    this.scanChanged = result.deletions.length > 0 || result.upserts.length > 0;
    this.scanChangedPaths = [...result.upserts.map((entry) => entry.path), ...result.deletions];
    this.index.transaction(() => {
      this.index.local.deleteMany(this.libraryId, result.deletions);
      this.index.local.putMany(this.libraryId, result.upserts);
      this.index.problems.replace(
        this.libraryId,
        result.scope === undefined ? { kinds: SCAN_PROBLEM_KINDS } : { kinds: SCAN_PROBLEM_KINDS, within: result.scope },
        result.problems,
        Date.now(),
      );
    });
    this.ignore = result.ignore;
    for (const problem of result.problems) this.addProblem(problem.path || problem.name, problem.kind, problem.message);
    return result.local;
  }

  /**
   * Selective sync: frees the disk of what was synced below folders that are no longer
   * selected. Only files whose content is exactly what the server has (the merge base) are
   * removed; anything changed or new stays on disk, is reported, and keeps its merge base, so
   * selecting the folder again uploads the change instead of losing it.
   *
   * Works on the pass's local state and keeps it equal to the index; returns the synced state
   * it read (and kept up to date), or undefined when everything is selected.
   */
  private async releaseDeselected(localState: Map<LibraryPath, LocalEntry>): Promise<Map<LibraryPath, SyncedEntry> | undefined> {
    const selection = this.index.libraries.get(this.libraryId)?.selection ?? null;
    if (selection === null) return undefined;
    const synced = this.index.synced.load(this.libraryId, { shareWith: localState });
    for (const local of localState.values()) {
      if (local.node.kind === 'file' && !synced.has(local.path) && !isInSelection(local.path, selection)) {
        this.addProblem(local.path, 'unselected-kept', `${local.path} is in a folder you do not sync; it stays on this computer only`);
      }
    }
    const released = [...synced.values()].filter((entry) => !isInSelection(entry.path, selection));
    if (released.length === 0) return synced;
    const forget = (entryPath: LibraryPath): void => {
      this.forgetEverywhereLocal(entryPath);
      localState.delete(entryPath);
      synced.delete(entryPath);
    };
    // Deepest first, so that folders are empty by the time we reach them.
    released.sort((a, b) => b.path.split('/').length - a.path.split('/').length || (a.path < b.path ? 1 : -1));
    for (const base of released) {
      const local = localState.get(base.path);
      if (local === undefined) {
        this.index.synced.delete(this.libraryId, base.path);
        synced.delete(base.path);
        continue;
      }
      if (local.node.kind === 'dir' && base.node.kind === 'dir') {
        this.folders.forget(base.path);
        const result = await deleteFolderIfEmpty(this.root, base.path);
        if (result.status === 'deleted' || result.status === 'absent') forget(base.path);
        continue;
      }
      const expect = expectationFromLocalEntry(local);
      if (expect.kind === 'file' && sameContent(local.node, base.node)) {
        const result = await deleteFileIfUnchanged(this.root, base.path, expect);
        if (result.status === 'deleted' || result.status === 'absent') {
          forget(base.path);
          continue;
        }
      }
      this.addProblem(base.path, 'unselected-kept', `${base.path} is in a folder you no longer sync but has changes that are not on the server; it was kept on disk`);
    }
    return synced;
  }

  // ---- planning -----------------------------------------------------------------------------

  /**
   * True when the pass's plan is sure to be empty, so it ends without reading the remote and
   * synced states: its pull read nothing, its scan changed nothing, the index holds every path
   * settled (the planner would not even record a base), and no problem of an earlier round waits
   * for a plan or its execution to be found again or cleared (the scan re-checks its own kinds).
   * Where the disk folds case the planner also reports names that clash: there it always plans.
   */
  private planIsEmpty(settledBefore: boolean | undefined): boolean {
    if (this.pulledEntries > 0 || this.scanChanged) return false;
    // Neither the pull nor the scan changed anything: the state is the one before the pass.
    if (settledBefore !== undefined) return settledBefore;
    return this.nothingWaitsForAPlan() && this.index.isSettled(this.libraryId);
  }

  /**
   * No problem of an earlier round waits for a plan or its execution to be found again or
   * cleared (the scan re-checks its own kinds), and the disk does not fold case (where the
   * planner also reports names that clash, it always plans the whole library).
   */
  private nothingWaitsForAPlan(): boolean {
    if (this.caseInsensitiveDisk) return false;
    const scanKinds: readonly string[] = SCAN_PROBLEM_KINDS;
    return !this.index.problems.list(this.libraryId).some((problem) => !scanKinds.includes(problem.kind));
  }

  /**
   * Plans a pass from the local state of its scan (and the synced state, when the pass read it
   * already), returning the actions with the state they were planned from. Returns null (and
   * pauses) when the plan trips the mass-delete breaker.
   */
  private async plan(
    local: Map<LibraryPath, LocalEntry>,
    synced: Map<LibraryPath, SyncedEntry> | undefined,
    changed: readonly LibraryPath[] | undefined,
  ): Promise<{ actions: PlanAction[]; state: LibraryState } | null> {
    const part = changed !== undefined && synced === undefined ? this.neighbourhoodOf(changed, local) : undefined;
    const state: LibraryState = part ?? {
      remote: this.index.remote.load(this.libraryId, { shareWith: local }),
      local,
      synced: synced ?? this.index.synced.load(this.libraryId, { shareWith: local }),
    };
    const platform = this.deps.platform ?? process.platform;
    const remote = new Map<LibraryPath, RemoteFeedEntry>();
    const illegal: LibraryPath[] = [];
    for (const [entryPath, entry] of state.remote) {
      // A name this OS cannot hold is reported and left on the server, never half-written here.
      if (!checkLocalPath(entryPath, platform).ok) {
        illegal.push(entryPath);
        continue;
      }
      const movedFrom = this.movedFrom.get(entryPath);
      remote.set(entryPath, movedFrom === undefined ? entry : { ...entry, movedFrom });
    }
    this.illegalNames = illegal.map((entryPath) => ({
      kind: 'illegal-local-name' as const,
      path: entryPath,
      name: '',
      message: `${entryPath} cannot be created on this computer (its name is not allowed here); it stays on the server`,
    }));
    this.recordIllegalLocalNames();
    for (const entryPath of illegal) this.addProblem(entryPath, 'illegal-local-name', `${entryPath} cannot be created on this computer`);

    const matcher = this.ignore;
    const isDirectory = (entryPath: LibraryPath): boolean =>
      (state.local.get(entryPath) ?? remote.get(entryPath) ?? state.synced.get(entryPath))?.node.kind === 'dir';
    const selection = this.index.libraries.get(this.libraryId)?.selection ?? null;
    const actions = [
      ...planLibrary({
        synced: state.synced,
        local: part?.plannedLocal ?? state.local,
        remote,
        deviceName: this.deps.deviceName,
        now: this.deps.now?.() ?? new Date(),
        caseInsensitiveDisk: this.caseInsensitiveDisk,
        isIgnored: (entryPath) => matcher.isIgnored(entryPath, isDirectory(entryPath)),
        ...(selection === null ? {} : { isSelected: (entryPath: LibraryPath) => isInSelection(entryPath, selection) }),
      }),
    ];
    for (const action of actions) {
      if (action.kind === 'problem') this.addProblem(action.path, action.reason, action.detail);
    }
    const deletes = actions.filter(
      (action) =>
        (action.kind === 'deleteLocal' && action.expectLocal.node.kind === 'file') ||
        (action.kind === 'deleteRemote' && state.synced.get(action.path)?.node.kind === 'file'),
    ).length;
    const maxDeletes = this.deps.maxDeletes ?? DEFAULT_MAX_DELETES;
    let syncedFiles = 0;
    if (part !== undefined) syncedFiles = this.index.synced.countFiles(this.libraryId);
    else for (const entry of state.synced.values()) if (entry.node.kind === 'file') syncedFiles += 1;
    const overHalf = syncedFiles >= HALF_RULE_MIN_FILES && deletes * 2 > syncedFiles;
    if ((deletes > maxDeletes || overHalf) && !this.overridden('mass-delete') && !this.overridden('root-emptied')) {
      this.pause('mass-delete', `this round would delete ${deletes} of ${syncedFiles} files; check the folder and the server, then resume the library to go ahead`);
      return null;
    }
    return { actions, state };
  }

  /**
   * What changed in a pass that started settled, when it changed on one side only: the paths
   * its scan changed when its pull read nothing, or those its pull read when its scan changed
   * nothing. Undefined when both sides changed (a conflict's name depends on its neighbours).
   */
  private changedOnOneSide(): readonly LibraryPath[] | undefined {
    if (this.pulledEntries === 0) return this.scanChangedPaths;
    if (!this.scanChanged) return this.pulledPaths;
    return undefined;
  }

  /**
   * The part of the states a plan of `changed` paths can touch, when everything was settled
   * before the pass and only those changed, on one side (see planNeighbourhood.ts): the synced
   * and remote entries read by path instead of whole, and the local ones the planner gets. The
   * state the pass executes from keeps the whole local state (chunks to reuse are looked up
   * there). Undefined when the whole states are the cheaper or the only safe choice: much
   * changed, or the ignore rules (which decide for every path).
   */
  private neighbourhoodOf(changed: readonly LibraryPath[], local: Map<LibraryPath, LocalEntry>): (LibraryState & { readonly plannedLocal: Map<LibraryPath, LocalEntry> }) | undefined {
    if (changed.length * 2 > local.size || changed.includes(IGNORE_FILE_NAME as LibraryPath)) return undefined;
    const fromIndex = <E extends { readonly path: LibraryPath; readonly node: { readonly kind: 'file' | 'dir' } }>(table: EntryTable<E>): StateLookup<E> => ({
      getMany: (paths) => table.getMany(this.libraryId, paths),
      below: (folder) => table.loadBelow(this.libraryId, folder).values(),
    });
    const part = planNeighbourhood(changed, { local: mapLookup(local), synced: fromIndex(this.index.synced), remote: fromIndex(this.index.remote) });
    return { local, synced: part.synced, remote: part.remote, plannedLocal: part.local };
  }

  // ---- executing ----------------------------------------------------------------------------

  /**
   * Runs a plan: first the chunks of every upload go to the server (nothing is committed
   * yet), then the local actions in plan order, then one commit of the remote actions in plan
   * order. Returns whether anything changed (else the round ends: the rest needs another
   * observation, e.g. a file that keeps changing).
   */
  private async execute(actions: readonly PlanAction[], state: LibraryState): Promise<boolean> {
    const uploads = new Map<LibraryPath, { readonly local: LocalEntry; readonly tally: TalliedFile }>();
    const downloads = new Map<LibraryPath, TalliedFile>();
    // Every transfer of the pass counts in the round's totals before the first byte moves.
    for (const action of actions) {
      if ((action.kind === 'upload' || (action.kind === 'conflict' && !this.readOnly)) && action.local.node.kind === 'file' && !uploads.has(action.path)) {
        uploads.set(action.path, { local: action.local, tally: this.transfers.plan(action.local.node.size) });
      }
      if ((action.kind === 'download' || action.kind === 'conflict') && action.remote.node.kind === 'file' && !downloads.has(action.path)) {
        downloads.set(action.path, this.transfers.plan(action.remote.node.size));
      }
    }
    this.plannedDownloads = downloads;
    if (uploads.size > 0 || downloads.size > 0) this.reportProgress();
    try {
      return await this.executePlanned(actions, state, uploads);
    } finally {
      // Whatever the pass did not transfer (given up, or left for the next pass) leaves the totals.
      for (const { tally } of uploads.values()) tally.drop();
      for (const tally of downloads.values()) tally.drop();
      this.plannedDownloads = new Map();
    }
  }

  /** execute, once the pass's transfers are counted in the round's progress. */
  private async executePlanned(
    actions: readonly PlanAction[],
    state: LibraryState,
    uploads: ReadonlyMap<LibraryPath, { readonly local: LocalEntry; readonly tally: TalliedFile }>,
  ): Promise<boolean> {
    let changed = false;
    const uploadable = await this.uploadChunks(uploads, state.remote);
    if (actions.some((action) => LOCAL_ACTIONS.has(action.kind))) this.enter('applying');

    const downloads: DownloadJob[] = [];
    const remoteChanges: { change: CommitChangeInput; onApplied: (result: Extract<ChangeResult, { status: 'applied' }>) => void }[] = [];
    const chunkSource = new ChunkSource(
      this.deps.client,
      this.libraryId,
      this.root,
      state.local.values(),
      actions.flatMap((action) =>
        (action.kind === 'download' || action.kind === 'conflict') && action.remote.node.kind === 'file' ? [action.remote.chunks] : [],
      ),
      this.deps.client.chunkPatches ? patchBasesOf(actions, state.local) : undefined,
    );
    // Folders to create, gathered while nothing else touches the disk in between, then created
    // together (mkdirLocalAll): the plan's order is kept, since they are created before the
    // next action that changes the disk.
    let newFolders: { readonly path: LibraryPath; readonly remote: RemoteEntry }[] = [];
    const createFolders = async (): Promise<void> => {
      if (newFolders.length === 0) return;
      const folders = newFolders;
      newFolders = [];
      changed = (await this.mkdirLocalAll(folders)) || changed;
    };
    // Index-only records (a file found equal on both sides, a base to forget) are written
    // together, in one transaction before the next action that does more, instead of one
    // transaction (and one fsync of the index) each: after a folder move, a pass records
    // every file below it.
    let records: (() => void)[] = [];
    const writeRecords = (): void => {
      if (records.length === 0) return;
      const pending = records;
      records = [];
      this.index.transaction(() => {
        for (const record of pending) record();
      });
    };
    try {
      for (const action of actions) {
        // A pause: the actions done so far stay done (and recorded); nothing further starts.
        if (this.deps.signal?.aborted === true) writeRecords();
        this.deps.signal?.throwIfAborted();
        if (action.kind !== 'recordSynced' && action.kind !== 'forgetSynced') writeRecords();
        if (action.kind === 'moveLocal' || action.kind === 'deleteLocal' || action.kind === 'conflict') await createFolders();
        switch (action.kind) {
          case 'moveRemote':
            remoteChanges.push({
              change: { op: 'move', from: action.from, to: action.to, baseRev: action.baseRev, toBaseRev: action.toBaseRev },
              onApplied: (result) => {
                this.rebaseSynced(action.from, action.to, result.entry.rev);
                this.summary.movedRemote += 1;
              },
            });
            break;
          case 'deleteRemote':
            remoteChanges.push({
              change: { op: 'delete', path: action.path, baseRev: action.baseRev },
              onApplied: () => {
                this.index.synced.delete(this.libraryId, action.path);
                this.index.remote.delete(this.libraryId, action.path);
                this.summary.deletedRemote += 1;
              },
            });
            break;
          case 'mkdirRemote':
            remoteChanges.push({
              change: { op: 'mkdir', path: action.path, baseRev: action.baseRev },
              onApplied: (result) => {
                this.recordSynced({ path: action.path, node: { kind: 'dir' }, rev: result.entry.rev, inode: action.local.inode, mtimeMs: action.local.mtimeMs });
                this.summary.foldersCreated += 1;
              },
            });
            break;
          case 'upload':
            if (!uploadable.has(action.path)) break;
            remoteChanges.push({
              change: putChangeOf(action.path, action.local, action.baseRev, this.baseChunksOf(action.path, action.baseRev)),
              onApplied: (result) => {
                this.recordSynced({ path: action.path, node: action.local.node, rev: result.entry.rev, inode: action.local.inode, mtimeMs: action.local.mtimeMs });
                this.summary.uploadedFiles += 1;
              },
            });
            break;
          case 'moveLocal':
            changed = (await this.moveLocal(action)) || changed;
            break;
          case 'deleteLocal':
            changed = (await this.deleteLocal(action.path, action.expectLocal)) || changed;
            break;
          case 'download':
            // Downloads never precede an action that depends on them (creates come after
            // moves and deletes; folders are made on demand), so they run together at the end.
            if (action.remote.node.kind === 'file') downloads.push({ path: action.path, remote: action.remote, expectLocal: action.expectLocal });
            else newFolders.push({ path: action.path, remote: action.remote });
            break;
          case 'mkdirLocal':
            newFolders.push({ path: action.path, remote: action.remote });
            break;
          case 'conflict': {
            if (this.readOnly) {
              // The local edit is kept as a conflict copy on this computer only.
              changed = (await this.conflict(action, chunkSource, true)) !== null || changed;
              break;
            }
            const kept = await this.conflict(action, chunkSource, uploadable.has(action.path));
            if (kept !== null) {
              changed = true;
              remoteChanges.push(kept);
            }
            break;
          }
          // Records change neither the disk nor the server: they write down what the planner
          // found agreed (both sides equal, or both gone), which a next pass would find the
          // same, so a pass of records only needs no pass after it (a folder move's sender
          // records the moved files' new revs, which a second pass used to confirm, rescanning
          // the whole library).
          case 'recordSynced': {
            const entry = action.entry;
            records.push(() => this.recordSynced(entry));
            break;
          }
          case 'forgetSynced': {
            const forgotten = action.path;
            records.push(() => this.index.synced.delete(this.libraryId, forgotten));
            break;
          }
          case 'problem':
            break;
          default:
            unhandledCase(action);
        }
      }
      writeRecords();
      await createFolders();
      if (downloads.length > 0) changed = (await this.downloadAll(downloads, chunkSource)) || changed;
    } finally {
      await chunkSource.close();
      this.summary.downloadedBytes += chunkSource.downloadedBytes;
      this.summary.reusedBytes += chunkSource.reusedBytes;
    }
    if (remoteChanges.length > 0) changed = (await this.commit(remoteChanges)) || changed;
    return changed;
  }

  /**
   * Sends the chunks the server lacks for these files. Returns the paths whose chunks are all
   * on the server now; a file that changed since it was scanned is left out (the next pass
   * rescans it) rather than uploaded under stale ids.
   */
  private async uploadChunks(
    uploads: ReadonlyMap<LibraryPath, { readonly local: LocalEntry; readonly tally: TalliedFile }>,
    remote: ReadonlyMap<LibraryPath, RemoteEntry>,
  ): Promise<Set<LibraryPath>> {
    const ready = new Set<LibraryPath>();
    if (uploads.size === 0) return ready;
    this.enter('uploading');
    const files = new Map([...uploads].map(([filePath, upload]) => [filePath, upload.local]));
    // Chunks that a version on the server already references are present for the library
    // (the server's rule), so only the others need asking about: a small edit of a large file
    // asks about one or two ids, not thousands.
    const ids = new Set<string>();
    for (const entry of files.values()) for (const chunk of entry.chunks) ids.add(chunk.id);
    if (!this.askForEveryChunk) for (const entry of remote.values()) for (const chunk of entry.chunks) ids.delete(chunk.id);
    if (!this.askForEveryChunk) for (const id of this.earlyPresent) ids.delete(id);
    const missing = ids.size === 0 ? new Set<string>() : await this.deps.client.missingChunks(this.libraryId, [...ids]);
    if (missing.size > 0 && this.deps.client.chunkPatches) await this.uploadPatches(files, remote, missing);
    const located: { filePath: LibraryPath; chunk: ChunkRef; offset: number }[] = [];
    for (const [filePath, entry] of files) {
      let offset = 0;
      for (const chunk of entry.chunks) {
        if (missing.delete(chunk.id)) located.push({ filePath, chunk, offset });
        offset += chunk.size;
      }
    }
    /** Per file, the bytes of its chunks in `order` (a chunk it shares with a file before it is sent there). */
    const bytesPerFile = (order: readonly { filePath: LibraryPath; chunk: ChunkRef }[]): Map<LibraryPath, number> => {
      const bytes = new Map<LibraryPath, number>();
      for (const { filePath, chunk } of order) bytes.set(filePath, (bytes.get(filePath) ?? 0) + chunk.size);
      return bytes;
    };
    const toSend = bytesPerFile(located);
    const meter = this.fileProgress;
    const sizeOf = (filePath: LibraryPath): number => {
      const node = files.get(filePath)?.node;
      return node?.kind === 'file' ? node.size : 0;
    };
    // A file whose chunks the server has already is transferred as far as bytes go; of the
    // others, the bytes the server has count as moved.
    for (const [filePath, { tally }] of uploads) {
      const sending = toSend.get(filePath);
      if (sending === undefined) {
        meter.start(filePath, 'upload', sizeOf(filePath), sizeOf(filePath)).finish();
        tally.finish();
      } else {
        tally.add(sizeOf(filePath) - sending);
      }
    }
    const tallyOf = (filePath: LibraryPath): TalliedFile | undefined => uploads.get(filePath)?.tally;
    const failed = new Set<LibraryPath>();
    const client = this.deps.client;
    const root = this.root;
    const kept = this.keptChunks;
    // Chunks are located file after file. A chunk the scan kept is sent from memory; chunks of
    // other small files are read a few files ahead (each read checks the bytes against the id);
    // a large file's chunks are read in order through one open reader, without hashing them a
    // second time while the file's stat is the one it was scanned with (SequentialChunkReads):
    // the server checks each against its id as it arrives, and should it refuse one, the upload
    // goes on reading with hashing (`trustScan` false).
    const isSmall = (filePath: LibraryPath): boolean => sizeOf(filePath) <= KEPT_FILE_BYTES;
    let trustScan = true;
    const scannedStatOf = (filePath: LibraryPath): ScannedStat | undefined => {
      const entry = files.get(filePath);
      return trustScan && entry !== undefined ? { size: entry.statSize, mtimeMs: entry.mtimeMs, inode: entry.inode } : undefined;
    };
    async function* frames(order: readonly { filePath: LibraryPath; chunk: ChunkRef; offset: number }[]): AsyncGenerator<{ id: string; bytes: Uint8Array }> {
      // One buffer for all the large files' chunks: uploadChunks copies each frame into its
      // batch before asking for the next.
      const reads = new SequentialChunkReads({ reuseBuffer: true });
      const sendingOf = order === located ? toSend : bytesPerFile(order);
      let current = null as { path: LibraryPath; transfer: FileTransfer; left: number } | null;
      /** Reads of small files' chunks started ahead of the stream, by index in `order`. */
      const ahead = new Map<number, Promise<Uint8Array | null>>();
      let startedTo = 0;
      const readAhead = (from: number): void => {
        for (startedTo = Math.max(startedTo, from); startedTo < order.length && ahead.size < UPLOAD_READ_AHEAD; startedTo++) {
          const { filePath, chunk, offset } = order[startedTo]!;
          if (!isSmall(filePath) || kept.has(chunk.id)) continue;
          ahead.set(
            startedTo,
            readChunk(path.join(root, filePath), { id: chunk.id, size: chunk.size, offset }).catch(() => null),
          );
        }
      };
      try {
        for (let index = 0; index < order.length; index++) {
          const { filePath, chunk, offset } = order[index]!;
          const early = ahead.get(index);
          ahead.delete(index);
          readAhead(index + 1);
          if (failed.has(filePath)) continue;
          if (current?.path !== filePath) {
            const sending: number = sendingOf.get(filePath) ?? 0;
            current = { path: filePath, transfer: meter.start(filePath, 'upload', sizeOf(filePath), sizeOf(filePath) - sending), left: sending };
          }
          let bytes: Uint8Array | null | undefined = kept.take(chunk.id) ?? (early === undefined ? undefined : await early);
          let fromReads = false;
          if (bytes === undefined) {
            try {
              bytes = await reads.read(path.join(root, filePath), { id: chunk.id, size: chunk.size, offset }, scannedStatOf(filePath));
              fromReads = true;
            } catch {
              bytes = null;
            }
          }
          if (bytes === null) {
            // Changed or gone since the scan: not uploaded under stale ids; the next pass rescans it.
            failed.add(filePath);
            tallyOf(filePath)?.drop();
            continue;
          }
          yield { id: chunk.id, bytes };
          // The upload stream has taken the chunk.
          current.transfer.add(bytes.length);
          tallyOf(filePath)?.add(bytes.length);
          current.left -= bytes.length;
          if (current.left <= 0) {
            if (fromReads && !(await reads.unchangedSinceOpened())) {
              // Written to while it was read: not committed under the scan's ids; the next pass rescans it.
              failed.add(filePath);
              tallyOf(filePath)?.drop();
              continue;
            }
            current.transfer.finish();
            tallyOf(filePath)?.finish();
          }
        }
      } finally {
        await reads.close();
        await Promise.all(ahead.values());
      }
    }
    let sent;
    try {
      try {
        sent = await client.uploadChunks(this.libraryId, frames(located));
      } catch (error) {
        if (!(isRemoteError(error) && error.code === 'hash-mismatch')) throw error;
        // A chunk read without hashing was not the scan's any more (a file rewritten in place
        // with its old modification time): what the server lacks now is read again, hashed,
        // so such a file is left out like any file changed since its scan.
        trustScan = false;
        const lacking = await client.missingChunks(this.libraryId, [...new Set(located.map(({ chunk }) => chunk.id))]);
        sent = await client.uploadChunks(this.libraryId, frames(located.filter(({ chunk }) => lacking.has(chunk.id))));
      }
    } finally {
      kept.clear();
    }
    this.summary.uploadedBytes += sent.bytes;
    for (const filePath of files.keys()) if (!failed.has(filePath)) ready.add(filePath);
    return ready;
  }

  /**
   * Sends, as patches of the chunks they replace in the server's version of the same path,
   * the missing chunks of edited files (see chunkPatching.ts); those the server stored leave
   * `missing`, the rest are sent whole by the caller.
   */
  private async uploadPatches(files: ReadonlyMap<LibraryPath, LocalEntry>, remote: ReadonlyMap<LibraryPath, RemoteEntry>, missing: Set<string>): Promise<void> {
    const root = this.root;
    const kept = this.keptChunks;
    const patches: PatchUpload[] = [];
    for (const [filePath, entry] of files) {
      const previous = remote.get(filePath);
      if (previous === undefined || previous.node.kind !== 'file') continue;
      for (const { chunk, offset, base } of pairWithBases(previous.chunks, entry.chunks)) {
        if (!missing.has(chunk.id)) continue;
        patches.push({
          id: chunk.id,
          size: chunk.size,
          baseId: base.id,
          baseSize: base.size,
          // Kept bytes are the chunk's (content-addressed); a read is checked against the id.
          read: () => kept.peek(chunk.id) ?? readChunk(path.join(root, filePath), { id: chunk.id, size: chunk.size, offset }).catch(() => null),
        });
      }
    }
    if (patches.length === 0) return;
    const result = await uploadAsPatches(this.deps.client, this.libraryId, patches);
    this.summary.uploadedBytes += result.sent;
    for (const id of result.stored) {
      missing.delete(id);
      kept.take(id);
    }
  }

  /** The chunk list of version `baseRev` at `entryPath`, if this device has it. */
  private baseChunksOf(entryPath: LibraryPath, baseRev: number | null): readonly ChunkRef[] | undefined {
    if (baseRev === null || this.sendWholeChunkLists) return undefined;
    const base = this.index.remote.get(this.libraryId, entryPath);
    return base !== undefined && base.rev === baseRev && base.node.kind === 'file' ? base.chunks : undefined;
  }

  /**
   * The commit answer with its chunk-list deltas (the splices this device sent, of the base
   * version it holds) turned back into whole lists and checked. One that cannot be rebuilt is
   * treated like a lost answer: the commit applied, and the next round's pull reads the version
   * from the feed and finds it equal to the local file.
   */
  private resolveCommitDeltas(answer: CommitResponse): CommitResponse {
    const entries = answer.results.flatMap((result) => (result.status === 'applied' ? [result.entry] : []));
    if (!entries.some((entry) => entry.chunkDelta !== undefined)) return answer;
    const resolved = resolveChunkDeltas(entries, (entryPath) => this.index.remote.get(this.libraryId, entryPath));
    if (resolved === null) {
      throw new RemoteError('unavailable', 'the server answered the commit with a chunk-list delta this device cannot rebuild; the next round reads the versions from the change feed', 200);
    }
    let next = 0;
    return { ...answer, results: answer.results.map((result) => (result.status === 'applied' ? { ...result, entry: resolved[next++]! } : result)) };
  }

  /** Commits the remote changes in order, in batches the server accepts. */
  private async commit(
    changes: readonly { change: CommitChangeInput; onApplied: (result: Extract<ChangeResult, { status: 'applied' }>) => void }[],
  ): Promise<boolean> {
    let applied = 0;
    const batchSize = Math.min(COMMIT_BATCH_CHANGES, PROTOCOL_LIMITS.maxChangesPerCommit);
    for (let start = 0; start < changes.length; start += batchSize) {
      const batch = changes.slice(start, start + batchSize);
      this.enter('committing');
      let answer;
      try {
        answer = await this.deps.client.call(routes.commit, {
          params: { libraryId: this.libraryId },
          body: { device: this.deps.deviceName, changes: batch.map((item) => item.change) },
          chunkDeltas: true,
        });
      } catch (error) {
        // The server could not rebuild a chunk list from our edits (our copy of the base
        // version's list disagrees with its own): send whole lists from the next pass on.
        if (isRemoteError(error) && error.code === 'bad-request' && !this.sendWholeChunkLists && batch.some((item) => 'chunkEdits' in item.change)) {
          this.sendWholeChunkLists = true;
          return true;
        }
        // The library owner's storage is full: nothing of the batch was committed. The files
        // stay here as problems (the next round tries again); the rest (deletes, moves,
        // folders, which add nothing) is committed without them.
        if (isRemoteError(error) && error.code === 'quota-exceeded') {
          const figures = quotaExceededDetailsSchema.safeParse(error.details);
          this.summary.storageFull = figures.success ? { usedBytes: figures.data.usedBytes, quotaBytes: figures.data.quotaBytes } : this.summary.storageFull;
          // A file that grows (or is new) waits; one that shrinks or keeps its size frees space.
          const grows = (change: CommitChangeInput): boolean => {
            if (change.op !== 'put') return false;
            const onServer = this.index.remote.get(this.libraryId, change.path as LibraryPath);
            return onServer === undefined || onServer.node.kind !== 'file' || onServer.node.size < change.size;
          };
          for (const item of batch) {
            if (item.change.op === 'put' && grows(item.change)) this.quotaProblems.set(item.change.path as LibraryPath, quotaProblem(item.change.path as LibraryPath, this.summary.storageFull));
          }
          const rest = batch.filter((item) => !grows(item.change));
          if (rest.length > 0 && (await this.commit(rest))) applied += 1;
          continue;
        }
        // The server lacks a chunk we believed it had, or one we uploaded this round (its
        // collector removed it before the commit, which a short grace allows): the next pass
        // asks about every chunk and sends again what is gone. Each answer costs a pass, and
        // a few in a row are possible only with a collector racing every commit.
        if (!isRemoteError(error) || error.code !== 'missing-chunks' || this.missingChunkAnswers >= MAX_MISSING_CHUNK_ANSWERS) throw error;
        this.missingChunkAnswers += 1;
        this.askForEveryChunk = true;
        return true;
      }
      answer = this.resolveCommitDeltas(answer);
      checkEntries(answer.results.flatMap((result) => (result.status === 'applied' ? [result.entry] : [])));
      const wholeRange = this.listsWholeRange(answer, batch.length);
      const appliedBefore = applied;
      this.index.transaction(() => {
        for (const result of answer.results) {
          const item = batch[result.index];
          if (item === undefined) continue;
          if (result.status === 'applied') {
            this.ownRevs.set(result.entry.path, result.entry.rev);
            item.onApplied(result);
            if (wholeRange) this.recordFeedEntry(result.entry);
            else if (!result.entry.deleted) this.index.remote.put(this.libraryId, feedEntryOf(result.entry));
            applied += 1;
          }
          // A conflict needs a fresh look at the server: the next pass pulls and plans again.
        }
        // Nobody committed between our cursor and this commit: the next pull starts after it.
        if (wholeRange) {
          this.index.libraries.update(this.libraryId, { cursor: answer.headSeq });
          this.recordedOwn += applied - appliedBefore;
        }
      });
    }
    return applied > 0;
  }

  private async moveLocal(action: Extract<PlanAction, { kind: 'moveLocal' }>): Promise<boolean> {
    const parent = parentPath(action.to);
    if (parent !== '' && !(await this.ensureFolder(parent))) return false;
    const expect = expectationFromLocalEntry(action.expectLocal);
    if (expect.kind === 'absent') return false;
    // Whatever happens, the folders checked at either path are not known any more.
    this.folders.forget(action.from);
    this.folders.forget(action.to);
    let result;
    try {
      result = await moveIfUnchanged(this.root, action.from, action.to, expect);
    } catch (error) {
      if (this.unholdable(action.to, error)) return false;
      throw error;
    }
    if (result.status !== 'moved') {
      if (result.status === 'unsafe') this.addUnsafePath(action.to, result.message);
      return false;
    }
    this.index.transaction(() => {
      this.rebaseLocal(action.from, action.to);
      this.rebaseSynced(action.from, action.to, action.remote.rev, true);
    });
    this.summary.movedLocal += 1;
    return true;
  }

  private async deleteLocal(entryPath: LibraryPath, expectLocal: LocalEntry): Promise<boolean> {
    if (expectLocal.node.kind === 'dir') {
      this.folders.forget(entryPath);
      const result = await deleteFolderIfEmpty(this.root, entryPath);
      if (result.status === 'deleted' || result.status === 'absent') {
        this.forgetEverywhereLocal(entryPath);
        if (result.status === 'deleted') this.summary.deletedLocal += 1;
        return true;
      }
      if (result.status === 'unsafe') this.addUnsafePath(entryPath, result.message);
      return false;
    }
    const expect = expectationFromLocalEntry(expectLocal);
    if (expect.kind !== 'file') return false;
    const result = await deleteFileIfUnchanged(this.root, entryPath, expect);
    if (result.status === 'deleted' || result.status === 'absent') {
      this.forgetEverywhereLocal(entryPath);
      this.summary.deletedLocal += 1;
      return true;
    }
    if (result.status === 'unsafe') this.addUnsafePath(entryPath, result.message);
    return false;
  }

  private forgetEverywhereLocal(entryPath: LibraryPath): void {
    this.index.transaction(() => {
      this.index.local.delete(this.libraryId, entryPath);
      this.index.synced.delete(this.libraryId, entryPath);
    });
  }

  private async download(entryPath: LibraryPath, remote: RemoteEntry, expectLocal: LocalEntry | undefined, chunks: ChunkSource, onRead?: () => void): Promise<boolean> {
    if (remote.node.kind !== 'file') return this.mkdirLocal(entryPath, remote);
    const written = await this.writeDownload(entryPath, remote, expectLocal, chunks, onRead);
    if (written === null) return false;
    this.index.transaction(() => this.recordDownload(written));
    return true;
  }

  /**
   * Downloads many files: small ones in groups whose missing chunks travel in one request and
   * which are written several at a time, their index records written in one transaction per
   * group; large ones one by one, streamed. Recording after the writes is safe: a crash in
   * between leaves files that the next scan finds equal to the server's, recorded as synced.
   */
  private async downloadAll(downloads: readonly DownloadJob[], chunks: ChunkSource): Promise<boolean> {
    let changed = false;
    const small: DownloadJob[] = [];
    const large: DownloadJob[] = [];
    for (const job of downloads) (job.remote.node.kind === 'file' && job.remote.node.size < RESUMABLE_DOWNLOAD_BYTES ? small : large).push(job);
    const groups = downloadGroups(small, (job) => (job.remote.node.kind === 'file' ? job.remote.node.size : 0));
    // A group's chunks are requested once the previous group's have all arrived: they travel
    // while that group's files are flushed, put in place and recorded, instead of after. At
    // most two groups' chunks are held (the one being written, the next one arriving). And a
    // group's files are written while the group before waits for the disk (its flush, fsyncs,
    // names and record): at most two groups are in flight.
    const requested = new Map<number, GroupChunks>();
    let stopped = false;
    /** Groups are requested in order, each once. */
    let lastRequested = -1;
    const request = (index: number): void => {
      if (stopped || index >= groups.length || index <= lastRequested) return;
      lastRequested = index;
      requested.set(index, chunks.request(groups[index]!.flatMap((job) => job.remote.chunks)));
    };
    const running = new Set<Promise<boolean>>();
    let finishing: Promise<boolean> | undefined;
    try {
      for (let index = 0; index < groups.length; index++) {
        this.deps.signal?.throwIfAborted();
        request(index);
        const current = requested.get(index)!;
        requested.delete(index);
        chunks.use(current);
        void current.settled.then(() => request(index + 1));
        // Once its temp files are written (every chunk of it read), the next group may be written.
        const { task: group } = await startUntilRead(running, (written) => this.downloadGroup(groups[index]!, chunks, written));
        if (finishing !== undefined) changed = (await finishing) || changed;
        finishing = group;
      }
      if (finishing !== undefined) changed = (await finishing) || changed;
    } finally {
      stopped = true;
      // A group still in flight when another failed or the round was paused ends first.
      await Promise.allSettled([...running]);
    }
    if (groups.length > 0) chunks.endGroups();
    // Large files one at a time, but the next one's chunks travel while the one before is
    // fsynced, put in place and recorded (each of those waits for the disk): at most two in
    // flight, one of them reading. Two files of the same content share a partial file's name
    // (see partialFileName): such a one waits for the one before to end.
    const files = new Set<Promise<boolean>>();
    let previous: { readonly file: Promise<boolean>; readonly contentHash: string } | undefined;
    // Their records are written a few files at a time, in one transaction (the index fsyncs
    // each one, on this thread, while the next file streams): after a crash in between, the
    // next scan finds those files equal to the server's and records them.
    const records: DownloadRecord[] = [];
    const writeRecords = (): void => {
      if (records.length === 0) return;
      const batch = records.splice(0);
      this.index.transaction(() => {
        for (const record of batch) this.recordDownload(record);
      });
    };
    try {
      for (const job of large) {
        this.deps.signal?.throwIfAborted();
        const contentHash = job.remote.node.kind === 'file' ? job.remote.node.contentHash : '';
        if (previous !== undefined && previous.contentHash === contentHash) {
          changed = (await previous.file) || changed;
          previous = undefined;
        }
        const { task: file } = await startUntilRead(files, (read) =>
          this.writeDownload(job.path, job.remote, job.expectLocal, chunks, read).then((written) => {
            if (written === null) return false;
            records.push(written);
            return true;
          }),
        );
        if (previous !== undefined) changed = (await previous.file) || changed;
        previous = { file, contentHash };
        if (records.length >= LARGE_RECORDS_AT_ONCE) writeRecords();
      }
      if (previous !== undefined) changed = (await previous.file) || changed;
    } finally {
      // A file still in flight when another failed or the round was paused ends first.
      await Promise.allSettled([...files]);
      writeRecords();
    }
    return changed;
  }

  /**
   * Writes a group of small files whose chunks are on their way (see ChunkSource.prefetch),
   * several at a time, sharing their folders' checks and fsyncs (writeFilesAtomic), and records
   * the ones written in one transaction. Recording only after writeFilesAtomic returns means a
   * file is synced in the index only once its bytes and its name are durable.
   */
  private async downloadGroup(group: readonly DownloadJob[], chunks: ChunkSource, onWritten?: () => void): Promise<boolean> {
    const files: FileToWrite[] = [];
    const jobs: { readonly job: DownloadJob; readonly tally: TalliedFile; transfer?: FileTransfer }[] = [];
    for (const job of group) {
      const { path: entryPath, remote } = job;
      const node = remote.node;
      if (node.kind !== 'file') continue;
      const tally = this.plannedDownloads.get(entryPath) ?? this.transfers.plan(node.size);
      const parent = parentPath(entryPath);
      const expect = expectationFromLocalEntry(job.expectLocal);
      // A folder in the way is deleted by the planner first; until then there is nothing to do.
      if ((parent !== '' && !(await this.ensureFolder(parent))) || expect.kind === 'dir') {
        tally.drop();
        continue;
      }
      const started: (typeof jobs)[number] = { job, tally };
      jobs.push(started);
      const meter = this.fileProgress;
      files.push({
        path: entryPath,
        mtimeMs: remote.mtimeMs,
        executable: node.executable,
        expect,
        source: () => {
          const transfer = meter.start(entryPath, 'download', node.size, 0);
          started.transfer = transfer;
          return counted(chunks.read(remote.chunks, false, entryPath), [transfer, tally]);
        },
      });
    }
    if (files.length === 0) return false;
    this.enter('downloading');
    let results;
    try {
      results = await writeFilesAtomic(this.folders, files, DOWNLOAD_CONCURRENCY, undefined, {
        onThisThread: this.deps.writeOnThisThread === true,
        ...(onWritten === undefined ? {} : { onWritten }),
      });
    } catch (error) {
      // The server's bytes do not fit a version it listed (see writeDownloadCounted): read the
      // feed again from before the group's earliest version next round.
      if (isRemoteError(error) && error.code === 'hash-mismatch') this.rewindCursorBefore(Math.min(...jobs.map(({ job }) => job.remote.rev)));
      throw error;
    }
    const written: DownloadRecord[] = [];
    results.forEach((result, index) => {
      const { job, tally, transfer } = jobs[index]!;
      if (result.status !== 'written') {
        if (result.status === 'unsafe') this.addUnsafePath(job.path, result.message);
        if (result.status === 'refused' && !this.unholdable(job.path, result.error)) throw result.error;
        // 'changed': the user touched it, the next pass makes it a conflict; 'gone': the user
        // moved its folder, the next pass sees where.
        tally.drop();
        return;
      }
      transfer?.finish();
      tally.finish();
      this.summary.downloadedFiles += 1;
      written.push({ path: job.path, remote: job.remote, inode: result.inode, mtimeMs: result.mtimeMs, size: result.size });
    });
    this.index.transaction(() => {
      for (const record of written) this.recordDownload(record);
    });
    return written.length > 0;
  }

  /** Writes one downloaded file, streaming; null when it was not written (reported, or changed meanwhile). */
  private async writeDownload(
    entryPath: LibraryPath,
    remote: RemoteEntry,
    expectLocal: LocalEntry | undefined,
    chunks: ChunkSource,
    onRead?: () => void,
  ): Promise<DownloadRecord | null> {
    if (remote.node.kind !== 'file') throw new TypeError(`writeDownload needs a file; ${entryPath} is a folder (use mkdirLocal)`);
    const tally = this.plannedDownloads.get(entryPath) ?? this.transfers.plan(remote.node.size);
    const written = await this.writeDownloadCounted(entryPath, remote, expectLocal, chunks, tally, onRead);
    if (written === null) tally.drop();
    else tally.finish();
    return written;
  }

  private async writeDownloadCounted(
    entryPath: LibraryPath,
    remote: RemoteEntry,
    expectLocal: LocalEntry | undefined,
    chunks: ChunkSource,
    tally: TalliedFile,
    /** Called once every byte of the file was read from its source (the write goes on). */
    onRead?: () => void,
  ): Promise<DownloadRecord | null> {
    if (remote.node.kind !== 'file') throw new TypeError(`writeDownload needs a file; ${entryPath} is a folder (use mkdirLocal)`);
    const parent = parentPath(entryPath);
    if (parent !== '' && !(await this.ensureFolder(parent))) return null;
    const expect = expectationFromLocalEntry(expectLocal);
    if (expect.kind === 'dir') return null; // the planner deletes a folder before replacing it
    this.enter('downloading');
    // A large file downloads into a partial file that survives an interruption; the next try
    // keeps its verified chunks and fetches only the rest.
    let partial: { name: string; keepBytes: number } | undefined;
    let firstChunk = 0;
    if (remote.node.size >= RESUMABLE_DOWNLOAD_BYTES) {
      const name = partialFileName(remote.node.contentHash);
      const folder = this.folders.absolute(parent);
      const kept = await chunks.verifiedPrefix(path.join(folder, name), remote.chunks);
      partial = { name, keepBytes: kept.bytes };
      firstChunk = kept.chunks;
    }
    const transfer = this.fileProgress.start(entryPath, 'download', remote.node.size, partial?.keepBytes ?? 0);
    tally.add(partial?.keepBytes ?? 0);
    const pieces = thenCall(counted(chunks.read(remote.chunks.slice(firstChunk), true, entryPath), [transfer, tally]), onRead);
    let result;
    try {
      result = await writeFileAtomic(this.root, entryPath, pieces, {
        mtimeMs: remote.mtimeMs,
        executable: remote.node.executable,
        expect,
        folders: this.folders,
        release: (piece) => chunks.release(piece),
        ...(partial === undefined ? {} : { partial }),
      });
    } catch (error) {
      // The server's bytes do not fit the version it listed (a chunk of another size than its
      // list says): that listing was recorded as the remote state, so read the feed again
      // from just before it next round rather than keep it for good.
      if (isRemoteError(error) && error.code === 'hash-mismatch') this.rewindCursorBefore(remote.rev);
      // The folder was renamed, deleted or replaced by a file while we wrote into it: the user
      // moved things meanwhile. Nothing was written under a real name; the next pass sees it.
      const code = (error as NodeJS.ErrnoException | null)?.code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      if (this.unholdable(entryPath, error)) return null;
      throw error;
    }
    if (result.status === 'unsafe') {
      this.addUnsafePath(entryPath, result.message);
      return null;
    }
    if (result.status === 'changed') return null; // the user touched it: the next pass makes it a conflict
    transfer.finish();
    this.summary.downloadedFiles += 1;
    return { path: entryPath, remote, inode: result.inode, mtimeMs: result.mtimeMs, size: result.size };
  }

  /** Makes the next pull read the feed again from before `rev` (entries read twice are recorded twice, harmlessly). */
  private rewindCursorBefore(rev: number): void {
    const cursor = this.index.libraries.get(this.libraryId)?.cursor ?? 0;
    if (cursor >= rev) this.index.libraries.update(this.libraryId, { cursor: rev - 1 });
  }

  private recordDownload(record: DownloadRecord): void {
    const { path: entryPath, remote } = record;
    this.index.local.put(this.libraryId, {
      path: entryPath,
      node: remote.node,
      mtimeMs: record.mtimeMs,
      inode: record.inode,
      statSize: record.size,
      chunks: remote.chunks,
    });
    this.recordSynced({ path: entryPath, node: remote.node, rev: remote.rev, inode: record.inode, mtimeMs: record.mtimeMs });
  }

  /** mkdirLocal for many folders (parents first), their fsyncs shared, recorded in one transaction. */
  private async mkdirLocalAll(folders: readonly { readonly path: LibraryPath; readonly remote: RemoteEntry }[]): Promise<boolean> {
    let results;
    try {
      results = await this.folders.ensureAll(folders.map((folder) => folder.path));
    } catch (error) {
      const code = fsErrorCode(error);
      if (code === undefined || !PATH_REFUSED_CODES.has(code)) throw error;
      // A path this disk refuses among them: one by one, so that path alone becomes a problem.
      let changed = false;
      for (const { path: entryPath, remote } of folders) changed = (await this.mkdirLocal(entryPath, remote)) || changed;
      return changed;
    }
    let changed = false;
    this.index.transaction(() => {
      results.forEach((result, i) => {
        const { path: entryPath, remote } = folders[i]!;
        if (result.status === 'created' || result.status === 'exists') {
          if (result.status === 'created') this.summary.foldersCreated += 1;
          this.recordFolder(entryPath, remote, result.inode);
          changed = true;
        } else if (result.status === 'unsafe') {
          this.addUnsafePath(entryPath, result.message);
        }
      });
    });
    return changed;
  }

  private recordFolder(entryPath: LibraryPath, remote: RemoteEntry, inode: number): void {
    this.index.local.put(this.libraryId, { path: entryPath, node: { kind: 'dir' }, mtimeMs: 0, inode, statSize: 0, chunks: [] });
    this.recordSynced({ path: entryPath, node: { kind: 'dir' }, rev: remote.rev, inode, mtimeMs: 0 });
  }

  private async mkdirLocal(entryPath: LibraryPath, remote: RemoteEntry): Promise<boolean> {
    const result = await this.mkdirHoldable(entryPath);
    if (result === null) return false;
    if (result.status === 'created' || result.status === 'exists') {
      if (result.status === 'created') this.summary.foldersCreated += 1;
      this.index.transaction(() => this.recordFolder(entryPath, remote, result.inode));
      return true;
    }
    if (result.status === 'unsafe') this.addUnsafePath(entryPath, result.message);
    return false;
  }

  /** Makes sure a folder exists locally (its synced entry follows from the planner later). */
  private async ensureFolder(folder: LibraryPath): Promise<boolean> {
    const result = await this.mkdirHoldable(folder);
    if (result === null) return false;
    if (result.status === 'created' || result.status === 'exists') return true;
    if (result.status === 'unsafe') this.addUnsafePath(folder, result.message);
    return false;
  }

  /** mkdirSafe, or null (and a problem) where this disk cannot hold the path. */
  private async mkdirHoldable(folder: LibraryPath): Promise<Awaited<ReturnType<CheckedFolders['ensure']>> | null> {
    try {
      return await this.folders.ensure(folder);
    } catch (error) {
      if (this.unholdable(folder, error)) return null;
      throw error;
    }
  }

  /**
   * Reports a path this disk refused to create (too long below this root, or a name its file
   * system does not take, as FAT and exFAT refuse ':' or '?' on Linux) and answers true; false
   * for any other error. Another device created the path, so it is this path's problem, not
   * the round's: everything else goes on syncing, and each round reports it again.
   */
  private unholdable(entryPath: LibraryPath, error: unknown): boolean {
    const code = fsErrorCode(error);
    if (code === undefined || !PATH_REFUSED_CODES.has(code)) return false;
    const message = `"${entryPath}" cannot be created in ${this.root} (${code}): this disk refuses the name or the path's length. Rename it on another device, or sync the library to a folder with a shorter path.`;
    this.addProblem(entryPath, 'illegal-local-name', message);
    if (!this.unholdablePaths.some((problem) => problem.path === entryPath)) {
      this.unholdablePaths.push({ kind: 'illegal-local-name', path: entryPath, name: '', message });
      this.recordIllegalLocalNames();
    }
    return true;
  }

  /** The library's open problems of names it cannot hold: this round's, replacing the last round's. */
  private recordIllegalLocalNames(): void {
    this.index.problems.replace(this.libraryId, { kinds: ['illegal-local-name'] }, [...this.illegalNames, ...this.unholdablePaths], Date.now());
  }

  /**
   * Both sides changed a path. The local version moves aside to the conflict name (and is
   * committed there as a new file), the server's version takes the name. If the local file
   * changed again since the scan, nothing happens: the next pass sees the newer version.
   */
  private async conflict(
    action: Extract<PlanAction, { kind: 'conflict' }>,
    chunks: ChunkSource,
    chunksUploaded: boolean,
  ): Promise<{ change: CommitChangeInput; onApplied: (result: Extract<ChangeResult, { status: 'applied' }>) => void } | null> {
    const expect = expectationFromLocalEntry(action.local);
    if (expect.kind === 'absent') return null;
    if (action.local.node.kind === 'file' && !chunksUploaded) return null;
    this.folders.forget(action.path);
    this.folders.forget(action.conflictPath);
    const moved = await moveIfUnchanged(this.root, action.path, action.conflictPath, expect);
    if (moved.status !== 'moved') {
      if (moved.status === 'unsafe') this.addUnsafePath(action.path, moved.message);
      return null;
    }
    const copy: LocalEntry = { ...action.local, path: action.conflictPath, inode: moved.inode };
    this.index.transaction(() => {
      // The synced entry this replaces is the merge base: the version both sides started from.
      const base = this.index.synced.get(this.libraryId, action.path);
      this.rebaseLocal(action.path, action.conflictPath);
      this.index.synced.delete(this.libraryId, action.path);
      this.index.conflicts.add({
        libraryId: this.libraryId,
        path: action.path,
        conflictPath: action.conflictPath,
        local: { node: action.local.node, rev: null, mtimeMs: action.local.mtimeMs, device: this.deps.deviceName, user: this.userName() },
        // The remote side's author is filled in from the server's history after the round.
        remote: { node: action.remote.node, rev: action.remote.rev, mtimeMs: action.remote.mtimeMs, device: null },
        base: base === undefined ? null : { rev: base.rev, node: base.node },
        createdAt: Date.now(),
      });
    });
    this.summary.conflicts.push(action.path);
    if (action.remote.node.kind === 'file') await this.download(action.path, action.remote, undefined, chunks);
    else await this.mkdirLocal(action.path, action.remote);
    if (copy.node.kind === 'dir') {
      return {
        change: { op: 'mkdir', path: action.conflictPath, baseRev: null },
        onApplied: (result) => this.recordSynced({ path: copy.path, node: copy.node, rev: result.entry.rev, inode: copy.inode, mtimeMs: copy.mtimeMs }),
      };
    }
    return {
      change: putChangeOf(action.conflictPath, copy, null),
      onApplied: (result) => {
        this.recordSynced({ path: copy.path, node: copy.node, rev: result.entry.rev, inode: copy.inode, mtimeMs: copy.mtimeMs });
        this.summary.uploadedFiles += 1;
      },
    };
  }

  // ---- recording ----------------------------------------------------------------------------

  private recordSynced(entry: SyncedEntry): void {
    this.index.synced.put(this.libraryId, entry);
  }

  /** Moves every local entry at or below `from` to below `to`. */
  /** The user this library syncs as: its own account's (the local side of a conflict is theirs). */
  private userName(): string | null {
    const accountId = this.index.libraries.get(this.libraryId)?.accountId;
    return accountId === null || accountId === undefined ? null : (this.index.accounts.get(accountId)?.user ?? null);
  }

  private rebaseLocal(from: LibraryPath, to: LibraryPath): void {
    const moved = [...this.index.local.loadBelow(this.libraryId, from).values()].filter((entry) => isSameOrBelow(entry.path, from));
    this.index.local.deleteBelow(this.libraryId, from);
    this.index.local.putMany(
      this.libraryId,
      moved.map((entry) => ({ ...entry, path: rebasePath(entry.path, from, to) })),
    );
  }

  /**
   * Moves every synced entry at or below `from` to below `to`; the moved root gets `rev`. With
   * `remoteRevs` (a move the server made, read from the feed), an entry below that has the same
   * content as the server's version at its new path takes that version's rev, as the next
   * pass's planner would record it.
   */
  private rebaseSynced(from: LibraryPath, to: LibraryPath, rev: number, remoteRevs = false): void {
    const moved = [...this.index.synced.loadBelow(this.libraryId, from).values()].filter((entry) => isSameOrBelow(entry.path, from));
    this.index.synced.deleteBelow(this.libraryId, from);
    // The server's versions at the new places, read at once (every moved path is at or below `to`).
    const remoteBelow = remoteRevs ? this.index.remote.loadBelow(this.libraryId, to) : undefined;
    const revAt = (entry: SyncedEntry, movedPath: LibraryPath): number => {
      if (entry.path === from) return rev;
      if (remoteBelow === undefined) return entry.rev;
      const remote = remoteBelow.get(movedPath);
      return remote !== undefined && sameContent(remote.node, entry.node) ? remote.rev : entry.rev;
    };
    this.index.synced.putMany(
      this.libraryId,
      moved.map((entry) => {
        const movedPath = rebasePath(entry.path, from, to);
        return { ...entry, path: movedPath, rev: revAt(entry, movedPath) };
      }),
    );
  }

  /** True when the user resumed the library after this breaker tripped: go ahead, this once. */
  private overridden(reason: PauseReason): boolean {
    return this.library.breakerOverride?.reason === reason;
  }

  private pause(reason: PauseReason, message: string): void {
    this.index.libraries.update(this.libraryId, { pause: { reason, since: Date.now() }, lastError: { message, at: Date.now() } });
    this.summary.outcome = 'paused';
    this.summary.pauseReason = reason;
    this.addProblem('', reason, message);
  }

  /** A path that would lead outside the root: reported now, and kept as the library's problem when the round completes. */
  private addUnsafePath(entryPath: string, message: string): void {
    this.addProblem(entryPath, 'unsafe-path', message);
    if (!this.unsafePaths.some((problem) => problem.path === entryPath)) this.unsafePaths.push({ kind: 'unsafe-path', path: entryPath as LibraryPath, name: '', message });
  }

  private addProblem(entryPath: string, kind: string, message: string): void {
    if (this.summary.problems.some((problem) => problem.path === entryPath && problem.kind === kind)) return;
    this.summary.problems.push({ path: entryPath, kind, message });
  }

  /** The round moves on to `phase`: reported when it differs from the one before, and at each pass's pull. */
  private enter(phase: RoundProgress['phase']): void {
    if (phase === this.phase && phase !== 'pulling') return;
    this.phase = phase;
    this.reportProgress();
  }

  /** The phase with the figures of every transfer of the round so far (see roundTransfers.ts). */
  private reportProgress(): void {
    this.deps.onProgress?.({ libraryId: this.libraryId, phase: this.phase, ...this.transfers.tally });
  }
}

/**
 * Starts `work`, which calls the function it is given once it has read all it needs, and keeps
 * it in `running` until it succeeds. Resolves once it has read all or ended; a failure is thrown
 * at once. The task comes back wrapped, so that awaiting this does not await the task's end.
 */
async function startUntilRead<T>(running: Set<Promise<T>>, work: (allRead: () => void) => Promise<T>): Promise<{ readonly task: Promise<T> }> {
  let read = (): void => undefined;
  const allRead = new Promise<void>((resolve) => {
    read = resolve;
  });
  const task = work(() => read());
  running.add(task);
  let failed = false;
  void task.then(
    () => running.delete(task),
    () => {
      failed = true;
    },
  );
  await Promise.race([allRead, task.then(() => undefined, () => undefined)]);
  if (failed) await task;
  return { task };
}

/**
 * Small downloads in order, cut into groups of at most DOWNLOAD_GROUP_FILES files and
 * DOWNLOAD_GROUP_BYTES bytes (a single larger file makes a group of its own). The bound is
 * strict: a group that took one more file while under the bound, whatever its size, reached
 * 24 MiB with a file of 8 MiB, and the two group arenas (see ChunkSource.request) grew to fit.
 */
export function downloadGroups<T>(jobs: readonly T[], sizeOf: (job: T) => number): T[][] {
  return boundedBatches(jobs, DOWNLOAD_GROUP_FILES, DOWNLOAD_GROUP_BYTES, sizeOf);
}

/** Selective sync: a path is selected when it is inside a selected path or leads to one. */
export function isInSelection(entryPath: LibraryPath, selection: readonly LibraryPath[]): boolean {
  return selection.some((selected) => isSameOrBelow(entryPath, selected) || isSameOrBelow(selected, entryPath));
}


/** A size in binary units, as the cairn command shows sizes: 9.3 GiB. */
function binarySize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** The problem of one file the server refused because the library owner's storage is full. */
function quotaProblem(entryPath: LibraryPath, figures: RoundSummary['storageFull']): ProblemInput {
  const usage = figures === null ? '' : ` (${binarySize(figures.usedBytes)} of ${binarySize(figures.quotaBytes)})`;
  return {
    kind: 'quota-exceeded',
    path: entryPath,
    name: '',
    message: `${entryPath}: not uploaded: the library owner's storage on the server is full${usage}. The file stays on this computer; Cairn uploads it once there is space.`,
  };
}

/** The problem of one local change a read-only library does not upload. */
function readOnlyProblem(entryPath: LibraryPath, change: 'changed' | 'added' | 'deleted' | 'moved', from?: LibraryPath): ProblemInput {
  const what =
    change === 'deleted'
      ? 'deleted here'
      : change === 'moved'
        ? `moved here from ${from ?? '?'}`
        : change === 'added'
          ? 'added here'
          : 'changed here';
  return {
    kind: 'read-only',
    path: entryPath,
    name: '',
    message: `${entryPath}: ${what}, but this library is read-only: not uploaded. The change stays on this computer only.`,
  };
}

/**
 * For the chunks downloads bring into files this disk holds a version of, where that version's
 * replaced chunk is (the base a chunk patch is asked against; see chunkPatching.ts).
 */
function patchBasesOf(actions: readonly PlanAction[], local: ReadonlyMap<LibraryPath, LocalEntry>): Map<ChunkId, PatchBase> {
  const bases = new Map<ChunkId, PatchBase>();
  for (const action of actions) {
    if ((action.kind !== 'download' && action.kind !== 'conflict') || action.remote.node.kind !== 'file') continue;
    const present = local.get(action.path);
    if (present === undefined || present.node.kind !== 'file') continue;
    for (const { chunk, base, baseOffset } of pairWithBases(present.chunks, action.remote.chunks)) {
      if (!bases.has(chunk.id)) bases.set(chunk.id, { filePath: action.path, id: base.id, offset: baseOffset, size: base.size });
    }
  }
  return bases;
}
