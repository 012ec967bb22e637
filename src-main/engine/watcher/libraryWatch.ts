// Watches one library: a Watcher feeds a ChangeCoalescer, and a timer hands what is due to the
// daemon as scan requests. This is the only part with a clock and timers; the rules live in the
// coalescer.
//
// Lifetimes: `startLibraryWatch` starts the watcher and resolves once it is in place; `close`
// stops the watcher, clears the timer and waits for a running `onDue`, after which nothing of
// the watch runs. A watch that stops by itself (native watcher error, root deleted or moved) is
// started again with a growing delay, and everything is rescanned after each restart because
// events were lost meanwhile.

import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { LibraryPath } from '../../../shared/paths.js';
import type { IgnoreMatcher } from '../ignore/ignoreMatcher.js';
import { ChangeCoalescer, type ChangeCoalescerOptions, type ScanRequest } from './changeCoalescer.js';
import { WatchStartError, checkWatchRoot, watchStartErrorFrom } from './watchStartError.js';
import type { RawChange, WatchSubscription, WatchTrouble, Watcher } from './watcher.js';

/** What happened to the watch itself, for logs and the status screen. */
export type LibraryWatchTrouble =
  /** Events were lost below `folder` (absolute); it is rescanned, and the watch goes on. */
  | { readonly kind: 'events-lost'; readonly folder: string; readonly cause: Error }
  /** The watch stopped; everything is rescanned, and a new watch starts in `retryInMs`. */
  | { readonly kind: 'watch-stopped'; readonly cause: Error; readonly retryInMs: number }
  /** Starting the watch again failed; the next attempt is in `retryInMs`. */
  | { readonly kind: 'restart-failed'; readonly cause: WatchStartError; readonly retryInMs: number }
  /** The watch runs again after a stop; everything is rescanned. */
  | { readonly kind: 'watch-restarted' }
  /** `onDue` threw or rejected: a bug in the caller, or a scan failure it did not handle. */
  | { readonly kind: 'due-failed'; readonly cause: unknown };

export interface LibraryWatchOptions {
  /** The library folder. It may be a symlink: the watch follows it to the real folder once, at start. */
  readonly root: string;
  readonly watcher: Watcher;
  /**
   * Called with what to scan now. While a returned promise is pending, nothing more is due: new
   * events keep being coalesced and come in the next call. It should handle its own errors; a
   * rejection is reported as 'due-failed' and its paths are not asked again.
   */
  readonly onDue: (scan: ScanRequest) => void | Promise<void>;
  readonly onTrouble?: (trouble: LibraryWatchTrouble) => void;
  /** The library's ignore rules; update them with `setIgnore` when `.cairnignore` changes. */
  readonly ignore?: IgnoreMatcher;
  /** Timing and collapse settings (see ChangeCoalescer). */
  readonly coalescing?: Omit<ChangeCoalescerOptions, 'separator' | 'ignore'>;
  /** First delay before a stopped watch is started again; it doubles up to `maxRestartDelayMs`. Default 1000. */
  readonly restartDelayMs?: number;
  /** Default 60,000. */
  readonly maxRestartDelayMs?: number;
}

export interface LibraryWatch {
  /** The real path being watched. */
  readonly root: string;
  /** Replaces the ignore rules used to drop events. */
  setIgnore(ignore: IgnoreMatcher | undefined): void;
  /** Asks for a scan of a path or of everything (after resume from sleep, say), coalesced with the rest. */
  requestScan(target: LibraryPath | 'all'): void;
  /** Stops everything the watch started; see the file comment. Calling it again is harmless. */
  close(): Promise<void>;
}

/**
 * Starts watching `options.root`. Rejects with a WatchStartError when the watch cannot start; the
 * caller then relies on periodic rescans and may try again later (see `retryable`).
 */
export async function startLibraryWatch(options: LibraryWatchOptions): Promise<LibraryWatch> {
  const given = path.resolve(options.root);
  await checkWatchRoot(given);
  let root: string;
  try {
    root = await realpath(given);
  } catch (error) {
    throw watchStartErrorFrom(error, given);
  }
  const watch = new RunningLibraryWatch(root, options);
  await watch.start();
  return watch;
}

class RunningLibraryWatch implements LibraryWatch {
  private readonly coalescer: ChangeCoalescer;
  private subscription: WatchSubscription | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerAt: number | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  /** A restart under way, awaited by `close` so that no watch it starts outlives the close. */
  private restarting: Promise<void> | undefined;
  private restartDelayMs: number;
  /** The running `onDue`, if any; nothing more is due until it settles. */
  private running: Promise<void> | undefined;
  /** Counts watches started, so that a late report from a replaced one is recognized and dropped. */
  private generation = 0;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(
    readonly root: string,
    private readonly options: LibraryWatchOptions,
  ) {
    this.coalescer = new ChangeCoalescer({
      ...options.coalescing,
      separator: path.sep === '\\' ? '\\' : '/',
      ...(options.ignore === undefined ? {} : { ignore: options.ignore }),
    });
    this.restartDelayMs = options.restartDelayMs ?? 1000;
  }

  async start(): Promise<void> {
    const generation = ++this.generation;
    const subscription = await this.options.watcher.watch(this.root, {
      onChanges: (changes) => {
        if (generation === this.generation) this.recordChanges(changes);
      },
      onTrouble: (trouble) => {
        if (generation === this.generation) this.handleTrouble(trouble);
      },
    });
    if (this.closed || generation !== this.generation) {
      await subscription.close();
      return;
    }
    this.subscription = subscription;
  }

  setIgnore(ignore: IgnoreMatcher | undefined): void {
    this.coalescer.setIgnore(ignore);
  }

  requestScan(target: LibraryPath | 'all'): void {
    if (this.closed) return;
    this.schedule(this.coalescer.recordRescan(target === 'all' ? '' : target.split('/').join(path.sep), performance.now()));
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.closed = true;
    this.generation++;
    clearTimeout(this.timer);
    clearTimeout(this.restartTimer);
    this.timer = undefined;
    this.restartTimer = undefined;
    const subscription = this.subscription;
    this.subscription = undefined;
    await subscription?.close();
    await this.restarting;
    await this.running;
  }

  private recordChanges(changes: readonly RawChange[]): void {
    if (this.closed) return;
    const now = performance.now();
    let wake: number | undefined;
    for (const change of changes) {
      const relative = this.relative(change.path);
      if (relative === undefined) continue;
      const at = this.coalescer.recordChange({ path: relative, kind: change.kind, ...(change.isFolder === undefined ? {} : { isFolder: change.isFolder }) }, now);
      if (at !== undefined && (wake === undefined || at < wake)) wake = at;
    }
    this.schedule(wake);
  }

  /** The path relative to the root ('' for the root itself), or undefined when outside it. */
  private relative(absolute: string): string | undefined {
    const relative = path.relative(this.root, absolute);
    if (relative === '') return '';
    if (path.isAbsolute(relative) || relative === '..' || relative.startsWith(`..${path.sep}`)) return undefined;
    return relative;
  }

  private handleTrouble(trouble: WatchTrouble): void {
    if (this.closed) return;
    switch (trouble.kind) {
      case 'lost-events': {
        const relative = this.relative(trouble.folder) ?? '';
        this.schedule(this.coalescer.recordRescan(relative, performance.now()));
        this.options.onTrouble?.({ kind: 'events-lost', folder: trouble.folder, cause: trouble.cause });
        return;
      }
      case 'stopped':
        this.stopped(trouble.cause);
        return;
      default:
        trouble satisfies never;
    }
  }

  private stopped(cause: Error): void {
    // Reports from the stopped watch are dropped from now on; the new one gets a new generation.
    this.generation++;
    const subscription = this.subscription;
    this.subscription = undefined;
    // The watch has ended already; closing only releases what is left, and may fail harmlessly.
    subscription?.close().catch(() => undefined);
    this.schedule(this.coalescer.recordRescan('', performance.now()));
    this.options.onTrouble?.({ kind: 'watch-stopped', cause, retryInMs: this.restartDelayMs });
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    const delay = this.restartDelayMs;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.restarting = this.restart().finally(() => {
        this.restarting = undefined;
      });
    }, delay);
  }

  private async restart(): Promise<void> {
    if (this.closed) return;
    try {
      await checkWatchRoot(this.root);
      await this.start();
    } catch (error) {
      if (this.closed) return;
      this.restartDelayMs = Math.min(this.restartDelayMs * 2, this.options.maxRestartDelayMs ?? 60_000);
      const cause = error instanceof WatchStartError ? error : watchStartErrorFrom(error, this.root);
      this.options.onTrouble?.({ kind: 'restart-failed', cause, retryInMs: this.restartDelayMs });
      this.scheduleRestart();
      return;
    }
    if (this.closed) return;
    this.restartDelayMs = this.options.restartDelayMs ?? 1000;
    // Whatever changed while no watch was running went unreported.
    this.schedule(this.coalescer.recordRescan('', performance.now()));
    this.options.onTrouble?.({ kind: 'watch-restarted' });
  }

  /** Makes sure `pump` runs no later than `at` (a performance.now() time). */
  private schedule(at: number | undefined): void {
    if (at === undefined || this.closed || this.running !== undefined) return;
    if (this.timer !== undefined && this.timerAt !== undefined && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.pump(), Math.max(0, Math.ceil(at - performance.now())));
  }

  private pump(): void {
    this.timer = undefined;
    this.timerAt = undefined;
    if (this.closed || this.running !== undefined) return;
    const { scanPaths, nextWakeAt } = this.coalescer.due(performance.now());
    if (scanPaths !== 'all' && scanPaths.length === 0) {
      this.schedule(nextWakeAt);
      return;
    }
    this.running = Promise.resolve()
      .then(() => this.options.onDue(scanPaths))
      .catch((error: unknown) => {
        if (!this.closed) this.options.onTrouble?.({ kind: 'due-failed', cause: error });
      })
      .finally(() => {
        this.running = undefined;
        this.schedule(this.coalescer.nextWakeAt());
      });
  }
}
