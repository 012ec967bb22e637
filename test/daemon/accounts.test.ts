// Several accounts in one profile, through the daemon's SyncApi against a real server: each
// library syncs with its own account's token only; alice's read-only share to bob stays
// read-only while alice is signed in on the same profile; one account's token revoked or
// signed out stops only its libraries (status "signed out"); an older one-account profile is
// migrated on open, its token moved to its account.

import Database from 'better-sqlite3';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { routes } from '../../shared/protocol/index.js';
import { Engine } from '../../src-main/engine/engine.js';
import { MIGRATIONS } from '../../src-main/engine/indexStore/index.js';
import { migrate } from '../../src-main/engine/indexStore/migrations.js';
import { ServerClient } from '../../src-main/engine/remote/serverClient.js';
import { PASSWORD, readTree } from '../sync/harness.js';
import type { Harness, TestClient } from '../sync/harness.js';
import { eventually } from '../support/eventually.js';
import { codeOf, roundOf, startDaemonTestBed } from './daemonTestBed.js';
import type { DaemonTestBed } from './daemonTestBed.js';

let bed: DaemonTestBed;
let harness: Harness;
let alice: TestClient;
let sharedId: string;
let alicePrivateId: string;
let bobPrivateId: string;

beforeEach(async () => {
  bed = await startDaemonTestBed();
  harness = bed.harness;
  await harness.addUser('bob');
  alice = await harness.client('alice-laptop', { user: 'alice', libraryName: 'Shared' });
  sharedId = alice.libraryId;
  await alice.write('notes.txt', 'alice wrote this\n');
  await alice.sync();
  await (await alice.engine.server()).call(routes.setMember, { params: { libraryId: sharedId, userName: 'bob' }, body: { role: 'ro' } });
  alicePrivateId = await harness.createLibrary('alice', 'AlicePrivate');
  bobPrivateId = await harness.createLibrary('bob', 'BobPrivate');
});
afterEach(async () => {
  await bed.stop();
});

/** What the server holds for `libraryId`, read as `user` (a fresh profile of theirs). */
async function serverText(user: string, libraryId: string, file: string): Promise<string | undefined> {
  const engine = await Engine.open({ home: path.join(harness.base, `reader-${user}-${Math.random().toString(36).slice(2)}`), deviceName: 'reader' });
  try {
    await engine.login(harness.server.url, user, PASSWORD);
    const { versions } = await (await engine.server()).call(routes.history, { params: { libraryId }, query: { path: file } });
    const latest = versions[0];
    if (latest === undefined || latest.deleted) return undefined;
    const folder = path.join(harness.base, `reader-folder-${Math.random().toString(36).slice(2)}`);
    await engine.addSync(libraryId, folder);
    await engine.syncNow();
    return await readFile(path.join(folder, file), 'utf8');
  } finally {
    await engine.close();
  }
}

describe('two accounts signed in on one profile', () => {
  it('syncs each library with its own account: read-only stays read-only, private stays private, a revoked token stops only its libraries', async () => {
    const { api, home, service } = await bed.startApi(path.join(harness.base, 'desk'), 'desk');
    const bob = await api.login({ serverUrl: harness.server.url, user: 'bob', password: PASSWORD });
    const aliceAccount = await api.login({ serverUrl: harness.server.url, user: 'alice', password: PASSWORD });
    expect(bob.accountId).not.toBe(aliceAccount.accountId);
    // Two signed in: a request about the server must say which account.
    expect(await codeOf(api.listRemoteLibraries({}))).toBe('invalid-argument');
    expect((await api.listRemoteLibraries({ accountId: bob.accountId! })).libraries.map((library) => library.name).sort()).toEqual(['BobPrivate', 'Shared']);
    expect((await api.listRemoteLibraries({ accountId: aliceAccount.accountId! })).libraries.map((library) => library.name).sort()).toEqual(['AlicePrivate', 'Shared']);

    const sharedDir = path.join(harness.base, 'desk-shared');
    const bobDir = path.join(harness.base, 'desk-bob');
    const aliceDir = path.join(harness.base, 'desk-alice');
    const shared = await api.addLibrary({ libraryId: sharedId, localRoot: sharedDir, selection: null, accountId: bob.accountId! });
    expect(shared.accountId).toBe(bob.accountId);
    await api.addLibrary({ libraryId: bobPrivateId, localRoot: bobDir, selection: null, accountId: bob.accountId! });
    await api.addLibrary({ libraryId: alicePrivateId, localRoot: aliceDir, selection: null, accountId: aliceAccount.accountId! });
    // The library bob syncs cannot be taken over by alice here, nor read through her account.
    expect(await codeOf(api.addLibrary({ libraryId: sharedId, localRoot: path.join(harness.base, 'again'), selection: null, accountId: aliceAccount.accountId! }))).toBe('conflict');
    expect(await codeOf(api.getRemoteFolders({ libraryId: sharedId, accountId: aliceAccount.accountId! }))).toBe('conflict');
    // bob's account never reaches alice's private library, synced here by alice.
    expect(await codeOf(api.getRemoteFolders({ libraryId: alicePrivateId, accountId: bob.accountId! }))).toBe('conflict');
    for (const id of [sharedId, bobPrivateId, alicePrivateId]) await roundOf(api, id);
    expect(await readFile(path.join(sharedDir, 'notes.txt'), 'utf8')).toBe('alice wrote this\n');

    // bob edits the read-only file; alice is signed in on the same profile: the edit stays here.
    await writeFile(path.join(sharedDir, 'notes.txt'), 'bob edited this\n');
    await writeFile(path.join(bobDir, 'diary.txt'), 'bob only\n');
    await writeFile(path.join(aliceDir, 'secret.txt'), 'alice only\n');
    for (const id of [sharedId, bobPrivateId, alicePrivateId]) await roundOf(api, id);
    expect(await serverText('alice', sharedId, 'notes.txt')).toBe('alice wrote this\n');
    expect((await api.listProblems({ libraryId: sharedId })).problems.map((problem) => [problem.path, problem.kind])).toEqual([['notes.txt', 'read-only']]);
    const bobVersions = await (await alice.engine.server()).call(routes.history, { params: { libraryId: sharedId }, query: { path: 'notes.txt' } });
    expect(bobVersions.versions.map((version) => version.userName)).toEqual(['alice']);
    // Each private library went up as its owner, and only its owner can read it.
    expect(await serverText('bob', bobPrivateId, 'diary.txt')).toBe('bob only\n');
    expect(await serverText('alice', alicePrivateId, 'secret.txt')).toBe('alice only\n');
    const asBob = await Engine.open({ home: path.join(harness.base, 'bob-probe'), deviceName: 'probe' });
    try {
      await asBob.login(harness.server.url, 'bob', PASSWORD);
      await expect(asBob.remoteSnapshot(alicePrivateId, '')).rejects.toMatchObject({ code: expect.stringMatching(/not-found|forbidden/) });
    } finally {
      await asBob.close();
    }

    // bob's token is revoked on the server: bob's libraries say "signed out", alice's go on.
    const stored = JSON.parse(await readFile(path.join(home, 'credentials'), 'utf8')) as { tokens: Record<string, string> };
    const revoker = new ServerClient({ baseUrl: harness.server.url, token: stored.tokens[bob.accountId!]! });
    await revoker.call(routes.logout);
    await revoker.close();
    await api.syncNow({ libraryId: bobPrivateId });
    await eventually(async () => {
      const status = await api.getStatus({});
      expect(status.libraries.filter((library) => library.accountId === bob.accountId).map((library) => library.state.kind)).toEqual(['signed-out', 'signed-out']);
    });
    expect((await api.listAccounts({})).accounts.map((account) => [account.user, account.signedIn])).toEqual([
      ['bob', false],
      ['alice', true],
    ]);
    await writeFile(path.join(aliceDir, 'more.txt'), 'alice goes on\n');
    await roundOf(api, alicePrivateId);
    expect(await serverText('alice', alicePrivateId, 'more.txt')).toBe('alice goes on\n');
    expect(service.daemon.engine.tokenOf(bob.accountId!)).toBeUndefined();

    // Signing alice out names her library only and leaves bob's rows (and every file) alone.
    const out = await api.logout({ accountId: aliceAccount.accountId! });
    expect(out.stopped?.map((library) => library.name)).toEqual(['AlicePrivate']);
    expect((await api.getStatus({})).libraries.map((library) => [library.name, library.state.kind]).sort()).toEqual([
      ['AlicePrivate', 'signed-out'],
      ['BobPrivate', 'signed-out'],
      ['Shared', 'signed-out'],
    ]);
    expect(await readTree(sharedDir)).toEqual({ 'notes.txt': 'bob edited this\n' });
    expect(await readTree(aliceDir)).toEqual({ 'secret.txt': 'alice only\n', 'more.txt': 'alice goes on\n' });

    // bob signs in again: his libraries sync again, as bob, and alice's stays signed out.
    await api.login({ serverUrl: harness.server.url, user: 'bob', password: PASSWORD });
    await writeFile(path.join(bobDir, 'back.txt'), 'bob is back\n');
    await roundOf(api, bobPrivateId);
    expect(await serverText('bob', bobPrivateId, 'back.txt')).toBe('bob is back\n');
    expect((await api.getStatus({})).libraries.find((library) => library.libraryId === alicePrivateId)?.state.kind).toBe('signed-out');
  });
});

describe('a profile written before accounts', () => {
  it('is migrated on open: its libraries bound to its account, its one token moved to that account', async () => {
    // A real token of bob's, from a login elsewhere.
    const donor = await Engine.open({ home: path.join(harness.base, 'donor'), deviceName: 'old-laptop' });
    await donor.login(harness.server.url, 'bob', PASSWORD);
    const token = (JSON.parse(await readFile(path.join(harness.base, 'donor', 'credentials'), 'utf8')) as { tokens: Record<string, string> }).tokens[donor.account()!.accountId]!;
    await donor.close();

    // The old profile: schema 4, one account in the settings, a bare token in `credentials`.
    const home = path.join(harness.base, 'old-profile');
    await mkdir(home, { recursive: true });
    const db = new Database(path.join(home, 'index.sqlite'));
    migrate(db, MIGRATIONS.slice(0, 4));
    const setting = db.prepare('INSERT INTO settings (key, value) VALUES (?, ?)');
    setting.run('serverUrl', harness.server.url);
    setting.run('userName', 'bob');
    setting.run('deviceId', 'old-device');
    setting.run('librariesAccount', JSON.stringify({ serverUrl: harness.server.url, user: 'bob' }));
    const folder = path.join(harness.base, 'old-folder');
    await mkdir(folder);
    db.prepare(
      "INSERT INTO libraries (library_id, name, local_root, chunk_algorithm, chunk_min, chunk_avg, chunk_max) VALUES (?, 'BobPrivate', ?, 'fastcdc', 1024, 4096, 16384)",
    ).run(bobPrivateId, folder);
    db.close();
    await writeFile(path.join(home, 'credentials'), `${token}\n`, { mode: 0o600 });
    await chmod(path.join(home, 'credentials'), 0o600);

    const engine = await Engine.open({ home, deviceName: 'old-laptop' });
    try {
      const [account, ...others] = engine.accounts();
      expect(others).toEqual([]);
      expect(account).toMatchObject({ user: 'bob', serverUrl: harness.server.url, deviceId: 'old-device', signedIn: true });
      expect(engine.libraries()[0]?.accountId).toBe(account!.accountId);
      const stored = JSON.parse(await readFile(path.join(home, 'credentials'), 'utf8')) as { tokens: Record<string, string> };
      expect(stored.tokens).toEqual({ [account!.accountId]: token });
      await writeFile(path.join(folder, 'after-migration.txt'), 'still bob\n');
      const [summary] = await engine.syncNow();
      expect(summary?.outcome).toBe('synced');
    } finally {
      await engine.close();
    }
    // Opening again changes nothing (the migration and the token move are done once).
    const again = await Engine.open({ home, deviceName: 'old-laptop' });
    try {
      expect(again.accounts().map((account) => [account.user, account.signedIn])).toEqual([['bob', true]]);
    } finally {
      await again.close();
    }
    expect(await serverText('bob', bobPrivateId, 'after-migration.txt')).toBe('still bob\n');
  });
});
