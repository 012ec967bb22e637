// Chunk-frame request bodies (batched uploads) as the server reads them: frame by frame as the
// body arrives, each chunk hashed piece by piece and checked against its id the moment its last
// byte is in, with the route's limits kept. The bytes are never gathered per chunk: a store that
// can (the folder store) writes the body's pieces straight into a pack file while they arrive,
// and indexes the chunks only once every one of them verified (see ChunkStore.ingest).

import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChunkId } from '../shared/model.js';
import { FrameFormatError, FrameReader, PROTOCOL_LIMITS } from '../shared/protocol/index.js';
import type { Frame } from '../shared/protocol/index.js';
import { ApiError } from './apiError.js';
import { readBodyPieces } from './httpIo.js';
import type { BodyLimits } from './httpIo.js';
import { noteTransferBuffers } from './memoryReclaim.js';
import type { IncomingFrameBytes, PackedChunk } from './storage/chunkStore.js';

/** A frames body not read yet: the handler reads it once, streamed or whole. */
export interface IncomingFrames extends IncomingFrameBytes {
  /** Reads the whole body, verified, into memory (for stores that take whole chunks). */
  collect(): Promise<Frame[]>;
}

/**
 * Checks a frames body piece by piece: push every piece in order, then finish(). Throws the
 * ApiError the request is answered with at the first frame that is malformed, empty, too large,
 * one too many, or whose bytes do not hash to its id.
 */
export class FrameVerifier extends FrameReader {
  private current: { readonly id: ChunkId; readonly offset: number; readonly size: number; readonly hash: Hash } | null = null;
  readonly chunks: PackedChunk[] = [];

  constructor(private readonly maxChunkBytes: number) {
    super();
  }

  push(piece: Uint8Array): void {
    this.read(piece);
  }

  protected startFrame(id: ChunkId, size: number, offset: number): void {
    if (size > this.maxChunkBytes) {
      throw new ApiError('bad-request', `malformed chunk frames: chunk ${id} is ${size} bytes, more than the limit of ${this.maxChunkBytes}`);
    }
    if (size === 0) throw new ApiError('bad-request', 'a chunk cannot be empty');
    if (this.chunks.length >= PROTOCOL_LIMITS.maxChunksPerUpload) {
      throw new ApiError('payload-too-large', `an upload carries at most ${PROTOCOL_LIMITS.maxChunksPerUpload} chunks; send the rest in another request`);
    }
    this.current = { id, offset, size, hash: createHash('sha256') };
  }

  protected frameBytes(bytes: Uint8Array): void {
    this.current!.hash.update(bytes);
  }

  protected endFrame(): void {
    const frame = this.current!;
    this.current = null;
    if (frame.hash.digest('hex') !== frame.id) {
      throw new ApiError('hash-mismatch', `the bytes sent for chunk ${frame.id} do not hash to its id; nothing of this request was stored`, {
        chunkId: frame.id,
      });
    }
    this.chunks.push({ id: frame.id, offset: frame.offset, size: frame.size });
  }

  /** Throws if the body ended inside a frame. */
  finish(): void {
    if (this.inFrame) throw new ApiError('bad-request', `malformed chunk frames: ${new FrameFormatError('the body ended inside a frame').message}`);
  }
}

/** The frames body of a request, read when the handler asks for it (once). */
export function incomingFrames(request: IncomingMessage, response: ServerResponse, limits: BodyLimits, maxChunkBytes: number): IncomingFrames {
  return verifiedFrames(
    (onPiece) => readBodyPieces(request, response, limits, (piece) => onPiece(new Uint8Array(piece.buffer, piece.byteOffset, piece.length))),
    maxChunkBytes,
  );
}

/**
 * A frames body whose pieces `readPieces` hands over in order (awaiting each), verified as they
 * pass; read once.
 */
export function verifiedFrames(readPieces: (onPiece: (piece: Uint8Array) => Promise<void>) => Promise<void>, maxChunkBytes: number): IncomingFrames {
  let read = false;
  const stream = async (onPiece: (piece: Uint8Array) => void | Promise<void>): Promise<PackedChunk[]> => {
    if (read) throw new Error('a request body is read once');
    read = true;
    const verifier = new FrameVerifier(maxChunkBytes);
    await readPieces(async (piece) => {
      verifier.push(piece);
      await onPiece(piece);
      noteTransferBuffers(piece.length);
    });
    verifier.finish();
    return verifier.chunks;
  };
  return {
    stream,
    async collect() {
      const pieces: Uint8Array[] = [];
      const chunks = await stream((piece) => {
        pieces.push(piece);
      });
      const body = Buffer.concat(pieces);
      return chunks.map((chunk) => ({ id: chunk.id, bytes: new Uint8Array(body.buffer, body.byteOffset + chunk.offset, chunk.size) }));
    },
  };
}
