// Every cell of the conflict matrix, with real clients and a real server. The rules: decisions
// come from history, never timestamps; both versions of a conflicting edit survive (the
// server's keeps the name, the local one becomes a conflict copy, uploaded too); edit beats
// delete on either side.

import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeEachBackend, harnessPerTest } from './backends.js';
import type { Harness, TestClient } from './harness.js';

let harness: Harness;
let alice: TestClient;
let bob: TestClient;

const CONFLICT_NAME = /^(.*) \(conflict (\S+) (\d{4}-\d{2}-\d{2} \d{6})\)(\.[^.]*)?$/;

async function bothSynced(first: TestClient, second: TestClient): Promise<void> {
  await first.sync();
  await second.sync();
  await first.sync();
  expect(await second.tree()).toEqual(await first.tree());
}

function conflictCopies(tree: Record<string, string>): string[] {
  return Object.keys(tree).filter((name) => CONFLICT_NAME.test(path.posix.basename(name)));
}

async function start(files: Record<string, string>): Promise<void> {
  for (const [name, content] of Object.entries(files)) await alice.write(name, content);
  await alice.sync();
  await bob.sync();
}

describeEachBackend((backend) => {
  harnessPerTest(backend, async (started) => {
    harness = started;
    alice = await harness.client('alice');
    bob = await harness.client('bob');
  });

  describe('conflict matrix', () => {
    it('edit/edit: the server version keeps the name, the local one becomes a named copy', async () => {
      await start({ 'report.txt': 'base' });
      await alice.write('report.txt', 'alice edit');
      await bob.write('report.txt', 'bob edit');
      await alice.sync();
      const round = await bob.sync();
      expect(round.conflicts).toEqual(['report.txt']);
      const tree = await bob.tree();
      expect(tree['report.txt']).toBe('alice edit');
      const copies = conflictCopies(tree);
      expect(copies).toHaveLength(1);
      const [, stem, device, , extension] = CONFLICT_NAME.exec(copies[0]!)!;
      expect([stem, device, extension]).toEqual(['report', 'bob', '.txt']);
      expect(tree[copies[0]!]).toBe('bob edit');
      await bothSynced(alice, bob);
      expect(bob.engine.conflicts().map((conflict) => conflict.path)).toEqual(['report.txt']);
    });

    it('edit/edit to the same content is not a conflict', async () => {
      await start({ 'same.txt': 'base' });
      await alice.write('same.txt', 'identical');
      await bob.write('same.txt', 'identical');
      await alice.sync();
      const round = await bob.sync();
      expect(round.conflicts).toEqual([]);
      await bothSynced(alice, bob);
      expect(Object.keys(await alice.tree())).toEqual(['same.txt']);
    });

    it('edit here, delete there (edit first): the edit survives', async () => {
      await start({ 'keep.txt': 'base' });
      await alice.write('keep.txt', 'edited');
      await rm(path.join(bob.root, 'keep.txt'));
      await alice.sync();
      await bob.sync();
      await bothSynced(alice, bob);
      expect(await bob.read('keep.txt')).toBe('edited');
    });

    it('delete here, edit there (delete first): the edit survives', async () => {
      await start({ 'keep.txt': 'base' });
      await rm(path.join(alice.root, 'keep.txt'));
      await bob.write('keep.txt', 'edited');
      await alice.sync();
      await bob.sync();
      await bothSynced(alice, bob);
      expect(await alice.read('keep.txt')).toBe('edited');
    });

    it('delete/delete: gone on both sides, no conflict', async () => {
      await start({ 'gone.txt': 'base', 'stay.txt': 'stay' });
      await rm(path.join(alice.root, 'gone.txt'));
      await rm(path.join(bob.root, 'gone.txt'));
      await alice.sync();
      const round = await bob.sync();
      expect(round.conflicts).toEqual([]);
      await bothSynced(alice, bob);
      expect(Object.keys(await alice.tree())).toEqual(['stay.txt']);
    });

    it('create/create with the same content: no conflict', async () => {
      await alice.write('new.txt', 'twins');
      await bob.write('new.txt', 'twins');
      await alice.sync();
      const round = await bob.sync();
      expect(round.conflicts).toEqual([]);
      expect(round.uploadedBytes).toBe(0);
      await bothSynced(alice, bob);
      expect(Object.keys(await bob.tree())).toEqual(['new.txt']);
    });

    it('create/create with different content: conflict copy', async () => {
      await alice.write('new.txt', 'from alice');
      await bob.write('new.txt', 'from bob');
      await alice.sync();
      const round = await bob.sync();
      expect(round.conflicts).toEqual(['new.txt']);
      await bothSynced(alice, bob);
      const tree = await alice.tree();
      expect(tree['new.txt']).toBe('from alice');
      expect(conflictCopies(tree).map((name) => tree[name])).toEqual(['from bob']);
    });

    it('type change: a file replaced by a folder here, edited there; both survive', async () => {
      await start({ 'thing': 'base' });
      await rm(path.join(alice.root, 'thing'));
      await alice.write('thing/inside.txt', 'folder now');
      await bob.write('thing', 'edited file');
      await alice.sync();
      await bob.sync();
      await bothSynced(alice, bob);
      const tree = await alice.tree();
      expect(tree['thing/inside.txt']).toBe('folder now');
      expect(Object.values(tree)).toContain('edited file');
    });

    it('a folder deleted here while a file is added in it there: the new file survives', async () => {
      await start({ 'shared/old.txt': 'old' });
      await rm(path.join(alice.root, 'shared'), { recursive: true });
      await bob.write('shared/new.txt', 'new');
      await alice.sync();
      await bob.sync();
      await bothSynced(alice, bob);
      const tree = await alice.tree();
      expect(tree['shared/new.txt']).toBe('new');
      expect(tree['shared/old.txt']).toBeUndefined();
    });

    it('a folder deleted here while a file in it is edited there: the edit survives', async () => {
      await start({ 'dir/a.txt': 'a', 'dir/b.txt': 'b' });
      await rm(path.join(bob.root, 'dir'), { recursive: true });
      await alice.write('dir/a.txt', 'a edited');
      await bob.sync();
      await alice.sync();
      await bothSynced(alice, bob);
      const tree = await bob.tree();
      expect(tree['dir/a.txt']).toBe('a edited');
      expect(tree['dir/b.txt']).toBeUndefined();
    });

    it('an empty folder created on both sides is one folder', async () => {
      await mkdir(path.join(alice.root, 'box'));
      await mkdir(path.join(bob.root, 'box'));
      await alice.sync();
      const round = await bob.sync();
      expect(round.conflicts).toEqual([]);
      await bothSynced(alice, bob);
      expect(await readdir(bob.root)).toEqual(['box']);
    });
  });
});
