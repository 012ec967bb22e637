import Database from 'better-sqlite3';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LibraryPath } from '../../../shared/paths.js';
import { IndexTooNewError, MIGRATIONS, type Migration, openIndex } from '../../../src-main/engine/indexStore/index.js';
import { migrate } from '../../../src-main/engine/indexStore/migrations.js';

let folder: string;
let file: string;
beforeEach(async () => {
  folder = await mkdtemp(path.join(os.tmpdir(), 'cairn-index-'));
  file = path.join(folder, 'index.sqlite');
});
afterEach(async () => rm(folder, { recursive: true, force: true }));

/** A database brought to `version` by the real migrations, as an older Cairn would have left it. */
function databaseAt(version: number): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  migrate(db, MIGRATIONS.slice(0, version));
  return db;
}

interface MigrationCase {
  /** Rows an index at the previous version holds. */
  seed(db: Database.Database): void;
  /** What must hold after migrating. */
  check(db: Database.Database): void;
}

const HASH = 'ab'.repeat(32);

// One case per migration, keyed by the version it produces. The test below fails when a
// migration is added without its case.
const cases: Record<number, MigrationCase> = {
  1: {
    seed() {
      // Version 0 is a database no Cairn has written to yet: nothing to seed.
    },
    check(db) {
      const tables = db
        .prepare<[], string>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .pluck()
        .all();
      expect(tables).toEqual(['conflicts', 'libraries', 'local_entries', 'pending_commits', 'problems', 'remote_entries', 'settings', 'synced_entries']);
      db.pragma('foreign_keys = ON');
      db.prepare(
        "INSERT INTO libraries (library_id, name, local_root, chunk_algorithm, chunk_min, chunk_avg, chunk_max) VALUES ('L', 'Docs', '/x', 'fastcdc', 1, 2, 3)",
      ).run();
      const key = db.prepare<[], number>("SELECT library_key FROM libraries WHERE library_id = 'L'").pluck().get();
      db.prepare(
        "INSERT INTO local_entries VALUES (?, 'a.txt', 'file', 3, 3, 1.5, 42, 0, ?)",
      ).run(key, Buffer.from(HASH, 'hex'));
      // STRICT types, CHECK constraints and foreign keys hold.
      expect(() => db.prepare("INSERT INTO local_entries VALUES (?, 'b', 'file', 'big', 3, 1, 1, 0, ?)").run(key, Buffer.alloc(32))).toThrow();
      expect(() => db.prepare("INSERT INTO local_entries VALUES (?, 'c', 'file', 1, 1, 1, 1, 0, NULL)").run(key)).toThrow(/CHECK/);
      expect(() => db.prepare("INSERT INTO local_entries VALUES (?, 'c', 'file', 1, 1, 1, 1, 0, x'00')").run(key)).toThrow(/CHECK/);
      expect(() => db.prepare("INSERT INTO local_entries VALUES (999, 'd', 'dir', 0, 0, 1, 1, 0, NULL)").run()).toThrow(/FOREIGN KEY/);
      // Paths are case-sensitive.
      db.prepare("INSERT INTO local_entries VALUES (?, 'A.txt', 'dir', 0, 0, 1, 1, 0, NULL)").run(key);
      expect(db.prepare('SELECT count(*) FROM local_entries').pluck().get()).toBe(2);
      // Removing the library removes its entries.
      db.prepare("DELETE FROM libraries WHERE library_id = 'L'").run();
      expect(db.prepare('SELECT count(*) FROM local_entries').pluck().get()).toBe(0);
    },
  },
  2: {
    seed(db) {
      db.prepare(
        "INSERT INTO libraries (library_id, name, local_root, chunk_algorithm, chunk_min, chunk_avg, chunk_max) VALUES ('L', 'Docs', '/x', 'fastcdc', 1, 2, 3)",
      ).run();
      // A conflict as version 1 recorded it: sides without a user, no base.
      const side = (device: string) => JSON.stringify({ node: { kind: 'file', contentHash: HASH, size: 3, executable: false }, rev: null, mtimeMs: 5, device });
      db.prepare("INSERT INTO conflicts (library_key, path, conflict_path, local_side, remote_side, created_at) VALUES (1, 'a.txt', 'a (conflict x 2024-01-01 000000).txt', ?, ?, 100)").run(
        side('laptop'),
        side('desktop'),
      );
    },
    check(db) {
      db.close();
      const index = openIndex(file);
      try {
        const [library] = index.libraries.list();
        expect(library).toMatchObject({ libraryId: 'L', autoMerge: false });
        const [conflict] = index.conflicts.list('L');
        expect(conflict).toMatchObject({ path: 'a.txt', base: null, resolution: null, local: { device: 'laptop', user: null }, remote: { device: 'desktop', user: null } });
        expect(index.libraries.update('L', { autoMerge: true }).autoMerge).toBe(true);
        expect(index.libraries.get('L')?.autoMerge).toBe(true);
        expect(index.conflicts.resolve(conflict!.conflictId, 200, 'auto-merged')).toBe(true);
        expect(index.conflicts.get(conflict!.conflictId)).toMatchObject({ resolvedAt: 200, resolution: 'auto-merged' });
      } finally {
        index.close();
      }
      const raw = new Database(file);
      expect(() => raw.prepare("UPDATE conflicts SET resolution = 'guessed'").run()).toThrow(/CHECK/);
      expect(() => raw.prepare('UPDATE libraries SET auto_merge = 2').run()).toThrow(/CHECK/);
      raw.close();
    },
  },
  3: {
    seed(db) {
      db.prepare(
        "INSERT INTO libraries (library_id, name, local_root, chunk_algorithm, chunk_min, chunk_avg, chunk_max) VALUES ('L', 'Docs', '/x', 'fastcdc', 1, 2, 3)",
      ).run();
    },
    check(db) {
      db.close();
      const index = openIndex(file);
      try {
        // Not known until the server is next asked.
        expect(index.libraries.get('L')).toMatchObject({ libraryId: 'L', role: null, owner: null });
        expect(index.libraries.update('L', { role: 'ro', owner: 'alice' })).toMatchObject({ role: 'ro', owner: 'alice' });
        expect(index.libraries.get('L')).toMatchObject({ role: 'ro', owner: 'alice' });
      } finally {
        index.close();
      }
      const raw = new Database(file);
      expect(() => raw.prepare("UPDATE libraries SET role = 'admin'").run()).toThrow(/CHECK/);
      raw.close();
    },
  },
  4: {
    seed(db) {
      db.prepare(
        "INSERT INTO libraries (library_id, name, local_root, chunk_algorithm, chunk_min, chunk_avg, chunk_max) VALUES ('L', 'Docs', '/x', 'fastcdc', 1, 2, 3)",
      ).run();
      const side = JSON.stringify({ node: { kind: 'file', contentHash: HASH, size: 3, executable: false }, rev: null, mtimeMs: 5, device: 'laptop', user: 'ann' });
      db.prepare("INSERT INTO conflicts (library_key, path, conflict_path, local_side, remote_side, created_at) VALUES (1, 'a.txt', 'a (conflict).txt', ?, ?, 100)").run(side, side);
    },
    check(db) {
      db.close();
      const index = openIndex(file);
      try {
        // Conflicts found before they were shared are not on the server yet.
        const [conflict] = index.conflicts.list('L');
        expect(conflict).toMatchObject({ path: 'a.txt', serverId: null, serverState: null });
        index.conflicts.setServer(conflict!.conflictId, 7, 'open');
        expect(index.conflicts.get(conflict!.conflictId)).toMatchObject({ serverId: 7, serverState: 'open' });
      } finally {
        index.close();
      }
      const raw = new Database(file);
      expect(() => raw.prepare("UPDATE conflicts SET server_state = 'maybe'").run()).toThrow(/CHECK/);
      raw.close();
    },
  },
  5: {
    seed(db) {
      // A one-account profile: ann's libraries, ann logged in with her device.
      const settings = db.prepare('INSERT INTO settings (key, value) VALUES (?, ?)');
      settings.run('serverUrl', 'https://cairn.example');
      settings.run('userName', 'ann');
      settings.run('deviceId', 'device-ann-1');
      settings.run('deviceName', 'laptop');
      settings.run('librariesAccount', JSON.stringify({ serverUrl: 'https://cairn.example', user: 'ann' }));
      db.prepare(
        "INSERT INTO libraries (library_id, name, local_root, chunk_algorithm, chunk_min, chunk_avg, chunk_max) VALUES ('L', 'Docs', '/x', 'fastcdc', 1, 2, 3)",
      ).run();
    },
    check(db) {
      db.close();
      const index = openIndex(file);
      try {
        const [account, ...others] = index.accounts.list();
        expect(others).toEqual([]);
        expect(account).toMatchObject({ serverUrl: 'https://cairn.example', user: 'ann', deviceId: 'device-ann-1', deviceName: 'laptop' });
        expect(index.libraries.get('L')).toMatchObject({ accountId: account!.accountId });
        // The old token is marked as this account's; the one-account settings are gone.
        expect(index.profile.get()).toEqual({ serverUrl: 'https://cairn.example', deviceName: 'laptop', legacyTokenAccount: account!.accountId });
      } finally {
        index.close();
      }
    },
  },
  6: {
    seed(db) {
      db.prepare(
        "INSERT INTO libraries (library_id, name, local_root, chunk_algorithm, chunk_min, chunk_avg, chunk_max) VALUES ('L', 'Docs', '/x', 'fastcdc', 1, 2, 3)",
      ).run();
      db.prepare("INSERT INTO problems (library_key, path, name, kind, message, first_seen_at, last_seen_at) VALUES (1, 'link', '', 'symlink', 'a link', 10, 20)").run();
    },
    check(db) {
      db.close();
      const index = openIndex(file);
      try {
        // Problems recorded before are not dismissed; one can be now.
        expect(index.problems.list('L')).toMatchObject([{ path: 'link', kind: 'symlink', dismissedAt: null }]);
        expect(index.problems.setDismissed('L', { path: 'link' as LibraryPath, kind: 'symlink', name: '' }, 30)).toBe(true);
        expect(index.problems.list('L')).toMatchObject([{ path: 'link', kind: 'symlink', dismissedAt: 30, firstSeenAt: 10 }]);
      } finally {
        index.close();
      }
    },
  },
};

describe('migration 5 of profiles in other states', () => {
  function migrated(seed: (db: Database.Database) => void): Database.Database {
    const db = databaseAt(4);
    seed(db);
    migrate(db);
    return db;
  }
  const accountsOf = (db: Database.Database) => db.prepare('SELECT server_url, user_name, device_id FROM accounts ORDER BY user_name').all();
  const library = "INSERT INTO libraries (library_id, name, local_root, chunk_algorithm, chunk_min, chunk_avg, chunk_max) VALUES ('L', 'Docs', '/x', 'fastcdc', 1, 2, 3)";

  it('binds the libraries of a logged-out profile to the account recorded for them, with no token to move', () => {
    const db = migrated((seed) => {
      seed.prepare('INSERT INTO settings (key, value) VALUES (?, ?)').run('serverUrl', 'https://cairn.example');
      seed.prepare('INSERT INTO settings (key, value) VALUES (?, ?)').run('librariesAccount', JSON.stringify({ serverUrl: 'https://cairn.example', user: 'bob' }));
      seed.prepare(library).run();
    });
    expect(accountsOf(db)).toEqual([{ server_url: 'https://cairn.example', user_name: 'bob', device_id: null }]);
    expect(db.prepare("SELECT a.user_name FROM libraries l JOIN accounts a USING (account_id) WHERE l.library_id = 'L'").pluck().get()).toBe('bob');
    expect(db.prepare("SELECT count(*) FROM settings WHERE key IN ('legacyTokenAccount', 'librariesAccount', 'userName')").pluck().get()).toBe(0);
    db.close();
  });

  it('never binds libraries of one account to another logged in since (both accounts are kept apart)', () => {
    const db = migrated((seed) => {
      const settings = seed.prepare('INSERT INTO settings (key, value) VALUES (?, ?)');
      settings.run('serverUrl', 'https://other.example');
      settings.run('userName', 'carol');
      settings.run('deviceId', 'device-carol');
      settings.run('librariesAccount', JSON.stringify({ serverUrl: 'https://cairn.example', user: 'bob' }));
      seed.prepare(library).run();
    });
    expect(accountsOf(db)).toEqual([
      { server_url: 'https://cairn.example', user_name: 'bob', device_id: null },
      { server_url: 'https://other.example', user_name: 'carol', device_id: 'device-carol' },
    ]);
    expect(db.prepare("SELECT a.user_name FROM libraries l JOIN accounts a USING (account_id) WHERE l.library_id = 'L'").pluck().get()).toBe('bob');
    expect(db.prepare("SELECT a.user_name FROM settings s JOIN accounts a ON a.account_id = s.value WHERE s.key = 'legacyTokenAccount'").pluck().get()).toBe('carol');
    db.close();
  });

  it('leaves libraries of an unknown account bound to none (they never sync under any account)', () => {
    const db = migrated((seed) => {
      seed.prepare(library).run();
    });
    expect(accountsOf(db)).toEqual([]);
    expect(db.prepare("SELECT account_id FROM libraries WHERE library_id = 'L'").pluck().get()).toBeNull();
    db.close();
  });
});

describe('migrations', () => {
  it('has a test case for every migration', () => {
    expect(Object.keys(cases).map(Number)).toEqual(MIGRATIONS.map((migration) => migration.version));
  });

  it.each(MIGRATIONS.map((migration) => [migration.version, migration.description] as const))(
    'migration %i (%s) upgrades an index at the previous version and keeps its rows',
    (version) => {
      const db = databaseAt(version - 1);
      const testCase = cases[version];
      if (testCase === undefined) throw new Error(`no test case for migration ${version}`);
      testCase.seed(db);
      expect(migrate(db, MIGRATIONS.slice(0, version))).toEqual({ from: version - 1, to: version });
      expect(db.pragma('user_version', { simple: true })).toBe(version);
      testCase.check(db);
      if (db.open) db.close();
    },
  );

  it('opening an up-to-date index applies nothing, and needs no write lock for it', () => {
    openIndex(file).close();
    // Another connection holds the write lock (a daemon committing): an up-to-date index opens at once.
    const writer = new Database(file, { timeout: 0 });
    writer.exec('BEGIN IMMEDIATE');
    const db = new Database(file, { timeout: 0 });
    try {
      expect(migrate(db)).toEqual({ from: MIGRATIONS.length, to: MIGRATIONS.length });
      // An index one version behind does need the lock, and waits for it (here: fails at once).
      expect(() => migrate(db, [...MIGRATIONS, { version: MIGRATIONS.length + 1, description: 'next', sql: 'CREATE TABLE next_step (x INTEGER) STRICT;' }])).toThrow(/locked/);
    } finally {
      writer.exec('ROLLBACK');
      writer.close();
      db.close();
    }
  });

  it('rolls back every step of a run when one step fails', () => {
    const db = databaseAt(0);
    const broken: Migration[] = [
      { version: 1, description: 'fine', sql: 'CREATE TABLE first_step (x INTEGER) STRICT;' },
      { version: 2, description: 'broken', sql: 'CREATE TABLE second_step (x INTEGER) STRICT; SELECT * FROM no_such_table;' },
    ];
    expect(() => migrate(db, broken)).toThrow(/no_such_table/);
    expect(db.pragma('user_version', { simple: true })).toBe(0);
    expect(db.prepare("SELECT count(*) FROM sqlite_schema WHERE name IN ('first_step', 'second_step')").pluck().get()).toBe(0);
    db.close();
  });

  it('refuses an index written by a newer Cairn, saying what to do', () => {
    const db = databaseAt(MIGRATIONS.length);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    const error = (() => {
      try {
        openIndex(file);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(IndexTooNewError);
    expect((error as Error).message).toContain('Update Cairn');
  });

  it('refuses a migration list with a gap', () => {
    const db = databaseAt(0);
    expect(() => migrate(db, [{ version: 2, description: 'gap', sql: '' }])).toThrow(/out of order/);
    db.close();
  });
});
