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
import { openChunkReader, readChunk } from '../chunker/index.js';
import type { ChunkReader } from '../chunker/index.js';
import type { LocalEntry } from '../syncModel.js';
import type { ServerClient } from '../remote/serverClient.js';
import { PatchSavings } from './chunkPatching.js';
import { RemoteError } from '../remote/remoteError.js';
import { FramePool } from './framePool.js';
import { LocalRuns } from './localRuns.js';

/** Local files kept open as chunk sources at once. */
const OPEN_READERS = 8;
/**
 * Streaming one file, each request asks for about half of this many bytes of it, and the next
 * one goes out once less than a quarter of it is requested ahead of the chunk being written,
 * so the wire never waits for the disk, yet one request at a time mostly has the link. At
 * most about this much is held in memory.
 */
const PREFETCH_BYTES = 16 * 1024 * 1024;

interface LocalCopy {
  readonly filePath: LibraryPath;
  readonly offset: number;
  readonly size: number;
}

/** A chunk on this disk that a downloaded chunk replaces: the base its patch is asked against. */
export interface PatchBase extends LocalCopy {
  readonly id: ChunkId;
}

/**
 * Free buffers of streamed chunks kept for the next ones (see FramePool): what a dropped window
 * gives back while the next ones are held. Smaller (10 MiB) let 900 of 3,600 buffers of a
 * 512 MiB file go to the garbage collector; this keeps about 170 in use.
 */
const FRAME_POOL_FREE_BYTES = (PREFETCH_BYTES * 3) / 2;

/**
 * A streamed file's chunks that a local file holds one after another, in the same order, are
 * read as one run (see LocalRuns) once they add up to this many bytes; fewer are read one
 * chunk at a time on this thread, which needs no second thread started.
 */
export const LOCAL_RUN_BYTES = 8 * 1024 * 1024;

/** Base chunks read from the disk at once for one request's patches. */
const BASE_READS = 16;

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
    arena?: ChunkArena,
  ) {
    this.settled = fetch((id, arrivedBytes) => {
      const bytes = arena === undefined || arena.holds(arrivedBytes) ? arrivedBytes : arena.keep(arrivedBytes);
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

  /**
   * Lets go of the chunks that arrived (a reader done with this batch), returning them; one
   * that arrives later stays here, never handed out, for the garbage collector.
   */
  drop(): Uint8Array[] {
    const held = [...this.arrived.values()];
    this.arrived.clear();
    return held;
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

/** Bytes of the arena's blocks; a chunk larger than a quarter of one is kept as it came. */
const ARENA_BLOCK = 1024 * 1024;

/**
 * Memory used again from group to group for the chunks of small files (see ChunkSource.request):
 * each chunk is copied in as it arrives, and the buffer it came in dies young. Kept as they
 * came, the chunks of the group that arrives while another is written outlived two young
 * collections and filled the old generation until its next full collection: 10,000 files of
 * 1-16 KiB, 20 groups, went from ~15 to ~60 MiB of array buffers.
 */
class ChunkArena {
  private readonly blocks: Uint8Array[] = [];
  private block = 0;
  private used = 0;

  /** Starts over: every view handed out before is overwritten by later chunks. */
  reset(): void {
    this.block = 0;
    this.used = 0;
  }

  /** Lets go of the blocks (views handed out stay valid: nothing is written into them again). */
  release(): void {
    this.blocks.length = 0;
    this.reset();
  }

  /** Bytes of the blocks it holds. */
  get heldBytes(): number {
    return this.blocks.length * ARENA_BLOCK;
  }

  keep(bytes: Uint8Array): Uint8Array {
    if (bytes.length > ARENA_BLOCK / 4) return bytes;
    const view = this.allocate(bytes.length);
    view.set(bytes);
    return view;
  }

  /**
   * Room for a chunk about to arrive (the frame decoder reads it straight in: no buffer of its
   * own, no copy); a chunk larger than a quarter of a block gets a buffer of its own.
   */
  allocate(length: number): Uint8Array {
    if (length > ARENA_BLOCK / 4) return new Uint8Array(Buffer.allocUnsafeSlow(length).buffer, 0, length);
    if (this.block < this.blocks.length && this.used + length > this.blocks[this.block]!.length) {
      this.block += 1;
      this.used = 0;
    }
    // Not zero-filled: every byte of a view handed out is written by the decoder or by keep().
    if (this.block === this.blocks.length) this.blocks.push(new Uint8Array(Buffer.allocUnsafeSlow(ARENA_BLOCK).buffer, 0, ARENA_BLOCK));
    const view = this.blocks[this.block]!.subarray(this.used, this.used + length);
    this.used += length;
    return view;
  }

  /** Whether `bytes` is a view of this arena's blocks (a chunk read straight in). */
  holds(bytes: Uint8Array): boolean {
    return bytes.length <= ARENA_BLOCK / 4 && this.blocks.some((block) => block.buffer === bytes.buffer);
  }
}

/** The chunks of a group of files, requested at once (ChunkSource.request), read once in use (ChunkSource.use). */
export interface GroupChunks {
  /** Resolves (never rejects) once every chunk of the request has arrived, or the request failed. */
  readonly settled: Promise<void>;
}

class RequestedGroup implements GroupChunks {
  readonly settled: Promise<void>;
  constructor(readonly batch: ChunkBatch | null) {
    this.settled = batch?.settled ?? Promise.resolve();
  }
}

export class ChunkSource {
  /** Chunk bytes fetched from the server. */
  downloadedBytes = 0;
  /** Chunk bytes taken from local files. */
  reusedBytes = 0;
  /** Where a chunk of a planned download can be read on this disk, for those chunks only. */
  private readonly localCopies = new Map<ChunkId, LocalCopy>();
  /** The chunks of the group being written (see prefetch); replaced whole by the next group. */
  private batch: ChunkBatch | null = null;
  /** Requests still on the wire, which close() waits for. */
  private readonly inFlight = new Set<Promise<void>>();
  private readonly readers = new Map<LibraryPath, Promise<ChunkReader>>();
  /** The sizes of the chunks that have a patch base. */
  private readonly patchSizes = new Map<ChunkId, number>();
  /** Whether patches still pay (a file rewritten whole gains nothing from them). */
  private readonly patchSavings = new PatchSavings();
  /** The arenas of requested groups, used in turn (see request). */
  private readonly arenas = [new ChunkArena(), new ChunkArena()];
  private requests = 0;
  /** Buffers of streamed chunks, used again once written (see release). */
  private readonly framePool = new FramePool(FRAME_POOL_FREE_BYTES);
  /** Long runs of local chunks, read in pieces and hashed on a second thread. */
  readonly localRuns = new LocalRuns();
  private readonly localRunBytes: number;

  /**
   * `downloads` are the chunk lists of the files about to be read; `local` is the scanned
   * disk, searched for those chunks only.
   */
  constructor(
    private readonly client: ServerClient,
    private readonly libraryId: string,
    private readonly root: string,
    local: Iterable<LocalEntry>,
    downloads: readonly (readonly ChunkRef[])[],
    /**
     * Per chunk to download, the chunk of a local file it replaces: where the server offers
     * chunk patches, such a chunk is fetched as a patch of it (see chunkPatching.ts).
     */
    private readonly patchBases: ReadonlyMap<ChunkId, PatchBase> = new Map(),
    options: { readonly localRunBytes?: number } = {},
  ) {
    this.localRunBytes = options.localRunBytes ?? LOCAL_RUN_BYTES;
    const wanted = new Set<ChunkId>();
    for (const list of downloads) {
      for (const chunk of list) {
        wanted.add(chunk.id);
        if (patchBases.has(chunk.id)) this.patchSizes.set(chunk.id, chunk.size);
      }
    }
    if (wanted.size === 0) return;
    for (const entry of local) {
      let offset = 0;
      for (const chunk of entry.chunks) {
        if (wanted.has(chunk.id) && !this.localCopies.has(chunk.id)) this.localCopies.set(chunk.id, { filePath: entry.path, offset, size: chunk.size });
        offset += chunk.size;
      }
    }
    // A file that may hold a run (see localRun): the hashing thread loads while the round gets there.
    const mayHoldRun = (list: readonly ChunkRef[]): boolean => {
      let bytes = 0;
      for (const chunk of list) if (this.localCopies.has(chunk.id)) bytes += chunk.size;
      return bytes >= this.localRunBytes;
    };
    if (downloads.some(mayHoldRun)) this.localRuns.prepare();
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
      await closeReader(reader);
    }
  }

  /**
   * A piece `read` gave is no longer read by its consumer (its bytes are in the file): a streamed
   * chunk's buffer may then carry a later chunk (see FramePool). Call it once per piece, only
   * after the last use of its bytes; a piece never released is only left to the garbage collector.
   */
  release(piece: Uint8Array): void {
    if (this.localRuns.owns(piece)) this.localRuns.release(piece);
    else this.framePool.release(piece);
  }

  /** How many streamed chunks arrived in a buffer used before (see FramePool). */
  get reusedFrameBuffers(): number {
    return this.framePool.reused;
  }

  private async *readChunks(chunks: readonly ChunkRef[], streaming: boolean): AsyncGenerator<Uint8Array> {
    // Streaming, this file's own chunks are requested ahead of the writer in windows (a file
    // read after a group of small ones, or among other large files, never has its chunks
    // fetched one request each); within a group, the group's request has them all.
    const windows: { readonly batch: ChunkBatch; readonly end: number }[] = [];
    try {
      yield* this.readChunksIn(chunks, streaming, windows);
    } finally {
      // This reader is done with its windows' chunks (what it handed out is held by its consumer).
      for (const window of windows.splice(0)) this.dropWindow(window.batch);
    }
  }

  /** The pool's buffers of a window's batch lose the batch as a holder. */
  private dropWindow(batch: ChunkBatch): void {
    for (const bytes of batch.drop()) this.framePool.release(bytes);
  }

  private async *readChunksIn(
    chunks: readonly ChunkRef[],
    streaming: boolean,
    windows: { readonly batch: ChunkBatch; readonly end: number }[],
  ): AsyncGenerator<Uint8Array> {
    /** Chunks before this index of `chunks` were requested (or found local) already. */
    let requestedTo = 0;
    /** ends[i]: the offset just after chunk i in the file. */
    const ends: number[] = [];
    if (streaming) {
      let offset = 0;
      for (const chunk of chunks) ends.push((offset += chunk.size));
    }
    for (let index = 0; index < chunks.length; index++) {
      const chunk = chunks[index]!;
      const run = streaming ? this.localRun(chunks, index) : 0;
      if (run > 0) {
        // What follows the run is asked for now: its bytes travel while the run is read.
        if (requestedTo < index + run) {
          const next = this.window(chunks, index + run);
          if (next.ids.size > 0) windows.push({ batch: this.fetch(next.ids, undefined, this.framePool), end: next.end });
          requestedTo = next.end;
        }
        const given = yield* this.readRun(chunks, index, run);
        if (given < run) {
          // A chunk did not match: the file changed since it was scanned. The rest of the run
          // comes from the server, asked for from here on.
          for (let stale = index + given; stale < index + run; stale++) this.localCopies.delete(chunks[stale]!.id);
          requestedTo = Math.min(requestedTo, index + given);
        }
        index += given - 1;
        continue;
      }
      const reused = await this.readLocal(chunk);
      if (reused !== undefined) {
        this.reusedBytes += reused.length;
        yield reused;
        continue;
      }
      let bytes: Uint8Array | undefined;
      if (streaming) {
        // Windows this file's writer has passed are dropped, so memory stays bounded.
        while (windows.length > 0 && windows[0]!.end <= index) this.dropWindow(windows.shift()!.batch);
        const ahead = requestedTo <= index ? 0 : ends[requestedTo - 1]! - ends[index]!;
        // The next request leaves when a quarter of the window is left ahead, not at once:
        // two requests in flight share the link, and bytes of the later one cannot be
        // written (nor kept by a pause) before the earlier one's.
        if (ahead < PREFETCH_BYTES / 4 && requestedTo < chunks.length) {
          const next = this.window(chunks, Math.max(index, requestedTo));
          if (next.ids.size > 0) windows.push({ batch: this.fetch(next.ids, undefined, this.framePool), end: next.end });
          requestedTo = next.end;
        }
        for (const window of windows) {
          bytes = await window.batch.get(chunk.id);
          if (bytes !== undefined) break;
        }
      } else {
        bytes = await this.batch?.get(chunk.id);
      }
      // Only a local copy that turned out stale is missing from the requests: fetch it alone.
      bytes ??= await this.fetch(new Set([chunk.id])).get(chunk.id);
      if (bytes === undefined) throw new Error(`chunk ${chunk.id} was not delivered`);
      // The bytes match the id (downloadChunks checked); the size in the file's list is the
      // server's word, and a file written from a wrong one would not be the version recorded.
      if (bytes.length !== chunk.size) {
        throw new RemoteError('hash-mismatch', `chunk ${chunk.id} is ${bytes.length} bytes, but the server lists it as ${chunk.size}`, 200);
      }
      // The consumer holds it until it releases it (a buffer not from the pool is not counted).
      this.framePool.hold(bytes);
      yield bytes;
    }
  }

  /**
   * How many chunks from `index` on one local file holds one after another, in this order, if
   * they add up to a run worth reading as one (see LocalRuns); else 0.
   */
  private localRun(chunks: readonly ChunkRef[], index: number): number {
    const first = this.localCopies.get(chunks[index]!.id);
    if (first === undefined) return 0;
    let offset = first.offset;
    let end = index;
    for (; end < chunks.length; end++) {
      const copy = this.localCopies.get(chunks[end]!.id);
      if (copy === undefined || copy.filePath !== first.filePath || copy.offset !== offset || copy.size !== chunks[end]!.size) break;
      offset += copy.size;
    }
    return offset - first.offset >= this.localRunBytes ? end - index : 0;
  }

  /** Reads a run of `count` local chunks from `index` (see LocalRuns.read); returns how many were given. */
  private async *readRun(chunks: readonly ChunkRef[], index: number, count: number): AsyncGenerator<Uint8Array, number> {
    const copy = this.localCopies.get(chunks[index]!.id)!;
    let reader: ChunkReader;
    try {
      reader = await this.readerFor(copy.filePath);
    } catch {
      return 0;
    }
    const pieces = this.localRuns.read(reader, copy.offset, chunks.slice(index, index + count));
    try {
      for (;;) {
        const step = await pieces.next();
        if (step.done === true) return step.value;
        this.reusedBytes += step.value.length;
        yield step.value;
      }
    } finally {
      await pieces.return(0);
    }
  }

  /** The chunks of `chunks` from `from` on that no local file holds, up to half the prefetch. */
  private window(chunks: readonly ChunkRef[], from: number): { ids: Set<ChunkId>; end: number } {
    const ids = new Set<ChunkId>();
    let bytes = 0;
    let end = from;
    for (; end < chunks.length && bytes < PREFETCH_BYTES / 2; end++) {
      const next = chunks[end]!;
      if (ids.has(next.id) || this.localCopies.has(next.id)) continue;
      ids.add(next.id);
      bytes += next.size;
    }
    return { ids, end };
  }

  /**
   * Starts one request (in batches the server accepts) whose chunks are usable as they arrive.
   * Chunks with a base on this disk are asked for as patches first (the base read and checked
   * against its id, the rebuilt chunk checked against its own by the server client); any
   * that does not work out is fetched whole.
   */
  private fetch(ids: ReadonlySet<ChunkId>, arena?: ChunkArena, pool?: FramePool): ChunkBatch {
    const batch = new ChunkBatch(ids, async (onChunk) => {
      let whole = [...ids];
      if (this.patchBases.size > 0 && this.client.chunkPatches && this.patchSavings.worthTrying) {
        const withBase = whole.filter((id) => this.patchBases.has(id));
        whole = whole.filter((id) => !this.patchBases.has(id));
        const pairs: { id: ChunkId; size: number; base: { id: ChunkId; bytes: Uint8Array } }[] = [];
        for (let start = 0; start < withBase.length; start += BASE_READS) {
          const reads = withBase.slice(start, start + BASE_READS).map(async (id) => {
            const base = this.patchBases.get(id)!;
            try {
              // Checked against the base's id by the reader: a file changed since the scan is no base.
              const bytes = await readChunk(path.join(this.root, base.filePath), { id: base.id, size: base.size, offset: base.offset });
              pairs.push({ id, size: this.patchSizes.get(id) ?? bytes.length, base: { id: base.id, bytes } });
            } catch {
              whole.push(id);
            }
          });
          await Promise.all(reads);
        }
        if (pairs.length > 0) {
          let rebuilt = 0;
          const result = await this.client.downloadChunkPatches(this.libraryId, pairs, (frame) => {
            rebuilt += frame.bytes.length;
            onChunk(frame.id, frame.bytes);
          });
          // What the patches carried came from the server; the rest of the rebuilt chunks, from the bases on this disk.
          this.downloadedBytes += result.bytes;
          this.reusedBytes += Math.max(0, rebuilt - result.bytes);
          this.patchSavings.add(
            pairs.reduce((sum, pair) => sum + pair.size, 0),
            result.bytes,
          );
          whole.push(...result.failed);
        }
      }
      if (whole.length === 0) return;
      const onFrame = (frame: { readonly id: ChunkId; readonly bytes: Uint8Array }): void => {
        this.downloadedBytes += frame.bytes.length;
        onChunk(frame.id, frame.bytes);
      };
      if (pool !== undefined) await this.client.downloadChunks(this.libraryId, whole, onFrame, (length) => pool.take(length));
      else if (arena !== undefined) await this.client.downloadChunks(this.libraryId, whole, onFrame, (length) => arena.allocate(length));
      else await this.client.downloadChunks(this.libraryId, whole, onFrame);
    }, arena);
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

  /**
   * Requests, at once, every chunk of a group of files that no local file holds, without
   * making them the ones read yet (see use): the next group's chunks can travel while the
   * current group's files are still being made durable. The groups' chunks are kept in two
   * arenas used in turn, so the bytes read from a group are valid only until the group after
   * the next one is requested: by then every read of the group must be done.
   */
  request(chunks: readonly ChunkRef[]): GroupChunks {
    const wanted = new Set<ChunkId>();
    for (const chunk of chunks) if (!this.localCopies.has(chunk.id)) wanted.add(chunk.id);
    if (wanted.size === 0) return new RequestedGroup(null);
    const arena = this.arenas[this.requests++ % 2]!;
    arena.reset();
    return new RequestedGroup(this.fetch(wanted, arena));
  }

  /**
   * No group follows (every file of every group is written): the last group's chunks and both
   * arenas are let go, so that the large files written after the groups, each through its own
   * windows, do not carry them (on the 1 GB mixed set, two arenas of ~22 MiB each).
   */
  endGroups(): void {
    this.batch = null;
    for (const arena of this.arenas) arena.release();
  }

  /** Bytes the group arenas hold now (for tests). */
  get arenaBytes(): number {
    return this.arenas.reduce((sum, arena) => sum + arena.heldBytes, 0);
  }

  /** Makes a requested group's chunks the ones reads take (replacing, and letting go of, the previous group's). */
  use(group: GroupChunks): void {
    if (!(group instanceof RequestedGroup)) throw new TypeError('use() takes what request() returned');
    this.batch = group.batch;
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

  /**
   * An open reader for a local file; a few stay open, so rebuilding a large file opens it once.
   * The map holds the opening itself, so that files written at once that read the same local
   * file share one reader instead of each opening its own (and all but one never closed).
   */
  private async readerFor(filePath: LibraryPath): Promise<ChunkReader> {
    const open = this.readers.get(filePath);
    if (open !== undefined) {
      this.readers.delete(filePath);
      this.readers.set(filePath, open); // most recently used last
      return open;
    }
    const opening = openChunkReader(path.join(this.root, filePath));
    this.readers.set(filePath, opening);
    opening.catch(() => {
      if (this.readers.get(filePath) === opening) this.readers.delete(filePath);
    });
    if (this.readers.size > OPEN_READERS) {
      const [oldest] = this.readers;
      if (oldest !== undefined) {
        this.readers.delete(oldest[0]);
        await closeReader(oldest[1]);
      }
    }
    return opening;
  }

  /**
   * Closes the local files it keeps open, and waits for requests still on the wire (a file
   * given up mid-way leaves the rest of its request coming), so that the round's byte count
   * is complete and nothing runs on after the round.
   */
  async close(): Promise<void> {
    const readers = [...this.readers.values()];
    this.readers.clear();
    for (const reader of readers) await closeReader(reader);
    this.batch = null;
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    await this.localRuns.close();
  }
}

/** Closes a reader once it is open; one that failed to open has nothing to close. */
async function closeReader(opening: Promise<ChunkReader>): Promise<void> {
  try {
    await (await opening).close();
  } catch {
    // Nothing open, or nothing more to do about it.
  }
}
