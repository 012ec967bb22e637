// What the UI knows of the sync service, as one reducer: events applied in order (each carries
// the whole new value of what it concerns), and answers to reads merged in without letting an
// older answer undo a newer event. Every event bumps `eventCount`; a read remembers the count
// when it was sent, and its answer replaces a value only if no event touched that value since.

import type {
  ActivityEntry,
  ConflictView,
  LibraryView,
  Preferences,
  ProblemView,
  SyncApiError,
  SyncEvent,
  SyncStatus,
} from '../../shared/api/index.js';

/** The most activity entries kept in memory; older ones are read again through "load more". */
export const MAX_ACTIVITY_ENTRIES = 2000;

export interface FileProgress {
  readonly path: string;
  readonly direction: 'upload' | 'download';
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

export interface ActivityList {
  /** Newest first, without duplicates. */
  readonly entries: readonly ActivityEntry[];
  readonly hasMore: boolean;
  readonly loaded: boolean;
}

export interface SyncViewState {
  /** 'starting' until the transport says otherwise; 'lost' while the event stream is down. */
  readonly connection: 'starting' | 'connected' | 'lost';
  readonly status: SyncStatus | null;
  /** Why the status could not be read, while it could not. */
  readonly statusError: SyncApiError | null;
  readonly preferences: Preferences | null;
  readonly conflicts: Readonly<Record<string, readonly ConflictView[]>>;
  readonly problems: Readonly<Record<string, readonly ProblemView[]>>;
  readonly activity: ActivityList;
  /** The file each library is moving right now, while it moves one. */
  readonly fileProgress: Readonly<Record<string, FileProgress>>;
  readonly eventCount: number;
  /** The eventCount of the last event that set each value ('status', 'library:ID', 'conflicts:ID', ...). */
  readonly touched: Readonly<Record<string, number>>;
}

export const initialSyncState: SyncViewState = {
  connection: 'starting',
  status: null,
  statusError: null,
  preferences: null,
  conflicts: {},
  problems: {},
  activity: { entries: [], hasMore: false, loaded: false },
  fileProgress: {},
  eventCount: 0,
  touched: {},
};

export type SyncAction =
  | { readonly type: 'event'; readonly event: SyncEvent }
  /** `stamp` is the eventCount when the read was sent. */
  | { readonly type: 'statusLoaded'; readonly status: SyncStatus; readonly stamp: number }
  | { readonly type: 'statusFailed'; readonly error: SyncApiError }
  | { readonly type: 'libraryLoaded'; readonly library: LibraryView; readonly stamp: number }
  | { readonly type: 'libraryRemoved'; readonly libraryId: string }
  | { readonly type: 'preferencesLoaded'; readonly preferences: Preferences; readonly stamp: number }
  | { readonly type: 'conflictsLoaded'; readonly conflicts: readonly ConflictView[]; readonly stamp: number }
  | { readonly type: 'problemsLoaded'; readonly problems: readonly ProblemView[]; readonly stamp: number }
  /** 'first': the newest page (after a (re)connection); 'more': an older page. */
  | { readonly type: 'activityLoaded'; readonly page: { readonly entries: readonly ActivityEntry[]; readonly hasMore: boolean }; readonly mode: 'first' | 'more' };

function unhandled(value: never): never {
  throw new Error(`unhandled action: ${JSON.stringify(value)}`);
}

export function syncReducer(state: SyncViewState, action: SyncAction): SyncViewState {
  switch (action.type) {
    case 'event':
      return applyEvent(state, action.event);
    case 'statusLoaded':
      if ((state.touched.status ?? 0) > action.stamp) return { ...state, statusError: null };
      return withStatus({ ...state, statusError: null }, keepNewerLibraries(state, action.status, action.stamp));
    case 'statusFailed':
      return { ...state, statusError: action.error };
    case 'libraryLoaded':
      if (state.status === null || (state.touched[`library:${action.library.libraryId}`] ?? 0) > action.stamp) return state;
      return withStatus(state, replaceLibrary(state.status, action.library));
    case 'libraryRemoved':
      if (state.status === null) return state;
      return withStatus(state, { ...state.status, libraries: state.status.libraries.filter((library) => library.libraryId !== action.libraryId) });
    case 'preferencesLoaded':
      if ((state.touched.preferences ?? 0) > action.stamp) return state;
      return { ...state, preferences: action.preferences };
    case 'conflictsLoaded':
      return { ...state, conflicts: mergeLists(state, 'conflicts', state.conflicts, action.conflicts, action.stamp) };
    case 'problemsLoaded':
      return { ...state, problems: mergeLists(state, 'problems', state.problems, action.problems, action.stamp) };
    case 'activityLoaded':
      return { ...state, activity: mergeActivity(state.activity, action.page, action.mode) };
    default:
      return unhandled(action);
  }
}

function applyEvent(previous: SyncViewState, event: SyncEvent): SyncViewState {
  const eventCount = previous.eventCount + 1;
  const state: SyncViewState = { ...previous, eventCount };
  const touch = (...keys: string[]) => {
    const touched = { ...state.touched };
    for (const key of keys) touched[key] = eventCount;
    return touched;
  };
  switch (event.kind) {
    case 'statusChanged':
      return withStatus({ ...state, statusError: null, touched: touch('status', ...event.status.libraries.map((library) => `library:${library.libraryId}`)) }, event.status);
    case 'libraryChanged': {
      const touched = touch(`library:${event.library.libraryId}`);
      if (state.status === null) return { ...state, touched };
      const moving = event.library.state.kind === 'syncing' || event.library.state.kind === 'scanning';
      const fileProgress = moving ? state.fileProgress : withoutKey(state.fileProgress, event.library.libraryId);
      return withStatus({ ...state, touched, fileProgress }, replaceLibrary(state.status, event.library));
    }
    case 'fileProgressed':
      return {
        ...state,
        fileProgress: {
          ...state.fileProgress,
          [event.libraryId]: { path: event.path, direction: event.direction, bytesDone: event.bytesDone, bytesTotal: event.bytesTotal },
        },
      };
    case 'activityAdded':
      if (!state.activity.loaded) return state;
      return { ...state, activity: mergeActivity(state.activity, { entries: [event.entry], hasMore: state.activity.hasMore }, 'event') };
    case 'conflictsChanged':
      return { ...state, conflicts: { ...state.conflicts, [event.libraryId]: event.conflicts }, touched: touch(`conflicts:${event.libraryId}`) };
    case 'problemsChanged':
      return { ...state, problems: { ...state.problems, [event.libraryId]: event.problems }, touched: touch(`problems:${event.libraryId}`) };
    case 'preferencesChanged':
      return { ...state, preferences: event.preferences, touched: touch('preferences') };
    case 'connectionChanged':
      return { ...state, connection: event.connected ? 'connected' : 'lost' };
    case 'roundFinished':
      // The screens show a round's outcome through the libraryChanged and activityAdded events.
      return state;
    case 'snapshotProgressed':
      // Shown by the screen that started the restore, which listens for it itself.
      return state;
    default:
      return unhandled(event);
  }
}

/** Sets the status and forgets lists and progress of libraries no longer synced here. */
function withStatus(state: SyncViewState, status: SyncStatus): SyncViewState {
  const synced = new Set(status.libraries.map((library) => library.libraryId));
  const keep = <T,>(record: Readonly<Record<string, T>>) => Object.fromEntries(Object.entries(record).filter(([libraryId]) => synced.has(libraryId)));
  return { ...state, status, conflicts: keep(state.conflicts), problems: keep(state.problems), fileProgress: keep(state.fileProgress) };
}

/** A status read, with any library view that an event replaced since the read was sent kept. */
function keepNewerLibraries(state: SyncViewState, loaded: SyncStatus, stamp: number): SyncStatus {
  const current = new Map((state.status?.libraries ?? []).map((library) => [library.libraryId, library]));
  return {
    ...loaded,
    libraries: loaded.libraries.map((library) => {
      const newer = current.get(library.libraryId);
      return newer !== undefined && (state.touched[`library:${library.libraryId}`] ?? 0) > stamp ? newer : library;
    }),
  };
}

/** A library's new view; one not listed yet (just added) is appended. */
function replaceLibrary(status: SyncStatus, library: LibraryView): SyncStatus {
  const index = status.libraries.findIndex((candidate) => candidate.libraryId === library.libraryId);
  const libraries = index === -1 ? [...status.libraries, library] : status.libraries.map((candidate, at) => (at === index ? library : candidate));
  return { ...status, libraries };
}

function withoutKey<T>(record: Readonly<Record<string, T>>, key: string): Readonly<Record<string, T>> {
  if (!(key in record)) return record;
  const copy = { ...record };
  delete copy[key];
  return copy;
}

/**
 * A list read over every library, grouped by library: a library whose list an event replaced
 * since the read was sent keeps the event's list; every other library gets the read's (empty
 * when the read holds none of its items).
 */
function mergeLists<T extends { readonly libraryId: string }>(
  state: SyncViewState,
  prefix: 'conflicts' | 'problems',
  current: Readonly<Record<string, readonly T[]>>,
  loaded: readonly T[],
  stamp: number,
): Readonly<Record<string, readonly T[]>> {
  const grouped: Record<string, T[]> = {};
  for (const libraryId of state.status?.libraries.map((library) => library.libraryId) ?? []) grouped[libraryId] = [];
  for (const item of loaded) (grouped[item.libraryId] ??= []).push(item);
  const result: Record<string, readonly T[]> = { ...current };
  for (const [libraryId, items] of Object.entries(grouped)) {
    if ((state.touched[`${prefix}:${libraryId}`] ?? 0) > stamp) continue;
    result[libraryId] = items;
  }
  return result;
}

/**
 * Merges entries into the activity list, newest first, by id. A first page (after a
 * reconnection) drops what is older than it, since entries may have been missed in between.
 */
function mergeActivity(current: ActivityList, page: { readonly entries: readonly ActivityEntry[]; readonly hasMore: boolean }, mode: 'first' | 'more' | 'event'): ActivityList {
  const byId = new Map<number, ActivityEntry>();
  const oldestOfPage = page.entries.reduce((oldest, entry) => Math.min(oldest, entry.activityId), Number.POSITIVE_INFINITY);
  for (const entry of current.entries) {
    if (mode === 'first' && entry.activityId < oldestOfPage) continue;
    byId.set(entry.activityId, entry);
  }
  if (mode === 'first' && page.entries.length === 0) byId.clear();
  for (const entry of page.entries) byId.set(entry.activityId, entry);
  const entries = [...byId.values()].sort((a, b) => b.activityId - a.activityId);
  const kept = entries.slice(0, MAX_ACTIVITY_ENTRIES);
  const hasMore = mode === 'event' ? current.hasMore : page.hasMore;
  return { entries: kept, hasMore: hasMore || kept.length < entries.length, loaded: true };
}

/** Every open conflict, oldest first. */
export function allConflicts(state: SyncViewState): ConflictView[] {
  return Object.values(state.conflicts)
    .flat()
    .sort((a, b) => a.createdAt - b.createdAt || a.conflictId - b.conflictId);
}

/** The problems that ask for attention: every library's, but those the user dismissed. */
export function allProblems(state: SyncViewState): ProblemView[] {
  return Object.values(state.problems)
    .flat()
    .filter((problem) => problem.dismissedAt === null);
}
