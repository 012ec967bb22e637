// File watching for the live-sync daemon: raw watchers behind one small interface, the pure
// coalescer that turns their events into scan requests, and LibraryWatch, which glues the two
// for one library.
export { ChangeCoalescer, scanRequestCovers } from './changeCoalescer.js';
export type { ChangeCoalescerOptions, DueScans, RelativeChange, ScanRequest } from './changeCoalescer.js';
export { createChokidarWatcher } from './chokidarWatcher.js';
export type { ChokidarWatcherOptions } from './chokidarWatcher.js';
export { createWatcher } from './createWatcher.js';
export type { CreateWatcherOptions } from './createWatcher.js';
export { startLibraryWatch } from './libraryWatch.js';
export type { LibraryWatch, LibraryWatchOptions, LibraryWatchTrouble } from './libraryWatch.js';
export { WatcherUnavailableError, createParcelWatcher } from './parcelWatcher.js';
export { WatchStartError } from './watchStartError.js';
export type { WatchStartProblem } from './watchStartError.js';
export type { RawChange, RawChangeKind, WatchHandlers, WatchSubscription, WatchTrouble, Watcher, WatcherKind } from './watcher.js';
