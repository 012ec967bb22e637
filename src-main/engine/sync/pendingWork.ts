// What a library has waiting while it does not sync (paused, offline, or stopped by an error):
// the files that would go up and down if a round ran now. It is worked out the way a round
// would plan, without changing anything: a scan of the folder (reusing the index's hashes of
// unchanged files, never writing the index), the server's changes since the index's cursor
// (read, not applied), and the planner over both. Without the server (offline), only what waits
// to go up is known.

import type { LibraryPath } from '../../../shared/paths.js';
import { PROTOCOL_LIMITS, routes } from '../../../shared/protocol/index.js';
import type { Index, LibraryRecord } from '../indexStore/index.js';
import { planLibrary } from '../planner/index.js';
import type { RemoteFeedEntry } from '../planner/index.js';
import type { ServerClient } from '../remote/serverClient.js';
import type { LocalScanner } from './localScanner.js';
import { feedEntryOf } from './remoteEntries.js';
import { isInSelection } from './syncLibrary.js';

export interface PendingCount {
  readonly files: number;
  readonly bytes: number;
}

export interface PendingWork {
  /** New and changed files that would be uploaded, and deletions made here that would reach the server. */
  readonly upload: PendingCount;
  readonly deleteOnServer: number;
  /** What would come down, or null when the server could not be asked. */
  readonly download: PendingCount | null;
  readonly deleteHere: number | null;
}

export async function pendingWork(options: {
  readonly index: Index;
  readonly library: LibraryRecord;
  readonly scanner: LocalScanner;
  /** The server, or null to leave the remote side out. */
  readonly client: ServerClient | null;
  readonly deviceName: string;
  readonly platform?: NodeJS.Platform;
}): Promise<PendingWork | null> {
  const { index, library } = options;
  const platform = options.platform ?? process.platform;
  const outcome = await options.scanner.scan({
    root: library.localRoot,
    previous: index.local.load(library.libraryId),
    chunking: library.chunking,
    caseInsensitive: platform === 'darwin' || platform === 'win32',
  });
  // A missing or unreadable folder is said by the library's state; nothing is known to wait.
  if (outcome.status === 'root-problem') return null;
  const local = outcome.result.local;
  const remote: Map<LibraryPath, RemoteFeedEntry> = index.remote.load(library.libraryId, { shareWith: local });
  let remoteKnown = false;
  if (options.client !== null) {
    try {
      let cursor = library.cursor;
      for (;;) {
        const page = await options.client.call(routes.changes, { params: { libraryId: library.libraryId }, query: { after: cursor, limit: PROTOCOL_LIMITS.maxPageSize } });
        for (const entry of page.entries) {
          if (entry.deleted) remote.delete(entry.path);
          else remote.set(entry.path, feedEntryOf(entry));
        }
        cursor = page.cursor;
        if (!page.hasMore) break;
      }
      remoteKnown = true;
    } catch {
      remoteKnown = false;
    }
  }
  const synced = index.synced.load(library.libraryId, { shareWith: local });
  const ignore = outcome.result.ignore;
  const isDirectory = (path: LibraryPath): boolean => (local.get(path) ?? remote.get(path) ?? synced.get(path))?.node.kind === 'dir';
  const selection = library.selection;
  const plan = planLibrary({
    synced,
    local,
    remote,
    deviceName: options.deviceName,
    now: new Date(),
    caseInsensitiveDisk: platform === 'darwin' || platform === 'win32',
    isIgnored: (path) => ignore.isIgnored(path, isDirectory(path)),
    ...(selection === null ? {} : { isSelected: (path: LibraryPath) => isInSelection(path, selection) }),
  });
  const upload = { files: 0, bytes: 0 };
  const download = { files: 0, bytes: 0 };
  let deleteOnServer = 0;
  let deleteHere = 0;
  for (const action of plan) {
    if ((action.kind === 'upload' || action.kind === 'conflict') && action.local.node.kind === 'file') {
      upload.files += 1;
      upload.bytes += action.local.node.size;
    }
    if ((action.kind === 'download' || action.kind === 'conflict') && action.remote.node.kind === 'file') {
      download.files += 1;
      download.bytes += action.remote.node.size;
    }
    if (action.kind === 'deleteRemote') deleteOnServer += 1;
    if (action.kind === 'deleteLocal') deleteHere += 1;
  }
  // Without the server, the remote side is what the index last knew: only the way up is honest.
  return { upload, deleteOnServer, download: remoteKnown ? download : null, deleteHere: remoteKnown ? deleteHere : null };
}
