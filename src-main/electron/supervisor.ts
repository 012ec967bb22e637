// Keeps one child process alive: when it exits without being asked to, it is started again
// after a delay that doubles with each quick failure (up to a ceiling) and starts over once a
// child has run for a while. Pure: the clock and the way to start a child are injected.

/** A started child, as the supervisor sees it. */
export interface SupervisedChild {
  /** Called once, when the child has exited, with a sentence saying why. */
  onExit(listener: (reason: string) => void): void;
  /** Asks the child to stop and resolves once it has exited. */
  stop(): Promise<void>;
}

export interface BackoffPolicy {
  /** Wait before the first restart. */
  readonly initialMs: number;
  /** Longest wait between restarts. */
  readonly maxMs: number;
  /** A child that ran at least this long counts as healthy: the next restart waits initialMs again. */
  readonly stableAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 60_000, stableAfterMs: 60_000 };

export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export type SupervisorState =
  | { readonly kind: 'idle' }
  /** A child was started at `since`; `restarts` counts the starts after the first. */
  | { readonly kind: 'running'; readonly since: number; readonly restarts: number }
  /** The last child exited (`reason`); the next starts at retryAt. */
  | { readonly kind: 'waiting'; readonly retryAt: number; readonly reason: string; readonly failures: number }
  | { readonly kind: 'stopped' };

/** The wait before restart number `failures` (1 for the first quick failure in a row). */
export function restartDelay(failures: number, policy: BackoffPolicy): number {
  const doublings = Math.min(Math.max(failures - 1, 0), 30);
  return Math.min(policy.maxMs, policy.initialMs * 2 ** doublings);
}

export interface SupervisorOptions {
  /** Starts a child; may throw, which counts as a child that exited at once. */
  readonly launch: () => SupervisedChild;
  readonly backoff?: BackoffPolicy;
  readonly clock?: Clock;
  readonly onStateChanged?: (state: SupervisorState) => void;
}

export class Supervisor {
  private current: SupervisorState = { kind: 'idle' };
  private child: SupervisedChild | null = null;
  private timer: unknown = null;
  private failures = 0;
  private restarts = 0;
  private stopping: Promise<void> | null = null;
  private readonly backoff: BackoffPolicy;
  private readonly clock: Clock;

  constructor(private readonly options: SupervisorOptions) {
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.clock = options.clock ?? systemClock;
  }

  get state(): SupervisorState {
    return this.current;
  }

  /** Starts the first child; does nothing once started or stopped. */
  start(): void {
    if (this.current.kind !== 'idle') return;
    this.launch();
  }

  /** Stops the child (waiting for it to exit) and never starts another. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.timer !== null) this.clock.clearTimeout(this.timer);
      this.timer = null;
      const child = this.child;
      this.child = null;
      this.setState({ kind: 'stopped' });
      await child?.stop();
    })();
    return this.stopping;
  }

  private launch(): void {
    const since = this.clock.now();
    let child: SupervisedChild;
    try {
      child = this.options.launch();
    } catch (error) {
      this.exited(since, `it could not be started: ${(error as Error)?.message ?? String(error)}`);
      return;
    }
    this.child = child;
    this.setState({ kind: 'running', since, restarts: this.restarts });
    let exited = false;
    child.onExit((reason) => {
      if (exited || this.child !== child) return;
      exited = true;
      this.child = null;
      this.exited(since, reason);
    });
  }

  private exited(since: number, reason: string): void {
    if (this.stopping !== null) return;
    const ran = this.clock.now() - since;
    this.failures = ran >= this.backoff.stableAfterMs ? 1 : this.failures + 1;
    const delay = restartDelay(this.failures, this.backoff);
    this.setState({ kind: 'waiting', retryAt: this.clock.now() + delay, reason, failures: this.failures });
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      if (this.stopping !== null) return;
      this.restarts += 1;
      this.launch();
    }, delay);
  }

  private setState(state: SupervisorState): void {
    this.current = state;
    this.options.onStateChanged?.(state);
  }
}
