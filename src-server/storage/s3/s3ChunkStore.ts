// The scale-out chunk store: chunk bytes in S3-compatible object storage (Ceph RGW, MinIO, AWS),
// their index in PostgreSQL. It passes the same conformance suite as the folder store.
//
// Objects are packs, never one object per chunk: every put() becomes one immutable object
// `<ownerId>/packs/<xy>/<name>.pack` in the pack format (packFormat.ts), the same layout as the
// folder store, so a migration copies files one to one. Measured on RGW, 128 KiB objects cost
// about three times the store's CPU per GiB of 4-16 MiB objects, and per-request prices make
// small objects dear on public clouds.
//
// The order that makes an acknowledged chunk durable and never leaves a location pointing at
// nothing:
//   1. a 'pending' pack row is committed (the intent, found later without listing the bucket);
//   2. the object is written with If-None-Match: * (never overwriting anything);
//   3. in one transaction the row turns 'live' and the chunks' locations are inserted.
// put() resolves after step 3. A crash before it leaves a pending row and perhaps an object,
// whose chunks were never acknowledged; garbage collection removes both.
//
// Reads are range GETs. Reads that arrive together (a download reads several chunks ahead) are
// gathered for one turn of the event loop, and chunks of the same pack that lie close together
// are fetched by one GET: a range GET costs the store about as much as a small object, and
// reading a pack whole is several times cheaper than many ranges. A GET also reads on up to
// READ_SPAN_BYTES past the chunks asked for (a file's chunks lie one after another in the pack
// its upload wrote), and the span is kept for the reads that follow; packs never change, so a
// kept span is never stale, and the caller verifies every chunk's bytes anyway.

import { randomBytes } from 'node:crypto';
import type { ChunkId } from '../../../shared/model.js';
import { CHUNK_ID_PATTERN } from '../../../shared/model.js';
import { DamagedChunkError } from '../chunkStore.js';
import type { ChunkStore, StoredChunk, StoredPack } from '../chunkStore.js';
import { encodePack } from '../packFormat.js';
import type { PostgresDatabase } from '../postgres/postgresDatabase.js';
import type { S3Client } from './s3Client.js';

const OWNER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Chunks of one pack at most this far apart are read by one GET (the bytes between are dropped). */
const MERGE_GAP_BYTES = 256 * 1024;
/** One merged GET reads at most this much. */
const MERGE_MAX_BYTES = 8 * 1024 * 1024;
/** Most ids in one location lookup. */
const LOOKUP_BATCH = 1000;
/** A GET reads at least this far into the pack from its first chunk (a download's next chunks). */
const READ_SPAN_BYTES = 4 * 1024 * 1024;
/** Locations looked up ahead for a download and never read are forgotten after this. */
const PREFETCH_TTL_MS = 60_000;
/** Pack spans kept (or being read) for the reads that follow, per store: bounds the memory. */
const SPAN_CACHE_BYTES = 64 * 1024 * 1024;

interface Location {
  readonly key: string;
  readonly offset: number;
  readonly size: number;
  /** The whole pack's length, as indexed. */
  readonly packBytes: number;
}

/** Bytes [start, end) of a pack, read or being read. */
interface Span {
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly bytes: Promise<Buffer | null>;
}

/** Spans of packs, least recently used evicted first once over the byte limit. */
export class SpanCache {
  /** In order of last use, least recent first. */
  private readonly spans = new Set<Span>();
  private readonly byKey = new Map<string, Set<Span>>();
  private total = 0;

  constructor(private readonly limit: number) {}

  /** A span holding [start, end) of the pack, if one is kept. */
  find(key: string, start: number, end: number): Span | undefined {
    for (const span of this.byKey.get(key) ?? []) {
      if (span.start <= start && end <= span.end) {
        this.spans.delete(span);
        this.spans.add(span);
        return span;
      }
    }
    return undefined;
  }

  add(span: Span): void {
    this.spans.add(span);
    const forKey = this.byKey.get(span.key) ?? new Set<Span>();
    this.byKey.set(span.key, forKey);
    forKey.add(span);
    this.total += span.end - span.start;
    for (const oldest of this.spans) {
      if (this.total <= this.limit || oldest === span) break;
      this.remove(oldest);
    }
  }

  remove(span: Span): void {
    if (!this.spans.delete(span)) return;
    this.total -= span.end - span.start;
    const forKey = this.byKey.get(span.key);
    forKey?.delete(span);
    if (forKey?.size === 0) this.byKey.delete(span.key);
  }

  get bytes(): number {
    return this.total;
  }
}

interface PendingRead {
  readonly ownerId: string;
  readonly id: ChunkId;
  resolve(bytes: Uint8Array | null): void;
  reject(error: unknown): void;
}

function checkOwnerId(ownerId: string): void {
  // Owner ids come from the server's own records, but keys are built from them, so check.
  if (!OWNER_ID_PATTERN.test(ownerId)) throw new TypeError(`not an owner id: ${ownerId}`);
}

function checkChunkId(id: string): void {
  if (!CHUNK_ID_PATTERN.test(id)) throw new TypeError(`not a chunk id: ${id}`);
}

export function packKey(ownerId: string, name: string): string {
  return `${ownerId}/packs/${name.slice(0, 2)}/${name}.pack`;
}

/** A run of chunk reads served by one range GET. */
interface MergedRead {
  readonly key: string;
  readonly start: number;
  end: number;
  readonly reads: { readonly read: PendingRead; readonly location: Location }[];
}

/** Groups reads by pack and merges those close together; pure, exported for its tests. */
export function mergeReads<Read>(reads: readonly { read: Read; location: Location }[], gap = MERGE_GAP_BYTES, max = MERGE_MAX_BYTES) {
  const sorted = [...reads].sort((a, b) => (a.location.key < b.location.key ? -1 : a.location.key > b.location.key ? 1 : a.location.offset - b.location.offset));
  const merged: { key: string; start: number; end: number; reads: { read: Read; location: Location }[] }[] = [];
  for (const item of sorted) {
    const { key, offset, size } = item.location;
    const last = merged.at(-1);
    const end = offset + size; // exclusive
    if (last !== undefined && last.key === key && offset - last.end <= gap && Math.max(end, last.end) - last.start <= max) {
      last.end = Math.max(last.end, end);
      last.reads.push(item);
    } else {
      merged.push({ key, start: offset, end, reads: [item] });
    }
  }
  return merged;
}

export class S3ChunkStore implements ChunkStore {
  private pending: PendingRead[] = [];
  private flushScheduled = false;
  private readonly spans = new SpanCache(SPAN_CACHE_BYTES);
  /** Locations looked up ahead for downloads (see prefetch), by owner and id, with when. */
  private readonly prefetched = new Map<string, { readonly location: Promise<Location | undefined>; readonly at: number }>();

  constructor(
    private readonly db: PostgresDatabase,
    private readonly s3: S3Client,
  ) {}

  async has(ownerId: string, id: ChunkId): Promise<boolean> {
    checkOwnerId(ownerId);
    checkChunkId(id);
    const { rowCount } = await this.db.query('SELECT 1 FROM chunk_locations WHERE owner_id = $1 AND chunk_id = $2', [ownerId, Buffer.from(id, 'hex')]);
    return (rowCount ?? 0) > 0;
  }

  async put(ownerId: string, chunks: readonly StoredChunk[], options: { readonly writeAll?: boolean } = {}): Promise<void> {
    checkOwnerId(ownerId);
    const fresh = new Map<ChunkId, StoredChunk>();
    for (const chunk of chunks) {
      checkChunkId(chunk.id);
      fresh.set(chunk.id, chunk);
    }
    // With writeAll every chunk goes into the pack, held or not, so the answer's time does not
    // tell a member what the owner stores; held ones keep their first location (below), and
    // their copies here are dead bytes that garbage collection reclaims.
    const located = await this.located(ownerId, [...fresh.keys()]);
    if (options.writeAll !== true) for (const id of located) fresh.delete(id);
    if (fresh.size === 0) return;

    const pack = encodePack([...fresh.values()]);
    const key = packKey(ownerId, randomBytes(16).toString('hex'));
    const { rows } = await this.db.query<{ id: number }>(
      "INSERT INTO packs (owner_id, key, bytes, state, created_at) VALUES ($1, $2, $3, 'pending', $4) RETURNING id",
      [ownerId, key, pack.bytes, Date.now()],
    );
    const packId = rows[0]!.id;
    try {
      const body = Buffer.concat(pack.buffers);
      if ((await this.s3.putNew(key, body)) === 'exists') {
        // Only a retry of this very PUT can have written this random key: check it is whole.
        const size = await this.s3.size(key);
        if (size !== pack.bytes) throw new Error(`pack ${key} exists with ${size} bytes instead of ${pack.bytes}: the bucket is not Cairn's alone`);
      }
    } catch (error) {
      // Best effort: garbage collection removes a pending row (and its object) anyway.
      await this.db.query("DELETE FROM packs WHERE id = $1 AND state = 'pending'", [packId]).catch(() => {});
      throw error;
    }
    const ids = pack.chunks.map((chunk) => chunk.id).sort();
    const byId = new Map(pack.chunks.map((chunk) => [chunk.id, chunk]));
    await this.db.transaction(async (client) => {
      const live = await client.query("UPDATE packs SET state = 'live' WHERE id = $1 AND state = 'pending'", [packId]);
      if (live.rowCount !== 1) throw new Error(`pack ${key} was removed while it was being written; upload the chunks again`);
      // A chunk another upload indexed meanwhile keeps its first location; this copy is then
      // dead bytes that repacking reclaims. Sorted ids: concurrent puts lock rows in one order.
      await client.query(
        `INSERT INTO chunk_locations (owner_id, chunk_id, pack_id, byte_offset, size)
         SELECT $1, chunk_id, $2, byte_offset, size FROM unnest($3::bytea[], $4::bigint[], $5::integer[]) AS input(chunk_id, byte_offset, size)
         ON CONFLICT (owner_id, chunk_id) DO NOTHING`,
        [ownerId, packId, ids.map((id) => Buffer.from(id, 'hex')), ids.map((id) => byId.get(id)!.offset), ids.map((id) => byId.get(id)!.size)],
      );
    });
  }

  get(ownerId: string, id: ChunkId): Promise<Uint8Array | null> {
    checkOwnerId(ownerId);
    checkChunkId(id);
    return new Promise((resolve, reject) => {
      this.pending.push({ ownerId, id, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => {
          this.flushScheduled = false;
          const reads = this.pending;
          this.pending = [];
          void this.readAll(reads);
        });
      }
    });
  }

  /**
   * Looks up where these chunks are in one query per 1,000, ahead of a download reading them
   * one by one. A location found ahead may be one a repack has since retired: the pack still
   * holds the bytes for a week (and readers verify them). Unused ones are dropped after a minute.
   */
  prefetch(ownerId: string, ids: readonly ChunkId[]): void {
    checkOwnerId(ownerId);
    const now = Date.now();
    for (const [key, entry] of this.prefetched) if (now - entry.at > PREFETCH_TTL_MS) this.prefetched.delete(key);
    for (let start = 0; start < ids.length; start += LOOKUP_BATCH) {
      const batch = ids.slice(start, start + LOOKUP_BATCH);
      batch.forEach(checkChunkId);
      const found = this.locate(ownerId, batch);
      // A failed lookup ahead is no error: the reads look their chunks up themselves.
      found.catch(() => {});
      for (const id of batch) this.prefetched.set(`${ownerId}/${id}`, { location: found.then((locations) => locations.get(id), () => undefined), at: now });
    }
  }

  async quarantine(ownerId: string, id: ChunkId, reason: string): Promise<void> {
    checkOwnerId(ownerId);
    checkChunkId(id);
    await this.db.transaction(async (client) => {
      const chunk = Buffer.from(id, 'hex');
      const { rows } = await client.query<{ key: string }>(
        'SELECT p.key FROM chunk_locations c JOIN packs p ON p.id = c.pack_id WHERE c.owner_id = $1 AND c.chunk_id = $2 FOR UPDATE OF c',
        [ownerId, chunk],
      );
      if (rows[0] === undefined) return;
      await client.query(
        'INSERT INTO damaged_chunks (owner_id, chunk_id, pack_key, reason, found_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
        [ownerId, chunk, rows[0].key, reason, Date.now()],
      );
      await client.query('DELETE FROM chunk_locations WHERE owner_id = $1 AND chunk_id = $2', [ownerId, chunk]);
    });
  }

  async *packs(): AsyncIterable<StoredPack> {
    const { rows: packs } = await this.db.query<{ id: number; owner_id: string; key: string; bytes: number }>(
      "SELECT id, owner_id, key, bytes FROM packs WHERE state = 'live' ORDER BY id",
    );
    for (const pack of packs) {
      const { rows } = await this.db.query<{ id: string; byte_offset: number; size: number }>(
        "SELECT encode(chunk_id, 'hex') AS id, byte_offset, size FROM chunk_locations WHERE pack_id = $1 ORDER BY byte_offset",
        [pack.id],
      );
      yield { ownerId: pack.owner_id, key: pack.key, bytes: pack.bytes, chunks: rows.map((row) => ({ id: row.id, offset: row.byte_offset, size: row.size })) };
    }
  }

  async readPack(pack: StoredPack): Promise<Uint8Array | null> {
    return this.s3.get(pack.key);
  }

  async close(): Promise<void> {
    await this.s3.close();
    await this.db.close();
  }

  /** The ids among these that the owner's store locates (also for `cairn-server migrate`). */
  async located(ownerId: string, ids: readonly ChunkId[]): Promise<Set<ChunkId>> {
    const found = new Set<ChunkId>();
    for (let start = 0; start < ids.length; start += LOOKUP_BATCH) {
      const { rows } = await this.db.query<{ id: string }>(
        "SELECT encode(chunk_id, 'hex') AS id FROM chunk_locations WHERE owner_id = $1 AND chunk_id = ANY($2::bytea[])",
        [ownerId, ids.slice(start, start + LOOKUP_BATCH).map((id) => Buffer.from(id, 'hex'))],
      );
      for (const row of rows) found.add(row.id);
    }
    return found;
  }

  private async locate(ownerId: string, ids: readonly ChunkId[]): Promise<Map<ChunkId, Location>> {
    const locations = new Map<ChunkId, Location>();
    for (let start = 0; start < ids.length; start += LOOKUP_BATCH) {
      const { rows } = await this.db.query<{ id: string; key: string; byte_offset: number; size: number; bytes: number }>(
        `SELECT encode(c.chunk_id, 'hex') AS id, p.key, c.byte_offset, c.size, p.bytes
         FROM chunk_locations c JOIN packs p ON p.id = c.pack_id
         WHERE c.owner_id = $1 AND c.chunk_id = ANY($2::bytea[])`,
        [ownerId, ids.slice(start, start + LOOKUP_BATCH).map((id) => Buffer.from(id, 'hex'))],
      );
      for (const row of rows) locations.set(row.id, { key: row.key, offset: row.byte_offset, size: row.size, packBytes: Number(row.bytes) });
    }
    return locations;
  }

  /** Serves a turn's gathered reads: one lookup per owner, one GET per merged run. */
  private async readAll(reads: readonly PendingRead[]): Promise<void> {
    const byOwner = new Map<string, PendingRead[]>();
    for (const read of reads) byOwner.set(read.ownerId, [...(byOwner.get(read.ownerId) ?? []), read]);
    await Promise.all(
      [...byOwner].map(async ([ownerId, ownerReads]) => {
        let locations: Map<ChunkId, Location>;
        try {
          locations = new Map();
          const unknown = new Set<ChunkId>();
          for (const read of ownerReads) {
            const ahead = this.prefetched.get(`${ownerId}/${read.id}`);
            this.prefetched.delete(`${ownerId}/${read.id}`);
            const location = ahead === undefined ? undefined : await ahead.location;
            if (location === undefined) unknown.add(read.id);
            else locations.set(read.id, location);
          }
          if (unknown.size > 0) for (const [id, location] of await this.locate(ownerId, [...unknown])) locations.set(id, location);
        } catch (error) {
          for (const read of ownerReads) read.reject(error);
          return;
        }
        const located: { read: PendingRead; location: Location }[] = [];
        const fromSpans: Promise<void>[] = [];
        for (const read of ownerReads) {
          const location = locations.get(read.id);
          if (location === undefined) {
            read.resolve(null);
            continue;
          }
          const span = this.spans.find(location.key, location.offset, location.offset + location.size);
          if (span === undefined) located.push({ read, location });
          else fromSpans.push(this.serve(span, [{ read, location }]));
        }
        await Promise.all([...fromSpans, ...mergeReads(located).map((run) => this.readRun(run))]);
      }),
    );
  }

  private readRun(run: MergedRead): Promise<void> {
    // Read on past the run, within the pack as indexed, for the chunks that usually follow.
    const packBytes = Math.max(...run.reads.map(({ location }) => location.packBytes));
    const end = Math.max(run.end, Math.min(packBytes, run.start + READ_SPAN_BYTES));
    const span: Span = { key: run.key, start: run.start, end, bytes: this.s3.get(run.key, { start: run.start, end: end - 1 }) };
    this.spans.add(span);
    // A failed, missing or short read is not kept: the next read asks the store again.
    span.bytes.then(
      (bytes) => {
        if (bytes === null || bytes.length < end - run.start) this.spans.remove(span);
      },
      () => this.spans.remove(span),
    );
    return this.serve(span, run.reads);
  }

  /** Answers reads from a span's bytes: the index says they exist, so missing or short bytes are damage. */
  private async serve(span: Span, reads: readonly { readonly read: PendingRead; readonly location: Location }[]): Promise<void> {
    try {
      const bytes = await span.bytes;
      if (bytes === null) {
        for (const { read } of reads) read.reject(new DamagedChunkError(read.id, `pack ${span.key} of chunk ${read.id} is missing from the bucket: the chunk store is damaged`));
        return;
      }
      for (const { read, location } of reads) {
        const from = location.offset - span.start;
        if (from + location.size > bytes.length) {
          read.reject(new DamagedChunkError(read.id, `pack ${span.key} ends inside chunk ${read.id}: the chunk store is damaged`));
          continue;
        }
        // A copy, so one chunk does not keep the whole span alive.
        read.resolve(new Uint8Array(bytes.subarray(from, from + location.size)));
      }
    } catch (error) {
      for (const { read } of reads) read.reject(error);
    }
  }
}
