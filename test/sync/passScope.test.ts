// The end of a round (see src-main/engine/sync/passScope.ts): a pass that leaves everything it
// touched settled ends the round once the pull after it finds only our own commits; otherwise the
// confirming pass scans only what the pass touched. Either way the index ends as a full scan
// would record it, and a change made on disk during the round is found by the next round.

import fs from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { beforeNextCommit, startHarness } from './harness.js';
import type { Harness, TestClient } from './harness.js';

let harness: Harness;
beforeEach(async () => {
  harness = await startHarness();
});
afterEach(async () => {
  vi.restoreAllMocks();
  syncBuiltinESMExports();
  await harness.stop();
});

/** The client's three states as the index holds them, in a comparable form. */
function indexStates(client: TestClient): string {
  return client.withIndex((index) =>
    JSON.stringify({
      local: [...index.local.load(client.libraryId).values()],
      synced: [...index.synced.load(client.libraryId).values()],
      remote: [...index.remote.load(client.libraryId).values()],
    }),
  );
}

/**
 * Asserts that a further full round (a full scan, and a plan) finds nothing to do and records
 * nothing new: the index the last round left equals what a full scan records.
 */
async function expectSettled(client: TestClient): Promise<void> {
  const before = indexStates(client);
  const again = await client.sync();
  expect(again.passes).toBe(1);
  expect(again.uploadedFiles + again.downloadedFiles + again.movedLocal + again.movedRemote + again.deletedLocal + again.deletedRemote).toBe(0);
  expect(indexStates(client)).toBe(before);
}

/** Counts node:fs lstat calls (the scanner's) on paths below `folder`. */
function countLstats(folder: string): { count: number } {
  const counter = { count: 0 };
  const original = fs.lstat as (...args: unknown[]) => unknown;
  vi.spyOn(fs, 'lstat').mockImplementation(((...args: unknown[]) => {
    if (String(args[0]).startsWith(folder)) counter.count += 1;
    return original.apply(fs, args);
  }) as never);
  syncBuiltinESMExports();
  return counter;
}

async function writeMany(client: TestClient, folder: string, count: number): Promise<string[]> {
  const names = Array.from({ length: count }, (_, i) => `${folder}/file ${i}.txt`);
  for (const [i, name] of names.entries()) await client.write(name, `${name} ${i} `.repeat(20 + i));
  return names;
}

describe('the end of a round', () => {
  it('ends an upload and a download after one pass, leaving the index a full scan would record', async () => {
    const alice = await harness.client('alice');
    const bob = await harness.client('bob');
    await writeMany(alice, 'a', 10);
    await writeMany(alice, 'b/c', 10);
    expect((await alice.sync()).passes).toBe(1);
    expect((await bob.sync()).passes).toBe(1);
    await expectSettled(alice);
    await expectSettled(bob);

    // Edits replacing files (a new inode, the folder's time changes), as editors save them.
    for (const name of ['a/file 3.txt', 'a/file 7.txt', 'b/c/file 1.txt']) {
      const file = path.join(alice.root, name);
      await writeFile(`${file}.new`, 'edited\n');
      await rename(`${file}.new`, file);
    }
    // And folders: a new empty one, and a new one holding a file.
    await mkdir(path.join(alice.root, 'empty'));
    await alice.write('fresh/new.txt', 'new\n');
    const up = await alice.sync();
    expect(up.uploadedFiles).toBe(4);
    expect(up.passes).toBe(1);
    const down = await bob.sync();
    expect(down.downloadedFiles).toBe(4);
    expect(await bob.exists('empty')).toBe(true);
    expect(down.passes).toBe(1);
    expect(await bob.tree()).toEqual(await alice.tree());
    await expectSettled(alice);
    await expectSettled(bob);
  });

  it('ends a first sync of many files after one pass on both devices', async () => {
    const alice = await harness.client('alice');
    const bob = await harness.client('bob');
    for (const folder of ['one', 'two/three', 'four']) await writeMany(alice, folder, 100);
    const up = await alice.sync();
    expect(up.uploadedFiles).toBe(300);
    expect(up.passes).toBe(1);
    const down = await bob.sync();
    expect(down.downloadedFiles).toBe(300);
    expect(down.passes).toBe(1);
    expect(await bob.tree()).toEqual(await alice.tree());
    await expectSettled(alice);
    await expectSettled(bob);
  });

  it('ends both rounds of a folder move after one pass, the moved files at the server revs', async () => {
    const alice = await harness.client('alice');
    const bob = await harness.client('bob');
    await writeMany(alice, 'docs/sub', 12);
    await alice.sync();
    await bob.sync();
    await rename(path.join(alice.root, 'docs'), path.join(alice.root, 'papers'));
    const up = await alice.sync();
    expect(up.movedRemote).toBe(1);
    // The moved files' new revs come with the pull after the commit, and are recorded from it.
    expect(up.passes).toBe(1);
    const down = await bob.sync();
    expect(down.movedLocal).toBe(1);
    expect(down.passes).toBe(1);
    expect(await bob.tree()).toEqual(await alice.tree());
    for (const client of [alice, bob]) {
      client.withIndex((index) => {
        for (const entry of index.synced.iterate(client.libraryId)) expect(entry.rev).toBe(index.remote.get(client.libraryId, entry.path)?.rev);
      });
    }
    await expectSettled(alice);
    await expectSettled(bob);
  });

  it('scans only what the pass touched in the confirming pass', async () => {
    const alice = await harness.client('alice');
    const bob = await harness.client('bob');
    await writeMany(alice, 'kept', 30);
    await writeMany(alice, 'edited', 3);
    await alice.sync();
    await bob.sync();
    await alice.write('edited/file 0.txt', 'changed by alice\n');
    await bob.write('edited/file 2.txt', 'changed by bob\n');
    // Bob commits while Alice's round commits: her pull after the pass finds his version.
    const interleaved = await beforeNextCommit(alice, () => bob.sync());
    const lstats = countLstats(path.join(alice.root, 'kept') + path.sep);
    const round = await alice.sync();
    vi.restoreAllMocks();
    syncBuiltinESMExports();
    expect(interleaved.ran).toBe(true);
    expect(round.uploadedFiles).toBe(1);
    expect(round.downloadedFiles).toBe(1);
    expect(round.passes).toBe(2);
    // Once, by the first pass's scan: the second pass looked only at what the first touched.
    expect(lstats.count).toBe(30);
    await bob.sync();
    expect(await bob.tree()).toEqual(await alice.tree());
    await expectSettled(alice);
    await expectSettled(bob);
  });

  it('leaves a change made during the round outside what it touched to the next round', async () => {
    const alice = await harness.client('alice');
    const bob = await harness.client('bob');
    await writeMany(alice, 'a', 3);
    await writeMany(alice, 'b', 3);
    await alice.sync();
    await bob.sync();
    await alice.write('a/file 0.txt', 'changed before the round\n');
    // While the round commits that change, the user edits another file.
    const edited = await beforeNextCommit(alice, () => writeFile(path.join(alice.root, 'b', 'file 1.txt'), 'changed during the round\n'));
    const first = await alice.sync();
    expect(edited.ran).toBe(true);
    expect(first.uploadedFiles).toBe(1);
    const next = await alice.sync();
    expect(next.uploadedFiles).toBe(1);
    await bob.sync();
    expect(await bob.read('b/file 1.txt')).toBe('changed during the round\n');
    expect(await bob.tree()).toEqual(await alice.tree());
    await expectSettled(alice);
    await expectSettled(bob);
  });
});
