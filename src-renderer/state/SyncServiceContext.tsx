// Connects the UI to the sync service: subscribes to events first and only then reads the
// status and the lists, so nothing can fall between the read and the stream; re-reads the lists
// whenever the event stream comes back (events may have been missed while it was down). The
// components reach the SyncApi and the state through useSyncService().

import { createContext, useCallback, useContext, useEffect, useMemo, useReducer, useRef } from 'react';
import type { ReactNode } from 'react';
import type { LibraryView, Preferences, SyncApi, SyncStatus } from '../../shared/api/index.js';
import { SYNC_API_LIMITS } from '../../shared/api/index.js';
import { toApiError } from './errorText.js';
import { initialSyncState, syncReducer } from './syncState.js';
import type { SyncViewState } from './syncState.js';

export interface SyncService {
  readonly api: SyncApi;
  readonly state: SyncViewState;
  /** Reads the status and every list again. */
  reload(): void;
  /** Reads the next (older) page of activity. */
  loadMoreActivity(): Promise<void>;
  /** Applies what an operation answered, unless an event already brought something newer. */
  applyLibrary(library: LibraryView, stamp: number): void;
  applyStatus(status: SyncStatus, stamp: number): void;
  applyPreferences(preferences: Preferences, stamp: number): void;
  forgetLibrary(libraryId: string): void;
  /** The event count to pass to the apply functions: take it before sending the request. */
  stamp(): number;
}

/** How often the status is asked for while the event stream is down. */
const STATUS_PROBE_MS = 2_000;

const SyncServiceContext = createContext<SyncService | null>(null);

export function SyncServiceProvider({ api, children }: { readonly api: SyncApi; readonly children: ReactNode }) {
  const [state, dispatch] = useReducer(syncReducer, initialSyncState);
  // Counts events as they are dispatched, in the same order as the reducer does, so a stamp
  // taken when a request is sent matches the reducer's eventCount at that moment.
  const events = useRef(0);
  const oldestActivity = useRef<number | null>(null);
  oldestActivity.current = state.activity.entries.at(-1)?.activityId ?? null;

  const reload = useCallback(() => {
    const stamp = events.current;
    api.getStatus({}).then(
      (status) => dispatch({ type: 'statusLoaded', status, stamp }),
      (error: unknown) => dispatch({ type: 'statusFailed', error: toApiError(error) }),
    );
    // The lists are secondary: a failed read leaves what is shown and is retried on reconnection.
    api.getPreferences({}).then((preferences) => dispatch({ type: 'preferencesLoaded', preferences, stamp }), () => undefined);
    api.listConflicts({}).then((answer) => dispatch({ type: 'conflictsLoaded', conflicts: answer.conflicts, stamp }), () => undefined);
    api.listProblems({}).then((answer) => dispatch({ type: 'problemsLoaded', problems: answer.problems, stamp }), () => undefined);
    api.getActivity({ limit: SYNC_API_LIMITS.defaultActivityPage }).then((page) => dispatch({ type: 'activityLoaded', page, mode: 'first' }), () => undefined);
  }, [api]);

  useEffect(() => {
    const unsubscribe = api.subscribe((event) => {
      events.current++;
      dispatch({ type: 'event', event });
      if (event.kind === 'connectionChanged' && event.connected) reload();
    });
    reload();
    return unsubscribe;
  }, [api, reload]);

  // While the event stream is down, ask for the status now and then: a daemon that restarted
  // with another token answers 'unauthorized' (the page must be reopened from its new link),
  // which the stream's reconnection attempts alone would never tell.
  const lost = state.connection === 'lost';
  useEffect(() => {
    if (!lost) return undefined;
    const timer = setInterval(() => {
      api.getStatus({}).then(
        () => undefined,
        (error: unknown) => {
          const apiError = toApiError(error);
          if (apiError.code === 'unauthorized') dispatch({ type: 'statusFailed', error: apiError });
        },
      );
    }, STATUS_PROBE_MS);
    return () => clearInterval(timer);
  }, [api, lost]);

  const loadMoreActivity = useCallback(async () => {
    const before = oldestActivity.current;
    const page = await api.getActivity({ limit: SYNC_API_LIMITS.defaultActivityPage, ...(before === null ? {} : { before }) });
    dispatch({ type: 'activityLoaded', page, mode: 'more' });
  }, [api]);

  const service = useMemo<SyncService>(
    () => ({
      api,
      state,
      reload,
      loadMoreActivity,
      applyLibrary: (library, stamp) => dispatch({ type: 'libraryLoaded', library, stamp }),
      applyStatus: (status, stamp) => dispatch({ type: 'statusLoaded', status, stamp }),
      applyPreferences: (preferences, stamp) => dispatch({ type: 'preferencesLoaded', preferences, stamp }),
      forgetLibrary: (libraryId) => dispatch({ type: 'libraryRemoved', libraryId }),
      stamp: () => events.current,
    }),
    [api, state, reload, loadMoreActivity],
  );
  return <SyncServiceContext.Provider value={service}>{children}</SyncServiceContext.Provider>;
}

export function useSyncService(): SyncService {
  const service = useContext(SyncServiceContext);
  if (service === null) throw new Error('useSyncService is used outside SyncServiceProvider');
  return service;
}
