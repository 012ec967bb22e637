// Test data that never changes: bytes from a seeded xorshift32 generator, so golden vectors
// computed from them stay valid on every machine and Node version.

import { GEAR } from '../../../src-main/engine/chunker/index.js';
import type { ChunkingParams } from '../../../shared/model.js';

/** `length` pseudo-random bytes from xorshift32 with the given nonzero seed, little-endian. */
export function seededBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed >>> 0 || 1;
  for (let index = 0; index < length; index += 4) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    for (let byte = 0; byte < 4 && index + byte < length; byte++) bytes[index + byte] = (state >>> (8 * byte)) & 0xff;
  }
  return bytes;
}

/**
 * The FastCDC rules of fastCdcCutter.ts written as plainly as possible, one byte at a time and
 * with arithmetic instead of bit operations, as the specification the optimized cutter must
 * match. Returns the end offset of each chunk.
 */
export function referenceFastCdcCuts(bytes: Uint8Array, params: ChunkingParams): number[] {
  const bits = Math.floor(Math.log2(params.avgSize));
  // True when hash bits 29 - count to 28 are all zero.
  const testedBitsClear = (hash: number, count: number): boolean => Math.floor(hash / 2 ** (29 - count)) % 2 ** count === 0;
  const cuts: number[] = [];
  let start = 0;
  while (start < bytes.length) {
    const limit = Math.min(bytes.length, start + params.maxSize);
    let end = limit;
    let hash = 0;
    for (let index = start + params.minSize; index < limit; index++) {
      const gear = GEAR[bytes[index]!]!;
      hash = (hash * 2 + (gear < 0 ? gear + 2 ** 32 : gear)) % 2 ** 32;
      const length = index + 1 - start;
      if (testedBitsClear(hash, length <= params.avgSize ? bits + 2 : bits - 2)) {
        end = index + 1;
        break;
      }
    }
    cuts.push(end);
    start = end;
  }
  return cuts;
}
