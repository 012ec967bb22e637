// File times outside what a commit may carry (1970 to the year 9999). The server refuses them
// now, but a library may hold some from before, and a disk may hold files dated before 1970:
// neither may stop a round or break another client. Regression tests for times of 1e308
// (every other client failed to write the file with EINVAL each round) and for a file dated
// 1960 (its commit was refused, and with it every other change of the round).

import { stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MTIME_LIMITS } from '../../shared/protocol/index.js';
import { startHarness } from './harness.js';
import type { Harness } from './harness.js';

let harness: Harness;
beforeEach(async () => {
  harness = await startHarness();
});
afterEach(async () => {
  await harness.stop();
});

/** Gives stored versions of `libraryPath` a time no commit can carry any more (as an older server accepted). */
function storeTime(dataDir: string, libraryPath: string, mtimeMs: number): void {
  const db = new Database(path.join(dataDir, 'metadata.sqlite'));
  try {
    db.pragma('busy_timeout = 5000');
    const changed = db.prepare('UPDATE versions SET mtime_ms = ? WHERE path = ?').run(mtimeMs, libraryPath).changes;
    expect(changed).toBeGreaterThan(0);
  } finally {
    db.close();
  }
}

describe('file times out of range', () => {
  for (const testCase of [
    { name: '1e308', mtimeMs: 1e308, expected: MTIME_LIMITS.maxMs },
    { name: '-1e308', mtimeMs: -1e308, expected: MTIME_LIMITS.minMs },
    { name: 'one past the largest Date', mtimeMs: 8.64e15 + 1, expected: MTIME_LIMITS.maxMs },
  ]) {
    it(`a version stored with mtimeMs ${testCase.name} is written within range, and the rest of the library syncs`, async () => {
      const alice = await harness.client('alice');
      const bob = await harness.client('bob');
      await alice.write('odd.txt', 'odd time');
      await alice.sync();
      storeTime(harness.dataDir, 'odd.txt', testCase.mtimeMs);
      await alice.write('later.txt', 'committed after it');
      await alice.sync();

      await bob.sync();
      expect(await bob.tree()).toEqual({ 'later.txt': 'committed after it', 'odd.txt': 'odd time' });
      const written = (await stat(path.join(bob.root, 'odd.txt'))).mtimeMs;
      // The disk may hold less than the year 9999 (ext4 stops in 2446, some in 2038): the
      // kernel keeps the latest time it can.
      if (testCase.expected === MTIME_LIMITS.minMs) expect(written).toBe(0);
      else expect(written).toBeGreaterThan(Date.UTC(2038, 0, 1));
      // A later round is quiet: the file is recorded as synced, not downloaded again.
      const again = await bob.sync();
      expect(again.downloadedFiles + again.uploadedFiles).toBe(0);
    });
  }

  it('a local file dated before 1970 is committed as 1970, together with the other changes', async () => {
    const alice = await harness.client('alice');
    const bob = await harness.client('bob');
    await alice.write('old.txt', 'from 1960');
    await utimes(path.join(alice.root, 'old.txt'), new Date(), new Date(Date.UTC(1960, 0, 1)));
    await alice.write('new.txt', 'from now');
    const up = await alice.sync();
    expect(up.uploadedFiles).toBe(2);
    await bob.sync();
    expect(await bob.tree()).toEqual({ 'new.txt': 'from now', 'old.txt': 'from 1960' });
    expect((await stat(path.join(bob.root, 'old.txt'))).mtimeMs).toBe(0);
    // The local file keeps its own time, and is not uploaded again for the difference.
    expect((await stat(path.join(alice.root, 'old.txt'))).mtimeMs).toBe(Date.UTC(1960, 0, 1));
    const again = await alice.sync();
    expect(again.uploadedFiles + again.downloadedFiles).toBe(0);
  });
});
