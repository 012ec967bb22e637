// The rsync half of chunk patches (see shared/protocol/chunkPatches.ts): the server describes a
// base chunk by block signatures, and the client, which has only the new chunk, finds the
// blocks of the base in it and sends the rest as literals.

import { createHash } from 'node:crypto';
import {
  CHUNK_PATCH_LIMITS,
  SIGNATURE_BLOCK_BYTES,
  SIGNATURE_HEADER_BYTES,
  encodePatch,
  signatureBlockSize,
  weakSum,
} from '../protocol/chunkPatches.js';
import type { BlockSignature, PatchOp } from '../protocol/chunkPatches.js';

const STRONG = CHUNK_PATCH_LIMITS.strongHashBytes;

function strongHash(bytes: Uint8Array): Uint8Array {
  return createHash('sha256').update(bytes).digest().subarray(0, STRONG);
}

/** The signature of a base chunk, with `blockSize` (by default the one signatureBlockSize picks). */
export function signatureOf(base: Uint8Array, blockSize = signatureBlockSize(base.length)): Uint8Array {
  const blocks = Math.ceil(base.length / blockSize);
  const out = new Uint8Array(SIGNATURE_HEADER_BYTES + blocks * SIGNATURE_BLOCK_BYTES);
  const view = new DataView(out.buffer);
  view.setUint32(0, blockSize, false);
  view.setUint32(4, base.length, false);
  for (let block = 0; block < blocks; block++) {
    const start = block * blockSize;
    const length = Math.min(blockSize, base.length - start);
    const { a, b } = weakSum(base, start, length);
    const at = SIGNATURE_HEADER_BYTES + block * SIGNATURE_BLOCK_BYTES;
    view.setUint32(at, (a | (b << 16)) >>> 0, false);
    out.set(strongHash(base.subarray(start, start + length)), at + 4);
  }
  return out;
}

/** Most candidate blocks checked by strong hash for one weak sum (a hostile signature cannot make the search quadratic). */
const MAX_CANDIDATES = 4;

function sameStrong(signature: BlockSignature, block: number, hash: Uint8Array): boolean {
  const at = block * STRONG;
  for (let i = 0; i < STRONG; i++) if (signature.strong[at + i] !== hash[i]) return false;
  return true;
}

/**
 * The patch building `target` from the base `signature` describes: its whole blocks found
 * anywhere in `target` (rolling weak sum, confirmed by the strong hash) are copies, its last
 * (short) block is tried at the end of `target`, everything else is literal. The server checks
 * the rebuilt chunk's hash, so a block matched wrongly costs a whole upload, never data.
 */
export function patchFromSignature(signature: BlockSignature, target: Uint8Array): Uint8Array {
  const { blockSize, baseLength } = signature;
  const blocks = signature.weak.length;
  const fullBlocks = Math.floor(baseLength / blockSize);
  const byWeak = new Map<number, number[]>();
  // The high half of each block's weak sum, as a quick filter before the map is asked.
  const tags = new Uint8Array(65536);
  for (let block = 0; block < fullBlocks; block++) {
    const weak = signature.weak[block]!;
    tags[weak >>> 16] = 1;
    const list = byWeak.get(weak);
    if (list === undefined) byWeak.set(weak, [block]);
    else if (list.length < MAX_CANDIDATES) list.push(block);
  }
  const ops: PatchOp[] = [];
  let literalStart = 0;
  const n = target.length;
  let i = 0;
  let a = 0;
  let b = 0;
  let rolling = false;
  // Weak sums that match without the block matching cost a strong hash each: past a few per
  // block of the target (a signature made to collide), the rest is sent as literal.
  let strongLeft = 4 * Math.ceil(n / blockSize) + 64;
  while (i + blockSize <= n && byWeak.size > 0 && strongLeft > 0) {
    if (!rolling) {
      ({ a, b } = weakSum(target, i, blockSize));
      rolling = true;
    }
    const candidates = tags[b] === 0 ? undefined : byWeak.get((a | (b << 16)) >>> 0);
    if (candidates !== undefined) {
      strongLeft -= 1;
      const hash = strongHash(target.subarray(i, i + blockSize));
      const block = candidates.find((candidate) => sameStrong(signature, candidate, hash));
      if (block !== undefined) {
        ops.push({ kind: 'literal', bytes: target.subarray(literalStart, i) });
        ops.push({ kind: 'copy', offset: block * blockSize, length: blockSize });
        i += blockSize;
        literalStart = i;
        rolling = false;
        continue;
      }
    }
    if (i + blockSize >= n) break;
    const out = target[i]!;
    const into = target[i + blockSize]!;
    a = (a - out + into) & 0xffff;
    b = (b - blockSize * out + a) & 0xffff;
    i += 1;
  }
  // The base's last block, when short, can only match the end of the target.
  const lastLength = baseLength - fullBlocks * blockSize;
  if (lastLength > 0 && blocks > fullBlocks && n - literalStart >= lastLength) {
    const start = n - lastLength;
    const { a: lastA, b: lastB } = weakSum(target, start, lastLength);
    if (((lastA | (lastB << 16)) >>> 0) === signature.weak[fullBlocks] && sameStrong(signature, fullBlocks, strongHash(target.subarray(start, n)))) {
      ops.push({ kind: 'literal', bytes: target.subarray(literalStart, start) });
      ops.push({ kind: 'copy', offset: fullBlocks * blockSize, length: lastLength });
      literalStart = n;
    }
  }
  ops.push({ kind: 'literal', bytes: target.subarray(literalStart, n) });
  return encodePatch(ops);
}
