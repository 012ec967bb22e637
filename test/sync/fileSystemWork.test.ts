// How much file-system work a download costs: each folder is checked once per round (not once
// per file written into it), the files of a group share their folders' fsyncs, a path 300
// folders deep costs a number of calls linear in its depth, and a large file read after small
// ones travels in a few requests. The calls are counted on node:fs, which the engine's write
// paths call through (localfs/fsCalls.ts); the server in this process uses fs/promises, which
// these spies do not see.

import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ServerClient } from '../../src-main/engine/remote/serverClient.js';
import { startHarness } from './harness.js';
import type { Harness } from './harness.js';

let harness: Harness;
beforeEach(async () => {
  harness = await startHarness();
});
afterEach(async () => {
  vi.restoreAllMocks();
  syncBuiltinESMExports();
  await harness.stop();
});

/**
 * Counts, per path, the opens through node:fs/promises and node:fs's openSync (what the
 * scanner and the uploader read with: small files are read with synchronous calls).
 */
function countReadOpens(): Map<string, number> {
  const opens = new Map<string, number>();
  const original = fs.promises.open;
  vi.spyOn(fs.promises, 'open').mockImplementation(((file: fs.PathLike, ...rest: unknown[]) => {
    opens.set(String(file), (opens.get(String(file)) ?? 0) + 1);
    return (original as (...args: unknown[]) => unknown)(file, ...rest);
  }) as never);
  const originalSync = fs.openSync;
  vi.spyOn(fs, 'openSync').mockImplementation(((file: fs.PathLike, ...rest: unknown[]) => {
    opens.set(String(file), (opens.get(String(file)) ?? 0) + 1);
    return (originalSync as (...args: unknown[]) => number)(file, ...rest);
  }) as never);
  syncBuiltinESMExports();
  return opens;
}

/** Counts the calls of these node:fs functions from now on. */
function countCalls<Name extends 'lstat' | 'mkdir' | 'fsync' | 'open'>(...names: Name[]): Record<Name, number> {
  const counts = Object.fromEntries(names.map((name) => [name, 0])) as Record<Name, number>;
  for (const name of names) {
    const original = fs[name] as (...args: unknown[]) => unknown;
    vi.spyOn(fs, name).mockImplementation(((...args: unknown[]) => {
      counts[name] += 1;
      return original.apply(fs, args);
    }) as never);
  }
  return counts;
}

describe('file-system work of an upload', () => {
  it('reads each new small file once: the upload sends the bytes the scan read', async () => {
    const alice = await harness.client('alice');
    const bob = await harness.client('bob');
    const names = Array.from({ length: 40 }, (_, i) => `notes/note ${i}.txt`);
    for (const [i, name] of names.entries()) await alice.write(name, `note ${i} `.repeat(200 + i));
    const opens = countReadOpens();
    const up = await alice.sync();
    vi.restoreAllMocks();
    syncBuiltinESMExports();
    expect(up.uploadedFiles).toBe(names.length);
    const openedFiles = [...opens].filter(([file]) => file.startsWith(alice.root) && file.includes('note '));
    expect(openedFiles).toHaveLength(names.length);
    // Before, each was opened by the scan and again by the upload.
    for (const [, count] of openedFiles) expect(count).toBe(1);
    await bob.sync();
    expect(await bob.tree()).toEqual(await alice.tree());
  });
});

describe('file-system work of a download', () => {
  it('checks and fsyncs each folder once for a group of small files', async () => {
    const alice = await harness.client('alice');
    const bob = await harness.client('bob');
    const folders = ['a', 'b', 'c/d', 'c/e', 'f'];
    const filesPerFolder = 60;
    for (const folder of folders) {
      for (let i = 0; i < filesPerFolder; i++) await alice.write(`${folder}/file ${i}.txt`, `${folder} ${i} `.repeat(i + 1));
    }
    await alice.sync();
    const counts = countCalls('lstat', 'mkdir', 'fsync');
    const down = await bob.sync();
    vi.restoreAllMocks();
    const files = folders.length * filesPerFolder;
    expect(down.downloadedFiles).toBe(files);
    expect(await bob.tree()).toEqual(await alice.tree());
    // Each folder (6, with 'c') is created once and checked a few times in the round; before,
    // every file walked its ancestors before and after its write and ran mkdir on each.
    expect(counts.mkdir).toBe(6);
    expect(counts.lstat).toBeLessThan(files / 4);
    // One fsync per file, and its folder's fsync is shared with the folder's other files.
    expect(counts.fsync).toBeGreaterThanOrEqual(files);
    expect(counts.fsync).toBeLessThan(files + 20);
  });

  it('syncs a file 300 folders deep with file-system work linear in the depth', async () => {
    const depth = 300;
    const alice = await harness.client('alice');
    const bob = await harness.client('bob');
    const deep = Array.from({ length: depth }, (_, i) => `d${i % 10}`).join('/');
    await alice.write(`${deep}/deep.txt`, 'at the bottom');
    await alice.sync();
    const counts = countCalls('lstat', 'mkdir');
    const down = await bob.sync();
    vi.restoreAllMocks();
    expect(down.downloadedFiles).toBe(1);
    expect(down.foldersCreated).toBe(depth);
    expect(await bob.read(`${deep}/deep.txt`)).toBe('at the bottom');
    // Each level: a look at its parent, an lstat, a mkdir and an lstat; a few more for the
    // file. Checking every ancestor for every folder made it depth^2 / 2 = 45,000.
    expect(counts.mkdir).toBe(depth);
    expect(counts.lstat).toBeLessThan(4 * depth);
  });

  it('fetches a large file that follows small ones in a few requests, not one per chunk', async () => {
    const alice = await harness.client('alice');
    const bob = await harness.client('bob');
    // Path order interleaves small and large files; small ones are written first, in groups.
    const large = new Uint8Array(9 * 1024 * 1024).map((_, i) => (i * 2654435761) >>> 24);
    for (const name of ['a', 'c', 'e']) await alice.write(`${name}/small.txt`, `small ${name}`);
    await alice.write('b/large.bin', large);
    await alice.write('d/large.bin', large.map((byte) => byte ^ 0x5a));
    await alice.sync();
    const requests = vi.spyOn(ServerClient.prototype, 'downloadChunks');
    const down = await bob.sync();
    expect(down.downloadedFiles).toBe(5);
    // 2 x 9 MiB in chunks of about 8 KiB: over 2,000 chunks. In windows of 8 MiB: a few
    // requests a file, and one for the group of small files.
    expect(requests.mock.calls.length).toBeLessThanOrEqual(8);
    expect(await bob.tree()).toEqual(await alice.tree());
  });

  /** Three groups of small files (512 files a group) on alice, synced to the server. */
  async function threeGroups(alice: Awaited<ReturnType<Harness['client']>>): Promise<number> {
    const files = 1100;
    for (let i = 0; i < files; i++) await alice.write(`f/file ${String(i).padStart(4, '0')}.txt`, `file ${i} `.repeat(3));
    await alice.sync();
    return files;
  }

  it.each([false, true])(
    "requests a group's chunks and writes its files while the group before it is still being made durable (one-shot: %s)",
    async (oneShot) => {
      const alice = await harness.client('alice');
      const bob = await harness.client('bob', { oneShot });
      const files = await threeGroups(alice);
      const events: string[] = [];
      const download = ServerClient.prototype.downloadChunks;
      vi.spyOn(ServerClient.prototype, 'downloadChunks').mockImplementation(function (this: ServerClient, ...args: Parameters<typeof download>) {
        events.push('request');
        return download.apply(this, args);
      });
      for (const name of ['link', 'linkSync', 'open', 'openSync'] as const) {
        const original = fs[name] as (...args: unknown[]) => unknown;
        vi.spyOn(fs, name).mockImplementation(((...args: unknown[]) => {
          if (name.startsWith('link')) events.push('link');
          // A temp file created for a download's bytes.
          else if (args[1] === 'wx') events.push('create');
          return original.apply(fs, args);
        }) as never);
      }
      syncBuiltinESMExports();
      const down = await bob.sync();
      vi.restoreAllMocks();
      syncBuiltinESMExports();
      expect(down.downloadedFiles).toBe(files);
      expect(await bob.tree()).toEqual(await alice.tree());
      const count = (kind: string, before: number): number => events.slice(0, before).filter((event) => event === kind).length;
      // One request a group, each sent before the group before it had its names put in place
      // (before, each group's request waited for the whole previous group).
      const requests = events.flatMap((event, index) => (event === 'request' ? [index] : []));
      expect(requests).toHaveLength(3);
      expect(count('link', requests[1]!)).toBe(0);
      expect(count('link', requests[2]!)).toBeLessThanOrEqual(512);
      // The second group's first temp file is created before the first group's names are all
      // in place (before, the groups were written one after the other).
      const creates = events.flatMap((event, index) => (event === 'create' ? [index] : []));
      expect(creates).toHaveLength(files);
      expect(count('link', creates[512]!)).toBeLessThan(512);
    },
  );

  it('a group that fails while the next one is written ends the round with no temp file left, and the next round completes', async () => {
    const alice = await harness.client('alice');
    const bob = await harness.client('bob', { oneShot: true });
    await threeGroups(alice);
    const fsync = fs.fsync;
    let calls = 0;
    vi.spyOn(fs, 'fsync').mockImplementation(((fd: number, done: fs.NoParamCallback) => {
      calls += 1;
      // One of the first group's files, while the second group is being written.
      if (calls === 300) done(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
      else fsync(fd, done);
    }) as never);
    syncBuiltinESMExports();
    const failed = await bob.syncRaw();
    vi.restoreAllMocks();
    syncBuiltinESMExports();
    expect(failed.outcome).toBe('error');
    const left = Object.keys(await bob.tree()).filter((name) => name.split('/').some((part) => part.startsWith('.cairn-tmp-')));
    expect(left).toEqual([]);
    await bob.sync();
    expect(await bob.tree()).toEqual(await alice.tree());
  });
});
