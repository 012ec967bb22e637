// Streaming chunking: bytes in (any slicing), chunks with ids out, in order, hashed on the
// calling thread. Memory stays bounded whatever the stream's length: the open chunk is carried
// in one buffer of at most maxSize bytes. For large files, chunkFile with a HashingThread
// spreads the work over two cores instead.

import type { ChunkRef, ChunkingParams } from '../../../shared/model.js';
import { createCutter } from './createCutter.js';
import type { Cutter } from './cutter.js';
import { chunkIdOf } from '../../../shared/node/contentHash.js';

/** A chunk and where it lies in its stream. Assignable to the shared ChunkRef. */
export interface LocatedChunk extends ChunkRef {
  /** Offset of the chunk's first byte in the stream. */
  readonly offset: number;
}

export interface ChunkStreamOptions {
  /**
   * Called with each chunk and its bytes, in stream order, before the chunk is yielded. The
   * bytes are only valid during the call (copy them to keep them): the buffer is reused.
   */
  readonly onChunk?: (chunk: LocatedChunk, bytes: Uint8Array) => void;
}

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
  const ready: LocatedChunk[] = [];
  const collect = (offset: number, bytes: Uint8Array): void => {
    const chunk: LocatedChunk = { offset, size: bytes.length, id: chunkIdOf(bytes) };
    options.onChunk?.(chunk, bytes);
    ready.push(chunk);
  };
  try {
    for await (const slice of source) {
      if (!(slice instanceof Uint8Array)) {
        throw new TypeError('chunkStream needs byte slices (Uint8Array): open the stream without an encoding.');
      }
      assembler.push(slice, collect);
      yield* ready.splice(0);
    }
    assembler.finish(collect);
    yield* ready.splice(0);
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
    chunks.push({ offset, size: chunkBytes.length, id: chunkIdOf(chunkBytes) });
  };
  assembler.push(bytes, collect);
  assembler.finish(collect);
  return chunks;
}

type ChunkSink = (offset: number, bytes: Uint8Array) => void;

/** The smallest carry buffer allocated: below this, growing it again costs more than it saves. */
const MIN_CARRY_BYTES = 16 * 1024;

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
    const needed = this.carryLength + bytes.length;
    if (this.carry === undefined || this.carry.length < needed) {
      // Grown by doubling, never past maxSize (the cutter cuts there, so the open chunk never
      // exceeds it): a small file, whose whole content is its last chunk, costs a buffer of its
      // own size rather than one of maxSize (10,000 files of 8 KiB would otherwise allocate
      // and zero 5 GB of 512 KiB buffers).
      const grown = new Uint8Array(Math.min(this.cutter.params.maxSize, Math.max(needed, 2 * (this.carry?.length ?? 0), MIN_CARRY_BYTES)));
      if (this.carry !== undefined) grown.set(this.carry.subarray(0, this.carryLength));
      this.carry = grown;
    }
    this.carry.set(bytes, this.carryLength);
    this.carryLength = needed;
    return this.carry;
  }
}
