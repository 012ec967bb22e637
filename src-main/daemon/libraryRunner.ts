// Keeps one library in sync for as long as the daemon runs: it collects triggers (paths the
// watcher saw change, a remote commit, a periodic or after-sleep rescan), runs one round at a
// time with exactly what was asked for, and retries with backoff and jitter while the server is
// away. Its state is what the UI and the CLI show; it is never "idle" while work is pending.

import type { LibraryPath } from '../../shared/paths.js';
import { emptySummary } from '../engine/index.js';
import type { RoundProgress, RoundSummary } from '../engine/index.js';

export type RunnerState = 'idle' | 'scanning' | 'syncing' | 'paused' | 'offline' | 'error';

/** What a round is asked to do besides syncing. */
export interface RoundOptions {
  /** False: no automatic merges after the round (a resolution in progress decides itself). */
  readonly autoMerge?: boolean;
  /** Aborted when the library is paused while the round runs: the round stops within moments. */
  readonly signal?: AbortSignal;
}

/**
 * One full round of the library, run for an operation that holds the library (see exclusive),
 * reported like any other round. Resolves with its summary, whatever the outcome; a bug in the
 * round is thrown.
 */
export type ExclusiveRound = () => Promise<RoundSummary>;

export interface RunnerDependencies {
  readonly libraryId: string;
  /** Runs one round of this library with the given scan scope. */
  readonly syncRound: (scope: readonly LibraryPath[] | 'all', onProgress: (progress: RoundProgress) => void, options: RoundOptions) => Promise<RoundSummary>;
  readonly onState: (state: RunnerState, detail: { readonly summary?: RoundSummary; readonly retryAt?: number }) => void;
  readonly onProgress: (progress: RoundProgress) => void;
  /** A round threw: a bug, logged with its stack; the runner retries later. */
  readonly onBug: (error: unknown) => void;
  /** First and largest delay between retries while the server is away. */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  /**
   * How long after a round whose uploads the server refused for the owner's full storage the
   * runner tries again by itself (space may be freed elsewhere, or the quota raised).
   */
  readonly quotaRecheckMs?: number;
  readonly random?: () => number;
}

export class LibraryRunner {
  private state: RunnerState = 'idle';
  /** Paths to scan in the next round, or 'all'; null when no local change is pending. */
  private pendingScope: Set<LibraryPath> | 'all' | null = null;
  private pendingPull = false;
  private running: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  /** When the scheduled retry is due, while one is. */
  private retryAt: number | null = null;
  private failures = 0;
  private stopped = false;
  private paused = false;
  /** Operations that need the library to themselves (see exclusive); no round starts meanwhile. */
  private holds = 0;
  /** Aborts the round in progress (a pause); null between rounds. */
  private roundAbort: AbortController | null = null;
  /** The next try of uploads refused for the owner's full storage; null when none waits. */
  private quotaTimer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: RunnerDependencies) {}

  get currentState(): RunnerState {
    return this.state;
  }

  /**
   * True while a round runs. Paused, that is a round still stopping: its requests are aborted
   * and it ends within moments, and until then the library is honestly "pausing", not paused.
   */
  get inRound(): boolean {
    return this.running !== null;
  }

  /** True while a round runs or one is queued (the UI must not say "up to date" then). */
  get busy(): boolean {
    return this.running !== null || this.pendingScope !== null || this.pendingPull || this.retryTimer !== null;
  }

  /** Local paths changed (from the watcher), or 'all' for a full rescan. */
  requestScan(paths: readonly LibraryPath[] | 'all'): void {
    if (paths === 'all' || this.pendingScope === 'all') this.pendingScope = 'all';
    else {
      this.pendingScope ??= new Set();
      for (const item of paths) this.pendingScope.add(item);
    }
    this.kick();
  }

  /** The server has changes for this library. */
  requestPull(): void {
    this.pendingPull = true;
    this.kick();
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
    if (paused) {
      this.clearRetry();
      // The transfer in flight stops now, not when it is done; what arrived is kept.
      this.roundAbort?.abort(new PausedError());
      this.setState('paused', {});
    } else {
      this.pendingScope = 'all';
      this.setState('idle', {});
      this.kick();
    }
  }

  /** Waits for the round in progress (if any) to end; no new round starts afterwards. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clearRetry();
    this.clearQuotaRecheck();
    await this.running;
  }

  /** Resolves once nothing is running or queued (for tests and `sync now` through the daemon). */
  async idle(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  /**
   * Runs `work` while no other round of this library runs (it waits for the current one to end
   * and holds new ones back), then lets the rounds go on. For operations that move files of the
   * library themselves, such as resolving a conflict: the rounds they need they run through
   * `round`, so those are reported, paced and recorded like every other round.
   */
  async exclusive<T>(work: (round: ExclusiveRound) => Promise<T>): Promise<T> {
    this.holds += 1;
    try {
      await this.idle();
      return await work(() => this.exclusiveRound());
    } finally {
      this.holds -= 1;
      this.kick();
    }
  }

  /** A full round run inside exclusive(): it covers whatever was pending, and a retry waiting. */
  private async exclusiveRound(): Promise<RoundSummary> {
    if (this.stopped) throw new Error('the library runner has stopped');
    this.clearRetry();
    this.pendingScope = null;
    this.pendingPull = false;
    const outcome = await this.runRound('all', { autoMerge: false });
    if (outcome.kind === 'bug') throw outcome.error;
    return outcome.summary;
  }

  private kick(): void {
    if (this.stopped || this.paused || this.holds > 0 || this.running !== null || this.retryTimer !== null) return;
    if (this.pendingScope === null && !this.pendingPull) return;
    this.running = this.loop().finally(() => {
      this.running = null;
      // A trigger that arrived while the last round finished is served now.
      if (this.retryTimer === null) this.kick();
      // The last state was reported while the loop still ran (busy); now it has settled.
      if (this.running === null && !this.stopped) this.deps.onState(this.state, this.retryAt === null ? {} : { retryAt: this.retryAt });
    });
  }

  private async loop(): Promise<void> {
    while (!this.stopped && !this.paused && this.holds === 0 && (this.pendingScope !== null || this.pendingPull)) {
      const scope = this.pendingScope === 'all' ? 'all' : [...(this.pendingScope ?? [])];
      this.pendingScope = null;
      this.pendingPull = false;
      const outcome = await this.runRound(scope, {});
      if (outcome.kind === 'bug') {
        // A bug, not a condition: report it, and retry later rather than spin.
        this.deps.onBug(outcome.error);
        return;
      }
      if (outcome.summary.outcome !== 'synced') return;
    }
  }

  /**
   * Runs one round and reports it. A paused round pauses the runner; a failed one (an error
   * outcome, or a bug thrown) puts its scope back and schedules a retry with backoff.
   */
  private async runRound(
    scope: readonly LibraryPath[] | 'all',
    options: RoundOptions,
  ): Promise<{ readonly kind: 'done'; readonly summary: RoundSummary } | { readonly kind: 'bug'; readonly error: unknown }> {
    this.setState(scope === 'all' || scope.length > 0 ? 'scanning' : 'syncing', {});
    let summary: RoundSummary;
    const abort = new AbortController();
    this.roundAbort = abort;
    try {
      summary = await this.deps.syncRound(
        scope,
        (progress) => {
          if (this.paused) return;
          if (progress.phase !== 'scanning' && progress.phase !== 'pulling' && this.state !== 'syncing') this.setState('syncing', {});
          this.deps.onProgress(progress);
        },
        { ...options, signal: abort.signal },
      );
    } catch (error) {
      this.requeue(scope);
      if (abort.signal.aborted) {
        // Stopped by a pause: not a bug. Whatever the round left is for the next one.
        this.setState('paused', {});
        return { kind: 'done', summary: pausedSummary(this.deps.libraryId) };
      }
      this.scheduleRetry('error', undefined);
      return { kind: 'bug', error };
    } finally {
      this.roundAbort = null;
    }
    if (abort.signal.aborted && summary.outcome !== 'paused') {
      // Paused while the round ended by itself: it stays paused; its work is not repeated.
      this.setState('paused', { summary });
      return { kind: 'done', summary };
    }
    if (summary.outcome === 'paused') {
      if (abort.signal.aborted) this.requeue(scope);
      this.paused = true;
      this.setState('paused', { summary });
    } else if (summary.outcome === 'error') {
      this.requeue(scope);
      this.scheduleRetry(summary.error?.code === 'unavailable' ? 'offline' : 'error', summary);
    } else {
      this.failures = 0;
      this.scheduleQuotaRecheck(summary);
      this.setState(this.pendingScope !== null || this.pendingPull ? 'syncing' : 'idle', { summary });
    }
    return { kind: 'done', summary };
  }

  /**
   * Files the server refused for the owner's full storage wait here, not in a loop: one round
   * after quotaRecheckMs (pull and plan, no scan) tries them again, and any trigger meanwhile
   * (a change here, a commit announced by the server) does too.
   */
  private scheduleQuotaRecheck(summary: RoundSummary): void {
    this.clearQuotaRecheck();
    if (!summary.problems.some((problem) => problem.kind === 'quota-exceeded')) return;
    this.quotaTimer = setTimeout(() => {
      this.quotaTimer = null;
      this.requestPull();
    }, this.deps.quotaRecheckMs ?? 60_000);
    this.quotaTimer.unref?.();
  }

  private clearQuotaRecheck(): void {
    if (this.quotaTimer !== null) clearTimeout(this.quotaTimer);
    this.quotaTimer = null;
  }

  /** Puts a failed round's scope back so that the retry covers it. */
  private requeue(scope: readonly LibraryPath[] | 'all'): void {
    this.pendingPull = true;
    if (scope === 'all') this.pendingScope = 'all';
    else if (scope.length > 0) this.requestScanQuietly(scope);
  }

  private requestScanQuietly(paths: readonly LibraryPath[]): void {
    if (this.pendingScope === 'all') return;
    this.pendingScope ??= new Set();
    for (const item of paths) this.pendingScope.add(item);
  }

  private scheduleRetry(state: 'offline' | 'error', summary: RoundSummary | undefined): void {
    this.failures += 1;
    const base = this.deps.retryBaseMs ?? 1_000;
    const max = this.deps.retryMaxMs ?? 60_000;
    const exponential = Math.min(max, base * 2 ** (this.failures - 1));
    // Full jitter keeps many clients from hammering a server that just came back all at once.
    const delay = Math.max(base / 2, exponential * (0.5 + (this.deps.random ?? Math.random)() / 2));
    const retryAt = Date.now() + delay;
    this.retryAt = retryAt;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.retryAt = null;
      this.kick();
    }, delay);
    this.setState(state, summary === undefined ? { retryAt } : { summary, retryAt });
  }

  /** Retries at once (the server is known to be back, e.g. its event stream reconnected). */
  retryNow(): void {
    if (this.retryTimer === null) return;
    this.clearRetry();
    this.kick();
  }

  private clearRetry(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.retryAt = null;
  }

  private setState(state: RunnerState, detail: { summary?: RoundSummary; retryAt?: number }): void {
    this.state = state;
    this.deps.onState(state, detail);
  }
}

/** The reason a paused round's signal aborts with. */
export class PausedError extends Error {
  override readonly name = 'PausedError';
  constructor() {
    super('the library was paused');
  }
}

/** The summary of a round a pause stopped before it could say more. */
function pausedSummary(libraryId: string): RoundSummary {
  const summary = emptySummary(libraryId, libraryId);
  summary.outcome = 'paused';
  summary.pauseReason = 'user';
  return summary;
}
