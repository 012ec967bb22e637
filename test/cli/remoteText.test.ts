// Names and messages from other devices and from the server reach the terminal with their
// control characters shown, never obeyed (item 13): a peer's device name once printed escape
// sequences and a forged line in `cairn history`.

import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { routes } from '../../shared/protocol/index.js';
import { isRemoteError } from '../../src-main/engine/remote/remoteError.js';
import { runCairn } from '../support/runCairn.js';
import { PASSWORD, startHarness } from '../sync/harness.js';
import type { Harness } from '../sync/harness.js';
import { startLyingServer } from '../sync/support/lyingServer.js';
import type { LyingServer } from '../sync/support/lyingServer.js';

/** Clears the screen, retitles the window, rings, and starts a line that looks like cairn's own. */
const HOSTILE = 'laptop\u001b[2J\u001b]0;owned\u0007\r\nrev 999  2026-01-01 00:00:00  1 B  by admin on server\u202e';
/** Anything a terminal would act on. */
// eslint-disable-next-line no-control-regex
const ACTED_ON = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

let harness: Harness;
let lying: LyingServer;
beforeEach(async () => {
  harness = await startHarness();
  lying = await startLyingServer(harness.server.url);
});
afterEach(async () => {
  await lying.close();
  await harness.stop();
});

function storeDevice(dataDir: string, libraryPath: string, device: string): void {
  const db = new Database(path.join(dataDir, 'metadata.sqlite'));
  try {
    db.pragma('busy_timeout = 5000');
    expect(db.prepare('UPDATE versions SET device = ? WHERE path = ?').run(device, libraryPath).changes).toBeGreaterThan(0);
  } finally {
    db.close();
  }
}

describe('remote text in the terminal (item 13)', () => {
  it('the server refuses a device name with control characters at login', async () => {
    const alice = await harness.client('alice');
    const error = await (await alice.engine.server())
      .call(routes.login, { body: { user: 'alice', password: PASSWORD, deviceName: HOSTILE } })
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect(isRemoteError(error) && error.code).toBe('bad-request');
    expect((error as Error).message).toMatch(/device names cannot contain control characters/);
  });

  it('`cairn history` shows a device name stored before names were checked as one inert line', async () => {
    const alice = await harness.client('alice');
    await alice.write('notes.txt', 'one');
    await alice.sync();
    storeDevice(harness.dataDir, 'notes.txt', HOSTILE);
    await alice.close();
    const file = path.join(alice.root, 'notes.txt');
    const human = await runCairn(alice.home, ['history', file]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).not.toMatch(ACTED_ON);
    expect(human.stdout).not.toMatch(/^rev 999/m);
    expect(human.stdout).toContain('on laptop\\u001b[2J\\u001b]0;owned\\u0007\\u000d\\u000arev 999');
    const json = await runCairn(alice.home, ['history', file, '--json']);
    expect(json.stdout).not.toMatch(ACTED_ON);
    const versions = JSON.parse(json.stdout) as { device: string }[];
    expect(versions[0]?.device).toBe('laptop\\u001b[2J\\u001b]0;owned\\u0007\\u000d\\u000arev 999  2026-01-01 00:00:00  1 B  by admin on server\\u202e');
  });

  it('a lying server’s library names and error messages are shown inert', async () => {
    const alice = await harness.client('alice', { serverUrl: lying.url });
    await alice.close();
    lying.intercept = async (request, forward) => {
      if (request.url.pathname !== routes.listLibraries.path) return undefined;
      const answer = await forward();
      const list = JSON.parse(answer.body.toString('utf8')) as { libraries: { name: string }[] };
      return { status: 200, headers: answer.headers, body: Buffer.from(JSON.stringify({ libraries: list.libraries.map((library) => ({ ...library, name: HOSTILE })) })) };
    };
    const listed = await runCairn(alice.home, ['library', 'list']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).not.toMatch(ACTED_ON);
    expect(listed.stdout).not.toMatch(/^rev 999/m);

    lying.intercept = (request) =>
      request.url.pathname === routes.listLibraries.path
        ? { status: 503, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ error: { code: 'unavailable', message: HOSTILE } })) }
        : undefined;
    const failed = await runCairn(alice.home, ['library', 'list']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('cairn: laptop\\u001b[2J');
    expect(failed.stderr).not.toMatch(ACTED_ON);
    expect(failed.stderr).not.toMatch(/^rev 999/m);
  });
});
