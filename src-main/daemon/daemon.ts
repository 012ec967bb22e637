// The long-running host of the engine (`cairn daemon`, and the same inside the desktop app): it
// holds the profile lock, runs one LibraryRunner per synced library, and feeds them triggers:
// the file watcher's changed paths, the server's event stream (with a slow poll while it is
// down), a periodic full rescan, and a full rescan after the machine slept or the clock jumped.
// It publishes what it does as events for the UI and the CLI. Everything it starts, stop() stops.
//
// Every change to the profile while the daemon runs goes through it (pause, selection, adding
// and removing libraries, login), so that rounds and those changes never step on each other and
// the events tell the truth; the control API (engineSyncApi.ts) is a thin mapping onto it.
//
// The same Daemon serves one `cairn` command when no daemon runs (live: false): it takes the
// profile lock like any writer and hosts the runners, but starts no round, timer or server
// event stream by itself; the command asks for what it needs.

import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ActivityEntry, Preferences } from '../../shared/api/index.js';
import type { LibraryPath } from '../../shared/paths.js';
import { Engine, UserError, createIgnoreMatcher, emptySummary, isRemoteError, readIgnoreFile } from '../engine/index.js';
import type { Entry } from '../../shared/protocol/index.js';
import type { BatchOutcome, ConflictRecord, EngineOptions, FileProgress, KeepChoice, LibraryFacts, LibraryRecord, PendingWork, ResolveOptions, RoundProgress, RoundSummary } from '../engine/index.js';
import { acquireProfileLock } from '../profile/profileLock.js';
import type { ProfileLock } from '../profile/profileLock.js';
import { ACTIVITY_FILE, ActivityLog } from './activityLog.js';
import { BandwidthLimiter } from './bandwidthLimiter.js';
import { readDaemonSettings, writeDaemonSettings } from './daemonSettings.js';
import type { DaemonSettings } from './daemonSettings.js';
import { LibraryRunner } from './libraryRunner.js';
import type { ExclusiveRound, RoundOptions, RunnerState } from './libraryRunner.js';
import { RoundRecorder, pacedClient } from './roundRecorder.js';

/** Watches one library folder and reports what changed (see src-main/engine/watcher). */
export type LibraryWatchFactory = (
  root: string,
  onDue: (paths: readonly LibraryPath[] | 'all') => void,
) => Promise<{ close(): Promise<void> }>;

export interface DaemonOptions extends EngineOptions {
  /** How each library folder is watched; null watches nothing (periodic rescans only). */
  readonly watch: LibraryWatchFactory | null;
  /**
   * True (the default): keep every library in sync by itself (a round of each at start,
   * periodic rescans, the server's event stream). False: host one command, which asks for the
   * rounds it needs; nothing runs by itself.
   */
  readonly live?: boolean;
  /** Full rescan period; default one hour. */
  readonly rescanIntervalMs?: number;
  /** Poll period for remote changes while the server's event stream is down; default 30 s. */
  readonly pollIntervalMs?: number;
  /** Backoff of a library's retries while the server is away. */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  /** When files refused for the library owner's full storage are tried again; default 60 s. */
  readonly quotaRecheckMs?: number;
  readonly log?: (line: string) => void;
}

export type DaemonEvent =
  | { readonly kind: 'state'; readonly libraryId: string; readonly state: RunnerState; readonly busy: boolean; readonly retryAt: number | null }
  | { readonly kind: 'round'; readonly libraryId: string; readonly summary: RoundSummary }
  | { readonly kind: 'progress'; readonly progress: RoundProgress }
  /** Bytes of one large file moved (see src-main/engine/sync/fileProgressMeter.ts). */
  | { readonly kind: 'fileProgress'; readonly progress: FileProgress }
  | { readonly kind: 'connection'; readonly online: boolean }
  /** The account, the set of synced libraries or the global pause changed. */
  | { readonly kind: 'profile' }
  /** A library's settings changed (pause, selection). */
  | { readonly kind: 'library'; readonly libraryId: string }
  | { readonly kind: 'activity'; readonly entries: readonly ActivityEntry[] }
  | { readonly kind: 'preferences'; readonly preferences: Preferences };

/** The link to the server's event stream: not tried yet, up, or down since `since`. */
export interface ConnectionState {
  readonly state: 'connecting' | 'online' | 'offline';
  readonly since: number;
}

export interface DaemonLibraryStatus extends LibraryFacts {
  /** What the daemon is doing with the library right now. */
  readonly activity: RunnerState;
  /** When `activity` last changed. */
  readonly activitySince: number;
  /** True while a round runs or is queued: never "up to date" then. */
  readonly busy: boolean;
  /** True while a round runs (paused: it is still stopping, see LibraryRunner.inRound). */
  readonly inRound?: boolean;
  /** When the next retry is due, while the runner waits to retry. */
  readonly retryAt: number | null;
  /** The latest progress of the round in progress, or null between rounds. */
  readonly progress: RoundProgress | null;
  /** Bytes per second of the transfer phase in progress, once measurable; null otherwise. */
  readonly bytesPerSecond: number | null;
  /** Why the last round failed, while the runner is in 'error' or 'offline'. */
  readonly roundError: { readonly code: string; readonly message: string; readonly at: number } | null;
  /** The owner's usage and quota when the server last refused files for a full storage, while files wait for it. */
  readonly storageFull?: { readonly usedBytes: number; readonly quotaBytes: number } | null;
}

interface Transfer {
  readonly phase: RoundProgress['phase'];
  readonly startedAt: number;
  readonly startBytes: number;
  bytesPerSecond: number | null;
}

/** The event stream of one account's server, and the link's state. */
interface AccountStream {
  readonly stop: AbortController;
  connection: ConnectionState;
  /** Ends the current event stream or backoff wait, so that the stream is opened again at once. */
  reconnect: (() => void) | null;
  done: Promise<void>;
}

interface Hosted {
  readonly runner: LibraryRunner;
  watch: { close(): Promise<void> } | null;
  /** While a watch is being started; and when to try again after one failed to start. */
  watchStarting: boolean;
  watchRetryAt: number;
  /** The runner's state as last reported, and since when. */
  activity: RunnerState;
  activitySince: number;
  retryAt: number | null;
  progress: RoundProgress | null;
  transfer: Transfer | null;
  roundError: DaemonLibraryStatus['roundError'];
  /**
   * Counts what may change the library's waiting work: the watcher's paths, rescans asked for,
   * the server's announced changes, and every round. A pending-work count taken at the same
   * number is still true (see pendingWork).
   */
  changes: number;
  storageFull: { readonly usedBytes: number; readonly quotaBytes: number } | null;
}

/**
 * The longest a pending-work count is reused while nothing was seen to change: the watcher can
 * miss a change (an overflow, a network mount), so the folder is looked at again now and then.
 */
const PENDING_REUSE_MS = 5 * 60_000;

const WAKE_CHECK_MS = 5_000;
/** A timer tick this much later than due means the machine slept or the clock jumped. */
const WAKE_SLACK_MS = 20_000;
/** After a watch failed to start, it is tried again after a round at most this often. */
const WATCH_RETRY_MS = 60_000;
/** A transfer rate is reported once a phase has moved bytes for this long. */
const RATE_MIN_MS = 500;

export class Daemon {
  private readonly hosted = new Map<string, Hosted>();
  private readonly listeners = new Set<(event: DaemonEvent) => void>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly abort = new AbortController();
  private readonly recorder: RoundRecorder;
  private readonly limits = { upload: new BandwidthLimiter(), download: new BandwidthLimiter() };
  /** One server event stream per signed-in account (see listenForRemoteChanges). */
  private readonly streams = new Map<string, AccountStream>();
  /** Streams of accounts signed out, until they have ended (stop waits for them). */
  private readonly endingStreams = new Set<Promise<void>>();
  private live = false;
  private settings: DaemonSettings;
  /** Serializes writes of the settings file. */
  private settingsWrite: Promise<void> = Promise.resolve();
  private stopped = false;
  /** Opened on first use: a command that records or reads no activity never opens its file. */
  private activityLog: ActivityLog | null = null;
  /** Rounds whose activity is being recorded: a stop waits for them, so none is lost on exit. */
  private readonly recordings = new Set<Promise<void>>();

  private constructor(
    readonly engine: Engine,
    private readonly lock: ProfileLock,
    private readonly options: DaemonOptions,
    settings: DaemonSettings,
  ) {
    this.settings = settings;
    this.recorder = new RoundRecorder(() => this.engine.deviceName);
    this.applyLimits(settings.preferences);
  }

  /**
   * Takes the profile lock (or throws ProfileLockedError), opens the engine and, when live,
   * starts syncing.
   */
  static async start(options: DaemonOptions): Promise<Daemon> {
    await mkdir(options.home, { recursive: true, mode: 0o700 });
    const live = options.live !== false;
    const lock = await acquireProfileLock(options.home, live ? 'daemon' : 'command');
    let engine: Engine;
    let settings: DaemonSettings;
    try {
      settings = await readDaemonSettings(options.home, (message) => (options.log ?? defaultLog)(message));
      engine = await Engine.open(options);
    } catch (error) {
      await lock.release();
      throw error;
    }
    const daemon = new Daemon(engine, lock, options, settings);
    await daemon.refreshLibraries();
    if (live) {
      daemon.live = true;
      daemon.startTimers();
      daemon.syncStreams();
      // Libraries an older profile left linked to no account: linked when only one account sees them.
      void daemon.linkUnlinkedLibraries();
    } else {
      await daemon.linkUnlinkedLibraries();
    }
    return daemon;
  }

  /** The recent activity of every library, kept in the profile (see activityLog.ts). */
  get activity(): ActivityLog {
    this.activityLog ??= ActivityLog.open(path.join(this.options.home, ACTIVITY_FILE), { log: (line) => this.log(line) });
    return this.activityLog;
  }

  /** Records the control API's address in the lock file, for CLI commands. */
  async setControlUrl(url: string): Promise<void> {
    await this.lock.setControlUrl(url);
  }

  subscribe(listener: (event: DaemonEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** True when the server of every signed-in account is reachable (and one is signed in). */
  get isOnline(): boolean {
    const streams = [...this.streams.values()];
    return streams.length > 0 && streams.every((stream) => stream.connection.state === 'online');
  }

  /** The link to one account's server (connecting until its stream was tried). */
  connectionOf(accountId: string | null): ConnectionState {
    return (accountId === null ? undefined : this.streams.get(accountId)?.connection) ?? { state: 'connecting', since: Date.now() };
  }

  /** When the user paused everything, or null while not. */
  get allPausedSince(): number | null {
    return this.settings.allPausedSince;
  }

  get preferences(): Preferences {
    return { ...this.settings.preferences };
  }

  /**
   * What a library's state depends on beyond the library itself (see syncViews.ts
   * libraryStateOf): the global pause, and its own account's sign-in and server link.
   */
  stateContext(library: { readonly accountId: string | null; readonly signedIn: boolean }): {
    readonly allPausedSince: number | null;
    readonly loggedIn: boolean;
    readonly unlinked: boolean;
    readonly connection: ConnectionState;
  } {
    return { allPausedSince: this.settings.allPausedSince, loggedIn: library.signedIn, unlinked: library.accountId === null, connection: this.connectionOf(library.accountId) };
  }

  /** What the index holds and what the daemon is doing, per synced library. */
  status(): DaemonLibraryStatus[] {
    return this.engine.facts().map((facts) => this.withActivity(facts));
  }

  /** The status of one synced library (by id), or undefined when it is not synced. */
  libraryStatus(libraryId: string): DaemonLibraryStatus | undefined {
    const facts = this.engine.facts().find((candidate) => candidate.libraryId === libraryId);
    return facts === undefined ? undefined : this.withActivity(facts);
  }

  private withActivity(facts: LibraryFacts): DaemonLibraryStatus {
    const hosted = this.hosted.get(facts.libraryId);
    const activity = hosted?.runner.currentState ?? 'idle';
    const busy = hosted?.runner.busy ?? false;
    return {
      ...facts,
      activity,
      activitySince: hosted?.activitySince ?? Date.now(),
      busy,
      inRound: hosted?.runner.inRound ?? false,
      retryAt: hosted?.retryAt ?? null,
      progress: hosted?.progress ?? null,
      bytesPerSecond: hosted?.transfer?.bytesPerSecond ?? null,
      roundError: hosted?.roundError ?? null,
      storageFull: facts.problems.some((problem) => problem.kind === 'quota-exceeded') ? (hosted?.storageFull ?? null) : null,
    };
  }

  /** Starts, or stops, runners so that they match the libraries synced in the index. */
  async refreshLibraries(): Promise<void> {
    const wanted = new Map(this.engine.libraries().map((library) => [library.libraryId, library]));
    for (const [libraryId, hosted] of this.hosted) {
      if (wanted.has(libraryId)) continue;
      this.hosted.delete(libraryId);
      this.recorder.forget(libraryId);
      await hosted.watch?.close();
      await hosted.runner.stop();
    }
    for (const [libraryId, library] of wanted) {
      if (this.hosted.has(libraryId) || this.stopped) continue;
      const hosted = this.host(library);
      if (this.options.live === false) continue;
      await this.startWatch(library, hosted);
      // Catch up with whatever changed on either side while the daemon was not running (a
      // signed-out account's library waits for its login, which asks for a round).
      if (this.engine.librarySignedIn(libraryId)) hosted.runner.requestScan('all');
    }
  }

  /**
   * Starts watching a library's folder. When that fails (the folder is missing, say), the
   * library is rescanned periodically instead, and the watch is tried again after later rounds.
   */
  private async startWatch(library: LibraryRecord, hosted: Hosted): Promise<void> {
    if (this.options.watch === null || hosted.watch !== null || hosted.watchStarting || this.stopped) return;
    hosted.watchStarting = true;
    try {
      const watch = await this.options.watch(library.localRoot, (paths) => {
        hosted.changes += 1;
        hosted.runner.requestScan(paths);
      });
      if (this.stopped || this.hosted.get(library.libraryId) !== hosted) await watch.close();
      else hosted.watch = watch;
    } catch (error) {
      hosted.watchRetryAt = Date.now() + WATCH_RETRY_MS;
      this.log(`cannot watch ${library.localRoot} (${(error as Error).message}); it is rescanned periodically instead`);
    } finally {
      hosted.watchStarting = false;
    }
  }

  private host(library: LibraryRecord): Hosted {
    const libraryId = library.libraryId;
    const runner: LibraryRunner = new LibraryRunner({
      libraryId,
      syncRound: (scope, onProgress, options) => this.syncRound(libraryId, scope, onProgress, options),
      onState: (state, detail) => {
        const hosted = this.hosted.get(libraryId);
        if (hosted !== undefined) {
          hosted.changes += 1;
          if (hosted.activity !== state) {
            hosted.activity = state;
            hosted.activitySince = Date.now();
          }
          if (state === 'idle' && hosted.watch === null && Date.now() >= hosted.watchRetryAt) {
            const current = this.engine.library(libraryId);
            if (current !== undefined) {
              void this.startWatch(current, hosted).then(() => {
                // Whatever changed while nothing watched went unreported.
                if (hosted.watch !== null) hosted.runner.requestScan('all');
              });
            }
          }
          hosted.retryAt = detail.retryAt ?? null;
          if (state !== 'scanning' && state !== 'syncing') {
            hosted.progress = null;
            hosted.transfer = null;
          }
          if (detail.summary !== undefined) {
            const error = detail.summary.error;
            hosted.roundError = detail.summary.outcome === 'error' && error !== null ? { ...error, at: Date.now() } : null;
            if (detail.summary.storageFull !== null) hosted.storageFull = detail.summary.storageFull;
            else if (detail.summary.outcome === 'synced' && !detail.summary.problems.some((problem) => problem.kind === 'quota-exceeded')) hosted.storageFull = null;
          }
        }
        this.emit({ kind: 'state', libraryId, state, busy: runner.busy, retryAt: detail.retryAt ?? null });
        if (detail.summary !== undefined) {
          this.emit({ kind: 'round', libraryId, summary: detail.summary });
          const recording = this.recordRound(libraryId, detail.summary).catch((error: unknown) => this.log(`could not record the activity of a round: ${(error as Error).stack ?? String(error)}`));
          this.recordings.add(recording);
          void recording.finally(() => this.recordings.delete(recording));
        }
      },
      onProgress: (progress) => {
        this.trackProgress(libraryId, progress);
        this.emit({ kind: 'progress', progress });
      },
      onBug: (error) => this.log(`bug while syncing ${library.name}: ${(error as Error).stack ?? String(error)}`),
      ...(this.options.retryBaseMs === undefined ? {} : { retryBaseMs: this.options.retryBaseMs }),
      ...(this.options.retryMaxMs === undefined ? {} : { retryMaxMs: this.options.retryMaxMs }),
      ...(this.options.quotaRecheckMs === undefined ? {} : { quotaRecheckMs: this.options.quotaRecheckMs }),
    });
    const hosted: Hosted = {
      runner,
      watch: null,
      watchStarting: false,
      watchRetryAt: 0,
      activity: 'idle',
      activitySince: Date.now(),
      retryAt: null,
      progress: null,
      transfer: null,
      roundError: null,
      changes: 0,
      storageFull: null,
    };
    this.hosted.set(libraryId, hosted);
    if (library.pause !== null || this.settings.allPausedSince !== null) runner.setPaused(true);
    return hosted;
  }

  private async syncRound(
    libraryId: string,
    scope: readonly LibraryPath[] | 'all',
    onProgress: (progress: RoundProgress) => void,
    options: RoundOptions,
  ): Promise<RoundSummary> {
    if (!this.engine.librarySignedIn(libraryId)) {
      // Not a bug and not the network: the library's own account is signed out (no other
      // account's token is ever used for it). The runner retries with backoff, and a login of
      // that account makes it retry at once.
      const library = this.engine.library(libraryId);
      const summary = emptySummary(libraryId, library?.name ?? libraryId);
      summary.outcome = 'error';
      summary.error = { code: 'not-logged-in', message: 'the account of this library is signed out on this device: log in again' };
      return summary;
    }
    const accountId = this.engine.library(libraryId)?.accountId ?? null;
    const token = accountId === null ? undefined : this.engine.tokenOf(accountId);
    const [summary] = await this.engine.syncNow({
      only: libraryId,
      scope,
      onProgress,
      onFileProgress: (progress) => this.emit({ kind: 'fileProgress', progress }),
      wrapClient: (client) => this.recorder.wrap(libraryId, client, this.limits),
      ...(options.autoMerge === undefined ? {} : { autoMerge: options.autoMerge }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    if (summary === undefined) throw new Error(`library ${libraryId} vanished from the index`);
    if (summary.error?.code === 'unauthorized' && accountId !== null && token !== undefined) await this.onTokenRefused(accountId, token);
    return summary;
  }

  private trackProgress(libraryId: string, progress: RoundProgress): void {
    const hosted = this.hosted.get(libraryId);
    if (hosted === undefined) return;
    hosted.progress = progress;
    if (progress.phase !== 'uploading' && progress.phase !== 'downloading') {
      hosted.transfer = null;
      return;
    }
    const now = performance.now();
    if (hosted.transfer === null || hosted.transfer.phase !== progress.phase || progress.bytesDone < hosted.transfer.startBytes) {
      hosted.transfer = { phase: progress.phase, startedAt: now, startBytes: progress.bytesDone, bytesPerSecond: null };
      return;
    }
    const elapsed = now - hosted.transfer.startedAt;
    if (elapsed >= RATE_MIN_MS) hosted.transfer.bytesPerSecond = ((progress.bytesDone - hosted.transfer.startBytes) * 1000) / elapsed;
  }

  /** Turns a finished round into activity entries (see roundRecorder.ts) and publishes them. */
  private async recordRound(libraryId: string, summary: RoundSummary): Promise<void> {
    const library = this.engine.library(libraryId);
    if (library === undefined) return;
    const ignoreText = await readIgnoreFile(library.localRoot).catch(() => undefined);
    if (this.engine.library(libraryId) === undefined) return;
    const drafts = this.recorder.finishRound(library, summary, {
      ignore: createIgnoreMatcher(ignoreText),
      conflicts: this.engine.openConflicts(libraryId),
      problems: this.engine.problems(libraryId),
    });
    if (drafts.length === 0) return;
    this.emit({ kind: 'activity', entries: this.activity.append(library, drafts) });
  }

  // ---- changes to the profile ----------------------------------------------------------------

  /** Pauses or resumes one library (by id, name or folder) and records it in the index. */
  setPaused(reference: string, paused: boolean): LibraryRecord {
    const library = this.engine.setPaused(reference, paused);
    this.hosted.get(library.libraryId)?.runner.setPaused(paused || this.settings.allPausedSince !== null);
    this.emit({ kind: 'library', libraryId: library.libraryId });
    return library;
  }

  /** Pauses or resumes every library at once; each library's own pause stays as it is. */
  async setAllPaused(paused: boolean): Promise<void> {
    if ((this.settings.allPausedSince !== null) === paused) return;
    await this.saveSettings({ ...this.settings, allPausedSince: paused ? Date.now() : null });
    for (const library of this.engine.libraries()) {
      this.hosted.get(library.libraryId)?.runner.setPaused(paused || library.pause !== null);
    }
    this.emit({ kind: 'profile' });
  }

  /** Starts syncing a server library of an account into a local folder (see Engine.addSync). */
  async addLibrary(reference: string, localDir: string, only: readonly string[], accountId?: string): Promise<LibraryRecord> {
    const library = await this.engine.addSync(reference, localDir, only, accountId);
    await this.refreshLibraries();
    this.emit({ kind: 'profile' });
    return library;
  }

  /** Stops syncing a library: its runner ends (after the round in progress), its files stay. */
  async removeLibrary(reference: string): Promise<LibraryRecord> {
    const library = this.engine.findSyncedLibrary(reference);
    const hosted = this.hosted.get(library.libraryId);
    this.hosted.delete(library.libraryId);
    this.recorder.forget(library.libraryId);
    await hosted?.watch?.close();
    await hosted?.runner.stop();
    const removed = this.engine.removeSync(library.libraryId);
    this.emit({ kind: 'profile' });
    return removed;
  }

  /** Changes the selective-sync selection (see Engine.select) and syncs the change. */
  setSelection(reference: string, paths: readonly string[]): LibraryRecord {
    // What leaves this computer is said in the activity list, as the user was told before.
    const leaving = this.engine.selectionLeaving(reference, paths);
    const library = this.engine.select(reference, paths);
    const drafts = leaving.map((group) => ({ kind: 'unselected' as const, ...group }));
    if (drafts.length > 0) this.emit({ kind: 'activity', entries: this.activity.append(library, drafts) });
    this.hosted.get(library.libraryId)?.runner.requestScan('all');
    this.emit({ kind: 'library', libraryId: library.libraryId });
    return library;
  }

  /**
   * Allows or stops automatic clean merges of a library's text conflicts (see
   * Engine.setAutoMerge). Allowing them runs a round at once, which merges what it can.
   */
  setAutoMerge(reference: string, autoMerge: boolean): LibraryRecord {
    const library = this.engine.setAutoMerge(reference, autoMerge);
    if (autoMerge) this.hosted.get(library.libraryId)?.runner.requestPull();
    this.emit({ kind: 'library', libraryId: library.libraryId });
    return library;
  }

  /**
   * Resolves an open conflict (see Engine.resolveConflict). Its rounds run through the
   * library's runner, so they obey the bandwidth limits, report progress and land in the
   * activity list like every other round, and no other round of the library runs meanwhile.
   */
  async resolveConflict(conflictId: number, keep: KeepChoice, options: ResolveOptions): Promise<ConflictRecord> {
    const libraryId = this.requireConflict(conflictId).libraryId;
    return this.holdingRunners([libraryId], (rounds) =>
      this.engine.resolveConflict(conflictId, keep, options, (id) => rounds.get(id)!(), (client) => pacedClient(client, this.limits)),
    );
  }

  /** Resolves many conflicts the same way (see Engine.resolveConflicts and resolveConflict). */
  async resolveConflicts(conflictIds: readonly number[], keep: KeepChoice): Promise<BatchOutcome[]> {
    const libraryIds = new Set<string>();
    for (const conflictId of conflictIds) {
      const conflict = this.engine.findConflict(conflictId);
      if (conflict !== undefined) libraryIds.add(conflict.libraryId);
    }
    return this.holdingRunners([...libraryIds], (rounds) =>
      this.engine.resolveConflicts(conflictIds, keep, (id) => rounds.get(id)!(), (client) => pacedClient(client, this.limits)),
    );
  }

  private requireConflict(conflictId: number): ConflictRecord {
    const conflict = this.engine.findConflict(conflictId);
    if (conflict === undefined) throw new UserError(`conflict ${conflictId} is not open (resolved already?)`, 'not-found');
    return conflict;
  }

  /** Runs `work` holding the runner of every library given (see LibraryRunner.exclusive). */
  private async holdingRunners<T>(libraryIds: readonly string[], work: (rounds: ReadonlyMap<string, ExclusiveRound>) => Promise<T>): Promise<T> {
    const rounds = new Map<string, ExclusiveRound>();
    const held = libraryIds.reduce<() => Promise<T>>(
      (inner, libraryId) => () => {
        const hosted = this.hosted.get(libraryId);
        if (hosted === undefined) throw new UserError(`library ${libraryId} is not synced on this device`, 'not-found');
        return hosted.runner.exclusive((round) => {
          rounds.set(libraryId, round);
          return inner();
        });
      },
      () => work(rounds),
    );
    try {
      return await held();
    } finally {
      for (const libraryId of libraryIds) this.emit({ kind: 'library', libraryId });
    }
  }

  /** Every version of a path of a synced library, newest first (see Engine.history). */
  history(libraryId: string, libraryPath: LibraryPath): Promise<Entry[]> {
    return this.engine.history(libraryId, libraryPath);
  }

  /** Restores a version on the server (see Engine.restore) and queues a round that brings it here. */
  async restore(libraryId: string, libraryPath: LibraryPath, rev?: number): Promise<Entry> {
    const entry = await this.engine.restore(libraryId, libraryPath, rev);
    this.hosted.get(libraryId)?.runner.requestPull();
    return entry;
  }

  /** Writes a version beside its file as a new file (see Engine.restoreAsCopy); the library's next round uploads it. */
  async restoreAsCopy(libraryId: string, libraryPath: LibraryPath, rev: number): Promise<LibraryPath> {
    const copy = await this.engine.restoreAsCopy(libraryId, libraryPath, rev);
    this.requestScan(libraryId, [copy]);
    return copy;
  }

  /** Local paths of a library changed outside the watcher's sight (or 'all'): scan them. */
  requestScan(libraryId: string, paths: readonly LibraryPath[] | 'all'): void {
    const hosted = this.hosted.get(libraryId);
    if (hosted === undefined) return;
    hosted.changes += 1;
    hosted.runner.requestScan(paths);
  }

  private readonly pendingCounts = new Map<string, { readonly key: string; readonly at: number; readonly work: Promise<PendingWork | null> }>();

  /**
   * What a library has waiting (see Engine.pendingWork), counted again only when something may
   * have changed it: a watched library that nothing touched since the last count (no watcher
   * event, rescan, announced server change or round, and the same connection) answers that
   * count, so a paused library's card asking every few seconds costs no walk of its folder.
   * Without a watch, or after PENDING_REUSE_MS, it is counted again.
   */
  pendingWork(libraryId: string): Promise<PendingWork | null> {
    const hosted = this.hosted.get(libraryId);
    if (hosted === undefined || hosted.watch === null) return this.engine.pendingWork(libraryId);
    const key = `${hosted.changes}:${this.connectionOf(this.engine.library(libraryId)?.accountId ?? null).state}`;
    const cached = this.pendingCounts.get(libraryId);
    if (cached !== undefined && cached.key === key && Date.now() - cached.at < PENDING_REUSE_MS) return cached.work;
    const work = this.engine.pendingWork(libraryId);
    this.pendingCounts.set(libraryId, { key, at: Date.now(), work });
    // A failed count is not kept: the next ask tries again.
    work.catch(() => {
      if (this.pendingCounts.get(libraryId)?.work === work) this.pendingCounts.delete(libraryId);
    });
    return work;
  }

  /**
   * Queues a full round of every library (or one) that is not paused and whose account is
   * signed in; returns their ids.
   */
  requestRound(libraryId?: string): string[] {
    const queued: string[] = [];
    if (this.settings.allPausedSince !== null) return queued;
    for (const library of this.engine.libraries()) {
      if (libraryId !== undefined && library.libraryId !== libraryId) continue;
      const hosted = this.hosted.get(library.libraryId);
      if (hosted === undefined || library.pause !== null || !this.engine.librarySignedIn(library.libraryId)) continue;
      hosted.runner.requestScan('all');
      // The user asked: a retry waiting out its backoff goes now.
      hosted.runner.retryNow();
      queued.push(library.libraryId);
    }
    return queued;
  }

  /** Requests a full round of every library (or one) and waits until they are idle. */
  async syncNow(libraryId?: string): Promise<void> {
    const targets = [...this.hosted.entries()].filter(([id]) => libraryId === undefined || id === libraryId);
    for (const [, hosted] of targets) hosted.runner.requestScan('all');
    for (const [, hosted] of targets) await hosted.runner.idle();
  }

  /**
   * Logs in (see Engine.login): adds the account, or renews the token of the same user at the
   * same server. Then its server's event stream opens and its libraries retry at once. With
   * `switchAccount`, every other signed-in account is signed out afterwards (see logout): its
   * libraries stop, their files stay.
   */
  async login(
    serverUrl: string,
    user: string,
    password: string,
    deviceName?: string,
    options: { readonly switchAccount?: boolean } = {},
  ): Promise<{ accountId: string; signedOut: { accountId: string; libraries: LibraryRecord[] }[] }> {
    const { accountId } = await this.engine.login(serverUrl, user, password, deviceName);
    const signedOut: { accountId: string; libraries: LibraryRecord[] }[] = [];
    if (options.switchAccount === true) {
      for (const other of this.engine.accounts()) {
        if (other.accountId === accountId || !other.signedIn) continue;
        signedOut.push({ accountId: other.accountId, libraries: await this.logout(other.accountId) });
      }
    }
    this.syncStreams();
    this.streams.get(accountId)?.reconnect?.();
    await this.linkUnlinkedLibraries();
    for (const library of this.engine.librariesOf(accountId)) {
      const hosted = this.hosted.get(library.libraryId);
      hosted?.runner.retryNow();
      hosted?.runner.requestScan('all');
    }
    this.emit({ kind: 'profile' });
    return { accountId, signedOut };
  }

  /**
   * Signs one account out (see Engine.logout; default: the only signed-in one). Its libraries'
   * runners stop first (the round in flight ends), so no request of theirs runs after the token
   * is revoked; they are hosted again as "signed out" and wait for that account's next login.
   * No other account's libraries are touched. Answers the libraries that stopped.
   */
  async logout(accountId?: string): Promise<LibraryRecord[]> {
    const account = this.engine.resolveAccount(accountId);
    const libraries = this.engine.librariesOf(account.accountId);
    for (const library of libraries) {
      const hosted = this.hosted.get(library.libraryId);
      if (hosted === undefined) continue;
      this.hosted.delete(library.libraryId);
      await hosted.watch?.close();
      await hosted.runner.stop();
    }
    try {
      await this.engine.logout(account.accountId);
    } finally {
      this.syncStreams();
      await this.refreshLibraries();
    }
    this.emit({ kind: 'profile' });
    return libraries;
  }

  /**
   * Links each library bound to no account (an older profile's) to the one signed-in account
   * that can see it on its server, when exactly one can and every account's server answered;
   * otherwise it stays unlinked, for the user to choose (linkLibrary). Never fails: a library
   * that cannot be linked now is tried again after the next login or start.
   */
  async linkUnlinkedLibraries(): Promise<void> {
    for (const library of this.engine.unlinkedLibraries()) {
      if (this.stopped) return;
      try {
        const { seeing, allAnswered } = await this.engine.accountsSeeing(library.libraryId);
        if (seeing.length === 1 && allAnswered) await this.linkLibrary(library.libraryId, seeing[0]!.accountId);
      } catch (error) {
        this.log(`could not link library ${library.name} to an account: ${(error as Error).message}`);
      }
    }
  }

  /**
   * Links a library bound to no account to an account that can see it (see Engine.linkLibrary);
   * it syncs with that account from now on.
   */
  async linkLibrary(reference: string, accountId: string): Promise<LibraryRecord> {
    const library = await this.engine.linkLibrary(reference, accountId);
    this.syncStreams();
    const hosted = this.hosted.get(library.libraryId);
    hosted?.runner.retryNow();
    hosted?.runner.requestScan('all');
    this.emit({ kind: 'profile' });
    this.emit({ kind: 'library', libraryId: library.libraryId });
    return library;
  }

  /**
   * Removes an account from the profile (see Engine.removeAccount): the runners of its
   * libraries stop first (the round in flight ends), then the libraries and the account go;
   * their local files stay. Answers the libraries removed.
   */
  async removeAccount(accountId: string): Promise<LibraryRecord[]> {
    const account = this.engine.resolveAccount(accountId);
    for (const library of this.engine.librariesOf(account.accountId)) {
      const hosted = this.hosted.get(library.libraryId);
      this.hosted.delete(library.libraryId);
      this.recorder.forget(library.libraryId);
      await hosted?.watch?.close();
      await hosted?.runner.stop();
    }
    let removed: LibraryRecord[];
    try {
      ({ libraries: removed } = await this.engine.removeAccount(account.accountId));
    } finally {
      this.syncStreams();
      await this.refreshLibraries();
    }
    this.emit({ kind: 'profile' });
    return removed;
  }

  /** Changes some preferences, stores them and applies the bandwidth limits at once. */
  async setPreferences(update: Partial<Preferences>): Promise<Preferences> {
    const preferences: Preferences = { ...this.settings.preferences };
    for (const key of Object.keys(update) as (keyof Preferences)[]) {
      const value = update[key];
      if (value !== undefined) Object.assign(preferences, { [key]: value });
    }
    await this.saveSettings({ ...this.settings, preferences });
    this.applyLimits(preferences);
    this.emit({ kind: 'preferences', preferences: { ...preferences } });
    return { ...preferences };
  }

  private applyLimits(preferences: Preferences): void {
    if (this.limits.upload.limit !== preferences.uploadLimit) this.limits.upload.setLimit(preferences.uploadLimit);
    if (this.limits.download.limit !== preferences.downloadLimit) this.limits.download.setLimit(preferences.downloadLimit);
  }

  private async saveSettings(settings: DaemonSettings): Promise<void> {
    const write = this.settingsWrite.then(() => writeDaemonSettings(this.options.home, settings));
    this.settingsWrite = write.catch(() => undefined);
    await write;
    this.settings = settings;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    for (const timer of this.timers) clearInterval(timer);
    // Paced transfers must not hold the stop back for as long as their limit would.
    this.limits.upload.close();
    this.limits.download.close();
    for (const hosted of this.hosted.values()) await hosted.watch?.close();
    for (const hosted of this.hosted.values()) await hosted.runner.stop();
    // A round that finished as the daemon stopped (the last round of a command, say) still
    // lands in the activity list.
    await Promise.all([...this.recordings]);
    await Promise.all([...this.streams.values()].map((stream) => stream.done).concat([...this.endingStreams]));
    await this.settingsWrite;
    this.activityLog?.close();
    await this.engine.close();
    await this.lock.release();
  }

  private startTimers(): void {
    const rescan = this.options.rescanIntervalMs ?? 60 * 60_000;
    this.timers.push(setInterval(() => this.requestAll('scan'), rescan));
    const poll = this.options.pollIntervalMs ?? 30_000;
    this.timers.push(
      setInterval(() => {
        for (const [accountId, stream] of this.streams) {
          if (stream.connection.state === 'online') continue;
          for (const library of this.engine.librariesOf(accountId)) this.hosted.get(library.libraryId)?.runner.requestPull();
        }
      }, poll),
    );
    let lastTick = Date.now();
    this.timers.push(
      setInterval(() => {
        const now = Date.now();
        if (Math.abs(now - lastTick - WAKE_CHECK_MS) > WAKE_SLACK_MS) {
          this.log('the machine slept or the clock jumped: rescanning every library');
          this.requestAll('scan');
        }
        lastTick = now;
      }, WAKE_CHECK_MS),
    );
    for (const timer of this.timers) timer.unref();
  }

  private requestAll(what: 'scan' | 'pull'): void {
    for (const hosted of this.hosted.values()) {
      if (what === 'scan') hosted.runner.requestScan('all');
      else hosted.runner.requestPull();
    }
  }

  /**
   * The server refused an account's token: that account is signed out here (see
   * Engine.tokenRefused). Its libraries say so; no other account is touched.
   */
  private async onTokenRefused(accountId: string, token: string): Promise<void> {
    if (!(await this.engine.tokenRefused(accountId, token))) return;
    this.log(`the server refused the sign-in of an account (revoked or expired): its libraries wait for a new login`);
    this.syncStreams();
    this.emit({ kind: 'profile' });
    for (const library of this.engine.librariesOf(accountId)) this.emit({ kind: 'library', libraryId: library.libraryId });
  }

  /** Opens an event stream for every signed-in account and ends those of accounts signed out. */
  private syncStreams(): void {
    if (!this.live || this.stopped) return;
    const signedIn = new Set(this.engine.accounts().filter((account) => account.signedIn).map((account) => account.accountId));
    for (const [accountId, stream] of this.streams) {
      if (signedIn.has(accountId)) continue;
      stream.stop.abort();
      this.streams.delete(accountId);
      this.endingStreams.add(stream.done);
      void stream.done.finally(() => this.endingStreams.delete(stream.done));
    }
    for (const accountId of signedIn) {
      if (this.streams.has(accountId)) continue;
      const stream: AccountStream = { stop: new AbortController(), connection: { state: 'connecting', since: Date.now() }, reconnect: null, done: Promise.resolve() };
      this.streams.set(accountId, stream);
      stream.done = this.listenForRemoteChanges(accountId, stream);
    }
  }

  /**
   * Follows one account's server event stream: a commit to a library of that account (beyond
   * our cursor) triggers a pull. Reconnects with backoff and jitter; meanwhile the poll timer
   * covers. A login of the account ends the stream (or the wait) so that it opens again at once.
   */
  private async listenForRemoteChanges(accountId: string, stream: AccountStream): Promise<void> {
    const signal = AbortSignal.any([this.abort.signal, stream.stop.signal]);
    let failures = 0;
    while (!signal.aborted) {
      const attempt = new AbortController();
      const ended = AbortSignal.any([signal, attempt.signal]);
      stream.reconnect = () => attempt.abort();
      const token = this.engine.tokenOf(accountId);
      try {
        for await (const event of (await this.engine.server(accountId)).events(ended)) {
          failures = 0;
          if (event.kind === 'ready') {
            this.setOnline(stream, true);
            for (const head of event.heads) this.onRemoteHead(accountId, head.libraryId, head.headSeq);
            for (const library of this.engine.librariesOf(accountId)) this.hosted.get(library.libraryId)?.runner.retryNow();
          } else if (event.kind === 'commit') {
            this.onRemoteHead(accountId, event.libraryId, event.headSeq);
          } else if (this.engine.library(event.libraryId)?.accountId === accountId) {
            this.hosted.get(event.libraryId)?.runner.requestPull();
          }
        }
      } catch (error) {
        if (signal.aborted) return;
        if (isRemoteError(error) && error.code === 'unauthorized' && token !== undefined) {
          await this.onTokenRefused(accountId, token);
          return;
        }
        if (!attempt.signal.aborted && !isRemoteError(error) && !(error instanceof UserError)) this.log(`event stream: ${(error as Error).stack ?? String(error)}`);
      }
      if (signal.aborted) return;
      this.setOnline(stream, false);
      if (attempt.signal.aborted) {
        // Asked to reconnect (a login): no backoff.
        failures = 0;
        continue;
      }
      failures += 1;
      const delay = Math.min(30_000, 500 * 2 ** Math.min(failures, 6)) * (0.5 + Math.random() / 2);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(finish, delay);
        function finish(): void {
          clearTimeout(timer);
          signal.removeEventListener('abort', finish);
          attempt.signal.removeEventListener('abort', finish);
          resolve();
        }
        signal.addEventListener('abort', finish, { once: true });
        attempt.signal.addEventListener('abort', finish, { once: true });
      });
      if (attempt.signal.aborted) failures = 0;
    }
  }

  /** A library's head on its account's server moved: pull, if the library is that account's. */
  private onRemoteHead(accountId: string, libraryId: string, headSeq: number): void {
    const hosted = this.hosted.get(libraryId);
    const library = this.engine.library(libraryId);
    if (hosted === undefined || library === undefined || library.accountId !== accountId) return;
    hosted.changes += 1;
    if (headSeq > library.cursor) hosted.runner.requestPull();
  }

  private setOnline(stream: AccountStream, online: boolean): void {
    const state = online ? 'online' : 'offline';
    if (stream.connection.state === state) return;
    const changed = (stream.connection.state === 'online') !== online;
    stream.connection = { state, since: Date.now() };
    // 'connecting' -> 'offline' is news too: the first attempt failed.
    if (changed || !online) this.emit({ kind: 'connection', online });
  }

  private emit(event: DaemonEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.log(`event listener failed: ${(error as Error).stack ?? String(error)}`);
      }
    }
  }

  private log(line: string): void {
    (this.options.log ?? defaultLog)(line);
  }
}

function defaultLog(text: string): void {
  process.stderr.write(`${text}\n`);
}
