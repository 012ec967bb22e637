// Where the bytes of a downloaded file come from: chunks already present in files on this disk
// (verified by hash as they are read, so a file changed since the scan is never trusted), and
// the server for the rest, fetched many at a time. This is what makes a rename on the server,
// a copy, or a small edit of a large file cost almost nothing on the wire.

import path from 'node:path';
import type { ChunkId, ChunkRef } from '../../../shared/model.js';
import type { LibraryPath } from '../../../shared/paths.js';
import { openChunkReader } from '../chunker/index.js';
import type { ChunkReader } from '../chunker/index.js';
import type { LocalEntry } from '../model.js';
import type { ServerClient } from '../remote/serverClient.js';

/** Local files kept open as chunk sources at once. */
const OPEN_READERS = 8;
/** How many bytes of not-yet-needed chunks we fetch ahead while streaming one file. */
const PREFETCH_BYTES = 32 * 1024 * 1024;

interface LocalCopy {
  readonly filePath: LibraryPath;
  readonly offset: number;
  readonly size: number;
}

export class ChunkSource {
  /** Chunk bytes fetched from the server. */
  downloadedBytes = 0;
  /** Chunk bytes taken from local files. */
  reusedBytes = 0;
  private readonly localCopies = new Map<ChunkId, LocalCopy>();
  /** Every chunk of every planned download, in the order the files will be read. */
  private queue: readonly ChunkRef[] = [];
  private queuePosition = 0;
  /** Chunks fetched ahead; replaced whole by each fetch, so memory stays bounded. */
  private cache = new Map<ChunkId, Uint8Array>();
  private readonly readers = new Map<LibraryPath, ChunkReader>();

  constructor(
    private readonly client: ServerClient,
    private readonly libraryId: string,
    private readonly root: string,
    local: ReadonlyMap<LibraryPath, LocalEntry>,
  ) {
    for (const entry of local.values()) {
      let offset = 0;
      for (const chunk of entry.chunks) {
        if (!this.localCopies.has(chunk.id)) this.localCopies.set(chunk.id, { filePath: entry.path, offset, size: chunk.size });
        offset += chunk.size;
      }
    }
  }

  /**
   * Announces the files about to be read, in order, so that chunks of many small files travel
   * together in one request instead of one request per file.
   */
  plan(files: readonly (readonly ChunkRef[])[]): void {
    this.queue = files.flat();
    this.queuePosition = 0;
  }

  /**
   * The file's bytes, chunk after chunk, in order. Memory stays bounded by the prefetch window
   * whatever the file's size. Throws a RemoteError when the server cannot provide a chunk.
   */
  async *read(chunks: readonly ChunkRef[], streaming: boolean, destination: LibraryPath): AsyncGenerator<Uint8Array> {
    yield* this.readChunks(chunks, streaming);
    // The file about to be replaced may have been a source (a small edit of a large file is
    // rebuilt from its old version): close it before the rename, which Windows refuses on an
    // open file.
    const reader = this.readers.get(destination);
    if (reader !== undefined) {
      this.readers.delete(destination);
      await reader.close().catch(() => undefined);
    }
  }

  private async *readChunks(chunks: readonly ChunkRef[], streaming: boolean): AsyncGenerator<Uint8Array> {
    for (const chunk of chunks) {
      this.advancePast(chunk.id);
      const reused = await this.readLocal(chunk);
      if (reused !== undefined) {
        this.reusedBytes += reused.length;
        yield reused;
        continue;
      }
      let bytes = this.cache.get(chunk.id);
      if (bytes === undefined) {
        if (streaming) await this.fetchFrom(chunk);
        else await this.fetchOne(chunk);
        bytes = this.cache.get(chunk.id);
        if (bytes === undefined) throw new Error(`chunk ${chunk.id} was not delivered`);
      }
      yield bytes;
    }
  }

  /** Keeps the queue position in step with the reads (a skipped file just wastes a prefetch). */
  private advancePast(id: ChunkId): void {
    for (let j = this.queuePosition; j < this.queue.length; j++) {
      if (this.queue[j]!.id === id) {
        this.queuePosition = j + 1;
        return;
      }
    }
  }

  /** Fetches `chunk` and the next queued chunks that no local file holds, up to the window. */
  private async fetchFrom(chunk: ChunkRef): Promise<void> {
    const wanted = new Set<ChunkId>([chunk.id]);
    let wantedBytes = chunk.size;
    for (let j = this.queuePosition; j < this.queue.length && wantedBytes < PREFETCH_BYTES; j++) {
      const next = this.queue[j]!;
      if (wanted.has(next.id) || this.localCopies.has(next.id)) continue;
      wanted.add(next.id);
      wantedBytes += next.size;
    }
    const cache = new Map<ChunkId, Uint8Array>();
    this.cache = cache;
    this.downloadedBytes += await this.client.downloadChunks(this.libraryId, [...wanted], (frame) => {
      cache.set(frame.id, frame.bytes);
    });
  }

  /**
   * How many leading chunks of `chunks` a partial download at `file` already holds, verified
   * one by one against their ids (reading stops at the first that does not match).
   */
  async verifiedPrefix(file: string, chunks: readonly ChunkRef[]): Promise<{ readonly chunks: number; readonly bytes: number }> {
    let offset = 0;
    let count = 0;
    let reader: ChunkReader;
    try {
      reader = await openChunkReader(file);
    } catch {
      return { chunks: 0, bytes: 0 };
    }
    try {
      for (const chunk of chunks) {
        try {
          await reader.read({ id: chunk.id, size: chunk.size, offset });
        } catch {
          break;
        }
        offset += chunk.size;
        count += 1;
      }
    } finally {
      await reader.close().catch(() => undefined);
    }
    this.reusedBytes += offset;
    return { chunks: count, bytes: offset };
  }

  /**
   * Fetches, in one request, every chunk of a group of files that no local file holds, so
   * that the group's files can then be written at once from memory and disk. Replaces the
   * previous group's cache: memory stays bounded by one group.
   */
  async prefetch(chunks: readonly ChunkRef[]): Promise<void> {
    const wanted = new Set<ChunkId>();
    for (const chunk of chunks) if (!this.localCopies.has(chunk.id)) wanted.add(chunk.id);
    const cache = new Map<ChunkId, Uint8Array>();
    this.cache = cache;
    if (wanted.size === 0) return;
    this.downloadedBytes += await this.client.downloadChunks(this.libraryId, [...wanted], (frame) => {
      cache.set(frame.id, frame.bytes);
    });
  }

  /** Adds one chunk to the current cache (a local copy turned out stale while writing a group). */
  private async fetchOne(chunk: ChunkRef): Promise<void> {
    const cache = this.cache;
    this.downloadedBytes += await this.client.downloadChunks(this.libraryId, [chunk.id], (frame) => {
      cache.set(frame.id, frame.bytes);
    });
  }

  /** The chunk from a local file, if one holds it still (checked by hash), else undefined. */
  private async readLocal(chunk: ChunkRef): Promise<Uint8Array | undefined> {
    const copy = this.localCopies.get(chunk.id);
    if (copy === undefined) return undefined;
    try {
      const reader = await this.readerFor(copy.filePath);
      return await reader.read({ id: chunk.id, size: chunk.size, offset: copy.offset });
    } catch {
      // The file changed or went away since the scan: forget it and use the server.
      this.localCopies.delete(chunk.id);
      return undefined;
    }
  }

  /** An open reader for a local file; a few stay open, so rebuilding a large file opens it once. */
  private async readerFor(filePath: LibraryPath): Promise<ChunkReader> {
    const open = this.readers.get(filePath);
    if (open !== undefined) {
      this.readers.delete(filePath);
      this.readers.set(filePath, open); // most recently used last
      return open;
    }
    const reader = await openChunkReader(path.join(this.root, filePath));
    this.readers.set(filePath, reader);
    if (this.readers.size > OPEN_READERS) {
      const [oldest] = this.readers;
      if (oldest !== undefined) {
        this.readers.delete(oldest[0]);
        await oldest[1].close().catch(() => undefined);
      }
    }
    return reader;
  }

  /** Closes the local files it keeps open. */
  async close(): Promise<void> {
    const readers = [...this.readers.values()];
    this.readers.clear();
    for (const reader of readers) await reader.close().catch(() => undefined);
  }
}
