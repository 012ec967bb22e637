// Re-reading chunks of a file, checked against their ids: for the uploader, once it knows which
// chunks the server lacks, and for reusing local copies of chunks. The uploader may instead
// read a large file's chunks without hashing them again when the file's stat still is the one
// its scan hashed (see SequentialChunkReads): the server checks every chunk against its id as
// it arrives, so a stale byte is refused there, never stored.

import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { FileChangedWhileReading, toChunkFileError } from './chunkFileError.js';
import { READ_FLAGS, describeChange } from './chunkFile.js';
import type { LocatedChunk } from './chunkStream.js';
import { chunkIdOf } from '../../../shared/node/contentHash.js';
import { DEFAULT_CHUNKING } from '../../../shared/model.js';

export interface ChunkReader {
  /**
   * Reads one chunk and checks it against its id. Throws FileChangedWhileReading when the file
   * no longer holds that chunk (scan the file again), ChunkFileError for per-file trouble.
   * With `into` (at least the chunk's size), the bytes are read into its start and a view of
   * them is returned. With `verify: false` the bytes are not hashed (only a short read
   * throws): for a caller that knows by other means that the file is the version chunked.
   */
  read(chunk: LocatedChunk, into?: Uint8Array, options?: { readonly verify?: boolean }): Promise<Uint8Array>;
  /** The open file's stat. */
  stat(): Promise<Stats>;
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
    async read(chunk, into, options) {
      if (closed !== undefined) throw new Error(`The chunk reader for ${path} is closed.`);
      try {
        return await readVerified(handle, path, chunk, into, options?.verify ?? true);
      } catch (error) {
        throw toChunkFileError(error, path);
      }
    },
    async stat() {
      if (closed !== undefined) throw new Error(`The chunk reader for ${path} is closed.`);
      try {
        return await handle.stat();
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

/** The stat facts the scan recorded with a file's chunk list (see LocalEntry). */
export interface ScannedStat {
  readonly size: number;
  readonly mtimeMs: number;
  readonly inode: number;
}

/** Chunk reads that were not hashed, in this process (tests check the upload takes that road). */
export const unhashedChunkReads = { count: 0 };

/**
 * Reads chunks of one file after another through one open reader, opening the next file's when
 * the file changes: chunks located file after file cost one open per file. Each read is checked
 * against the chunk's id, and throws like ChunkReader.read, unless the caller passes the stat
 * its chunk list was scanned with and the open file still has it (size, modification time,
 * inode): then its bytes are the version hashed by the scan, and hashing them again (a third
 * SHA-256 of every uploaded byte, with the server's) is skipped. Such a file must be confirmed
 * with `unchangedSinceOpened()` after its last read: a write during the reads moves its change
 * time. A write between the scan and the open that restored the modification time is not seen
 * here (nor by the scan); the server then refuses the chunk as `hash-mismatch`, and the upload
 * reads again with hashing (see SyncLibrary.uploadChunks).
 */
export class SequentialChunkReads {
  private file: string | null = null;
  private reader: ChunkReader | null = null;
  private scratch: Uint8Array | undefined;
  /** The open file's stat when it was opened, if its reads are not hashed. */
  private unhashed: Stats | null = null;

  /**
   * `reuseBuffer`: every read goes into one buffer kept for the next, so a read's bytes are
   * valid only until the next read (for a consumer that copies them at once, like the upload's
   * batches). Without it each read returns bytes of its own.
   */
  constructor(private readonly options: { reuseBuffer?: boolean } = {}) {}

  async read(file: string, chunk: LocatedChunk, scanned?: ScannedStat): Promise<Uint8Array> {
    if (this.reader === null || this.file !== file) {
      await this.close();
      this.reader = await openChunkReader(file);
      this.file = file;
      if (scanned !== undefined) {
        const opened = await this.reader.stat();
        if (opened.size === scanned.size && opened.mtimeMs === scanned.mtimeMs && opened.ino === scanned.inode) this.unhashed = opened;
      }
    }
    const verify = this.unhashed === null;
    if (!verify) unhashedChunkReads.count += 1;
    if (this.options.reuseBuffer !== true) return this.reader.read(chunk, undefined, { verify });
    if (this.scratch === undefined || this.scratch.length < chunk.size) this.scratch = new Uint8Array(Math.max(chunk.size, 2 * (this.scratch?.length ?? 0), DEFAULT_CHUNKING.maxSize));
    return this.reader.read(chunk, this.scratch, { verify });
  }

  /**
   * After the last read of the open file: false when its reads were not hashed and its stat
   * moved since it was opened (a write during the reads), so what was read may not be the
   * version scanned. True for a file whose reads were hashed.
   */
  async unchangedSinceOpened(): Promise<boolean> {
    const opened = this.unhashed;
    if (opened === null || this.reader === null) return true;
    try {
      return describeChange(opened, await this.reader.stat()) === undefined;
    } catch {
      return false;
    }
  }

  /** Closes the open file, if any. Safe to call more than once. */
  async close(): Promise<void> {
    const reader = this.reader;
    this.reader = null;
    this.file = null;
    this.unhashed = null;
    await reader?.close().catch(() => undefined);
  }
}

async function readVerified(handle: FileHandle, path: string, chunk: LocatedChunk, into: Uint8Array | undefined, verify: boolean): Promise<Uint8Array> {
  if (into !== undefined && into.length < chunk.size) throw new RangeError(`a buffer of ${into.length} bytes cannot take a chunk of ${chunk.size}`);
  const bytes = into === undefined ? new Uint8Array(chunk.size) : into.subarray(0, chunk.size);
  let filled = 0;
  while (filled < chunk.size) {
    const { bytesRead } = await handle.read(bytes, filled, chunk.size - filled, chunk.offset + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  if (filled < chunk.size || (verify && chunkIdOf(bytes) !== chunk.id)) {
    throw new FileChangedWhileReading(
      path,
      `no longer holds chunk ${chunk.id} at offset ${chunk.offset}; scan the file again before using it.`,
    );
  }
  return bytes;
}
