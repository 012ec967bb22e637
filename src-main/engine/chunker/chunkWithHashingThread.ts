// The two-core pipeline for one large file: the file is read (on Node's thread pool) into a
// SharedArrayBuffer ring, one block at a time and one block ahead; this thread cuts each block;
// the HashingThread hashes the finished chunks straight out of the ring. No byte is copied
// after the read.
//
// Ring invariant: stream byte o lives at ring index o % ringSize. A block may be read over ring
// bytes only once every chunk they belonged to has been hashed. When the read of block s is
// issued, this thread has cut everything before s - blockSize and the open chunk is shorter
// than maxSize, so with ringSize >= maxSize + 3 * blockSize the wait for the hasher always ends.

import type { FileHandle } from 'node:fs/promises';
import type { ChunkingParams } from '../../../shared/model.js';
import type { LocatedChunk } from './chunkStream.js';
import { createCutter } from './createCutter.js';
import type { HashingThread } from './hashingThread.js';

interface Batch {
  /** Start and end stream offsets of each chunk, flattened. */
  readonly ranges: number[];
  readonly digests: Promise<Uint8Array>;
}

export interface RingChunks {
  readonly chunks: LocatedChunk[];
  readonly bytesRead: number;
}

/**
 * The ring of the last file, reused by the next one on this thread. A ring of its own per file
 * was let go only when both this thread's and the HashingThread's heaps were collected, which
 * their small heaps seldom need: a scan of a few hundred large files held hundreds of MiB of
 * dead rings. A ring goes back here only once every read into it and every hash of it has
 * finished; two files chunked at once on one thread each get their own.
 */
let spareRing: SharedArrayBuffer | undefined;

function takeRing(size: number): SharedArrayBuffer {
  const ring = spareRing !== undefined && spareRing.byteLength === size ? spareRing : new SharedArrayBuffer(size);
  spareRing = undefined;
  return ring;
}

export async function chunkWithHashingThread(
  handle: FileHandle,
  params: ChunkingParams,
  hashing: HashingThread,
  blockSize: number,
): Promise<RingChunks> {
  const ringSize = Math.ceil((params.maxSize + 3 * blockSize) / blockSize) * blockSize;
  const ring = takeRing(ringSize);
  const view = new Uint8Array(ring);
  const cutter = createCutter(params);
  const chunks: LocatedChunk[] = [];
  const batches: Batch[] = [];
  let hashedUpTo = 0;

  /** Waits for the oldest batch and records its chunks. */
  const settleOldest = async (): Promise<void> => {
    const batch = batches.shift();
    if (batch === undefined) throw new Error('The chunk ring is full with nothing left to hash; its size is wrong.');
    const digests = await batch.digests;
    for (let index = 0; index * 2 < batch.ranges.length; index++) {
      const offset = batch.ranges[index * 2]!;
      const size = batch.ranges[index * 2 + 1]! - offset;
      const id = Buffer.from(digests.buffer, digests.byteOffset + index * 32, 32).toString('hex');
      chunks.push({ offset, size, id });
    }
    hashedUpTo = batch.ranges[batch.ranges.length - 1]!;
  };

  /** Reads the block at stream offset `start` into the ring once its place there is free. */
  const readBlock = async (start: number): Promise<number> => {
    while (start + blockSize - ringSize > hashedUpTo) await settleOldest();
    const at = start % ringSize;
    let filled = 0;
    while (filled < blockSize) {
      const { bytesRead } = await handle.read(view, at + filled, blockSize - filled, start + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled;
  };

  let chunkStart = 0;
  const submit = (cuts: readonly number[]): void => {
    if (cuts.length === 0) return;
    const ranges: number[] = [];
    for (const cut of cuts) {
      ranges.push(chunkStart, cut);
      chunkStart = cut;
    }
    const digests = hashing.hash(ring, ranges);
    // Observed by settleOldest; until then a failure must not count as unhandled.
    digests.catch(() => undefined);
    batches.push({ ranges, digests });
  };

  let bytesRead = 0;
  // The read in flight, if any: awaited before returning, even on failure.
  let reading: Promise<number> | undefined = readBlock(0);
  try {
    while (reading !== undefined) {
      const count = await reading;
      reading = undefined;
      const start = bytesRead;
      bytesRead += count;
      // A short block is the end of the file; a file that grew meanwhile is caught by the
      // caller's stat check.
      if (count === blockSize) {
        reading = readBlock(bytesRead);
        reading.catch(() => undefined);
      }
      if (count > 0) submit(cutter.push(view.subarray(start % ringSize, (start % ringSize) + count)));
    }
    const last = cutter.finish();
    if (last !== undefined) submit([last]);
    while (batches.length > 0) await settleOldest();
    // Nothing reads into or hashes out of the ring any more.
    spareRing = ring;
    return { chunks, bytesRead };
  } finally {
    cutter.finish();
    // Never leave a read running into the ring when giving up early.
    await reading?.catch(() => undefined);
  }
}
