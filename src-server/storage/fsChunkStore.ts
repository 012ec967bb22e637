// The embedded chunk store: chunks in pack files under a folder, located through a SQLite index.
//
// Each put() writes all of its new chunks into one new pack file, so a batch of hundreds of
// small chunks costs a handful of fsyncs instead of several per chunk:
//
//   1. the pack is written to <root>/.temporary/<name>.pack.partial;
//   2. it is renamed to <root>/<ownerId>/packs/<n1n2>/<name>.pack (n1n2: the first two
//      characters of its random name, so no folder grows huge), and the file and that folder
//      are fsynced (the file's fsync runs alongside the rename, the folder's after it);
//   3. its chunks' locations are committed to <root>/chunk-index.sqlite, and the commit is
//      made durable by an fsync of the index's log that concurrent uploads share (chunkIndex.ts).
//
// An upload's body goes through ingest(): its frames are already in the pack format, so its
// pieces are written to the temporary pack while they arrive (each frame verified against its
// id as its last byte comes in), and steps 1-3 follow the body's end; nothing is indexed unless
// every frame verified.
//
// put() resolves only after step 3, so an acknowledged chunk survives a power cut, and a chunk
// is never visible (has, get) before its pack is complete and durable: a crash before step 3
// leaves at most a pack nobody points to (possibly cut short), whose chunks were never
// acknowledged. Packs are never modified after the rename. Temporary files a crash left
// behind are removed at a later open.
//
// Packs are in the format of packFormat.ts (magic, then protocol frames), the same bytes the
// S3 chunk store keeps as objects.
//
// Data folders written before packs existed hold one file per chunk under
// <root>/<ownerId>/<ab>/<cd>/<id> ("loose" chunks); they are still read, never written.
//
// The only module that touches chunk files.

import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { CHUNK_ID_PATTERN } from '../../shared/model.js';
import type { ChunkId } from '../../shared/model.js';
import { fsyncFolder } from '../../shared/node/fsyncFolder.js';
import { ChunkIndex } from './chunkIndex.js';
import type { ChunkLocation } from './chunkIndex.js';
import { DamagedChunkError } from './chunkStore.js';
import type { ChunkStore, IncomingFrameBytes, StoredChunk, StoredPack } from './chunkStore.js';
import { PACK_MAGIC, encodePack } from './packFormat.js';
import type { PackedChunk } from './packFormat.js';

/** Temporary files end with this; a leftover one (after a crash) is never read as a chunk. */
export const TEMPORARY_SUFFIX = '.partial';

/** A loose chunk file found damaged is renamed to end with this, and never read again. */
const DAMAGED_SUFFIX = '.damaged';

/** Pack files end with this. */
export const PACK_SUFFIX = '.pack';

export { PACK_MAGIC } from './packFormat.js';

/** Under the root; owner ids cannot contain a dot, so these never clash with an owner's folder. */
const TEMPORARY_FOLDER = '.temporary';
const INDEX_FILE = 'chunk-index.sqlite';
const PACKS_FOLDER = 'packs';

/**
 * Temporary files older than this are removed when the store opens. Younger ones may belong to
 * another process using the same folder right now (`cairn-server user add` while the server
 * runs), so they wait for a later open.
 */
const TEMPORARY_FILE_MAX_AGE_MS = 60 * 60 * 1000;

/** Most buffers handed to one writev call (Linux's IOV_MAX is 1024). */
const WRITEV_MAX_BUFFERS = 1000;

/** Pack files kept open for reading, most recently used first; packs never change once written. */
const OPEN_PACKS_LIMIT = 64;

/** How many loose-chunk lookups run at once in a data folder that still has loose chunks. */
const LOOSE_LOOKUP_CONCURRENCY = 16;

const OWNER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const LOOSE_SHARD_PATTERN = /^[0-9a-f]{2}$/;

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

/** Runs `work` over the items with at most `limit` running at once. */
async function forEachLimited<Item>(items: readonly Item[], limit: number, work: (item: Item) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(workers);
}

/** Writes every buffer at the file's current position, in order, resuming after short writes. */
async function writeAll(handle: FileHandle, buffers: readonly Uint8Array[]): Promise<void> {
  let index = 0;
  let skip = 0;
  while (index < buffers.length) {
    const group: Uint8Array[] = [];
    for (let next = index; next < buffers.length && group.length < WRITEV_MAX_BUFFERS; next++) {
      const buffer = next === index ? buffers[next]!.subarray(skip) : buffers[next]!;
      if (buffer.length > 0) group.push(buffer);
    }
    let written = group.length === 0 ? 0 : (await handle.writev(group)).bytesWritten;
    if (group.length > 0 && written === 0) throw new Error('the disk accepted no bytes of a pack write');
    // Advance over what was written, which may end inside a buffer.
    while (index < buffers.length) {
      const remaining = buffers[index]!.length - skip;
      if (written < remaining) {
        skip += written;
        break;
      }
      written -= remaining;
      index += 1;
      skip = 0;
    }
  }
}

/** Bytes of a new pack gathered before they are written (one write in flight at a time). */
const PACK_WRITE_BYTES = 1024 * 1024;

/** Write buffers kept for the next packs (see takeWriteBuffer): two per upload in flight. */
const SPARE_WRITE_BUFFERS = 4;
const spareWriteBuffers: Buffer[] = [];

/**
 * A buffer of PACK_WRITE_BYTES for a pack's next write. Pack writers copy what they are given
 * into these, so an upload's body pieces (each a buffer of its own, from Node's HTTP parser) die
 * as soon as they are hashed and copied instead of waiting for their write: pieces held across
 * collections were promoted, and only full collections freed them (a 256 MiB upload cost
 * about 15 of them). Its bytes beyond what a write fills are never written.
 */
function takeWriteBuffer(): Buffer {
  return spareWriteBuffers.pop() ?? Buffer.allocUnsafeSlow(PACK_WRITE_BYTES);
}

function giveBackWriteBuffer(buffer: Buffer): void {
  if (spareWriteBuffers.length < SPARE_WRITE_BUFFERS) spareWriteBuffers.push(buffer);
}

/**
 * Written bytes of a pack not yet flushed to the disk after which the writer starts flushing
 * them (an fdatasync in the background) while the rest is still arriving.
 */
const EARLY_SYNC_BYTES = 1024 * 1024;

/**
 * Appends to a new pack file in writes of PACK_WRITE_BYTES, one in flight at a time so they
 * land in order: while one is written the next buffer is filled, and an append waits only when
 * a write is due and the previous one is still running. So a pack written while its upload
 * arrives holds twice PACK_WRITE_BYTES in memory however slow the disk.
 *
 * Once EARLY_SYNC_BYTES are written and not yet flushed, an fdatasync of the file starts in the
 * background (one at a time), so the disk writes a large pack while it arrives and the fsync
 * that makes the finished pack durable has only its tail left to write. Its failure fails the
 * pack (finish throws it): on Linux a failed flush is reported to one fsync only, so the final
 * fsync could succeed without the bytes on disk.
 */
class PackFileWriter {
  /** The buffer being filled (see takeWriteBuffer), and how much of it is. */
  private buffer: Buffer | null = null;
  private filled = 0;
  private writing: Promise<void> = Promise.resolve();
  private bytes = 0;
  /** Bytes written since the last early flush started; the flush running, and its failure. */
  private unflushed = 0;
  private flushing: Promise<void> | null = null;
  private flushFailure: { readonly error: unknown } | null = null;

  constructor(private readonly handle: FileHandle) {}

  /** Copies the piece into the pack's next write (the caller may reuse or drop it at once). */
  async append(piece: Uint8Array): Promise<void> {
    this.bytes += piece.length;
    let offset = 0;
    while (offset < piece.length) {
      this.buffer ??= takeWriteBuffer();
      const take = Math.min(piece.length - offset, this.buffer.length - this.filled);
      this.buffer.set(piece.subarray(offset, offset + take), this.filled);
      this.filled += take;
      offset += take;
      if (this.filled === this.buffer.length) await this.startWrite();
    }
  }

  /**
   * Writes what remains and resolves with the pack's length; throws any write's or early
   * flush's error. The pack is not durable yet: the caller fsyncs it.
   */
  async finish(): Promise<number> {
    if (this.filled > 0) await this.startWrite();
    await this.writing;
    await this.flushing;
    if (this.flushFailure !== null) throw this.flushFailure.error;
    return this.bytes;
  }

  /** Waits until no write or flush is in flight, whatever its outcome (before the file is closed). */
  async settle(): Promise<void> {
    await this.writing.catch(() => {});
    await this.flushing;
  }

  private async startWrite(): Promise<void> {
    await this.writing;
    const buffer = this.buffer!;
    const bytes = this.filled;
    this.buffer = null;
    this.filled = 0;
    const write = writeAll(this.handle, [buffer.subarray(0, bytes)]).then(() => {
      giveBackWriteBuffer(buffer);
      this.unflushed += bytes;
      this.flushEarly();
    });
    // Its failure is thrown by the next append, finish or settle, never reported as unhandled.
    write.catch(() => {});
    this.writing = write;
  }

  private flushEarly(): void {
    if (this.flushing !== null || this.flushFailure !== null || this.unflushed < EARLY_SYNC_BYTES) return;
    this.unflushed = 0;
    this.flushing = this.handle
      .datasync()
      .catch((error: unknown) => {
        this.flushFailure = { error };
      })
      .finally(() => {
        this.flushing = null;
      });
  }
}

/**
 * Read-only handles of recently read files, so a download of many chunks from one pack opens
 * it once. Only for files that never change while open (packs). At most `limit` handles stay
 * open when idle; a handle in use is never closed under its reader.
 */
class OpenFiles {
  /** In order of last use, least recent first. */
  private readonly entries = new Map<string, { readonly handle: Promise<FileHandle>; users: number }>();
  private closed = false;

  constructor(private readonly limit: number) {}

  async use<Result>(file: string, work: (handle: FileHandle) => Promise<Result>): Promise<Result> {
    if (this.closed) throw new Error('the chunk store is closed');
    let entry = this.entries.get(file);
    if (entry === undefined) {
      const opened = { handle: open(file, 'r'), users: 0 };
      // A file that fails to open is not remembered; the error reaches the reader below.
      opened.handle.catch(() => {
        if (this.entries.get(file) === opened) this.entries.delete(file);
      });
      entry = opened;
    } else {
      this.entries.delete(file);
    }
    this.entries.set(file, entry);
    entry.users += 1;
    try {
      return await work(await entry.handle);
    } finally {
      entry.users -= 1;
      this.closeIdle(this.closed ? 0 : this.limit);
    }
  }

  /** Closes idle handles, least recently used first, until at most `keep` remain open. */
  private closeIdle(keep: number): void {
    for (const [file, entry] of this.entries) {
      if (this.entries.size <= keep) break;
      if (entry.users > 0) continue;
      this.entries.delete(file);
      // Closing a read-only handle loses nothing if it fails; an open failure was reported to its reader.
      entry.handle.then((handle) => handle.close()).catch(() => {});
    }
  }

  /** Closes every handle; called once no read is in flight (the server drains requests first). */
  closeAll(): void {
    this.closed = true;
    this.closeIdle(0);
  }
}

function checkOwnerId(ownerId: string): void {
  // Owner ids come from the server's own records, but paths are built from them, so check.
  if (!OWNER_ID_PATTERN.test(ownerId)) throw new TypeError(`not an owner id: ${ownerId}`);
}

function checkChunkId(id: string): void {
  if (!CHUNK_ID_PATTERN.test(id)) throw new TypeError(`not a chunk id: ${id}`);
}

export class FsChunkStore implements ChunkStore {
  /** Folders made durable by this process (see ensureFolder), by path. */
  private readonly readyFolders = new Map<string, Promise<void>>();
  private readonly openPacks = new OpenFiles(OPEN_PACKS_LIMIT);
  /** Per owner: whether their folder holds loose chunks from before packs (never becomes true later). */
  private readonly looseOwners = new Map<string, Promise<boolean>>();

  private constructor(
    private readonly root: string,
    private readonly index: ChunkIndex,
  ) {}

  /** Opens (creating if needed) the store in `root`, and removes stale temporary files. */
  static async open(root: string): Promise<FsChunkStore> {
    await mkdir(root, { recursive: true, mode: 0o700 });
    // The root's own entry must be durable before anything in it is acknowledged.
    await fsyncFolder(path.dirname(root));
    const temporary = path.join(root, TEMPORARY_FOLDER);
    await mkdir(temporary, { recursive: true, mode: 0o700 });
    const now = Date.now();
    for (const name of await readdir(temporary)) {
      const file = path.join(temporary, name);
      try {
        if (now - (await stat(file)).mtimeMs > TEMPORARY_FILE_MAX_AGE_MS) await rm(file, { force: true });
      } catch (error) {
        if (errorCode(error) !== 'ENOENT') throw error;
      }
    }
    return new FsChunkStore(root, new ChunkIndex(path.join(root, INDEX_FILE)));
  }

  private loosePath(ownerId: string, id: ChunkId): string {
    return path.join(this.root, ownerId, id.slice(0, 2), id.slice(2, 4), id);
  }

  private packPath(ownerId: string, packName: string): string {
    return path.join(this.root, ownerId, PACKS_FOLDER, packName.slice(0, 2), `${packName}${PACK_SUFFIX}`);
  }

  async has(ownerId: string, id: ChunkId): Promise<boolean> {
    checkOwnerId(ownerId);
    checkChunkId(id);
    if (this.index.has(ownerId, id)) return true;
    return this.hasLoose(ownerId, id);
  }

  async put(ownerId: string, chunks: readonly StoredChunk[], options: { readonly writeAll?: boolean } = {}): Promise<void> {
    checkOwnerId(ownerId);
    // The chunks this store lacks, once each: chunks it holds already are not written again
    // (with writeAll they are: the index keeps their first location, these bytes are dead).
    const fresh = new Map<ChunkId, StoredChunk>();
    for (const chunk of chunks) {
      checkChunkId(chunk.id);
      if (!fresh.has(chunk.id) && (options.writeAll === true || !this.index.has(ownerId, chunk.id))) fresh.set(chunk.id, chunk);
    }
    if (fresh.size > 0 && options.writeAll !== true && (await this.mayHoldLooseChunks(ownerId))) {
      await forEachLimited([...fresh.keys()], LOOSE_LOOKUP_CONCURRENCY, async (id) => {
        if (await this.hasLoose(ownerId, id)) fresh.delete(id);
      });
    }
    // A chunk skipped because the index holds it may have been indexed by an upload whose
    // commit is not durable yet: this put is acknowledged only once that commit is.
    if (fresh.size < chunks.length) await this.index.durable.sync();
    if (fresh.size === 0) return;
    await this.writePack(ownerId, [...fresh.values()]);
  }

  async ingest(ownerId: string, body: IncomingFrameBytes): Promise<PackedChunk[]> {
    checkOwnerId(ownerId);
    // The body's frames are the pack's frames: its pieces go to the pack file as they arrive,
    // after the magic, and the chunks are indexed only once every frame verified.
    let received: PackedChunk[] = [];
    await this.writeNewPack(ownerId, async (writer) => {
      await writer.append(PACK_MAGIC);
      received = await body.stream((piece) => writer.append(piece));
      return received.map((chunk) => ({ id: chunk.id, offset: PACK_MAGIC.length + chunk.offset, size: chunk.size }));
    });
    return received;
  }

  async get(ownerId: string, id: ChunkId): Promise<Uint8Array | null> {
    checkOwnerId(ownerId);
    checkChunkId(id);
    const location = this.index.locate(ownerId, id);
    if (location !== null) return this.readPacked(ownerId, id, location);
    if (!(await this.mayHoldLooseChunks(ownerId))) return null;
    try {
      const bytes = await readFile(this.loosePath(ownerId, id));
      // A plain Uint8Array view of the Buffer, as the interface promises (no copy).
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return null;
      throw error;
    }
  }

  async quarantine(ownerId: string, id: ChunkId, reason: string): Promise<void> {
    checkOwnerId(ownerId);
    checkChunkId(id);
    if ((await this.index.quarantine(ownerId, id, reason, Date.now())) !== null) return;
    if (!(await this.mayHoldLooseChunks(ownerId))) return;
    // A loose chunk from before packs: set the file aside under a name no lookup reads.
    const file = this.loosePath(ownerId, id);
    try {
      await rename(file, `${file}${DAMAGED_SUFFIX}`);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
    }
  }

  async *packs(): AsyncIterable<StoredPack> {
    for (const pack of this.index.packs()) {
      yield { ownerId: pack.ownerId, key: path.relative(this.root, this.packPath(pack.ownerId, pack.name)).split(path.sep).join('/'), bytes: pack.bytes, chunks: pack.chunks };
    }
  }

  async readPack(pack: StoredPack): Promise<Uint8Array | null> {
    checkOwnerId(pack.ownerId);
    const file = path.join(this.root, ...pack.key.split('/'));
    if (path.relative(this.root, file).startsWith('..')) throw new TypeError(`not a pack of this store: ${pack.key}`);
    try {
      return await readFile(file);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return null;
      throw error;
    }
  }

  async close(): Promise<void> {
    this.openPacks.closeAll();
    this.index.close();
  }

  /** Writes the chunks into one new pack and indexes it; see the comment at the top. */
  private async writePack(ownerId: string, chunks: readonly StoredChunk[]): Promise<void> {
    await this.writeNewPack(ownerId, async (writer) => {
      const { buffers, chunks: locations } = encodePack(chunks);
      for (const buffer of buffers) await writer.append(buffer);
      return locations;
    });
  }

  /**
   * Writes a new pack with what `fill` appends (the magic first) and indexes the chunks it
   * returns; see the comment at the top. A pack of no chunks is not kept. If anything fails,
   * the temporary file is removed and nothing is indexed.
   */
  private async writeNewPack(ownerId: string, fill: (writer: PackFileWriter) => Promise<readonly PackedChunk[]>): Promise<void> {
    const name = randomBytes(16).toString('hex');
    const target = this.packPath(ownerId, name);
    const folder = path.dirname(target);
    const temporary = path.join(this.root, TEMPORARY_FOLDER, `${name}${PACK_SUFFIX}${TEMPORARY_SUFFIX}`);
    // The pack's folder is needed only for the rename: it is made (the first time) while the
    // pack is written. Its failure is thrown there (ensureFolder handles it meanwhile).
    const folderReady = this.ensureFolder(folder);
    let locations: readonly PackedChunk[];
    let bytes: number;
    // Where the pack's file is now, and whether it is complete, durable and to be indexed.
    let file = temporary;
    let durable = false;
    let closed: Promise<void> | undefined;
    try {
      const handle = await open(temporary, 'wx', 0o600);
      const writer = new PackFileWriter(handle);
      try {
        locations = await fill(writer);
        bytes = await writer.finish();
        if (locations.length > 0) {
          // The pack takes its place while its bytes are made durable, and its folder entry
          // after: until the index names it, a crash leaves a pack nobody points to (cut
          // short, maybe), as it would between a rename and the index anyway.
          await folderReady;
          const renamed = rename(temporary, target).then(() => {
            file = target;
          });
          const synced = await Promise.allSettled([handle.sync(), renamed.then(() => fsyncFolder(folder))]);
          for (const outcome of synced) if (outcome.status === 'rejected') throw outcome.reason;
          durable = true;
        }
      } finally {
        await writer.settle();
        // A durable pack's handle closes while it is indexed: closing it changes nothing on disk.
        closed = handle.close();
        if (!durable) await closed;
      }
    } finally {
      if (!durable) await rm(file, { force: true });
    }
    if (!durable) return;
    const indexed = this.index.addPack({ ownerId, name, bytes, createdAt: Date.now(), chunks: locations });
    await Promise.all([indexed, closed]);
  }

  private async readPacked(ownerId: string, id: ChunkId, location: ChunkLocation): Promise<Uint8Array> {
    const file = this.packPath(ownerId, location.packName);
    try {
      return await this.readLocated(file, id, location);
    } catch (error) {
      // The index names this pack, so a missing file is damage, never an absent chunk.
      if (errorCode(error) === 'ENOENT') throw new DamagedChunkError(id, `pack ${file} of chunk ${id} is missing: the chunk store is damaged`);
      throw error;
    }
  }

  private async readLocated(file: string, id: ChunkId, location: ChunkLocation): Promise<Uint8Array> {
    return this.openPacks.use(file, async (handle) => {
      // Not zero-filled: every byte is overwritten below or the read fails.
      const bytes = Buffer.allocUnsafeSlow(location.size);
      let filled = 0;
      while (filled < location.size) {
        const { bytesRead } = await handle.read(bytes, filled, location.size - filled, location.offset + filled);
        if (bytesRead === 0) throw new DamagedChunkError(id, `pack ${file} ends inside chunk ${id}: the chunk store is damaged`);
        filled += bytesRead;
      }
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    });
  }

  private async hasLoose(ownerId: string, id: ChunkId): Promise<boolean> {
    if (!(await this.mayHoldLooseChunks(ownerId))) return false;
    try {
      await stat(this.loosePath(ownerId, id));
      return true;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return false;
      throw error;
    }
  }

  /**
   * Whether the owner's folder has loose-chunk shard folders. Checked once per owner: this
   * store never writes loose chunks, so an owner without them never gains any, and their
   * lookups skip the disk.
   */
  private mayHoldLooseChunks(ownerId: string): Promise<boolean> {
    let answer = this.looseOwners.get(ownerId);
    if (answer === undefined) {
      answer = (async () => {
        try {
          return (await readdir(path.join(this.root, ownerId))).some((name) => LOOSE_SHARD_PATTERN.test(name));
        } catch (error) {
          if (errorCode(error) === 'ENOENT') return false;
          throw error;
        }
      })();
      answer.catch(() => this.looseOwners.delete(ownerId));
      this.looseOwners.set(ownerId, answer);
    }
    return answer;
  }

  /**
   * Makes a folder below the root exist durably: each folder from the root down is created if
   * missing and its parent fsynced, once per process. The fsync happens even when the folder
   * existed already, because a crashed process may have created it without making its entry
   * durable. Concurrent callers share one attempt, so none writes into a folder whose entry
   * another caller is still making durable.
   */
  private ensureFolder(folder: string): Promise<void> {
    let ready = this.readyFolders.get(folder);
    if (ready === undefined) {
      ready = (async () => {
        const parent = path.dirname(folder);
        if (parent !== this.root) await this.ensureFolder(parent);
        try {
          await mkdir(folder, { mode: 0o700 });
        } catch (error) {
          if (errorCode(error) !== 'EEXIST') throw error;
        }
        await fsyncFolder(parent);
      })();
      ready.catch(() => this.readyFolders.delete(folder));
      this.readyFolders.set(folder, ready);
    }
    return ready;
  }
}
