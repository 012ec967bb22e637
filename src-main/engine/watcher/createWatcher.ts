// Chooses the watcher. The native one is the default because it alone meets the memory target
// (the whole daemon under 200 MB while watching 100,000 files); chokidar is the fallback where the
// native module cannot load, and polling is for network mounts, where OS events never arrive.

import { type ChokidarWatcherOptions, createChokidarWatcher } from './chokidarWatcher.js';
import { WatcherUnavailableError, createParcelWatcher } from './parcelWatcher.js';
import type { Watcher, WatcherKind } from './watcher.js';

export interface CreateWatcherOptions {
  /** Milliseconds between polls for the 'polling' kind. */
  readonly pollInterval?: ChokidarWatcherOptions['interval'];
}

/**
 * The watcher of `kind` (default 'native'). When the native module cannot be loaded, chokidar on
 * OS events is returned instead; its `description` says why, for the status screen.
 */
export async function createWatcher(kind: WatcherKind = 'native', options: CreateWatcherOptions = {}): Promise<Watcher> {
  switch (kind) {
    case 'native':
      try {
        return await createParcelWatcher();
      } catch (error) {
        if (!(error instanceof WatcherUnavailableError)) throw error;
        const fallback = createChokidarWatcher();
        return { ...fallback, description: `${fallback.description} (fallback: ${error.message})` };
      }
    case 'chokidar':
      return createChokidarWatcher();
    case 'polling':
      return createChokidarWatcher({ usePolling: true, ...(options.pollInterval === undefined ? {} : { interval: options.pollInterval }) });
    default:
      return kind satisfies never;
  }
}
