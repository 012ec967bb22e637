// The chunker's whole contract: a Cutter is told the bytes of one stream, in slices of any
// size, and reports where chunks end. The boundaries depend only on the stream's bytes and
// the library's ChunkingParams, never on how the stream was sliced, so every client of a
// library cuts the same chunks and finds the same chunk ids.

import { CHUNK_SIZE_LIMITS } from '../../../shared/model.js';
import type { ChunkingParams } from '../../../shared/model.js';

export interface Cutter {
  readonly params: ChunkingParams;
  /** Bytes fed since the stream began (or since the last `finish`). */
  readonly position: number;
  /**
   * Feeds the next bytes of the stream and returns the stream offsets at which chunks ended
   * inside them (each an exclusive end, ascending). The cutter never keeps a reference to
   * `bytes`, so the caller may reuse the buffer as soon as this returns.
   */
  push(bytes: Uint8Array): number[];
  /**
   * Ends the stream. Returns the end offset of the last chunk when bytes remain after the last
   * cut, or undefined when the stream is empty or ended exactly on a cut. The cutter is then
   * ready for a new stream starting at offset 0, and holds no resources until fed again.
   */
  finish(): number | undefined;
}

/**
 * Throws a RangeError unless `params` describe chunking a library may use: whole numbers with
 * CHUNK_SIZE_LIMITS.min <= minSize < avgSize < maxSize <= CHUNK_SIZE_LIMITS.max and a known
 * algorithm. Parameters come from the server with the library, so a failure here means the
 * library record is corrupt or from a newer Cairn: the caller should stop syncing that library
 * and report it, never guess other parameters.
 */
export function checkChunkingParams(params: ChunkingParams): ChunkingParams {
  const { algorithm, minSize, avgSize, maxSize } = params;
  if (algorithm !== 'fastcdc' && algorithm !== 'rabin') {
    throw new RangeError(`Unknown chunking algorithm ${JSON.stringify(algorithm)}.`);
  }
  for (const [name, value] of [['minSize', minSize], ['avgSize', avgSize], ['maxSize', maxSize]] as const) {
    if (!Number.isSafeInteger(value) || value < CHUNK_SIZE_LIMITS.min || value > CHUNK_SIZE_LIMITS.max) {
      throw new RangeError(
        `Chunking ${name} ${value} must be a whole number from ${CHUNK_SIZE_LIMITS.min} to ${CHUNK_SIZE_LIMITS.max}.`,
      );
    }
  }
  if (!(minSize < avgSize && avgSize < maxSize)) {
    throw new RangeError(`Chunking sizes must satisfy minSize < avgSize < maxSize (got ${minSize}, ${avgSize}, ${maxSize}).`);
  }
  return params;
}

/** Number of bits in floor(log2(value)) for a positive 32-bit whole number. */
export function log2Floor(value: number): number {
  return 31 - Math.clz32(value);
}
