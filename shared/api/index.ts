// The SyncApi contract between the UI and the sync service (Electron IPC, or the daemon's local
// control API): operations with their schemas, events, view models and error codes, side by
// side; and createSyncApi, which turns any transport into a checked SyncApi.

export * from './errors.js';
export * from './views.js';
export * from './conflictDetails.js';
export * from './history.js';
export * from './files.js';
export * from './events.js';
export * from './operations.js';
export * from './createSyncApi.js';
export * from './bridge.js';
