// Re-reading chunks of a file, checked against their ids: for the uploader, once it knows which
// chunks the server lacks, and for reusing local copies of chunks.

import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { FileChangedWhileReading, toChunkFileError } from './chunkFileError.js';
import { READ_FLAGS } from './chunkFile.js';
import type { LocatedChunk } from './chunkStream.js';
import { chunkIdOf } from '../../../shared/node/contentHash.js';
import { DEFAULT_CHUNKING } from '../../../shared/model.js';

export interface ChunkReader {
  /**
   * Reads one chunk and checks it against its id. Throws FileChangedWhileReading when the file
   * no longer holds that chunk (scan the file again), ChunkFileError for per-file trouble.
   * With `into` (at least the chunk's size), the bytes are read into its start and a view of
   * them is returned.
   */
  read(chunk: LocatedChunk, into?: Uint8Array): Promise<Uint8Array>;
  /** Closes the file. Safe to call more than once. */
  close(): Promise<void>;
}

/**
 * Opens a file for reading many of its chunks with one open file handle: a large file's
 * thousands of chunks then cost one open, not thousands.
 */
export async function openChunkReader(path: string): Promise<ChunkReader> {
  let handle: FileHandle;
  try {
    handle = await open(path, READ_FLAGS);
  } catch (error) {
    throw toChunkFileError(error, path);
  }
  let closed: Promise<void> | undefined;
  return {
    async read(chunk, into) {
      if (closed !== undefined) throw new Error(`The chunk reader for ${path} is closed.`);
      try {
        return await readVerified(handle, path, chunk, into);
      } catch (error) {
        throw toChunkFileError(error, path);
      }
    },
    close() {
      closed ??= handle.close().catch((error: unknown) => {
        throw toChunkFileError(error, path);
      });
      return closed;
    },
  };
}

/** Reads one chunk of a file, checked against its id; see ChunkReader.read. */
export async function readChunk(path: string, chunk: LocatedChunk): Promise<Uint8Array> {
  const reader = await openChunkReader(path);
  try {
    return await reader.read(chunk);
  } finally {
    await reader.close();
  }
}

/**
 * Reads chunks of one file after another through one open reader, opening the next file's when
 * the file changes: chunks located file after file cost one open per file. Each read is checked
 * against the chunk's id, and throws like ChunkReader.read.
 */
export class SequentialChunkReads {
  private file: string | null = null;
  private reader: ChunkReader | null = null;
  private scratch: Uint8Array | undefined;

  /**
   * `reuseBuffer`: every read goes into one buffer kept for the next, so a read's bytes are
   * valid only until the next read (for a consumer that copies them at once, like the upload's
   * batches). Without it each read returns bytes of its own.
   */
  constructor(private readonly options: { reuseBuffer?: boolean } = {}) {}

  async read(file: string, chunk: LocatedChunk): Promise<Uint8Array> {
    if (this.reader === null || this.file !== file) {
      await this.close();
      this.reader = await openChunkReader(file);
      this.file = file;
    }
    if (this.options.reuseBuffer !== true) return this.reader.read(chunk);
    if (this.scratch === undefined || this.scratch.length < chunk.size) this.scratch = new Uint8Array(Math.max(chunk.size, 2 * (this.scratch?.length ?? 0), DEFAULT_CHUNKING.maxSize));
    return this.reader.read(chunk, this.scratch);
  }

  /** Closes the open file, if any. Safe to call more than once. */
  async close(): Promise<void> {
    const reader = this.reader;
    this.reader = null;
    this.file = null;
    await reader?.close().catch(() => undefined);
  }
}

async function readVerified(handle: FileHandle, path: string, chunk: LocatedChunk, into?: Uint8Array): Promise<Uint8Array> {
  if (into !== undefined && into.length < chunk.size) throw new RangeError(`a buffer of ${into.length} bytes cannot take a chunk of ${chunk.size}`);
  const bytes = into === undefined ? new Uint8Array(chunk.size) : into.subarray(0, chunk.size);
  let filled = 0;
  while (filled < chunk.size) {
    const { bytesRead } = await handle.read(bytes, filled, chunk.size - filled, chunk.offset + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  if (filled < chunk.size || chunkIdOf(bytes) !== chunk.id) {
    throw new FileChangedWhileReading(
      path,
      `no longer holds chunk ${chunk.id} at offset ${chunk.offset}; scan the file again before using it.`,
    );
  }
  return bytes;
}
