// The activity list's storage: a small SQLite database of its own in the profile
// (activity.sqlite), beside the index rather than inside it, for three reasons:
//
// - Activity is a record for the user, never an observation a round relies on. It can be
//   written with synchronous=NORMAL (a power cut may drop its last lines, never corrupt it),
//   so keeping it costs no fsync, where the index pays one per transaction (synchronous=FULL).
// - Its churn (a line per file moved, the oldest trimmed in batches) stays out of the index,
//   whose pages every round reads.
// - A damaged or newer-than-us activity file costs a history, never the sync state: the caller
//   can go on without it, and the index never has to migrate for it.
//
// Each line is stored as its library, time and kind in columns (for paging and filtering) and
// the rest of it as JSON, which the caller validates when it reads it back.

import Database from 'better-sqlite3';
import { chmodSync, closeSync, openSync } from 'node:fs';
import { migrate } from './migrations.js';
import type { Migration } from './migrations.js';

const ACTIVITY_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'activity lines',
    sql: `
      -- A new line gets the largest id so far plus one. Only the oldest lines are ever
      -- deleted (keepNewest), never the newest, so an id is never given twice and a client
      -- paging with "before" never sees a line twice. (AUTOINCREMENT would guarantee the same
      -- at twice the cost per line.)
      CREATE TABLE activity (
        activity_id INTEGER PRIMARY KEY,
        library_id TEXT NOT NULL,
        library_name TEXT NOT NULL,
        at INTEGER NOT NULL,
        kind TEXT NOT NULL,
        details TEXT NOT NULL
      ) STRICT;
      CREATE INDEX activity_by_library ON activity (library_id, activity_id);
    `,
  },
];

/** A line as the caller hands it in: `details` is any JSON-compatible value. */
export interface NewActivityRow {
  readonly libraryId: string;
  readonly libraryName: string;
  readonly at: number;
  readonly kind: string;
  readonly details: unknown;
}

export interface ActivityRow extends NewActivityRow {
  readonly activityId: number;
}

export interface ActivityStore {
  /** The database file, or ':memory:'. */
  readonly file: string;
  /** Stores the lines in one transaction; returns their ids, in order (increasing). */
  append(rows: readonly NewActivityRow[]): number[];
  /**
   * Lines newest first, optionally of one library and older than `before`. Lazy: read what
   * you need and stop; no other call may be made on the store until the iteration ends.
   */
  newestFirst(options: { readonly libraryId?: string; readonly before?: number }): IterableIterator<ActivityRow>;
  count(): number;
  /** Deletes all but the newest `keep` lines (at least one is kept); returns how many went. */
  keepNewest(keep: number): number;
  close(): void;
}

interface Row {
  activity_id: number;
  library_id: string;
  library_name: string;
  at: number;
  kind: string;
  details: string;
}

/** Opens (creating if needed, readable by its owner only: it names files) the activity database. */
export function openActivityStore(file: string): ActivityStore {
  if (file !== ':memory:') {
    closeSync(openSync(file, 'a', 0o600));
    if (process.platform !== 'win32') chmodSync(file, 0o600);
  }
  const db = new Database(file, { timeout: 5_000 });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    migrate(db, ACTIVITY_MIGRATIONS);
    return createActivityStore(db, file);
  } catch (error) {
    db.close();
    throw error;
  }
}

function createActivityStore(db: Database.Database, file: string): ActivityStore {
  const columns = 'activity_id, library_id, library_name, at, kind, details';
  const insert = db.prepare<[string, string, number, string, string]>(
    'INSERT INTO activity (library_id, library_name, at, kind, details) VALUES (?, ?, ?, ?, ?)',
  );
  const statements = {
    all: db.prepare<[number], Row>(`SELECT ${columns} FROM activity WHERE activity_id < ? ORDER BY activity_id DESC`),
    ofLibrary: db.prepare<[string, number], Row>(`SELECT ${columns} FROM activity WHERE library_id = ? AND activity_id < ? ORDER BY activity_id DESC`),
    count: db.prepare<[], number>('SELECT count(*) FROM activity').pluck(),
    keepNewest: db.prepare<[number]>(
      'DELETE FROM activity WHERE activity_id <= (SELECT activity_id FROM activity ORDER BY activity_id DESC LIMIT 1 OFFSET ?)',
    ),
  };
  const append = db.transaction((rows: readonly NewActivityRow[]) =>
    rows.map((row) => Number(insert.run(row.libraryId, row.libraryName, row.at, row.kind, JSON.stringify(row.details)).lastInsertRowid)),
  );
  return {
    file,
    append(rows) {
      return rows.length === 0 ? [] : append.immediate(rows);
    },
    *newestFirst(options) {
      const before = options.before ?? Number.MAX_SAFE_INTEGER;
      const rows = options.libraryId === undefined ? statements.all.iterate(before) : statements.ofLibrary.iterate(options.libraryId, before);
      for (const row of rows) {
        yield {
          activityId: row.activity_id,
          libraryId: row.library_id,
          libraryName: row.library_name,
          at: row.at,
          kind: row.kind,
          details: parseJson(row.details),
        };
      }
    },
    count() {
      return statements.count.get() ?? 0;
    },
    keepNewest(keep) {
      return statements.keepNewest.run(Math.max(1, keep)).changes;
    },
    close() {
      if (db.open) db.close();
    },
  };
}

/** The value of a JSON text, or undefined for a damaged one (the caller's validation drops it). */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
