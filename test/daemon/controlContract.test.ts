// The SyncApi contract on its own: names derived from the operation table, the error mapping in
// both directions, createSyncApi's checks at the door, the HTTP transport's reconnection
// policy, and the control token file.

import { mkdtemp, rm, stat, writeFile, chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ApiErrorCode, OperationName, SyncApiTransport, SyncEvent } from '../../shared/api/index.js';
import {
  API_ERROR_CODES,
  CONTROL_EVENTS_PATH,
  OPERATION_NAMES,
  SyncApiError,
  apiErrorAction,
  apiErrorFromBody,
  apiErrorStatus,
  controlApiPath,
  createSyncApi,
  invokeOperation,
  operationForChannel,
  operationForControlPath,
  syncApiChannel,
  syncApiOperations,
  toApiErrorBody,
  CONTROL_TOKEN_PATTERN,
} from '../../shared/api/index.js';
import {
  controlTokenPath,
  controlTokensEqual,
  createControlToken,
  deleteControlToken,
  newControlToken,
  readControlToken,
} from '../../src-main/daemon/controlToken.js';
import { InsecureSecretFileError } from '../../src-main/profile/secretFile.js';
import type { EventLike, EventSourceLike, FetchLike } from '../../src-renderer/api/httpSyncApi.js';
import { createHttpSyncApi, createHttpTransport } from '../../src-renderer/api/httpSyncApi.js';
import { FakeSyncApi } from './fakeSyncApi.js';

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('names derived from the operation table', () => {
  it('gives every operation an IPC channel and an HTTP path that lead back to it', () => {
    expect(OPERATION_NAMES.length).toBeGreaterThanOrEqual(23);
    for (const name of OPERATION_NAMES) {
      expect(syncApiChannel(name)).toBe(`cairn:api:${name}`);
      expect(operationForChannel(syncApiChannel(name))).toBe(name);
      expect(controlApiPath(name)).toBe(`/api/${name}`);
      expect(operationForControlPath(controlApiPath(name))).toBe(name);
    }
  });

  const foreign = [
    ['an unknown operation', 'cairn:api:deleteEverything', '/api/deleteEverything'],
    ['an inherited property', 'cairn:api:constructor', '/api/constructor'],
    ['the prototype', 'cairn:api:__proto__', '/api/__proto__'],
    ['another prefix', 'other:api:getStatus', '/v1/getStatus'],
    ['a suffix', 'cairn:api:getStatus/x', '/api/getStatus/x'],
    ['the event stream', 'cairn:events', CONTROL_EVENTS_PATH],
  ] as const;
  for (const [name, channel, controlPath] of foreign) {
    it(`maps ${name} to no operation`, () => {
      expect(operationForChannel(channel)).toBeNull();
      expect(operationForControlPath(controlPath)).toBeNull();
    });
  }

  it('makes every request schema strict, so a misspelt field is refused', () => {
    for (const name of OPERATION_NAMES) {
      const result = syncApiOperations[name].request.safeParse({ surelyNotAField: 1 });
      expect(result.success, name).toBe(false);
    }
  });
});

describe('error codes across the boundary', () => {
  it('carries every code and message through the wire body and back', () => {
    for (const code of API_ERROR_CODES) {
      const error = new SyncApiError(code, `message for ${code}`, { hint: code });
      const back = apiErrorFromBody(JSON.parse(JSON.stringify(toApiErrorBody(error))), apiErrorStatus(code));
      expect([back.code, back.message, back.details]).toEqual([code, `message for ${code}`, { hint: code }]);
      expect(back.action).toBe(apiErrorAction(code));
      expect(apiErrorFromBody(toApiErrorBody(error), null).code).toBe(code);
    }
  });

  const byStatus: { status: number; code: ApiErrorCode }[] = [
    { status: 400, code: 'invalid-argument' },
    { status: 401, code: 'unauthorized' },
    { status: 403, code: 'forbidden' },
    { status: 404, code: 'not-found' },
    { status: 409, code: 'conflict' },
    { status: 413, code: 'payload-too-large' },
    { status: 422, code: 'invalid-argument' },
    { status: 429, code: 'rate-limited' },
    { status: 500, code: 'internal' },
    { status: 502, code: 'unreachable' },
    { status: 503, code: 'unavailable' },
    { status: 504, code: 'internal' },
    { status: 507, code: 'storage-full' },
  ];
  for (const { status, code } of byStatus) {
    it(`assumes ${code} for a bare HTTP ${status}`, () => {
      expect(apiErrorFromBody('<html>proxy error</html>', status).code).toBe(code);
    });
  }

  it('gives every code a status and an action', () => {
    const statuses = new Map<number, ApiErrorCode[]>();
    for (const code of API_ERROR_CODES) {
      const status = apiErrorStatus(code);
      expect(status >= 400 && status < 600, code).toBe(true);
      statuses.set(status, [...(statuses.get(status) ?? []), code]);
      expect(['retry-now', 'retry-later', 'needs-user', 'fatal']).toContain(apiErrorAction(code));
    }
    // Only the account failures share a status; their bodies always carry the code.
    expect([...statuses.values()].filter((codes) => codes.length > 1)).toEqual([['not-logged-in', 'wrong-password', 'not-cairn-server', 'certificate']]);
  });

  it('turns anything that is not a SyncApiError into internal', () => {
    expect(toApiErrorBody(new TypeError('x is undefined'))).toEqual({ error: { code: 'internal', message: 'internal error: x is undefined' } });
    expect(toApiErrorBody('a string')).toEqual({ error: { code: 'internal', message: 'internal error: a string' } });
    expect(apiErrorFromBody({ error: { code: 'no-such-code', message: 'x' } }, null).code).toBe('internal');
  });
});

// ---- createSyncApi over a transport --------------------------------------------------------

/** A transport that hands requests straight to a fake, the way the IPC bridge will. */
function directTransport(fake: FakeSyncApi): SyncApiTransport & { subscriptions: number } {
  const transport = {
    subscriptions: 0,
    call: (name: OperationName, request: unknown) => invokeOperation(fake, name, JSON.parse(JSON.stringify(request))).then((answer) => JSON.parse(JSON.stringify(answer)) as unknown),
    subscribe: (listener: (event: unknown) => void) => {
      transport.subscriptions++;
      const stop = fake.subscribe(listener);
      return () => {
        transport.subscriptions--;
        stop();
      };
    },
  };
  return transport;
}

function makeFake(): FakeSyncApi {
  return new FakeSyncApi({ servers: [{ url: 'https://cairn.example.com', kind: 'cairn', users: { ann: 'pw' }, libraries: [] }] });
}

describe('createSyncApi', () => {
  it('answers through the transport, checked against the contract', async () => {
    const fake = makeFake();
    const api = createSyncApi(directTransport(fake));
    expect(await api.login({ serverUrl: 'https://cairn.example.com', user: 'ann', password: 'pw' })).toEqual({
      serverUrl: 'https://cairn.example.com',
      user: 'ann',
      deviceName: 'test-device',
    });
    await expect(api.login({ serverUrl: 'https://cairn.example.com', user: 'ann', password: 'no' })).rejects.toMatchObject({ code: 'wrong-password' });
  });

  const brokenAnswers: { name: string; call: SyncApiTransport['call']; message: RegExp }[] = [
    { name: 'an answer of the wrong shape', call: async () => ({ account: 'ann' }), message: /does not match the contract/ },
    { name: 'a transport that throws a plain error', call: async () => Promise.reject(new Error('port closed')), message: /port closed/ },
  ];
  for (const testCase of brokenAnswers) {
    it(`rejects ${testCase.name} as internal and reports the bug`, async () => {
      const bugs: Error[] = [];
      const api = createSyncApi({ call: testCase.call, subscribe: () => () => undefined }, { onBug: (error) => bugs.push(error) });
      const error = await api.getStatus({}).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(SyncApiError);
      expect(error).toMatchObject({ code: 'internal', message: expect.stringMatching(testCase.message) });
      expect(bugs).toHaveLength(1);
    });
  }

  it('shares one transport subscription among listeners and stops it with the last', async () => {
    const fake = makeFake();
    const transport = directTransport(fake);
    const api = createSyncApi(transport);
    const first: SyncEvent[] = [];
    const second: SyncEvent[] = [];
    const stopFirst = api.subscribe((event) => first.push(event));
    const stopSecond = api.subscribe((event) => second.push(event));
    expect(transport.subscriptions).toBe(1);
    await fake.setPreferences({ language: 'zh-CN' });
    stopFirst();
    stopFirst();
    expect(transport.subscriptions).toBe(1);
    await fake.setPreferences({ language: 'en' });
    stopSecond();
    expect(transport.subscriptions).toBe(0);
    expect(first.map((event) => event.kind === 'preferencesChanged' && event.preferences.language)).toEqual(['zh-CN']);
    expect(second.map((event) => event.kind === 'preferencesChanged' && event.preferences.language)).toEqual(['zh-CN', 'en']);
  });

  it('drops an event that breaks the contract, and one throwing listener does not silence the others', () => {
    const bugs: Error[] = [];
    let push: (event: unknown) => void = () => undefined;
    const api = createSyncApi(
      {
        call: async () => ({}),
        subscribe: (listener) => {
          push = listener;
          return () => undefined;
        },
      },
      { onBug: (error) => bugs.push(error) },
    );
    const heard: SyncEvent[] = [];
    api.subscribe(() => {
      throw new Error('a listener bug');
    });
    api.subscribe((event) => heard.push(event));
    push({ kind: 'libraryExploded' });
    push({ kind: 'connectionChanged', connected: false });
    expect(heard).toEqual([{ kind: 'connectionChanged', connected: false }]);
    expect(bugs.map((bug) => bug.message)).toEqual([expect.stringMatching(/does not match the contract/), 'a listener bug']);
  });
});

// ---- the HTTP transport's edges ----------------------------------------------------------

/** An EventSource the test drives by hand: it records every instance the client opens. */
class ScriptedEventSource implements EventSourceLike {
  static opened: ScriptedEventSource[] = [];
  closed = false;
  private readonly listeners = new Map<string, ((event: EventLike) => void)[]>();

  constructor(readonly url: string) {
    ScriptedEventSource.opened.push(this);
  }

  addEventListener(type: 'open' | 'message' | 'error', listener: (event: EventLike) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  close(): void {
    this.closed = true;
  }

  fire(type: 'open' | 'message' | 'error', data?: string): void {
    for (const listener of this.listeners.get(type) ?? []) listener({ type, data });
  }
}

describe('the HTTP transport', () => {
  it('reopens a lost stream after delays that double up to the limit, and resets after success', () => {
    vi.useFakeTimers();
    vi.spyOn(Math, 'random').mockReturnValue(0);
    ScriptedEventSource.opened = [];
    const events: unknown[] = [];
    const transport = createHttpTransport('http://127.0.0.1:9', { EventSource: ScriptedEventSource, reconnect: { initialDelayMs: 100, maxDelayMs: 350 } });
    const stop = transport.subscribe((event) => events.push(event));
    const current = () => ScriptedEventSource.opened.at(-1)!;
    expect(current().url).toBe('http://127.0.0.1:9/api/events');

    current().fire('open');
    current().fire('message', '{"kind":"connectionChanged","connected":true}');
    current().fire('error');
    expect(current().closed).toBe(true);
    // Waits of 100, 200, 350 (capped), 350 ms between failed attempts.
    for (const wait of [100, 200, 350, 350]) {
      const count = ScriptedEventSource.opened.length;
      vi.advanceTimersByTime(wait - 1);
      expect(ScriptedEventSource.opened.length).toBe(count);
      vi.advanceTimersByTime(1);
      expect(ScriptedEventSource.opened.length).toBe(count + 1);
      current().fire('error');
    }
    vi.advanceTimersByTime(350);
    current().fire('open');
    current().fire('error');
    // After a success the next wait starts from the beginning again.
    const count = ScriptedEventSource.opened.length;
    vi.advanceTimersByTime(100);
    expect(ScriptedEventSource.opened.length).toBe(count + 1);

    expect(events).toEqual([
      { kind: 'connectionChanged', connected: true },
      { kind: 'connectionChanged', connected: true },
      { kind: 'connectionChanged', connected: false },
      { kind: 'connectionChanged', connected: true },
      { kind: 'connectionChanged', connected: false },
    ]);

    stop();
    expect(current().closed).toBe(true);
    vi.advanceTimersByTime(10_000);
    expect(ScriptedEventSource.opened.length).toBe(count + 1);
  });

  it('stops retrying once unsubscribed while waiting', () => {
    vi.useFakeTimers();
    ScriptedEventSource.opened = [];
    const transport = createHttpTransport('', { EventSource: ScriptedEventSource, reconnect: { initialDelayMs: 100, maxDelayMs: 100 } });
    const stop = transport.subscribe(() => undefined);
    expect(ScriptedEventSource.opened[0]!.url).toBe(CONTROL_EVENTS_PATH);
    ScriptedEventSource.opened[0]!.fire('error');
    stop();
    vi.advanceTimersByTime(1_000);
    expect(ScriptedEventSource.opened).toHaveLength(1);
  });

  const answers: { name: string; fetch: FetchLike; code: ApiErrorCode }[] = [
    { name: 'a daemon that cannot be reached', fetch: async () => Promise.reject(new TypeError('fetch failed')), code: 'unavailable' },
    { name: 'a bare 502 from something in between', fetch: async () => ({ ok: false, status: 502, text: async () => 'Bad Gateway' }), code: 'unreachable' },
    { name: 'a 200 that is not JSON', fetch: async () => ({ ok: true, status: 200, text: async () => '<html>' }), code: 'internal' },
    {
      name: 'an error body of ours',
      fetch: async () => ({ ok: false, status: 422, text: async () => JSON.stringify({ error: { code: 'certificate', message: 'expired' } }) }),
      code: 'certificate',
    },
  ];
  for (const testCase of answers) {
    it(`rejects ${testCase.name} with ${testCase.code}`, async () => {
      const api = createHttpSyncApi('http://127.0.0.1:9', { fetch: testCase.fetch, EventSource: ScriptedEventSource, onBug: () => undefined });
      await expect(api.getStatus({})).rejects.toMatchObject({ code: testCase.code });
    });
  }

  it('posts JSON to the derived path', async () => {
    const seen: { url: string; init: Parameters<FetchLike>[1] }[] = [];
    const fetch: FetchLike = async (url, init) => {
      seen.push({ url, init });
      return { ok: true, status: 200, text: async () => JSON.stringify({ ok: true }) };
    };
    const api = createHttpSyncApi('http://127.0.0.1:9/', { fetch, EventSource: ScriptedEventSource });
    expect(await api.openFolder({ libraryId: 'library-photos' })).toEqual({ ok: true });
    expect(seen).toEqual([
      {
        url: 'http://127.0.0.1:9/api/openFolder',
        init: { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: '{"libraryId":"library-photos"}', credentials: 'same-origin' },
      },
    ]);
  });
});

// ---- the token file -----------------------------------------------------------------------

describe('the control token', () => {
  const folders: string[] = [];
  afterEach(async () => {
    await Promise.all(folders.splice(0).map((folder) => rm(folder, { recursive: true, force: true })));
  });
  async function profile(): Promise<string> {
    const folder = await mkdtemp(path.join(os.tmpdir(), 'cairn-token-'));
    folders.push(folder);
    return folder;
  }

  it('is created random, owner-only, and read back', async () => {
    const home = await profile();
    expect(await readControlToken(home)).toBeUndefined();
    const token = await createControlToken(home);
    expect(token).toMatch(CONTROL_TOKEN_PATTERN);
    if (process.platform !== 'win32') expect((await stat(controlTokenPath(home))).mode & 0o777).toBe(0o600);
    expect(await readControlToken(home)).toBe(token);
    const next = await createControlToken(home);
    expect(next).not.toBe(token);
    expect(await readControlToken(home)).toBe(next);
    await deleteControlToken(home);
    expect(await readControlToken(home)).toBeUndefined();
    await deleteControlToken(home);
  });

  it('ignores a file that holds no token', async () => {
    const home = await profile();
    await writeFile(controlTokenPath(home), 'not a token\n', { mode: 0o600 });
    expect(await readControlToken(home)).toBeUndefined();
  });

  it.skipIf(process.platform === 'win32')('refuses a file others can read', async () => {
    const home = await profile();
    await createControlToken(home);
    await chmod(controlTokenPath(home), 0o644);
    await expect(readControlToken(home)).rejects.toBeInstanceOf(InsecureSecretFileError);
  });

  it('compares tokens exactly', () => {
    const token = newControlToken();
    const cases: [string, boolean][] = [
      [token, true],
      [`${token} `, false],
      [token.slice(1), false],
      [token.toUpperCase() === token ? token.toLowerCase() : token.toUpperCase(), false],
      ['', false],
      [newControlToken(), false],
    ];
    for (const [presented, equal] of cases) expect(controlTokensEqual(presented, token)).toBe(equal);
  });
});
