// A round of local changes to a settled library plans from the neighbourhood of what its scan
// changed (src-main/engine/sync/planNeighbourhood.ts), and a round that pulls another device's
// changes into a settled library from the neighbourhood of what it pulled: it reads the synced
// and remote entries of those paths, never the whole states, and syncs exactly what a whole plan
// would. A change of the ignore rules, which decide for every path, plans from the whole states.

import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Index } from '../../src-main/engine/indexStore/index.js';
import { startHarness } from './harness.js';
import type { Harness, TestClient } from './harness.js';

/** Counts the whole-state loads of the synced and remote states by the client's engine. */
function countWholeLoads(client: TestClient): { loads: number } {
  const index = (client.engine as unknown as { readonly index: Index }).index;
  const counter = { loads: 0 };
  for (const table of [index.synced, index.remote] as const) {
    const load = table.load.bind(table);
    table.load = ((...args: Parameters<typeof load>) => {
      counter.loads += 1;
      return load(...args);
    }) as typeof table.load;
  }
  return counter;
}

describe('planning the neighbourhood of local changes', () => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness();
  });
  afterEach(async () => {
    await harness.stop();
  });

  it('reads no whole state for edits, a folder rename, a delete and a new folder, on either side, and syncs them all', async () => {
    const alice = await harness.client('alice');
    const bob = await harness.client('bob');
    // Enough files that the changes below are a small part of the library.
    for (let folder = 0; folder < 8; folder++) {
      for (let file = 0; file < 20; file++) await alice.write(`f${folder}/file${file}.txt`, `folder ${folder} file ${file}`);
    }
    expect((await alice.sync()).uploadedFiles).toBe(160);
    expect((await bob.sync()).downloadedFiles).toBe(160);

    const counter = countWholeLoads(alice);
    await alice.write('f0/file1.txt', 'edited');
    await alice.write('f2/file7.txt', 'edited too');
    await rename(path.join(alice.root, 'f1'), path.join(alice.root, 'f1-renamed'));
    await rm(path.join(alice.root, 'f3/file3.txt'));
    await alice.write('new/deeper/file.txt', 'new');
    const round = await alice.sync();
    expect(round.uploadedFiles).toBe(3);
    expect(round.movedRemote).toBe(1);
    expect(round.deletedRemote).toBe(1);
    expect(counter.loads).toBe(0);

    // The other side: a settled library that pulls those changes reads no whole state either.
    const bobCounter = countWholeLoads(bob);
    const down = await bob.sync();
    expect(down.downloadedFiles).toBe(3);
    expect(down.movedLocal).toBe(1);
    expect(down.deletedLocal).toBe(1);
    expect(bobCounter.loads).toBe(0);
    expect(await bob.tree()).toEqual(await alice.tree());
    expect(await bob.read('f1-renamed/file4.txt')).toBe('folder 1 file 4');
    const again = await alice.sync();
    expect(again.uploadedFiles + again.downloadedFiles + again.movedRemote + again.deletedRemote).toBe(0);
  });

  it('plans the whole states when the ignore rules change', async () => {
    const alice = await harness.client('alice');
    for (let file = 0; file < 10; file++) await alice.write(`docs/file${file}.txt`, `file ${file}`);
    await alice.sync();
    const counter = countWholeLoads(alice);
    await alice.write('.cairnignore', '*.log\n');
    await alice.write('docs/new.txt', 'new');
    const round = await alice.sync();
    expect(round.uploadedFiles).toBe(2);
    expect(counter.loads).toBeGreaterThan(0);
  });
});
