// The chunk store: chunk bytes by owner and id. Chunks are scoped per library owner and never
// shared across users, so one user can never learn whether another stores some content. The
// routes see only this interface, so an S3-compatible store can replace the folder one; both
// must pass test/server/storageConformance.ts.

import type { ChunkId } from '../../shared/model.js';

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
  /** The chunk's bytes, or null if the owner's store does not hold it. */
  get(ownerId: string, id: ChunkId): Promise<Uint8Array | null>;
  close(): Promise<void>;
}
