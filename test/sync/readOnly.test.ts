// A read-only library keeps downloading: local changes in it stay on disk, are listed as
// problems naming each file and are never uploaded; a later server change to such a file keeps
// the local edit as a conflict copy that is not uploaded either. The same when write access is
// taken away while a round runs, and everything goes up once write access returns.

import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { routes } from '../../shared/protocol/index.js';
import { Engine } from '../../src-main/engine/engine.js';
import type { ServerClient } from '../../src-main/engine/remote/serverClient.js';
import type { RoundSummary } from '../../src-main/engine/sync/roundSummary.js';
import { PASSWORD, readTree, startHarness } from './harness.js';
import type { Harness, TestClient } from './harness.js';

let harness: Harness;
let alice: TestClient;
let bob: Engine;
let bobRoot: string;

async function setBobRole(role: 'ro' | 'rw'): Promise<void> {
  await (await alice.engine.server()).call(routes.setMember, { params: { libraryId: alice.libraryId, userName: 'bob' }, body: { role } });
}

async function bobSync(wrapClient?: (client: ServerClient) => ServerClient): Promise<RoundSummary> {
  const [summary] = await bob.syncNow(wrapClient === undefined ? {} : { wrapClient });
  return summary!;
}

function bobProblems(): { path: string; kind: string; message: string }[] {
  return bob
    .problems(alice.libraryId)
    .map(({ path: problemPath, kind, message }) => ({ path: problemPath, kind, message }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** The library's files on the server, through alice's own folder. */
async function serverTree(): Promise<Record<string, string>> {
  await alice.sync();
  return alice.tree();
}

beforeEach(async () => {
  harness = await startHarness();
  await harness.addUser('bob');
  alice = await harness.client('alice', { user: 'alice', libraryName: 'Shared' });
  await alice.write('a.txt', 'a from alice\n');
  await alice.write('c.txt', 'c from alice\n');
  await alice.write('d.txt', 'd from alice\n');
  await alice.sync();
  await setBobRole('ro');
  bob = await Engine.open({ home: path.join(harness.base, 'home-bob'), deviceName: 'bob-pc' });
  await bob.login(harness.server.url, 'bob', PASSWORD);
  bobRoot = path.join(harness.base, 'folder-bob');
  await mkdir(bobRoot, { recursive: true });
  await bob.addSync(alice.libraryId, bobRoot);
  expect((await bobSync()).outcome).toBe('synced');
});
afterEach(async () => {
  await bob.close();
  await harness.stop();
});

describe('a read-only library', () => {
  it('keeps downloading while local changes stay here, listed one by one, never uploaded', async () => {
    const library = bob.library(alice.libraryId)!;
    expect([library.role, library.owner]).toEqual(['ro', 'alice']);
    await writeFile(path.join(bobRoot, 'a.txt'), 'a edited by bob\n');
    await writeFile(path.join(bobRoot, 'new.txt'), 'new from bob\n');
    await rm(path.join(bobRoot, 'd.txt'));
    await alice.write('b.txt', 'b from alice\n');
    await alice.write('c.txt', 'c edited by alice\n');
    await alice.sync();

    const summary = await bobSync();
    expect(summary.outcome).toBe('synced');
    expect(summary.error).toBeNull();
    expect(await readTree(bobRoot)).toEqual({
      'a.txt': 'a edited by bob\n',
      'b.txt': 'b from alice\n',
      'c.txt': 'c edited by alice\n',
      'new.txt': 'new from bob\n',
    });
    expect(bobProblems()).toEqual([
      { path: 'a.txt', kind: 'read-only', message: expect.stringContaining('a.txt: changed here, but this library is read-only: not uploaded') },
      { path: 'd.txt', kind: 'read-only', message: expect.stringContaining('deleted here, but this library is read-only') },
      { path: 'new.txt', kind: 'read-only', message: expect.stringContaining('added here, but this library is read-only') },
    ]);
    expect(await serverTree()).toEqual({ 'a.txt': 'a from alice\n', 'b.txt': 'b from alice\n', 'c.txt': 'c edited by alice\n', 'd.txt': 'd from alice\n' });

    // Another round changes nothing and says the same.
    expect((await bobSync()).outcome).toBe('synced');
    expect(bobProblems().map((problem) => problem.path)).toEqual(['a.txt', 'd.txt', 'new.txt']);

    // The owner changes the file bob edited: bob gets it, his edit stays as a conflict copy,
    // on this computer only.
    await alice.write('a.txt', 'a edited again by alice\n');
    await alice.sync();
    expect((await bobSync()).outcome).toBe('synced');
    const tree = await readTree(bobRoot);
    expect(tree['a.txt']).toBe('a edited again by alice\n');
    const copies = Object.keys(tree).filter((name) => name.startsWith('a (conflict'));
    expect(copies).toHaveLength(1);
    expect(tree[copies[0]!]).toBe('a edited by bob\n');
    expect(bobProblems().map((problem) => problem.path)).toEqual([copies[0], 'd.txt', 'new.txt']);
    expect(bob.openConflicts(alice.libraryId).map((conflict) => conflict.path)).toEqual(['a.txt']);
    expect(Object.keys(await serverTree()).sort()).toEqual(['a.txt', 'b.txt', 'c.txt', 'd.txt']);

    // Write access returns: what was kept here goes up.
    await setBobRole('rw');
    expect((await bobSync()).outcome).toBe('synced');
    expect(bobProblems()).toEqual([]);
    const server = await serverTree();
    expect(server[copies[0]!]).toBe('a edited by bob\n');
    expect(server['new.txt']).toBe('new from bob\n');
    expect(server['d.txt']).toBeUndefined();
  });

  it('handles write access taken away while a round uploads', async () => {
    await setBobRole('rw');
    await writeFile(path.join(bobRoot, 'a.txt'), 'a edited by bob while allowed\n');
    let revoked = false;
    // Between bob's plan and his commit, alice makes him read-only.
    const revokeBeforeCommit = (client: ServerClient): ServerClient =>
      new Proxy(client, {
        get(target, property, receiver) {
          if (property === 'call') {
            return async (route: unknown, options: unknown) => {
              if (route === routes.commit && !revoked) {
                revoked = true;
                await setBobRole('ro');
              }
              return (target.call as (route: unknown, options: unknown) => Promise<unknown>)(route, options);
            };
          }
          const value: unknown = Reflect.get(target, property, receiver);
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      });
    const summary = await bobSync(revokeBeforeCommit);
    expect(revoked).toBe(true);
    expect(summary.outcome).toBe('synced');
    expect(await readFile(path.join(bobRoot, 'a.txt'), 'utf8')).toBe('a edited by bob while allowed\n');
    expect(bobProblems()).toEqual([{ path: 'a.txt', kind: 'read-only', message: expect.stringContaining('changed here, but this library is read-only: not uploaded') }]);
    expect(bob.library(alice.libraryId)?.role).toBe('ro');
    expect((await serverTree())['a.txt']).toBe('a from alice\n');
  });
});
