// Where the bytes of a downloaded file come from: chunks already present in files on this disk
// (verified by hash as they are read, so a file changed since the scan is never trusted), and
// the server for the rest, fetched many at a time. This is what makes a rename on the server,
// a copy, or a small edit of a large file cost almost nothing on the wire.
//
// Chunks from the server are usable as soon as each arrives (verified by the server client), so
// a file is written while the rest of its request is still on the wire, and its write progress
// follows the network instead of jumping a whole request at a time.

import path from 'node:path';
import type { ChunkId, ChunkRef } from '../../../shared/model.js';
import type { LibraryPath } from '../../../shared/paths.js';
import { openChunkReader } from '../chunker/index.js';
import type { ChunkReader } from '../chunker/index.js';
import type { LocalEntry } from '../syncModel.js';
import type { ServerClient } from '../remote/serverClient.js';
import { RemoteError } from '../remote/remoteError.js';

/** Local files kept open as chunk sources at once. */
const OPEN_READERS = 8;
/** How many bytes of not-yet-needed chunks we fetch ahead while streaming one file. */
const PREFETCH_BYTES = 32 * 1024 * 1024;

interface LocalCopy {
  readonly filePath: LibraryPath;
  readonly offset: number;
  readonly size: number;
}

/**
 * The chunks of one download request, each usable as soon as it arrives. Its `settled` promise
 * never rejects: a failed request is reported to whoever waits for one of its chunks.
 */
class ChunkBatch {
  private readonly arrived = new Map<ChunkId, Uint8Array>();
  private readonly waiting = new Map<ChunkId, { resolve: (bytes: Uint8Array | undefined) => void; reject: (error: unknown) => void }[]>();
  private failure: { readonly error: unknown } | null = null;
  private done = false;
  readonly settled: Promise<void>;

  constructor(
    private readonly ids: ReadonlySet<ChunkId>,
    fetch: (onChunk: (id: ChunkId, bytes: Uint8Array) => void) => Promise<unknown>,
  ) {
    this.settled = fetch((id, bytes) => {
      this.arrived.set(id, bytes);
      const waiters = this.waiting.get(id);
      this.waiting.delete(id);
      for (const waiter of waiters ?? []) waiter.resolve(bytes);
    }).then(
      () => this.settle(null),
      (error: unknown) => this.settle({ error }),
    );
  }

  /** The chunk's bytes once they arrive; undefined when this batch does not bring it. */
  get(id: ChunkId): Promise<Uint8Array | undefined> | Uint8Array | undefined {
    const bytes = this.arrived.get(id);
    if (bytes !== undefined || !this.ids.has(id)) return bytes;
    if (this.failure !== null) return Promise.reject(this.failure.error);
    if (this.done) return undefined;
    return new Promise((resolve, reject) => {
      const waiters = this.waiting.get(id);
      if (waiters === undefined) this.waiting.set(id, [{ resolve, reject }]);
      else waiters.push({ resolve, reject });
    });
  }

  private settle(failure: { readonly error: unknown } | null): void {
    this.done = true;
    this.failure = failure;
    const waiting = [...this.waiting.values()].flat();
    this.waiting.clear();
    // The server client throws when a requested chunk does not come, so a waiter left here
    // belongs to a failed request.
    for (const waiter of waiting) {
      if (failure === null) waiter.resolve(undefined);
      else waiter.reject(failure.error);
    }
  }
}

export class ChunkSource {
  /** Chunk bytes fetched from the server. */
  downloadedBytes = 0;
  /** Chunk bytes taken from local files. */
  reusedBytes = 0;
  /** Where a chunk of a planned download can be read on this disk, for those chunks only. */
  private readonly localCopies = new Map<ChunkId, LocalCopy>();
  /** Every chunk of every planned download, in the order the files will be read. */
  private readonly queue: readonly ChunkRef[];
  private queuePosition = 0;
  /** The latest request's chunks; replaced whole by the next request, so memory stays bounded. */
  private batch: ChunkBatch | null = null;
  /** Requests still on the wire, which close() waits for. */
  private readonly inFlight = new Set<Promise<void>>();
  private readonly readers = new Map<LibraryPath, ChunkReader>();

  /**
   * `downloads` are the chunk lists of the files about to be read, in order, so that chunks of
   * many small files travel together in one request instead of one request per file; `local`
   * is the scanned disk, searched for those chunks only.
   */
  constructor(
    private readonly client: ServerClient,
    private readonly libraryId: string,
    private readonly root: string,
    local: Iterable<LocalEntry>,
    downloads: readonly (readonly ChunkRef[])[],
  ) {
    this.queue = downloads.flat();
    const wanted = new Set<ChunkId>();
    for (const chunk of this.queue) wanted.add(chunk.id);
    if (wanted.size === 0) return;
    for (const entry of local) {
      let offset = 0;
      for (const chunk of entry.chunks) {
        if (wanted.has(chunk.id) && !this.localCopies.has(chunk.id)) this.localCopies.set(chunk.id, { filePath: entry.path, offset, size: chunk.size });
        offset += chunk.size;
      }
    }
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
      let bytes = await this.batch?.get(chunk.id);
      if (bytes === undefined) {
        // Streaming, the next request takes the window ahead; within a group (whose request
        // has everything no local file holds), only a local copy that turned out stale is missing.
        const batch = this.fetch(streaming ? this.window(chunk) : new Set([chunk.id]));
        if (streaming) this.batch = batch;
        bytes = await batch.get(chunk.id);
        if (bytes === undefined) throw new Error(`chunk ${chunk.id} was not delivered`);
      }
      // The bytes match the id (downloadChunks checked); the size in the file's list is the
      // server's word, and a file written from a wrong one would not be the version recorded.
      if (bytes.length !== chunk.size) {
        throw new RemoteError('hash-mismatch', `chunk ${chunk.id} is ${bytes.length} bytes, but the server lists it as ${chunk.size}`, 200);
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

  /** `chunk` and the next queued chunks that no local file holds, up to the window. */
  private window(chunk: ChunkRef): Set<ChunkId> {
    const wanted = new Set<ChunkId>([chunk.id]);
    let wantedBytes = chunk.size;
    for (let j = this.queuePosition; j < this.queue.length && wantedBytes < PREFETCH_BYTES; j++) {
      const next = this.queue[j]!;
      if (wanted.has(next.id) || this.localCopies.has(next.id)) continue;
      wanted.add(next.id);
      wantedBytes += next.size;
    }
    return wanted;
  }

  /** Starts one request (in batches the server accepts) whose chunks are usable as they arrive. */
  private fetch(ids: ReadonlySet<ChunkId>): ChunkBatch {
    const batch = new ChunkBatch(ids, (onChunk) =>
      this.client.downloadChunks(this.libraryId, [...ids], (frame) => {
        this.downloadedBytes += frame.bytes.length;
        onChunk(frame.id, frame.bytes);
      }),
    );
    const settled = batch.settled.then(() => {
      this.inFlight.delete(settled);
    });
    this.inFlight.add(settled);
    return batch;
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
   * Requests, at once, every chunk of a group of files that no local file holds, so that the
   * group's files can be written together, each as its chunks arrive. Replaces the previous
   * group's chunks: memory stays bounded by one group.
   */
  prefetch(chunks: readonly ChunkRef[]): void {
    const wanted = new Set<ChunkId>();
    for (const chunk of chunks) if (!this.localCopies.has(chunk.id)) wanted.add(chunk.id);
    this.batch = wanted.size === 0 ? null : this.fetch(wanted);
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

  /**
   * Closes the local files it keeps open, and waits for requests still on the wire (a file
   * given up mid-way leaves the rest of its request coming), so that the round's byte count
   * is complete and nothing runs on after the round.
   */
  async close(): Promise<void> {
    const readers = [...this.readers.values()];
    this.readers.clear();
    for (const reader of readers) await reader.close().catch(() => undefined);
    this.batch = null;
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }
}
