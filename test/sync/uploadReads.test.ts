// The upload reads a large file's chunks without hashing them a second time while the file's
// stat is the one its scan hashed; the server checks every chunk against its id as it arrives,
// and a chunk it refuses (a file rewritten in place with its old modification time) makes the
// upload read again with hashing, so the file is left out instead of the round failing.

import { randomBytes } from 'node:crypto';
import { open, readFile, utimes } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { unhashedChunkReads } from '../../src-main/engine/chunker/index.js';
import type { ServerClient } from '../../src-main/engine/remote/serverClient.js';
import { startHarness } from './harness.js';
import type { Harness } from './harness.js';

const KiB = 1024;
const MiB = 1024 * KiB;
/** A whole second, so that setting it again gives the very same modification time. */
const SECONDS = 1_700_000_000;

let harness: Harness;
beforeEach(async () => {
  harness = await startHarness();
});
afterEach(async () => {
  await harness.stop();
});

it('uploads a large file read once by the scan and once, unhashed, by the upload', async () => {
  const alice = await harness.client('alice', { libraryName: 'Big' });
  const bob = await harness.client('bob', { libraryName: 'Big' });
  const bytes = randomBytes(2 * MiB);
  await alice.write('big.bin', bytes);
  const before = unhashedChunkReads.count;
  const up = await alice.sync();
  expect(up.uploadedBytes).toBe(bytes.length);
  // The harness's chunks are at most 32 KiB: at least 64 of them, none hashed again.
  expect(unhashedChunkReads.count - before).toBeGreaterThanOrEqual((2 * MiB) / (32 * KiB));
  await bob.sync();
  expect(Buffer.from(await readFile(path.join(bob.root, 'big.bin'))).equals(bytes)).toBe(true);
});

it('leaves out a file rewritten in place with its old times between its scan and its upload', async () => {
  const alice = await harness.client('alice', { libraryName: 'Big' });
  const bob = await harness.client('bob', { libraryName: 'Big' });
  const file = path.join(alice.root, 'big.bin');
  const scanned = randomBytes(MiB);
  await alice.write('big.bin', scanned);
  await utimes(file, SECONDS, SECONDS);
  const now = Buffer.from(scanned);
  now[600 * KiB] = now[600 * KiB]! ^ 0xff;

  // Between the scan and the upload's reads: the upload asks the server what it lacks first.
  const server: ServerClient = await alice.engine.server();
  const missingChunks = server.missingChunks.bind(server);
  let rewritten = false;
  server.missingChunks = async (libraryId, ids) => {
    if (!rewritten) {
      rewritten = true;
      const handle = await open(file, 'r+');
      await handle.write(now, 600 * KiB, 1, 600 * KiB);
      await handle.close();
      await utimes(file, SECONDS, SECONDS);
    }
    return missingChunks(libraryId, ids);
  };
  const first = await alice.syncRaw();
  expect(rewritten).toBe(true);
  // The server refused the stale chunk; the upload read again with hashing and left the file
  // out, as it does with any file changed since its scan: nothing is committed for it.
  expect(first.error).toBeNull();
  expect(first.uploadedFiles).toBe(0);
  await bob.sync();
  expect(await bob.exists('big.bin')).toBe(false);

  // Once its time moves, the next scan reads it again and it goes up as it is now.
  await utimes(file, SECONDS + 10, SECONDS + 10);
  await alice.sync();
  await bob.sync();
  expect(Buffer.from(await readFile(path.join(bob.root, 'big.bin'))).equals(now)).toBe(true);
});
