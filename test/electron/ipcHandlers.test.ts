// The IPC door: only the app's own page may call, every request is validated against the
// operation's schema before the SyncApi sees it, and answers are envelopes that keep error codes.

import { describe, expect, it } from 'vitest';
import type { SyncApiMethods, SyncEvent, SyncStatus } from '../../shared/api/index.js';
import { OPERATION_NAMES, SYNC_EVENTS_CHANNEL, SyncApiError, bridgeEnvelopeSchema, syncApiChannel } from '../../shared/api/index.js';
import { forwardSyncEvents, handleSyncApiCall, registerSyncApiHandlers, senderRefusal } from '../../src-main/electron/ipcHandlers.js';
import type { IpcMainLike, IpcSenderEvent, SyncApiHandlersOptions, TrustedRenderer } from '../../src-main/electron/ipcHandlers.js';

const INDEX_URL = 'file:///opt/Cairn/resources/app.asar/dist-renderer/index.html';
const WINDOW_ID = 7;
const TRUSTED: TrustedRenderer = { webContentsId: WINDOW_ID, indexUrl: INDEX_URL };
const STATUS: SyncStatus = { account: null, allPaused: false, libraries: [] };

function sender(overrides: { id?: number; url?: string; parent?: unknown; frame?: null } = {}): IpcSenderEvent {
  return {
    sender: { id: overrides.id ?? WINDOW_ID },
    senderFrame: overrides.frame === null ? null : { url: overrides.url ?? INDEX_URL, parent: overrides.parent ?? null },
  };
}

function setUp() {
  const calls: { name: string; request: unknown }[] = [];
  const logs: string[] = [];
  const implementation: Partial<SyncApiMethods> = {
    getStatus: async (request) => {
      calls.push({ name: 'getStatus', request });
      return STATUS;
    },
    login: async (request) => {
      calls.push({ name: 'login', request });
      return { serverUrl: request.serverUrl, user: request.user, deviceName: 'laptop' };
    },
    removeLibrary: async (request) => {
      calls.push({ name: 'removeLibrary', request });
      throw new SyncApiError('not-found', `no library ${request.libraryId} is synced here`);
    },
    pauseAll: async () => {
      throw new TypeError('cannot read properties of undefined');
    },
  };
  const options: SyncApiHandlersOptions = {
    ipcMain: { handle: () => undefined, removeHandler: () => undefined },
    api: implementation as SyncApiMethods,
    trustedRenderer: () => TRUSTED,
    log: (line) => void logs.push(line),
  };
  return { calls, logs, options };
}

async function answer(options: SyncApiHandlersOptions, name: (typeof OPERATION_NAMES)[number], event: IpcSenderEvent, args: unknown[]) {
  return bridgeEnvelopeSchema.parse(await handleSyncApiCall(options, name, event, args));
}

describe('senderRefusal', () => {
  it.each<[string, IpcSenderEvent, TrustedRenderer, string | null]>([
    ['the app page', sender(), TRUSTED, null],
    ['the app page at another screen (fragment)', sender({ url: `${INDEX_URL}#preferences` }), TRUSTED, null],
    ['another web contents', sender({ id: WINDOW_ID + 1 }), TRUSTED, 'the sender is not the Cairn window'],
    ['any sender while there is no window', sender(), { webContentsId: null, indexUrl: INDEX_URL }, 'the sender is not the Cairn window'],
    ['a frame that is gone', sender({ frame: null }), TRUSTED, 'the sending frame is gone'],
    ['a sub-frame of the app page', sender({ parent: {} }), TRUSTED, 'the sender is a sub-frame'],
    ['a remote page', sender({ url: 'https://example.com/index.html' }), TRUSTED, 'the sending page is https://example.com/index.html, not the Cairn page'],
    ['another local file', sender({ url: 'file:///tmp/index.html' }), TRUSTED, 'the sending page is file:///tmp/index.html, not the Cairn page'],
    ['the app page with a query', sender({ url: `${INDEX_URL}?x=1` }), TRUSTED, `the sending page is ${INDEX_URL}?x=1, not the Cairn page`],
  ])('%s', (_name, event, trusted, expected) => {
    expect(senderRefusal(event, trusted)).toBe(expected);
  });
});

describe('handleSyncApiCall', () => {
  it('refuses a wrong sender without calling the API', async () => {
    const { options, calls, logs } = setUp();
    const envelope = await answer(options, 'getStatus', sender({ id: 99 }), [{}]);
    expect(envelope).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(calls).toEqual([]);
    expect(logs).toEqual(['refused cairn:api:getStatus: the sender is not the Cairn window']);
  });

  it.each<[string, (typeof OPERATION_NAMES)[number], unknown[]]>([
    ['no request at all', 'getStatus', []],
    ['two arguments', 'getStatus', [{}, {}]],
    ['a request that is not an object', 'getStatus', ['status please']],
    ['an unknown field', 'getStatus', [{ verbose: true }]],
    ['a missing field', 'login', [{ serverUrl: 'https://cairn.example', user: 'ann' }]],
    ['a server address that is not http(s)', 'login', [{ serverUrl: 'file:///etc/passwd', user: 'ann', password: 'pw' }]],
    ['a relative local folder', 'addLibrary', [{ libraryId: 'library-0001', localRoot: 'Documents', selection: null }]],
  ])('refuses %s as invalid-argument', async (_name, name, args) => {
    const { options, calls } = setUp();
    const envelope = await answer(options, name, sender(), args);
    expect(envelope).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    expect(calls).toEqual([]);
  });

  it('says where a request is wrong', async () => {
    const { options } = setUp();
    const envelope = await answer(options, 'login', sender(), [{ serverUrl: 'https://cairn.example', user: '', password: 'pw' }]);
    if (envelope.ok) throw new Error('expected a refusal');
    expect(envelope.error.details).toEqual({ issues: [expect.objectContaining({ path: 'user' })] });
  });

  it('answers a good call with the value, passing the validated request', async () => {
    const { options, calls } = setUp();
    expect(await answer(options, 'getStatus', sender(), [{}])).toEqual({ ok: true, value: STATUS });
    const request = { serverUrl: 'https://cairn.example', user: 'ann', password: 'secret' };
    expect(await answer(options, 'login', sender({ url: `${INDEX_URL}#connect` }), [request])).toEqual({
      ok: true,
      value: { serverUrl: 'https://cairn.example', user: 'ann', deviceName: 'laptop' },
    });
    expect(calls).toEqual([
      { name: 'getStatus', request: {} },
      { name: 'login', request },
    ]);
  });

  it('keeps the code of an API error', async () => {
    const { options, logs } = setUp();
    const envelope = await answer(options, 'removeLibrary', sender(), [{ libraryId: 'library-0001' }]);
    expect(envelope).toEqual({ ok: false, error: { code: 'not-found', message: 'no library library-0001 is synced here' } });
    expect(logs).toEqual([]);
  });

  it('answers a bug as internal and logs its stack', async () => {
    const { options, logs } = setUp();
    const envelope = await answer(options, 'pauseAll', sender(), [{}]);
    expect(envelope).toMatchObject({ ok: false, error: { code: 'internal', message: 'internal error: cannot read properties of undefined' } });
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/^bug in pauseAll: TypeError: cannot read properties of undefined\n\s+at /);
  });
});

describe('registerSyncApiHandlers', () => {
  it('registers one handler per operation and removes them all', async () => {
    const { options, calls } = setUp();
    const handlers = new Map<string, (event: IpcSenderEvent, ...args: unknown[]) => unknown>();
    const ipcMain: IpcMainLike = {
      handle: (channel, listener) => {
        if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
        handlers.set(channel, listener);
      },
      removeHandler: (channel) => void handlers.delete(channel),
    };
    const unregister = registerSyncApiHandlers({ ...options, ipcMain });
    expect([...handlers.keys()].sort()).toEqual(OPERATION_NAMES.map((name) => syncApiChannel(name)).sort());
    expect(await handlers.get('cairn:api:getStatus')!(sender(), {})).toEqual({ ok: true, value: STATUS });
    expect(await handlers.get('cairn:api:getStatus')!(sender({ url: 'https://example.com/' }), {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(calls).toHaveLength(1);
    unregister();
    expect(handlers.size).toBe(0);
  });
});

describe('forwardSyncEvents', () => {
  it('sends every event to the live window on the events channel', () => {
    const listeners: ((event: SyncEvent) => void)[] = [];
    const api = {
      subscribe(listener: (event: SyncEvent) => void) {
        listeners.push(listener);
        return () => void listeners.splice(listeners.indexOf(listener), 1);
      },
    };
    const sent: [string, unknown][] = [];
    let destroyed = false;
    let present = true;
    const contents = { send: (channel: string, payload: unknown) => void sent.push([channel, payload]), isDestroyed: () => destroyed };
    const stop = forwardSyncEvents(api, () => (present ? contents : null));
    const event: SyncEvent = { kind: 'connectionChanged', connected: true };
    listeners[0]!(event);
    destroyed = true;
    listeners[0]!(event);
    destroyed = false;
    present = false;
    listeners[0]!(event);
    expect(sent).toEqual([[SYNC_EVENTS_CHANNEL, event]]);
    stop();
    expect(listeners).toHaveLength(0);
  });
});
