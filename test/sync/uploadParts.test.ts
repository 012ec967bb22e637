// A batched upload is sent as parts: each large chunk's bytes from where they are, with no copy
// into one request buffer, and headers and small chunks gathered into a few pieces. The bytes
// on the wire are the frames format as before, which the server reads and verifies unchanged.

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkIdOf } from '../../shared/node/contentHash.js';
import { encodeFrames } from '../../shared/protocol/index.js';
import type { Frame } from '../../shared/protocol/index.js';
import { frameParts } from '../../src-main/engine/remote/serverClient.js';
import { startHarness } from './harness.js';
import type { Harness } from './harness.js';

function frame(size: number): Frame {
  const bytes = randomBytes(size);
  return { id: chunkIdOf(bytes), bytes };
}

describe('frameParts', () => {
  it('passes large chunks by reference, gathers small ones, and adds up to the frames format', () => {
    const frames = [frame(100), frame(200), frame(256 * 1024), frame(300), ...Array.from({ length: 80 }, () => frame(10_000)), frame(128 * 1024)];
    const parts = frameParts(frames);
    expect(parts).toContain(frames[2]!.bytes);
    expect(parts).toContain(frames.at(-1)!.bytes);
    // 80 chunks of 10 KB are not 160 parts: gathered a few hundred KiB at a time.
    expect(parts.length).toBeLessThan(12);
    expect(Buffer.concat(parts).equals(Buffer.from(encodeFrames(frames)))).toBe(true);
  });
});

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
});
