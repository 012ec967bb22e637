// Garbage collection of the scale-out backend: chunks no version names, packs no location names,
// and uploads that never finished. Retention keeps every version today, so what it reclaims is
// what uploads left behind (chunks uploaded but never committed, the second copy of a chunk two
// clients uploaded at once, packs of killed uploads) and the dead bytes inside packs.
//
// Phases, each safe against commits and uploads running at the same time:
//
// Grace periods are measured from `now`; what the collector writes carries the real time.
//
//   1. Unlink: per library, holding the library's commit lock (the row lock every commit takes
//      first), remove links that no commit referenced and that are older than `linkGraceMs`.
//      A commit before this set `referenced`; a commit after it answers missing-chunks and the
//      client uploads again.
//   2. Sweep: per owner, holding the commit locks of all the owner's libraries, remove the
//      locations of chunks none of those libraries links, in packs older than `linkGraceMs`.
//      An upload whose location is swept between its duplicate check and its link leaves a
//      link without bytes; the commit-time re-check (a commit counts a chunk present only if it
//      is located, see postgresMetadataStore.ts) answers missing-chunks, and the client uploads
//      again. So no version ever names a chunk without bytes, whatever the timing.
//   3. Repack: a live pack whose located bytes are under half its size is copied (its live
//      chunks, verified) into a new pack in the usual order (pending row, object, then live with
//      the locations moved in one transaction); the old pack is retired.
//   4. Retire: live packs that locate no chunk become retired.
//   5. Delete: packs retired longer than `packGraceMs` are deleted from the bucket, then their rows.
//      Readers that looked a chunk up before it moved still find the old object meanwhile, and a
//      database restored from a backup within that time still finds its objects.
//   6. Pending: intents older than `pendingGraceMs` (uploads that died) lose their row, then their
//      object (absent is fine).
//
// One collection runs at a time (an advisory lock); `cairn-server gc` runs one.

import { randomBytes } from 'node:crypto';
import type { ChunkId } from '../../shared/model.js';
import { chunkIdOf } from '../../shared/node/contentHash.js';
import { encodePack } from './packFormat.js';
import { packKey } from './s3/s3ChunkStore.js';
import type { S3Client } from './s3/s3Client.js';
import type { PostgresDatabase } from './postgres/postgresDatabase.js';

export interface GarbageCollectionOptions {
  /** Uploaded chunks no commit referenced are unlinked after this (default 24 h). */
  readonly linkGraceMs: number;
  /** Retired packs are deleted after this (default 7 days; at least the database's point-in-time-recovery window). */
  readonly packGraceMs: number;
  /** Unfinished uploads are removed after this (default 24 h; far above the 5 min request limit). */
  readonly pendingGraceMs: number;
  /** A pack with less than this share of its bytes still located is repacked (default 0.5). */
  readonly repackBelow: number;
  /** The time to measure the grace periods from (tests move it). */
  readonly now: number;
}

export const DEFAULT_GC_OPTIONS: Omit<GarbageCollectionOptions, 'now'> = {
  linkGraceMs: 24 * 60 * 60 * 1000,
  packGraceMs: 7 * 24 * 60 * 60 * 1000,
  pendingGraceMs: 24 * 60 * 60 * 1000,
  repackBelow: 0.5,
};

export interface GarbageCollectionReport {
  readonly unlinked: number;
  readonly swept: number;
  readonly repacked: number;
  readonly retired: number;
  readonly deletedPacks: number;
  readonly deletedPending: number;
  readonly freedBytes: number;
}

/** Any constant; identifies the collector's advisory lock. */
const GC_LOCK = 0x63616967; // "caig"

const hexToBytes = (id: ChunkId) => Buffer.from(id, 'hex');

export class GarbageCollectionBusyError extends Error {
  override readonly name = 'GarbageCollectionBusyError';
}

export async function collectGarbage(db: PostgresDatabase, s3: S3Client, options: GarbageCollectionOptions): Promise<GarbageCollectionReport> {
  const lock = await db.pool.connect();
  try {
    const { rows } = await lock.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [GC_LOCK]);
    if (rows[0]?.locked !== true) throw new GarbageCollectionBusyError('another garbage collection is running; try again when it has finished');
    try {
      return await collect(db, s3, options);
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1)', [GC_LOCK]);
    }
  } finally {
    lock.release();
  }
}

async function collect(db: PostgresDatabase, s3: S3Client, options: GarbageCollectionOptions): Promise<GarbageCollectionReport> {
  const linkCutoff = options.now - options.linkGraceMs;
  let unlinked = 0;
  let swept = 0;

  // 1. Unlink, library by library, under each library's commit lock.
  const { rows: libraries } = await db.query<{ id: string }>('SELECT id FROM libraries ORDER BY id');
  for (const library of libraries) {
    unlinked += await db.transaction(async (client) => {
      await client.query('SELECT 1 FROM libraries WHERE id = $1 FOR UPDATE', [library.id]);
      const deleted = await client.query('DELETE FROM library_chunks WHERE library_id = $1 AND NOT referenced AND linked_at < $2', [library.id, linkCutoff]);
      return deleted.rowCount ?? 0;
    });
  }

  // 2. Sweep, owner by owner, under the commit locks of all the owner's libraries.
  const { rows: owners } = await db.query<{ owner_id: string }>('SELECT DISTINCT owner_id FROM chunk_locations ORDER BY owner_id');
  for (const { owner_id: ownerId } of owners) {
    swept += await db.transaction(async (client) => {
      // In id order, like every other holder of several library locks: no deadlock.
      await client.query('SELECT 1 FROM libraries WHERE owner_id = $1 ORDER BY id FOR UPDATE', [ownerId]);
      const deleted = await client.query(
        `DELETE FROM chunk_locations c
         USING packs p
         WHERE c.owner_id = $1 AND p.id = c.pack_id AND p.created_at < $2
           AND NOT EXISTS (
             SELECT 1 FROM library_chunks lc JOIN libraries l ON l.id = lc.library_id
             WHERE l.owner_id = $1 AND lc.chunk_id = c.chunk_id)`,
        [ownerId, linkCutoff],
      );
      return deleted.rowCount ?? 0;
    });
  }

  // 3. Repack mostly dead packs.
  const { rows: sparse } = await db.query<{ id: number; owner_id: string; key: string; bytes: number }>(
    `SELECT p.id, p.owner_id, p.key, p.bytes FROM packs p
     WHERE p.state = 'live' AND p.created_at < $1
       AND (SELECT COALESCE(sum(c.size), 0) FROM chunk_locations c WHERE c.pack_id = p.id) BETWEEN 1 AND p.bytes * $2::double precision
     ORDER BY p.id`,
    [linkCutoff, options.repackBelow],
  );
  let repacked = 0;
  for (const pack of sparse) if (await repack(db, s3, pack)) repacked += 1;

  // 4. Retire packs that locate nothing (repacked ones were retired with their move).
  const retired = await db.query(
    `UPDATE packs p SET state = 'retired', retired_at = $2
     WHERE p.state = 'live' AND p.created_at < $1 AND NOT EXISTS (SELECT 1 FROM chunk_locations c WHERE c.pack_id = p.id)`,
    [linkCutoff, Date.now()],
  );

  // 5. Delete packs retired long enough: the object first, then the row (a row without its
  //    object would be damage; an object without a row is only an orphan).
  const { rows: expired } = await db.query<{ id: number; key: string; bytes: number }>(
    "SELECT id, key, bytes FROM packs WHERE state = 'retired' AND retired_at < $1 AND NOT EXISTS (SELECT 1 FROM chunk_locations c WHERE c.pack_id = packs.id) ORDER BY id",
    [options.now - options.packGraceMs],
  );
  await s3.deleteMany(expired.map((pack) => pack.key));
  if (expired.length > 0) await db.query('DELETE FROM packs WHERE id = ANY($1::bigint[])', [expired.map((pack) => pack.id)]);

  // 6. Unfinished uploads: the row first (so the upload, if it still runs, fails instead of
  //    indexing), then the object.
  const { rows: pending } = await db.query<{ key: string }>("DELETE FROM packs WHERE state = 'pending' AND created_at < $1 RETURNING key", [
    options.now - options.pendingGraceMs,
  ]);
  await s3.deleteMany(pending.map((pack) => pack.key));

  return {
    unlinked,
    swept,
    repacked,
    retired: retired.rowCount ?? 0,
    deletedPacks: expired.length,
    deletedPending: pending.length,
    freedBytes: expired.reduce((sum, pack) => sum + pack.bytes, 0),
  };
}

/**
 * Copies the located chunks of a pack into a new pack and moves their locations, retiring the
 * old pack. Chunks whose bytes do not verify stay where they are (fsck reports them). Returns
 * false if nothing moved.
 */
async function repack(db: PostgresDatabase, s3: S3Client, pack: { id: number; owner_id: string; key: string; bytes: number }): Promise<boolean> {
  // Written times are real; only the cutoffs follow options.now.
  const now = Date.now();
  const bytes = await s3.get(pack.key);
  if (bytes === null) return false;
  const { rows: located } = await db.query<{ id: string; byte_offset: number; size: number }>(
    "SELECT encode(chunk_id, 'hex') AS id, byte_offset, size FROM chunk_locations WHERE pack_id = $1 ORDER BY byte_offset",
    [pack.id],
  );
  const chunks = located
    .filter((chunk) => chunk.byte_offset + chunk.size <= bytes.length)
    .map((chunk) => ({ id: chunk.id, bytes: bytes.subarray(chunk.byte_offset, chunk.byte_offset + chunk.size) }))
    .filter((chunk) => chunkIdOf(chunk.bytes) === chunk.id);
  if (chunks.length === 0) return false;
  const encoded = encodePack(chunks);
  const key = packKey(pack.owner_id, randomBytes(16).toString('hex'));
  const { rows } = await db.query<{ id: number }>("INSERT INTO packs (owner_id, key, bytes, state, created_at) VALUES ($1, $2, $3, 'pending', $4) RETURNING id", [
    pack.owner_id,
    key,
    encoded.bytes,
    now,
  ]);
  const newId = rows[0]!.id;
  await s3.putNew(key, Buffer.concat(encoded.buffers));
  await db.transaction(async (client) => {
    await client.query("UPDATE packs SET state = 'live' WHERE id = $1", [newId]);
    for (const chunk of encoded.chunks) {
      // Only locations still in the old pack move; one swept meanwhile stays swept.
      await client.query('UPDATE chunk_locations SET pack_id = $1, byte_offset = $2 WHERE owner_id = $3 AND chunk_id = $4 AND pack_id = $5', [
        newId,
        chunk.offset,
        pack.owner_id,
        hexToBytes(chunk.id),
        pack.id,
      ]);
    }
    await client.query("UPDATE packs SET state = 'retired', retired_at = $2 WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM chunk_locations c WHERE c.pack_id = $1)", [
      pack.id,
      now,
    ]);
  });
  return true;
}
