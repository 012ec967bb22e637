// The native watcher: the one owner of @parcel/watcher. It watches a whole tree with one native
// subscription (inotify on Linux, FSEvents on macOS, ReadDirectoryChangesW on Windows) and keeps
// its bookkeeping in C++, which is why it needs a small fraction of chokidar's memory and start-up
// time on large libraries (see bench/watcher.ts).
//
// Known limits of the module, which the rescans make up for:
// - On Linux it drops the kernel's queue-overflow notice (IN_Q_OVERFLOW) without telling us, and a
//   folder it fails to add a watch for later on is silently not watched. The daemon's periodic
//   full rescan is what catches those changes.
// - After it reports an error it calls us no more: that is a 'stopped' trouble.

import path from 'node:path';
import type * as ParcelWatcherModule from '@parcel/watcher';
import { checkWatchRoot, watchStartErrorFrom } from './watchStartError.js';
import type { RawChange, WatchHandlers, WatchSubscription, Watcher } from './watcher.js';

/** The part of the module Cairn uses. */
type ParcelWatcher = Pick<typeof ParcelWatcherModule, 'subscribe'>;
type ParcelBackend = ParcelWatcherModule.BackendType;

/** The native module could not be loaded (no prebuilt binary for this platform, or a broken install). */
export class WatcherUnavailableError extends Error {
  override readonly name = 'WatcherUnavailableError';
  constructor(options: { cause: unknown }) {
    const detail = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(`The native file watcher (@parcel/watcher) could not be loaded: ${detail}. Reinstall Cairn; meanwhile chokidar watches instead.`, options);
  }
}

/**
 * The backend per platform, chosen explicitly: left to itself the module prefers a Watchman
 * daemon when one is installed, and Cairn should not depend on how some other tool's daemon is
 * configured. Other platforms (FreeBSD) get the module's default.
 */
function backendFor(platform: NodeJS.Platform): ParcelBackend | undefined {
  switch (platform) {
    case 'linux':
      return 'inotify';
    case 'darwin':
      return 'fs-events';
    case 'win32':
      return 'windows';
    default:
      return undefined;
  }
}

/** Loads the native module once; rejects with WatcherUnavailableError when it cannot load. */
let loading: Promise<ParcelWatcher> | undefined;
function loadParcelWatcher(): Promise<ParcelWatcher> {
  const attempt =
    loading ??
    import('@parcel/watcher').then(
      // A CommonJS module: its exports object is the default export.
      (module): ParcelWatcher => module.default,
      (error: unknown) => {
        // A later call tries again (the install may have been repaired meanwhile).
        loading = undefined;
        throw new WatcherUnavailableError({ cause: error });
      },
    );
  loading = attempt;
  return attempt;
}

/**
 * The native watcher. Loads @parcel/watcher first and rejects with WatcherUnavailableError if it
 * cannot, so that the caller can fall back to chokidar before watching anything.
 */
export async function createParcelWatcher(): Promise<Watcher> {
  const parcel = await loadParcelWatcher();
  const backend = backendFor(process.platform);
  return {
    kind: 'native',
    description: `native (@parcel/watcher, ${backend ?? 'default backend'})`,
    watch: (root, handlers) => watchWithParcel(parcel, backend, path.resolve(root), handlers),
  };
}

async function watchWithParcel(
  parcel: ParcelWatcher,
  backend: ParcelBackend | undefined,
  root: string,
  handlers: WatchHandlers,
): Promise<WatchSubscription> {
  await checkWatchRoot(root);
  let closed = false;
  let stopped = false;
  const callback = (error: Error | null, events: ParcelWatcherModule.Event[]): void => {
    if (closed || stopped) return;
    const changes: RawChange[] = [];
    let rootGone = false;
    for (const event of events) {
      // The module reports the root's own deletion or move (inotify's IN_DELETE_SELF and
      // IN_MOVE_SELF) as a delete of the root; its watch is gone with it.
      if (event.path === root && event.type === 'delete') rootGone = true;
      else changes.push({ path: event.path, kind: event.type });
    }
    if (changes.length > 0) handlers.onChanges(changes);
    if (error !== null) {
      stopped = true;
      handlers.onTrouble({ kind: 'stopped', cause: error });
    } else if (rootGone) {
      stopped = true;
      handlers.onTrouble({ kind: 'stopped', cause: new Error(`The watched folder ${root} was deleted or moved away.`) });
    }
  };
  let subscription: ParcelWatcherModule.AsyncSubscription;
  try {
    subscription = await parcel.subscribe(root, callback, backend === undefined ? {} : { backend });
  } catch (error) {
    throw watchStartErrorFrom(error, root);
  }
  let closing: Promise<void> | undefined;
  return {
    close() {
      closed = true;
      closing ??= subscription.unsubscribe().catch(() => {
        // After an error the module has already dropped this subscription, and after the root
        // was deleted its watch is gone; either way there is nothing left to release.
      });
      return closing;
    },
  };
}
