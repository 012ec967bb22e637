// Chunks the server loses between their upload and the commit that names them (its collector
// unlinked them: a short grace allows it, and the scale-out collector with no grace does it
// while clients sync). The commit is refused with missing-chunks; the round sends them again
// and commits, however many of its commits in a row are refused, up to a bound that stops a
// round from looping. Nothing is committed naming a chunk the server lacks.

import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dataPaths } from '../../src-server/server.js';
import { beforeCommits, startHarness } from './harness.js';
import type { Harness, TestClient } from './harness.js';

/** Unlinks from the library every chunk uploaded since this was made, as a collector with no grace does. */
function collectorWithoutGrace(harness: Harness, client: TestClient): { run: () => Promise<number>; close: () => void } {
  const db = new Database(dataPaths(harness.dataDir).metadata);
  db.pragma('busy_timeout = 5000');
  const kept = new Set((db.prepare('SELECT hex(chunk_id) FROM library_chunks WHERE library_id = ?').pluck().all(client.libraryId) as string[]).map((id) => id.toLowerCase()));
  const linked = db.prepare('SELECT hex(chunk_id) FROM library_chunks WHERE library_id = ?').pluck();
  const unlink = db.prepare('DELETE FROM library_chunks WHERE library_id = ? AND chunk_id = ?');
  return {
    run: async () => {
      let removed = 0;
      for (const id of linked.all(client.libraryId) as string[]) {
        if (kept.has(id.toLowerCase())) continue;
        removed += unlink.run(client.libraryId, Buffer.from(id, 'hex')).changes;
      }
      return removed;
    },
    close: () => db.close(),
  };
}

/** Two devices on one library that holds a file, and the collector of what alice uploads from now on. */
async function syncedPair(harness: Harness): Promise<{ alice: TestClient; bob: TestClient; collector: ReturnType<typeof collectorWithoutGrace> }> {
  const alice = await harness.client('alice');
  const bob = await harness.client('bob');
  await alice.write('first.txt', 'there before');
  expect((await alice.sync()).outcome).toBe('synced');
  return { alice, bob, collector: collectorWithoutGrace(harness, alice) };
}

const CONTENT = Array.from({ length: 3000 }, (_, line) => `line ${line} of a file whose chunks go missing\n`).join('');

describe('chunks lost between upload and commit', () => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness();
  });
  afterEach(async () => {
    await harness.stop();
  });

  it('sends them again and commits, even when three commits in a row lose them', async () => {
    const { alice, bob, collector } = await syncedPair(harness);
    const unlinked: number[] = [];
    try {
      const probe = await beforeCommits(alice, 3, async () => unlinked.push(await collector.run()));
      await alice.write('new.txt', CONTENT);
      await alice.write('docs/other.txt', `${CONTENT}and another ending\n`);
      const round = await alice.syncRaw();
      expect(probe.ran).toBe(3);
      // Every refused commit had lost chunks of this round's uploads.
      expect(unlinked.every((count) => count > 0)).toBe(true);
      expect(round.error).toBeNull();
      expect(round.outcome).toBe('synced');
    } finally {
      collector.close();
    }
    expect((await bob.sync()).outcome).toBe('synced');
    expect(await bob.read('new.txt')).toBe(CONTENT);
    expect(await bob.tree()).toEqual(await alice.tree());
  });

  it('gives the round up when every commit loses them, commits nothing without its chunks, and the next round syncs', async () => {
    const { alice, bob, collector } = await syncedPair(harness);
    let racing = true;
    try {
      const probe = await beforeCommits(alice, Number.POSITIVE_INFINITY, async () => (racing ? collector.run() : 0));
      await alice.write('new.txt', CONTENT);
      const round = await alice.syncRaw();
      expect(round.error?.code).toBe('missing-chunks');
      expect(round.outcome).toBe('error');
      // The first refusal and four more tries, then the round stopped.
      expect(probe.ran).toBe(5);
      expect((await bob.sync()).outcome).toBe('synced');
      expect(await bob.exists('new.txt')).toBe(false);
    } finally {
      racing = false;
      collector.close();
    }
    expect((await alice.sync()).outcome).toBe('synced');
    expect((await bob.sync()).outcome).toBe('synced');
    expect(await bob.read('new.txt')).toBe(CONTENT);
  });
});
