// The pack index of the embedded chunk store: which pack file holds each of an owner's chunks,
// and where in it. One SQLite file in WAL mode; the only module that touches that file.
// better-sqlite3 is synchronous, so each write runs to completion without yielding and a pack is
// indexed in one transaction; the write then resolves only once its commit is durable (survives
// a power cut), made so by an fsync of the log off the event loop that concurrent writes share
// (synchronous=NORMAL plus WalSync, see walSync.ts: as durable as FULL).

import Database from 'better-sqlite3';
import { prepareOwnerOnlyDatabase } from '../ownerOnlyFiles.js';
import type { ChunkId } from '../../shared/model.js';
import { CHUNK_INDEX_MIGRATIONS, migrate } from './sqliteMigrations.js';
import { WalSync } from './walSync.js';

/** Where a chunk's bytes are: `size` bytes at `offset` in the pack file called `packName`. */
export interface ChunkLocation {
  readonly packName: string;
  readonly offset: number;
  readonly size: number;
}

/** A new pack and the chunks it holds. */
export interface NewPack {
  readonly ownerId: string;
  readonly name: string;
  readonly bytes: number;
  readonly createdAt: number;
  readonly chunks: readonly { readonly id: ChunkId; readonly offset: number; readonly size: number }[];
}

interface LocationRow {
  name: string;
  byte_offset: number;
  size: number;
}

export class ChunkIndex {
  private readonly db: Database.Database;
  private readonly locateStatement: Database.Statement;
  private readonly hasStatement: Database.Statement;
  private readonly addPackTransaction: Database.Transaction<(pack: NewPack) => number>;
  /** Makes the commits durable; every write awaits it before it resolves. */
  readonly durable: WalSync;

  constructor(file: string) {
    prepareOwnerOnlyDatabase(file);
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db, CHUNK_INDEX_MIGRATIONS);
    // An upload is acknowledged after its pack is indexed, so the index must not lose a
    // committed pack in a power cut: each write awaits an fsync of the log (this.durable)
    // instead of making one on the event loop inside the commit.
    this.db.pragma('synchronous = NORMAL');
    this.durable = new WalSync(file);
    this.locateStatement = this.db.prepare(
      'SELECT p.name, c.byte_offset, c.size FROM chunk_locations c JOIN packs p ON p.id = c.pack_id WHERE c.owner_id = ? AND c.chunk_id = ?',
    );
    this.hasStatement = this.db.prepare('SELECT 1 FROM chunk_locations WHERE owner_id = ? AND chunk_id = ?').pluck();
    const insertPack = this.db.prepare('INSERT INTO packs (owner_id, name, bytes, created_at) VALUES (?, ?, ?, ?)');
    // A chunk indexed already (another upload of it won the race) keeps its first location;
    // this pack's copy is then dead bytes that a future pack compaction reclaims.
    const insertLocation = this.db.prepare(
      'INSERT OR IGNORE INTO chunk_locations (owner_id, chunk_id, pack_id, byte_offset, size) VALUES (?, ?, ?, ?, ?)',
    );
    this.addPackTransaction = this.db.transaction((pack: NewPack): number => {
      const packId = insertPack.run(pack.ownerId, pack.name, pack.bytes, pack.createdAt).lastInsertRowid;
      let added = 0;
      for (const chunk of pack.chunks) {
        added += insertLocation.run(pack.ownerId, Buffer.from(chunk.id, 'hex'), packId, chunk.offset, chunk.size).changes;
      }
      return added;
    });
  }

  locate(ownerId: string, id: ChunkId): ChunkLocation | null {
    const row = this.locateStatement.get(ownerId, Buffer.from(id, 'hex')) as LocationRow | undefined;
    return row === undefined ? null : { packName: row.name, offset: row.byte_offset, size: row.size };
  }

  /**
   * Removes a chunk's location and records the copy as damaged, in one durable transaction.
   * Resolves with the pack it was in, or null if the index did not locate it.
   */
  async quarantine(ownerId: string, id: ChunkId, reason: string, at: number): Promise<string | null> {
    const pack = this.db.transaction(() => {
      const location = this.locate(ownerId, id);
      if (location === null) return null;
      const chunk = Buffer.from(id, 'hex');
      this.db
        .prepare('INSERT OR IGNORE INTO damaged_chunks (owner_id, chunk_id, pack_name, reason, found_at) VALUES (?, ?, ?, ?, ?)')
        .run(ownerId, chunk, location.packName, reason, at);
      this.db.prepare('DELETE FROM chunk_locations WHERE owner_id = ? AND chunk_id = ?').run(ownerId, chunk);
      return location.packName;
    }).immediate();
    this.durable.committed();
    await this.durable.sync();
    return pack;
  }

  /** Every pack with the chunks the index locates in it, pack by pack. */
  *packs(): Generator<{ ownerId: string; name: string; bytes: number; chunks: { id: ChunkId; offset: number; size: number }[] }> {
    const packs = this.db.prepare('SELECT id, owner_id, name, bytes FROM packs ORDER BY id').all() as { id: number; owner_id: string; name: string; bytes: number }[];
    const chunks = this.db.prepare('SELECT lower(hex(chunk_id)) AS id, byte_offset, size FROM chunk_locations WHERE pack_id = ? ORDER BY byte_offset');
    for (const pack of packs) {
      const located = (chunks.all(pack.id) as { id: string; byte_offset: number; size: number }[]).map((row) => ({ id: row.id, offset: row.byte_offset, size: row.size }));
      yield { ownerId: pack.owner_id, name: pack.name, bytes: pack.bytes, chunks: located };
    }
  }

  has(ownerId: string, id: ChunkId): boolean {
    return this.hasStatement.get(ownerId, Buffer.from(id, 'hex')) !== undefined;
  }

  /**
   * Records a pack that is durable on disk, and where each of its chunks is, in one
   * transaction; resolves once it is durable, with how many of its chunks were not indexed
   * before. Readers on this thread see the pack from the commit on (has, locate): a crash
   * before the fsync can only lose chunks nobody was told are stored.
   */
  async addPack(pack: NewPack): Promise<number> {
    const added = this.addPackTransaction.immediate(pack);
    this.durable.committed();
    await this.durable.sync();
    return added;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
