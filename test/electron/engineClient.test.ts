// Main's side of the engine host, against an in-memory host: calls wait for a ready host,
// answers keep their codes, the host's requests are served, a dead host fails its calls and is
// replaced, and a host that will not stop is ended.

import { describe, expect, it } from 'vitest';
import { SyncApiError, errorEnvelope, okEnvelope } from '../../shared/api/index.js';
import { createEngineClient } from '../../src-main/electron/engineClient.js';
import type { EngineHealth, HostProcess, HostServices } from '../../src-main/electron/engineClient.js';
import type { MainToHostMessage } from '../../src-main/electron/hostProtocol.js';
import { eventually } from '../support/eventually.js';
import { createFakeClock } from './fakeClock.js';

interface FakeHost extends HostProcess {
  readonly received: MainToHostMessage[];
  send(message: unknown): void;
  exit(code: number | null): void;
  readonly killed: boolean;
}

function fakeHost(options: { exitOnStop?: boolean } = {}): FakeHost {
  const received: MainToHostMessage[] = [];
  let onMessage: (message: unknown) => void = () => undefined;
  let onExit: (code: number | null) => void = () => undefined;
  let killed = false;
  let exited = false;
  const host: FakeHost = {
    received,
    post(message) {
      received.push(message);
      if (message.type === 'stop' && options.exitOnStop !== false) queueMicrotask(() => host.exit(0));
    },
    onMessage: (listener) => void (onMessage = listener),
    onExit: (listener) => void (onExit = listener),
    kill() {
      killed = true;
      queueMicrotask(() => host.exit(null));
    },
    send: (message) => onMessage(message),
    exit(code) {
      if (exited) return;
      exited = true;
      onExit(code);
    },
    get killed() {
      return killed;
    },
  };
  return host;
}

function setUp(options: { exitOnStop?: boolean; stopTimeoutMs?: number } = {}) {
  const clock = createFakeClock();
  const hosts: FakeHost[] = [];
  const logs: string[] = [];
  const opened: string[] = [];
  const events: unknown[] = [];
  const health: EngineHealth[] = [];
  const services: HostServices = {
    encrypt: async (plain) => Buffer.from(plain).toString('base64'),
    decrypt: async () => {
      throw new Error('the keychain is locked');
    },
    openPath: async (absolutePath) => void opened.push(absolutePath),
    log: (line) => void logs.push(line),
  };
  const client = createEngineClient({
    spawn: () => {
      const host = fakeHost(options);
      hosts.push(host);
      return host;
    },
    services,
    clock,
    backoff: { initialMs: 1_000, maxMs: 4_000, stableAfterMs: 60_000 },
    readyTimeoutMs: 5_000,
    stopTimeoutMs: options.stopTimeoutMs ?? 10_000,
  });
  client.transport.subscribe((event) => void events.push(event));
  client.onHealthChanged((next) => void health.push(next));
  client.start();
  return { client, clock, hosts, logs, opened, events, health };
}

/** The calls main sent to `host`, in order. */
function calls(host: FakeHost) {
  return host.received.filter((message): message is Extract<MainToHostMessage, { type: 'call' }> => message.type === 'call');
}

describe('the engine client', () => {
  it('holds calls until the host is ready, then answers them', async () => {
    const { client, hosts } = setUp();
    const answer = client.transport.call('getStatus', {});
    await Promise.resolve();
    expect(calls(hosts[0]!)).toEqual([]);
    hosts[0]!.send({ type: 'ready', controlUrl: 'http://127.0.0.1:1234' });
    await eventually(() => expect(calls(hosts[0]!)).toHaveLength(1));
    const [call] = calls(hosts[0]!);
    expect(call).toMatchObject({ name: 'getStatus', request: {} });
    hosts[0]!.send({ type: 'answer', id: call!.id, envelope: okEnvelope({ account: null, allPaused: false, libraries: [] }) });
    expect(await answer).toEqual({ account: null, allPaused: false, libraries: [] });
    expect(client.health).toEqual({ kind: 'running' });
  });

  it('keeps the code of an error answer', async () => {
    const { client, hosts } = setUp();
    hosts[0]!.send({ type: 'ready', controlUrl: 'http://127.0.0.1:1234' });
    const answer = client.transport.call('removeLibrary', { libraryId: 'library-0001' });
    await eventually(() => expect(calls(hosts[0]!)).toHaveLength(1));
    hosts[0]!.send({ type: 'answer', id: calls(hosts[0]!)[0]!.id, envelope: errorEnvelope({ error: { code: 'not-found', message: 'no such library' } }) });
    await expect(answer).rejects.toMatchObject({ code: 'not-found', message: 'no such library' });
  });

  it('fails a call as unavailable when no host gets ready in time', async () => {
    const { client, clock } = setUp();
    const answer = client.transport.call('getStatus', {});
    clock.advance(5_000);
    await expect(answer).rejects.toMatchObject({ code: 'unavailable', message: 'the sync engine is not running' });
  });

  it('serves the host: encryption, a refusal with its reason, the file manager', async () => {
    const { hosts, opened } = setUp();
    const host = hosts[0]!;
    host.send({ type: 'request', id: 1, method: 'encrypt', argument: 'token' });
    host.send({ type: 'request', id: 2, method: 'decrypt', argument: 'dG9rZW4=' });
    host.send({ type: 'request', id: 3, method: 'openPath', argument: '/home/ann/Documents' });
    await eventually(() => expect(host.received).toHaveLength(3));
    expect(host.received).toEqual(
      expect.arrayContaining([
        { type: 'reply', id: 1, ok: true, value: 'dG9rZW4=' },
        { type: 'reply', id: 2, ok: false, message: 'the keychain is locked' },
        { type: 'reply', id: 3, ok: true, value: null },
      ]),
    );
    expect(opened).toEqual(['/home/ann/Documents']);
  });

  it('passes events and logs on, and ignores messages that are not ours', () => {
    const { hosts, events, logs } = setUp();
    hosts[0]!.send({ type: 'event', event: { kind: 'connectionChanged', connected: true } });
    hosts[0]!.send({ type: 'log', line: 'engine says hello' });
    hosts[0]!.send({ type: 'answer', id: 'one' });
    hosts[0]!.send('hello');
    expect(events).toEqual([{ kind: 'connectionChanged', connected: true }]);
    expect(logs[0]).toBe('engine says hello');
    expect(logs.filter((line) => line.startsWith('ignored a message from the engine host'))).toHaveLength(2);
  });

  it('fails the calls of a host that died, says the stream was lost, and starts another', async () => {
    const { client, hosts, clock, events, health } = setUp();
    hosts[0]!.send({ type: 'ready', controlUrl: 'http://127.0.0.1:1234' });
    const answer = client.transport.call('login', { serverUrl: 'https://cairn.example', user: 'ann', password: 'pw' });
    await eventually(() => expect(calls(hosts[0]!)).toHaveLength(1));
    hosts[0]!.exit(134);
    const error = await answer.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SyncApiError);
    expect(error).toMatchObject({ code: 'unavailable', message: 'the sync engine stopped before it answered login; check whether it was done before trying again' });
    expect(events).toEqual([{ kind: 'connectionChanged', connected: false }]);
    expect(client.health).toEqual({ kind: 'restarting', retryAt: clock.now() + 1_000, reason: 'the sync engine stopped unexpectedly (exit code 134)' });

    const waiting = client.transport.call('getStatus', {});
    clock.advance(1_000);
    expect(hosts).toHaveLength(2);
    hosts[1]!.send({ type: 'ready', controlUrl: 'http://127.0.0.1:1235' });
    expect(events.at(-1)).toEqual({ kind: 'connectionChanged', connected: true });
    await eventually(() => expect(calls(hosts[1]!)).toHaveLength(1));
    hosts[1]!.send({ type: 'answer', id: calls(hosts[1]!)[0]!.id, envelope: okEnvelope('fine') });
    expect(await waiting).toBe('fine');
    expect(health.map((next) => next.kind)).toEqual(['starting', 'running', 'restarting', 'starting', 'running']);
  });

  it('reports why a host could not start', () => {
    const { hosts, client } = setUp();
    hosts[0]!.send({ type: 'failed', reason: 'profile-locked', message: 'another Cairn daemon (pid 42) is already running on this profile' });
    hosts[0]!.exit(1);
    expect(client.health).toMatchObject({ kind: 'restarting', reason: 'another Cairn daemon (pid 42) is already running on this profile; Cairn starts syncing once it stops' });
  });

  it('asks the host to stop, and ends one that does not', async () => {
    const polite = setUp();
    await polite.client.stop();
    expect(polite.hosts[0]!.received).toEqual([{ type: 'stop' }]);
    expect(polite.hosts[0]!.killed).toBe(false);
    expect(polite.client.health).toEqual({ kind: 'stopped' });
    await expect(polite.client.transport.call('getStatus', {})).rejects.toMatchObject({ code: 'unavailable', message: 'Cairn is quitting' });

    const stubborn = setUp({ exitOnStop: false, stopTimeoutMs: 50 });
    await stubborn.client.stop();
    expect(stubborn.hosts[0]!.killed).toBe(true);
    expect(stubborn.logs).toContain('the sync engine did not stop within 50 ms; ending it');
    expect(stubborn.hosts).toHaveLength(1);
  });
});
