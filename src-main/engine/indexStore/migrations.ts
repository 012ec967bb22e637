// The index schema, as an ordered list of numbered steps. `PRAGMA user_version` holds the
// number of the last step applied; opening the index applies the missing ones in one
// transaction, so a crash or an error mid-way leaves the previous version intact.
//
// Rules for new steps: append, never edit a released step; each step gets a test in
// test/engine/indexStore/migrations.test.ts that opens a database at the previous version with
// fixture rows, migrates it and checks the rows; a step that rebuilds a table follows SQLite's
// "making other kinds of table schema changes" procedure (foreign keys are off during
// migrations and checked after the last step).

import type Database from 'better-sqlite3';

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'profile settings, libraries, the three entry states, conflicts, problems, pending commits',
    sql: `
      CREATE TABLE settings (
        key TEXT PRIMARY KEY NOT NULL,
        value TEXT NOT NULL
      ) STRICT, WITHOUT ROWID;

      -- library_key is a small local number that entry rows repeat instead of the server's id.
      CREATE TABLE libraries (
        library_key INTEGER PRIMARY KEY,
        library_id TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        local_root TEXT NOT NULL UNIQUE,
        chunk_algorithm TEXT NOT NULL CHECK (chunk_algorithm IN ('fastcdc', 'rabin')),
        chunk_min INTEGER NOT NULL,
        chunk_avg INTEGER NOT NULL,
        chunk_max INTEGER NOT NULL,
        cursor INTEGER NOT NULL DEFAULT 0,
        selection TEXT,
        pause_reason TEXT,
        paused_at INTEGER,
        last_sync_at INTEGER,
        last_error TEXT,
        last_error_at INTEGER,
        -- The circuit breaker the user overrode by resuming (e.g. 'mass-delete'), and when.
        breaker_override TEXT,
        breaker_override_at INTEGER,
        CHECK ((pause_reason IS NULL) = (paused_at IS NULL)),
        CHECK ((last_error IS NULL) = (last_error_at IS NULL))
      ) STRICT;

      -- The three states. Paths compare as bytes (BINARY): case-sensitive, and iteration is in
      -- UTF-8 byte order, where a folder's descendants are exactly the range ['f/', 'f0').
      -- content (files only) is the 32-byte content hash followed by 36-byte chunk records
      -- (chunk id, then size as a big-endian uint32); see chunkCodec.ts.
      CREATE TABLE remote_entries (
        library_key INTEGER NOT NULL REFERENCES libraries (library_key) ON DELETE CASCADE,
        path TEXT NOT NULL COLLATE BINARY,
        kind TEXT NOT NULL CHECK (kind IN ('file', 'dir')),
        rev INTEGER NOT NULL,
        size INTEGER NOT NULL,
        mtime_ms REAL NOT NULL,
        executable INTEGER NOT NULL CHECK (executable IN (0, 1)),
        content BLOB,
        PRIMARY KEY (library_key, path),
        CHECK ((kind = 'file') = (content IS NOT NULL)),
        CHECK (content IS NULL OR (length(content) - 32) % 36 = 0)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE local_entries (
        library_key INTEGER NOT NULL REFERENCES libraries (library_key) ON DELETE CASCADE,
        path TEXT NOT NULL COLLATE BINARY,
        kind TEXT NOT NULL CHECK (kind IN ('file', 'dir')),
        size INTEGER NOT NULL,
        stat_size INTEGER NOT NULL,
        mtime_ms REAL NOT NULL,
        inode INTEGER NOT NULL,
        executable INTEGER NOT NULL CHECK (executable IN (0, 1)),
        content BLOB,
        PRIMARY KEY (library_key, path),
        CHECK ((kind = 'file') = (content IS NOT NULL)),
        CHECK (content IS NULL OR (length(content) - 32) % 36 = 0)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE synced_entries (
        library_key INTEGER NOT NULL REFERENCES libraries (library_key) ON DELETE CASCADE,
        path TEXT NOT NULL COLLATE BINARY,
        kind TEXT NOT NULL CHECK (kind IN ('file', 'dir')),
        rev INTEGER NOT NULL,
        size INTEGER NOT NULL,
        mtime_ms REAL NOT NULL,
        inode INTEGER NOT NULL,
        executable INTEGER NOT NULL CHECK (executable IN (0, 1)),
        content_hash BLOB,
        PRIMARY KEY (library_key, path),
        CHECK ((kind = 'file') = (content_hash IS NOT NULL))
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE conflicts (
        conflict_id INTEGER PRIMARY KEY AUTOINCREMENT,
        library_key INTEGER NOT NULL REFERENCES libraries (library_key) ON DELETE CASCADE,
        path TEXT NOT NULL,
        conflict_path TEXT,
        local_side TEXT NOT NULL,
        remote_side TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        resolved_at INTEGER
      ) STRICT;
      CREATE INDEX conflicts_by_library ON conflicts (library_key, resolved_at);

      -- path '' is the library as a whole; name is a raw on-disk name that is not a LibraryPath.
      CREATE TABLE problems (
        library_key INTEGER NOT NULL REFERENCES libraries (library_key) ON DELETE CASCADE,
        path TEXT NOT NULL COLLATE BINARY,
        name TEXT NOT NULL DEFAULT '',
        kind TEXT NOT NULL,
        message TEXT NOT NULL,
        first_seen_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        PRIMARY KEY (library_key, path, kind, name)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE pending_commits (
        commit_id TEXT PRIMARY KEY NOT NULL,
        library_key INTEGER NOT NULL REFERENCES libraries (library_key) ON DELETE CASCADE,
        body TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX pending_commits_by_library ON pending_commits (library_key, created_at);
    `,
  },
  {
    version: 2,
    description: 'conflict merge bases and resolutions, the per-library auto-merge setting',
    sql: `
      -- JSON {rev, node} of the merge base; NULL when unknown (older rows, create/create).
      ALTER TABLE conflicts ADD COLUMN base_side TEXT;
      ALTER TABLE conflicts ADD COLUMN resolution TEXT
        CHECK (resolution IS NULL OR resolution IN ('local', 'remote', 'both', 'merged', 'auto-merged'));
      ALTER TABLE libraries ADD COLUMN auto_merge INTEGER NOT NULL DEFAULT 0 CHECK (auto_merge IN (0, 1));
    `,
  },
  {
    version: 3,
    description: "the library's owner and this account's role in it, as the server last said",
    sql: `
      -- NULL until the server is next asked (libraries added before this was kept).
      ALTER TABLE libraries ADD COLUMN role TEXT CHECK (role IS NULL OR role IN ('owner', 'rw', 'ro'));
      ALTER TABLE libraries ADD COLUMN owner TEXT;
    `,
  },
  {
    version: 4,
    description: 'conflicts shared through the server: their id there and whether the server has them open',
    sql: `
      ALTER TABLE conflicts ADD COLUMN server_id INTEGER;
      ALTER TABLE conflicts ADD COLUMN server_state TEXT CHECK (server_state IS NULL OR server_state IN ('open', 'closed'));
    `,
  },
  {
    version: 5,
    description: 'several accounts per profile, each library bound to its account (the one account of an older profile migrated)',
    sql: `
      -- One row per account (a user on a server). Its device token is not here: it is in the
      -- profile's secret store, keyed by account_id. A signed-out account keeps its row.
      CREATE TABLE accounts (
        account_id TEXT PRIMARY KEY NOT NULL,
        server_url TEXT NOT NULL,
        user_name TEXT NOT NULL,
        device_id TEXT,
        device_name TEXT,
        added_at INTEGER NOT NULL,
        UNIQUE (server_url, user_name)
      ) STRICT;
      -- NULL only for libraries of an older profile whose account was never recorded: they
      -- never sync under any account until removed and added again.
      ALTER TABLE libraries ADD COLUMN account_id TEXT REFERENCES accounts (account_id);

      -- The account the libraries belonged to (recorded since libraries outlived a logout) ...
      INSERT INTO accounts (account_id, server_url, user_name, added_at)
        SELECT 'a' || lower(hex(randomblob(8))), json_extract(value, '$.serverUrl'), json_extract(value, '$.user'), CAST(strftime('%s', 'now') AS INTEGER) * 1000
        FROM settings
        WHERE key = 'librariesAccount' AND json_valid(value)
          AND json_type(value, '$.serverUrl') = 'text' AND json_type(value, '$.user') = 'text';
      -- ... and the account logged in, with its device.
      INSERT INTO accounts (account_id, server_url, user_name, added_at)
        SELECT 'a' || lower(hex(randomblob(8))), s.value, u.value, CAST(strftime('%s', 'now') AS INTEGER) * 1000
        FROM settings s JOIN settings u ON s.key = 'serverUrl' AND u.key = 'userName'
        WHERE true
        ON CONFLICT (server_url, user_name) DO NOTHING;
      UPDATE accounts SET
        device_id = (SELECT value FROM settings WHERE key = 'deviceId'),
        device_name = (SELECT value FROM settings WHERE key = 'deviceName')
        WHERE server_url = (SELECT value FROM settings WHERE key = 'serverUrl')
          AND user_name = (SELECT value FROM settings WHERE key = 'userName');
      UPDATE libraries SET account_id = (
        SELECT a.account_id FROM accounts a JOIN settings s ON s.key = 'librariesAccount'
        WHERE json_valid(s.value) AND a.server_url = json_extract(s.value, '$.serverUrl') AND a.user_name = json_extract(s.value, '$.user'));
      -- Before librariesAccount was recorded, the libraries were the logged-in account's.
      UPDATE libraries SET account_id = (
        SELECT a.account_id FROM accounts a JOIN settings s ON s.key = 'serverUrl' JOIN settings u ON u.key = 'userName'
        WHERE a.server_url = s.value AND a.user_name = u.value)
        WHERE account_id IS NULL AND NOT EXISTS (SELECT 1 FROM settings WHERE key = 'librariesAccount');
      -- The one device token of the old profile is this account's (moved when the engine opens).
      INSERT INTO settings (key, value)
        SELECT 'legacyTokenAccount', a.account_id
        FROM accounts a JOIN settings s ON s.key = 'serverUrl' JOIN settings u ON u.key = 'userName'
        WHERE a.server_url = s.value AND a.user_name = u.value;
      DELETE FROM settings WHERE key IN ('userName', 'deviceId', 'librariesAccount');
    `,
  },
  {
    version: 6,
    description: 'problems the user dismissed (understood, such as a deliberate symlink)',
    sql: `
      -- Set while the same problem (library, path, kind, name) persists; a problem that goes away
      -- takes its row, dismissal included, so one that comes back (or changes kind) shows again.
      ALTER TABLE problems ADD COLUMN dismissed_at INTEGER;
    `,
  },
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** The index was written by a newer Cairn; this one must not touch it. */
export class IndexTooNewError extends Error {
  override readonly name = 'IndexTooNewError';
  constructor(
    readonly file: string,
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      `The index ${file} has schema version ${found}, but this Cairn understands up to ${supported}. ` +
        'Update Cairn, or remove this profile to start it over (files in your libraries are not touched).',
    );
  }
}

/**
 * Brings `db` up to the last of `migrations` in one immediate transaction and returns the
 * versions before and after. Foreign keys must be off (they cannot be switched inside a
 * transaction); any dangling reference after the last step rolls everything back.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): { from: number; to: number } {
  migrations.forEach((migration, position) => {
    if (migration.version !== position + 1) throw new Error(`migration ${migration.version} is out of order (expected ${position + 1})`);
  });
  const latest = migrations.length;
  // Up to date (the common case, every command): nothing to apply, so no write lock and no
  // foreign key check of every row (~10 ms at 10,000 files). A version read here is committed;
  // a migration still running elsewhere shows the old one, and the transaction below waits for it.
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current === latest) return { from: latest, to: latest };
  const run = db.transaction(() => {
    const from = db.pragma('user_version', { simple: true }) as number;
    if (from > latest) throw new IndexTooNewError(db.name, from, latest);
    for (const migration of migrations.slice(from)) {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    }
    const dangling = db.pragma('foreign_key_check') as unknown[];
    if (dangling.length > 0) throw new Error(`migration left ${dangling.length} dangling references: ${JSON.stringify(dangling.slice(0, 5))}`);
    return { from, to: Math.max(from, latest) };
  });
  return run.immediate();
}
