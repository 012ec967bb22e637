// cairn-server migrate: moves an embedded server's data folder (SQLite + pack files) to the
// scale-out backend (PostgreSQL + S3). The embedded server must be stopped; the folder is only
// read (its schema is brought up to date first, as the server itself would).
//
//   1. Metadata: every row of every table is copied in one PostgreSQL transaction (users and
//      their password hashes, devices' tokens, libraries with their feed counters, members,
//      every version and head), ids, revs and times unchanged, so clients keep their tokens and
//      their indexes and neither upload nor download anything afterwards. The same transaction
//      records the source and a digest of what it copied; the target must hold no user before.
//   2. Chunks: every chunk a library links or a version names is read from its pack (one read
//      per pack) or loose file, hashed against its id, and written into new ~16 MiB packs in the
//      bucket through the S3 chunk store (pack durable before its index rows). Dead bytes and
//      chunks no library needs stay behind. A chunk whose source copy is damaged or absent is
//      not copied: it is marked damaged, so libraries report it missing and the next client
//      that has it uploads it again.
//   3. Verification: fsck reads every pack in the bucket back and hashes every chunk, and checks
//      that every chunk a library needs is located; then the migration is marked complete.
//      Until then a server refuses to serve from the target.
//
// Interrupted at any point (kill -9 included), it resumes: the metadata is copied whole or not
// at all, chunks already located in the target are skipped, and a source that changed since
// the metadata was copied is refused instead of being half-merged.

import { createHash } from 'node:crypto';
import type { ChunkId } from '../../shared/model.js';
import { chunkIdOf } from '../../shared/node/contentHash.js';
import { DamagedChunkError } from '../storage/chunkStore.js';
import type { ChunkStore, StoredChunk } from '../storage/chunkStore.js';
import type { TableRows } from '../storage/metadataStore.js';
import type { PostgresMetadataStore } from '../storage/postgres/postgresMetadataStore.js';
import type { S3ChunkStore } from '../storage/s3/s3ChunkStore.js';
import type { SqliteMetadataStore } from '../storage/sqliteMetadataStore.js';
import type { Stores } from '../storage/stores.js';
import { checkPackBytes, fsck } from './fsck.js';
import type { FsckProblem, FsckProblemKind } from './fsck.js';

/** fsck findings that mean a chunk was not copied intact. */
const CHUNK_PROBLEMS: ReadonlySet<FsckProblemKind> = new Set(['damaged-chunk', 'absent-chunk', 'pack-length']);

/** New packs in the bucket are about this large (the size the object store handles best). */
export const MIGRATION_PACK_BYTES = 16 * 1024 * 1024;
/** At most this many chunk bytes wait in memory for their pack, over all owners. */
const BUFFERED_BYTES_LIMIT = 4 * MIGRATION_PACK_BYTES;

export interface MigrationSource {
  /** Identifies the source across runs (its data folder's real path). */
  readonly name: string;
  readonly metadata: SqliteMetadataStore;
  readonly chunks: ChunkStore;
}

export interface MigrationTarget {
  readonly metadata: PostgresMetadataStore;
  readonly chunks: S3ChunkStore;
  /** The target as a whole, for the final fsck. */
  readonly stores: Stores;
}

export interface MigrationReport {
  /** False when an earlier run copied the metadata already (a resumed migration). */
  readonly metadataCopied: boolean;
  /** Rows copied per table (empty when resumed). */
  readonly rows: Readonly<Record<string, number>>;
  /** Chunks needed by some library of their owner. */
  readonly chunksNeeded: number;
  readonly chunksCopied: number;
  readonly bytesCopied: number;
  /** Chunks an earlier, interrupted run copied already. */
  readonly chunksSkipped: number;
  readonly packsWritten: number;
  /** Chunks whose source copy was damaged or absent: marked for a client to upload again. */
  readonly damaged: readonly { readonly ownerId: string; readonly id: ChunkId; readonly reason: string }[];
  /** Chunk problems the final fsck of the target found: the migration is not complete. */
  readonly problems: readonly FsckProblem[];
  /** Problems of the source's metadata, copied as they were (fsck of the source finds them too). */
  readonly inherited: readonly FsckProblem[];
  /** Every chunk copied and verified: servers may serve from the target. */
  readonly completed: boolean;
  readonly verifiedPacks: number;
  readonly verifiedChunks: number;
}

export class MigrationRefusedError extends Error {
  override readonly name = 'MigrationRefusedError';
}

export interface MigrationOptions {
  /** Progress lines for the operator. */
  readonly progress?: (line: string) => void;
  readonly packBytes?: number;
}

/** A digest of the rows, independent of batching; tokens' last use is left out (it changes with every request). */
function digestRows(hash: ReturnType<typeof createHash>, { table, rows }: TableRows): void {
  for (const row of rows) {
    const fields = Object.entries(row)
      .filter(([name]) => !(table === 'tokens' && name === 'last_used_at'))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, value]) => [name, Buffer.isBuffer(value) ? value.toString('hex') : value]);
    hash.update(JSON.stringify([table, fields]));
    hash.update('\n');
  }
}

/** The source's rows with a running digest of them. */
function* digested(source: SqliteMetadataStore, hash: ReturnType<typeof createHash>): Generator<TableRows> {
  for (const tables of source.dump()) {
    digestRows(hash, tables);
    yield tables;
  }
}

function sourceDigest(source: SqliteMetadataStore): string {
  const hash = createHash('sha256');
  for (const tables of source.dump()) digestRows(hash, tables);
  return hash.digest('hex');
}

export async function migrateEmbedded(source: MigrationSource, target: MigrationTarget, options: MigrationOptions = {}): Promise<MigrationReport> {
  const progress = options.progress ?? (() => {});
  const packBytes = options.packBytes ?? MIGRATION_PACK_BYTES;

  // 1. Metadata.
  const state = await target.metadata.migrationFrom(source.name);
  let rows: Record<string, number> = {};
  if (state === null) {
    if (!(await target.metadata.isEmpty()) || (await target.metadata.unfinishedMigrations()).length > 0) {
      throw new MigrationRefusedError('the target database already holds users: migrate into an empty database (or schema)');
    }
    const hash = createHash('sha256');
    rows = await target.metadata.restore(source.name, digested(source.metadata, hash), () => hash.digest('hex'));
    progress(`copied the metadata: ${Object.entries(rows).map(([table, count]) => `${count} ${table}`).join(', ')}`);
  } else {
    if (state.digest !== sourceDigest(source.metadata)) {
      throw new MigrationRefusedError(
        `${source.name} changed since its metadata was copied (was an embedded server running on it?): stop that server, empty the target and migrate again`,
      );
    }
    progress(state.completed ? 'the metadata was copied by an earlier run, which completed; checking again' : 'resuming: the metadata was copied by an earlier run');
  }

  // 2. Chunks: what each owner's libraries need, minus what the target holds already.
  const needed = new Map<string, Set<ChunkId>>();
  for await (const library of source.metadata.audit()) {
    const ids = needed.get(library.ownerId) ?? new Set<ChunkId>();
    needed.set(library.ownerId, ids);
    for (const id of [...library.linked, ...library.referenced]) ids.add(id);
  }
  let chunksNeeded = 0;
  let chunksSkipped = 0;
  for (const [ownerId, ids] of needed) {
    chunksNeeded += ids.size;
    for (const id of await target.chunks.located(ownerId, [...ids])) {
      ids.delete(id);
      chunksSkipped += 1;
    }
  }
  if (chunksSkipped > 0) progress(`${chunksSkipped} of ${chunksNeeded} chunks were copied by an earlier run`);

  let chunksCopied = 0;
  let bytesCopied = 0;
  let packsWritten = 0;
  const buffered = new Map<string, { chunks: StoredChunk[]; bytes: number }>();
  let bufferedBytes = 0;
  const damaged: { ownerId: string; id: ChunkId; reason: string }[] = [];

  async function flush(ownerId: string): Promise<void> {
    const batch = buffered.get(ownerId);
    if (batch === undefined || batch.chunks.length === 0) return;
    buffered.delete(ownerId);
    bufferedBytes -= batch.bytes;
    await target.chunks.put(ownerId, batch.chunks);
    chunksCopied += batch.chunks.length;
    bytesCopied += batch.bytes;
    packsWritten += 1;
    if (packsWritten % 16 === 0) progress(`copied ${chunksCopied} chunks (${bytesCopied} bytes) in ${packsWritten} packs`);
  }

  async function add(ownerId: string, chunk: StoredChunk): Promise<void> {
    const batch = buffered.get(ownerId) ?? { chunks: [], bytes: 0 };
    buffered.set(ownerId, batch);
    // A copy: the chunk must not keep the whole source pack in memory while it waits.
    batch.chunks.push({ id: chunk.id, bytes: Buffer.from(chunk.bytes) });
    batch.bytes += chunk.bytes.length;
    bufferedBytes += chunk.bytes.length;
    if (batch.bytes >= packBytes) await flush(ownerId);
    if (bufferedBytes > BUFFERED_BYTES_LIMIT) for (const owner of [...buffered.keys()]) await flush(owner);
  }

  // Packed chunks, one read of each pack that holds any.
  for await (const pack of source.chunks.packs()) {
    const wanted = needed.get(pack.ownerId);
    const inPack = pack.chunks.filter((chunk) => wanted?.has(chunk.id) === true);
    if (inPack.length === 0) continue;
    const bytes = await source.chunks.readPack(pack);
    const bad = new Map(
      (bytes === null ? inPack.map((chunk) => ({ id: chunk.id, reason: `pack ${pack.key} is missing` })) : checkPackBytes({ ...pack, chunks: inPack }, bytes)).map((item) => [item.id, item.reason]),
    );
    for (const chunk of inPack) {
      wanted!.delete(chunk.id);
      const reason = bad.get(chunk.id);
      if (reason !== undefined) damaged.push({ ownerId: pack.ownerId, id: chunk.id, reason });
      else await add(pack.ownerId, { id: chunk.id, bytes: bytes!.subarray(chunk.offset, chunk.offset + chunk.size) });
    }
  }
  // What no pack holds: loose chunks of data folders from before packs, or absent ones.
  for (const [ownerId, ids] of needed) {
    for (const id of ids) {
      let bytes: Uint8Array | null;
      try {
        bytes = await source.chunks.get(ownerId, id);
      } catch (error) {
        if (!(error instanceof DamagedChunkError)) throw error;
        damaged.push({ ownerId, id, reason: error.message });
        continue;
      }
      if (bytes === null) damaged.push({ ownerId, id, reason: 'absent from the embedded chunk store' });
      else if (chunkIdOf(bytes) !== id) damaged.push({ ownerId, id, reason: `the loose copy of chunk ${id} does not hash to its id` });
      else await add(ownerId, { id, bytes });
    }
  }
  for (const ownerId of [...buffered.keys()]) await flush(ownerId);
  progress(`copied ${chunksCopied} chunks (${bytesCopied} bytes) in ${packsWritten} packs`);

  const damagedByOwner = new Map<string, ChunkId[]>();
  for (const item of damaged) damagedByOwner.set(item.ownerId, [...(damagedByOwner.get(item.ownerId) ?? []), item.id]);
  for (const [ownerId, ids] of damagedByOwner) await target.metadata.chunks.markDamaged(ownerId, ids);
  if (damaged.length > 0) progress(`${damaged.length} chunk(s) were damaged or absent in ${source.name}: marked missing, so clients that have them upload them again`);

  // 3. Every pack read back and hashed, every needed chunk located.
  const check = await fsck(target.stores, { repair: false });
  // Problems of the copied chunks block completion; the metadata's own (a feed counter or an
  // unlinked chunk the source had already) are copied faithfully and reported.
  const problems = check.problems.filter((problem) => CHUNK_PROBLEMS.has(problem.kind));
  const inherited = check.problems.filter((problem) => problem.kind !== 'awaiting-upload' && !CHUNK_PROBLEMS.has(problem.kind));
  progress(`verified ${check.packs} packs (${check.chunks} chunks, ${check.bytes} bytes) and ${check.libraries} libraries: ${problems.length} problem(s)`);
  const completed = problems.length === 0;
  if (completed) await target.metadata.completeMigration(source.name);

  return {
    metadataCopied: state === null,
    rows,
    chunksNeeded,
    chunksCopied,
    bytesCopied,
    chunksSkipped,
    packsWritten,
    damaged,
    problems,
    inherited,
    completed,
    verifiedPacks: check.packs,
    verifiedChunks: check.chunks,
  };
}
