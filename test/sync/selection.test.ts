// Selective sync, ignore rules and the circuit breakers, with real clients and a real server.

import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHarness } from './harness.js';
import type { Harness } from './harness.js';

let harness: Harness;
beforeEach(async () => {
  harness = await startHarness();
});
afterEach(async () => {
  await harness.stop();
});

describe('selective sync', () => {
  it('downloads only the selected folders and uploads nothing from the others', async () => {
    const alice = await harness.client('alice');
    await alice.write('docs/a.txt', 'a');
    await alice.write('docs/deep/b.txt', 'b');
    await alice.write('photos/p.jpg', 'jpeg');
    await alice.write('top.txt', 'top');
    await alice.sync();
    const bob = await harness.client('bob', { only: ['docs'] });
    await bob.write('photos/local-only.jpg', 'mine');
    const round = await bob.sync();
    expect(Object.keys(await bob.tree())).toEqual(['docs/', 'docs/a.txt', 'docs/deep/', 'docs/deep/b.txt', 'photos/', 'photos/local-only.jpg']);
    expect(round.problems.map((problem) => [problem.path, problem.kind])).toEqual([['photos/local-only.jpg', 'unselected-kept']]);
    await alice.sync();
    expect(await alice.exists('photos/local-only.jpg')).toBe(false);
  });

  it('deselecting a folder frees the disk of synced files but keeps unsynced changes', async () => {
    const alice = await harness.client('alice');
    await alice.write('keep/k.txt', 'k');
    await alice.write('drop/synced.txt', 'synced');
    await alice.write('drop/edited.txt', 'original');
    await alice.sync();
    const bob = await harness.client('bob');
    await bob.sync();
    await bob.write('drop/edited.txt', 'edited on bob, not yet synced');
    await bob.write('drop/new.txt', 'new on bob, not yet synced');
    bob.engine.select(bob.root, ['keep']);
    const round = await bob.sync();
    const tree = await bob.tree();
    expect(tree['drop/synced.txt']).toBeUndefined();
    expect(tree['drop/edited.txt']).toBe('edited on bob, not yet synced');
    expect(tree['drop/new.txt']).toBe('new on bob, not yet synced');
    expect(round.problems.map((problem) => problem.path).sort()).toEqual(['drop/edited.txt', 'drop/new.txt']);
    // Nothing was deleted on the server by deselecting.
    await alice.sync();
    expect(await alice.read('drop/synced.txt')).toBe('synced');
    expect(await alice.read('drop/edited.txt')).toBe('original');
    // Selecting it again uploads the kept edit as an edit, and brings the rest back.
    bob.engine.select(bob.root, []);
    await bob.sync();
    await alice.sync();
    expect(await alice.read('drop/edited.txt')).toBe('edited on bob, not yet synced');
    expect(await bob.read('drop/synced.txt')).toBe('synced');
  });
});

describe('ignore rules', () => {
  it('never uploads, downloads or deletes ignored files', async () => {
    const alice = await harness.client('alice');
    const bob = await harness.client('bob');
    await alice.write('.cairnignore', '*.log\nbuild/\n');
    await alice.write('app.log', 'log');
    await alice.write('build/out.js', 'out');
    await alice.write('src/main.ts', 'code');
    await alice.write('~$report.docx', 'office lock');
    await alice.write('.DS_Store', 'finder');
    await alice.sync();
    await bob.sync();
    expect(Object.keys(await bob.tree())).toEqual(['.cairnignore', 'src/', 'src/main.ts']);
    // bob has his own ignored file; alice deleting nothing must not touch it.
    await bob.write('debug.log', 'bob log');
    await bob.sync();
    await rm(path.join(alice.root, 'src/main.ts'));
    await alice.sync();
    await bob.sync();
    expect(await bob.read('debug.log')).toBe('bob log');
    expect(await alice.exists('debug.log')).toBe(false);
  });
});

describe('circuit breakers', () => {
  it('pauses when the library folder is missing, and deletes nothing', async () => {
    const alice = await harness.client('alice');
    const bob = await harness.client('bob');
    await alice.write('a.txt', 'a');
    await alice.sync();
    await bob.sync();
    await rename(alice.root, `${alice.root}-unmounted`);
    const round = await alice.syncRaw();
    expect(round.outcome).toBe('paused');
    expect(round.pauseReason).toBe('root-missing');
    await bob.sync();
    expect(await bob.read('a.txt')).toBe('a');
    expect(alice.engine.libraries()[0]?.pause).not.toBeNull();
  });

  it('pauses when the folder was emptied, and deletes nothing', async () => {
    const alice = await harness.client('alice');
    const bob = await harness.client('bob');
    for (let i = 0; i < 12; i++) await alice.write(`f${i}.txt`, `file ${i}`);
    await alice.sync();
    await bob.sync();
    await rm(alice.root, { recursive: true });
    await mkdir(alice.root);
    const round = await alice.syncRaw();
    expect([round.outcome, round.pauseReason]).toEqual(['paused', 'root-emptied']);
    await bob.sync();
    expect(Object.keys(await bob.tree())).toHaveLength(12);
  });

  it('pauses a round that would delete more than the threshold', async () => {
    const alice = await harness.client('alice', { maxDeletes: 5 });
    const bob = await harness.client('bob');
    for (let i = 0; i < 10; i++) await alice.write(`f${i}.txt`, `file ${i}`);
    await alice.write('keep.txt', 'keep');
    await alice.sync();
    await bob.sync();
    for (let i = 0; i < 10; i++) await rm(path.join(alice.root, `f${i}.txt`));
    const round = await alice.syncRaw();
    expect([round.outcome, round.pauseReason]).toEqual(['paused', 'mass-delete']);
    await bob.sync();
    expect(Object.keys(await bob.tree())).toHaveLength(11);
    // Deletes below the threshold go through.
    await writeFile(path.join(bob.root, 'extra.txt'), 'x');
    await rm(path.join(bob.root, 'keep.txt'));
    const small = await bob.sync();
    expect([small.deletedRemote, small.uploadedFiles]).toEqual([1, 1]);
    // Resuming is the user's confirmation: the deletions go ahead, once.
    alice.engine.setPaused(alice.root, false);
    const confirmed = await alice.sync();
    expect(confirmed.deletedRemote).toBe(10);
    await bob.sync();
    expect(Object.keys(await bob.tree())).toEqual(['extra.txt']);
    expect(alice.engine.libraries()[0]?.breakerOverride).toBeNull();
  });

  it('goes ahead with an emptied folder once the user resumes', async () => {
    const alice = await harness.client('alice');
    const bob = await harness.client('bob');
    for (let i = 0; i < 12; i++) await alice.write(`f${i}.txt`, `file ${i}`);
    await alice.sync();
    await bob.sync();
    for (let i = 0; i < 12; i++) await rm(path.join(alice.root, `f${i}.txt`));
    expect((await alice.syncRaw()).pauseReason).toBe('root-emptied');
    alice.engine.setPaused(alice.root, false);
    expect((await alice.sync()).deletedRemote).toBe(12);
    await bob.sync();
    expect(await bob.tree()).toEqual({});
  });
});
