// Streaming chunking: bytes in (any slicing), chunks with ids out, in order.
//
// Memory stays bounded whatever the stream's length: the open chunk is carried in one buffer
// of maxSize bytes, and at most HASH_BACKLOG_BYTES of chunks wait for their SHA-256.
//
// Where the SHA-256 runs: a chunk of at least THREADPOOL_MIN_BYTES is hashed with WebCrypto's
// digest, which Node runs on its libuv thread pool, so hashing overlaps with cutting on the
// calling thread and a single file keeps two cores busy. WebCrypto copies the data when digest
// is called (the spec requires it), so the bytes may be overwritten right after the call.
// Smaller chunks are hashed inline, where a thread-pool round trip would cost more than it
// saves.

import { createHash, webcrypto } from 'node:crypto';
import type { ChunkRef, ChunkingParams } from '../../../shared/model.js';
import { createCutter } from './createCutter.js';
import type { Cutter } from './cutter.js';

/** A chunk and where it lies in its stream. Assignable to the shared ChunkRef. */
export interface LocatedChunk extends ChunkRef {
  /** Offset of the chunk's first byte in the stream. */
  readonly offset: number;
}

export interface ChunkStreamOptions {
  /**
   * Called with each chunk and its bytes, in stream order, before the chunk is yielded. The
   * bytes are only valid during the call (copy them to keep them): the buffer is reused. When
   * set, every chunk is hashed on the calling thread, so chunking is slower.
   */
  readonly onChunk?: (chunk: LocatedChunk, bytes: Uint8Array) => void;
}

/** Chunks at least this large are hashed on the thread pool (see the file comment). */
const THREADPOOL_MIN_BYTES = 64 * 1024;

/**
 * How many bytes of chunks may wait for their hash before cutting pauses. Enough to keep the
 * thread pool busy while the cutter runs ahead, small enough to bound memory.
 */
const HASH_BACKLOG_BYTES = 8 * 1024 * 1024;

/**
 * Turns a stream of byte slices into chunks. Each slice's bytes are used before the next
 * slice is requested and never afterwards, so a source may reuse its buffers. A Node Readable
 * works as a source when it yields bytes (no encoding set).
 */
export async function* chunkStream(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  params: ChunkingParams,
  options: ChunkStreamOptions = {},
): AsyncGenerator<LocatedChunk, void, undefined> {
  const assembler = new ChunkAssembler(createCutter(params));
  const hashes = new HashQueue(options.onChunk);
  try {
    for await (const slice of source) {
      if (!(slice instanceof Uint8Array)) {
        throw new TypeError('chunkStream needs byte slices (Uint8Array): open the stream without an encoding.');
      }
      assembler.push(slice, hashes.add);
      for (;;) {
        const chunk = hashes.hasRoom() ? hashes.takeReady() : await hashes.takeOldest();
        if (chunk === undefined) break;
        yield chunk;
      }
    }
    assembler.finish(hashes.add);
    for (;;) {
      const chunk = await hashes.takeOldest();
      if (chunk === undefined) break;
      yield chunk;
    }
  } finally {
    assembler.abandon();
  }
}

/**
 * Chunks bytes already in memory, hashing on the calling thread. For small inputs and tests;
 * a file or a long stream should go through chunkFile or chunkStream.
 */
export function chunkBytes(bytes: Uint8Array, params: ChunkingParams): LocatedChunk[] {
  const chunks: LocatedChunk[] = [];
  const assembler = new ChunkAssembler(createCutter(params));
  const collect = (offset: number, chunkBytes: Uint8Array): void => {
    chunks.push({ offset, size: chunkBytes.length, id: createHash('sha256').update(chunkBytes).digest('hex') });
  };
  assembler.push(bytes, collect);
  assembler.finish(collect);
  return chunks;
}

type ChunkSink = (offset: number, bytes: Uint8Array) => void;

/**
 * Joins the cutter's offsets with the stream's bytes. A chunk inside one slice is passed on as
 * a view of that slice; a chunk spanning slices is assembled in the carry buffer.
 */
class ChunkAssembler {
  private readonly cutter: Cutter;
  /** The bytes of the open chunk that came from earlier slices (allocated when first needed). */
  private carry: Uint8Array | undefined;
  private carryLength = 0;
  /** Stream offset where the open chunk starts. */
  private openOffset = 0;

  constructor(cutter: Cutter) {
    this.cutter = cutter;
  }

  push(slice: Uint8Array, sink: ChunkSink): void {
    const sliceOffset = this.cutter.position;
    let from = 0;
    for (const cut of this.cutter.push(slice)) {
      const end = cut - sliceOffset;
      if (this.carryLength === 0) {
        sink(this.openOffset, slice.subarray(from, end));
      } else {
        const carry = this.appendToCarry(slice.subarray(from, end));
        sink(this.openOffset, carry.subarray(0, this.carryLength));
        this.carryLength = 0;
      }
      this.openOffset = cut;
      from = end;
    }
    if (from < slice.length) this.appendToCarry(slice.subarray(from));
  }

  finish(sink: ChunkSink): void {
    const end = this.cutter.finish();
    if (end !== undefined) {
      // Everything after the last cut is in the carry buffer, since push copied it there.
      sink(this.openOffset, (this.carry ?? new Uint8Array(0)).subarray(0, this.carryLength));
    }
    this.carryLength = 0;
    this.openOffset = 0;
  }

  /** Ends an unfinished stream, releasing what the cutter holds. */
  abandon(): void {
    this.cutter.finish();
    this.carryLength = 0;
    this.carry = undefined;
  }

  private appendToCarry(bytes: Uint8Array): Uint8Array {
    // The open chunk never exceeds maxSize, since the cutter cuts there.
    this.carry ??= new Uint8Array(this.cutter.params.maxSize);
    this.carry.set(bytes, this.carryLength);
    this.carryLength += bytes.length;
    return this.carry;
  }
}

interface PendingChunk {
  readonly offset: number;
  readonly size: number;
  id: string | undefined;
  readonly digest: Promise<string> | undefined;
}

/** Chunks waiting for their hash, in stream order. */
class HashQueue {
  private readonly pending: (PendingChunk | undefined)[] = [];
  private head = 0;
  private backlogBytes = 0;
  private readonly onChunk: ChunkStreamOptions['onChunk'];

  constructor(onChunk: ChunkStreamOptions['onChunk']) {
    this.onChunk = onChunk;
  }

  /** Starts hashing a chunk; its bytes are not used after this returns. */
  readonly add = (offset: number, bytes: Uint8Array): void => {
    const size = bytes.length;
    if (this.onChunk !== undefined || size < THREADPOOL_MIN_BYTES) {
      const id = createHash('sha256').update(bytes).digest('hex');
      this.onChunk?.({ offset, size, id }, bytes);
      this.pending.push({ offset, size, id, digest: undefined });
      return;
    }
    const entry: PendingChunk = {
      offset,
      size,
      id: undefined,
      digest: webcrypto.subtle.digest('SHA-256', bytes).then((buffer) => {
        const id = Buffer.from(buffer).toString('hex');
        entry.id = id;
        this.backlogBytes -= size;
        return id;
      }),
    };
    // A failed digest is reported when its chunk's turn comes; until then, it must not count
    // as an unhandled rejection.
    entry.digest?.catch(() => undefined);
    this.backlogBytes += size;
    this.pending.push(entry);
  };

  hasRoom(): boolean {
    return this.backlogBytes <= HASH_BACKLOG_BYTES;
  }

  /** The oldest chunk if its hash is known, without waiting. */
  takeReady(): LocatedChunk | undefined {
    const entry = this.pending[this.head];
    if (entry?.id === undefined) return undefined;
    return this.shift(entry, entry.id);
  }

  /** The oldest chunk, waiting for its hash; undefined when none is pending. */
  async takeOldest(): Promise<LocatedChunk | undefined> {
    const entry = this.pending[this.head];
    if (entry === undefined) return undefined;
    const id = entry.id ?? (await entry.digest);
    if (id === undefined) throw new Error('A pending chunk has neither an id nor a digest.');
    return this.shift(entry, id);
  }

  private shift(entry: PendingChunk, id: string): LocatedChunk {
    this.pending[this.head] = undefined;
    this.head++;
    if (this.head === this.pending.length) {
      this.pending.length = 0;
      this.head = 0;
    }
    return { offset: entry.offset, size: entry.size, id };
  }
}
