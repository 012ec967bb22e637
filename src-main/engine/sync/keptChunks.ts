// The bytes of chunks a round's scan read anyway, kept for its upload, so that a small new or
// changed file is read from the disk once, not once to hash and again to send. Bounded: what
// does not fit is read again at upload time (and checked against its id there, as before).
//
// Why sending kept bytes is as safe as re-reading: the map is content-addressed. Each entry's
// id was computed from exactly the bytes stored under it, so whatever file they came from and
// whatever the file holds now, the bytes are that chunk's. The server verifies each chunk on
// arrival as it always does. A file changed after the scan is committed as the version the
// scan saw, exactly as when it changes after a re-read, and the next scan sees the change.

import type { ChunkId } from '../../../shared/model.js';

interface ChunkAt {
  readonly id: ChunkId;
  readonly offset: number;
  readonly size: number;
}

export class KeptChunks {
  private readonly bytes = new Map<ChunkId, Uint8Array>();
  private keptBytes = 0;

  /** `budget`: the most bytes held at once; `fileLimit`: larger files are never kept. */
  constructor(
    readonly budget: number,
    readonly fileLimit: number,
  ) {}

  /** Whether a file of `size` bytes would be kept now (so the scan asks the chunker for its bytes). */
  wants(size: number): boolean {
    return size <= this.fileLimit && this.keptBytes + size <= this.budget;
  }

  /** Keeps the chunks of a file that was read whole into `bytes` (views of it, no copy). */
  keep(chunks: readonly ChunkAt[], bytes: Uint8Array): void {
    if (!this.wants(bytes.byteLength)) return;
    for (const chunk of chunks) {
      if (this.bytes.has(chunk.id) || chunk.offset + chunk.size > bytes.byteLength) continue;
      this.bytes.set(chunk.id, bytes.subarray(chunk.offset, chunk.offset + chunk.size));
      this.keptBytes += chunk.size;
    }
  }

  /** The bytes of chunk `id` if kept; they are let go (the upload sends each chunk once). */
  take(id: ChunkId): Uint8Array | undefined {
    const found = this.bytes.get(id);
    if (found !== undefined) {
      this.bytes.delete(id);
      this.keptBytes -= found.byteLength;
    }
    return found;
  }

  /** The bytes of chunk `id` if kept, which stay kept. */
  peek(id: ChunkId): Uint8Array | undefined {
    return this.bytes.get(id);
  }

  has(id: ChunkId): boolean {
    return this.bytes.has(id);
  }

  get size(): number {
    return this.keptBytes;
  }

  clear(): void {
    this.bytes.clear();
    this.keptBytes = 0;
  }
}
