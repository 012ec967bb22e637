// The cairn-server command line, run as a real process through tsx.

import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../shared/protocol/index.js';
import { defaultDataDir } from '../../src-server/dataDir.js';
import { main, parseListen } from '../../src-server/main.js';
import { openEmbeddedStores } from '../../src-server/server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'cairn-cli-test-'));
});
afterAll(async () => rm(dataDir, { recursive: true, force: true }));

function start(args: string[], environment: NodeJS.ProcessEnv = process.env): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', 'tsx', 'src-server/main.ts', ...args], { cwd: root, env: environment });
}

/** Runs the command to its end with `input` on standard input. */
function run(args: string[], input = '', environment?: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = start(args, environment);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  child.stdin.end(input);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** Starts `serve` and resolves with its URL once it printed the listening line. */
function serve(args: string[]): Promise<{ child: ChildProcessWithoutNullStreams; url: string; exited: Promise<number | null> }> {
  const child = start(['serve', ...args]);
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    child.stdout.on('data', (data: Buffer) => {
      stdout += data.toString();
      const match = /^listening on (http:\/\/\S+)\n/.exec(stdout);
      if (match !== null) resolve({ child, url: match[1]!, exited });
    });
    void exited.then((code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
}

/** Runs main() in this process with `input` on its standard input. */
async function runHere(args: string[], input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdin = new PassThrough();
  stdin.end(input);
  let stdout = '';
  let stderr = '';
  const io = { stdin, stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) } };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

describe('cairn-server user', () => {
  it('adds a user with the password read from standard input (a real process)', async () => {
    const result = await run(['user', 'add', 'alice', '--admin', '--data', dataDir], 'a long password\n');
    expect(result).toMatchObject({ code: 0, stdout: 'added user alice (admin)\n' });
  });

  it.each([
    ['a taken name', ['user', 'add', 'alice'], 'another password\n', 1, /exists already/],
    ['a short password', ['user', 'add', 'bob'], 'short\n', 1, /at least 8 characters/],
    ['no password', ['user', 'add', 'bob'], '', 2, /no password/],
    ['an invalid name', ['user', 'add', 'Bob Smith'], 'a long password\n', 1, /not a valid user name/],
    ['an unknown user command', ['user', 'rename', 'alice'], '', 2, /unknown user command/],
    ['an unknown command', ['launch'], '', 2, /unknown command/],
    ['an unknown option', ['user', 'list', '--colour'], '', 2, /colour/],
    ['a malformed --listen', ['serve', '--listen', 'localhost'], '', 2, /HOST:PORT/],
    ['a trusted proxy given by name', ['serve', '--trust-proxy', 'proxy.example', '--listen', '127.0.0.1:0'], '', 2, /IP address/],
    ['no connections at all', ['serve', '--max-connections', '0', '--listen', '127.0.0.1:0'], '', 2, /positive whole number/],
    ['a password reset for an unknown user', ['user', 'passwd', 'nobody'], 'a long password\n', 1, /no user named nobody/],
  ])('refuses %s', async (_name, args, input, code, message) => {
    const result = await runHere([...args, '--data', dataDir], input);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
  });

  it('lists, resets and removes users', async () => {
    expect((await runHere(['user', 'add', 'carol', '--data', dataDir], 'carols password\n')).code).toBe(0);
    expect((await runHere(['user', 'list', '--data', dataDir])).stdout).toBe('alice (admin)  uses 0 B, no quota\ncarol  uses 0 B, no quota\n');
    expect((await runHere(['user', 'passwd', 'carol', '--data', dataDir], 'a new password\n')).stdout).toMatch(/signed out 0 device/);
    expect((await runHere(['user', 'admin', 'carol', 'on', '--data', dataDir])).code).toBe(0);
    expect((await runHere(['user', 'remove', 'carol', '--data', dataDir])).code).toBe(0);
    expect((await runHere(['user', 'list', '--data', dataDir])).stdout).toBe('alice (admin)  uses 0 B, no quota\ncarol (admin, removed)  uses 0 B, no quota\n');
  });

  it('sets, shows and clears quotas', async () => {
    expect(await runHere(['user', 'quota', 'alice', '10GB', '--data', dataDir])).toMatchObject({ code: 0, stdout: 'alice: uses 0 B of 9.3 GiB (0%)\n' });
    expect(await runHere(['user', 'quota', 'alice', '500MiB', '--data', dataDir])).toMatchObject({ code: 0, stdout: 'alice: uses 0 B of 500 MiB (0%)\n' });
    expect((await runHere(['user', 'list', '--data', dataDir])).stdout).toMatch(/^alice \(admin\) {2}uses 0 B of 500 MiB \(0%\)\n/);
    expect(await runHere(['user', 'quota', 'alice', 'none', '--data', dataDir])).toMatchObject({ code: 0, stdout: 'alice: uses 0 B, no quota\n' });
    const wrong = await runHere(['user', 'quota', 'alice', '12 parsecs', '--data', dataDir]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/"12 parsecs" is not a size/);
    expect((await runHere(['user', 'quota', 'nobody', '1GB', '--data', dataDir])).stderr).toMatch(/no user named nobody/);
    expect((await runHere(['user', 'quota', 'alice', '--data', dataDir])).code).toBe(2);
  });

  it('prints its usage for --help', async () => {
    expect(await runHere(['--help'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^usage:/) });
  });
});

describe('cairn-server serve', () => {
  it('prints the real port, serves, and exits 0 on SIGTERM after ending the requests in flight', async () => {
    const { child, url, exited } = await serve(['--data', dataDir, '--listen', '127.0.0.1:0']);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9][0-9]*$/);
    const login = await fetch(`${url}${routes.login.path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'alice', password: 'a long password', deviceName: 'cli test' }),
    });
    expect(login.status).toBe(200);
    const { token } = (await login.json()) as { token: string };
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const created = await fetch(`${url}${routes.createLibrary.path}`, { method: 'POST', headers, body: JSON.stringify({ name: 'CLI' }) });
    expect(created.status).toBe(201);
    // An event stream is a request in flight for as long as the server runs; its first event
    // proves the server is serving it.
    const events = await fetch(`${url}${routes.events.path}`, { headers });
    const reader = events.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toMatch(/^data: \{"kind":"ready"/);
    child.kill('SIGTERM');
    let rest = await reader.read();
    while (!rest.done) rest = await reader.read();
    expect(await exited).toBe(0);
    // What was created before the signal is in the data folder afterwards.
    const stores = await openEmbeddedStores(dataDir);
    const alice = await stores.metadata.users.byName('alice');
    expect((await stores.metadata.libraries.listFor(alice!.id, 'live')).map((library) => library.name)).toEqual(['CLI']);
    await stores.metadata.close();
  });
});

describe('arguments and defaults', () => {
  it.each([
    ['127.0.0.1:8080', { host: '127.0.0.1', port: 8080 }],
    ['0.0.0.0:0', { host: '0.0.0.0', port: 0 }],
    ['[::1]:9000', { host: '::1', port: 9000 }],
    ['example.org:443', { host: 'example.org', port: 443 }],
  ])('parses --listen %s', (value, expected) => {
    expect(parseListen(value)).toEqual(expected);
  });

  it.each([['8080'], ['host:'], ['host:99999'], [':80'], ['::1:80']])('refuses --listen %s', (value) => {
    expect(() => parseListen(value)).toThrow(/HOST:PORT/);
  });

  it.each([
    ['CAIRN_SERVER_DATA first', { CAIRN_SERVER_DATA: '/srv/cairn', XDG_DATA_HOME: '/x' }, 'linux', '/srv/cairn'],
    ['XDG_DATA_HOME on Linux', { XDG_DATA_HOME: '/xdg' }, 'linux', '/xdg/cairn-server'],
    ['~/.local/share on Linux', {}, 'linux', '/home/u/.local/share/cairn-server'],
    ['a relative XDG_DATA_HOME is ignored', { XDG_DATA_HOME: 'rel' }, 'linux', '/home/u/.local/share/cairn-server'],
    ['Application Support on macOS', {}, 'darwin', '/home/u/Library/Application Support/cairn-server'],
    ['APPDATA on Windows', { APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32', 'C:\\Users\\u\\AppData\\Roaming\\cairn-server'],
  ] as const)('the default data folder uses %s', (_name, environment, platform, expected) => {
    expect(defaultDataDir(environment, platform, '/home/u')).toBe(expected);
  });
});
