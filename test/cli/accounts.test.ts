// A profile holds several accounts, and each library syncs with its own account only: its
// server, its user's token and its device there. Signing out one account stops its libraries
// (their files stay) and never lets another account sync them: nothing of user 1 is readable
// or writable as user 2, and the reverse, whoever is signed in on the profile.

import { readFile, writeFile } from 'node:fs/promises';
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

describe('several accounts in one profile', () => {
  it('keeps each library to its own account: bob’s read-only edit is never uploaded as alice, alice’s library never read as bob', async () => {
    const home = path.join(harness.base, 'home-desk');
    const sharedDir = path.join(harness.base, 'bob-shared');
    const privateDir = path.join(harness.base, 'bob-private');
    const aliceDir = path.join(harness.base, 'alice-private');
    await ok(home, ['login', harness.server.url, '--user', 'bob'], `${PASSWORD}\n`);
    await ok(home, ['sync', 'add', 'Shared', sharedDir]);
    await ok(home, ['library', 'add', 'BobPrivate', privateDir]);
    await writeFile(path.join(privateDir, 'diary.txt'), 'bob only\n');
    await runCairn(home, ['sync', 'now']);
    expect(await readFile(path.join(sharedDir, 'notes.txt'), 'utf8')).toBe('alice wrote this\n');
    expect(await serverFiles('bob', bobPrivateId)).toEqual({ 'diary.txt': 'bob only\n' });
    expect(await ok(home, ['status'])).toContain('[read-only, shared by alice]');

    // bob edits a file of a library he may only read, and signs out: told first which libraries stop.
    await writeFile(path.join(sharedDir, 'notes.txt'), 'bob edited this\n');
    const loggedOut = await ok(home, ['logout']);
    expect(loggedOut).toMatch(/signing out bob@http:\/\/127\.0\.0\.1:\d+: .*"BobPrivate".*"Shared".*their files stay/s);

    // alice signs in on the same profile: an account added beside bob's, nothing of bob's moves.
    await ok(home, ['login', harness.server.url, '--user', 'alice'], `${PASSWORD}\n`);
    const accounts = JSON.parse(await ok(home, ['--json', 'account', 'list'])) as { accountId: string; user: string; signedIn: boolean; libraries: { name: string }[] }[];
    expect(accounts.map((account) => [account.user, account.signedIn, account.libraries.map((library) => library.name).sort()])).toEqual([
      ['bob', false, ['BobPrivate', 'Shared']],
      ['alice', true, []],
    ]);
    const bobId = accounts[0]!.accountId;
    const aliceId = accounts[1]!.accountId;
    // A sync as alice leaves bob's libraries alone (signed out), and says so.
    const signedOutRound = await runCairn(home, ['sync', 'now']);
    expect(signedOutRound.code).toBe(1);
    expect(signedOutRound.stderr).toContain('bob@');
    expect(signedOutRound.stderr).toContain('signed out');
    const status = JSON.parse(await ok(home, ['--json', 'status'])) as { libraries: { name: string; accountId: string; state: { kind: string } }[] };
    expect(status.libraries.map((library) => [library.name, library.accountId, library.state.kind]).sort()).toEqual([
      ['BobPrivate', bobId, 'signed-out'],
      ['Shared', bobId, 'signed-out'],
    ]);
    expect(await serverFiles('alice', sharedId)).toEqual({ 'notes.txt': 'alice wrote this\n' });
    expect(await authorsOf('alice', sharedId, 'notes.txt')).toEqual(['alice@alice-laptop']);
    // alice cannot take over a library bob syncs here, even one she owns.
    const taken = await runCairn(home, ['sync', 'add', 'Shared', path.join(harness.base, 'alice-shared')]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('already synced on this device by bob');

    // alice syncs her own library; bob signs in again: two accounts signed in at once.
    await ok(home, ['sync', 'add', 'AlicePrivate', aliceDir]);
    await writeFile(path.join(aliceDir, 'secret.txt'), 'alice only\n');
    await ok(home, ['login', harness.server.url, '--user', 'bob'], `${PASSWORD}\n`);
    expect(await ok(home, ['status'])).toMatch(/AlicePrivate .*account alice@/);
    expect(await ok(home, ['status'])).toMatch(/BobPrivate .*account bob@/);
    await writeFile(path.join(privateDir, 'later.txt'), 'bob again\n');
    await runCairn(home, ['sync', 'now']);
    // Each library went up as its own account, and bob's read-only edit stayed on this disk.
    expect(await serverFiles('alice', alicePrivateId)).toEqual({ 'secret.txt': 'alice only\n' });
    expect(await authorsOf('alice', alicePrivateId, 'secret.txt')).toEqual([expect.stringMatching(/^alice@/)]);
    expect(await serverFiles('bob', bobPrivateId)).toEqual({ 'diary.txt': 'bob only\n', 'later.txt': 'bob again\n' });
    expect(await authorsOf('bob', bobPrivateId, 'later.txt')).toEqual([expect.stringMatching(/^bob@/)]);
    expect(await serverFiles('alice', sharedId)).toEqual({ 'notes.txt': 'alice wrote this\n' });
    expect(await readFile(path.join(sharedDir, 'notes.txt'), 'utf8')).toBe('bob edited this\n');
    expect(await ok(home, ['status'])).toMatch(/problem: notes\.txt read-only/);
    // Nothing of alice's is reachable as bob, nothing of bob's as alice.
    const bobSees = await ok(home, ['library', 'list', '--account', `bob@${new URL(harness.server.url).host}`]);
    expect(bobSees).toContain('BobPrivate');
    expect(bobSees).not.toContain('AlicePrivate');
    const aliceSees = await ok(home, ['library', 'list', '--account', aliceId]);
    expect(aliceSees).not.toContain('BobPrivate');
    // With two accounts signed in, a command about the server must say which.
    const ambiguous = await runCairn(home, ['library', 'list']);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toContain('several accounts are signed in');

    // Signing alice out stops only her library; bob's keep syncing.
    const aliceOut = await ok(home, ['logout', '--account', `alice@${harness.server.url}`]);
    expect(aliceOut).toContain('"AlicePrivate"');
    expect(aliceOut).not.toContain('BobPrivate');
    await writeFile(path.join(aliceDir, 'secret.txt'), 'changed while alice is signed out\n');
    await writeFile(path.join(privateDir, 'third.txt'), 'bob still syncs\n');
    const afterAliceOut = await runCairn(home, ['sync', 'now']);
    expect(afterAliceOut.stderr).toContain('alice@');
    expect(await serverFiles('bob', bobPrivateId)).toEqual({ 'diary.txt': 'bob only\n', 'later.txt': 'bob again\n', 'third.txt': 'bob still syncs\n' });
    expect(await serverFiles('alice', alicePrivateId)).toEqual({ 'secret.txt': 'alice only\n' });
    expect(await readTree(aliceDir)).toEqual({ 'secret.txt': 'changed while alice is signed out\n' });
  });

  it('switches accounts with --switch-account: the others are signed out, their files stay', async () => {
    const home = path.join(harness.base, 'home-switch');
    const privateDir = path.join(harness.base, 'bob-private');
    await ok(home, ['login', harness.server.url, '--user', 'bob'], `${PASSWORD}\n`);
    await ok(home, ['sync', 'add', 'BobPrivate', privateDir]);
    await writeFile(path.join(privateDir, 'diary.txt'), 'bob only\n');
    await ok(home, ['sync', 'now']);
    await ok(home, ['login', harness.server.url, '--user', 'alice', '--switch-account'], `${PASSWORD}\n`);
    const accounts = JSON.parse(await ok(home, ['--json', 'account', 'list'])) as { user: string; signedIn: boolean }[];
    expect(accounts.map((account) => [account.user, account.signedIn])).toEqual([
      ['bob', false],
      ['alice', true],
    ]);
    await writeFile(path.join(privateDir, 'diary.txt'), 'edited after the switch\n');
    await runCairn(home, ['sync', 'now']);
    expect(await serverFiles('bob', bobPrivateId)).toEqual({ 'diary.txt': 'bob only\n' });
    expect(await readTree(privateDir)).toEqual({ 'diary.txt': 'edited after the switch\n' });
  });

  it('logs the same account in again without a second account, and keeps its libraries', async () => {
    const home = path.join(harness.base, 'home-bob-again');
    const privateDir = path.join(harness.base, 'bob-private');
    await ok(home, ['login', harness.server.url, '--user', 'bob'], `${PASSWORD}\n`);
    await ok(home, ['sync', 'add', 'BobPrivate', privateDir]);
    await ok(home, ['logout']);
    await writeFile(path.join(privateDir, 'later.txt'), 'written while signed out\n');
    await ok(home, ['login', `${harness.server.url}/`, '--user', 'bob'], `${PASSWORD}\n`);
    await ok(home, ['login', harness.server.url, '--user', 'bob'], `${PASSWORD}\n`);
    expect((JSON.parse(await ok(home, ['--json', 'account', 'list'])) as unknown[]).length).toBe(1);
    await ok(home, ['sync', 'now']);
    expect(await serverFiles('bob', bobPrivateId)).toEqual({ 'later.txt': 'written while signed out\n' });
  });

  it('syncs the same user name on two servers as two accounts, each library with its own server; one server down stops only its library', async () => {
    const otherStores = await openEmbeddedStores(path.join(harness.base, 'other-server'));
    const { addUser } = await import('../../src-server/users.js');
    await addUser(otherStores.metadata, 'bob', PASSWORD, { cost: { log2N: 10, r: 8, p: 1 } });
    let other: RunningServer | null = await startServer({ stores: otherStores, host: '127.0.0.1', port: 0 });
    try {
      const home = path.join(harness.base, 'home-bob-two-servers');
      const firstDir = path.join(harness.base, 'bob-private');
      const secondDir = path.join(harness.base, 'bob-second');
      await ok(home, ['login', harness.server.url, '--user', 'bob'], `${PASSWORD}\n`);
      await ok(home, ['sync', 'add', 'BobPrivate', firstDir]);
      await ok(home, ['login', other.url, '--user', 'bob'], `${PASSWORD}\n`);
      const secondAccount = `bob@${other.url}`;
      const secondId = (await ok(home, ['library', 'create', 'SecondServer', '--account', secondAccount])).trim();
      // The library of the first server is not on the second, and the reverse.
      expect(await runCairn(home, ['sync', 'add', 'BobPrivate', path.join(harness.base, 'nowhere'), '--account', secondAccount])).toMatchObject({ code: 1 });
      await ok(home, ['sync', 'add', secondId, secondDir, '--account', secondAccount]);
      await writeFile(path.join(firstDir, 'first.txt'), 'for the first server\n');
      await writeFile(path.join(secondDir, 'second.txt'), 'for the second server\n');
      await ok(home, ['sync', 'now']);
      expect(await serverFiles('bob', bobPrivateId)).toEqual({ 'first.txt': 'for the first server\n' });
      const onSecond = await Engine.open({ home: path.join(harness.base, 'reader-second'), deviceName: 'reader' });
      try {
        await onSecond.login(other.url, 'bob', PASSWORD);
        const snapshot = await onSecond.remoteSnapshot(secondId, '');
        expect(snapshot.entries.map((entry) => entry.path)).toEqual(['second.txt']);
      } finally {
        await onSecond.close();
      }

      // The second server goes away: only its library fails; the first keeps syncing.
      await other.close();
      other = null;
      await writeFile(path.join(firstDir, 'while-down.txt'), 'still syncing\n');
      const round = await runCairn(home, ['--json', 'sync', 'now']);
      const summaries = round.stdout.trim().split('\n').map((line) => JSON.parse(line) as { name: string; outcome: string });
      expect(summaries.map((summary) => [summary.name, summary.outcome]).sort()).toEqual([
        ['BobPrivate', 'synced'],
        ['SecondServer', 'error'],
      ]);
      expect(await serverFiles('bob', bobPrivateId)).toEqual({ 'first.txt': 'for the first server\n', 'while-down.txt': 'still syncing\n' });
    } finally {
      await other?.close();
    }
  });
});
