// A batched upload of large and small chunks, built in the client's reused batch buffers, reaches
// the server as the frames format, which it reads and verifies: every chunk comes back as sent.

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkIdOf } from '../../shared/node/contentHash.js';
import type { Frame } from '../../shared/protocol/index.js';
import { uploadBufferAllocationCount } from '../../src-main/engine/remote/serverClient.js';
import { startHarness } from './harness.js';
import type { Harness } from './harness.js';

function frame(size: number): Frame {
  const bytes = randomBytes(size);
  return { id: chunkIdOf(bytes), bytes };
}

describe('uploading a batch of large and small chunks', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(() => harness.stop());

  it('stores every chunk as sent', async () => {
    const client = await harness.client('desktop', { libraryName: 'Parts' });
    // The harness's libraries cut chunks of at most 32 KiB.
    const frames = [frame(10), frame(32 * 1024), frame(5000), frame(20 * 1024), frame(16 * 1024), frame(1), ...Array.from({ length: 60 }, () => frame(9000))];
    const server = await client.engine.server();
    const total = frames.reduce((sum, item) => sum + item.bytes.length, 0);
    expect(await server.uploadChunks(client.libraryId, frames)).toEqual({ chunks: frames.length, bytes: total });
    const back = new Map<string, Uint8Array>();
    await server.downloadChunks(
      client.libraryId,
      frames.map((item) => item.id),
      (item) => {
        back.set(item.id, item.bytes);
      },
    );
    for (const item of frames) expect(Buffer.from(back.get(item.id)!).equals(item.bytes)).toBe(true);
  }, 60_000);

  it('reuses one pair of batch buffers across uploads made one after another', async () => {
    // A scan's early upload sends every few MiB with an uploadChunks call of its own: each call
    // used to allocate two new buffers of ~4.5 MiB.
    const client = await harness.client('laptop', { libraryName: 'Batches' });
    const server = await client.engine.server();
    const before = uploadBufferAllocationCount();
    const uploads = 4;
    const sent: Frame[] = [];
    for (let upload = 0; upload < uploads; upload++) {
      // Over one batch (4 MiB) each, so each call fills both of its buffers.
      const frames = Array.from({ length: 160 }, () => frame(32 * 1024));
      sent.push(...frames);
      await server.uploadChunks(client.libraryId, frames);
    }
    expect(uploadBufferAllocationCount() - before).toBe(2);
    const back = new Map<string, Uint8Array>();
    await server.downloadChunks(
      client.libraryId,
      sent.map((item) => item.id),
      (item) => {
        back.set(item.id, item.bytes);
      },
    );
    for (const item of sent) expect(Buffer.from(back.get(item.id)!).equals(item.bytes)).toBe(true);
  }, 60_000);
});
