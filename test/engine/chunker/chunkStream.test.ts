// Streaming chunking gives the same chunks as in-memory chunking, whatever the source, and the
// two content identities are what the protocol says they are.

import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { chunkBytes, chunkIdOf, chunkStream, contentHashOf } from '../../../src-main/engine/chunker/index.js';
import type { LocatedChunk } from '../../../src-main/engine/chunker/index.js';
import { DEFAULT_CHUNKING } from '../../../shared/model.js';
import type { ChunkingParams } from '../../../shared/model.js';
import { seededBytes } from './seededBytes.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const SMALL_FASTCDC: ChunkingParams = { algorithm: 'fastcdc', minSize: 4 * KiB, avgSize: 16 * KiB, maxSize: 64 * KiB };
const SMALL_RABIN: ChunkingParams = { ...SMALL_FASTCDC, algorithm: 'rabin' };

async function collect(chunks: AsyncIterable<LocatedChunk>): Promise<LocatedChunk[]> {
  const all: LocatedChunk[] = [];
  for await (const chunk of chunks) all.push(chunk);
  return all;
}

/** Slices of `bytes` of the given sizes in turn, each a fresh copy that is then scribbled over. */
async function* reusedBufferSlices(bytes: Uint8Array, sizes: readonly number[]): AsyncGenerator<Uint8Array> {
  const buffer = new Uint8Array(Math.max(...sizes));
  let turn = 0;
  for (let from = 0; from < bytes.length; turn++) {
    const size = Math.min(sizes[turn % sizes.length]!, bytes.length - from);
    buffer.set(bytes.subarray(from, from + size));
    yield buffer.subarray(0, size);
    // chunkStream promises not to look at a slice again once it asks for the next one.
    buffer.fill(0xa5);
    from += size;
  }
}

describe('chunkStream', () => {
  const sources = [
    {
      name: 'an async generator reusing one buffer',
      source: (bytes: Uint8Array) => reusedBufferSlices(bytes, [100_000, 1, 70_001, 3 * MiB, 4096]),
    },
    { name: 'a sync iterable of one buffer', source: (bytes: Uint8Array) => [bytes] },
    // The open chunk's carry buffer starts small and grows by doubling up to maxSize.
    { name: 'slices of a few KiB reusing one buffer', source: (bytes: Uint8Array) => reusedBufferSlices(bytes, [3000, 7, 9000, 1]) },
    { name: 'a Node Readable', source: (bytes: Uint8Array) => Readable.from([bytes.subarray(0, 12_345), bytes.subarray(12_345)]) },
  ];
  const cases = [
    { label: 'fastcdc default', params: DEFAULT_CHUNKING, length: 6 * MiB + 17 },
    { label: 'fastcdc small', params: SMALL_FASTCDC, length: 2 * MiB + 3 },
    { label: 'rabin small', params: SMALL_RABIN, length: 2 * MiB + 5 },
    { label: 'a small file (one chunk below minSize)', params: DEFAULT_CHUNKING, length: 5000 },
    { label: 'one chunk of exactly maxSize', params: SMALL_FASTCDC, length: 64 * KiB },
  ].flatMap((params) => sources.map((source) => ({ ...params, ...source, name: `${params.label}, ${source.name}` })));

  it.each(cases)('$name gives the chunks of chunkBytes', async ({ params, length, source }) => {
    const bytes = seededBytes(length, 61);
    const expected = chunkBytes(bytes, params);
    expect(await collect(chunkStream(source(bytes), params))).toEqual(expected);
  });

  it('hands each chunk with its bytes to onChunk, in order', async () => {
    const bytes = seededBytes(3 * MiB, 62);
    const seen: { chunk: LocatedChunk; id: string }[] = [];
    const chunks = await collect(
      chunkStream(reusedBufferSlices(bytes, [65_536]), DEFAULT_CHUNKING, {
        onChunk: (chunk, chunkBytes) => seen.push({ chunk, id: chunkIdOf(chunkBytes) }),
      }),
    );
    expect(chunks).toEqual(chunkBytes(bytes, DEFAULT_CHUNKING));
    expect(seen.map(({ chunk }) => chunk)).toEqual(chunks);
    expect(seen.map(({ id }) => id)).toEqual(chunks.map((chunk) => chunk.id));
  });

  it('gives no chunk for an empty stream', async () => {
    expect(await collect(chunkStream([], DEFAULT_CHUNKING))).toEqual([]);
    expect(await collect(chunkStream([new Uint8Array(0), new Uint8Array(0)], DEFAULT_CHUNKING))).toEqual([]);
  });

  it('refuses text', async () => {
    const text = Readable.from(['not bytes'], { objectMode: true });
    await expect(collect(chunkStream(text, DEFAULT_CHUNKING))).rejects.toThrow(TypeError);
  });

  it('can be abandoned part way', async () => {
    const stream = chunkStream([seededBytes(4 * MiB, 63)], DEFAULT_CHUNKING);
    const first = await stream.next();
    expect(first.done).toBe(false);
    await stream.return();
    expect((await stream.next()).done).toBe(true);
  });
});

describe('content identities', () => {
  const emptySha256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

  it('gives an empty file the SHA-256 of zero bytes', () => {
    expect(contentHashOf([])).toBe(emptySha256);
  });

  it('hashes the raw ids in order', () => {
    const chunks = chunkBytes(seededBytes(MiB, 64), SMALL_FASTCDC);
    const raw = Buffer.concat(chunks.map((chunk) => Buffer.from(chunk.id, 'hex')));
    expect(contentHashOf(chunks)).toBe(createHash('sha256').update(raw).digest('hex'));
    expect(contentHashOf([...chunks].reverse())).not.toBe(contentHashOf(chunks));
  });

  it('gives a chunk the hex SHA-256 of its bytes', () => {
    expect(chunkIdOf(new Uint8Array(0))).toBe(emptySha256);
    expect(chunkIdOf(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it.each([
    { name: 'uppercase hex', id: 'BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD' },
    { name: 'too short', id: 'ba7816bf' },
    { name: 'not hex', id: 'z'.repeat(64) },
  ])('refuses a malformed id: $name', ({ id }) => {
    expect(() => contentHashOf([{ id, size: 1 }])).toThrow(TypeError);
  });
});
