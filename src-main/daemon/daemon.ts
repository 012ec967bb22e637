// The long-running host of the engine (`cairn daemon`, and the same inside the desktop app): it
// holds the profile lock, runs one LibraryRunner per synced library, and feeds them triggers:
// the file watcher's changed paths, the server's event stream (with a slow poll while it is
// down), a periodic full rescan, and a full rescan after the machine slept or the clock jumped.
// It publishes what it does as events for the UI and the CLI. Everything it starts, stop() stops.

import { mkdir } from 'node:fs/promises';
import type { LibraryPath } from '../../shared/paths.js';
import { Engine, UserError } from '../engine/engine.js';
import type { EngineOptions, LibraryStatus } from '../engine/engine.js';
import { isRemoteError } from '../engine/remote/remoteError.js';
import type { RoundProgress, RoundSummary } from '../engine/sync/roundSummary.js';
import { LibraryRunner } from './libraryRunner.js';
import type { RunnerState } from './libraryRunner.js';
import { acquireProfileLock } from './profileLock.js';
import type { ProfileLock } from './profileLock.js';

/** Watches one library folder and reports what changed (see src-main/engine/watcher). */
export type LibraryWatchFactory = (
  root: string,
  onDue: (paths: readonly LibraryPath[] | 'all') => void,
) => Promise<{ close(): Promise<void> }>;

export interface DaemonOptions extends EngineOptions {
  /** How each library folder is watched; null watches nothing (periodic rescans only). */
  readonly watch: LibraryWatchFactory | null;
  /** Full rescan period; default one hour. */
  readonly rescanIntervalMs?: number;
  /** Poll period for remote changes while the server's event stream is down; default 30 s. */
  readonly pollIntervalMs?: number;
  /** Backoff of a library's retries while the server is away. */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  readonly log?: (line: string) => void;
}

export type DaemonEvent =
  | { readonly kind: 'state'; readonly libraryId: string; readonly state: RunnerState; readonly busy: boolean; readonly retryAt: number | null }
  | { readonly kind: 'round'; readonly libraryId: string; readonly summary: RoundSummary }
  | { readonly kind: 'progress'; readonly progress: RoundProgress }
  | { readonly kind: 'connection'; readonly online: boolean };

export interface DaemonLibraryStatus extends LibraryStatus {
  /** What the daemon is doing with the library right now. */
  readonly activity: RunnerState;
  /** True while a round runs or is queued: never "up to date" then. */
  readonly busy: boolean;
}

interface Hosted {
  readonly runner: LibraryRunner;
  watch: { close(): Promise<void> } | null;
}

const WAKE_CHECK_MS = 5_000;
/** A timer tick this much later than due means the machine slept or the clock jumped. */
const WAKE_SLACK_MS = 20_000;

export class Daemon {
  private readonly hosted = new Map<string, Hosted>();
  private readonly listeners = new Set<(event: DaemonEvent) => void>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly abort = new AbortController();
  private listening: Promise<void> | null = null;
  private online = false;
  private stopped = false;

  private constructor(
    readonly engine: Engine,
    private readonly lock: ProfileLock,
    private readonly options: DaemonOptions,
  ) {}

  /** Takes the profile lock (or throws ProfileLockedError), opens the engine and starts syncing. */
  static async start(options: DaemonOptions): Promise<Daemon> {
    await mkdir(options.home, { recursive: true, mode: 0o700 });
    const lock = await acquireProfileLock(options.home);
    let engine: Engine;
    try {
      engine = await Engine.open(options);
    } catch (error) {
      await lock.release();
      throw error;
    }
    const daemon = new Daemon(engine, lock, options);
    await daemon.refreshLibraries();
    daemon.startTimers();
    daemon.listening = daemon.listenForRemoteChanges();
    return daemon;
  }

  /** Records the control API's address in the lock file, for CLI commands. */
  async setControlUrl(url: string): Promise<void> {
    await this.lock.setControlUrl(url);
  }

  subscribe(listener: (event: DaemonEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get isOnline(): boolean {
    return this.online;
  }

  status(): DaemonLibraryStatus[] {
    return this.engine.status().map((status) => {
      const runner = this.hosted.get(status.libraryId)?.runner;
      const activity = runner?.currentState ?? 'idle';
      const busy = runner?.busy ?? false;
      // Honest status: the engine's "up-to-date" holds only when nothing is pending or failing.
      const state: LibraryStatus['state'] =
        status.state === 'up-to-date' && (busy || activity === 'offline' || activity === 'error') ? 'needs-attention' : status.state;
      return { ...status, state, activity, busy };
    });
  }

  /** Starts, or stops, runners so that they match the libraries synced in the index. */
  async refreshLibraries(): Promise<void> {
    const wanted = new Map(this.engine.index.libraries.list().map((library) => [library.libraryId, library]));
    for (const [libraryId, hosted] of this.hosted) {
      if (wanted.has(libraryId)) continue;
      this.hosted.delete(libraryId);
      await hosted.watch?.close();
      await hosted.runner.stop();
    }
    for (const [libraryId, library] of wanted) {
      if (this.hosted.has(libraryId)) continue;
      const runner = new LibraryRunner({
        libraryId,
        syncRound: async (scope, onProgress) => {
          const [summary] = await this.engine.syncNow({ only: libraryId, scope, onProgress });
          if (summary === undefined) throw new Error(`library ${libraryId} vanished from the index`);
          return summary;
        },
        onState: (state, detail) => {
          this.emit({ kind: 'state', libraryId, state, busy: runner.busy, retryAt: detail.retryAt ?? null });
          if (detail.summary !== undefined) this.emit({ kind: 'round', libraryId, summary: detail.summary });
        },
        onProgress: (progress) => this.emit({ kind: 'progress', progress }),
        onBug: (error) => this.log(`bug while syncing ${library.name}: ${(error as Error).stack ?? String(error)}`),
        ...(this.options.retryBaseMs === undefined ? {} : { retryBaseMs: this.options.retryBaseMs }),
        ...(this.options.retryMaxMs === undefined ? {} : { retryMaxMs: this.options.retryMaxMs }),
      });
      const hosted: Hosted = { runner, watch: null };
      this.hosted.set(libraryId, hosted);
      if (library.pause !== null) runner.setPaused(true);
      if (this.options.watch !== null) {
        try {
          hosted.watch = await this.options.watch(library.localRoot, (paths) => runner.requestScan(paths));
        } catch (error) {
          this.log(`cannot watch ${library.localRoot} (${(error as Error).message}); it is rescanned periodically instead`);
        }
      }
      // Catch up with whatever changed on either side while the daemon was not running.
      runner.requestScan('all');
    }
  }

  /** Pauses or resumes one library (by id, name or folder) and records it in the index. */
  setPaused(reference: string, paused: boolean): void {
    const library = this.engine.setPaused(reference, paused);
    this.hosted.get(library.libraryId)?.runner.setPaused(paused);
  }

  /** Requests a full round of every library (or one) and waits until they are idle. */
  async syncNow(libraryId?: string): Promise<void> {
    const targets = [...this.hosted.entries()].filter(([id]) => libraryId === undefined || id === libraryId);
    for (const [, hosted] of targets) hosted.runner.requestScan('all');
    for (const [, hosted] of targets) await hosted.runner.idle();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    for (const timer of this.timers) clearInterval(timer);
    for (const hosted of this.hosted.values()) await hosted.watch?.close();
    for (const hosted of this.hosted.values()) await hosted.runner.stop();
    await this.listening;
    await this.engine.close();
    await this.lock.release();
  }

  private startTimers(): void {
    const rescan = this.options.rescanIntervalMs ?? 60 * 60_000;
    this.timers.push(setInterval(() => this.requestAll('scan'), rescan));
    const poll = this.options.pollIntervalMs ?? 30_000;
    this.timers.push(
      setInterval(() => {
        if (!this.online) this.requestAll('pull');
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
   * Follows the server's event stream: a commit to a library we sync (beyond our cursor)
   * triggers a pull. Reconnects with backoff and jitter; meanwhile the poll timer covers.
   */
  private async listenForRemoteChanges(): Promise<void> {
    const signal = this.abort.signal;
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (this.engine.account() === null) throw new UserError('not logged in');
        for await (const event of this.engine.server().events(signal)) {
          failures = 0;
          if (event.kind === 'ready') {
            this.setOnline(true);
            for (const head of event.heads) this.onRemoteHead(head.libraryId, head.headSeq);
            for (const hosted of this.hosted.values()) hosted.runner.retryNow();
          } else if (event.kind === 'commit') {
            this.onRemoteHead(event.libraryId, event.headSeq);
          } else if (this.hosted.has(event.libraryId)) {
            this.hosted.get(event.libraryId)?.runner.requestPull();
          }
        }
      } catch (error) {
        if (signal.aborted) return;
        if (!isRemoteError(error) && !(error instanceof UserError)) this.log(`event stream: ${(error as Error).stack ?? String(error)}`);
      }
      this.setOnline(false);
      failures += 1;
      const delay = Math.min(30_000, 500 * 2 ** Math.min(failures, 6)) * (0.5 + Math.random() / 2);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        }, { once: true });
      });
    }
  }

  private onRemoteHead(libraryId: string, headSeq: number): void {
    const hosted = this.hosted.get(libraryId);
    const library = this.engine.index.libraries.get(libraryId);
    if (hosted === undefined || library === undefined) return;
    if (headSeq > library.cursor) hosted.runner.requestPull();
  }

  private setOnline(online: boolean): void {
    if (this.online === online) return;
    this.online = online;
    this.emit({ kind: 'connection', online });
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
    (this.options.log ?? ((text: string) => process.stderr.write(`${text}\n`)))(line);
  }
}
