// Chunk patches: the copy/literal encoding, the prefix/suffix patch of downloads and the rsync
// patch of uploads rebuild exactly the new bytes for random edits, stay about the size of the
// edit, and a malformed patch is refused rather than applied.

import { describe, expect, it } from 'vitest';
import { patchFromSignature, signatureOf } from '../../shared/node/chunkPatchSignatures.js';
import {
  ChunkPatchError,
  applyPatch,
  decodePatch,
  decodeSignature,
  encodePatch,
  prefixSuffixPatch,
  signatureBlockSize,
} from '../../shared/protocol/index.js';
import { SeededRandom } from '../sync/support/seededRandom.js';

function seededRandom(seed: number): Random {
  const source = new SeededRandom(seed);
  return () => source.next();
}

type Random = () => number;

/** Byte equality (toEqual walks a typed array element by element, slowly). */
function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

function randomBytes(random: Random, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

/** `base` with 1 to 4 random edits (replace, insert or delete a run of 1 to 64 bytes); the bytes the edits brought in. */
function edited(random: Random, base: Uint8Array): { bytes: Uint8Array; changed: number } {
  let bytes = base;
  let changed = 0;
  const edits = 1 + Math.floor(random() * 4);
  for (let edit = 0; edit < edits; edit++) {
    const at = Math.floor(random() * (bytes.length + 1));
    const length = 1 + Math.floor(random() * 64);
    const kind = Math.floor(random() * 3);
    const insert = kind === 2 ? new Uint8Array(0) : randomBytes(random, length);
    const remove = kind === 1 ? 0 : Math.min(length, bytes.length - at);
    const next = new Uint8Array(bytes.length - remove + insert.length);
    next.set(bytes.subarray(0, at));
    next.set(insert, at);
    next.set(bytes.subarray(at + remove), at + insert.length);
    bytes = next;
    changed += insert.length;
  }
  return { bytes, changed };
}

describe('chunk patches', () => {
  it('encode and decode copy and literal operations, merging neighbours', () => {
    const base = Uint8Array.from([10, 11, 12, 13, 14, 15]);
    const patch = encodePatch([
      { kind: 'copy', offset: 0, length: 2 },
      { kind: 'copy', offset: 2, length: 1 },
      { kind: 'literal', bytes: Uint8Array.from([1]) },
      { kind: 'literal', bytes: Uint8Array.from([2, 3]) },
      { kind: 'copy', offset: 5, length: 0 },
      { kind: 'copy', offset: 4, length: 2 },
    ]);
    expect(decodePatch(patch, base.length, 100).ops).toEqual([
      { kind: 'copy', offset: 0, length: 3 },
      { kind: 'literal', bytes: Uint8Array.from([1, 2, 3]) },
      { kind: 'copy', offset: 4, length: 2 },
    ]);
    expect([...applyPatch(base, patch, 100)]).toEqual([10, 11, 12, 1, 2, 3, 14, 15]);
  });

  it('rebuild the new bytes exactly for random edits, both ways, in about the size of the edit', () => {
    const random = seededRandom(20261207);
    for (let round = 0; round < 300; round++) {
      const base = randomBytes(random, 1 + Math.floor(random() * 20_000));
      const { bytes: target, changed } = edited(random, base);
      if (target.length === 0) continue;
      const download = prefixSuffixPatch(base, target);
      expect(same(applyPatch(base, download, 1 << 20), target)).toBe(true);
      for (const blockSize of [64, 256, signatureBlockSize(base.length), 4096]) {
        const upload = patchFromSignature(decodeSignature(signatureOf(base, blockSize)), target);
        expect(same(applyPatch(base, upload, 1 << 20), target)).toBe(true);
        // Each edit costs at most the two blocks around it (plus the operations' few bytes).
        expect(upload.length).toBeLessThanOrEqual(Math.min(target.length, changed + 4 * 2 * blockSize) + 64);
      }
    }
  });

  it('send one changed byte of a 16 KiB chunk in well under a kilobyte', () => {
    const random = seededRandom(5);
    const base = randomBytes(random, 16 * 1024);
    const target = base.slice();
    target[9000] = target[9000]! ^ 1;
    const signature = signatureOf(base);
    expect(signature.length).toBeLessThan(600);
    expect(patchFromSignature(decodeSignature(signature), target).length).toBeLessThan(signatureBlockSize(base.length) + 32);
    expect(prefixSuffixPatch(base, target).length).toBeLessThan(16);
  });

  it('refuse a malformed patch or signature instead of applying it', () => {
    const base = new Uint8Array(100);
    const refused = (patch: number[], max = 1000) => expect(() => applyPatch(base, Uint8Array.from(patch), max)).toThrow(ChunkPatchError);
    refused([1, 90, 20]); // copy past the base's end
    refused([1, 0, 0]); // empty copy
    refused([2, 5, 1, 2]); // literal past the patch's end
    refused([3, 1, 1]); // unknown operation
    refused([1, 0x80]); // number cut short
    refused([1, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 1]); // number too long
    refused([]); // builds nothing
    refused([1, 0, 100, 1, 0, 100], 150); // builds more than allowed
    expect(() => decodeSignature(Uint8Array.from([0, 0, 0, 64, 0, 0, 1, 0]))).toThrow(ChunkPatchError); // blocks missing
    expect(() => decodeSignature(Uint8Array.from([0, 0, 0, 1, 0, 0, 0, 0]))).toThrow(ChunkPatchError); // block size out of range
  });
});

describe('a signature made to collide', () => {
  it('costs a bounded number of strong hashes, and still gives a patch that rebuilds the chunk', () => {
    const random = seededRandom(9);
    const target = randomBytes(random, 64 * 1024);
    // Every block's weak sum equals the target's first window's, with wrong strong hashes.
    const blockSize = 64;
    const signature = decodeSignature(signatureOf(randomBytes(random, 64 * 1024), blockSize));
    const zeros = new Uint8Array(blockSize);
    const collide = decodeSignature(signatureOf(zeros, blockSize));
    signature.weak.fill(collide.weak[0]!);
    const sameWindows = new Uint8Array(64 * 1024); // all windows of zeros have the colliding weak sum
    const patch = patchFromSignature(signature, sameWindows);
    expect(same(applyPatch(new Uint8Array(64 * 1024), patch, 1 << 20), sameWindows)).toBe(true);
    expect(same(applyPatch(new Uint8Array(64 * 1024), patchFromSignature(signature, target), 1 << 20), target)).toBe(true);
  });
});
