// The UI uses the Electron bridge when the preload defined one, and the daemon's control API
// on its own origin otherwise; either way it gets a checked SyncApi.

import { describe, expect, it } from 'vitest';
import type { CairnBridge, SyncEvent, SyncStatus } from '../../shared/api/index.js';
import { BRIDGE_GLOBAL, SyncApiError, errorEnvelope, okEnvelope } from '../../shared/api/index.js';
import { pickSyncApi } from '../../src-renderer/api/pickSyncApi.js';
import type { FetchLike } from '../../src-renderer/api/httpSyncApi.js';

const STATUS: SyncStatus = { account: null, allPaused: false, libraries: [] };

describe('pickSyncApi', () => {
  it('uses the bridge of the desktop app when there is one', async () => {
    const calls: string[] = [];
    const listeners: ((event: unknown) => void)[] = [];
    const bridge: CairnBridge = {
      async invoke(channel) {
        calls.push(channel);
        return channel === 'cairn:api:getStatus' ? okEnvelope(STATUS) : errorEnvelope({ error: { code: 'wrong-password', message: 'no' } });
      },
      onEvent(listener) {
        listeners.push(listener);
        return () => undefined;
      },
    };
    const picked = pickSyncApi({ scope: { [BRIDGE_GLOBAL]: bridge }, onBug: (error) => expect.fail(error.message) });
    expect(picked.transport).toBe('bridge');
    expect(await picked.api.getStatus({})).toEqual(STATUS);
    await expect(picked.api.login({ serverUrl: 'https://cairn.example.com', user: 'ann', password: 'x' })).rejects.toMatchObject({ code: 'wrong-password' });
    expect(calls).toEqual(['cairn:api:getStatus', 'cairn:api:login']);

    const received: SyncEvent[] = [];
    picked.api.subscribe((event) => received.push(event));
    listeners[0]?.({ kind: 'connectionChanged', connected: true });
    expect(received).toEqual([{ kind: 'connectionChanged', connected: true }]);
  });

  it('uses the control API on the page’s own origin otherwise', async () => {
    const urls: string[] = [];
    const fetch: FetchLike = async (url) => {
      urls.push(url);
      return { ok: true, status: 200, text: async () => JSON.stringify(STATUS) };
    };
    const picked = pickSyncApi({ scope: {}, http: { fetch } });
    expect(picked.transport).toBe('http');
    expect(await picked.api.getStatus({})).toEqual(STATUS);
    expect(urls).toEqual(['/api/getStatus']);
  });

  it('ignores a global of that name that is not a bridge', async () => {
    const fetch: FetchLike = async () => ({ ok: false, status: 503, text: async () => '' });
    const picked = pickSyncApi({ scope: { [BRIDGE_GLOBAL]: { invoke: 'not a function' } }, http: { fetch } });
    expect(picked.transport).toBe('http');
    await expect(picked.api.getStatus({})).rejects.toBeInstanceOf(SyncApiError);
  });
});
