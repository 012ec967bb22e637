// The small interface every file watcher implements. A watcher only reports what the operating
// system told it, as absolute paths; turning that into library paths and deciding when to scan is
// the job of ChangeCoalescer and LibraryWatch. A watcher's report is a hint, never a fact: the
// scanner looks at the disk again before anything is synced, so a spurious or duplicate event
// costs a little work and a missed event is caught by the rescans that troubles trigger.

/** Which implementation watches: the native module, chokidar on OS events, or chokidar polling. */
export type WatcherKind = 'native' | 'chokidar' | 'polling';

/** What the OS said happened to a path. 'unknown' when the watcher cannot tell. */
export type RawChangeKind = 'create' | 'update' | 'delete' | 'unknown';

export interface RawChange {
  /** Absolute path, below (or equal to) the watched root as it was given to `watch`. */
  readonly path: string;
  readonly kind: RawChangeKind;
  /** True or false when the watcher knows whether the path is a folder; undefined otherwise. */
  readonly isFolder?: boolean;
}

/**
 * Something went wrong with the watch itself. Either way some changes may not have been
 * reported, so the caller must rescan what the trouble names.
 */
export type WatchTrouble =
  /** Events were lost below `folder` (absolute; the root for "anywhere"), but the watch goes on. */
  | { readonly kind: 'lost-events'; readonly folder: string; readonly cause: Error }
  /**
   * The watch has ended and reports nothing more (the native watcher failed, or the root itself
   * was deleted or moved away). Close the subscription, rescan everything and start a new watch.
   */
  | { readonly kind: 'stopped'; readonly cause: Error };

export interface WatchHandlers {
  /** A batch of changes, in the order the OS reported them. Never called with an empty batch. */
  onChanges(changes: readonly RawChange[]): void;
  onTrouble(trouble: WatchTrouble): void;
}

/** A running watch. Everything that starts returns a way to stop. */
export interface WatchSubscription {
  /**
   * Stops watching and releases every handle, timer and native resource, so that a process with
   * nothing else to do can exit. No handler is called after the returned promise settles.
   * Calling it again is harmless.
   */
  close(): Promise<void>;
}

export interface Watcher {
  readonly kind: WatcherKind;
  /** For logs and the status screen, e.g. "native (inotify)" or why the fallback was chosen. */
  readonly description: string;
  /**
   * Watches `root` recursively and resolves once the watch is in place: a change made after the
   * promise resolves is reported. Pass a real path (no symlink on the way, see fs.realpath),
   * because some backends report real paths. Rejects with a WatchStartError when the watch
   * cannot start.
   */
  watch(root: string, handlers: WatchHandlers): Promise<WatchSubscription>;
}
