// Chunking a file on disk.
//
// A file can change while we read it. The result must describe one version of the file, so
// the file's stat (size, times, inode) is taken before and after the read, both through the
// open handle and through the path, and any difference, or a byte count that disagrees with
// the size, throws FileChangedWhileReading: the scanner retries later. A write that keeps the
// size and restores both mtime and ctime is invisible here, as it is to every stat-based tool.

import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { ChunkingParams, ContentHash } from '../../../shared/model.js';
import { ChunkFileError, FileChangedWhileReading, toChunkFileError } from './chunkFileError.js';
import { chunkStream } from './chunkStream.js';
import type { LocatedChunk } from './chunkStream.js';
import { chunkWithHashingThread } from './chunkWithHashingThread.js';
import { contentHashOf } from '../../../shared/node/contentHash.js';
import type { HashingThread } from './hashingThread.js';

/** The stat facts of the version that was chunked, as the scanner records them. */
export interface ChunkedFileStat {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly inode: number;
}

export interface ChunkedFile {
  readonly chunks: LocatedChunk[];
  readonly contentHash: ContentHash;
  readonly size: number;
  readonly stat: ChunkedFileStat;
  /** The whole file's bytes, when it was no larger than `keepBytesUpTo`. */
  readonly bytes?: Uint8Array;
}

export interface ChunkFileOptions {
  /**
   * Keep and return the file's bytes when its size is at most this many bytes, so that the
   * uploader needs no second read of a small file.
   */
  readonly keepBytesUpTo?: number;
  /** See ChunkStreamOptions.onChunk: each chunk's bytes, valid only during the call. */
  readonly onChunk?: (chunk: LocatedChunk, bytes: Uint8Array) => void;
  /** Bytes per read call; 1 MiB by default. Two buffers of this size are in use at once. */
  readonly readSize?: number;
  /**
   * A thread to hash on, so that a large file is cut here and hashed there at the same time
   * (see chunkWithHashingThread). Without it, or with `keepBytesUpTo` or `onChunk`, hashing
   * happens on the calling thread.
   */
  readonly hashingThread?: HashingThread;
}

const DEFAULT_READ_SIZE = 1024 * 1024;

/** Files from this size on go through the hashing thread when there is one. */
const HASHING_THREAD_MIN_BYTES = 2 * 1024 * 1024;

/**
 * O_NONBLOCK keeps open() from hanging on a FIFO that has no writer; the stat that follows
 * rejects it. Regular files ignore the flag. Windows has no such flag and no such hang.
 */
export const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/**
 * Reads the file at `path` and returns its chunks, contentHash and the stat of the version read.
 * Throws ChunkFileError for per-file trouble (see its `action`), FileChangedWhileReading when
 * the file changed during the read, and anything else only for bugs.
 */
export async function chunkFile(
  path: string,
  params: ChunkingParams,
  options: ChunkFileOptions = {},
): Promise<ChunkedFile> {
  try {
    return await chunkOpenFile(path, params, options);
  } catch (error) {
    throw toChunkFileError(error, path);
  }
}

async function chunkOpenFile(path: string, params: ChunkingParams, options: ChunkFileOptions): Promise<ChunkedFile> {
  const handle = await open(path, READ_FLAGS);
  try {
    const before = await handle.stat();
    if (!before.isFile()) {
      const code = before.isDirectory() ? 'EISDIR' : 'EINVAL';
      throw new ChunkFileError('not-a-regular-file', path, 'is not a regular file, so it has no content to sync.', code);
    }
    const readSize = options.readSize ?? DEFAULT_READ_SIZE;
    if (!Number.isSafeInteger(readSize) || readSize < 1) {
      throw new RangeError(`readSize must be a positive whole number, not ${readSize}.`);
    }
    const kept =
      options.keepBytesUpTo !== undefined && before.size <= options.keepBytesUpTo ? new Uint8Array(before.size) : undefined;
    const { chunks, bytesRead } =
      options.hashingThread !== undefined &&
      kept === undefined &&
      options.onChunk === undefined &&
      before.size >= HASHING_THREAD_MIN_BYTES
        ? await chunkWithHashingThread(handle, params, options.hashingThread, readSize)
        : await chunkHere(handle, params, before.size, readSize, kept, options.onChunk);

    const after = await handle.stat();
    const atPath = await stat(path);
    throwIfChangedWhileRead(path, before, after, atPath, bytesRead);
    const result: ChunkedFile = {
      chunks,
      contentHash: contentHashOf(chunks),
      size: before.size,
      stat: { size: before.size, mtimeMs: before.mtimeMs, ctimeMs: before.ctimeMs, inode: before.ino },
    };
    return kept === undefined ? result : { ...result, bytes: kept };
  } finally {
    await handle.close();
  }
}

/** Reads, cuts and hashes on this thread. */
async function chunkHere(
  handle: FileHandle,
  params: ChunkingParams,
  expectedSize: number,
  readSize: number,
  kept: Uint8Array | undefined,
  onChunk: ChunkFileOptions['onChunk'],
): Promise<{ chunks: LocatedChunk[]; bytesRead: number }> {
  const reader = new SliceReader(handle, expectedSize, readSize, kept);
  const chunks: LocatedChunk[] = [];
  for await (const chunk of chunkStream(reader.slices(), params, onChunk === undefined ? {} : { onChunk })) {
    chunks.push(chunk);
  }
  return { chunks, bytesRead: reader.bytesRead };
}

/**
 * Throws FileChangedWhileReading when the file read from `path` (stat `before` it was read) is not
 * that version any more: its open handle's stat, the path's stat or the bytes read disagree.
 */
export function throwIfChangedWhileRead(path: string, before: Stats, after: Stats, atPath: Stats, bytesRead: number): void {
  const change =
    describeChange(before, after) ??
    describeChange(before, atPath) ??
    (bytesRead === before.size ? undefined : `read ${bytesRead} bytes where stat said ${before.size}`);
  if (change !== undefined) {
    throw new FileChangedWhileReading(path, `changed while it was read (${change}); read it again later.`);
  }
}

/** What differs between two stats of what should be the same version of a file. */
export function describeChange(before: Stats, after: Stats): string | undefined {
  if (after.ino !== before.ino || after.dev !== before.dev) return 'replaced by another file';
  if (after.size !== before.size) return `size ${before.size} became ${after.size}`;
  if (after.mtimeMs !== before.mtimeMs) return 'modification time moved';
  if (after.ctimeMs !== before.ctimeMs) return 'change time moved';
  return undefined;
}

/**
 * Read buffers of files no smaller than the read size, kept for the next file on this thread.
 * A fresh pair per file (1 MiB each) left the freeing to the garbage collector, and the memory
 * allocator seldom hands such freed blocks back to the system: a scan of a few hundred large
 * files grew the process by tens of MiB. Smaller files' buffers (their own size) are not kept.
 */
const spareReadBuffers: Uint8Array[] = [];
/** Enough for the in-thread scan's few files at once (each reading into two buffers). */
const SPARE_READ_BUFFERS = 8;

function takeReadBuffer(size: number): Uint8Array {
  const index = spareReadBuffers.findIndex((buffer) => buffer.length === size);
  return index === -1 ? new Uint8Array(size) : spareReadBuffers.splice(index, 1)[0]!;
}

function giveBackReadBuffer(buffer: Uint8Array): void {
  if (buffer.length >= DEFAULT_READ_SIZE && spareReadBuffers.length < SPARE_READ_BUFFERS) spareReadBuffers.push(buffer);
}

/**
 * Reads a file front to back, one read ahead: while the consumer works on one buffer, the next
 * read fills the other on the thread pool. A slice is overwritten two slices later, which
 * chunkStream allows. When `kept` is given, the bytes that fit are also copied into it.
 */
class SliceReader {
  bytesRead = 0;
  private readonly handle: FileHandle;
  private readonly bufferSize: number;
  private readonly kept: Uint8Array | undefined;

  constructor(handle: FileHandle, expectedSize: number, readSize: number, kept: Uint8Array | undefined) {
    this.handle = handle;
    // One byte more than the expected size lets a small file's growth show up as extra bytes
    // without allocating for the full read size.
    this.bufferSize = Math.min(readSize, expectedSize + 1);
    this.kept = kept;
  }

  async *slices(): AsyncGenerator<Uint8Array, void, undefined> {
    let current = takeReadBuffer(this.bufferSize);
    let spare = takeReadBuffer(this.bufferSize);
    let next: Promise<number> | undefined = this.read(current);
    try {
      for (;;) {
        const count = await next;
        next = undefined;
        if (count === 0) return;
        // A short read of a regular file is its end: no second read to hear it (a small file
        // is one read, not two). Had it grown meanwhile, the size check after the read says so.
        const atEnd = count < current.length;
        const slice = current.subarray(0, count);
        if (this.kept !== undefined && this.bytesRead < this.kept.length) {
          this.kept.set(slice.subarray(0, this.kept.length - this.bytesRead), this.bytesRead);
        }
        this.bytesRead += count;
        [current, spare] = [spare, current];
        if (atEnd) {
          yield slice;
          return;
        }
        next = this.read(current);
        // Observed in `finally` if the consumer stops before awaiting it.
        next.catch(() => undefined);
        yield slice;
      }
    } finally {
      // Never leave a read running into a buffer when the consumer stops early.
      await next?.catch(() => undefined);
      // No read is running into either buffer and the consumer is done with its slices.
      giveBackReadBuffer(current);
      giveBackReadBuffer(spare);
    }
  }

  private async read(buffer: Uint8Array): Promise<number> {
    const { bytesRead } = await this.handle.read(buffer, 0, buffer.length, this.bytesRead);
    return bytesRead;
  }
}
