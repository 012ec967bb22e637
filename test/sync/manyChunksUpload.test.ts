// Regression: a round uploading more than the server's limit of chunks per request (10,000
// tiny files, one chunk each) failed as "payload-too-large" and never synced. Uploads are now
// split at that limit as well as by bytes.

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkIdOf } from '../../shared/node/contentHash.js';
import { PROTOCOL_LIMITS } from '../../shared/protocol/index.js';
import { startHarness } from './harness.js';
import type { Harness } from './harness.js';

describe('uploading more chunks than one request may carry', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(() => harness.stop());

  it('splits the upload into requests the server takes', async () => {
    const client = await harness.client('desktop', { libraryName: 'Many chunks' });
    const frames = Array.from({ length: PROTOCOL_LIMITS.maxChunksPerUpload + 50 }, () => {
      const bytes = randomBytes(8);
      return { id: chunkIdOf(bytes), bytes };
    });
    const server = await client.engine.server();
    expect(await server.uploadChunks(client.libraryId, frames)).toEqual({ chunks: frames.length, bytes: frames.length * 8 });
  }, 60_000);

  it('copies each frame into its batch at once, so a source may reuse one buffer for all', async () => {
    const client = await harness.client('laptop', { libraryName: 'One buffer' });
    const server = await client.engine.server();
    // 12.5 MiB in frames of 16 KiB, each written over the same buffer: four batches, so the
    // two batch buffers are each used again. A frame kept by reference instead of copied
    // would reach the server with the next frame's bytes and be refused by its hash.
    const size = 16 * 1024;
    const shared = new Uint8Array(size);
    const ids: string[] = [];
    async function* frames(): AsyncGenerator<{ id: string; bytes: Uint8Array }> {
      for (let index = 0; index < 800; index++) {
        shared.set(randomBytes(size));
        const id = chunkIdOf(shared);
        ids.push(id);
        yield { id, bytes: shared };
        await Promise.resolve();
      }
    }
    expect(await server.uploadChunks(client.libraryId, frames())).toEqual({ chunks: 800, bytes: 800 * size });
    expect(await server.missingChunks(client.libraryId, ids)).toEqual(new Set());
  }, 60_000);
});
