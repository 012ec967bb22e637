// Large files download one after another, but the next one's chunks are asked for while the
// one before waits for the disk (its fsync, its name, its record), not after. Two files of the
// same content (one partial file name) never overlap. Their records go to the index a few at a
// time, in one transaction (one fsync of the index), not one each.

import { randomBytes } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { ServerClient } from '../../src-main/engine/remote/serverClient.js';
import { startHarness } from './harness.js';
import type { Harness } from './harness.js';
import type { LibraryPath } from '../../shared/paths.js';

let harness: Harness | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await harness?.stop();
  harness = undefined;
});

/** Records chunk requests and file fsyncs, an fsync waiting (a while at most) until `until()` holds. */
async function watch(until: (events: readonly string[]) => boolean, chunkOwner: (id: string) => string): Promise<string[]> {
  const events: string[] = [];
  const download = ServerClient.prototype.downloadChunks;
  vi.spyOn(ServerClient.prototype, 'downloadChunks').mockImplementation(function (this: ServerClient, ...args: Parameters<typeof download>) {
    events.push(`request ${chunkOwner(args[1][0]!)}`);
    return download.apply(this, args);
  });
  const probe = await open(__filename, 'r');
  const prototype = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
  await probe.close();
  const sync = prototype.sync;
  vi.spyOn(prototype, 'sync').mockImplementation(async function (this: unknown) {
    for (let waited = 0; waited < 1000 && !until(events); waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
    events.push('fsync');
    return sync.call(this);
  });
  return events;
}

async function twoLargeFiles(same: boolean): Promise<{ events: string[]; contents: Buffer[] }> {
  harness = await startHarness();
  await harness.createLibrary('alice', 'Large');
  const alice = await harness.client('alice', { libraryName: 'Large' });
  const first = randomBytes(9 * 1024 * 1024);
  const contents = [first, same ? first : randomBytes(9 * 1024 * 1024)];
  await alice.write('a.bin', contents[0]!);
  await alice.write('b.bin', contents[1]!);
  await alice.sync();
  const laptop = await harness.client('alice-laptop', { libraryName: 'Large' });
  const owners = new Map<string, string>();
  for (const [name, bytes] of [['a', contents[0]!], ['b', contents[1]!]] as const) {
    const head = await harness.stores.metadata.versions.head(laptop.libraryId, `${name}.bin` as never);
    for (const chunk of head!.chunks) if (!owners.has(chunk.id)) owners.set(chunk.id, name);
    expect(head!.size).toBe(bytes.length);
  }
  const events = await watch(
    (seen) => seen.includes('request a') && seen.includes('request b'),
    (id) => owners.get(id) ?? '?',
  );
  await laptop.sync();
  expect((await readFile(path.join(laptop.root, 'a.bin'))).equals(contents[0]!)).toBe(true);
  expect((await readFile(path.join(laptop.root, 'b.bin'))).equals(contents[1]!)).toBe(true);
  return { events, contents };
}

it("asks for the next large file's chunks before the one before is fsynced", async () => {
  const { events } = await twoLargeFiles(false);
  const firstSync = events.indexOf('fsync');
  expect(firstSync).toBeGreaterThan(0);
  expect(events.slice(0, firstSync)).toEqual(expect.arrayContaining(['request a', 'request b']));
});

it('downloads two large files of the same content one after the other', async () => {
  const { events } = await twoLargeFiles(true);
  // Every chunk is the first file's: the second file's requests are labelled 'a' too. They all
  // come after the first file's fsync (the fsync waited for them in vain).
  const firstSync = events.indexOf('fsync');
  expect(firstSync).toBeGreaterThan(0);
  expect(events.slice(firstSync).filter((event) => event.startsWith('request')).length).toBeGreaterThan(0);
});

it("writes the large files' records together, once they are all in place", async () => {
  harness = await startHarness();
  await harness.createLibrary('alice', 'Large');
  const alice = await harness.client('alice', { libraryName: 'Large' });
  const names = ['a.bin', 'b.bin', 'c.bin'];
  for (const name of names) await alice.write(name, randomBytes(9 * 1024 * 1024));
  await alice.sync();
  const laptop = await harness.client('alice-laptop', { libraryName: 'Large' });
  const recorded = (): number => laptop.withIndex((index) => names.filter((name) => index.synced.get(laptop.libraryId, name as LibraryPath) !== undefined).length);
  /** How many of the files the index held as synced at each file's fsync. */
  const atFsync: number[] = [];
  const probe = await open(__filename, 'r');
  const prototype = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
  await probe.close();
  const sync = prototype.sync;
  vi.spyOn(prototype, 'sync').mockImplementation(async function (this: unknown) {
    atFsync.push(recorded());
    return sync.call(this);
  });
  await laptop.sync();
  vi.restoreAllMocks();
  expect(atFsync.length).toBeGreaterThanOrEqual(names.length);
  // Recorded one at a time, the first two would be in the index by the time the third is fsynced.
  expect(atFsync).toEqual(atFsync.map(() => 0));
  expect(recorded()).toBe(names.length);
});
