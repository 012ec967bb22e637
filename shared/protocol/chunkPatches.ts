// Chunk patches: a changed chunk sent as an edit of another chunk (its base) instead of whole,
// so a small edit of a small file costs about the edit on the wire, not the whole file.
//
// A patch is a list of operations that build the new chunk: COPY a range of the base, or a
// LITERAL run of bytes. Whoever rebuilds a chunk from a patch checks the result's SHA-256
// against the chunk's id before anything uses it; a patch that does not rebuild its chunk is
// refused and the chunk is sent whole instead. Both ways are negotiated: a server that has
// these routes says so with CHUNK_PATCHES_HEADER on its answers, and a client uses them only
// then (an older server never sees them; an older client never calls them).
//
// - Download (server to client): the client names the new chunk and a base it holds on disk
//   (read and verified against the base's id first); the server, which holds both, answers
//   with a patch (common prefix and suffix kept, the middle as a literal).
// - Upload (client to server): the client no longer has the base's bytes, so the server sends
//   block signatures of the base (rsync: a rolling weak sum and a short strong hash per block),
//   the client answers with copy/literal operations, and the server rebuilds the chunk and
//   checks its hash before storing it.

import { z } from 'zod';
import { chunkIdSchema } from './common.js';

/** A response header by which a server says it serves the chunk patch routes ('1'). */
export const CHUNK_PATCHES_HEADER = 'x-cairn-chunk-patches';

export const CHUNK_PATCH_LIMITS = {
  /** Most chunks in one patch download or one signatures request. */
  maxPairsPerRequest: 256,
  /** Most patches in one patch upload. */
  maxPatchesPerUpload: 1_024,
  /** Most bytes the server rebuilds from the patches of one upload (it holds them until stored). */
  maxRebuiltBytesPerUpload: 16 * 1024 * 1024,
  /**
   * Most chunk bytes the server reads for one request of these routes (new chunks and bases,
   * counted each time one is read): a request naming more is cut off there. Clients keep each
   * request within it (they know the sizes).
   */
  maxReadBytesPerRequest: 64 * 1024 * 1024,
  /** Largest patch upload body. */
  maxUploadBodyBytes: 16 * 1024 * 1024,
  /** Bounds of a signature's block size. */
  minBlockBytes: 64,
  maxBlockBytes: 64 * 1024,
  /** Bytes of the strong hash per block (a truncated SHA-256; the whole chunk's hash decides). */
  strongHashBytes: 8,
} as const;

/** Download: the new chunk `id` as a patch of `baseId`, which the client holds. */
export const chunkPatchPairSchema = z.strictObject({ id: chunkIdSchema, baseId: chunkIdSchema });
export const chunkPatchRequestSchema = z.strictObject({
  pairs: z.array(chunkPatchPairSchema).max(CHUNK_PATCH_LIMITS.maxPairsPerRequest),
});
export type ChunkPatchRequest = z.input<typeof chunkPatchRequestSchema>;

/** Upload, first step: the block signatures of these base chunks (frames, in request order). */
export const chunkSignaturesRequestSchema = z.strictObject({
  ids: z.array(chunkIdSchema).max(CHUNK_PATCH_LIMITS.maxPairsPerRequest),
});
export type ChunkSignaturesRequest = z.input<typeof chunkSignaturesRequestSchema>;

/**
 * Upload, second step: the answer to patch frames. `stored`: chunks rebuilt, verified and now
 * present for the library; `rejected`: chunks not stored (their base is not in the library,
 * or the patch did not rebuild the chunk), which the client sends whole.
 */
export const uploadChunkPatchesResponseSchema = z.object({ stored: z.int().min(0), rejected: z.array(chunkIdSchema) });
export type UploadChunkPatchesResponse = z.output<typeof uploadChunkPatchesResponseSchema>;

/** A patch that cannot be read or applied: malformed, outside its base, or too long. */
export class ChunkPatchError extends Error {
  override readonly name = 'ChunkPatchError';
}

const OP_COPY = 1;
const OP_LITERAL = 2;

export type PatchOp = { readonly kind: 'copy'; readonly offset: number; readonly length: number } | { readonly kind: 'literal'; readonly bytes: Uint8Array };

function varintLength(value: number): number {
  let length = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    length += 1;
  }
  return length;
}

function writeVarint(target: Uint8Array, at: number, value: number): number {
  while (value >= 0x80) {
    target[at++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  target[at++] = value;
  return at;
}

/** Reads an unsigned LEB128 number of at most 32 bits; returns [value, next offset]. */
function readVarint(source: Uint8Array, at: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 5; i++) {
    if (at >= source.length) throw new ChunkPatchError('a patch ends inside a number');
    const byte = source[at++]!;
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) {
      if (value > 0xffffffff) throw new ChunkPatchError('a number of a patch is out of range');
      return [value, at];
    }
    scale *= 128;
  }
  throw new ChunkPatchError('a number of a patch is too long');
}

/** Encodes operations (adjacent copies and literals are merged, empty ones dropped). */
export function encodePatch(ops: readonly PatchOp[]): Uint8Array {
  const merged: PatchOp[] = [];
  for (const op of ops) {
    if (op.kind === 'copy' ? op.length === 0 : op.bytes.length === 0) continue;
    const last = merged[merged.length - 1];
    if (op.kind === 'copy' && last?.kind === 'copy' && last.offset + last.length === op.offset) {
      merged[merged.length - 1] = { kind: 'copy', offset: last.offset, length: last.length + op.length };
    } else if (op.kind === 'literal' && last?.kind === 'literal') {
      const bytes = new Uint8Array(last.bytes.length + op.bytes.length);
      bytes.set(last.bytes);
      bytes.set(op.bytes, last.bytes.length);
      merged[merged.length - 1] = { kind: 'literal', bytes };
    } else {
      merged.push(op);
    }
  }
  let size = 0;
  for (const op of merged) size += op.kind === 'copy' ? 1 + varintLength(op.offset) + varintLength(op.length) : 1 + varintLength(op.bytes.length) + op.bytes.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const op of merged) {
    if (op.kind === 'copy') {
      out[at++] = OP_COPY;
      at = writeVarint(out, at, op.offset);
      at = writeVarint(out, at, op.length);
    } else {
      out[at++] = OP_LITERAL;
      at = writeVarint(out, at, op.bytes.length);
      out.set(op.bytes, at);
      at += op.bytes.length;
    }
  }
  return out;
}

/** The operations of a patch, checked against a base of `baseLength` bytes and a result of at most `maxBytes`. */
export function decodePatch(patch: Uint8Array, baseLength: number, maxBytes: number): { readonly ops: PatchOp[]; readonly length: number } {
  const ops: PatchOp[] = [];
  let length = 0;
  let at = 0;
  while (at < patch.length) {
    const tag = patch[at++];
    if (tag === OP_COPY) {
      let offset: number;
      let count: number;
      [offset, at] = readVarint(patch, at);
      [count, at] = readVarint(patch, at);
      if (count === 0 || offset + count > baseLength) throw new ChunkPatchError(`a copy of ${count} bytes at ${offset} is outside the ${baseLength}-byte base`);
      ops.push({ kind: 'copy', offset, length: count });
      length += count;
    } else if (tag === OP_LITERAL) {
      let count: number;
      [count, at] = readVarint(patch, at);
      if (count === 0 || at + count > patch.length) throw new ChunkPatchError('a literal of a patch is empty or runs past its end');
      ops.push({ kind: 'literal', bytes: patch.subarray(at, at + count) });
      at += count;
      length += count;
    } else {
      throw new ChunkPatchError(`unknown patch operation ${String(tag)}`);
    }
    if (length > maxBytes) throw new ChunkPatchError(`a patch builds more than ${maxBytes} bytes`);
  }
  if (length === 0) throw new ChunkPatchError('a patch builds nothing');
  return { ops, length };
}

/**
 * The bytes a patch builds from `base`: at most `maxBytes` (checked before anything is
 * allocated). The caller still checks the result's hash against the chunk's id.
 */
export function applyPatch(base: Uint8Array, patch: Uint8Array, maxBytes: number): Uint8Array {
  const { ops, length } = decodePatch(patch, base.length, maxBytes);
  const out = new Uint8Array(length);
  let at = 0;
  for (const op of ops) {
    if (op.kind === 'copy') out.set(base.subarray(op.offset, op.offset + op.length), at);
    else out.set(op.bytes, at);
    at += op.kind === 'copy' ? op.length : op.bytes.length;
  }
  return out;
}

/** A patch keeping the common prefix and suffix of `base` and `target`, the middle as a literal. */
export function prefixSuffixPatch(base: Uint8Array, target: Uint8Array): Uint8Array {
  let prefix = 0;
  const most = Math.min(base.length, target.length);
  while (prefix < most && base[prefix] === target[prefix]) prefix += 1;
  let suffix = 0;
  while (suffix < most - prefix && base[base.length - 1 - suffix] === target[target.length - 1 - suffix]) suffix += 1;
  return encodePatch([
    { kind: 'copy', offset: 0, length: prefix },
    { kind: 'literal', bytes: target.subarray(prefix, target.length - suffix) },
    { kind: 'copy', offset: base.length - suffix, length: suffix },
  ]);
}

/** A patch frame of an upload: the base chunk's raw 32-byte id, then the patch. */
export const PATCH_BASE_ID_BYTES = 32;

/**
 * The block size the server picks for a base of `length` bytes: about sqrt(12 * length), which
 * balances the signature's cost (12 bytes per block) against the literal an edit costs (about a
 * block), rounded up to a multiple of 64 within the limits.
 */
export function signatureBlockSize(length: number): number {
  const ideal = Math.sqrt(12 * length);
  const rounded = Math.ceil(ideal / 64) * 64;
  return Math.max(CHUNK_PATCH_LIMITS.minBlockBytes, Math.min(CHUNK_PATCH_LIMITS.maxBlockBytes, rounded));
}

/** Bytes of a signature's header: block size and base length, 4 bytes each, big-endian. */
export const SIGNATURE_HEADER_BYTES = 8;
/** Bytes per block in a signature: the weak sum (4) and the strong hash. */
export const SIGNATURE_BLOCK_BYTES = 4 + CHUNK_PATCH_LIMITS.strongHashBytes;

/**
 * The rsync weak checksum of `bytes[start, start + length)`: a = sum of bytes, b = sum of
 * a's running values, both mod 2^16; the value is a | b << 16 (unsigned).
 */
export function weakSum(bytes: Uint8Array, start: number, length: number): { a: number; b: number } {
  let a = 0;
  let b = 0;
  for (let i = 0; i < length; i++) {
    a = (a + bytes[start + i]!) & 0xffff;
    b = (b + a) & 0xffff;
  }
  return { a, b };
}

export interface BlockSignature {
  readonly blockSize: number;
  readonly baseLength: number;
  /** Per block, its weak sum (a | b << 16, unsigned). */
  readonly weak: Uint32Array;
  /** Per block, its strong hash (strongHashBytes each, in order). */
  readonly strong: Uint8Array;
}

/** Reads a signature frame's bytes; throws ChunkPatchError on anything malformed. */
export function decodeSignature(bytes: Uint8Array): BlockSignature {
  if (bytes.length < SIGNATURE_HEADER_BYTES) throw new ChunkPatchError('a signature is shorter than its header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const blockSize = view.getUint32(0, false);
  const baseLength = view.getUint32(4, false);
  if (blockSize < CHUNK_PATCH_LIMITS.minBlockBytes || blockSize > CHUNK_PATCH_LIMITS.maxBlockBytes) throw new ChunkPatchError(`a signature's block size ${blockSize} is out of range`);
  const blocks = Math.ceil(baseLength / blockSize);
  if (bytes.length !== SIGNATURE_HEADER_BYTES + blocks * SIGNATURE_BLOCK_BYTES) throw new ChunkPatchError('a signature does not have one entry per block of its base');
  const weak = new Uint32Array(blocks);
  const strong = new Uint8Array(blocks * CHUNK_PATCH_LIMITS.strongHashBytes);
  for (let block = 0; block < blocks; block++) {
    const at = SIGNATURE_HEADER_BYTES + block * SIGNATURE_BLOCK_BYTES;
    weak[block] = view.getUint32(at, false);
    strong.set(bytes.subarray(at + 4, at + SIGNATURE_BLOCK_BYTES), block * CHUNK_PATCH_LIMITS.strongHashBytes);
  }
  return { blockSize, baseLength, weak, strong };
}
