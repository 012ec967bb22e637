// `sync now` waits for its round through the SyncApi's events, and reads the status again only
// when an event may have been missed. A status read while events arrived must not undo them:
// here the round finishes (and the library turns up to date) while the command's re-read is on
// its way, and that read answers the older "pending" state.

import { describe, expect, it } from 'vitest';
import { runCommand } from '../../src-main/cli/commands.js';
import type { SyncApi } from '../../shared/api/index.js';
import { emptyRoundSummary } from '../../shared/api/index.js';

const LIBRARY_ID = 'lib-1';

function libraryIn(kind: string): unknown {
  return { libraryId: LIBRARY_ID, name: 'photos', localRoot: '/photos', state: kind === 'pending' ? { kind, reason: 'round-queued' } : { kind } };
}

const summary = { ...emptyRoundSummary(LIBRARY_ID, 'photos'), passes: 1 };

describe('cairn sync now', () => {
  it('keeps a round finished while it re-read the status, instead of the older status it read', async () => {
    const listeners = new Set<(event: unknown) => void>();
    const emit = (event: unknown): void => {
      for (const listener of listeners) listener(event);
    };
    let statusReads = 0;
    const api = {
      subscribe(listener: (event: unknown) => void) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      async getStatus() {
        statusReads += 1;
        if (statusReads === 1) return { account: null, libraries: [libraryIn('up-to-date')] };
        // The re-read: the round ends while it is on its way; it answers what it saw before.
        emit({ kind: 'roundFinished', summary });
        emit({ kind: 'libraryChanged', library: libraryIn('up-to-date') });
        return { account: null, libraries: [libraryIn('pending')] };
      },
      async syncNow() {
        // The round is queued: an event wakes the command, which then reads the status again.
        setImmediate(() => emit({ kind: 'libraryChanged', library: libraryIn('pending') }));
        return { queued: [LIBRARY_ID] };
      },
    } as unknown as SyncApi;
    const out: string[] = [];
    const code = await runCommand(
      { api, viaDaemon: false, deviceName: undefined, json: true, out: (text) => out.push(text), err: () => undefined, stdin: process.stdin, progress: null },
      ['sync', 'now'],
      {},
    );
    expect(code).toBe(0);
    expect(JSON.parse(out[0]!)).toMatchObject({ libraryId: LIBRARY_ID, outcome: 'synced' });
    // Before, the older status undid the "up to date" and the command read it a third time.
    expect(statusReads).toBe(2);
  });

  it('tells its process the totals of the round it runs while it transfers files, not while it scans or applies', async () => {
    const listeners = new Set<(event: unknown) => void>();
    const emit = (event: unknown): void => {
      for (const listener of listeners) listener(event);
    };
    const progress = (filesTotal: number) => ({ filesDone: 0, filesTotal, bytesDone: 0, bytesTotal: filesTotal * 10, bytesPerSecond: null, secondsLeft: null });
    const library = (state: unknown): unknown => ({ libraryId: LIBRARY_ID, name: 'photos', localRoot: '/photos', state });
    const told: number[] = [];
    const api = {
      subscribe(listener: (event: unknown) => void) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      async getStatus() {
        return { account: null, libraries: [libraryIn('up-to-date')] };
      },
      async syncNow() {
        setImmediate(() => {
          emit({ kind: 'libraryChanged', library: library({ kind: 'scanning', progress: progress(1) }) });
          emit({ kind: 'libraryChanged', library: library({ kind: 'syncing', phase: 'uploading', progress: progress(2) }) });
          emit({ kind: 'libraryChanged', library: library({ kind: 'syncing', phase: 'downloading', progress: progress(3) }) });
          emit({ kind: 'libraryChanged', library: library({ kind: 'syncing', phase: 'applying', progress: progress(4) }) });
          emit({ kind: 'roundFinished', summary });
          emit({ kind: 'libraryChanged', library: libraryIn('up-to-date') });
        });
        return { queued: [LIBRARY_ID] };
      },
    } as unknown as SyncApi;
    const code = await runCommand(
      {
        api,
        viaDaemon: false,
        deviceName: undefined,
        json: true,
        out: () => undefined,
        err: () => undefined,
        stdin: process.stdin,
        progress: null,
        roundTransfers: (totals) => told.push(totals.filesTotal),
      },
      ['sync', 'now'],
      {},
    );
    expect(code).toBe(0);
    expect(told).toEqual([2, 3]);
  });
});
