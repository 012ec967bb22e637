// The one place where what the daemon and the engine know becomes the contract's view models
// (shared/api/views.ts): a library's state and view, problems, server libraries, history
// versions and round summaries. Conflicts are the engine's own (conflictViewOf), since its
// conflict details carry one. Pure functions, tested as tables (test/daemon/daemonViews.test.ts).
//
// Honest status: libraryStateOf is the one function that decides what state a library is in,
// from what the index holds (pause, last sync, errors, conflicts, problems) and what the daemon
// is doing (runner state, progress, retries, the server connection). It says 'up-to-date' only
// when nothing is running, queued, failing or waiting for the user.

import type { LibraryState, LibraryView, PauseReason, ProblemKind, ProblemView, RemoteLibraryView, RoundErrorReason, RoundSummaryView, VersionView } from '../../shared/api/index.js';
import { pauseReasonSchema, problemKindSchema } from '../../shared/api/index.js';
import type { LibraryPath } from '../../shared/paths.js';
import { ERROR_CODES, errorAction } from '../../shared/protocol/index.js';
import type { Entry, ErrorCode, Library } from '../../shared/protocol/index.js';
import type { ProblemRecord, RoundProgress, RoundSummary } from '../engine/index.js';
import type { ConnectionState, DaemonLibraryStatus } from './daemon.js';

/** What a library's state depends on beyond the library itself. */
export interface StateContext {
  readonly allPausedSince: number | null;
  readonly loggedIn: boolean;
  /** Bound to no account (an older profile's library): it waits to be linked to one. */
  readonly unlinked?: boolean;
  readonly connection: ConnectionState;
}

function pauseReasonOf(reason: string): PauseReason {
  const parsed = pauseReasonSchema.safeParse(reason);
  return parsed.success ? parsed.data : 'user';
}

export function problemKindOf(kind: string): ProblemKind {
  const parsed = problemKindSchema.safeParse(kind);
  return parsed.success ? parsed.data : 'other';
}

/** Whether a failed round's error code needs the user, or only time. */
function errorActionOf(code: string): 'retry-later' | 'needs-user' {
  if ((ERROR_CODES as readonly string[]).includes(code)) {
    const action = errorAction(code as ErrorCode);
    return action === 'needs-user' || action === 'fatal' ? 'needs-user' : 'retry-later';
  }
  // 'not-logged-in', and 'local': a full disk or a permission the user must fix.
  return 'needs-user';
}

/** What a round's error code (a protocol code, 'not-logged-in' or 'local') means for the user. */
export function roundErrorReasonOf(code: string | null): RoundErrorReason {
  switch (code) {
    case 'not-logged-in':
    case 'unauthorized':
      return 'not-logged-in';
    case 'not-found':
      return 'library-gone';
    case 'forbidden':
      return 'forbidden';
    case 'rate-limited':
      return 'rate-limited';
    case 'local':
      return 'local';
    case 'internal':
    case 'unavailable':
      return 'server-error';
    case 'bad-request':
    case 'method-not-allowed':
    case 'conflict':
    case 'payload-too-large':
    case 'unsupported-media-type':
    case 'missing-chunks':
    case 'hash-mismatch':
      return 'server-refused';
    default:
      return 'unknown';
  }
}

function progressView(progress: RoundProgress | null, bytesPerSecond: number | null): Extract<LibraryState, { kind: 'scanning' }>['progress'] {
  const filesTotal = Math.max(0, progress?.filesTotal ?? 0);
  const bytesTotal = Math.max(0, Math.round(progress?.bytesTotal ?? 0));
  const bytesDone = Math.min(bytesTotal, Math.max(0, Math.round(progress?.bytesDone ?? 0)));
  const rate = bytesPerSecond !== null && bytesPerSecond > 0 ? bytesPerSecond : null;
  return {
    filesDone: Math.min(filesTotal, Math.max(0, progress?.filesDone ?? 0)),
    filesTotal,
    bytesDone,
    bytesTotal,
    bytesPerSecond: rate,
    secondsLeft: rate === null ? null : (bytesTotal - bytesDone) / rate,
  };
}

/** A library's state for the UI and the CLI, in the order of what matters most to the user. */
export function libraryStateOf(status: DaemonLibraryStatus, context: StateContext): LibraryState {
  // A round still running while paused is stopping (its requests are aborted): "pausing…".
  const stopping = status.inRound === true ? { stopping: true } : {};
  if (status.pause !== null) return { kind: 'paused', reason: pauseReasonOf(status.pause.reason), since: status.pause.since, ...stopping };
  if (context.allPausedSince !== null) return { kind: 'paused', reason: 'all-paused', since: context.allPausedSince, ...stopping };
  // Its own account is signed out: it waits for that account (no other account's token is used).
  if (!context.loggedIn) return context.unlinked === true ? { kind: 'signed-out', unlinked: true } : { kind: 'signed-out' };
  switch (status.activity) {
    case 'scanning':
    case 'syncing': {
      const phase = status.progress?.phase;
      if (phase === undefined || phase === 'pulling' || phase === 'scanning') return { kind: 'scanning', progress: progressView(status.progress, null) };
      return { kind: 'syncing', phase, progress: progressView(status.progress, status.bytesPerSecond) };
    }
    case 'offline':
      return { kind: 'offline', since: status.activitySince, retryAt: status.retryAt };
    case 'error': {
      const error = status.roundError;
      return {
        kind: 'error',
        message: error?.message ?? status.lastError?.message ?? 'the last round failed',
        at: error?.at ?? status.activitySince,
        action: error === null ? 'retry-later' : errorActionOf(error.code),
        reason: roundErrorReasonOf(error?.code ?? null),
      };
    }
    case 'paused':
      // The runner paused (a circuit breaker) and the index will say why once the round is recorded.
      return { kind: 'pending', reason: 'round-queued' };
    case 'idle':
      break;
    default:
      return status.activity satisfies never;
  }
  if (status.busy) return { kind: 'pending', reason: 'round-queued' };
  if (context.connection.state === 'offline') return { kind: 'offline', since: context.connection.since, retryAt: null };
  if (status.lastError !== null) return { kind: 'error', message: status.lastError.message, at: status.lastError.at, action: 'retry-later', reason: 'unknown' };
  if (status.lastSyncAt === null) return { kind: 'pending', reason: 'never-synced' };
  if (status.openConflicts > 0 || status.problems.some((problem) => problem.dismissedAt === null)) return { kind: 'needs-attention' };
  return { kind: 'up-to-date' };
}

export function libraryViewOf(status: DaemonLibraryStatus, context: StateContext): LibraryView {
  return {
    libraryId: status.libraryId,
    name: status.name,
    localRoot: status.localRoot,
    selection: status.selection === null ? null : ([...status.selection] as LibraryPath[]),
    state: libraryStateOf(status, context),
    lastSyncAt: status.lastSyncAt,
    openConflicts: status.openConflicts,
    // Dismissed problems are understood: they no longer count.
    problemCount: status.problems.filter((problem) => problem.dismissedAt === null).length,
    autoMerge: status.autoMerge,
    role: status.role,
    owner: status.owner,
    accountId: status.accountId,
    storageFull: status.storageFull === null || status.storageFull === undefined ? null : { ...status.storageFull },
  };
}

export function problemViewOf(problem: ProblemRecord): ProblemView {
  return {
    libraryId: problem.libraryId,
    kind: problemKindOf(problem.kind),
    path: problem.path,
    name: problem.name,
    message: problem.message,
    firstSeenAt: problem.firstSeenAt,
    lastSeenAt: problem.lastSeenAt,
    dismissedAt: problem.dismissedAt,
  };
}

/** A server library as the "add a library" screen and `cairn library list` show it. */
export function remoteLibraryViewOf(library: Library, syncedTo: string | null): RemoteLibraryView {
  return { libraryId: library.id, name: library.name, owner: library.owner, role: library.role, syncedTo, sizeBytes: library.sizeBytes ?? null };
}

/** One version of the server's history, without its chunk list (nobody looking at it needs that). */
export function versionViewOf(entry: Entry): VersionView {
  return {
    path: entry.path,
    rev: entry.rev,
    kind: entry.kind,
    deleted: entry.deleted,
    size: entry.size,
    contentHash: entry.contentHash,
    committedAt: entry.committedAt,
    userName: entry.userName,
    device: entry.device,
    movedFrom: entry.movedFrom ?? null,
    movedTo: entry.movedTo ?? null,
  };
}

export function roundSummaryViewOf(summary: RoundSummary): RoundSummaryView {
  return {
    libraryId: summary.libraryId,
    name: summary.name,
    outcome: summary.outcome,
    pauseReason: summary.pauseReason,
    error: summary.error === null ? null : { code: summary.error.code, message: summary.error.message },
    uploadedFiles: summary.uploadedFiles,
    uploadedBytes: summary.uploadedBytes,
    downloadedFiles: summary.downloadedFiles,
    downloadedBytes: summary.downloadedBytes,
    reusedBytes: summary.reusedBytes,
    deletedLocal: summary.deletedLocal,
    deletedRemote: summary.deletedRemote,
    movedLocal: summary.movedLocal,
    movedRemote: summary.movedRemote,
    foldersCreated: summary.foldersCreated,
    conflicts: [...summary.conflicts],
    autoMerged: summary.autoMerged.map((merged) => ({ path: merged.path, conflictPath: merged.conflictPath })),
    problems: summary.problems.map((problem) => ({ path: problem.path, kind: problem.kind, message: problem.message })),
    passes: summary.passes,
    storageFull: summary.storageFull === null ? null : { ...summary.storageFull },
  };
}
