// A batch download by the library's owner is sent by the server as stored, without hashing
// (the client says it checks every chunk: CLIENT_VERIFIES_HEADER). A chunk damaged on the
// server's disk then reaches the client, which refuses it and asks for it again without the
// header: the server hashes it, records the damage (so a device that has the file uploads it
// again), and the file is never written from wrong bytes. A member's download is hashed by the
// server whatever its client says: it takes the same road a client of an older server does.

import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { LibraryPath } from '../../shared/paths.js';
import { startHarness } from './harness.js';
import type { Harness, TestClient } from './harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

const PRECIOUS = randomBytes(40_000);
/** Large enough to be streamed (resumable, through the frame pool), not written in a group. */
const LARGE = randomBytes(9 * 1024 * 1024);

/** Alice's library "Damaged" with a file of several chunks and a neighbour, synced. */
async function ownerWithFiles(h: Harness, precious: Uint8Array = PRECIOUS): Promise<{ libraryId: string; alice: TestClient }> {
  const libraryId = await h.createLibrary('alice', 'Damaged');
  const alice = await h.client('alice', { libraryName: 'Damaged' });
  await alice.write('precious.bin', precious);
  await alice.write('other.txt', 'an undamaged neighbour');
  await alice.sync();
  return { libraryId, alice };
}

/** Flips a bit of the first chunk of `file`'s current version in the pack that holds it. */
async function flipBitOnServer(h: Harness, libraryId: string, file: string): Promise<string> {
  const head = await h.stores.metadata.versions.head(libraryId, file as LibraryPath);
  const id = head!.chunks[0]!.id;
  for await (const pack of h.stores.chunks.packs()) {
    const located = pack.chunks.find((item) => item.id === id);
    if (located === undefined) continue;
    const packFile = path.join(h.dataDir, 'chunks', ...pack.key.split('/'));
    const bytes = await readFile(packFile);
    bytes[located.offset + 5]! ^= 0x01;
    await writeFile(packFile, bytes);
    return id;
  }
  throw new Error('no pack holds the chunk');
}

async function expectRefusedThenRepaired(h: Harness, libraryId: string, owner: TestClient, reader: TestClient, damagedId: string, precious: Uint8Array = PRECIOUS): Promise<void> {
  const round = await reader.syncRaw();
  // Never written from the damaged bytes; the neighbour is not held back by it.
  expect(await reader.exists('precious.bin')).toBe(false);
  expect(round.downloadedBytes).toBeLessThan(precious.length);
  // The server knows: its own check of the chunk, asked for again, recorded the damage.
  expect(await h.stores.metadata.chunks.damaged(libraryId, 10)).toEqual([damagedId]);
  // The device that has the file sends the chunk again, and the reader gets the file.
  await owner.sync();
  expect(await h.stores.metadata.chunks.damaged(libraryId, 10)).toEqual([]);
  await reader.sync();
  expect((await readFile(path.join(reader.root, 'precious.bin'))).equals(precious)).toBe(true);
  expect(await reader.read('other.txt')).toBe('an undamaged neighbour');
}

it("the owner's new device refuses a chunk damaged on the server, and its second request makes the server record the damage", async () => {
  harness = await startHarness();
  const { libraryId, alice } = await ownerWithFiles(harness);
  const damagedId = await flipBitOnServer(harness, libraryId, 'precious.bin');
  // Nothing has read it yet: the server does not know.
  expect(await harness.stores.metadata.chunks.damaged(libraryId, 10)).toEqual([]);

  const laptop = await harness.client('alice-laptop', { libraryName: 'Damaged' });
  await expectRefusedThenRepaired(harness, libraryId, alice, laptop, damagedId);
});

it("a member's device gets a chunk damaged on the server refused by the server itself, as from an older server", async () => {
  harness = await startHarness();
  const { libraryId, alice } = await ownerWithFiles(harness);
  await harness.addUser('bob');
  const bob = (await harness.stores.metadata.users.byName('bob'))!;
  await harness.stores.metadata.libraries.setMember(libraryId, bob.id, 'rw');
  const damagedId = await flipBitOnServer(harness, libraryId, 'precious.bin');

  const bobsLaptop = await harness.client('bob-laptop', { user: 'bob', libraryId });
  await expectRefusedThenRepaired(harness, libraryId, alice, bobsLaptop, damagedId);
});

it("the owner's new device refuses a damaged chunk of a streamed large file too", async () => {
  harness = await startHarness();
  const { libraryId, alice } = await ownerWithFiles(harness, LARGE);
  const damagedId = await flipBitOnServer(harness, libraryId, 'precious.bin');
  const laptop = await harness.client('alice-laptop', { libraryName: 'Damaged' });
  await expectRefusedThenRepaired(harness, libraryId, alice, laptop, damagedId, LARGE);
});
