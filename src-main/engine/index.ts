// The engine's one public entry. Outside src-main/engine/ nothing else of the engine may be
// imported (the lint rule `local/layering` in eslint.config.js holds this): the daemon, the
// CLI and the desktop app see the engine only as what is listed here, so its inside can change
// without them.
//
// Heavy parts a caller may not need are loaded on demand: file watching (loadWatching), and
// inside the Engine the server client, the chunker pool and the sync round.

export { Engine, readIgnoreFile } from './engine.js';
export type { AccountInfo, BatchOutcome, EngineOptions, KeepChoice, LibraryFacts, RemoteSnapshot, ResolutionRound, ResolveOptions, SelectionLeaving } from './engine.js';
export { UserError } from './userError.js';
export type { UserErrorReason } from './userError.js';

// What a round did and how far it is.
export { emptySummary } from './sync/roundSummary.js';
export type { FileProgress, RoundProgress, RoundSummary } from './sync/roundSummary.js';
export type { PendingWork } from './sync/pendingWork.js';

// The records the engine keeps about synced libraries, their conflicts and problems.
export type { ConflictRecord, LibraryRecord, ProblemRecord } from './indexStore/index.js';
// The activity list's own small database (SQLite has one owner: the index store).
export { openActivityStore } from './indexStore/activityStore.js';
export type { ActivityStore } from './indexStore/activityStore.js';

// The server, as rounds and callers that wrap the client see it.
export { ConnectError, RemoteError, isRemoteError } from './remote/remoteError.js';
export type { ServerClient } from './remote/serverClient.js';

// Conflicts as the contract shows them.
export { conflictViewOf } from './conflicts/conflictView.js';

// Ignore rules and paths inside a library folder.
export { IGNORE_FILE_NAME, createIgnoreMatcher } from './ignore/index.js';
export type { IgnoreMatcher } from './ignore/index.js';
export { UnsafePathError, resolveInRoot } from './localfs/index.js';

// File watching, for the live daemon only: loaded when first asked for.
import type * as Watching from './watcher/index.js';
export type { LibraryWatch, LibraryWatchTrouble, Watcher, WatcherKind } from './watcher/index.js';

/** The file-watching part of the engine (createWatcher, startLibraryWatch), loaded on first use. */
export function loadWatching(): Promise<typeof Watching> {
  return import('./watcher/index.js');
}
