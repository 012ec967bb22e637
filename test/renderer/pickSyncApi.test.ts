// The UI uses the Electron bridge when the preload defined one, and the daemon's control API
// on its own origin otherwise; either way it gets a checked SyncApi.

import { describe, expect, it } from 'vitest';
import type { CairnBridge, SyncEvent, SyncStatus } from '../../shared/api/index.js';
import { BRIDGE_GLOBAL, SyncApiError, errorEnvelope, okEnvelope } from '../../shared/api/index.js';
import { CONTROL_TOKEN_STORAGE_KEY, takeControlToken } from '../../src-renderer/api/controlToken.js';
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

/** A page as takeControlToken sees it: an address, a history and a sessionStorage. */
function fakePage(hash: string, stored: Record<string, string> = {}) {
  const page = {
    location: { hash, pathname: '/', search: '' },
    history: {
      state: null as unknown,
      replaceState(_state: unknown, _unused: string, url: string) {
        page.location.hash = url.includes('#') ? url.slice(url.indexOf('#')) : '';
      },
    },
    sessionStorage: {
      getItem: (key: string) => stored[key] ?? null,
      setItem: (key: string, value: string) => {
        stored[key] = value;
      },
    },
  };
  return { page, stored };
}

describe('takeControlToken', () => {
  const token = 'A'.repeat(43);
  const other = 'b'.repeat(43);
  const cases: { name: string; hash: string; stored?: Record<string, string>; expected: string | undefined; hashAfter: string }[] = [
    { name: 'the link’s fragment', hash: `#token=${token}`, expected: token, hashAfter: '' },
    { name: 'the link’s fragment over a token kept earlier', hash: `#token=${token}`, stored: { [CONTROL_TOKEN_STORAGE_KEY]: other }, expected: token, hashAfter: '' },
    { name: 'the token kept earlier, on a reload', hash: '', stored: { [CONTROL_TOKEN_STORAGE_KEY]: token }, expected: token, hashAfter: '' },
    { name: 'nothing at all', hash: '', expected: undefined, hashAfter: '' },
    { name: 'a fragment that is a place, not a token', hash: '#preferences', expected: undefined, hashAfter: '#preferences' },
    { name: 'a malformed token', hash: '#token=short', expected: undefined, hashAfter: '#token=short' },
  ];
  for (const testCase of cases) {
    it(`takes ${testCase.name}`, () => {
      const { page, stored } = fakePage(testCase.hash, testCase.stored);
      expect(takeControlToken(page)).toBe(testCase.expected);
      expect(page.location.hash).toBe(testCase.hashAfter);
      if (testCase.expected !== undefined) expect(stored[CONTROL_TOKEN_STORAGE_KEY]).toBe(testCase.expected);
    });
  }

  it('sends the token it took as a Bearer header, and nothing without one', async () => {
    const seen: Record<string, string>[] = [];
    const fetch: FetchLike = async (_url, init) => {
      seen.push(init.headers);
      return { ok: true, status: 200, text: async () => JSON.stringify(STATUS) };
    };
    const { page } = fakePage(`#token=${token}`);
    await pickSyncApi({ scope: page, http: { fetch } }).api.getStatus({});
    await pickSyncApi({ scope: {}, http: { fetch } }).api.getStatus({});
    expect(seen.map((headers) => headers.Authorization)).toEqual([`Bearer ${token}`, undefined]);
  });
});
