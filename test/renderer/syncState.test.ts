// The UI's state: events applied in order, and answers to reads merged without letting an
// older answer undo a newer event.

import { describe, expect, it } from 'vitest';
import type { ActivityEntry, ConflictView, LibraryState, LibraryView, Preferences, SyncEvent, SyncStatus } from '../../shared/api/index.js';
import { SyncApiError } from '../../shared/api/index.js';
import type { LibraryPath } from '../../shared/paths.js';
import { MAX_ACTIVITY_ENTRIES, allConflicts, initialSyncState, syncReducer } from '../../src-renderer/state/syncState.js';
import type { SyncAction, SyncViewState } from '../../src-renderer/state/syncState.js';

const A = 'library-aaaa';
const B = 'library-bbbb';

function library(libraryId: string, state: LibraryState = { kind: 'up-to-date' }): LibraryView {
  return { libraryId, name: libraryId, localRoot: `/home/ann/${libraryId}`, selection: null, state, lastSyncAt: 1, openConflicts: 0, problemCount: 0, autoMerge: false };
}

function status(...libraries: LibraryView[]): SyncStatus {
  return { account: { serverUrl: 'https://cairn.example.com', user: 'ann', deviceName: 'laptop' }, allPaused: false, libraries };
}

function conflict(conflictId: number, libraryId: string, createdAt = conflictId): ConflictView {
  return {
    conflictId,
    libraryId,
    libraryName: libraryId,
    path: `file-${conflictId}.txt` as LibraryPath,
    conflictPath: null,
    local: { kind: 'file', size: 1, mtimeMs: null, device: null, user: null },
    remote: { kind: 'deleted', device: null, user: null },
    baseKnown: true,
    contentKind: 'text',
    createdAt,
  };
}

function uploaded(activityId: number): ActivityEntry {
  return { kind: 'uploaded', activityId, at: activityId, libraryId: A, libraryName: A, path: `f${activityId}` as LibraryPath, size: 1 };
}

const preferences: Preferences = { language: 'en', startAtLogin: false, notifications: true, uploadLimit: null, downloadLimit: null, theme: 'system' };

function run(...actions: SyncAction[]): SyncViewState {
  return actions.reduce(syncReducer, initialSyncState);
}

const event = (value: SyncEvent): SyncAction => ({ type: 'event', event: value });
const syncing: LibraryState = { kind: 'syncing', phase: 'uploading', progress: { filesDone: 0, filesTotal: 1, bytesDone: 0, bytesTotal: 10, bytesPerSecond: null, secondsLeft: null } };

describe('events', () => {
  it('statusChanged sets the status and clears a load error', () => {
    const state = run({ type: 'statusFailed', error: new SyncApiError('unavailable', 'x') }, event({ kind: 'statusChanged', status: status(library(A)) }));
    expect(state.status?.libraries.map((view) => view.libraryId)).toEqual([A]);
    expect(state.statusError).toBeNull();
  });

  it('libraryChanged replaces one library and appends one not listed yet', () => {
    const state = run(event({ kind: 'statusChanged', status: status(library(A)) }), event({ kind: 'libraryChanged', library: library(A, syncing) }), event({ kind: 'libraryChanged', library: library(B) }));
    expect(state.status?.libraries.map((view) => [view.libraryId, view.state.kind])).toEqual([
      [A, 'syncing'],
      [B, 'up-to-date'],
    ]);
  });

  it('file progress lasts while the library moves data', () => {
    const moving = run(
      event({ kind: 'statusChanged', status: status(library(A, syncing)) }),
      event({ kind: 'fileProgressed', libraryId: A, path: 'big.bin' as LibraryPath, direction: 'upload', bytesDone: 5, bytesTotal: 10 }),
    );
    expect(moving.fileProgress[A]?.bytesDone).toBe(5);
    const done = syncReducer(moving, event({ kind: 'libraryChanged', library: library(A) }));
    expect(done.fileProgress[A]).toBeUndefined();
  });

  it('a library that leaves the status takes its lists along', () => {
    const state = run(
      event({ kind: 'statusChanged', status: status(library(A), library(B)) }),
      event({ kind: 'conflictsChanged', libraryId: B, conflicts: [conflict(1, B)] }),
      event({ kind: 'statusChanged', status: status(library(A)) }),
    );
    expect(state.conflicts[B]).toBeUndefined();
  });

  it('connectionChanged tracks the event stream', () => {
    expect(run(event({ kind: 'connectionChanged', connected: false })).connection).toBe('lost');
    expect(run(event({ kind: 'connectionChanged', connected: false }), event({ kind: 'connectionChanged', connected: true })).connection).toBe('connected');
  });

  it('activity events wait for the first page, then go on top', () => {
    const before = run(event({ kind: 'activityAdded', entry: uploaded(9) }));
    expect(before.activity.loaded).toBe(false);
    const state = run({ type: 'activityLoaded', page: { entries: [uploaded(2), uploaded(1)], hasMore: true }, mode: 'first' }, event({ kind: 'activityAdded', entry: uploaded(3) }));
    expect(state.activity.entries.map((entry) => entry.activityId)).toEqual([3, 2, 1]);
    expect(state.activity.hasMore).toBe(true);
  });
});

describe('reads merged with events', () => {
  it('a status read sent before an event does not undo it', () => {
    const state = run(
      event({ kind: 'statusChanged', status: status(library(A)) }),
      event({ kind: 'libraryChanged', library: library(A, syncing) }),
      // Sent when one event had been applied; answered after the second.
      { type: 'statusLoaded', status: status(library(A), library(B)), stamp: 1 },
    );
    expect(state.status?.libraries.map((view) => [view.libraryId, view.state.kind])).toEqual([
      [A, 'syncing'],
      [B, 'up-to-date'],
    ]);
  });

  it('a status read sent after the last event replaces the status', () => {
    const state = run(event({ kind: 'libraryChanged', library: library(A, syncing) }), { type: 'statusLoaded', status: status(library(A)), stamp: 1 });
    expect(state.status?.libraries[0]?.state.kind).toBe('up-to-date');
  });

  it('an operation answer older than an event is dropped', () => {
    const state = run(
      event({ kind: 'statusChanged', status: status(library(A)) }),
      event({ kind: 'libraryChanged', library: library(A, { kind: 'paused', reason: 'user', since: 5 }) }),
      { type: 'libraryLoaded', library: library(A, syncing), stamp: 1 },
    );
    expect(state.status?.libraries[0]?.state.kind).toBe('paused');
    const fresh = syncReducer(state, { type: 'libraryLoaded', library: library(A, syncing), stamp: 2 });
    expect(fresh.status?.libraries[0]?.state.kind).toBe('syncing');
  });

  it('conflict lists are merged per library', () => {
    const state = run(
      event({ kind: 'statusChanged', status: status(library(A), library(B)) }),
      event({ kind: 'conflictsChanged', libraryId: A, conflicts: [conflict(5, A)] }),
      // Read before that event: its list for A is older, its list for B is news.
      { type: 'conflictsLoaded', conflicts: [conflict(1, A), conflict(2, B)], stamp: 1 },
    );
    expect(state.conflicts[A]?.map((item) => item.conflictId)).toEqual([5]);
    expect(state.conflicts[B]?.map((item) => item.conflictId)).toEqual([2]);
    expect(allConflicts(state).map((item) => item.conflictId)).toEqual([2, 5]);
  });

  it('a list read empties a library it holds nothing for', () => {
    const state = run(
      event({ kind: 'statusChanged', status: status(library(A)) }),
      event({ kind: 'problemsChanged', libraryId: A, problems: [{ libraryId: A, kind: 'unreadable', path: '', name: '', message: 'm', firstSeenAt: 1, lastSeenAt: 1, dismissedAt: null }] }),
      { type: 'problemsLoaded', problems: [], stamp: 2 },
    );
    expect(state.problems[A]).toEqual([]);
  });

  it('preferences read before a preferencesChanged event are dropped', () => {
    const state = run(event({ kind: 'preferencesChanged', preferences: { ...preferences, language: 'zh-CN' } }), { type: 'preferencesLoaded', preferences, stamp: 0 });
    expect(state.preferences?.language).toBe('zh-CN');
  });

  it('removing a library forgets it at once', () => {
    const state = run(event({ kind: 'statusChanged', status: status(library(A), library(B)) }), { type: 'libraryRemoved', libraryId: A });
    expect(state.status?.libraries.map((view) => view.libraryId)).toEqual([B]);
  });
});

describe('activity pages', () => {
  const ids = (state: SyncViewState) => state.activity.entries.map((entry) => entry.activityId);

  it('"load more" appends older entries without duplicates', () => {
    const state = run(
      { type: 'activityLoaded', page: { entries: [uploaded(5), uploaded(4)], hasMore: true }, mode: 'first' },
      { type: 'activityLoaded', page: { entries: [uploaded(4), uploaded(3)], hasMore: false }, mode: 'more' },
    );
    expect(ids(state)).toEqual([5, 4, 3]);
    expect(state.activity.hasMore).toBe(false);
  });

  it('a first page after a reconnection drops what is older than it', () => {
    const state = run(
      { type: 'activityLoaded', page: { entries: [uploaded(5), uploaded(4), uploaded(3)], hasMore: false }, mode: 'first' },
      { type: 'activityLoaded', page: { entries: [uploaded(9), uploaded(8)], hasMore: true }, mode: 'first' },
    );
    expect(ids(state)).toEqual([9, 8]);
    expect(state.activity.hasMore).toBe(true);
  });

  it('keeps at most MAX_ACTIVITY_ENTRIES and offers the rest through "load more"', () => {
    const many = Array.from({ length: MAX_ACTIVITY_ENTRIES + 10 }, (_, index) => uploaded(index + 1)).reverse();
    const state = run({ type: 'activityLoaded', page: { entries: many, hasMore: false }, mode: 'first' });
    expect(state.activity.entries).toHaveLength(MAX_ACTIVITY_ENTRIES);
    expect(state.activity.entries[0]?.activityId).toBe(MAX_ACTIVITY_ENTRIES + 10);
    expect(state.activity.hasMore).toBe(true);
  });
});
