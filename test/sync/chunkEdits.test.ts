// A small edit of a large file commits only the changed part of its chunk list, and the other
// client still gets the identical file.

import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChunkRef } from '../../shared/model.js';
import type { LibraryPath } from '../../shared/paths.js';
import { applyChunkEdits, chunkEditsBetween, routes } from '../../shared/protocol/index.js';
import type { CommitRequest } from '../../shared/protocol/index.js';
import type { ServerClient } from '../../src-main/engine/remote/serverClient.js';
import { startHarness } from './harness.js';
import type { Harness, TestClient } from './harness.js';

const MiB = 1024 * 1024;

describe('chunkEditsBetween', () => {
  const ref = (n: number): ChunkRef => ({ id: n.toString(16).padStart(64, '0'), size: 100 + n });
  const list = (...ns: number[]) => ns.map(ref);

  it('keeps the common prefix and suffix and replaces the middle', () => {
    expect(chunkEditsBetween(list(1, 2, 3), list(1, 2, 3))).toEqual([]);
    expect(chunkEditsBetween(list(1, 2, 3, 4), list(1, 9, 4))).toEqual([{ at: 1, remove: 2, insert: list(9) }]);
    expect(chunkEditsBetween(list(1, 2), list(1, 2, 3))).toEqual([{ at: 2, remove: 0, insert: list(3) }]);
    expect(chunkEditsBetween(list(1, 1, 1), list(1, 1))).toEqual([{ at: 2, remove: 1, insert: [] }]);
    // Same id, other size: not the same chunk ref.
    expect(chunkEditsBetween([ref(1)], [{ ...ref(1), size: 1 }])).toEqual([{ at: 0, remove: 1, insert: [{ ...ref(1), size: 1 }] }]);
  });

  it('gives splices that rebuild the new list from the old one', () => {
    let seed = 7;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
    for (let round = 0; round < 200; round += 1) {
      const before = Array.from({ length: next() % 12 }, () => ref(next() % 5));
      const after = Array.from({ length: next() % 12 }, () => ref(next() % 5));
      expect(applyChunkEdits(before, chunkEditsBetween(before, after), 'x')).toEqual(after);
    }
  });
});

let harness: Harness;
beforeEach(async () => {
  harness = await startHarness();
});
afterEach(async () => {
  await harness.stop();
});

/** Records the JSON of every commit request the client sends. */
async function recordCommits(client: TestClient): Promise<CommitRequest[]> {
  const sent: CommitRequest[] = [];
  const server: ServerClient = await client.engine.server();
  const call = server.call.bind(server);
  server.call = ((route, options) => {
    if ((route as unknown) === routes.commit && options !== undefined && 'body' in options) sent.push(options.body as CommitRequest);
    return call(route, options as never);
  }) as ServerClient['call'];
  return sent;
}

function insertAt(content: Buffer, offset: number, inserted: string): Buffer {
  return Buffer.concat([content.subarray(0, offset), Buffer.from(inserted), content.subarray(offset)]);
}

it('commits a 10-byte insert into an 8 MiB file as a small delta', async () => {
  const alice = await harness.client('alice');
  const bob = await harness.client('bob');
  const sent = await recordCommits(alice);
  const original = randomBytes(8 * MiB);
  await alice.write('big.bin', original);
  await alice.sync();
  await bob.sync();
  const first = sent.at(-1);
  const firstPut = first?.changes[0];
  expect(firstPut !== undefined && firstPut.op === 'put' && 'chunks' in firstPut).toBe(true);
  const wholeListBytes = JSON.stringify(first).length;
  // 8 MiB in chunks of about 8 KiB: a thousand chunk refs.
  expect(wholeListBytes).toBeGreaterThan(50_000);

  const edited = insertAt(original, 3 * MiB, '0123456789');
  await alice.write('big.bin', edited);
  const round = await alice.sync();
  expect(round.uploadedFiles).toBe(1);
  const delta = sent.at(-1);
  const put = delta?.changes[0];
  expect(put?.op === 'put' && put.chunkEdits !== undefined && put.chunks === undefined).toBe(true);
  expect(JSON.stringify(delta).length).toBeLessThan(2_000);

  await bob.sync();
  expect((await readFile(path.join(bob.root, 'big.bin'))).equals(edited)).toBe(true);

  // Appending and truncating go the same way.
  const appended = Buffer.concat([edited, Buffer.from('tail')]);
  await alice.write('big.bin', appended);
  await alice.sync();
  expect(JSON.stringify(sent.at(-1)).length).toBeLessThan(2_000);
  await bob.sync();
  expect((await readFile(path.join(bob.root, 'big.bin'))).equals(appended)).toBe(true);
  const truncated = appended.subarray(0, 5 * MiB);
  await bob.write('big.bin', truncated);
  await bob.sync();
  await alice.sync();
  expect((await readFile(path.join(alice.root, 'big.bin'))).equals(truncated)).toBe(true);
}, 120_000);

it('edits of the same large file on two clients still end in a conflict copy on both', async () => {
  const alice = await harness.client('alice');
  const bob = await harness.client('bob');
  const original = randomBytes(2 * MiB);
  await alice.write('doc.bin', original);
  await alice.sync();
  await bob.sync();
  const fromBob = insertAt(original, MiB, 'bob');
  await bob.write('doc.bin', fromBob);
  await bob.sync();
  const fromAlice = insertAt(original, 100, 'alice');
  await alice.write('doc.bin', fromAlice);
  await alice.sync();
  await bob.sync();
  const aliceTree = await alice.tree();
  expect(await bob.tree()).toEqual(aliceTree);
  const contents = await Promise.all(Object.keys(aliceTree).map((name) => readFile(path.join(alice.root, name))));
  expect(contents.some((content) => content.equals(fromBob))).toBe(true);
  expect(contents.some((content) => content.equals(fromAlice))).toBe(true);
}, 120_000);

it('falls back to the whole chunk list when the server cannot rebuild it from the delta', async () => {
  const alice = await harness.client('alice');
  const bob = await harness.client('bob');
  const sent = await recordCommits(alice);
  const original = randomBytes(2 * MiB);
  await alice.write('doc.bin', original);
  await alice.sync();
  // Spoil this device's copy of the base version's chunk list: a delta from it rebuilds the
  // wrong list, which the server refuses; the next pass sends the whole list.
  alice.withIndex((index) => {
    const base = index.remote.get(alice.libraryId, 'doc.bin' as LibraryPath)!;
    index.remote.put(alice.libraryId, { ...base, chunks: base.chunks.slice(1) });
  });
  const edited = insertAt(original, MiB, 'edit');
  await alice.write('doc.bin', edited);
  await alice.sync();
  const puts = sent.slice(1).map((request) => request.changes[0]);
  expect(puts.some((put) => put?.op === 'put' && put.chunkEdits !== undefined)).toBe(true);
  expect(puts.at(-1)?.op === 'put' && 'chunks' in puts.at(-1)!).toBe(true);
  await bob.sync();
  expect((await readFile(path.join(bob.root, 'doc.bin'))).equals(edited)).toBe(true);
}, 120_000);
