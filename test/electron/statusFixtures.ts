// Named statuses for the tray, notification and controller tests, checked against the contract's
// schemas so that they stay values the engine could really send.

import type { LibraryState, LibraryView, SyncStatus } from '../../shared/api/index.js';
import { libraryViewSchema, syncStatusSchema } from '../../shared/api/index.js';

export const T0 = 1_700_000_000_000;

export const ACCOUNT = { serverUrl: 'https://cairn.example', user: 'ann', deviceName: 'laptop' } as const;

export function progress(filesDone: number, filesTotal: number) {
  return { filesDone, filesTotal, bytesDone: filesDone * 10, bytesTotal: filesTotal * 10, bytesPerSecond: null, secondsLeft: null };
}

export const STATES = {
  upToDate: { kind: 'up-to-date' },
  signedOut: { kind: 'signed-out' },
  pending: { kind: 'pending', reason: 'changes-seen' },
  scanning: { kind: 'scanning', progress: progress(0, 0) },
  syncing: { kind: 'syncing', phase: 'downloading', progress: progress(3, 10) },
  attention: { kind: 'needs-attention' },
  pausedByUser: { kind: 'paused', reason: 'user', since: T0 },
  allPaused: { kind: 'paused', reason: 'all-paused', since: T0 },
  rootMissing: { kind: 'paused', reason: 'root-missing', since: T0 },
  massDelete: { kind: 'paused', reason: 'mass-delete', since: T0 },
  offline: { kind: 'offline', since: T0, retryAt: null },
  error: { kind: 'error', message: 'the disk is full', at: T0, action: 'retry-later' },
} as const satisfies Record<string, LibraryState>;

/** A valid library id for a name: `library-documents`, or the code points of other names. */
export function libraryIdOf(name: string): string {
  if (/^[A-Za-z0-9_-]+$/.test(name)) return `library-${name.toLowerCase()}`;
  return `library-${[...name].map((character) => character.codePointAt(0)!.toString(16)).join('-')}`.slice(0, 64);
}

export function library(name: string, state: LibraryState, counts: { conflicts?: number; problems?: number } = {}): LibraryView {
  return libraryViewSchema.parse({
    libraryId: libraryIdOf(name),
    name,
    localRoot: `/home/ann/${name}`,
    selection: null,
    state,
    lastSyncAt: T0,
    openConflicts: counts.conflicts ?? 0,
    problemCount: counts.problems ?? 0,
    autoMerge: false,
  });
}

export function status(libraries: LibraryView[], options: { allPaused?: boolean; loggedIn?: boolean } = {}): SyncStatus {
  return syncStatusSchema.parse({ account: options.loggedIn === false ? null : ACCOUNT, allPaused: options.allPaused ?? false, libraries });
}
