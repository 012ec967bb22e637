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
});
