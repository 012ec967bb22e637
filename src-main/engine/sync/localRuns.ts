// Long runs of a downloaded file's chunks that a local file holds in the same order (a large
// file with a small edit, rebuilt from its old version): read in large pieces, each chunk still
// checked against its id before its bytes are handed on, but hashed on a second thread while
// this one writes the piece before. Read and checked one chunk at a time on this thread, a
// 512 MiB file cost ~4,000 reads into fresh buffers (and the collections they set off) and
// every SHA-256 on the thread that also writes the file.
//
// The check is the same as for a chunk read alone (see ChunkSource.readLocal): a piece's bytes
// are hashed in the memory they are then written from, which nothing else writes into until the
// writer gives the piece back (release). A chunk that does not match (the file changed since it
// was scanned) ends the run there: the caller takes the rest from the server.

import { Buffer } from 'node:buffer';
import { boundedBatches } from '../../../shared/batches.js';
import type { ChunkRef } from '../../../shared/model.js';
import type { ChunkReader } from '../chunker/index.js';
import { chunkIdOf, HashingThread } from '../chunker/index.js';

/** A run's pieces hold whole chunks, up to this many bytes (one chunk larger than that alone). */
export const RUN_PIECE_BYTES = 2 * 1024 * 1024;
/** Pieces read and hashed ahead of the one the writer is given. */
const RUN_AHEAD = 2;
/** Free piece buffers kept for the next pieces (the writer holds two at most, RUN_AHEAD are read ahead). */
const FREE_PIECES = RUN_AHEAD + 3;

/** One piece of a run: chunks `from` to `to` (exclusive) of it, at `offset` in the local file. */
interface PieceRange {
  readonly from: number;
  readonly to: number;
  readonly offset: number;
  readonly size: number;
}

/** A piece read and hashed: its bytes, and how many of its chunks (from its first) matched their ids. */
interface ReadPiece {
  readonly range: PieceRange;
  readonly bytes: Uint8Array | null;
  readonly matched: number;
}

export class LocalRuns {
  private hashing: HashingThread | undefined;
  /** Piece buffers free for the next pieces (all RUN_PIECE_BYTES long). */
  private readonly free: SharedArrayBuffer[] = [];
  /** Piece buffers handed out (read into, hashed, or held by the writer). */
  private readonly lent = new Set<ArrayBufferLike>();
  /** Chunks given, each checked against its id on the hashing thread (for tests). */
  givenChunks = 0;
  /** Pieces read (for tests). */
  readPieces = 0;

  /**
   * The bytes of `chunks`, which the file open in `reader` holds one after another from
   * `offset`, a piece of whole chunks at a time, in order. Each piece is given only once every
   * chunk in it hashed to its id; the first chunk that does not (or cannot be read) ends the
   * run, and the return value says how many of `chunks` were given. Pieces must be given back
   * with release() once their bytes are written; one never given back is left to the garbage
   * collector.
   */
  async *read(reader: ChunkReader, offset: number, chunks: readonly ChunkRef[]): AsyncGenerator<Uint8Array, number> {
    const ranges = pieceRanges(offset, chunks);
    const ahead: Promise<ReadPiece>[] = [];
    let next = 0;
    let given = 0;
    try {
      for (;;) {
        while (next < ranges.length && ahead.length < RUN_AHEAD) ahead.push(this.readPiece(reader, chunks, ranges[next++]!));
        const piece = await ahead.shift();
        if (piece === undefined) return given;
        const { range, bytes, matched } = piece;
        if (bytes === null) return given;
        if (matched > 0) {
          const matchedBytes = matched === range.to - range.from ? range.size : sizeOf(chunks, range.from, range.from + matched);
          given += matched;
          this.givenChunks += matched;
          yield matchedBytes === range.size ? bytes : bytes.subarray(0, matchedBytes);
        } else {
          this.release(bytes);
        }
        if (matched < range.to - range.from) return given;
      }
    } finally {
      // Pieces read ahead that were never given: their buffers are free again once their reads and hashes are over.
      for (const pending of ahead.splice(0)) {
        const { bytes } = await pending;
        if (bytes !== null) this.release(bytes);
      }
    }
  }

  /** Starts the hashing thread ahead of a run about to be read (its start is then off the run's path). */
  prepare(): void {
    this.hashing ??= new HashingThread();
    this.hashing.start();
  }

  /** Piece buffers handed out and not given back yet (for tests). */
  get heldPieces(): number {
    return this.lent.size;
  }

  /** Whether `bytes` is a piece this gave (a view of one of its buffers). */
  owns(bytes: Uint8Array): boolean {
    return this.lent.has(bytes.buffer);
  }

  /** The writer is done with a piece: its buffer carries a later piece. Nothing for bytes not from here. */
  release(bytes: Uint8Array): void {
    const buffer = bytes.buffer;
    if (!this.lent.delete(buffer)) return;
    if (buffer.byteLength === RUN_PIECE_BYTES && this.free.length < FREE_PIECES) this.free.push(buffer as SharedArrayBuffer);
  }

  /** Stops the hashing thread and lets the free buffers go. */
  async close(): Promise<void> {
    this.free.length = 0;
    const hashing = this.hashing;
    this.hashing = undefined;
    await hashing?.close();
  }

  private async readPiece(reader: ChunkReader, chunks: readonly ChunkRef[], range: PieceRange): Promise<ReadPiece> {
    const buffer = range.size <= RUN_PIECE_BYTES ? (this.free.pop() ?? new SharedArrayBuffer(RUN_PIECE_BYTES)) : new SharedArrayBuffer(range.size);
    this.lent.add(buffer);
    const into = new Uint8Array(buffer, 0, range.size);
    let bytes: Uint8Array;
    try {
      // Not hashed here: every chunk of it is, below, on the hashing thread.
      bytes = await reader.read({ id: chunks[range.from]!.id, size: range.size, offset: range.offset }, into, { verify: false });
    } catch {
      this.release(into);
      return { range, bytes: null, matched: 0 };
    }
    this.readPieces += 1;
    const bounds: number[] = [];
    let at = 0;
    for (let index = range.from; index < range.to; index++) {
      bounds.push(at, (at += chunks[index]!.size));
    }
    let digestOf: (chunk: number) => string;
    try {
      this.hashing ??= new HashingThread();
      const digests = await this.hashing.hash(buffer, bounds);
      digestOf = (chunk) => Buffer.from(digests.buffer, digests.byteOffset + chunk * 32, 32).toString('hex');
    } catch {
      // The hashing thread failed (it never should): the chunks are hashed here instead.
      digestOf = (chunk) => chunkIdOf(bytes.subarray(bounds[chunk * 2]!, bounds[chunk * 2 + 1]!));
    }
    let matched = 0;
    for (let index = range.from; index < range.to; index++, matched++) {
      if (digestOf(matched) !== chunks[index]!.id) break;
    }
    return { range, bytes, matched };
  }
}

/** Whole chunks, in pieces of at most RUN_PIECE_BYTES (a larger chunk alone). */
function pieceRanges(offset: number, chunks: readonly ChunkRef[]): PieceRange[] {
  const ranges: PieceRange[] = [];
  let from = 0;
  let start = offset;
  for (const piece of boundedBatches(chunks, Infinity, RUN_PIECE_BYTES, (chunk) => chunk.size)) {
    const size = sizeOf(piece, 0, piece.length);
    ranges.push({ from, to: from + piece.length, offset: start, size });
    from += piece.length;
    start += size;
  }
  return ranges;
}

function sizeOf(chunks: readonly ChunkRef[], from: number, to: number): number {
  let size = 0;
  for (let index = from; index < to; index++) size += chunks[index]!.size;
  return size;
}
