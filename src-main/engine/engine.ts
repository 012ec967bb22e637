// The engine's one public surface: a client profile (a home folder holding the index and the
// device token) and the operations the CLI, the daemon and the desktop app perform on it.
// It owns the lifetimes of what it opens (index, chunker pool, HTTP pools) and closes them.

import { mkdir, realpath, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LibraryPath } from '../../shared/paths.js';
import { canonicalizeLocalPath } from '../../shared/paths.js';
import { routes } from '../../shared/protocol/index.js';
import type { Entry, Library } from '../../shared/protocol/index.js';
import { createChunkerPool } from './chunker/index.js';
import type { ChunkerPool } from './chunker/index.js';
import { openIndex } from './index/index.js';
import type { ConflictRecord, Index, LibraryRecord, ProblemRecord } from './index/index.js';
import { cleanupTempFiles, deleteFileIfUnchanged, deleteSecretFile, expectationFromLocalEntry, moveIfUnchanged, readSecretFile, writeSecretFile } from './localfs/index.js';
import { RemoteError } from './remote/remoteError.js';
import { ServerClient } from './remote/serverClient.js';
import { createLocalScanner } from './sync/createLocalScanner.js';
import type { RoundProgress, RoundSummary } from './sync/roundSummary.js';
import { syncLibrary } from './sync/syncLibrary.js';

export interface EngineOptions {
  /** The client profile folder (index, credentials). Created if missing. */
  readonly home: string;
  /** This device's name, recorded on its commits and in conflict names. Default: host name. */
  readonly deviceName?: string;
  /** Circuit breaker: most files one round may delete before the library pauses. */
  readonly maxDeletes?: number;
}

/** Thrown for what the user must fix (not logged in, unknown library, ...): a message to show. */
export class UserError extends Error {
  override readonly name = 'UserError';
}

export interface LibraryStatus {
  readonly libraryId: string;
  readonly name: string;
  readonly localRoot: string;
  readonly selection: readonly string[] | null;
  /**
   * 'up-to-date' only when the last round completed and nothing is known to be pending:
   * no conflict left open, no problem, not paused. Honest status is a goal, not a courtesy.
   */
  readonly state: 'up-to-date' | 'paused' | 'error' | 'never-synced' | 'needs-attention';
  readonly pause: LibraryRecord['pause'];
  readonly lastSyncAt: number | null;
  readonly lastError: LibraryRecord['lastError'];
  readonly openConflicts: number;
  readonly problems: readonly ProblemRecord[];
}

export type KeepChoice = 'local' | 'remote' | 'both';

const CREDENTIALS_FILE = 'credentials';
const INDEX_FILE = 'index.sqlite';

/** The default profile folder: $CAIRN_HOME, else the platform's per-user config folder. */
export function defaultHome(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.CAIRN_HOME) return env.CAIRN_HOME;
  const home = os.homedir();
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Cairn');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Cairn');
  return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'cairn');
}

export class Engine {
  private client: ServerClient | null = null;
  private pool: ChunkerPool | null = null;
  /** Libraries whose leftover temp files were removed since this engine opened. */
  private readonly cleaned = new Set<string>();

  private constructor(
    readonly home: string,
    readonly index: Index,
    private readonly options: EngineOptions,
    private token: string | undefined,
  ) {}

  static async open(options: EngineOptions): Promise<Engine> {
    await mkdir(options.home, { recursive: true, mode: 0o700 });
    const index = openIndex(path.join(options.home, INDEX_FILE));
    const token = await readSecretFile(path.join(options.home, CREDENTIALS_FILE));
    return new Engine(options.home, index, options, token?.trim() || undefined);
  }

  async close(): Promise<void> {
    await this.client?.close();
    this.client = null;
    await this.pool?.close();
    this.pool = null;
    this.index.close();
  }

  get deviceName(): string {
    return this.options.deviceName ?? this.index.profile.get().deviceName ?? os.hostname();
  }

  /** Who this profile is logged in as, or null. */
  account(): { serverUrl: string; user: string; deviceName: string } | null {
    const profile = this.index.profile.get();
    if (this.token === undefined || profile.serverUrl === undefined || profile.userName === undefined) return null;
    return { serverUrl: profile.serverUrl, user: profile.userName, deviceName: this.deviceName };
  }

  // ---- account ------------------------------------------------------------------------------

  async login(serverUrl: string, user: string, password: string): Promise<{ user: string; deviceId: string }> {
    const anonymous = new ServerClient({ baseUrl: serverUrl });
    try {
      await anonymous.call(routes.health);
      const answer = await anonymous.call(routes.login, { body: { user, password, deviceName: this.deviceName } });
      await writeSecretFile(path.join(this.home, CREDENTIALS_FILE), answer.token);
      this.index.profile.set({ serverUrl: anonymous.baseUrl, userName: answer.user, deviceId: answer.deviceId, deviceName: this.deviceName });
      this.token = answer.token;
      await this.client?.close();
      this.client = null;
      return { user: answer.user, deviceId: answer.deviceId };
    } finally {
      await anonymous.close();
    }
  }

  /** Revokes this device's token on the server (if reachable) and forgets it here. */
  async logout(): Promise<void> {
    if (this.token !== undefined && this.account() !== null) {
      try {
        await this.server().call(routes.logout);
      } catch (error) {
        if (!(error instanceof RemoteError)) throw error;
      }
    }
    await deleteSecretFile(path.join(this.home, CREDENTIALS_FILE));
    this.token = undefined;
    this.index.profile.set({ userName: null, deviceId: null });
    await this.client?.close();
    this.client = null;
  }

  /** The server client for the logged-in account. */
  server(): ServerClient {
    const account = this.account();
    if (account === null || this.token === undefined) throw new UserError('not logged in: run `cairn login URL --user NAME` first');
    this.client ??= new ServerClient({ baseUrl: account.serverUrl, token: this.token });
    return this.client;
  }

  // ---- libraries ----------------------------------------------------------------------------

  async listRemoteLibraries(): Promise<Library[]> {
    return (await this.server().call(routes.listLibraries)).libraries;
  }

  async createLibrary(name: string): Promise<Library> {
    return this.server().call(routes.createLibrary, { body: { name } });
  }

  /** Finds a server library by id or by (unique) name. */
  async findRemoteLibrary(reference: string): Promise<Library> {
    const libraries = await this.listRemoteLibraries();
    const byId = libraries.find((library) => library.id === reference);
    if (byId) return byId;
    const byName = libraries.filter((library) => library.name === reference);
    if (byName.length === 1) return byName[0]!;
    if (byName.length > 1) throw new UserError(`several libraries are named "${reference}"; use the id (see \`cairn library list\`)`);
    throw new UserError(`no library "${reference}" on the server`);
  }

  /** Finds a library synced on this device by id, name or local folder. */
  findSyncedLibrary(reference: string): LibraryRecord {
    const libraries = this.index.libraries.list();
    const resolved = path.resolve(reference);
    const found =
      libraries.find((library) => library.libraryId === reference) ??
      libraries.find((library) => library.name === reference) ??
      libraries.find((library) => library.localRoot === resolved);
    if (found === undefined) throw new UserError(`"${reference}" is not synced on this device (see \`cairn status\`)`);
    return found;
  }

  /** Starts syncing a server library into a local folder (created if missing). */
  async addSync(reference: string, localDir: string, only: readonly string[] = []): Promise<LibraryRecord> {
    const library = await this.findRemoteLibrary(reference);
    if (this.index.libraries.get(library.id) !== undefined) throw new UserError(`library "${library.name}" is already synced on this device`);
    const absolute = path.resolve(localDir);
    await mkdir(absolute, { recursive: true });
    const root = await realpath(absolute);
    if (!(await stat(root)).isDirectory()) throw new UserError(`${root} is not a folder`);
    for (const other of this.index.libraries.list()) {
      if (root === other.localRoot || root.startsWith(other.localRoot + path.sep) || other.localRoot.startsWith(root + path.sep)) {
        throw new UserError(`${root} overlaps the folder of library "${other.name}" (${other.localRoot})`);
      }
    }
    const selection = only.length === 0 ? null : only.map((item) => parseSelectionPath(item));
    return this.index.libraries.add({ libraryId: library.id, name: library.name, localRoot: root, chunking: library.chunking, selection });
  }

  /** Stops syncing a library on this device. Its local files stay where they are. */
  removeSync(reference: string): LibraryRecord {
    const library = this.findSyncedLibrary(reference);
    this.index.libraries.remove(library.libraryId);
    return library;
  }

  /**
   * Changes the selective-sync selection (empty = the whole library). Deselected folders are
   * no longer synced; their local files stay on disk (nothing is ever deleted by deselecting).
   */
  select(reference: string, paths: readonly string[]): LibraryRecord {
    const library = this.findSyncedLibrary(reference);
    const selection = paths.length === 0 ? null : paths.map((item) => parseSelectionPath(item));
    return this.index.libraries.update(library.libraryId, { selection });
  }

  /**
   * Pauses or resumes a library. Resuming a library that a circuit breaker paused (an emptied
   * folder, a mass deletion) is the user's confirmation: the next round goes ahead once.
   */
  setPaused(reference: string, paused: boolean): LibraryRecord {
    const library = this.findSyncedLibrary(reference);
    if (paused) return this.index.libraries.update(library.libraryId, { pause: { reason: 'user', since: Date.now() } });
    const reason = library.pause?.reason;
    const confirmed = reason === 'root-emptied' || reason === 'mass-delete' ? { reason, at: Date.now() } : null;
    return this.index.libraries.update(library.libraryId, { pause: null, lastError: null, breakerOverride: confirmed });
  }

  // ---- syncing ------------------------------------------------------------------------------

  /** One complete round for every synced library (or the one named). */
  async syncNow(
    options: {
      readonly only?: string;
      readonly onProgress?: (progress: RoundProgress) => void;
      /** What to scan (see SyncDependencies.scope); the daemon passes what its watcher saw. */
      readonly scope?: readonly LibraryPath[] | 'all';
    } = {},
  ): Promise<RoundSummary[]> {
    const libraries = options.only === undefined ? this.index.libraries.list() : [this.findSyncedLibrary(options.only)];
    const client = this.server();
    this.pool ??= createChunkerPool();
    const scanner = createLocalScanner(this.pool);
    const summaries: RoundSummary[] = [];
    for (const library of libraries) {
      if (!this.cleaned.has(library.libraryId)) {
        // A crash can leave temp files of half-done downloads; none of ours is in flight yet.
        await cleanupTempFiles(library.localRoot).catch(() => undefined);
        this.cleaned.add(library.libraryId);
      }
      summaries.push(
        await syncLibrary(
          {
            index: this.index,
            client,
            deviceName: this.deviceName,
            scanner,
            ...(this.options.maxDeletes === undefined ? {} : { maxDeletes: this.options.maxDeletes }),
            ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
            ...(options.scope === undefined ? {} : { scope: options.scope }),
          },
          library.libraryId,
        ),
      );
    }
    return summaries;
  }

  status(): LibraryStatus[] {
    return this.index.libraries.list().map((library) => {
      const openConflicts = this.index.conflicts.list(library.libraryId).length;
      const problems = this.index.problems.list(library.libraryId);
      const state: LibraryStatus['state'] =
        library.pause !== null
          ? 'paused'
          : library.lastSyncAt === null
            ? library.lastError === null
              ? 'never-synced'
              : 'error'
            : library.lastError !== null
              ? 'error'
              : openConflicts > 0 || problems.length > 0
                ? 'needs-attention'
                : 'up-to-date';
      return {
        libraryId: library.libraryId,
        name: library.name,
        localRoot: library.localRoot,
        selection: library.selection,
        state,
        pause: library.pause,
        lastSyncAt: library.lastSyncAt,
        lastError: library.lastError,
        openConflicts,
        problems,
      };
    });
  }

  // ---- conflicts, history -------------------------------------------------------------------

  conflicts(): ConflictRecord[] {
    return this.index.libraries.list().flatMap((library) => this.index.conflicts.list(library.libraryId));
  }

  /**
   * Resolves the open conflict at a local path (the file that kept the name, or its conflict
   * copy). keep 'remote' deletes the conflict copy; 'local' puts the copy's content back under
   * the name; 'both' keeps both files. The change is synced at once, and the versions replaced
   * stay in the server's history.
   */
  async resolve(localPath: string, keep: KeepChoice): Promise<ConflictRecord> {
    const { library, libraryPath } = this.locate(localPath);
    const conflict = this.index.conflicts
      .list(library.libraryId)
      .find((candidate) => candidate.path === libraryPath || candidate.conflictPath === libraryPath);
    if (conflict === undefined) throw new UserError(`no open conflict at ${localPath}`);
    await this.syncNow({ only: library.libraryId });
    const copyPath = conflict.conflictPath;
    if (keep !== 'both' && copyPath !== null) {
      const copy = this.index.local.get(library.libraryId, copyPath);
      if (copy === undefined || copy.node.kind !== 'file') throw new UserError(`the conflict copy ${copyPath} is gone; nothing to resolve`);
      const copyExpect = expectationFromLocalEntry(copy);
      if (copyExpect.kind !== 'file') throw new UserError(`the conflict copy ${copyPath} is not a file`);
      if (keep === 'remote') {
        const removed = await deleteFileIfUnchanged(library.localRoot, copyPath, copyExpect);
        if (removed.status !== 'deleted' && removed.status !== 'absent') throw new UserError(`${copyPath} changed meanwhile; it was kept`);
      } else {
        const current = this.index.local.get(library.libraryId, conflict.path);
        if (current !== undefined) {
          const expect = expectationFromLocalEntry(current);
          if (expect.kind !== 'file') throw new UserError(`${conflict.path} is not a file any more`);
          const removed = await deleteFileIfUnchanged(library.localRoot, conflict.path, expect);
          if (removed.status !== 'deleted' && removed.status !== 'absent') throw new UserError(`${conflict.path} changed meanwhile; nothing was replaced`);
        }
        const moved = await moveIfUnchanged(library.localRoot, copyPath, conflict.path, copyExpect);
        if (moved.status !== 'moved') throw new UserError(`could not move ${copyPath} back to ${conflict.path} (${moved.status})`);
      }
    }
    this.index.conflicts.resolve(conflict.conflictId, Date.now());
    await this.syncNow({ only: library.libraryId });
    return conflict;
  }

  async history(localPath: string): Promise<{ library: LibraryRecord; path: LibraryPath; versions: Entry[] }> {
    const { library, libraryPath } = this.locate(localPath);
    const answer = await this.server().call(routes.history, { params: { libraryId: library.libraryId }, query: { path: libraryPath } });
    return { library, path: libraryPath, versions: answer.versions };
  }

  /** Restores a version of a path (default: the newest live version before the current one). */
  async restore(localPath: string, rev?: number): Promise<Entry> {
    const { library, path: libraryPath, versions } = await this.history(localPath);
    const latest = versions[0];
    const target = rev === undefined ? versions.find((version, position) => !version.deleted && (position > 0 || latest?.deleted)) : versions.find((version) => version.rev === rev);
    if (target === undefined || target.deleted) throw new UserError(rev === undefined ? `no earlier version of ${libraryPath} to restore` : `${libraryPath} has no live version ${rev}`);
    const answer = await this.server().call(routes.restore, {
      params: { libraryId: library.libraryId },
      body: { path: libraryPath, rev: target.rev, baseRev: latest === undefined ? null : latest.rev },
    });
    const result = answer.results[0];
    if (result === undefined || result.status !== 'applied') throw new UserError(`the server refused to restore ${libraryPath}: it changed meanwhile, try again`);
    await this.syncNow({ only: library.libraryId });
    return result.entry;
  }

  /** Which synced library a local path belongs to, and its path inside it. */
  locate(localPath: string): { library: LibraryRecord; libraryPath: LibraryPath } {
    const absolute = path.resolve(localPath);
    for (const library of this.index.libraries.list()) {
      const relative = path.relative(library.localRoot, absolute);
      if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) continue;
      const check = canonicalizeLocalPath(relative, path.sep === '\\' ? '\\' : '/');
      if (!check.ok) throw new UserError(`${localPath} is not a valid library path (${check.problem})`);
      return { library, libraryPath: check.path };
    }
    throw new UserError(`${localPath} is not inside a synced library`);
  }
}

function parseSelectionPath(raw: string): LibraryPath {
  const check = canonicalizeLocalPath(raw.replace(/^\/+|\/+$/g, ''), '/');
  if (!check.ok) throw new UserError(`"${raw}" is not a valid path inside the library (${check.problem})`);
  return check.path;
}

