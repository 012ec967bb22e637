// The SyncApi of the Daemon: every operation of the contract (shared/api) done on the Daemon and
// its Engine, and the daemon's events translated into the contract's events. The control server
// (controlServer.ts) serves it on 127.0.0.1, the desktop app's engine host serves it over IPC,
// and a `cairn` command with no daemon running calls it in its own process: one door into the
// engine for every caller.
//
// The views (and a library's one state) come from syncViews.ts. Errors cross as codes:
// syncApiErrorOf is the one mapping.

import { lstat } from 'node:fs/promises';
import type {
  ActivityEntry,
  ConflictOutcome,
  ConflictView,
  LibraryView,
  OperationRequest,
  OperationResponse,
  ProblemView,
  SyncApi,
  SyncEvent,
  SyncEventListener,
  SyncStatus,
  Unsubscribe,
} from '../../shared/api/index.js';
import { SYNC_API_LIMITS, SyncApiError } from '../../shared/api/index.js';
import { fsErrorCode } from '../../shared/node/fsErrorCode.js';
import type { LibraryPath } from '../../shared/paths.js';
import { ConnectError, UnsafePathError, UserError, conflictViewOf, isRemoteError, resolveInRoot } from '../engine/index.js';
import type { RemoteError } from '../engine/index.js';
import { InsecureSecretFileError } from '../profile/secretFile.js';
import type { Daemon, DaemonEvent, DaemonLibraryStatus } from './daemon.js';
import { checkFolder, suggestFolder } from './folderCheck.js';
import { listRemoteFolder } from './remoteFolders.js';
import { libraryViewOf, problemViewOf, remoteLibraryViewOf, roundSummaryViewOf, versionViewOf } from './syncViews.js';

export interface DaemonSyncApiOptions {
  /**
   * Opens a local folder in the OS file manager, or a file with its default app (the desktop
   * app passes Electron's shell.openPath). Without it (a headless daemon) openFolder and
   * openFile check the path and log it.
   */
  readonly openPath?: (absolutePath: string) => Promise<void>;
  readonly log?: (line: string) => void;
  /** Least time between two libraryChanged events of one library that carry only progress. Default 250 ms. */
  readonly progressIntervalMs?: number;
}

/** The SyncApi of a daemon; close() stops listening to the daemon (call it before daemon.stop()). */
export interface DaemonSyncApi extends SyncApi {
  close(): void;
}

const DEFAULT_PROGRESS_INTERVAL_MS = 250;

export function createDaemonSyncApi(daemon: Daemon, options: DaemonSyncApiOptions = {}): DaemonSyncApi {
  return new EngineSyncApi(daemon, options);
}

// ---- errors -----------------------------------------------------------------------------------

/**
 * The one mapping from what the daemon and the engine throw to the contract's error codes. A
 * RemoteError of a login attempt means something else than one of a later call ('unauthorized'
 * is a wrong password there, a revoked token here). Anything unknown is a bug: it is returned
 * as it is, and the control server reports it as 'internal' and logs its stack.
 */
export function syncApiErrorOf(error: unknown, during: 'login' | 'operation' = 'operation'): unknown {
  if (error instanceof SyncApiError) return error;
  if (error instanceof UserError) {
    switch (error.reason) {
      case 'not-logged-in':
        return new SyncApiError('not-logged-in', error.message, error.details);
      case 'not-found':
        return new SyncApiError('not-found', error.message);
      case 'conflict':
        return new SyncApiError('conflict', error.message, error.details);
      case 'invalid':
        return new SyncApiError('invalid-argument', error.message, error.details);
      default:
        return new SyncApiError('invalid-argument', (error as Error).message);
    }
  }
  if (error instanceof ConnectError) return new SyncApiError(error.failure, error.message, { cause: error.connectCause });
  if (isRemoteError(error)) return remoteApiError(error, during);
  if (error instanceof UnsafePathError) return new SyncApiError('invalid-argument', error.message);
  if (error instanceof InsecureSecretFileError) return new SyncApiError('forbidden', error.message);
  const code = fsErrorCode(error);
  if (code !== undefined && LOCAL_FOLDER_ERRORS.has(code)) return new SyncApiError('invalid-argument', `${(error as Error).message}: pick a folder you can write to`);
  return error;
}

/** File system errors that mean "this folder cannot be used", the user's to fix. */
const LOCAL_FOLDER_ERRORS = new Set(['EACCES', 'EPERM', 'ENOENT', 'ENOTDIR', 'EEXIST', 'EROFS', 'ENOSPC', 'ELOOP', 'ENAMETOOLONG']);

function remoteApiError(error: RemoteError, during: 'login' | 'operation'): SyncApiError {
  switch (error.transport) {
    case 'certificate':
      return new SyncApiError('certificate', `${error.message}: check the server's certificate, or the address`);
    case 'not-cairn':
    case 'too-long':
      return new SyncApiError('not-cairn-server', `${error.message}: check the address`);
    case 'unreachable':
    case 'timeout':
    case 'reset':
      return new SyncApiError('unreachable', during === 'login' ? `${error.message}: check the address and your network` : `${error.message}: check the address and your network; Cairn keeps retrying`);
    case null:
      break;
    default:
      error.transport satisfies never;
  }
  switch (error.code) {
    case 'unauthorized':
      return during === 'login'
        ? new SyncApiError('wrong-password', 'the server refused this user name and password')
        : new SyncApiError('not-logged-in', 'the server no longer accepts this device (its token was revoked or expired): log in again');
    case 'forbidden':
      return new SyncApiError('forbidden', error.message);
    case 'quota-exceeded':
      return new SyncApiError('storage-full', error.message, error.details === undefined ? undefined : { ...error.details });
    case 'not-found':
      return new SyncApiError('not-found', error.message);
    case 'conflict':
      return new SyncApiError('conflict', error.message);
    case 'rate-limited':
      return new SyncApiError('rate-limited', error.message);
    case 'payload-too-large':
      return new SyncApiError('payload-too-large', error.message);
    case 'unavailable':
      return new SyncApiError('unreachable', error.message);
    case 'bad-request':
    case 'method-not-allowed':
    case 'unsupported-media-type':
    case 'missing-chunks':
    case 'hash-mismatch':
    case 'internal':
      return new SyncApiError('internal', `the server answered ${error.code}: ${error.message}`);
    default:
      return error.code satisfies never;
  }
}

// ---- helpers ---------------------------------------------------------------------------------

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch (error) {
    if (fsErrorCode(error) === 'ENOENT') return false;
    throw error;
  }
}

/** What identifies a problem list for publishing: every round sees a problem again, which is no news. */
/** How many matching paths an ignore-rules preview lists (the count covers them all). */
const IGNORE_PREVIEW_PATHS = 20;

function problemsSignature(problems: readonly ProblemView[]): string {
  return JSON.stringify(problems.map((problem) => ({ ...problem, lastSeenAt: 0 })));
}

// ---- the API ----------------------------------------------------------------------------------

class EngineSyncApi implements DaemonSyncApi {
  private readonly listeners = new Set<{ readonly listener: SyncEventListener }>();
  private readonly unsubscribeDaemon: () => void;
  private readonly log: (line: string) => void;
  private readonly progressIntervalMs: number;
  /** Per library: when progress was last published, and a trailing publication waiting. */
  private readonly progressPublished = new Map<string, { at: number; timer: NodeJS.Timeout | null }>();
  /** The conflict and problem lists last published per library, to publish only changes. */
  private readonly publishedConflicts = new Map<string, string>();
  private readonly publishedProblems = new Map<string, string>();
  private closed = false;

  constructor(
    private readonly daemon: Daemon,
    private readonly options: DaemonSyncApiOptions,
  ) {
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.progressIntervalMs = options.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
    for (const library of daemon.engine.libraries()) {
      this.publishedConflicts.set(library.libraryId, JSON.stringify(this.conflictViews(library.libraryId)));
      this.publishedProblems.set(library.libraryId, problemsSignature(this.problemViews(library.libraryId)));
    }
    this.unsubscribeDaemon = daemon.subscribe((event) => this.onDaemonEvent(event));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribeDaemon();
    for (const published of this.progressPublished.values()) if (published.timer !== null) clearTimeout(published.timer);
    this.progressPublished.clear();
    this.listeners.clear();
  }

  subscribe(listener: SyncEventListener): Unsubscribe {
    const subscription = { listener };
    this.listeners.add(subscription);
    return () => {
      this.listeners.delete(subscription);
    };
  }

  // ---- status and account -------------------------------------------------------------------

  async getStatus(_request: OperationRequest<'getStatus'>): Promise<OperationResponse<'getStatus'>> {
    return this.guard(async () => this.status());
  }

  async login(request: OperationRequest<'login'>): Promise<OperationResponse<'login'>> {
    let accountId: string;
    try {
      ({ accountId } = await this.daemon.login(request.serverUrl, request.user, request.password, request.deviceName, { switchAccount: request.switchAccount === true }));
    } catch (error) {
      throw syncApiErrorOf(error, 'login');
    }
    const account = this.daemon.engine.accounts().find((candidate) => candidate.accountId === accountId);
    if (account === undefined) throw new SyncApiError('internal', 'the login succeeded but no account was recorded');
    return { accountId, serverUrl: account.serverUrl, user: account.user, deviceName: account.deviceName ?? this.daemon.engine.deviceName };
  }

  async logout(request: OperationRequest<'logout'>): Promise<OperationResponse<'logout'>> {
    return this.guard(async () => {
      const stopped = await this.daemon.logout(request.accountId);
      return { ok: true, stopped: stopped.map((library) => ({ libraryId: library.libraryId, name: library.name, localRoot: library.localRoot })) } as const;
    });
  }

  async listAccounts(_request: OperationRequest<'listAccounts'>): Promise<OperationResponse<'listAccounts'>> {
    return this.guard(async () => ({ accounts: this.accountSummaries() }));
  }

  async removeAccount(request: OperationRequest<'removeAccount'>): Promise<OperationResponse<'removeAccount'>> {
    return this.guard(async () => {
      const removed = await this.daemon.removeAccount(request.accountId);
      for (const library of removed) {
        this.publishedConflicts.delete(library.libraryId);
        this.publishedProblems.delete(library.libraryId);
      }
      return { ok: true, removed: removed.map((library) => ({ libraryId: library.libraryId, name: library.name, localRoot: library.localRoot })) } as const;
    });
  }

  async listLinkCandidates(request: OperationRequest<'listLinkCandidates'>): Promise<OperationResponse<'listLinkCandidates'>> {
    return this.guard(async () => {
      this.requireSynced(request.libraryId);
      const { seeing } = await this.daemon.engine.accountsSeeing(request.libraryId);
      return { accounts: seeing.map((account) => ({ accountId: account.accountId, serverUrl: account.serverUrl, user: account.user })) };
    });
  }

  async linkLibrary(request: OperationRequest<'linkLibrary'>): Promise<OperationResponse<'linkLibrary'>> {
    return this.guard(async () => {
      this.requireSynced(request.libraryId);
      const library = await this.daemon.linkLibrary(request.libraryId, request.accountId);
      return this.view(library.libraryId);
    });
  }

  // ---- libraries ----------------------------------------------------------------------------

  async listRemoteLibraries(request: OperationRequest<'listRemoteLibraries'>): Promise<OperationResponse<'listRemoteLibraries'>> {
    return this.guard(async () => {
      const { libraries, storage } = await this.daemon.engine.remoteLibraryList(request.accountId);
      const synced = new Map(this.daemon.engine.libraries().map((library) => [library.libraryId, library.localRoot]));
      return {
        libraries: libraries.map((library) => remoteLibraryViewOf(library, synced.get(library.id) ?? null)),
        storage: storage === undefined ? null : { usedBytes: storage.usedBytes, quotaBytes: storage.quotaBytes },
      };
    });
  }

  async listMembers(request: OperationRequest<'listMembers'>): Promise<OperationResponse<'listMembers'>> {
    return this.guard(async () => ({ members: membersViewOf(await this.daemon.engine.members(request.libraryId)) }));
  }

  async setMember(request: OperationRequest<'setMember'>): Promise<OperationResponse<'setMember'>> {
    return this.guard(async () => ({ members: membersViewOf(await this.daemon.engine.setMember(request.libraryId, request.user, request.role)) }));
  }

  async removeMember(request: OperationRequest<'removeMember'>): Promise<OperationResponse<'removeMember'>> {
    return this.guard(async () => ({ members: membersViewOf(await this.daemon.engine.removeMember(request.libraryId, request.user)) }));
  }

  async createLibrary(request: OperationRequest<'createLibrary'>): Promise<OperationResponse<'createLibrary'>> {
    return this.guard(async () => {
      return remoteLibraryViewOf(await this.daemon.engine.createLibrary(request.name, request.accountId), null);
    });
  }

  async suggestFolder(request: OperationRequest<'suggestFolder'>): Promise<OperationResponse<'suggestFolder'>> {
    return this.guard(async () => ({
      path: suggestFolder(request.libraryName, { libraries: this.daemon.engine.libraries(), profileHome: this.daemon.engine.home }),
      // The desktop app's main process answers true for its own window (it has the dialog);
      // this service, reached by a browser or the CLI, has none.
      nativePicker: false,
    }));
  }

  async checkFolder(request: OperationRequest<'checkFolder'>): Promise<OperationResponse<'checkFolder'>> {
    return this.guard(() => checkFolder(request.path, { libraries: this.daemon.engine.libraries(), profileHome: this.daemon.engine.home }));
  }

  async chooseFolder(_request: OperationRequest<'chooseFolder'>): Promise<OperationResponse<'chooseFolder'>> {
    // Only the desktop app's main process opens a dialog (ipcHandlers answers it there).
    throw new SyncApiError('forbidden', 'there is no folder dialog here: type the folder’s path');
  }

  async addLibrary(request: OperationRequest<'addLibrary'>): Promise<OperationResponse<'addLibrary'>> {
    return this.guard(async () => {
      if (request.selection !== null && request.selection.length === 0) {
        throw new SyncApiError('invalid-argument', 'the selection is empty: pick at least one folder, or null for the whole library');
      }
      const library = await this.daemon.addLibrary(request.libraryId, request.localRoot, request.selection ?? [], request.accountId);
      return this.view(library.libraryId);
    });
  }

  async removeLibrary(request: OperationRequest<'removeLibrary'>): Promise<OperationResponse<'removeLibrary'>> {
    return this.guard(async () => {
      this.requireSynced(request.libraryId);
      const library = await this.daemon.removeLibrary(request.libraryId);
      this.publishedConflicts.delete(library.libraryId);
      this.publishedProblems.delete(library.libraryId);
      return { libraryId: library.libraryId, name: library.name, localRoot: library.localRoot };
    });
  }

  async setSelection(request: OperationRequest<'setSelection'>): Promise<OperationResponse<'setSelection'>> {
    return this.guard(async () => {
      this.requireSynced(request.libraryId);
      if (request.selection !== null && request.selection.length === 0) {
        throw new SyncApiError('invalid-argument', 'the selection is empty: pick at least one folder, or null for the whole library');
      }
      this.daemon.setSelection(request.libraryId, request.selection ?? []);
      return this.view(request.libraryId);
    });
  }

  async previewSelection(request: OperationRequest<'previewSelection'>): Promise<OperationResponse<'previewSelection'>> {
    return this.guard(async () => {
      this.requireSynced(request.libraryId);
      return { leaving: this.daemon.engine.selectionLeaving(request.libraryId, request.selection ?? []) };
    });
  }

  async getRemoteFolders(request: OperationRequest<'getRemoteFolders'>): Promise<OperationResponse<'getRemoteFolders'>> {
    return this.guard(async () => {
      const folder = request.path ?? '';
      const snapshot = await this.daemon.engine.remoteSnapshot(request.libraryId, folder, request.accountId);
      return listRemoteFolder(request.libraryId, folder, snapshot.entries);
    });
  }

  async getIgnoreRules(request: OperationRequest<'getIgnoreRules'>): Promise<OperationResponse<'getIgnoreRules'>> {
    return this.guard(async () => {
      this.requireSynced(request.libraryId);
      return { libraryId: request.libraryId, text: await this.daemon.engine.readIgnoreRules(request.libraryId) };
    });
  }

  async setIgnoreRules(request: OperationRequest<'setIgnoreRules'>): Promise<OperationResponse<'setIgnoreRules'>> {
    return this.guard(async () => {
      this.requireSynced(request.libraryId);
      await this.daemon.engine.writeIgnoreRules(request.libraryId, request.text);
      // The watcher sees the file change too; this covers a library it does not watch.
      this.daemon.requestScan(request.libraryId, 'all');
      return { libraryId: request.libraryId, text: request.text };
    });
  }

  async previewIgnoreRules(request: OperationRequest<'previewIgnoreRules'>): Promise<OperationResponse<'previewIgnoreRules'>> {
    return this.guard(async () => {
      const preview = this.daemon.engine.previewIgnoreRules(this.requireSynced(request.libraryId), request.text, IGNORE_PREVIEW_PATHS);
      return { issues: [...preview.issues], matchCount: preview.matchCount, matches: [...preview.matches] };
    });
  }

  // ---- pause and rounds ---------------------------------------------------------------------

  async pauseLibrary(request: OperationRequest<'pauseLibrary'>): Promise<OperationResponse<'pauseLibrary'>> {
    return this.guard(async () => {
      this.requireSynced(request.libraryId);
      this.daemon.setPaused(request.libraryId, true);
      return this.view(request.libraryId);
    });
  }

  async resumeLibrary(request: OperationRequest<'resumeLibrary'>): Promise<OperationResponse<'resumeLibrary'>> {
    return this.guard(async () => {
      this.requireSynced(request.libraryId);
      this.daemon.setPaused(request.libraryId, false);
      return this.view(request.libraryId);
    });
  }

  async pauseAll(_request: OperationRequest<'pauseAll'>): Promise<OperationResponse<'pauseAll'>> {
    return this.guard(async () => {
      await this.daemon.setAllPaused(true);
      return this.status();
    });
  }

  async resumeAll(_request: OperationRequest<'resumeAll'>): Promise<OperationResponse<'resumeAll'>> {
    return this.guard(async () => {
      await this.daemon.setAllPaused(false);
      return this.status();
    });
  }

  async syncNow(request: OperationRequest<'syncNow'>): Promise<OperationResponse<'syncNow'>> {
    return this.guard(async () => {
      if (this.daemon.engine.account() === null) throw new SyncApiError('not-logged-in', 'this device is not logged in to a Cairn server: log in first');
      if (request.libraryId !== undefined) this.requireSynced(request.libraryId);
      return { queued: this.daemon.requestRound(request.libraryId) };
    });
  }

  // ---- conflicts, problems, activity --------------------------------------------------------

  async listConflicts(request: OperationRequest<'listConflicts'>): Promise<OperationResponse<'listConflicts'>> {
    return this.guard(async () => {
      if (request.libraryId !== undefined) return { conflicts: this.conflictViews(this.requireSynced(request.libraryId)) };
      const conflicts = this.daemon.engine.libraries().flatMap((library) => this.conflictViews(library.libraryId));
      return { conflicts: conflicts.sort((a, b) => a.createdAt - b.createdAt || a.conflictId - b.conflictId) };
    });
  }

  async resolveConflict(request: OperationRequest<'resolveConflict'>): Promise<OperationResponse<'resolveConflict'>> {
    return this.guard(async () => {
      const conflict = this.daemon.engine.findConflict(request.conflictId);
      if (conflict === undefined) throw new SyncApiError('not-found', `conflict ${request.conflictId} is not open (resolved already?)`);
      const library = this.requireLibrary(conflict.libraryId);
      const options = request.keep === 'merged' ? { versions: request.versions, choices: request.choices } : request.versions === undefined ? {} : { versions: request.versions };
      const resolved = await this.daemon.resolveConflict(request.conflictId, request.keep, options);
      this.publishListsOf(conflict.libraryId);
      return conflictViewOf(resolved, library.name);
    });
  }

  async getConflictDetails(request: OperationRequest<'getConflictDetails'>): Promise<OperationResponse<'getConflictDetails'>> {
    // Only reads: no need to hold the library's rounds back.
    return this.guard(() => this.daemon.engine.conflictDetails(request.conflictId));
  }

  async resolveConflicts(request: OperationRequest<'resolveConflicts'>): Promise<OperationResponse<'resolveConflicts'>> {
    return this.guard(async () => {
      const engine = this.daemon.engine;
      const libraryIds = new Set<string>();
      const names = new Map<number, string>();
      for (const conflictId of request.conflictIds) {
        const conflict = engine.findConflict(conflictId);
        if (conflict === undefined) continue;
        libraryIds.add(conflict.libraryId);
        names.set(conflictId, this.requireLibrary(conflict.libraryId).name);
      }
      const outcomes = await this.daemon.resolveConflicts(request.conflictIds, request.keep);
      for (const libraryId of libraryIds) this.publishListsOf(libraryId);
      return {
        results: outcomes.map((outcome): ConflictOutcome => {
          if (outcome.outcome === 'resolved') return { conflictId: outcome.conflictId, outcome: 'resolved', conflict: conflictViewOf(outcome.conflict, names.get(outcome.conflictId) ?? '') };
          const error = syncApiErrorOf(outcome.error);
          if (error instanceof SyncApiError) return { conflictId: outcome.conflictId, outcome: 'failed', error: { code: error.code, message: error.message } };
          this.log(`resolving conflict ${outcome.conflictId} failed: ${(outcome.error as Error).stack ?? String(outcome.error)}`);
          return { conflictId: outcome.conflictId, outcome: 'failed', error: { code: 'internal', message: (outcome.error as Error).message ?? String(outcome.error) } };
        }),
      };
    });
  }

  async getHistory(request: OperationRequest<'getHistory'>): Promise<OperationResponse<'getHistory'>> {
    return this.guard(async () => {
      this.requireSynced(request.libraryId);
      return { versions: (await this.daemon.history(request.libraryId, request.path)).map(versionViewOf) };
    });
  }

  async restoreVersion(request: OperationRequest<'restoreVersion'>): Promise<OperationResponse<'restoreVersion'>> {
    return this.guard(async () => {
      this.requireSynced(request.libraryId);
      return versionViewOf(await this.daemon.restore(request.libraryId, request.path, request.rev));
    });
  }

  async getPendingWork(request: OperationRequest<'getPendingWork'>): Promise<OperationResponse<'getPendingWork'>> {
    return this.guard(async () => {
      this.requireSynced(request.libraryId);
      return { pending: await this.daemon.pendingWork(this.requireSynced(request.libraryId)) };
    });
  }

  async getVersionPreview(request: OperationRequest<'getVersionPreview'>): Promise<OperationResponse<'getVersionPreview'>> {
    return this.guard(async () => {
      this.requireSynced(request.libraryId);
      return this.daemon.engine.versionPreview(request.libraryId, request.path, request.rev);
    });
  }

  async listTrash(request: OperationRequest<'listTrash'>): Promise<OperationResponse<'listTrash'>> {
    return this.guard(async () => {
      this.requireSynced(request.libraryId);
      const trash = await this.daemon.engine.trash(request.libraryId);
      return {
        items: trash.items.map((item) => ({
          path: item.path,
          kind: item.lastLive.kind,
          size: item.lastLive.size,
          lastLiveRev: item.lastLive.rev,
          deletedAt: item.deleted.committedAt,
          deletedBy: item.deleted.userName,
          deletedOn: item.deleted.device,
        })),
        hasMore: trash.hasMore,
      };
    });
  }

  async listFiles(request: OperationRequest<'listFiles'>): Promise<OperationResponse<'listFiles'>> {
    return this.guard(async () => {
      this.requireSynced(request.libraryId);
      return this.daemon.engine.listFolder(request.libraryId, request.path, request.cursor);
    });
  }

  async restoreCopy(request: OperationRequest<'restoreCopy'>): Promise<OperationResponse<'restoreCopy'>> {
    return this.guard(async () => {
      this.requireSynced(request.libraryId);
      return { path: await this.daemon.restoreAsCopy(request.libraryId, request.path, request.rev) };
    });
  }

  async restoreSnapshot(request: OperationRequest<'restoreSnapshot'>): Promise<OperationResponse<'restoreSnapshot'>> {
    return this.guard(async () => {
      const libraryId = this.requireSynced(request.libraryId);
      let publishedAt = Number.NEGATIVE_INFINITY;
      const result = await this.daemon.engine.restoreSnapshot(libraryId, request.at, request.target, (progress) => {
        const now = performance.now();
        if (now - publishedAt < this.progressIntervalMs && progress.filesDone < progress.filesTotal) return;
        publishedAt = now;
        this.emit({ kind: 'snapshotProgressed', libraryId, target: request.target, ...progress });
      });
      return { ...result, skipped: [...result.skipped] };
    });
  }

  async openVersion(request: OperationRequest<'openVersion'>): Promise<OperationResponse<'openVersion'>> {
    return this.guard(async () => {
      this.requireSynced(request.libraryId);
      const file = await this.daemon.engine.exportVersion(request.libraryId, request.path, request.rev);
      if (this.options.openPath === undefined) this.log(`open version: ${file}`);
      else await this.options.openPath(file);
      return { ok: true } as const;
    });
  }

  async checkLocalPaths(request: OperationRequest<'checkLocalPaths'>): Promise<OperationResponse<'checkLocalPaths'>> {
    return this.guard(async () => {
      const library = this.requireLibrary(this.requireSynced(request.libraryId));
      const found: { path: LibraryPath; kind: 'file' | 'dir' }[] = [];
      for (const libraryPath of request.paths) {
        // resolveInRoot refuses a path that leaves the folder through a symlink: not found here.
        const target = await resolveInRoot(library.localRoot, libraryPath).catch(() => null);
        const stats = target === null ? undefined : await lstat(target).catch(() => undefined);
        if (stats?.isFile()) found.push({ path: libraryPath, kind: 'file' });
        else if (stats?.isDirectory()) found.push({ path: libraryPath, kind: 'dir' });
      }
      return { found };
    });
  }

  async setAutoMerge(request: OperationRequest<'setAutoMerge'>): Promise<OperationResponse<'setAutoMerge'>> {
    return this.guard(async () => {
      this.requireSynced(request.libraryId);
      this.daemon.setAutoMerge(request.libraryId, request.autoMerge);
      return this.view(request.libraryId);
    });
  }

  async listProblems(request: OperationRequest<'listProblems'>): Promise<OperationResponse<'listProblems'>> {
    return this.guard(async () => {
      if (request.libraryId !== undefined) return { problems: this.problemViews(this.requireSynced(request.libraryId)) };
      return { problems: this.daemon.engine.libraries().flatMap((library) => this.problemViews(library.libraryId)) };
    });
  }

  async setProblemDismissed(request: OperationRequest<'setProblemDismissed'>): Promise<OperationResponse<'setProblemDismissed'>> {
    return this.guard(async () => {
      const libraryId = this.requireSynced(request.libraryId);
      this.daemon.engine.setProblemDismissed(libraryId, { path: request.path, kind: request.kind, name: request.name }, request.dismissed);
      // The card's state (needs attention or not) and every window's list follow at once.
      this.publishListsOf(libraryId);
      this.publishLibrary(libraryId);
      return { problems: this.problemViews(libraryId) };
    });
  }

  async renameLocalItem(request: OperationRequest<'renameLocalItem'>): Promise<OperationResponse<'renameLocalItem'>> {
    return this.guard(async () => {
      const libraryId = this.requireSynced(request.libraryId);
      await this.daemon.engine.renameLocalItem(libraryId, request.folder, request.name, request.newName);
      // The watcher sees it too; this covers a library it does not watch (and a paused one's next round).
      this.daemon.requestScan(libraryId, request.folder === '' ? 'all' : [request.folder]);
      return { ok: true } as const;
    });
  }

  async getActivity(request: OperationRequest<'getActivity'>): Promise<OperationResponse<'getActivity'>> {
    return this.guard(async () => {
      if (request.libraryId !== undefined) this.requireSynced(request.libraryId);
      return this.daemon.activity.page({
        ...(request.libraryId === undefined ? {} : { libraryId: request.libraryId }),
        ...(request.before === undefined ? {} : { before: request.before }),
        limit: request.limit ?? SYNC_API_LIMITS.defaultActivityPage,
      });
    });
  }

  // ---- preferences, folders -----------------------------------------------------------------

  async getPreferences(_request: OperationRequest<'getPreferences'>): Promise<OperationResponse<'getPreferences'>> {
    return this.guard(async () => this.daemon.preferences);
  }

  async setPreferences(request: OperationRequest<'setPreferences'>): Promise<OperationResponse<'setPreferences'>> {
    return this.guard(() => this.daemon.setPreferences(request));
  }

  async openFolder(request: OperationRequest<'openFolder'>): Promise<OperationResponse<'openFolder'>> {
    return this.guard(async () => {
      const library = this.requireLibrary(this.requireSynced(request.libraryId));
      // resolveInRoot refuses a path that leaves the folder through a symlink.
      const target = request.path === undefined ? library.localRoot : await resolveInRoot(library.localRoot, request.path);
      if (!(await exists(target))) throw new SyncApiError('not-found', `${target} does not exist (any more)`);
      if (this.options.openPath === undefined) this.log(`open folder: ${target}`);
      else await this.options.openPath(target);
      return { ok: true } as const;
    });
  }

  async openFile(request: OperationRequest<'openFile'>): Promise<OperationResponse<'openFile'>> {
    return this.guard(async () => {
      const library = this.requireLibrary(this.requireSynced(request.libraryId));
      // resolveInRoot refuses a path that leaves the folder through a symlink, the file itself included.
      const target = await resolveInRoot(library.localRoot, request.path);
      const found = await lstat(target).catch(() => null);
      if (found === null) throw new SyncApiError('not-found', `${request.path} is not on this computer (any more)`);
      if (!found.isFile()) throw new SyncApiError('invalid-argument', `${request.path} is not a file`);
      if (this.options.openPath === undefined) this.log(`open file: ${target}`);
      else await this.options.openPath(target);
      return { ok: true } as const;
    });
  }

  // ---- internals ----------------------------------------------------------------------------

  /** Runs an operation and maps what it throws (see syncApiErrorOf). */
  private async guard<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) throw new SyncApiError('unavailable', 'the Cairn daemon is stopping');
    try {
      return await work();
    } catch (error) {
      throw syncApiErrorOf(error);
    }
  }

  private requireLibrary(libraryId: string) {
    const library = this.daemon.engine.library(libraryId);
    if (library === undefined) throw new SyncApiError('not-found', `library ${libraryId} is not synced on this device`);
    return library;
  }

  private requireSynced(libraryId: string): string {
    return this.requireLibrary(libraryId).libraryId;
  }

  private accountSummaries(): NonNullable<SyncStatus['accounts']> {
    const libraries = this.daemon.engine.libraries();
    return this.daemon.engine.accounts().map((account) => ({
      accountId: account.accountId,
      serverUrl: account.serverUrl,
      user: account.user,
      deviceName: account.deviceName,
      signedIn: account.signedIn,
      libraries: libraries
        .filter((library) => library.accountId === account.accountId)
        .map((library) => ({ libraryId: library.libraryId, name: library.name, localRoot: library.localRoot })),
    }));
  }

  private status(): SyncStatus {
    return {
      account: this.daemon.engine.account(),
      accounts: this.accountSummaries(),
      allPaused: this.daemon.allPausedSince !== null,
      libraries: this.daemon.status().map((status) => this.viewOf(status)),
    };
  }

  private view(libraryId: string): LibraryView {
    const status = this.daemon.libraryStatus(libraryId);
    if (status === undefined) throw new SyncApiError('not-found', `library ${libraryId} is not synced on this device`);
    return this.viewOf(status);
  }

  private viewOf(status: DaemonLibraryStatus): LibraryView {
    return libraryViewOf(status, this.daemon.stateContext(status));
  }

  private conflictViews(libraryId: string): ConflictView[] {
    const library = this.daemon.engine.library(libraryId);
    if (library === undefined) return [];
    return this.daemon.engine
      .openConflicts(libraryId)
      .map((conflict) => conflictViewOf(conflict, library.name))
      .sort((a, b) => a.createdAt - b.createdAt || a.conflictId - b.conflictId);
  }

  private problemViews(libraryId: string): ProblemView[] {
    return this.daemon.engine.problems(libraryId).map(problemViewOf);
  }

  private onDaemonEvent(event: DaemonEvent): void {
    if (this.closed) return;
    switch (event.kind) {
      case 'state':
        this.publishLibrary(event.libraryId);
        return;
      case 'progress':
        this.publishProgress(event.progress.libraryId);
        return;
      case 'fileProgress':
        // Already thinned out by the round (a few a second per file, small files not at all).
        this.emit({ kind: 'fileProgressed', ...event.progress });
        return;
      case 'round':
        this.emit({ kind: 'roundFinished', summary: roundSummaryViewOf(event.summary) });
        this.publishListsOf(event.libraryId);
        return;
      case 'connection':
        for (const library of this.daemon.engine.libraries()) this.publishLibrary(library.libraryId);
        return;
      case 'profile':
        this.emit({ kind: 'statusChanged', status: this.status() });
        for (const library of this.daemon.engine.libraries()) {
          if (!this.publishedConflicts.has(library.libraryId)) this.publishListsOf(library.libraryId);
        }
        return;
      case 'library':
        this.publishLibrary(event.libraryId);
        return;
      case 'activity':
        for (const entry of event.entries) this.emit({ kind: 'activityAdded', entry: entry satisfies ActivityEntry });
        return;
      case 'preferences':
        this.emit({ kind: 'preferencesChanged', preferences: event.preferences });
        return;
      default:
        event satisfies never;
    }
  }

  private publishLibrary(libraryId: string): void {
    const published = this.progressPublished.get(libraryId);
    if (published?.timer) {
      clearTimeout(published.timer);
      published.timer = null;
    }
    const status = this.daemon.libraryStatus(libraryId);
    if (status === undefined) return;
    this.progressPublished.set(libraryId, { at: performance.now(), timer: null });
    this.emit({ kind: 'libraryChanged', library: this.viewOf(status) });
  }

  /** Progress is published at most every progressIntervalMs per library, the latest always last. */
  private publishProgress(libraryId: string): void {
    const published = this.progressPublished.get(libraryId);
    const due = (published?.at ?? Number.NEGATIVE_INFINITY) + this.progressIntervalMs;
    const now = performance.now();
    if (now >= due) {
      this.publishLibrary(libraryId);
      return;
    }
    if (published !== undefined && published.timer === null) {
      published.timer = setTimeout(() => {
        published.timer = null;
        if (!this.closed) this.publishLibrary(libraryId);
      }, due - now);
      published.timer.unref();
    }
  }

  /** Publishes a library's conflict and problem lists where they changed since last published. */
  private publishListsOf(libraryId: string): void {
    if (this.daemon.engine.library(libraryId) === undefined) return;
    const conflicts = this.conflictViews(libraryId);
    const conflictsText = JSON.stringify(conflicts);
    if (this.publishedConflicts.get(libraryId) !== conflictsText) {
      this.publishedConflicts.set(libraryId, conflictsText);
      this.emit({ kind: 'conflictsChanged', libraryId, conflicts });
    }
    const problems = this.problemViews(libraryId);
    const problemsText = problemsSignature(problems);
    if (this.publishedProblems.get(libraryId) !== problemsText) {
      this.publishedProblems.set(libraryId, problemsText);
      this.emit({ kind: 'problemsChanged', libraryId, problems });
    }
  }

  private emit(event: SyncEvent): void {
    for (const subscription of [...this.listeners]) {
      try {
        subscription.listener(event);
      } catch (error) {
        this.log(`a SyncApi listener failed: ${(error as Error).stack ?? String(error)}`);
      }
    }
  }
}

function membersViewOf(members: readonly { readonly user: string; readonly role: 'owner' | 'rw' | 'ro' }[]): { user: string; role: 'owner' | 'rw' | 'ro' }[] {
  return members.map((member) => ({ user: member.user, role: member.role }));
}
