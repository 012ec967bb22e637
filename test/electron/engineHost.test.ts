// The engine host as the app runs it, minus Electron: the real host module in a child process
// (child_process.fork in place of utilityProcess.fork, the IPC channel in place of parentPort),
// driven by main's engine client against a real Cairn server. Main's keychain is a real AES-GCM
// cipher with a test key in place of safeStorage.

import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, realpath, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SyncApi, SyncEvent } from '../../shared/api/index.js';
import { SyncApiError, createSyncApi } from '../../shared/api/index.js';
import { createEngineClient } from '../../src-main/electron/engineClient.js';
import type { EngineClient, EngineHealth, HostProcess, HostServices } from '../../src-main/electron/engineClient.js';
import { hostArgumentList, parseHostArguments } from '../../src-main/electron/hostProtocol.js';
import type { HostArguments } from '../../src-main/electron/hostProtocol.js';
import { PASSWORD, startHarness } from '../sync/harness.js';
import type { Harness } from '../sync/harness.js';
import { eventually } from '../support/eventually.js';

const HOST_MODULE = path.resolve('src-main/electron/engineHostMain.ts');
const KEY = randomBytes(32);

/** What safeStorage does in the app: authenticated encryption with a key the OS keeps. */
const testCipher = {
  async encrypt(plain: string): Promise<string> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', KEY, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  },
  async decrypt(cipherText: string) {
    const data = Buffer.from(cipherText, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', KEY, data.subarray(0, 12));
    decipher.setAuthTag(data.subarray(12, 28));
    return { plain: Buffer.concat([decipher.update(data.subarray(28)), decipher.final()]).toString('utf8'), shouldReEncrypt: false };
  },
};

interface RunningApp {
  readonly client: EngineClient;
  readonly api: SyncApi;
  readonly events: SyncEvent[];
  readonly health: EngineHealth[];
  readonly opened: string[];
  readonly logs: string[];
  readonly children: ChildProcess[];
}

let harness: Harness;
let base: string;
const apps: RunningApp[] = [];

beforeEach(async () => {
  harness = await startHarness();
  base = await mkdtemp(path.join(os.tmpdir(), 'cairn-host-test-'));
});
afterEach(async () => {
  for (const app of apps.splice(0)) await app.client.stop();
  await harness.stop();
  await rm(base, { recursive: true, force: true });
});

function forkHost(hostArguments: HostArguments, children: ChildProcess[]): HostProcess {
  const child = fork(HOST_MODULE, hostArgumentList(hostArguments), { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  children.push(child);
  return {
    post: (message) => {
      if (child.connected) child.send(message);
    },
    onMessage: (listener) => child.on('message', listener),
    onExit: (listener) => child.once('exit', (code) => listener(code)),
    kill: () => void child.kill('SIGKILL'),
  };
}

function startApp(home: string, secrets: HostArguments['secrets'] = 'safe-storage'): RunningApp {
  const events: SyncEvent[] = [];
  const health: EngineHealth[] = [];
  const opened: string[] = [];
  const logs: string[] = [];
  const children: ChildProcess[] = [];
  const services: HostServices = {
    ...testCipher,
    openPath: async (absolutePath) => void opened.push(absolutePath),
    log: (line) => void logs.push(line),
  };
  const client = createEngineClient({
    spawn: () => forkHost({ home, secrets }, children),
    services,
    backoff: { initialMs: 100, maxMs: 400, stableAfterMs: 60_000 },
    readyTimeoutMs: 30_000,
  });
  client.onHealthChanged((next) => void health.push(next));
  const api = createSyncApi(client.transport, { onBug: (error) => logs.push(`bug: ${error.message}`) });
  api.subscribe((event) => void events.push(event));
  client.start();
  const app = { client, api, events, health, opened, logs, children };
  apps.push(app);
  return app;
}

async function codeOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    if (error instanceof SyncApiError) return error.code;
    throw error;
  }
  throw new Error('the call succeeded');
}

describe('host arguments', () => {
  it.each([
    ['both given', ['--home', '/p', '--secrets', 'safe-storage'], { home: '/p', secrets: 'safe-storage' }],
    ['the file store', ['--secrets', 'owner-only-file', '--home', '/p'], { home: '/p', secrets: 'owner-only-file' }],
    ['no home', ['--secrets', 'safe-storage'], null],
    ['an unknown store', ['--home', '/p', '--secrets', 'plain'], null],
    ['an unknown flag', ['--home', '/p', '--secrets', 'safe-storage', '--debug', 'x'], null],
    ['a flag without its value', ['--home', '/p', '--secrets'], null],
  ])('%s', (_name, argv, expected) => {
    expect(parseHostArguments(argv)).toEqual(expected);
  });

  it('reads back what it writes', () => {
    const options: HostArguments = { home: '/home/ann/.config/cairn', secrets: 'safe-storage' };
    expect(parseHostArguments(hostArgumentList(options))).toEqual(options);
  });
});

describe('the engine host in its own process', () => {
  it('serves the SyncApi, keeps the token encrypted, opens folders through main, and comes back after a crash', async () => {
    const libraryId = await harness.createLibrary('alice', 'Documents');
    const home = path.join(base, 'home');
    const root = path.join(base, 'Documents');
    await mkdir(root);
    const app = startApp(home);

    expect((await app.api.getStatus({})).account).toBeNull();
    await eventually(() => expect(app.events.some((event) => event.kind === 'statusChanged')).toBe(true));
    expect(app.client.health).toEqual({ kind: 'running' });

    // Logging in stores the token encrypted by main, in an owner-only file, and nowhere in plain.
    const account = await app.api.login({ serverUrl: harness.server.url, user: 'alice', password: PASSWORD, deviceName: 'laptop' });
    expect(account).toMatchObject({ user: 'alice', deviceName: 'laptop' });
    const stored = await readFile(path.join(home, 'credentials.safe'), 'utf8');
    const token = (await testCipher.decrypt(stored.trim().split(' ')[1]!)).plain;
    expect(token.length).toBeGreaterThan(10);
    expect(stored).not.toContain(token);
    expect((await stat(path.join(home, 'credentials.safe'))).mode & 0o777).toBe(0o600);
    await expect(stat(path.join(home, 'credentials'))).rejects.toMatchObject({ code: 'ENOENT' });

    // Errors keep their codes across the process boundary; validation happens in the host too.
    expect(await codeOf(app.api.removeLibrary({ libraryId: 'no-such-library' }))).toBe('not-found');
    expect(await codeOf(app.client.transport.call('getStatus', { unexpected: true }))).toBe('invalid-argument');

    await app.api.addLibrary({ libraryId, localRoot: root, selection: null });
    await eventually(async () => expect((await app.api.getStatus({})).libraries[0]?.state.kind).toBe('up-to-date'));
    await app.api.openFolder({ libraryId });
    expect(app.opened).toEqual([await realpath(root)]);

    // A crash: the client says the stream was lost, restarts the host, and the new host reads
    // the token back through main's cipher.
    const first = app.children[0]!;
    first.kill('SIGKILL');
    await eventually(() => expect(app.events.some((event) => event.kind === 'connectionChanged' && !event.connected)).toBe(true));
    await eventually(() => expect(app.children.length).toBe(2));
    await eventually(() => expect(app.client.health).toEqual({ kind: 'running' }));
    expect(app.health.some((health) => health.kind === 'restarting')).toBe(true);
    const lost = app.events.findIndex((event) => event.kind === 'connectionChanged' && !event.connected);
    const restored = app.events.findIndex((event) => event.kind === 'connectionChanged' && event.connected);
    expect(restored).toBeGreaterThan(lost);
    await eventually(() => expect(app.events.slice(restored).some((event) => event.kind === 'statusChanged' && event.status.account?.user === 'alice')).toBe(true));
    expect((await app.api.getStatus({})).libraries.map((library) => library.libraryId)).toEqual([libraryId]);

    // A clean stop: the host exits by itself with code 0 and nothing restarts it.
    const second = app.children[1]!;
    const exited = new Promise<number | null>((resolve) => second.once('exit', (code) => resolve(code)));
    await app.client.stop();
    expect(await exited).toBe(0);
    expect(app.client.health).toEqual({ kind: 'stopped' });
    expect(await codeOf(app.api.getStatus({}))).toBe('unavailable');
    expect(app.children.length).toBe(2);
    expect(app.logs.filter((line) => line.startsWith('bug'))).toEqual([]);
  });

  it('moves a token the CLI left in its plain file into the encrypted store', async () => {
    await harness.addUser('alice');
    const home = path.join(base, 'home');
    const cli = startApp(home, 'owner-only-file');
    await cli.api.login({ serverUrl: harness.server.url, user: 'alice', password: PASSWORD });
    await cli.client.stop();
    const plain = (await readFile(path.join(home, 'credentials'), 'utf8')).trim();

    const app = startApp(home);
    expect((await app.api.getStatus({})).account?.user).toBe('alice');
    await expect(stat(path.join(home, 'credentials'))).rejects.toMatchObject({ code: 'ENOENT' });
    const stored = await readFile(path.join(home, 'credentials.safe'), 'utf8');
    expect(stored).not.toContain(plain);
    expect((await testCipher.decrypt(stored.trim().split(' ')[1]!)).plain).toBe(plain);
  });

  it('reports a profile held by another daemon, and keeps trying', async () => {
    const home = path.join(base, 'home');
    const first = startApp(home);
    await first.api.getStatus({});
    const second = startApp(home);
    await eventually(() => {
      const health = second.client.health;
      expect(health.kind).toBe('restarting');
      expect(health.kind === 'restarting' && health.reason).toMatch(/another Cairn daemon .* is already running/);
    });
    await eventually(() => expect(second.children.length).toBeGreaterThan(1));
    await first.client.stop();
    await eventually(async () => expect((await second.api.getStatus({})).account).toBeNull());
  });
});
