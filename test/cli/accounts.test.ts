// One profile syncs one account's libraries. Logging out and in as another user (or to another
// server) never syncs the first account's libraries, index state or edits under the second
// account's token: the login is refused until the user chooses to switch, and switching stops
// syncing the old account's libraries on this device while every local file stays.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { routes } from '../../shared/protocol/index.js';
import { Engine } from '../../src-main/engine/engine.js';
import { openEmbeddedStores, startServer } from '../../src-server/server.js';
import type { RunningServer } from '../../src-server/server.js';
import { runCairn } from '../support/runCairn.js';
import { PASSWORD, readTree, startHarness } from '../sync/harness.js';
import type { Harness } from '../sync/harness.js';

let harness: Harness;
let sharedId: string;
let bobPrivateId: string;
let alicePrivateId: string;

/** Runs cairn and fails the test unless it succeeds. */
async function ok(home: string, args: readonly string[], stdin = ''): Promise<string> {
  const run = await runCairn(home, args, stdin);
  expect(run.code, `cairn ${args.join(' ')}: ${run.stderr}`).toBe(0);
  return run.stdout;
}

let readers = 0;

/** The files of a library on the server, as text: a fresh profile of `user` syncs it into a new folder. */
async function serverFiles(user: string, libraryId: string): Promise<Record<string, string>> {
  readers += 1;
  const engine = await Engine.open({ home: path.join(harness.base, `reader-home-${readers}`), deviceName: 'reader' });
  try {
    await engine.login(harness.server.url, user, PASSWORD);
    const folder = path.join(harness.base, `reader-folder-${readers}`);
    await engine.addSync(libraryId, folder);
    await engine.syncNow();
    return await readTree(folder);
  } finally {
    await engine.close();
  }
}

/** Who committed each version of `filePath` in the library's history. */
async function authorsOf(user: string, libraryId: string, filePath: string): Promise<string[]> {
  const engine = await Engine.open({ home: path.join(harness.base, `historian-${user}`), deviceName: 'historian' });
  try {
    await engine.login(harness.server.url, user, PASSWORD);
    const { versions } = await (await engine.server()).call(routes.history, { params: { libraryId }, query: { path: filePath } });
    return versions.map((version) => `${version.userName}@${version.device}`);
  } finally {
    await engine.close();
  }
}

beforeEach(async () => {
  harness = await startHarness();
  await harness.addUser('bob');
  // alice owns Shared (bob may read it) and a private library; bob owns one of his own.
  const alice = await harness.client('alice-laptop', { user: 'alice', libraryName: 'Shared' });
  sharedId = alice.libraryId;
  await alice.write('notes.txt', 'alice wrote this\n');
  await alice.sync();
  await (await alice.engine.server()).call(routes.setMember, { params: { libraryId: sharedId, userName: 'bob' }, body: { role: 'ro' } });
  alicePrivateId = await harness.createLibrary('alice', 'AlicePrivate');
  bobPrivateId = await harness.createLibrary('bob', 'BobPrivate');
});
afterEach(async () => {
  await harness.stop();
});

describe('signing in as another account on one profile', () => {
  it('never uploads a read-only edit of user 1 as user 2 (cairn logout, cairn login as the owner, cairn sync now)', async () => {
    const home = path.join(harness.base, 'home-bob-cli');
    const sharedDir = path.join(harness.base, 'bob-shared');
    const privateDir = path.join(harness.base, 'bob-private');
    await ok(home, ['login', harness.server.url, '--user', 'bob'], `${PASSWORD}\n`);
    await ok(home, ['sync', 'add', 'Shared', sharedDir]);
    await ok(home, ['sync', 'add', 'BobPrivate', privateDir]);
    await writeFile(path.join(privateDir, 'diary.txt'), 'bob only\n');
    await runCairn(home, ['sync', 'now']);
    expect(await readFile(path.join(sharedDir, 'notes.txt'), 'utf8')).toBe('alice wrote this\n');
    expect(await serverFiles('bob', bobPrivateId)).toEqual({ 'diary.txt': 'bob only\n' });
    expect(await ok(home, ['status'])).toContain('[read-only, shared by alice]');

    // bob edits a file of a library he may only read, and signs out.
    await writeFile(path.join(sharedDir, 'notes.txt'), 'bob edited this\n');
    await ok(home, ['logout']);

    // Logging in as alice is refused while the profile holds bob's libraries: it says which.
    const refused = await runCairn(home, ['login', harness.server.url, '--user', 'alice'], `${PASSWORD}\n`);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Shared');
    expect(refused.stderr).toContain('BobPrivate');
    expect(refused.stderr).toContain('--switch-account');
    // Nothing changed: bob's libraries are still there, waiting for bob.
    expect(await ok(home, ['status'])).toContain('BobPrivate');

    // Switching: bob's libraries stop syncing here, every file of them stays on disk.
    const switched = await ok(home, ['login', harness.server.url, '--user', 'alice', '--switch-account'], `${PASSWORD}\n`);
    expect(switched).toContain('alice');
    const status = JSON.parse(await ok(home, ['--json', 'status'])) as { libraries: unknown[] };
    expect(status.libraries).toEqual([]);
    await runCairn(home, ['sync', 'now']);
    expect(await readTree(sharedDir)).toEqual({ 'notes.txt': 'bob edited this\n' });
    expect(await readTree(privateDir)).toEqual({ 'diary.txt': 'bob only\n' });

    // bob's edit was not uploaded as alice's: the server still has alice's text, from alice.
    expect(await serverFiles('alice', sharedId)).toEqual({ 'notes.txt': 'alice wrote this\n' });
    expect(await authorsOf('alice', sharedId, 'notes.txt')).toEqual(['alice@alice-laptop']);

    // The reverse: alice syncs her private library, signs out, bob signs in with the switch.
    const aliceDir = path.join(harness.base, 'alice-private-on-bobs-profile');
    await ok(home, ['sync', 'add', 'AlicePrivate', aliceDir]);
    await writeFile(path.join(aliceDir, 'secret.txt'), 'alice only\n');
    await ok(home, ['sync', 'now']);
    await ok(home, ['logout']);
    await writeFile(path.join(aliceDir, 'secret.txt'), 'changed while signed out\n');
    expect((await runCairn(home, ['login', harness.server.url, '--user', 'bob'], `${PASSWORD}\n`)).code).toBe(1);
    await ok(home, ['login', harness.server.url, '--user', 'bob', '--switch-account'], `${PASSWORD}\n`);
    await runCairn(home, ['sync', 'now']);
    expect(await serverFiles('alice', alicePrivateId)).toEqual({ 'secret.txt': 'alice only\n' });
    expect(await readTree(aliceDir)).toEqual({ 'secret.txt': 'changed while signed out\n' });
    // bob's own library is his again, from a clean start.
    await ok(home, ['sync', 'add', 'BobPrivate', path.join(harness.base, 'bob-private-again')]);
    await ok(home, ['sync', 'now']);
    expect(await readTree(path.join(harness.base, 'bob-private-again'))).toEqual({ 'diary.txt': 'bob only\n' });
  });

  it('logs the same account in again without asking, and keeps its libraries', async () => {
    const home = path.join(harness.base, 'home-bob-again');
    const privateDir = path.join(harness.base, 'bob-private');
    await ok(home, ['login', harness.server.url, '--user', 'bob'], `${PASSWORD}\n`);
    await ok(home, ['sync', 'add', 'BobPrivate', privateDir]);
    await ok(home, ['logout']);
    await writeFile(path.join(privateDir, 'later.txt'), 'written while signed out\n');
    await ok(home, ['login', `${harness.server.url}/`, '--user', 'bob'], `${PASSWORD}\n`);
    await ok(home, ['sync', 'now']);
    expect(await serverFiles('bob', bobPrivateId)).toEqual({ 'later.txt': 'written while signed out\n' });
  });

  it('treats the same user name on another server as another account', async () => {
    const otherStores = await openEmbeddedStores(path.join(harness.base, 'other-server'));
    const { addUser } = await import('../../src-server/users.js');
    await addUser(otherStores.metadata, 'bob', PASSWORD, { cost: { log2N: 10, r: 8, p: 1 } });
    const other: RunningServer = await startServer({ stores: otherStores, host: '127.0.0.1', port: 0 });
    try {
      const home = path.join(harness.base, 'home-bob-two-servers');
      const privateDir = path.join(harness.base, 'bob-private');
      await ok(home, ['login', harness.server.url, '--user', 'bob'], `${PASSWORD}\n`);
      await ok(home, ['sync', 'add', 'BobPrivate', privateDir]);
      await mkdir(privateDir, { recursive: true });
      await writeFile(path.join(privateDir, 'first-server.txt'), 'for the first server\n');
      const refused = await runCairn(home, ['login', other.url, '--user', 'bob'], `${PASSWORD}\n`);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('BobPrivate');
      // The refused login left the first account logged in and syncing.
      await ok(home, ['sync', 'now']);
      expect(await serverFiles('bob', bobPrivateId)).toEqual({ 'first-server.txt': 'for the first server\n' });
    } finally {
      await other.close();
    }
  });
});
