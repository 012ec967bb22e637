// The bytes of chunks a round's scan read anyway, kept for its upload, so that a small new or
// changed file is read from the disk once, not once to hash and again to send. Bounded: what
// does not fit is read again at upload time (and checked against its id there, as before).
//
// Why sending kept bytes is as safe as re-reading: the map is content-addressed. Each entry's
// id was computed from exactly the bytes stored under it, so whatever file they came from and
// whatever the file holds now, the bytes are that chunk's. The server verifies each chunk on
// arrival as it always does. A file changed after the scan is committed as the version the
// scan saw, exactly as when it changes after a re-read, and the next scan sees the change.
//
// The bytes are copied into slabs of SLAB_BYTES, and a slab whose chunks have all been taken is
// used again for the next ones. A first sync of 10,000 small files used to keep each file's own
// buffer (one allocation per file) until the garbage collector found it, long after the early
// upload had sent it: 40-50 MiB of dead file buffers at once, and a malloc heap left that much
// larger for the rest of the process. Now the bytes held stay near what is actually kept.

import type { ChunkId } from '../../../shared/model.js';

interface ChunkAt {
  readonly id: ChunkId;
  readonly offset: number;
  readonly size: number;
}

/** Kept bytes are copied into buffers of this size (a file is at most fileLimit, below it). */
const SLAB_BYTES = 1024 * 1024;
/** Emptied slabs waiting for more chunks; more are let go. */
const SPARE_SLABS = 4;

interface Slab {
  readonly bytes: Uint8Array;
  /** Bytes of it handed out since it was last emptied. */
  used: number;
  /** Chunks kept in it and not yet taken. */
  live: number;
}

interface Kept {
  readonly bytes: Uint8Array;
  readonly slab: Slab;
}

export class KeptChunks {
  private readonly bytes = new Map<ChunkId, Kept>();
  private keptBytes = 0;
  /** The slab new chunks are copied into. */
  private current: Slab | undefined;
  private spare: Slab[] = [];
  /** Slabs allocated since this was made (a bound the tests check). */
  slabsAllocated = 0;

  /** `budget`: the most bytes held at once; `fileLimit`: larger files are never kept. */
  constructor(
    readonly budget: number,
    readonly fileLimit: number,
  ) {}

  /** Whether a file of `size` bytes would be kept now (so the scan asks the chunker for its bytes). */
  wants(size: number): boolean {
    return size <= this.fileLimit && this.keptBytes + size <= this.budget;
  }

  /**
   * Keeps the chunks of a file that was read whole into `bytes`. They are copied: `bytes` may
   * be reused by the caller as soon as this returns.
   */
  keep(chunks: readonly ChunkAt[], bytes: Uint8Array): void {
    if (!this.wants(bytes.byteLength)) return;
    for (const chunk of chunks) {
      if (this.bytes.has(chunk.id) || chunk.offset + chunk.size > bytes.byteLength) continue;
      this.bytes.set(chunk.id, this.copy(bytes.subarray(chunk.offset, chunk.offset + chunk.size)));
      this.keptBytes += chunk.size;
    }
  }

  /**
   * The bytes of chunk `id` if kept; they are let go (the upload sends each chunk once). They
   * stay valid until the next keep(), which may reuse their memory: copy them before that.
   */
  take(id: ChunkId): Uint8Array | undefined {
    const found = this.bytes.get(id);
    if (found === undefined) return undefined;
    this.bytes.delete(id);
    this.keptBytes -= found.bytes.byteLength;
    this.release(found.slab);
    return found.bytes;
  }

  /** The bytes of chunk `id` if kept, which stay kept. */
  peek(id: ChunkId): Uint8Array | undefined {
    return this.bytes.get(id)?.bytes;
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
    this.current = undefined;
    this.spare = [];
  }

  private copy(source: Uint8Array): Kept {
    let slab = this.current;
    if (slab === undefined || slab.used + source.byteLength > slab.bytes.byteLength) {
      if (slab !== undefined && slab.live === 0 && source.byteLength <= slab.bytes.byteLength) slab.used = 0;
      else {
        if (slab !== undefined && slab.live === 0) this.retire(slab);
        slab = this.spare.pop() ?? this.allocate(source.byteLength);
        this.current = slab;
      }
    }
    const bytes = slab.bytes.subarray(slab.used, slab.used + source.byteLength);
    bytes.set(source);
    slab.used += source.byteLength;
    slab.live += 1;
    return { bytes, slab };
  }

  private allocate(atLeast: number): Slab {
    this.slabsAllocated += 1;
    return { bytes: new Uint8Array(Math.max(SLAB_BYTES, atLeast)), used: 0, live: 0 };
  }

  /** A chunk of `slab` was taken: once none is left there, the slab takes new chunks again. */
  private release(slab: Slab): void {
    slab.live -= 1;
    if (slab.live === 0 && slab !== this.current) this.retire(slab);
  }

  private retire(slab: Slab): void {
    slab.used = 0;
    if (slab.bytes.byteLength === SLAB_BYTES && this.spare.length < SPARE_SLABS) this.spare.push(slab);
  }
}
