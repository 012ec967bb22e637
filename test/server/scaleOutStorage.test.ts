// The scale-out backend (PostgreSQL metadata + S3 chunk store on a real Ceph RGW) against the
// storage conformance suite, and how its chunk store reads packs.

import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ChunkStore, SpanCache } from '../../src-server/storage/s3/s3ChunkStore.js';
import type { S3Client } from '../../src-server/storage/s3/s3Client.js';
import { closeStores } from '../../src-server/storage/stores.js';
import type { Stores } from '../../src-server/storage/stores.js';
import { createScaleOutHarness, describeScaleOut } from '../support/scaleOutServices.js';
import type { ScaleOutHarness } from '../support/scaleOutServices.js';
import { describeStorageConformance } from './storageConformance.js';

describeScaleOut('PostgreSQL + S3', () => {
  describeStorageConformance('PostgreSQL + S3 (Ceph RGW)', createScaleOutHarness);
});

describeScaleOut('S3 chunk store reads', () => {
  let harness: ScaleOutHarness;
  let stores: Stores;
  beforeAll(async () => {
    harness = await createScaleOutHarness();
    stores = await harness.open();
  });
  afterAll(async () => {
    if (stores !== undefined) await closeStores(stores);
    await harness?.destroy();
  });

  it('reads the chunks of one upload one after another with one GET, and each chunk right', async () => {
    const chunks = Array.from({ length: 40 }, () => {
      const bytes = randomBytes(64 * 1024);
      return { id: createHash('sha256').update(bytes).digest('hex'), bytes: new Uint8Array(bytes) };
    });
    await stores.chunks.put('owner1', chunks);
    const s3 = (stores.chunks as unknown as { s3: S3Client }).s3;
    const get = s3.get.bind(s3);
    let gets = 0;
    s3.get = (key, range) => {
      gets += 1;
      return get(key, range);
    };
    try {
      // A download asks for one chunk after another, each once the previous one arrived.
      for (const chunk of chunks) expect(Buffer.from((await stores.chunks.get('owner1', chunk.id))!).equals(chunk.bytes)).toBe(true);
    } finally {
      s3.get = get;
    }
    expect(gets).toBe(1);
    expect(stores.chunks).toBeInstanceOf(S3ChunkStore);
  });
});

describe('pack span cache', () => {
  const span = (key: string, start: number, end: number) => ({ key, start, end, bytes: Promise.resolve(null) });

  it('finds a span holding a range, and evicts the least recently used beyond its limit', () => {
    const cache = new SpanCache(100);
    const a = span('a', 0, 50);
    const b = span('b', 10, 60);
    cache.add(a);
    cache.add(b);
    expect(cache.find('a', 10, 50)).toBe(a);
    expect(cache.find('a', 40, 51)).toBeUndefined();
    expect(cache.find('b', 0, 20)).toBeUndefined();
    // a was used last: adding c evicts b.
    const c = span('c', 0, 30);
    cache.add(c);
    expect(cache.find('b', 10, 60)).toBeUndefined();
    expect(cache.find('a', 0, 50)).toBe(a);
    expect(cache.bytes).toBe(80);
    // A span larger than the limit is kept alone until the next one arrives.
    const huge = span('d', 0, 500);
    cache.add(huge);
    expect(cache.bytes).toBe(500);
    expect(cache.find('d', 0, 500)).toBe(huge);
    cache.remove(huge);
    expect(cache.bytes).toBe(0);
  });
});
