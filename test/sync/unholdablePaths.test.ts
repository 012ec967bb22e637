// A path another device could create but this disk cannot hold (here: too long once the local
// folder's own path is put in front of it) is a problem of that path, never of the round:
// it was thrown as a bug (ENAMETOOLONG) every round, and nothing after it synced.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LibraryPath } from '../../shared/paths.js';
import { routes } from '../../shared/protocol/index.js';
import { chunkIdOf, contentHashOf } from '../../shared/node/contentHash.js';
import { startHarness } from './harness.js';
import type { Harness } from './harness.js';

let harness: Harness;
beforeEach(async () => {
  harness = await startHarness();
});
afterEach(async () => {
  await harness.stop();
});

describe('paths this disk cannot hold', () => {
  it('are reported as problems while everything else syncs', async () => {
    const alice = await harness.client('alice');
    const bob = await harness.client('bob');
    await alice.write('before.txt', 'synced before');
    await alice.sync();
    await bob.sync();

    // 16 folders of 252 bytes: a valid library path of about 4,050 bytes, which no folder of
    // this machine can hold below its own path (PATH_MAX is 4,096 on Linux).
    const deep = Array.from({ length: 16 }, (_, index) => `${String(index).padStart(2, '0')}${'d'.repeat(250)}`).join('/');
    const deepFile = `${deep}/f.txt` as LibraryPath;
    const bytes = Buffer.from('deep content');
    const chunk = { id: chunkIdOf(bytes), size: bytes.length };
    const server = await alice.engine.server();
    await server.uploadChunks(bob.libraryId, [{ id: chunk.id, bytes }]);
    await server.call(routes.commit, {
      params: { libraryId: bob.libraryId },
      body: { changes: [{ op: 'put', path: deepFile, baseRev: null, size: bytes.length, mtimeMs: Date.now(), executable: false, chunks: [chunk], contentHash: contentHashOf([chunk]) }] },
    });
    await alice.write('after.txt', 'committed after it');
    await alice.sync();

    const round = await bob.syncRaw();
    expect(round.outcome).toBe('synced');
    expect(await bob.read('after.txt')).toBe('committed after it');
    const problems = round.problems.filter((problem) => problem.kind === 'illegal-local-name');
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]?.message).toMatch(/ENAMETOOLONG/);
    // Honest: the library keeps it as an open problem, and the next round says so again.
    const open = () => bob.withIndex((index) => index.problems.list(bob.libraryId).filter((problem) => problem.kind === 'illegal-local-name'));
    expect(open().map((problem) => problem.message)).toEqual(expect.arrayContaining([expect.stringMatching(/ENAMETOOLONG/)]));
    const again = await bob.syncRaw();
    expect(again.outcome).toBe('synced');
    expect(again.problems.some((problem) => problem.kind === 'illegal-local-name')).toBe(true);
    expect(open().length).toBeGreaterThan(0);
  });
});
