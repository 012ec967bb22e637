// The chokidar watcher: the one owner of chokidar. It keeps a JavaScript object per file and a
// Node watch handle per folder (per file when polling), so it needs far more memory and start-up
// time than the native watcher on large libraries. It is kept for what only it can do: polling
// network mounts, where OS events never arrive, and platforms where the native module is missing.
//
// chokidar's own write-finish detection (awaitWriteFinish) stays off: deciding when a file is
// stable is the coalescer's and the scanner's job, and doing it here would stat every changing
// file on a timer.

import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { FSWatcher } from 'chokidar';
import { fsErrorCode } from '../localfs/fsErrorCode.js';
import { isTempFileName } from '../localfs/tempFileName.js';
import { checkWatchRoot, watchStartErrorFrom } from './watchStartError.js';
import type { RawChange, WatchHandlers, WatchSubscription, Watcher } from './watcher.js';

export interface ChokidarWatcherOptions {
  /** Poll with fs.watchFile instead of OS events: for network mounts. Default false. */
  readonly usePolling?: boolean;
  /** Milliseconds between polls of each path when polling. Default 2000. */
  readonly interval?: number;
}

const DEFAULT_POLL_INTERVAL_MS = 2000;
/** Quiet time after the last deletion before looking whether the root itself is gone. */
const ROOT_CHECK_DELAY_MS = 300;

/** A watcher built on chokidar, on OS events or, with `usePolling`, by polling. */
export function createChokidarWatcher(options: ChokidarWatcherOptions = {}): Watcher {
  const usePolling = options.usePolling ?? false;
  const interval = options.interval ?? DEFAULT_POLL_INTERVAL_MS;
  return {
    kind: usePolling ? 'polling' : 'chokidar',
    description: usePolling ? `chokidar, polling every ${interval} ms` : 'chokidar',
    watch: (root, handlers) => watchWithChokidar(path.resolve(root), usePolling, interval, handlers),
  };
}

async function watchWithChokidar(root: string, usePolling: boolean, interval: number, handlers: WatchHandlers): Promise<WatchSubscription> {
  await checkWatchRoot(root);
  const chokidar = await import('chokidar');
  const fsWatcher: FSWatcher = chokidar.watch(root, {
    persistent: true,
    ignoreInitial: true,
    followSymlinks: false,
    usePolling,
    interval,
    binaryInterval: interval,
    // A folder Cairn may not read cannot be watched either; the scanner reports it as a problem,
    // so an error event per such folder would only trigger useless rescans.
    ignorePermissionErrors: true,
    // Cairn's temp files are never synced; leaving them out saves a stat and an event per write.
    ignored: (absolute: string) => isTempFileName(path.basename(absolute)),
  });

  let closed = false;
  let stopped = false;
  let ready = false;
  const startErrors: Error[] = [];
  const stop = (): void => {
    if (closed || stopped) return;
    stopped = true;
    handlers.onTrouble({ kind: 'stopped', cause: new Error(`The watched folder ${root} was deleted or moved away.`) });
  };
  // chokidar reports the root's own deletion only sometimes (as an unlinkDir of the root, with
  // OS events depending on timing), and then watches nothing more. So once deletions below the
  // root have stopped for a moment, it looks whether the root is still there. A recursive delete
  // removes the root last, after the events of its contents, hence the wait.
  let rootCheck: NodeJS.Timeout | undefined;
  const checkRootSoon = (): void => {
    clearTimeout(rootCheck);
    rootCheck = setTimeout(() => {
      rootCheck = undefined;
      stat(root).then(
        (stats) => {
          if (!stats.isDirectory()) stop();
        },
        (error: unknown) => {
          const code = fsErrorCode(error);
          if (code === 'ENOENT' || code === 'ENOTDIR') stop();
        },
      );
    }, ROOT_CHECK_DELAY_MS);
  };
  const report = (change: RawChange): void => {
    if (closed || stopped) return;
    handlers.onChanges([change]);
    if (change.kind === 'delete') checkRootSoon();
  };
  fsWatcher.on('add', (changed) => report({ path: changed, kind: 'create', isFolder: false }));
  fsWatcher.on('addDir', (changed) => report({ path: changed, kind: 'create', isFolder: true }));
  fsWatcher.on('change', (changed) => report({ path: changed, kind: 'update', isFolder: false }));
  fsWatcher.on('unlink', (changed) => report({ path: changed, kind: 'delete', isFolder: false }));
  fsWatcher.on('unlinkDir', (changed) => {
    if (changed === root) stop();
    else report({ path: changed, kind: 'delete', isFolder: true });
  });
  fsWatcher.on('error', (error: unknown) => {
    const cause = error instanceof Error ? error : new Error(String(error));
    if (closed || stopped) return;
    if (!ready) startErrors.push(cause);
    // chokidar goes on after an error but does not say which folder it concerns, so everything is
    // rescanned.
    else handlers.onTrouble({ kind: 'lost-events', folder: root, cause });
  });

  await new Promise<void>((resolve) => fsWatcher.once('ready', resolve));
  const limit = startErrors.map((error) => watchStartErrorFrom(error, root)).find((error) => error.reason === 'watch-limit');
  if (limit !== undefined) {
    closed = true;
    await fsWatcher.close();
    throw limit;
  }
  ready = true;
  const [firstError] = startErrors;
  if (firstError !== undefined) handlers.onTrouble({ kind: 'lost-events', folder: root, cause: firstError });

  return {
    close() {
      closed = true;
      clearTimeout(rootCheck);
      return fsWatcher.close();
    },
  };
}
