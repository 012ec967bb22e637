// The chunk store: chunk bytes by owner and id. Chunks are scoped per library owner and never
// shared across users, so one user can never learn whether another stores some content. The
// routes see only this interface, so an S3-compatible store can replace the folder one; both
// must pass test/server/storageConformance.ts.

import type { ChunkId } from '../../shared/model.js';
import type { PackedChunk } from './packFormat.js';

export type { PackedChunk };

export interface StoredChunk {
  readonly id: ChunkId;
  readonly bytes: Uint8Array;
}

export interface ChunkStore {
  /** True if the owner's store holds the chunk. */
  has(ownerId: string, id: ChunkId): Promise<boolean>;
  /**
   * Stores chunks durably and atomically: once this resolves every one survives a crash, and a
   * crash before never leaves a partial chunk under its id. The caller verified that the bytes
   * hash to the ids. Storing a chunk that exists already does nothing, unless `writeAll`: then
   * every chunk given is written like a new one (the stored copy stays the one read), so the
   * time taken does not tell whether the owner held them already. Taking a batch lets a store
   * amortize its costs (fsyncs here, requests and packing on object storage).
   */
  put(ownerId: string, chunks: readonly StoredChunk[], options?: { readonly writeAll?: boolean }): Promise<void>;
  /**
   * Optional: stores a batch of chunk frames while it arrives (an upload's body), without
   * holding it in memory. Resolves with the body's chunks (offsets in the body) once every
   * frame verified against its id and every chunk is durable, with the same guarantees as put;
   * if the body fails (a bad frame, the client leaving), nothing of it is stored. Every chunk
   * given is written, like put with `writeAll`. Stores without it get the batch through put.
   */
  ingest?(ownerId: string, body: IncomingFrameBytes): Promise<PackedChunk[]>;
  /**
   * The chunk's bytes, or null if the owner's store does not hold it. Throws DamagedChunkError
   * when the store locates the chunk but cannot read it whole (a cut or missing pack). The
   * caller verifies the bytes against the id.
   */
  get(ownerId: string, id: ChunkId): Promise<Uint8Array | null>;
  /**
   * Optional hint: these chunks are about to be read, in this order (a download). A store whose
   * lookups are round trips (the S3 store's index in PostgreSQL) looks them up together.
   */
  prefetch?(ownerId: string, ids: readonly ChunkId[]): void;
  /**
   * Sets aside a chunk whose stored bytes failed verification: from then on the store no longer
   * holds it (has and get answer as for an absent chunk), so the owner's next upload of the same
   * bytes stores them again. The damaged copy is recorded, never served. Idempotent.
   */
  quarantine(ownerId: string, id: ChunkId, reason: string): Promise<void>;
  /** Every pack the store's index names, with the chunks it locates in it (for fsck). */
  packs(): AsyncIterable<StoredPack>;
  /** A pack's bytes as stored, or null if the pack is gone (for fsck). */
  readPack(pack: StoredPack): Promise<Uint8Array | null>;
  close(): Promise<void>;
}

/** A body of chunk frames that verifies each frame against its id as it is read (frameBody.ts). */
export interface IncomingFrameBytes {
  /**
   * Reads the body to its end, handing each piece of it to `onPiece` in order (a returned
   * promise is awaited before more is read), and resolves with its chunks, each located in the
   * body, once all of it arrived and every frame verified. Rejects at the first bad frame or
   * failure: the pieces handed over so far must then be dropped.
   */
  stream(onPiece: (piece: Uint8Array) => void | Promise<void>): Promise<PackedChunk[]>;
}

/** A pack as the index knows it: where it is, how long it should be, what it holds. */
export interface StoredPack {
  readonly ownerId: string;
  /** The pack's name in the store (a file path below the root, or an object key). */
  readonly key: string;
  readonly bytes: number;
  /** The chunks the index locates in this pack (a pack may hold dead copies besides). */
  readonly chunks: readonly PackedChunk[];
}

/** The store locates the chunk but cannot read it whole: damage, never an absent chunk. */
export class DamagedChunkError extends Error {
  override readonly name = 'DamagedChunkError';

  constructor(
    readonly chunkId: ChunkId,
    message: string,
  ) {
    super(message);
  }
}
