// What the daemon API tests share: a real server (the sync harness), daemons started on client
// profiles and reached over their real control API (as the CLI reaches them), and small
// assertions on SyncApi answers. Every daemon and client started here stops in stop().

import { expect } from 'vitest';
import type { ApiErrorCode, SyncApi, SyncEvent } from '../../shared/api/index.js';
import { SyncApiError } from '../../shared/api/index.js';
import { createControlApi, findRunningDaemon } from '../../src-main/cli/controlClient.js';
import type { ControlApi } from '../../src-main/cli/controlClient.js';
import { startDaemonService } from '../../src-main/daemon/daemonService.js';
import type { DaemonService } from '../../src-main/daemon/daemonService.js';
import { startHarness } from '../sync/harness.js';
import type { Harness } from '../sync/harness.js';
import { eventually } from '../support/eventually.js';

export interface ApiClient {
  readonly service: DaemonService;
  /** The daemon's API as the CLI reaches it: over HTTP, with the token from the profile. */
  readonly api: ControlApi;
  readonly home: string;
  /** Every event the API delivered, in order. */
  readonly events: SyncEvent[];
}

export interface SyncedApiClient extends ApiClient {
  readonly root: string;
  readonly libraryId: string;
}

export interface DaemonTestBed {
  readonly harness: Harness;
  /** A daemon (watching nothing: rounds run when asked) on a profile, once its event stream is open. */
  startApi(home: string, deviceName: string): Promise<ApiClient>;
  /** A daemon on a profile the harness logged in and gave the library "Documents", once up to date. */
  syncedApi(name: string): Promise<SyncedApiClient>;
  stop(): Promise<void>;
}

export async function startDaemonTestBed(): Promise<DaemonTestBed> {
  const harness = await startHarness();
  const services: DaemonService[] = [];
  const clients: ControlApi[] = [];

  const startApi = async (home: string, deviceName: string): Promise<ApiClient> => {
    const service = await startDaemonService({ home, deviceName, watcher: 'none', retryBaseMs: 50, retryMaxMs: 500, log: () => undefined });
    services.push(service);
    const connection = await findRunningDaemon(home);
    if (connection === null) throw new Error('the daemon published no control API');
    const api = createControlApi(connection);
    clients.push(api);
    const events: SyncEvent[] = [];
    api.subscribe((event) => events.push(event));
    await eventually(() => expect(events.some((event) => event.kind === 'statusChanged')).toBe(true));
    return { service, api, home, events };
  };

  return {
    harness,
    startApi,
    async syncedApi(name) {
      const client = await harness.client(name);
      const libraryId = client.engine.libraries()[0]!.libraryId;
      await client.close();
      const started = await startApi(client.home, name);
      await eventually(async () => expect((await started.api.getStatus({})).libraries[0]?.state.kind).toBe('up-to-date'));
      return { ...started, root: client.root, libraryId };
    },
    async stop() {
      for (const client of clients.splice(0)) client.close();
      for (const service of services.splice(0)) await service.stop();
      await harness.stop();
    },
  };
}

/** The code a call rejects with; fails when it succeeds or rejects with something else. */
export async function codeOf(call: Promise<unknown>): Promise<ApiErrorCode> {
  try {
    await call;
  } catch (error) {
    if (error instanceof SyncApiError) return error.code;
    throw error;
  }
  throw new Error('the call succeeded');
}

/** Queues a round through the API and waits until the library has settled again. */
export async function roundOf(api: SyncApi, libraryId: string): Promise<void> {
  expect((await api.syncNow({ libraryId })).queued).toEqual([libraryId]);
  await eventually(async () => {
    const state = (await api.getStatus({})).libraries.find((library) => library.libraryId === libraryId)?.state.kind;
    expect(['up-to-date', 'needs-attention']).toContain(state);
  });
}
