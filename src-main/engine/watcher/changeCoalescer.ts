// Turns a stream of raw watcher events into a few scan requests. Pure: no I/O and no clock; the
// caller passes the time (milliseconds on any monotonic clock) with every call.
//
// Rules:
// - Debounce: a scan set is released once no event at all has come for `quietMs`, or, while
//   events keep coming, once the oldest waiting event is `maxDelayMs` old. It holds every path
//   whose own events are `quietMs` old, and those waiting `maxDelayMs`; a path still being
//   written waits for the next set. So a burst of events is one scan, a file written
//   continuously is still scanned every `maxDelayMs`, and a save made while another file is being
//   written continuously waits at most `maxDelayMs`.
// - Scan sets are at least `minIntervalMs` apart.
// - When more than `collapseThreshold` different children of one folder have due paths below
//   them, that folder is scanned instead of its paths; when that folder is the root, or more than
//   `maxScanPaths` paths remain, everything is scanned ('all').
// - Cairn's temp files and ignored paths are dropped. A name that cannot be a LibraryPath becomes
//   a scan of its nearest canonical folder (the scanner reports the name as a problem there).
// - A change to `.cairnignore` or to the root itself, or a request to rescan the root, is 'all'.
//
// Times must come from a monotonic clock: the waiting paths are kept in the order of their first
// event, so the oldest is always the first.
//
// Correctness does not depend on the timing: every path recorded is covered by a scan set
// released after its last event, and that scan reads the disk afterwards, so it sees the change. The
// debounce only saves work and avoids syncing a file between two writes of one save. That a file
// is not read half-written is the scanner's guarantee (it compares lstat before and after).

import { type LibraryPath, ancestorPaths, canonicalizeLocalPath, isSameOrBelow } from '../../../shared/paths.js';
import { IGNORE_FILE_NAME, type IgnoreMatcher } from '../ignore/ignoreMatcher.js';
import { isTempFileName } from '../localfs/tempFileName.js';
import type { RawChangeKind } from './watcher.js';

export interface ChangeCoalescerOptions {
  /** Quiet time after the last event before a scan set is released. Default 150 ms. */
  readonly quietMs?: number;
  /** Longest wait after a path's first event, however busy the library stays. Default 1000 ms. */
  readonly maxDelayMs?: number;
  /** Shortest time between two released scan sets. Default 250 ms. */
  readonly minIntervalMs?: number;
  /** More different children than this with changes below them make a folder one scan. Default 50. */
  readonly collapseThreshold?: number;
  /** More scan paths than this in one set make it 'all'. Default 1000. */
  readonly maxScanPaths?: number;
  /**
   * More paths waiting than this turn the wait into one for 'all', bounding the memory a huge
   * burst can take. Default 20,000.
   */
  readonly maxPendingPaths?: number;
  /** Separator of the relative paths passed to `recordChange` and `recordRescan`. Default '/'. */
  readonly separator?: '/' | '\\';
  /** The library's ignore rules, as the scanner uses them; by default nothing but temp files is dropped. */
  readonly ignore?: IgnoreMatcher;
}

/** What to scan: these files and folders (with everything below them), or the whole library. */
export type ScanRequest = readonly LibraryPath[] | 'all';

export interface DueScans {
  /** Due now; an empty list when nothing is. */
  readonly scanPaths: ScanRequest;
  /** When to call `due` next, or undefined when nothing is waiting. */
  readonly nextWakeAt: number | undefined;
}

/** One change, as the watcher saw it, relative to the library root. */
export interface RelativeChange {
  /** Relative to the root with `separator`; '' for the root itself. */
  readonly path: string;
  readonly kind: RawChangeKind;
  readonly isFolder?: boolean;
}

interface Waiting {
  readonly firstAt: number;
  lastAt: number;
}

const DEFAULTS = {
  quietMs: 150,
  maxDelayMs: 1000,
  minIntervalMs: 250,
  collapseThreshold: 50,
  maxScanPaths: 1000,
  maxPendingPaths: 20_000,
} as const;

export class ChangeCoalescer {
  private readonly quietMs: number;
  private readonly maxDelayMs: number;
  private readonly minIntervalMs: number;
  private readonly collapseThreshold: number;
  private readonly maxScanPaths: number;
  private readonly maxPendingPaths: number;
  private readonly separator: '/' | '\\';
  private ignore: IgnoreMatcher | undefined;
  /** Paths waiting to be scanned. Empty while `everything` waits: it covers them all. */
  private readonly waiting = new Map<LibraryPath, Waiting>();
  /** Set when the whole library waits to be scanned; its times are those of any event. */
  private everything: Waiting | undefined;
  private lastReleaseAt = Number.NEGATIVE_INFINITY;
  /** The time of the last event recorded (not dropped), for the library-wide quiet time. */
  private lastEventAt = Number.NEGATIVE_INFINITY;

  constructor(options: ChangeCoalescerOptions = {}) {
    this.quietMs = options.quietMs ?? DEFAULTS.quietMs;
    this.maxDelayMs = options.maxDelayMs ?? DEFAULTS.maxDelayMs;
    this.minIntervalMs = options.minIntervalMs ?? DEFAULTS.minIntervalMs;
    this.collapseThreshold = options.collapseThreshold ?? DEFAULTS.collapseThreshold;
    this.maxScanPaths = options.maxScanPaths ?? DEFAULTS.maxScanPaths;
    this.maxPendingPaths = options.maxPendingPaths ?? DEFAULTS.maxPendingPaths;
    this.separator = options.separator ?? '/';
    this.ignore = options.ignore;
  }

  /** Replaces the ignore rules (after `.cairnignore` changed and was read again). */
  setIgnore(ignore: IgnoreMatcher | undefined): void {
    this.ignore = ignore;
  }

  /** How many paths wait, or 'all' when the whole library does. For status and tests. */
  get waitingCount(): number | 'all' {
    return this.everything === undefined ? this.waiting.size : 'all';
  }

  /**
   * Records one change. Returns when to call `due` next, or undefined when the change was
   * dropped (a temp file or an ignored path).
   */
  recordChange(change: RelativeChange, now: number): number | undefined {
    // While everything waits, an event only extends the quiet time: it is covered whatever it
    // names, and skipping the name checks keeps a burst of a million events cheap.
    if (change.path === '' || this.everything !== undefined) return this.waitForEverything(now);
    const segments = change.path.split(this.separator);
    // Anything inside a temp file's name (a temp folder) is as invisible to the scanner as the file.
    if (segments.some(isTempFileName)) return undefined;
    const target = this.scanTarget(change.path, segments);
    if (target.path === '' || target.path === IGNORE_FILE_NAME) return this.waitForEverything(now);
    // A path whose kind the watcher did not say is taken for a file, so that a folder-only rule
    // never drops it: scanning an ignored folder costs little, missing a change costs data.
    const isFolder = target.widened || (change.isFolder ?? false);
    if (this.ignore?.isIgnored(target.path, isFolder) === true) return undefined;
    return this.wait(target.path, now);
  }

  /**
   * Records that events were lost below `folder` (relative, '' for everywhere), which must
   * therefore be scanned whole. Returns when it can be due.
   */
  recordRescan(folder: string, now: number): number | undefined {
    if (folder === '') return this.waitForEverything(now);
    const target = this.scanTarget(folder, folder.split(this.separator));
    return target.path === '' ? this.waitForEverything(now) : this.wait(target.path, now);
  }

  /**
   * What is due at `now`. Whatever is returned is forgotten: the caller must scan it. Paths below
   * a returned folder are released with it even if they are still busy, since the scan reads them
   * after their last event.
   */
  due(now: number): DueScans {
    const releaseAt = this.nextWakeAt();
    if (releaseAt === undefined || releaseAt > now) return { scanPaths: [], nextWakeAt: releaseAt };
    this.lastReleaseAt = now;
    if (this.everything !== undefined) {
      this.everything = undefined;
      return { scanPaths: 'all', nextWakeAt: undefined };
    }
    const ready: LibraryPath[] = [];
    for (const [waitingPath, times] of this.waiting) if (this.readyAt(times) <= now) ready.push(waitingPath);
    const scanPaths = this.collapse(ready);
    if (scanPaths === 'all') {
      this.waiting.clear();
      return { scanPaths, nextWakeAt: undefined };
    }
    const released = new Set<LibraryPath>(scanPaths);
    for (const waitingPath of [...this.waiting.keys()]) {
      if (released.has(waitingPath) || ancestorPaths(waitingPath).some((ancestor) => released.has(ancestor))) this.waiting.delete(waitingPath);
    }
    return { scanPaths, nextWakeAt: this.nextWakeAt() };
  }

  /** When `due` has something to return next, or undefined when nothing waits. */
  nextWakeAt(): number | undefined {
    let releaseAt: number;
    if (this.everything !== undefined) releaseAt = this.readyAt(this.everything);
    else {
      const oldest = this.waiting.values().next();
      if (oldest.done === true) return undefined;
      releaseAt = Math.min(this.lastEventAt + this.quietMs, oldest.value.firstAt + this.maxDelayMs);
    }
    return Math.max(releaseAt, this.lastReleaseAt + this.minIntervalMs);
  }

  private readyAt(times: Waiting): number {
    return Math.min(times.lastAt + this.quietMs, times.firstAt + this.maxDelayMs);
  }

  private wait(target: LibraryPath, now: number): number | undefined {
    if (this.everything !== undefined) return this.waitForEverything(now);
    this.lastEventAt = now;
    const times = this.waiting.get(target);
    if (times === undefined) {
      this.waiting.set(target, { firstAt: now, lastAt: now });
      if (this.waiting.size > this.maxPendingPaths) return this.waitForEverything(now);
    } else {
      times.lastAt = now;
    }
    return this.nextWakeAt();
  }

  /** Switches to waiting for a scan of everything, keeping the age of the oldest waiting event. */
  private waitForEverything(now: number): number | undefined {
    this.lastEventAt = now;
    if (this.everything === undefined) {
      const oldest = this.waiting.values().next();
      this.everything = { firstAt: oldest.done === true ? now : oldest.value.firstAt, lastAt: now };
      this.waiting.clear();
    } else {
      this.everything.lastAt = now;
    }
    return this.nextWakeAt();
  }

  /**
   * The path to scan for a relative path: its canonical form, or when it has none, its nearest
   * ancestor that has one ('' when none has: the whole library), then `widened`.
   */
  private scanTarget(relative: string, segments: readonly string[]): { path: LibraryPath | ''; widened: boolean } {
    const check = canonicalizeLocalPath(relative, this.separator);
    if (check.ok) return { path: check.path, widened: false };
    for (let length = segments.length - 1; length > 0; length--) {
      const ancestor = canonicalizeLocalPath(segments.slice(0, length).join(this.separator), this.separator);
      if (ancestor.ok) return { path: ancestor.path, widened: true };
    }
    return { path: '', widened: true };
  }

  /**
   * The scan set for the due paths: each replaced by its highest ancestor folder with more than
   * `collapseThreshold` different children changed below it, then reduced to the paths not below
   * another one. 'all' when the root would be such a folder or too many paths remain.
   */
  private collapse(paths: readonly LibraryPath[]): ScanRequest {
    // For every folder ('' is the root), the distinct children through which due paths lie below it.
    const children = new Map<string, Set<string>>();
    const note = (folder: string, child: string): void => {
      const set = children.get(folder);
      if (set === undefined) children.set(folder, new Set([child]));
      else set.add(child);
    };
    for (const duePath of paths) {
      const ancestors = ancestorPaths(duePath);
      note('', ancestors[0] ?? duePath);
      ancestors.forEach((ancestor, i) => note(ancestor, ancestors[i + 1] ?? duePath));
    }
    const crowded = (folder: string): boolean => (children.get(folder)?.size ?? 0) > this.collapseThreshold;
    if (crowded('')) return 'all';

    const widened = new Set<LibraryPath>();
    for (const duePath of paths) widened.add(ancestorPaths(duePath).find(crowded) ?? duePath);
    const result = [...widened].filter((candidate) => !ancestorPaths(candidate).some((ancestor) => widened.has(ancestor)));
    if (result.length > this.maxScanPaths) return 'all';
    return result.sort();
  }
}

/** True when a scan of `request` covers `path`. For callers and tests. */
export function scanRequestCovers(request: ScanRequest, path: LibraryPath): boolean {
  return request === 'all' || request.some((scanPath) => isSameOrBelow(path, scanPath));
}
