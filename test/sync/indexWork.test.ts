// How a round writes its index: the records of a pass that only touch the index (files found
// equal on both sides after a folder move) are written in one transaction, not one each (each
// transaction of the index is an fsync).

import { rename } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startHarness } from './harness.js';
import type { Harness } from './harness.js';

let harness: Harness;
beforeEach(async () => {
  harness = await startHarness();
});
afterEach(async () => {
  vi.restoreAllMocks();
  await harness.stop();
});

/** Counts the writes to the index that run outside any transaction (each commits on its own). */
function countLoneWrites(): { count: number } {
  const probe = new Database(':memory:');
  const prototype = Object.getPrototypeOf(probe.prepare('SELECT 1')) as { run: (...args: unknown[]) => unknown };
  probe.close();
  const counter = { count: 0 };
  const run = prototype.run;
  vi.spyOn(prototype, 'run').mockImplementation(function (this: { database: { inTransaction: boolean }; source: string }, ...args: unknown[]) {
    if (!this.database.inTransaction && /^\s*(INSERT|UPDATE|DELETE)/i.test(this.source)) counter.count += 1;
    return run.apply(this, args);
  });
  return counter;
}

describe('index work of a round', () => {
  it('records the files below a moved folder in one transaction', async () => {
    const alice = await harness.client('alice');
    const bob = await harness.client('bob');
    const files = 150;
    for (let i = 0; i < files; i++) await alice.write(`photos/${i}.txt`, `photo ${i}`);
    await alice.sync();
    await bob.sync();
    await rename(path.join(alice.root, 'photos'), path.join(alice.root, 'pictures'));
    const writes = countLoneWrites();
    const up = await alice.sync();
    vi.restoreAllMocks();
    expect(up.movedRemote).toBe(1);
    // Before, every file below the moved folder was its own commit of the index.
    expect(writes.count).toBeLessThan(files / 5);
    await bob.sync();
    expect(await bob.tree()).toEqual(await alice.tree());
  });
});
