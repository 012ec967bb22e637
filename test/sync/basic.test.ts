// Two or three clients against a real server: files and folders created, edited, deleted,
// renamed and moved on one side arrive on the other.

import { chmod, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeEachBackend, harnessPerTest } from './backends.js';
import type { Harness } from './harness.js';

let harness: Harness;

describeEachBackend((backend) => {
  harnessPerTest(backend, (started) => {
    harness = started;
  });

  describe('two clients', () => {
    it('propagates created files and folders, empty files, unicode names and binary content', async () => {
      const alice = await harness.client('alice');
      const bob = await harness.client('bob');
      await alice.write('notes.txt', 'hello');
      await alice.write('empty.txt', '');
      await alice.write('Fotos/Ürlaub 2026/写真.txt', 'unicode');
      await mkdir(path.join(alice.root, 'empty folder'));
      const binary = new Uint8Array(200_000).map((_, i) => (i * 7919) % 251);
      await alice.write('data.bin', binary);
      const up = await alice.sync();
      expect(up.uploadedFiles).toBe(4);
      const down = await bob.sync();
      expect(down.downloadedFiles).toBe(4);
      expect(await bob.tree()).toEqual(await alice.tree());
      expect(new Uint8Array(await (await import('node:fs/promises')).readFile(path.join(bob.root, 'data.bin')))).toEqual(binary);
      // A second round on both sides finds nothing to do.
      const quiet = await alice.sync();
      expect(quiet.uploadedFiles + quiet.downloadedFiles).toBe(0);
    });

    it('propagates edits, deletes and the executable bit', async () => {
      const alice = await harness.client('alice');
      const bob = await harness.client('bob');
      await alice.write('a.txt', 'one');
      await alice.write('b.txt', 'bee');
      await alice.write('run.sh', '#!/bin/sh\necho hi\n');
      await alice.sync();
      await bob.sync();
      await bob.write('a.txt', 'two');
      await rm(path.join(bob.root, 'b.txt'));
      await chmod(path.join(bob.root, 'run.sh'), 0o755);
      await bob.sync();
      await alice.sync();
      expect(await alice.read('a.txt')).toBe('two');
      expect(await alice.exists('b.txt')).toBe(false);
      expect((await stat(path.join(alice.root, 'run.sh'))).mode & 0o100).toBe(0o100);
    });

    it('renames a folder holding many files without uploading their content again', async () => {
      const alice = await harness.client('alice');
      const bob = await harness.client('bob');
      for (let i = 0; i < 200; i++) await alice.write(`project/src/file-${i}.txt`, `content of file ${i} `.repeat(50));
      await alice.sync();
      await bob.sync();
      await rename(path.join(alice.root, 'project'), path.join(alice.root, 'renamed project'));
      const moved = await alice.sync();
      expect(moved.uploadedBytes).toBe(0);
      expect(moved.movedRemote).toBe(1);
      const arrived = await bob.sync();
      expect(arrived.downloadedBytes).toBe(0);
      expect(await bob.tree()).toEqual(await alice.tree());
      expect(await bob.exists('project')).toBe(false);
    });

    it('moves a file between folders', async () => {
      const alice = await harness.client('alice');
      const bob = await harness.client('bob');
      await alice.write('inbox/report.pdf', 'pdf bytes '.repeat(1000));
      await mkdir(path.join(alice.root, 'archive'));
      await alice.sync();
      await bob.sync();
      await rename(path.join(alice.root, 'inbox/report.pdf'), path.join(alice.root, 'archive/report.pdf'));
      const moved = await alice.sync();
      expect(moved.uploadedBytes).toBe(0);
      await bob.sync();
      expect(await bob.tree()).toEqual(await alice.tree());
    });

    it('replaces a file by a folder of the same name', async () => {
      const alice = await harness.client('alice');
      const bob = await harness.client('bob');
      await alice.write('thing', 'a file');
      await alice.sync();
      await bob.sync();
      await rm(path.join(alice.root, 'thing'));
      await alice.write('thing/inside.txt', 'now a folder');
      await alice.sync();
      await bob.sync();
      expect(await bob.tree()).toEqual(await alice.tree());
    });

    it('three clients converge', async () => {
      const clients = [await harness.client('one'), await harness.client('two'), await harness.client('three')];
      for (const [i, client] of clients.entries()) await client.write(`from-${client.name}.txt`, `hello ${i}`);
      for (const client of clients) await client.sync();
      for (const client of clients) await client.sync();
      const trees = await Promise.all(clients.map((client) => client.tree()));
      expect(Object.keys(trees[0]!)).toEqual(['from-one.txt', 'from-three.txt', 'from-two.txt']);
      expect(trees[1]).toEqual(trees[0]);
      expect(trees[2]).toEqual(trees[0]);
    });
  });

  it('writes nothing outside the folder and leaves no temp files', async () => {
    const alice = await harness.client('alice');
    const bob = await harness.client('bob');
    await alice.write('x/y/z.txt', 'deep');
    await alice.sync();
    await bob.sync();
    const tree = await bob.tree();
    expect(Object.keys(tree).filter((name) => name.includes('.cairn-tmp-'))).toEqual([]);
    await writeFile(path.join(bob.root, 'x/y/z.txt'), 'deeper');
    await bob.sync();
    await alice.sync();
    expect(await alice.read('x/y/z.txt')).toBe('deeper');
  });

  describe('rounds limited to what changed', () => {
    it('scans only the given paths, and nothing for a remote-only round', async () => {
      const alice = await harness.client('alice');
      const bob = await harness.client('bob');
      await alice.write('a.txt', 'a');
      await alice.write('b.txt', 'b');
      await alice.sync();
      await bob.sync();
      await alice.write('a.txt', 'a2');
      await alice.write('b.txt', 'b2');
      const [scoped] = await alice.engine.syncNow({ scope: ['a.txt' as never] });
      expect(scoped?.uploadedFiles).toBe(1);
      // bob pulls without scanning his folder.
      await bob.write('unscanned.txt', 'not seen by a remote-only round');
      const [remoteOnly] = await bob.engine.syncNow({ scope: [] });
      expect([remoteOnly?.downloadedFiles, remoteOnly?.uploadedFiles]).toEqual([1, 0]);
      expect(await bob.read('a.txt')).toBe('a2');
      expect(await bob.read('b.txt')).toBe('b');
      // A full round catches up with everything.
      await alice.sync();
      await bob.sync();
      expect(await bob.read('b.txt')).toBe('b2');
      await alice.sync();
      expect(await alice.read('unscanned.txt')).toBe('not seen by a remote-only round');
    });
  });
});
