// An in-memory SyncApi for tests of everything that carries the API (the control server, the
// HTTP client, later the IPC bridge and the UI). It keeps the promises of the contract: every
// operation checks its preconditions and fails with the code the real service would use, state
// changes raise the events the real service would raise, in order, and the status is never
// 'up-to-date' while a remote file within the selection is not yet on "disk".
//
// Servers are described up front (reachable or not, a Cairn server or not, a good certificate
// or not, users and libraries); a sync round "downloads" the remote files the library selects.

import type { LibraryPath } from '../../shared/paths.js';
import type {
  AccountView,
  ActivityEntry,
  ConflictView,
  LibraryState,
  LibraryView,
  OperationRequest,
  OperationResponse,
  PauseReason,
  Preferences,
  ProblemView,
  RemoteFolderView,
  RemoteLibraryView,
  SyncApi,
  SyncEvent,
  SyncEventListener,
  SyncStatus,
  Unsubscribe,
} from '../../shared/api/index.js';
import { FILE_PAGE_SIZE, SYNC_API_LIMITS, SyncApiError, diffViewData, mergeResultView } from '../../shared/api/index.js';
import type { ConflictPreview, ConflictVersion, FileRow } from '../../shared/api/index.js';
import { buildDiffView, decodeText, encodeText, mergeBytes, mergeThreeWay, renderMerge } from '../../shared/merge/index.js';
import type { ConflictChoice } from '../../shared/merge/index.js';
import type { LibraryRole } from '../../shared/protocol/index.js';

export interface FakeRemoteFile {
  readonly path: LibraryPath;
  readonly size: number;
}

export interface FakeRemoteLibrary {
  readonly libraryId: string;
  readonly name: string;
  readonly owner: string;
  readonly role: LibraryRole;
  readonly files: FakeRemoteFile[];
}

export interface FakeServer {
  /** The address as users type it; compared without a trailing slash. */
  readonly url: string;
  /** What answers at the address: a Cairn server, something else, or a server whose certificate fails. */
  readonly kind: 'cairn' | 'not-cairn' | 'bad-certificate';
  /** User name -> password. */
  readonly users: Readonly<Record<string, string>>;
  readonly libraries: FakeRemoteLibrary[];
}

export interface FakeSyncApiOptions {
  readonly servers: readonly FakeServer[];
  readonly deviceName?: string;
  readonly now?: () => number;
}

interface SyncedLibrary {
  readonly libraryId: string;
  readonly name: string;
  readonly localRoot: string;
  selection: LibraryPath[] | null;
  pause: { readonly reason: PauseReason; readonly since: number } | null;
  lastSyncAt: number | null;
  ignoreRules: string;
  autoMerge: boolean;
  /** The files "on disk": what rounds downloaded. */
  readonly localFiles: Map<LibraryPath, number>;
  problems: ProblemView[];
  /** Set while a round runs. */
  round: { filesDone: number; filesTotal: number; bytesDone: number; bytesTotal: number } | null;
}

const DEFAULT_PREFERENCES: Preferences = {
  language: 'en',
  startAtLogin: false,
  notifications: true,
  uploadLimit: null,
  downloadLimit: null,
  theme: 'system',
};

/** The texts of a conflict's versions in the fake; base null: both sides created the path. */
export interface FakeConflictTexts {
  readonly base: string | null;
  local: string;
  remote: string;
}

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

function normalizeUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

function isWithin(path: string, folder: string): boolean {
  return folder === '' || path === folder || path.startsWith(`${folder}/`);
}

function isSelected(path: LibraryPath, selection: readonly LibraryPath[] | null): boolean {
  return selection === null || selection.some((selected) => isWithin(path, selected));
}

function foldersOverlap(first: string, second: string): boolean {
  const a = first.replace(/[\\/]+$/, '');
  const b = second.replace(/[\\/]+$/, '');
  const below = (inner: string, outer: string) => inner.startsWith(`${outer}/`) || inner.startsWith(`${outer}\\`);
  return a === b || below(a, b) || below(b, a);
}

export class FakeSyncApi implements SyncApi {
  private readonly servers: Map<string, FakeServer>;
  private readonly deviceName: string;
  private readonly now: () => number;
  private account: { readonly view: AccountView; readonly server: FakeServer } | null = null;
  /** When the user paused everything, or null while not. */
  private allPausedSince: number | null = null;
  private readonly libraries = new Map<string, SyncedLibrary>();
  private readonly conflicts = new Map<number, ConflictView>();
  /** The text of each open conflict's versions, and how often each side was saved again. */
  private readonly conflictTexts = new Map<number, FakeConflictTexts & { edits: { local: number; remote: number } }>();
  private nextConflictId = 1;
  private readonly activity: ActivityEntry[] = [];
  private nextActivityId = 1;
  private nextLibraryNumber = 1;
  private preferences: Preferences = { ...DEFAULT_PREFERENCES };
  private readonly listeners = new Set<{ readonly listener: SyncEventListener }>();
  /** Rounds run one after another, like the engine's; this is the tail of that queue. */
  private rounds: Promise<void> = Promise.resolve();

  /** Every openFolder request, in order: the fake's file manager. */
  readonly openedFolders: { libraryId: string; localPath: string }[] = [];

  constructor(options: FakeSyncApiOptions) {
    this.servers = new Map(options.servers.map((server) => [normalizeUrl(server.url), server]));
    this.deviceName = options.deviceName ?? 'test-device';
    this.now = options.now ?? Date.now;
  }

  // ---- test controls ------------------------------------------------------------------------

  /** How many listeners are subscribed now (a closed stream must leave none behind). */
  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Resolves once every round queued so far has finished. */
  idle(): Promise<void> {
    return this.rounds;
  }

  /** A file appears on the server (another device uploaded it). */
  addRemoteFile(libraryId: string, path: LibraryPath, size: number): void {
    const remote = this.findRemote(libraryId);
    remote.files.push({ path, size });
    const synced = this.libraries.get(libraryId);
    if (synced !== undefined) this.emit({ kind: 'libraryChanged', library: this.view(synced) });
  }

  /** A file is on this computer (written here, or brought down before). */
  addLocalFile(libraryId: string, path: LibraryPath, size: number): void {
    this.requireSynced(libraryId).localFiles.set(path, size);
  }

  /**
   * A round found a conflict at `path`: the local version was saved as `conflictPath`. The
   * versions' texts default to an overlapping edit of a one-line file; a null base is a
   * conflict whose sides both created the path.
   */
  addConflict(libraryId: string, path: LibraryPath, conflictPath: LibraryPath, texts: Partial<FakeConflictTexts> = {}): ConflictView {
    const library = this.requireSynced(libraryId);
    const at = this.now();
    const contents: FakeConflictTexts = { base: 'first line\n', local: 'my line\n', remote: 'their line\n', ...texts };
    const conflict: ConflictView = {
      conflictId: this.nextConflictId++,
      libraryId,
      libraryName: library.name,
      path,
      conflictPath,
      local: { kind: 'file', size: utf8Length(contents.local), mtimeMs: at, device: this.deviceName, user: 'ann' },
      remote: { kind: 'file', size: utf8Length(contents.remote), mtimeMs: at, device: 'other-device', user: 'ann' },
      baseKnown: contents.base !== null,
      contentKind: /\.(jpe?g|png|gif|webp)$/i.test(path) ? 'image' : /\.(txt|md)$/i.test(path) ? 'text' : null,
      createdAt: at,
    };
    this.conflicts.set(conflict.conflictId, conflict);
    this.conflictTexts.set(conflict.conflictId, { ...contents, edits: { local: 0, remote: 0 } });
    library.localFiles.set(conflictPath, utf8Length(contents.local));
    this.addActivity(library, { kind: 'conflict-found', path, conflictPath });
    this.emit({ kind: 'conflictsChanged', libraryId, conflicts: this.openConflicts(libraryId) });
    this.emit({ kind: 'libraryChanged', library: this.view(library) });
    return conflict;
  }

  /** A round reported a problem at `path`. */
  addProblem(libraryId: string, problem: Pick<ProblemView, 'kind' | 'path' | 'message'>): void {
    const library = this.requireSynced(libraryId);
    const at = this.now();
    library.problems = [...library.problems, { libraryId, name: '', firstSeenAt: at, lastSeenAt: at, dismissedAt: null, ...problem }];
    this.addActivity(library, { kind: 'problem-found', path: problem.path, message: problem.message });
    this.emit({ kind: 'problemsChanged', libraryId, problems: library.problems });
    this.emit({ kind: 'libraryChanged', library: this.view(library) });
  }

  /** A circuit breaker paused the library (the root vanished, a mass deletion). */
  tripBreaker(libraryId: string, reason: 'root-missing' | 'root-emptied' | 'mass-delete'): void {
    const library = this.requireSynced(libraryId);
    library.pause = { reason, since: this.now() };
    this.emit({ kind: 'libraryChanged', library: this.view(library) });
  }

  // ---- SyncApi ------------------------------------------------------------------------------

  subscribe(listener: SyncEventListener): Unsubscribe {
    const subscription = { listener };
    this.listeners.add(subscription);
    return () => {
      this.listeners.delete(subscription);
    };
  }

  async getStatus(_request: OperationRequest<'getStatus'>): Promise<OperationResponse<'getStatus'>> {
    return this.status();
  }

  async login(request: OperationRequest<'login'>): Promise<OperationResponse<'login'>> {
    const server = this.servers.get(normalizeUrl(request.serverUrl));
    if (server === undefined) throw new SyncApiError('unreachable', `${request.serverUrl} cannot be reached: check the address and your network`);
    switch (server.kind) {
      case 'not-cairn':
        throw new SyncApiError('not-cairn-server', `${request.serverUrl} answers, but it is not a Cairn server: check the address`);
      case 'bad-certificate':
        throw new SyncApiError('certificate', `the certificate of ${request.serverUrl} was refused`);
      case 'cairn':
        break;
      default:
        throw new Error(`unhandled server kind: ${JSON.stringify(server.kind satisfies never)}`);
    }
    if (server.users[request.user] !== request.password) throw new SyncApiError('wrong-password', 'the user name or password is wrong');
    const view: AccountView = { serverUrl: normalizeUrl(request.serverUrl), user: request.user, deviceName: request.deviceName ?? this.deviceName };
    this.account = { view, server };
    this.emit({ kind: 'statusChanged', status: this.status() });
    return view;
  }

  async logout(_request: OperationRequest<'logout'>): Promise<OperationResponse<'logout'>> {
    this.account = null;
    this.emit({ kind: 'statusChanged', status: this.status() });
    return { ok: true };
  }

  /** Removes the one account: its libraries stop syncing here. */
  async removeAccount(request: OperationRequest<'removeAccount'>): Promise<OperationResponse<'removeAccount'>> {
    if (this.account === null || request.accountId !== 'fake-account-1') throw new SyncApiError('not-found', `no account "${request.accountId}" in this profile`);
    const removed = [...this.libraries.values()].map((library) => this.view(library)).map((library) => ({ libraryId: library.libraryId, name: library.name, localRoot: library.localRoot }));
    this.libraries.clear();
    this.account = null;
    this.emit({ kind: 'statusChanged', status: this.status() });
    return { ok: true, removed };
  }

  /** The fake's libraries are always linked to its one account: no candidate to choose. */
  async listLinkCandidates(_request: OperationRequest<'listLinkCandidates'>): Promise<OperationResponse<'listLinkCandidates'>> {
    return { accounts: [] };
  }

  async linkLibrary(request: OperationRequest<'linkLibrary'>): Promise<OperationResponse<'linkLibrary'>> {
    throw new SyncApiError('conflict', `library ${request.libraryId} is linked to an account already`);
  }

  /** The fake holds one account at most: the one logged in. */
  async listAccounts(_request: OperationRequest<'listAccounts'>): Promise<OperationResponse<'listAccounts'>> {
    if (this.account === null) return { accounts: [] };
    const libraries = [...this.libraries.values()].map((library) => this.view(library));
    return {
      accounts: [
        {
          accountId: 'fake-account-1',
          serverUrl: this.account.view.serverUrl,
          user: this.account.view.user,
          deviceName: this.account.view.deviceName,
          signedIn: true,
          libraries: libraries.map((library) => ({ libraryId: library.libraryId, name: library.name, localRoot: library.localRoot })),
        },
      ],
    };
  }

  async listRemoteLibraries(_request: OperationRequest<'listRemoteLibraries'>): Promise<OperationResponse<'listRemoteLibraries'>> {
    const server = this.requireServer();
    return { libraries: server.libraries.map((library) => this.remoteView(library)) };
  }

  async createLibrary(request: OperationRequest<'createLibrary'>): Promise<OperationResponse<'createLibrary'>> {
    const server = this.requireServer();
    const owner = this.account!.view.user;
    if (server.libraries.some((library) => library.owner === owner && library.name === request.name)) {
      throw new SyncApiError('conflict', `you already have a library named "${request.name}": pick another name`);
    }
    const library: FakeRemoteLibrary = {
      libraryId: `library-${String(this.nextLibraryNumber++).padStart(4, '0')}`,
      name: request.name,
      owner,
      role: 'owner',
      files: [],
    };
    server.libraries.push(library);
    return this.remoteView(library);
  }

  async suggestFolder(request: OperationRequest<'suggestFolder'>): Promise<OperationResponse<'suggestFolder'>> {
    return { path: `/home/fake/Cairn/${request.libraryName.replace(/[\\/]/g, '_') || 'Cairn library'}`, nativePicker: false };
  }

  async checkFolder(request: OperationRequest<'checkFolder'>): Promise<OperationResponse<'checkFolder'>> {
    const typed = request.path.trim();
    if (typed === '') return { verdict: 'error', reason: 'missing', libraryName: null, entries: null };
    if (!typed.startsWith('/')) return { verdict: 'error', reason: 'not-absolute', libraryName: null, entries: null };
    for (const other of this.libraries.values()) {
      if (foldersOverlap(other.localRoot, typed)) return { verdict: 'error', reason: 'inside-library', libraryName: other.name, entries: null };
    }
    return { verdict: 'ok', reason: 'will-create', libraryName: null, entries: null };
  }

  async chooseFolder(_request: OperationRequest<'chooseFolder'>): Promise<OperationResponse<'chooseFolder'>> {
    throw new SyncApiError('forbidden', 'there is no folder dialog here: type the folder’s path');
  }

  async addLibrary(request: OperationRequest<'addLibrary'>): Promise<OperationResponse<'addLibrary'>> {
    const remote = this.findRemote(request.libraryId);
    if (this.libraries.has(remote.libraryId)) throw new SyncApiError('conflict', `library "${remote.name}" is already synced on this device`);
    for (const other of this.libraries.values()) {
      if (foldersOverlap(other.localRoot, request.localRoot)) {
        throw new SyncApiError('conflict', `${request.localRoot} overlaps the folder of library "${other.name}" (${other.localRoot}): pick another folder`);
      }
    }
    const library: SyncedLibrary = {
      libraryId: remote.libraryId,
      name: remote.name,
      localRoot: request.localRoot,
      selection: request.selection,
      pause: null,
      lastSyncAt: null,
      ignoreRules: '',
      autoMerge: false,
      localFiles: new Map(),
      problems: [],
      round: null,
    };
    this.libraries.set(library.libraryId, library);
    this.emit({ kind: 'statusChanged', status: this.status() });
    return this.view(library);
  }

  async removeLibrary(request: OperationRequest<'removeLibrary'>): Promise<OperationResponse<'removeLibrary'>> {
    const library = this.requireSynced(request.libraryId);
    this.libraries.delete(library.libraryId);
    for (const conflict of [...this.conflicts.values()]) {
      if (conflict.libraryId === library.libraryId) this.conflicts.delete(conflict.conflictId);
    }
    this.emit({ kind: 'statusChanged', status: this.status() });
    return { libraryId: library.libraryId, name: library.name, localRoot: library.localRoot };
  }

  async setSelection(request: OperationRequest<'setSelection'>): Promise<OperationResponse<'setSelection'>> {
    const library = this.requireSynced(request.libraryId);
    library.selection = request.selection;
    // Deselected files that are on the server leave the disk; nothing else would (safety rule 5).
    for (const path of [...library.localFiles.keys()]) {
      if (!isSelected(path, library.selection) && this.remoteFile(library.libraryId, path) !== undefined) library.localFiles.delete(path);
    }
    const view = this.view(library);
    this.emit({ kind: 'libraryChanged', library: view });
    return view;
  }

  async listMembers(request: OperationRequest<'listMembers'>): Promise<OperationResponse<'listMembers'>> {
    const remote = this.findRemote(request.libraryId);
    return { members: [{ user: remote.owner, role: 'owner' }] };
  }

  async setMember(request: OperationRequest<'setMember'>): Promise<OperationResponse<'setMember'>> {
    this.findRemote(request.libraryId);
    // The fake server has one user per library: sharing is not modelled.
    throw new SyncApiError('not-found', `no user ${request.user} on the server`);
  }

  async removeMember(request: OperationRequest<'removeMember'>): Promise<OperationResponse<'removeMember'>> {
    this.findRemote(request.libraryId);
    throw new SyncApiError('not-found', `${request.user} is not a member of this library`);
  }

  async previewSelection(request: OperationRequest<'previewSelection'>): Promise<OperationResponse<'previewSelection'>> {
    const library = this.requireSynced(request.libraryId);
    // The fake groups by file: each deselected file on the server is its own group.
    const leaving = [...library.localFiles]
      .filter(([path]) => isSelected(path, library.selection) && !isSelected(path, request.selection) && this.remoteFile(library.libraryId, path) !== undefined)
      .map(([path, size]) => ({ path, files: 1, bytes: size }));
    return { leaving };
  }

  async getRemoteFolders(request: OperationRequest<'getRemoteFolders'>): Promise<OperationResponse<'getRemoteFolders'>> {
    this.requireServer();
    const remote = this.findRemote(request.libraryId);
    const folder = request.path ?? '';
    const below = remote.files.filter((file) => folder === '' || file.path.startsWith(`${folder}/`));
    if (folder !== '' && below.length === 0) throw new SyncApiError('not-found', `there is no folder ${folder} in library "${remote.name}"`);
    const prefixLength = folder === '' ? 0 : folder.length + 1;
    const folders = new Map<string, { fileCount: number; totalBytes: number; hasSubfolders: boolean }>();
    let fileCount = 0;
    let totalBytes = 0;
    for (const file of below) {
      const rest = file.path.slice(prefixLength);
      const slash = rest.indexOf('/');
      if (slash === -1) {
        fileCount++;
        totalBytes += file.size;
        continue;
      }
      const name = rest.slice(0, slash);
      const entry = folders.get(name) ?? { fileCount: 0, totalBytes: 0, hasSubfolders: false };
      entry.fileCount++;
      entry.totalBytes += file.size;
      entry.hasSubfolders ||= rest.indexOf('/', slash + 1) !== -1;
      folders.set(name, entry);
    }
    const views: RemoteFolderView[] = [...folders.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, entry]) => ({ path: (folder === '' ? name : `${folder}/${name}`) as LibraryPath, name, ...entry }));
    return { libraryId: remote.libraryId, path: folder, folders: views, fileCount, totalBytes };
  }

  async getIgnoreRules(request: OperationRequest<'getIgnoreRules'>): Promise<OperationResponse<'getIgnoreRules'>> {
    const library = this.requireSynced(request.libraryId);
    return { libraryId: library.libraryId, text: library.ignoreRules };
  }

  async setIgnoreRules(request: OperationRequest<'setIgnoreRules'>): Promise<OperationResponse<'setIgnoreRules'>> {
    const library = this.requireSynced(request.libraryId);
    library.ignoreRules = request.text;
    return { libraryId: library.libraryId, text: library.ignoreRules };
  }

  async pauseLibrary(request: OperationRequest<'pauseLibrary'>): Promise<OperationResponse<'pauseLibrary'>> {
    const library = this.requireSynced(request.libraryId);
    library.pause = { reason: 'user', since: this.now() };
    const view = this.view(library);
    this.emit({ kind: 'libraryChanged', library: view });
    return view;
  }

  async resumeLibrary(request: OperationRequest<'resumeLibrary'>): Promise<OperationResponse<'resumeLibrary'>> {
    const library = this.requireSynced(request.libraryId);
    library.pause = null;
    const view = this.view(library);
    this.emit({ kind: 'libraryChanged', library: view });
    return view;
  }

  async pauseAll(_request: OperationRequest<'pauseAll'>): Promise<OperationResponse<'pauseAll'>> {
    this.allPausedSince ??= this.now();
    const status = this.status();
    this.emit({ kind: 'statusChanged', status });
    return status;
  }

  async resumeAll(_request: OperationRequest<'resumeAll'>): Promise<OperationResponse<'resumeAll'>> {
    this.allPausedSince = null;
    const status = this.status();
    this.emit({ kind: 'statusChanged', status });
    return status;
  }

  async syncNow(request: OperationRequest<'syncNow'>): Promise<OperationResponse<'syncNow'>> {
    this.requireServer();
    const targets = request.libraryId === undefined ? [...this.libraries.values()] : [this.requireSynced(request.libraryId)];
    const queued = targets.filter((library) => library.pause === null && this.allPausedSince === null);
    for (const library of queued) {
      this.rounds = this.rounds.then(() => new Promise<void>((resolve) => setImmediate(resolve))).then(() => this.runRound(library.libraryId));
    }
    return { queued: queued.map((library) => library.libraryId) };
  }

  async listConflicts(request: OperationRequest<'listConflicts'>): Promise<OperationResponse<'listConflicts'>> {
    if (request.libraryId !== undefined) return { conflicts: this.openConflicts(this.requireSynced(request.libraryId).libraryId) };
    return { conflicts: [...this.conflicts.values()].sort((a, b) => a.conflictId - b.conflictId) };
  }

  async resolveConflict(request: OperationRequest<'resolveConflict'>): Promise<OperationResponse<'resolveConflict'>> {
    const conflict = this.conflicts.get(request.conflictId);
    if (conflict === undefined) throw new SyncApiError('not-found', `conflict ${request.conflictId} is not open (resolved already?)`);
    const library = this.requireSynced(conflict.libraryId);
    const texts = this.conflictTexts.get(conflict.conflictId)!;
    if (request.versions !== undefined) {
      const tokens = this.tokensOf(conflict.conflictId);
      if (request.versions.local !== tokens.local || request.versions.remote !== tokens.remote) {
        throw new SyncApiError('conflict', `${conflict.path} changed since it was shown; look at the conflict again`);
      }
    }
    if (conflict.conflictPath !== null || request.keep === 'merged') {
      switch (request.keep) {
        case 'local':
          library.localFiles.set(conflict.path, utf8Length(texts.local));
          library.localFiles.delete(conflict.conflictPath!);
          break;
        case 'remote':
          library.localFiles.delete(conflict.conflictPath!);
          break;
        case 'both':
          break;
        case 'merged': {
          const merged = this.merge(conflict.conflictId, request.choices);
          library.localFiles.set(conflict.path, merged.length);
          if (conflict.conflictPath !== null) library.localFiles.delete(conflict.conflictPath);
          break;
        }
        default:
          throw new Error(`unhandled keep choice: ${JSON.stringify(request satisfies never)}`);
      }
    }
    this.closeConflict(conflict, library);
    return conflict;
  }

  async getConflictDetails(request: OperationRequest<'getConflictDetails'>): Promise<OperationResponse<'getConflictDetails'>> {
    const conflict = this.conflicts.get(request.conflictId);
    if (conflict === undefined) throw new SyncApiError('not-found', `conflict ${request.conflictId} is not open (resolved already?)`);
    const texts = this.conflictTexts.get(conflict.conflictId)!;
    const tokens = this.tokensOf(conflict.conflictId);
    const mine = decodeText(new TextEncoder().encode(texts.local));
    const theirs = decodeText(new TextEncoder().encode(texts.remote));
    const base = texts.base === null ? null : decodeText(new TextEncoder().encode(texts.base));
    const version = (side: 'local' | 'remote', path: LibraryPath): ConflictVersion => ({
      path,
      kind: 'file',
      size: utf8Length(texts[side]),
      mtimeMs: conflict.createdAt,
      contentHash: `fake-${side}-${tokens[side]}`,
      device: texts.edits[side] === 0 ? (conflict[side].device ?? null) : null,
      user: texts.edits[side] === 0 ? (conflict[side].user ?? null) : null,
      rev: side === 'remote' && texts.edits.remote === 0 ? 2 : null,
      committedAt: null,
      versionToken: tokens[side],
    });
    const preview: ConflictPreview =
      mine === null || theirs === null
        ? { kind: 'binary', reason: 'not-text' }
        : { kind: 'text', diff: diffViewData(buildDiffView(mine, theirs)), merge: base === null ? null : mergeResultView(mergeThreeWay(base, mine, theirs)) };
    return {
      conflict,
      local: version('local', conflict.conflictPath ?? conflict.path),
      remote: version('remote', conflict.path),
      base:
        texts.base === null
          ? null
          : { path: conflict.path, kind: 'file', size: utf8Length(texts.base), mtimeMs: conflict.createdAt - 1000, contentHash: 'fake-base', device: 'other-device', user: 'ann', rev: 1, committedAt: conflict.createdAt - 1000, versionToken: null },
      baseStatus: texts.base === null ? 'unknown' : 'available',
      preview,
    };
  }

  async resolveConflicts(request: OperationRequest<'resolveConflicts'>): Promise<OperationResponse<'resolveConflicts'>> {
    const results: OperationResponse<'resolveConflicts'>['results'] = [];
    for (const conflictId of request.conflictIds) {
      try {
        const conflict = this.conflicts.get(conflictId);
        if (conflict === undefined) throw new SyncApiError('not-found', `conflict ${conflictId} is not open (resolved already?)`);
        // A batch merge takes clean merges only: there is nobody to choose for each region.
        const tokens = this.tokensOf(conflictId);
        const resolved = await this.resolveConflict(request.keep === 'merged' ? { conflictId, keep: 'merged', versions: tokens, choices: [] } : { conflictId, keep: request.keep });
        results.push({ conflictId, outcome: 'resolved', conflict: resolved });
      } catch (error) {
        if (!(error instanceof SyncApiError)) throw error;
        results.push({ conflictId, outcome: 'failed', error: { code: error.code, message: error.message } });
      }
    }
    return { results };
  }

  async setAutoMerge(request: OperationRequest<'setAutoMerge'>): Promise<OperationResponse<'setAutoMerge'>> {
    const library = this.requireSynced(request.libraryId);
    library.autoMerge = request.autoMerge;
    this.emit({ kind: 'libraryChanged', library: this.view(library) });
    if (library.autoMerge) {
      // What the service does after its next round: clean text merges are applied, and said so.
      for (const conflict of this.openConflicts(library.libraryId)) {
        let merged: Uint8Array;
        try {
          merged = this.merge(conflict.conflictId, []);
        } catch (error) {
          if (error instanceof SyncApiError) continue;
          throw error;
        }
        library.localFiles.set(conflict.path, merged.length);
        if (conflict.conflictPath !== null) library.localFiles.delete(conflict.conflictPath);
        this.addActivity(library, { kind: 'conflict-merged', path: conflict.path, conflictPath: conflict.conflictPath });
        this.closeConflict(conflict, library);
      }
    }
    return this.view(library);
  }

  /** Someone saved one version of an open conflict again: its version token changes. */
  editConflictSide(conflictId: number, side: 'local' | 'remote', text: string): void {
    const texts = this.conflictTexts.get(conflictId);
    if (texts === undefined) throw new Error(`no open conflict ${conflictId}`);
    texts[side] = text;
    texts.edits[side] += 1;
  }

  private tokensOf(conflictId: number): { local: string; remote: string } {
    const edits = this.conflictTexts.get(conflictId)?.edits ?? { local: 0, remote: 0 };
    return { local: `local-${conflictId}-${edits.local}`, remote: `remote-${conflictId}-${edits.remote}` };
  }

  /** The merged bytes, refused as the service refuses them. */
  private merge(conflictId: number, choices: readonly ConflictChoice[]): Uint8Array {
    const texts = this.conflictTexts.get(conflictId)!;
    if (texts.base === null) throw new SyncApiError('invalid-argument', 'no known common version to merge from; keep local, remote or both');
    const encoder = new TextEncoder();
    const merge = mergeBytes(encoder.encode(texts.base), encoder.encode(texts.local), encoder.encode(texts.remote));
    if (merge.kind === 'binary') throw new SyncApiError('invalid-argument', 'not text; keep local, remote or both');
    if (choices.length !== merge.result.counts.conflict) {
      throw new SyncApiError('invalid-argument', `the merge has ${merge.result.counts.conflict} overlapping change(s), but ${choices.length} choice(s) were given`);
    }
    return encodeText(renderMerge(merge.result, choices));
  }

  private closeConflict(conflict: ConflictView, library: SyncedLibrary): void {
    this.conflicts.delete(conflict.conflictId);
    this.conflictTexts.delete(conflict.conflictId);
    this.emit({ kind: 'conflictsChanged', libraryId: library.libraryId, conflicts: this.openConflicts(library.libraryId) });
    this.emit({ kind: 'libraryChanged', library: this.view(library) });
  }

  async getHistory(request: OperationRequest<'getHistory'>): Promise<OperationResponse<'getHistory'>> {
    const library = this.requireSynced(request.libraryId);
    // The fake server keeps only the current version of each file.
    const file = this.findRemote(library.libraryId).files.find((candidate) => candidate.path === request.path);
    if (file === undefined) return { versions: [] };
    return {
      versions: [{ path: file.path, rev: 1, kind: 'file', deleted: false, size: file.size, contentHash: '', committedAt: 0, userName: 'ann', device: 'other-device', movedFrom: null, movedTo: null }],
    };
  }

  async getPendingWork(request: OperationRequest<'getPendingWork'>): Promise<OperationResponse<'getPendingWork'>> {
    const library = this.requireSynced(request.libraryId);
    // The fake's local files that the fake server lacks wait to go up; nothing is modelled going down.
    const waiting = [...library.localFiles].filter(([path]) => this.remoteFile(library.libraryId, path) === undefined);
    return { pending: { upload: { files: waiting.length, bytes: waiting.reduce((sum, [, size]) => sum + size, 0) }, deleteOnServer: 0, download: { files: 0, bytes: 0 }, deleteHere: 0 } };
  }

  async getVersionPreview(request: OperationRequest<'getVersionPreview'>): Promise<OperationResponse<'getVersionPreview'>> {
    this.requireSynced(request.libraryId);
    // The fake keeps no file contents: every version previews as binary.
    return { kind: 'binary', reason: 'not-text' };
  }

  async listTrash(request: OperationRequest<'listTrash'>): Promise<OperationResponse<'listTrash'>> {
    this.requireSynced(request.libraryId);
    // The fake server keeps no deleted versions.
    return { items: [], hasMore: false };
  }

  async listFiles(request: OperationRequest<'listFiles'>): Promise<OperationResponse<'listFiles'>> {
    const library = this.requireSynced(request.libraryId);
    // The fake's rows: the server's files and the local ones in the folder, and the folders
    // above them, by the listing's order (folders first, then files, each by name), one page.
    const prefix = request.path === '' ? '' : `${request.path}/`;
    const rows = new Map<string, FileRow>();
    const sizes = new Map<LibraryPath, number>([...this.findRemote(library.libraryId).files.map((file) => [file.path, file.size] as const), ...library.localFiles]);
    for (const [path, size] of sizes) {
      if (!path.startsWith(prefix)) continue;
      const rest = path.slice(prefix.length);
      const slash = rest.indexOf('/');
      const name = slash < 0 ? rest : rest.slice(0, slash);
      const kind = slash < 0 ? 'file' : 'dir';
      const here = library.localFiles.has(path);
      const state = !isSelected(path, library.selection) ? 'not-synced' : here && this.remoteFile(library.libraryId, path) === undefined ? 'upload' : here ? 'synced' : 'download';
      if (!rows.has(name)) rows.set(name, { name, path: `${prefix}${name}` as LibraryPath, kind, size: kind === 'dir' ? null : size, modifiedAt: null, state: kind === 'dir' ? 'synced' : state, onDisk: here });
    }
    const sorted = [...rows.values()].sort((a, b) => (a.kind === b.kind ? (a.name < b.name ? -1 : 1) : a.kind === 'dir' ? -1 : 1));
    const start = request.cursor === undefined ? 0 : Number(request.cursor);
    const page = sorted.slice(start, start + FILE_PAGE_SIZE);
    return { path: request.path, rows: page, total: sorted.length, nextCursor: start + page.length < sorted.length ? String(start + page.length) : null };
  }

  async openFile(request: OperationRequest<'openFile'>): Promise<OperationResponse<'openFile'>> {
    const library = this.requireSynced(request.libraryId);
    if (!library.localFiles.has(request.path)) throw new SyncApiError('not-found', `${request.path} is not on this computer`);
    this.openedFolders.push({ libraryId: library.libraryId, localPath: `${library.localRoot}/${request.path}` });
    return { ok: true };
  }

  async restoreCopy(request: OperationRequest<'restoreCopy'>): Promise<OperationResponse<'restoreCopy'>> {
    this.requireSynced(request.libraryId);
    // The fake server keeps no earlier versions to copy.
    throw new SyncApiError('not-found', `${request.path} has no version ${request.rev}`);
  }

  async restoreSnapshot(request: OperationRequest<'restoreSnapshot'>): Promise<OperationResponse<'restoreSnapshot'>> {
    this.requireSynced(request.libraryId);
    // The fake keeps no history or file contents to restore.
    throw new SyncApiError('not-found', 'the fake server keeps no history');
  }

  async openVersion(request: OperationRequest<'openVersion'>): Promise<OperationResponse<'openVersion'>> {
    this.requireSynced(request.libraryId);
    // The fake keeps no file contents to open.
    throw new SyncApiError('not-found', `${request.path} has no version ${request.rev}`);
  }

  async checkLocalPaths(request: OperationRequest<'checkLocalPaths'>): Promise<OperationResponse<'checkLocalPaths'>> {
    const library = this.requireSynced(request.libraryId);
    return { found: request.paths.filter((path) => library.localFiles.has(path)).map((path) => ({ path, kind: 'file' as const })) };
  }

  async restoreVersion(request: OperationRequest<'restoreVersion'>): Promise<OperationResponse<'restoreVersion'>> {
    this.requireSynced(request.libraryId);
    throw new SyncApiError('not-found', `no earlier version of ${request.path} to restore`);
  }

  async listProblems(request: OperationRequest<'listProblems'>): Promise<OperationResponse<'listProblems'>> {
    const libraries = request.libraryId === undefined ? [...this.libraries.values()] : [this.requireSynced(request.libraryId)];
    return { problems: libraries.flatMap((library) => library.problems) };
  }

  async setProblemDismissed(request: OperationRequest<'setProblemDismissed'>): Promise<OperationResponse<'setProblemDismissed'>> {
    const library = this.requireSynced(request.libraryId);
    const same = (problem: ProblemView) => problem.kind === request.kind && problem.path === request.path && problem.name === request.name;
    if (!library.problems.some(same)) throw new SyncApiError('not-found', 'no such problem');
    library.problems = library.problems.map((problem) => (same(problem) ? { ...problem, dismissedAt: request.dismissed ? this.now() : null } : problem));
    this.emit({ kind: 'problemsChanged', libraryId: library.libraryId, problems: library.problems });
    this.emit({ kind: 'libraryChanged', library: this.view(library) });
    return { problems: library.problems };
  }

  /** Every renameLocalItem request, in order. */
  readonly renamed: OperationRequest<'renameLocalItem'>[] = [];

  async renameLocalItem(request: OperationRequest<'renameLocalItem'>): Promise<OperationResponse<'renameLocalItem'>> {
    this.requireSynced(request.libraryId);
    this.renamed.push(request);
    return { ok: true };
  }

  async previewIgnoreRules(request: OperationRequest<'previewIgnoreRules'>): Promise<OperationResponse<'previewIgnoreRules'>> {
    this.requireSynced(request.libraryId);
    return { issues: [], matchCount: 0, matches: [] };
  }

  async getActivity(request: OperationRequest<'getActivity'>): Promise<OperationResponse<'getActivity'>> {
    if (request.libraryId !== undefined) this.requireSynced(request.libraryId);
    const limit = request.limit ?? SYNC_API_LIMITS.defaultActivityPage;
    const matching = this.activity
      .filter((entry) => request.libraryId === undefined || entry.libraryId === request.libraryId)
      .filter((entry) => request.before === undefined || entry.activityId < request.before)
      .sort((a, b) => b.activityId - a.activityId);
    return { entries: matching.slice(0, limit), hasMore: matching.length > limit };
  }

  async getPreferences(_request: OperationRequest<'getPreferences'>): Promise<OperationResponse<'getPreferences'>> {
    return { ...this.preferences };
  }

  async setPreferences(request: OperationRequest<'setPreferences'>): Promise<OperationResponse<'setPreferences'>> {
    const next: Preferences = { ...this.preferences };
    if (request.language !== undefined) next.language = request.language;
    if (request.startAtLogin !== undefined) next.startAtLogin = request.startAtLogin;
    if (request.notifications !== undefined) next.notifications = request.notifications;
    if (request.uploadLimit !== undefined) next.uploadLimit = request.uploadLimit;
    if (request.downloadLimit !== undefined) next.downloadLimit = request.downloadLimit;
    this.preferences = next;
    this.emit({ kind: 'preferencesChanged', preferences: { ...next } });
    return { ...next };
  }

  async openFolder(request: OperationRequest<'openFolder'>): Promise<OperationResponse<'openFolder'>> {
    const library = this.requireSynced(request.libraryId);
    const localPath = request.path === undefined ? library.localRoot : `${library.localRoot}/${request.path}`;
    this.openedFolders.push({ libraryId: library.libraryId, localPath });
    return { ok: true };
  }

  // ---- internals ----------------------------------------------------------------------------

  private async runRound(libraryId: string): Promise<void> {
    const library = this.libraries.get(libraryId);
    if (library === undefined || library.pause !== null || this.allPausedSince !== null) return;
    const remote = this.findRemote(libraryId);
    const pending = remote.files.filter((file) => isSelected(file.path, library.selection) && !library.localFiles.has(file.path));
    library.round = { filesDone: 0, filesTotal: pending.length, bytesDone: 0, bytesTotal: pending.reduce((sum, file) => sum + file.size, 0) };
    this.emit({ kind: 'libraryChanged', library: this.view(library) });
    for (const file of pending) {
      this.emit({ kind: 'fileProgressed', libraryId, path: file.path, direction: 'download', bytesDone: file.size, bytesTotal: file.size });
      library.localFiles.set(file.path, file.size);
      library.round.filesDone++;
      library.round.bytesDone += file.size;
      this.addActivity(library, { kind: 'downloaded', path: file.path, size: file.size });
      this.emit({ kind: 'libraryChanged', library: this.view(library) });
    }
    library.round = null;
    library.lastSyncAt = this.now();
    this.emit({ kind: 'libraryChanged', library: this.view(library) });
  }

  private addActivity(
    library: SyncedLibrary,
    entry:
      | { kind: 'downloaded'; path: LibraryPath; size: number }
      | { kind: 'conflict-found'; path: LibraryPath; conflictPath: LibraryPath }
      | { kind: 'conflict-merged'; path: LibraryPath; conflictPath: LibraryPath | null }
      | { kind: 'problem-found'; path: LibraryPath | ''; message: string },
  ): void {
    const full: ActivityEntry = { activityId: this.nextActivityId++, at: this.now(), libraryId: library.libraryId, libraryName: library.name, ...entry };
    this.activity.push(full);
    this.emit({ kind: 'activityAdded', entry: full });
  }

  private emit(event: SyncEvent): void {
    for (const subscription of [...this.listeners]) subscription.listener(event);
  }

  private status(): SyncStatus {
    return {
      account: this.account === null ? null : { ...this.account.view },
      allPaused: this.allPausedSince !== null,
      libraries: [...this.libraries.values()].map((library) => this.view(library)),
    };
  }

  private state(library: SyncedLibrary): LibraryState {
    if (library.pause !== null) return { kind: 'paused', reason: library.pause.reason, since: library.pause.since };
    if (this.allPausedSince !== null) return { kind: 'paused', reason: 'all-paused', since: this.allPausedSince };
    if (library.round !== null) {
      return { kind: 'syncing', phase: 'downloading', progress: { ...library.round, bytesPerSecond: null, secondsLeft: null } };
    }
    if (library.lastSyncAt === null) return { kind: 'pending', reason: 'never-synced' };
    const remote = this.findRemote(library.libraryId);
    if (remote.files.some((file) => isSelected(file.path, library.selection) && !library.localFiles.has(file.path))) {
      return { kind: 'pending', reason: 'changes-seen' };
    }
    if (this.openConflicts(library.libraryId).length > 0 || library.problems.length > 0) return { kind: 'needs-attention' };
    return { kind: 'up-to-date' };
  }

  private view(library: SyncedLibrary): LibraryView {
    return {
      libraryId: library.libraryId,
      name: library.name,
      localRoot: library.localRoot,
      selection: library.selection === null ? null : [...library.selection],
      state: this.state(library),
      lastSyncAt: library.lastSyncAt,
      openConflicts: this.openConflicts(library.libraryId).length,
      problemCount: library.problems.length,
      autoMerge: library.autoMerge,
    };
  }

  private remoteView(library: FakeRemoteLibrary): RemoteLibraryView {
    return {
      libraryId: library.libraryId,
      name: library.name,
      owner: library.owner,
      role: library.role,
      syncedTo: this.libraries.get(library.libraryId)?.localRoot ?? null,
    };
  }

  private openConflicts(libraryId: string): ConflictView[] {
    return [...this.conflicts.values()].filter((conflict) => conflict.libraryId === libraryId).sort((a, b) => a.conflictId - b.conflictId);
  }

  private requireServer(): FakeServer {
    if (this.account === null) throw new SyncApiError('not-logged-in', 'this device is not connected to a Cairn server: log in first');
    return this.account.server;
  }

  /** The server library, looked up on the account's server (or, logged out, on any server). */
  private findRemote(libraryId: string): FakeRemoteLibrary {
    const servers = this.account === null ? [...this.servers.values()] : [this.account.server];
    for (const server of servers) {
      const found = server.libraries.find((library) => library.libraryId === libraryId);
      if (found !== undefined) return found;
    }
    throw new SyncApiError('not-found', `there is no library ${libraryId} on the server`);
  }

  private remoteFile(libraryId: string, path: LibraryPath): FakeRemoteFile | undefined {
    return this.findRemote(libraryId).files.find((file) => file.path === path);
  }

  private requireSynced(libraryId: string): SyncedLibrary {
    const library = this.libraries.get(libraryId);
    if (library === undefined) throw new SyncApiError('not-found', `library ${libraryId} is not synced on this device`);
    return library;
  }
}
