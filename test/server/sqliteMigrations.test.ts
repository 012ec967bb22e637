// One test per schema migration of the SQLite databases: the metadata store and the chunk index.

import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { CHUNK_INDEX_MIGRATIONS, MIGRATIONS, migrate } from '../../src-server/storage/sqliteMigrations.js';

function tables(db: Database.Database): string[] {
  return db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];
}

describe('sqlite migrations', () => {
  it.each([
    ['metadata', MIGRATIONS],
    ['chunk index', CHUNK_INDEX_MIGRATIONS],
  ])('of the %s database are numbered 1, 2, 3 ... without gaps', (_name, migrations) => {
    expect(migrations.map((migration) => migration.version)).toEqual(migrations.map((_, index) => index + 1));
  });

  it('1 (initial schema) creates every table and records itself once', () => {
    const db = new Database(':memory:');
    expect(migrate(db, MIGRATIONS.slice(0, 1))).toEqual([1]);
    expect(tables(db)).toEqual(['heads', 'libraries', 'library_chunks', 'members', 'schema_migrations', 'tokens', 'users', 'versions']);
    expect(migrate(db, MIGRATIONS.slice(0, 1))).toEqual([]);
    expect(db.prepare('SELECT version FROM schema_migrations').pluck().all()).toEqual([1]);
    // Live library names are unique per owner; trashed ones are not.
    db.prepare("INSERT INTO users (id, name, admin, password_hash, created_at) VALUES ('u', 'u', 0, 'h', 0)").run();
    const insert = db.prepare("INSERT INTO libraries (id, name, owner_id, chunking, created_at, deleted_at) VALUES (?, 'Same', 'u', '{}', 0, ?)");
    insert.run('l1', 1);
    insert.run('l2', null);
    expect(() => insert.run('l3', null)).toThrow(/UNIQUE/);
    db.close();
  });

  it('2 (conflicts as library state) adds the conflicts table, one record per path and copy', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    migrate(db, MIGRATIONS.slice(0, 1));
    db.prepare("INSERT INTO users (id, name, admin, password_hash, created_at) VALUES ('u', 'u', 0, 'h', 0)").run();
    db.prepare("INSERT INTO libraries (id, name, owner_id, chunking, created_at) VALUES ('l', 'L', 'u', '{}', 0)").run();
    expect(migrate(db, MIGRATIONS.slice(0, 2))).toEqual([2]);
    expect(tables(db)).toContain('library_conflicts');
    const insert = db.prepare("INSERT INTO library_conflicts (library_id, path, conflict_path, device, user_name, created_at) VALUES (?, 'a.txt', 'a (conflict).txt', 'd', 'u', 0)");
    insert.run('l');
    expect(() => insert.run('l')).toThrow(/UNIQUE/);
    expect(() => insert.run('no such library')).toThrow(/FOREIGN KEY/);
    db.close();
  });

  it('chunk index 1 (pack index) creates packs and chunk locations, one location per owner and chunk', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    expect(migrate(db, CHUNK_INDEX_MIGRATIONS.slice(0, 1))).toEqual([1]);
    expect(tables(db)).toEqual(['chunk_locations', 'packs', 'schema_migrations']);
    expect(migrate(db, CHUNK_INDEX_MIGRATIONS.slice(0, 1))).toEqual([]);
    const pack = db.prepare("INSERT INTO packs (owner_id, name, bytes, created_at) VALUES ('o', 'p1', 100, 0)").run().lastInsertRowid;
    const locate = db.prepare('INSERT INTO chunk_locations (owner_id, chunk_id, pack_id, byte_offset, size) VALUES (?, ?, ?, 44, 56)');
    locate.run('o', Buffer.alloc(32, 1), pack);
    locate.run('other owner', Buffer.alloc(32, 1), pack);
    expect(() => locate.run('o', Buffer.alloc(32, 1), pack)).toThrow(/UNIQUE|PRIMARY KEY/);
    expect(() => locate.run('o', Buffer.alloc(32, 2), 999)).toThrow(/FOREIGN KEY/);
    db.close();
  });

  it('3 (damaged chunks) adds a damaged flag to library chunks, 0 for the chunks linked before', () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS.slice(0, 2));
    db.prepare("INSERT INTO users (id, name, admin, password_hash, created_at) VALUES ('u', 'u', 0, 'h', 0)").run();
    db.prepare("INSERT INTO libraries (id, name, owner_id, chunking, created_at) VALUES ('l', 'L', 'u', '{}', 0)").run();
    db.prepare("INSERT INTO library_chunks (library_id, chunk_id, size) VALUES ('l', ?, 5)").run(Buffer.alloc(32, 1));
    expect(migrate(db, MIGRATIONS.slice(0, 3))).toEqual([3]);
    expect(db.prepare('SELECT damaged FROM library_chunks').pluck().all()).toEqual([0]);
    expect(() => db.prepare("UPDATE library_chunks SET damaged = 2 WHERE library_id = 'l'").run()).toThrow(/CHECK/);
    db.close();
  });

  it('4 (damaged chunks index) indexes only the damaged chunks of a library', () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS.slice(0, 3));
    db.prepare("INSERT INTO users (id, name, admin, password_hash, created_at) VALUES ('u', 'u', 0, 'h', 0)").run();
    db.prepare("INSERT INTO libraries (id, name, owner_id, chunking, created_at) VALUES ('l', 'L', 'u', '{}', 0)").run();
    db.prepare("INSERT INTO library_chunks (library_id, chunk_id, size, damaged) VALUES ('l', ?, 5, 1)").run(Buffer.alloc(32, 1));
    expect(migrate(db, MIGRATIONS.slice(0, 4))).toEqual([4]);
    const plan = db.prepare("EXPLAIN QUERY PLAN SELECT chunk_id FROM library_chunks WHERE library_id = 'l' AND damaged = 1").all() as { detail: string }[];
    expect(plan.map((row) => row.detail).join('\n')).toMatch(/library_chunks_damaged/);
    db.close();
  });

  it('chunk index 2 (damaged chunks) records set-aside copies, one per owner, chunk and pack', () => {
    const db = new Database(':memory:');
    migrate(db, CHUNK_INDEX_MIGRATIONS.slice(0, 1));
    expect(migrate(db, CHUNK_INDEX_MIGRATIONS.slice(0, 2))).toEqual([2]);
    const record = db.prepare("INSERT INTO damaged_chunks (owner_id, chunk_id, pack_name, reason, found_at) VALUES ('o', ?, ?, 'hash mismatch', 1)");
    record.run(Buffer.alloc(32, 1), 'p1');
    record.run(Buffer.alloc(32, 1), 'p2');
    expect(() => record.run(Buffer.alloc(32, 1), 'p1')).toThrow(/UNIQUE|PRIMARY KEY/);
    db.close();
  });

  it('refuses a database from a newer server', () => {
    const db = new Database(':memory:');
    migrate(db);
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)").run();
    expect(() => migrate(db)).toThrow(/upgrade cairn-server/);
    db.close();
  });
});
