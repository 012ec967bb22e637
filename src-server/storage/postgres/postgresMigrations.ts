// Schema migrations of the PostgreSQL backend: the metadata store's tables and the S3 chunk
// store's pack index, in one database. Migrations only ever append: a released migration is
// never edited, and each one has its own test (test/server/postgresStorage.test.ts). They run
// under an advisory lock, so several instances starting at once apply each migration once.
//
// Paths and names are `COLLATE "C"`: the commit rules and the subtree ranges (`path > 'F/' AND
// path < 'F0'`) rely on code-point order, and under a linguistic collation (ICU, en_US) the
// range for folder `a` also matched `A/b`, `a+` and `a~`, so a folder move would have moved
// unrelated files.

import type { PoolClient } from 'pg';
import type { Migration } from '../sqliteMigrations.js';

export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE users (
        id text PRIMARY KEY,
        name text COLLATE "C" NOT NULL UNIQUE,
        admin boolean NOT NULL,
        password_hash text NOT NULL,
        created_at bigint NOT NULL,
        removed_at bigint
      );

      CREATE TABLE tokens (
        id text PRIMARY KEY,
        user_id text NOT NULL REFERENCES users(id),
        token_hash bytea NOT NULL UNIQUE,
        device_name text NOT NULL,
        created_at bigint NOT NULL,
        last_used_at bigint NOT NULL
      );
      CREATE INDEX tokens_by_user ON tokens (user_id);

      -- head_seq is the library's feed counter. It changes only in a commit's transaction,
      -- which first locks this row (SELECT ... FOR UPDATE): revs are gap-free and become
      -- visible in order, with any number of server instances committing.
      CREATE TABLE libraries (
        id text PRIMARY KEY,
        name text COLLATE "C" NOT NULL,
        owner_id text NOT NULL REFERENCES users(id),
        chunking jsonb NOT NULL,
        head_seq bigint NOT NULL DEFAULT 0,
        created_at bigint NOT NULL,
        deleted_at bigint
      );
      CREATE UNIQUE INDEX libraries_live_name ON libraries (owner_id, name) WHERE deleted_at IS NULL;
      CREATE INDEX libraries_by_owner ON libraries (owner_id);

      CREATE TABLE members (
        library_id text NOT NULL REFERENCES libraries(id),
        user_id text NOT NULL REFERENCES users(id),
        role text NOT NULL CHECK (role IN ('rw', 'ro')),
        PRIMARY KEY (library_id, user_id)
      );
      CREATE INDEX members_by_user ON members (user_id);

      -- A chunk is present for a library once uploaded to it or referenced by it. linked_at
      -- is refreshed by every link; referenced is set by the first commit naming the chunk.
      -- Garbage collection may unlink only rows that no commit referenced. damaged: the stored
      -- bytes failed verification, and the chunk counts as missing until uploaded again.
      CREATE TABLE library_chunks (
        library_id text NOT NULL REFERENCES libraries(id),
        chunk_id bytea NOT NULL,
        size integer NOT NULL,
        linked_at bigint NOT NULL,
        referenced boolean NOT NULL DEFAULT false,
        damaged boolean NOT NULL DEFAULT false,
        PRIMARY KEY (library_id, chunk_id)
      );
      -- The few damaged chunks of a library, read with every last page of its feed.
      CREATE INDEX library_chunks_damaged ON library_chunks (library_id) WHERE damaged;

      CREATE TABLE versions (
        library_id text NOT NULL REFERENCES libraries(id),
        rev bigint NOT NULL,
        path text COLLATE "C" NOT NULL,
        kind text NOT NULL CHECK (kind IN ('file', 'dir')),
        deleted boolean NOT NULL,
        size bigint NOT NULL,
        mtime_ms double precision NOT NULL,
        executable boolean NOT NULL,
        content_hash text NOT NULL,
        chunks bytea NOT NULL,
        moved_from text COLLATE "C",
        moved_to text COLLATE "C",
        device text NOT NULL,
        user_name text NOT NULL,
        committed_at bigint NOT NULL,
        commit_start bigint NOT NULL,
        PRIMARY KEY (library_id, rev)
      );
      CREATE INDEX versions_by_path ON versions (library_id, path, rev);

      CREATE TABLE heads (
        library_id text NOT NULL,
        path text COLLATE "C" NOT NULL,
        rev bigint NOT NULL,
        deleted boolean NOT NULL,
        PRIMARY KEY (library_id, path)
      );
      CREATE INDEX heads_by_rev ON heads (library_id, rev);

      -- The S3 chunk store's index. A pack row is written 'pending' before its object is put,
      -- and turns 'live' with its chunk locations in one transaction after the object is
      -- durable: a location never names an object that is not complete, and an interrupted
      -- upload leaves a pending row (found without listing the bucket) for garbage collection.
      CREATE TABLE packs (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        owner_id text NOT NULL,
        key text NOT NULL UNIQUE,
        bytes bigint NOT NULL,
        state text NOT NULL CHECK (state IN ('pending', 'live', 'retired')),
        created_at bigint NOT NULL,
        retired_at bigint
      );
      CREATE INDEX packs_by_owner ON packs (owner_id);
      CREATE INDEX packs_pending ON packs (created_at) WHERE state = 'pending';

      CREATE TABLE chunk_locations (
        owner_id text NOT NULL,
        chunk_id bytea NOT NULL,
        pack_id bigint NOT NULL REFERENCES packs(id),
        byte_offset bigint NOT NULL,
        size integer NOT NULL,
        PRIMARY KEY (owner_id, chunk_id)
      );
      CREATE INDEX chunk_locations_by_pack ON chunk_locations (pack_id);

      -- Embedded data folders \`cairn-server migrate\` copies here. The row is inserted in the
      -- same transaction as the metadata, with a digest of what was copied, so an interrupted
      -- migration resumes (copying only the chunks still missing) and refuses a source that
      -- changed since. completed_at stays NULL until every chunk is copied and verified; a
      -- server refuses to serve while a migration is unfinished.
      CREATE TABLE embedded_migrations (
        source text PRIMARY KEY,
        source_digest text NOT NULL,
        metadata_copied_at bigint NOT NULL,
        completed_at bigint
      );

      -- Chunks whose stored bytes failed verification: no longer located, so the owner's
      -- next upload of the same bytes stores them again. Kept for the operator (fsck).
      CREATE TABLE damaged_chunks (
        owner_id text NOT NULL,
        chunk_id bytea NOT NULL,
        pack_key text NOT NULL,
        reason text NOT NULL,
        found_at bigint NOT NULL,
        PRIMARY KEY (owner_id, chunk_id, pack_key)
      );
    `,
  },
];

/** Any constant; identifies the migration lock among the database's advisory locks. */
const MIGRATION_LOCK = 0x63616972; // "cair"

/**
 * Applies the migrations the database has not seen yet, each in its own transaction, holding a
 * session advisory lock so concurrent starters wait for each other. Refuses a database newer
 * than this server knows.
 */
export async function migratePostgres(client: PoolClient, migrations: readonly Migration[] = POSTGRES_MIGRATIONS): Promise<number[]> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  try {
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)');
    const applied = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((row) => row.version));
    const newest = Math.max(0, ...applied);
    const known = Math.max(0, ...migrations.map((migration) => migration.version));
    if (newest > known) {
      throw new Error(`the database has schema version ${newest}, newer than this server knows (${known}): upgrade cairn-server`);
    }
    const ran: number[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [migration.version, migration.name, Date.now()]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
      ran.push(migration.version);
    }
    return ran;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  }
}
