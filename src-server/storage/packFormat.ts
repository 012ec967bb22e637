// The pack format shared by every chunk store: the magic PACK_MAGIC ("CAIRNPK1") followed by
// the chunks as protocol frames ([32-byte id][4-byte big-endian length][bytes], see
// shared/protocol/frames.ts). A pack describes itself, so it can be checked or re-indexed
// without any index, and the same bytes move between the folder store and object storage.

import type { ChunkId } from '../../shared/model.js';
import { FRAME_HEADER_BYTES, encodeFrameHeader } from '../../shared/protocol/index.js';

/** The first bytes of every pack: "CAIRNPK1". */
export const PACK_MAGIC: Uint8Array = new Uint8Array([0x43, 0x41, 0x49, 0x52, 0x4e, 0x50, 0x4b, 0x31]);

/** Where a chunk's bytes are in its pack: `size` bytes starting at `offset`. */
export interface PackedChunk {
  readonly id: ChunkId;
  readonly offset: number;
  readonly size: number;
}

export interface EncodedPack {
  /** The pack's bytes in order, to be written or concatenated as they are. */
  readonly buffers: readonly Uint8Array[];
  readonly chunks: readonly PackedChunk[];
  /** The pack's total length. */
  readonly bytes: number;
}

export function encodePack(chunks: readonly { readonly id: ChunkId; readonly bytes: Uint8Array }[]): EncodedPack {
  const buffers: Uint8Array[] = [PACK_MAGIC];
  const located: PackedChunk[] = [];
  let offset = PACK_MAGIC.length;
  for (const chunk of chunks) {
    buffers.push(encodeFrameHeader(chunk.id, chunk.bytes.length), chunk.bytes);
    offset += FRAME_HEADER_BYTES;
    located.push({ id: chunk.id, offset, size: chunk.bytes.length });
    offset += chunk.bytes.length;
  }
  return { buffers, chunks: located, bytes: offset };
}

/** A pack that is not whole: it does not start with the magic, or ends inside a frame. */
export class DamagedPackError extends Error {
  override readonly name = 'DamagedPackError';
}

/**
 * The chunks a whole pack holds, read from its frames. Throws DamagedPackError if the bytes are
 * not a whole pack; the chunks' own bytes are not hashed here.
 */
export function decodePack(bytes: Uint8Array): PackedChunk[] {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.length < PACK_MAGIC.length || !view.subarray(0, PACK_MAGIC.length).equals(PACK_MAGIC)) {
    throw new DamagedPackError('the pack does not start with the pack magic');
  }
  const chunks: PackedChunk[] = [];
  let position = PACK_MAGIC.length;
  while (position < view.length) {
    if (position + FRAME_HEADER_BYTES > view.length) throw new DamagedPackError(`the pack ends inside a frame header at byte ${position}`);
    const id = view.toString('hex', position, position + 32);
    const size = view.readUInt32BE(position + 32);
    const offset = position + FRAME_HEADER_BYTES;
    if (offset + size > view.length) throw new DamagedPackError(`the pack ends inside chunk ${id}`);
    chunks.push({ id, offset, size });
    position = offset + size;
  }
  return chunks;
}
