// Adapts the engine's file watching (src-main/engine/watcher) to the daemon's LibraryWatchFactory:
// one watcher implementation for the whole daemon, one LibraryWatch per library, the library's
// `.cairnignore` rules kept up to date in it (so ignored paths wake nothing), and the watch's
// troubles written to the daemon's log. Every watch this starts is stopped by its close().

import { IGNORE_FILE_NAME, createIgnoreMatcher, loadWatching, readIgnoreFile } from '../engine/index.js';
import type { LibraryWatch, LibraryWatchTrouble, WatcherKind } from '../engine/index.js';
import type { LibraryWatchFactory } from './daemon.js';

export interface WatchFactoryOptions {
  /** Which watcher implementation; default 'native' (falls back to chokidar when it cannot load). */
  readonly kind?: WatcherKind;
  /** Milliseconds between polls for the 'polling' kind. */
  readonly pollIntervalMs?: number;
  readonly log: (line: string) => void;
}

export interface WatchFactory {
  readonly watch: LibraryWatchFactory;
  /** Which watcher runs, for the log and the status screen. */
  readonly description: string;
}

export async function createLibraryWatchFactory(options: WatchFactoryOptions): Promise<WatchFactory> {
  const { createWatcher, startLibraryWatch } = await loadWatching();
  const watcher = await createWatcher(options.kind ?? 'native', options.pollIntervalMs === undefined ? {} : { pollInterval: options.pollIntervalMs });
  const watch: LibraryWatchFactory = async (root, onDue) => {
    const readIgnore = async () => createIgnoreMatcher(await readIgnoreFile(root).catch(() => undefined));
    // Set once the watch is in place; an early batch of changes needs no ignore update yet.
    let running: LibraryWatch | undefined = undefined;
    running = await startLibraryWatch({
      root,
      watcher,
      ignore: await readIgnore(),
      onDue: async (scan) => {
        // New rules change which events matter; the scan itself reads the file again anyway.
        if (scan === 'all' || scan.some((path) => path === IGNORE_FILE_NAME)) running?.setIgnore(await readIgnore());
        onDue(scan);
      },
      onTrouble: (trouble) => options.log(describeTrouble(root, trouble)),
    });
    const started = running;
    return { close: () => started.close() };
  };
  return { watch, description: watcher.description };
}

function describeTrouble(root: string, trouble: LibraryWatchTrouble): string {
  switch (trouble.kind) {
    case 'events-lost':
      return `the watcher lost events below ${trouble.folder} (${trouble.cause.message}); rescanning it`;
    case 'watch-stopped':
      return `watching ${root} stopped (${trouble.cause.message}); rescanning it and watching again in ${Math.round(trouble.retryInMs / 1000)} s`;
    case 'restart-failed':
      return `watching ${root} again failed (${trouble.cause.message}); next attempt in ${Math.round(trouble.retryInMs / 1000)} s`;
    case 'watch-restarted':
      return `watching ${root} again; rescanning it`;
    case 'due-failed':
      return `bug: handing the watcher's changes of ${root} to the daemon failed: ${(trouble.cause as Error)?.stack ?? String(trouble.cause)}`;
    default:
      return trouble satisfies never;
  }
}
