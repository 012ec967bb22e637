// FastCDC: content-defined chunking with a gear rolling hash and normalized chunking
// (Xia et al., "FastCDC", USENIX ATC 2016), written for speed in plain TypeScript.
//
// The rules, which golden vectors in the tests pin forever:
//   - The first minSize bytes of every chunk are skipped without hashing.
//   - From then on each byte updates a 32-bit gear hash, hash = (hash << 1) + GEAR[byte]
//     (mod 2^32), starting from 0 at every chunk. Because of the shift, bit k of the hash
//     depends only on the last k + 1 bytes.
//   - The masks test the n bits just below bit 29 (bits 29 - n to 28), so a cut depends on the
//     last 29 bytes. While the chunk is at most avgSize long, a chunk ends after a byte whose
//     hash has those bits clear for n = floor(log2(avgSize)) + 2; beyond avgSize, for
//     n = floor(log2(avgSize)) - 2. The harder test before the average and the easier one
//     after it pull chunk sizes towards the average (normalized chunking, level 2).
//   - A chunk that reaches maxSize ends there.
//
// Speed: bytes are read four at a time as little-endian 32-bit words and the loop is unrolled
// four times. Within a word the hash is kept shifted left by the bytes still to come, which is
// why the masks stop at bit 28: shifted by up to 3, they still fit in 32 bits, so testing the
// shifted hash with the shifted mask is exactly the per-byte test above. V8 loads one word much
// faster than four bytes, and this measured about 2.5 times the plain per-byte loop here. The
// per-byte loop remains for unaligned heads and tails and for big-endian machines, and both
// paths give the same cuts. Everything the hot loop touches is a local: Int32Array tables,
// int32 arithmetic, no allocation and no closure.

import type { ChunkingParams } from '../../../shared/model.js';
import { log2Floor } from './cutter.js';
import type { Cutter } from './cutter.js';

/** How far normalized chunking moves each mask from log2(avgSize) bits. */
const NORMALIZATION_LEVEL = 2;

/** The highest hash bit a mask tests (see the word loop). */
const MASK_TOP_BIT = 28;

/**
 * The gear table: 256 pseudo-random 32-bit words from a fixed seed. Changing the seed, the
 * generator or the table would change every chunk boundary of every fastcdc library, so it
 * is generated here, in the open, and pinned by the golden vectors.
 */
export const GEAR: Int32Array = makeGearTable(0x43616972 /* "Cair" */);

/** GEAR shifted left by 1, 2 and 3 bits, for the bytes of a word that are not its last. */
const GEAR_SHIFTED_1 = shiftTable(GEAR, 1);
const GEAR_SHIFTED_2 = shiftTable(GEAR, 2);
const GEAR_SHIFTED_3 = shiftTable(GEAR, 3);

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * A Weyl sequence passed through the 32-bit MurmurHash3 finalizer: simple, fully specified
 * by this function and well mixed in every bit.
 */
function makeGearTable(seed: number): Int32Array {
  const table = new Int32Array(256);
  let state = seed | 0;
  for (let index = 0; index < table.length; index++) {
    state = (state + 0x9e3779b9) | 0;
    let word = state;
    word = Math.imul(word ^ (word >>> 16), 0x85ebca6b);
    word = Math.imul(word ^ (word >>> 13), 0xc2b2ae35);
    word ^= word >>> 16;
    table[index] = word;
  }
  return table;
}

function shiftTable(table: Int32Array, bits: number): Int32Array {
  return table.map((value) => value << bits);
}

/** An int32 with `bits` bits set, ending at MASK_TOP_BIT. */
function hashMask(bits: number): number {
  return (((1 << bits) - 1) << (MASK_TOP_BIT + 1 - bits)) | 0;
}

export class FastCdcCutter implements Cutter {
  readonly params: ChunkingParams;
  private readonly minSize: number;
  private readonly avgSize: number;
  private readonly maxSize: number;
  private readonly strictMask: number;
  private readonly looseMask: number;
  private streamPosition = 0;
  /** Length of the open chunk, which started at streamPosition - openSize. */
  private openSize = 0;
  /** The gear hash of the open chunk (0 until it passes minSize). */
  private hash = 0;
  /** The slice being pushed, seen as words: word k holds bytes wordStart + 4k to + 4k + 3. */
  private words: Uint32Array | undefined;
  private wordStart = 0;

  /** Parameters must already have passed checkChunkingParams (createCutter does that). */
  constructor(params: ChunkingParams) {
    this.params = params;
    this.minSize = params.minSize;
    this.avgSize = params.avgSize;
    this.maxSize = params.maxSize;
    const bits = log2Floor(params.avgSize);
    this.strictMask = hashMask(bits + NORMALIZATION_LEVEL);
    this.looseMask = hashMask(bits - NORMALIZATION_LEVEL);
  }

  get position(): number {
    return this.streamPosition;
  }

  push(bytes: Uint8Array): number[] {
    const cuts: number[] = [];
    const base = this.streamPosition;
    this.viewAsWords(bytes);
    try {
      let from = 0;
      for (;;) {
        const end = this.nextCut(bytes, from);
        if (end < 0) break;
        cuts.push(base + end);
        from = end;
      }
    } finally {
      this.words = undefined;
    }
    this.streamPosition = base + bytes.length;
    return cuts;
  }

  finish(): number | undefined {
    const end = this.openSize > 0 ? this.streamPosition : undefined;
    this.streamPosition = 0;
    this.openSize = 0;
    this.hash = 0;
    return end;
  }

  /** Sets `words` to the 4-byte-aligned middle of `bytes`, where the word loop may run. */
  private viewAsWords(bytes: Uint8Array): void {
    this.words = undefined;
    if (!LITTLE_ENDIAN) return;
    const start = (4 - (bytes.byteOffset & 3)) & 3;
    if (bytes.length < start + 4) return;
    this.wordStart = start;
    this.words = new Uint32Array(bytes.buffer, bytes.byteOffset + start, (bytes.length - start) >>> 2);
  }

  /**
   * The "next split point": scans bytes[from..] as the continuation of the open chunk and
   * returns the index in `bytes` just past the next cut, or -1 when the chunk goes on beyond
   * `bytes` (the bytes are then accounted to the open chunk). Private because it does not
   * move `position`; push does that.
   */
  private nextCut(bytes: Uint8Array, from: number): number {
    const length = bytes.length;
    let index = from;
    let size = this.openSize;

    if (size < this.minSize) {
      const skip = Math.min(this.minSize - size, length - index);
      index += skip;
      size += skip;
      if (size < this.minSize) {
        this.openSize = size;
        return -1;
      }
    }

    if (size < this.avgSize) {
      const stop = Math.min(length, index + (this.avgSize - size));
      const end = this.scan(bytes, index, stop, this.strictMask);
      if (end >= 0) return this.cutAt(end);
      size += stop - index;
      index = stop;
      if (size < this.avgSize) {
        this.openSize = size;
        return -1;
      }
    }

    const stop = Math.min(length, index + (this.maxSize - size));
    const end = this.scan(bytes, index, stop, this.looseMask);
    if (end >= 0) return this.cutAt(end);
    size += stop - index;
    if (size >= this.maxSize) return this.cutAt(stop);
    this.openSize = size;
    return -1;
  }

  /**
   * Hashes bytes[from, stop) into `hash` and returns the index just past the first byte after
   * which (hash & mask) === 0, or -1 if there is none.
   */
  private scan(bytes: Uint8Array, from: number, stop: number, mask: number): number {
    const gear = GEAR;
    let hash = this.hash;
    let index = from;
    const words = this.words;
    if (words !== undefined) {
      const wordStart = this.wordStart;
      // Bytes before the first whole word inside [from, stop).
      const alignedFrom = index <= wordStart ? wordStart : index + ((wordStart - index) & 3);
      const head = Math.min(alignedFrom, stop);
      for (; index < head; index++) {
        hash = ((hash << 1) + gear[bytes[index]!]!) | 0;
        if ((hash & mask) === 0) return this.cutFound(index + 1);
      }
      if (index === alignedFrom) {
        const gear1 = GEAR_SHIFTED_1;
        const gear2 = GEAR_SHIFTED_2;
        const gear3 = GEAR_SHIFTED_3;
        const mask1 = mask << 1;
        const mask2 = mask << 2;
        const mask3 = mask << 3;
        let wordIndex = (index - wordStart) >>> 2;
        const wordStop = Math.min(words.length, (stop - wordStart) >>> 2);
        for (; wordIndex < wordStop; wordIndex++) {
          const word = words[wordIndex]!;
          // After the k-th byte of the word, `hash` is the true hash shifted left by 3 - k.
          hash = ((hash << 4) + gear3[word & 0xff]!) | 0;
          if ((hash & mask3) === 0) return this.cutFound(wordStart + (wordIndex << 2) + 1);
          hash = (hash + gear2[(word >>> 8) & 0xff]!) | 0;
          if ((hash & mask2) === 0) return this.cutFound(wordStart + (wordIndex << 2) + 2);
          hash = (hash + gear1[(word >>> 16) & 0xff]!) | 0;
          if ((hash & mask1) === 0) return this.cutFound(wordStart + (wordIndex << 2) + 3);
          hash = (hash + gear[word >>> 24]!) | 0;
          if ((hash & mask) === 0) return this.cutFound(wordStart + (wordIndex << 2) + 4);
        }
        index = wordStart + (wordIndex << 2);
      }
    }
    for (; index < stop; index++) {
      hash = ((hash << 1) + gear[bytes[index]!]!) | 0;
      if ((hash & mask) === 0) return this.cutFound(index + 1);
    }
    this.hash = hash;
    return -1;
  }

  /** A cut was found: the hash restarts from 0 with the next chunk. */
  private cutFound(end: number): number {
    this.hash = 0;
    return end;
  }

  private cutAt(end: number): number {
    this.openSize = 0;
    this.hash = 0;
    return end;
  }
}
