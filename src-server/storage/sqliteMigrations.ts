// Schema migrations of the SQLite databases: the metadata store (MIGRATIONS) and the chunk
// store's pack index (CHUNK_INDEX_MIGRATIONS). Migrations only ever append: a released
// migration is never edited, and each one has its own test (test/server/sqliteMigrations.test.ts).

import type Database from 'better-sqlite3';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        admin INTEGER NOT NULL CHECK (admin IN (0, 1)),
        password_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        removed_at INTEGER
      );

      CREATE TABLE tokens (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id),
        token_hash BLOB NOT NULL UNIQUE,
        device_name TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER NOT NULL
      );
      CREATE INDEX tokens_by_user ON tokens(user_id);

      CREATE TABLE libraries (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        owner_id TEXT NOT NULL REFERENCES users(id),
        chunking TEXT NOT NULL,
        head_seq INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        deleted_at INTEGER
      );
      CREATE UNIQUE INDEX libraries_live_name ON libraries(owner_id, name) WHERE deleted_at IS NULL;

      CREATE TABLE members (
        library_id TEXT NOT NULL REFERENCES libraries(id),
        user_id TEXT NOT NULL REFERENCES users(id),
        role TEXT NOT NULL CHECK (role IN ('rw', 'ro')),
        PRIMARY KEY (library_id, user_id)
      ) WITHOUT ROWID;
      CREATE INDEX members_by_user ON members(user_id);

      -- A chunk is present for a library once uploaded to it or referenced by it.
      CREATE TABLE library_chunks (
        library_id TEXT NOT NULL REFERENCES libraries(id),
        chunk_id BLOB NOT NULL,
        size INTEGER NOT NULL,
        PRIMARY KEY (library_id, chunk_id)
      ) WITHOUT ROWID;

      -- Every version of every path. rev is the library sequence number of the change that
      -- produced it; commit_start is the first rev of the same commit.
      CREATE TABLE versions (
        library_id TEXT NOT NULL REFERENCES libraries(id),
        rev INTEGER NOT NULL,
        path TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('file', 'dir')),
        deleted INTEGER NOT NULL CHECK (deleted IN (0, 1)),
        size INTEGER NOT NULL,
        mtime_ms REAL NOT NULL,
        executable INTEGER NOT NULL CHECK (executable IN (0, 1)),
        content_hash TEXT NOT NULL,
        chunks BLOB NOT NULL,
        moved_from TEXT,
        moved_to TEXT,
        device TEXT NOT NULL,
        user_name TEXT NOT NULL,
        committed_at INTEGER NOT NULL,
        commit_start INTEGER NOT NULL,
        PRIMARY KEY (library_id, rev)
      );
      CREATE INDEX versions_by_path ON versions(library_id, path, rev);

      -- The latest version of every path that ever existed.
      CREATE TABLE heads (
        library_id TEXT NOT NULL,
        path TEXT NOT NULL,
        rev INTEGER NOT NULL,
        deleted INTEGER NOT NULL CHECK (deleted IN (0, 1)),
        PRIMARY KEY (library_id, path)
      ) WITHOUT ROWID;
      CREATE INDEX heads_by_rev ON heads(library_id, rev);
    `,
  },
  {
    version: 2,
    name: 'conflicts as library state',
    sql: `
      CREATE TABLE library_conflicts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        library_id TEXT NOT NULL REFERENCES libraries(id),
        path TEXT NOT NULL,
        conflict_path TEXT NOT NULL,
        remote_rev INTEGER,
        base_rev INTEGER,
        device TEXT NOT NULL,
        user_name TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        resolved_at INTEGER,
        resolved_by TEXT,
        resolution TEXT,
        UNIQUE (library_id, path, conflict_path)
      );
      CREATE INDEX library_conflicts_open ON library_conflicts(library_id, resolved_at);
    `,
  },
  {
    version: 3,
    name: 'damaged chunks',
    sql: `
      -- 1 when the stored bytes failed verification: the chunk counts as missing for the
      -- library until a client uploads it again (the upload sets it back to 0).
      ALTER TABLE library_chunks ADD COLUMN damaged INTEGER NOT NULL DEFAULT 0 CHECK (damaged IN (0, 1));
    `,
  },
  {
    version: 4,
    name: 'damaged chunks index',
    sql: `
      -- The few damaged chunks of a library, read with every last page of its feed.
      CREATE INDEX library_chunks_damaged ON library_chunks(library_id) WHERE damaged = 1;
    `,
  },
  {
    version: 5,
    name: 'storage quotas',
    sql: `
      -- The most bytes a user's libraries may hold (NULL: no limit), and each library's share:
      -- the sizes of its current files, kept by every commit in its transaction.
      ALTER TABLE users ADD COLUMN quota_bytes INTEGER;
      ALTER TABLE libraries ADD COLUMN live_bytes INTEGER NOT NULL DEFAULT 0;
      UPDATE libraries SET live_bytes = (
        SELECT COALESCE(SUM(v.size), 0) FROM heads h JOIN versions v ON v.library_id = h.library_id AND v.rev = h.rev
        WHERE h.library_id = libraries.id AND h.deleted = 0 AND v.kind = 'file');
    `,
  },
];

/** The pack index of the embedded chunk store (see fs-chunkStore.ts and chunkIndex.ts). */
export const CHUNK_INDEX_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'pack index',
    sql: `
      -- One row per pack file: <chunks>/<owner_id>/packs/<first two characters of name>/<name>.pack.
      -- A pack is written whole, fsynced and renamed into place before its row is committed,
      -- so every row names a complete pack. A pack without a row is the leftover of a crash
      -- between the rename and the commit: its chunks were never acknowledged.
      CREATE TABLE packs (
        id INTEGER PRIMARY KEY,
        owner_id TEXT NOT NULL,
        name TEXT NOT NULL UNIQUE,
        bytes INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX packs_by_owner ON packs(owner_id);

      -- Where each of an owner's chunks lives: its bytes are the size bytes at byte_offset in the pack.
      CREATE TABLE chunk_locations (
        owner_id TEXT NOT NULL,
        chunk_id BLOB NOT NULL,
        pack_id INTEGER NOT NULL REFERENCES packs(id),
        byte_offset INTEGER NOT NULL,
        size INTEGER NOT NULL,
        PRIMARY KEY (owner_id, chunk_id)
      ) WITHOUT ROWID;
      CREATE INDEX chunk_locations_by_pack ON chunk_locations(pack_id);
    `,
  },
  {
    version: 2,
    name: 'damaged chunks',
    sql: `
      -- Chunks whose stored copy failed verification. Their location is removed (so the next
      -- upload of the same bytes stores them again); this row keeps where the bad copy was.
      CREATE TABLE damaged_chunks (
        owner_id TEXT NOT NULL,
        chunk_id BLOB NOT NULL,
        pack_name TEXT NOT NULL,
        reason TEXT NOT NULL,
        found_at INTEGER NOT NULL,
        PRIMARY KEY (owner_id, chunk_id, pack_name)
      ) WITHOUT ROWID;
    `,
  },
];

/** Applies the migrations the database has not seen yet, each in its own transaction. */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const applied = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
  const newest = Math.max(0, ...applied);
  const known = Math.max(0, ...migrations.map((migration) => migration.version));
  if (newest > known) {
    throw new Error(`the database has schema version ${newest}, newer than this server knows (${known}): upgrade cairn-server`);
  }
  const ran: number[] = [];
  for (const migration of migrations) {
    if (applied.has(migration.version)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.name, Date.now());
    })();
    ran.push(migration.version);
  }
  return ran;
}
