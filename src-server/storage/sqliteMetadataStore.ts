// The embedded metadata store: one SQLite file in WAL mode through better-sqlite3, the only
// module that touches it. better-sqlite3 is synchronous, so each method runs to completion
// without yielding, and a commit is one IMMEDIATE transaction that no other request can
// interleave with.

import Database from 'better-sqlite3';
import type { ChunkId } from '../../shared/model.js';
import type { LibraryRole, MemberRole } from '../../shared/protocol/index.js';
import { applyChanges } from '../commitRules.js';
import type { CommitReader } from '../commitRules.js';
import { migrate } from './sqliteMigrations.js';
import { WalSync } from './walSync.js';
import { VERSION_COLUMNS, decodeChunkList, encodeChunkList, toConflict, toEntry, toLibrary, toToken, toUser } from './storeRows.js';
import type { ConflictRow, LibraryRow, TokenRow, UserRow, VersionRow } from './storeRows.js';
import { NameTakenError } from './metadataStore.js';
import type {
  ChunkLinkStore,
  CommitInput,
  CommitOutcome,
  LibraryAudit,
  LibraryStore,
  MemberRecord,
  TableRows,
  MetadataStore,
  NewUser,
  Page,
  TokenStore,
  UserStore,
  VersionStore,
  ConflictStore,
  LibraryConflictRecord,
} from './metadataStore.js';

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Database.SqliteError && error.code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** The first path after every path below `folder`: '/' is 0x2f and '0' is 0x30 in UTF-8. */
function subtreeEnd(folder: string): string {
  return `${folder}0`;
}

export class SqliteMetadataStore implements MetadataStore {
  readonly users: UserStore;
  readonly tokens: TokenStore;
  readonly libraries: LibraryStore;
  readonly chunks: ChunkLinkStore;
  readonly versions: VersionStore;
  readonly conflicts: ConflictStore;
  private readonly db: Database.Database;
  /** Makes commits made with synchronous=NORMAL durable (see createChunkLinkStore). */
  readonly linksDurable: WalSync;

  constructor(file: string) {
    this.linksDurable = new WalSync(file);
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // FULL: an acknowledged commit survives a power cut; clients rely on the head never going back.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db);
    this.users = this.createUserStore();
    this.tokens = this.createTokenStore();
    this.libraries = this.createLibraryStore();
    this.chunks = this.createChunkLinkStore();
    this.versions = this.createVersionStore();
    this.conflicts = this.createConflictStore();
  }

  private createConflictStore(): ConflictStore {
    const db = this.db;
    const open = db.prepare<[string], ConflictRow>('SELECT * FROM library_conflicts WHERE library_id = ? AND resolved_at IS NULL ORDER BY id LIMIT 10000');
    const find = db.prepare<[string, string, string], ConflictRow>('SELECT * FROM library_conflicts WHERE library_id = ? AND path = ? AND conflict_path = ?');
    const insert = db.prepare(
      'INSERT INTO library_conflicts (library_id, path, conflict_path, remote_rev, base_rev, device, user_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const resolve = db.prepare('UPDATE library_conflicts SET resolved_at = ?, resolved_by = ?, resolution = ? WHERE library_id = ? AND id = ? AND resolved_at IS NULL');
    const report = db.transaction((input: Omit<LibraryConflictRecord, 'id' | 'resolvedAt'>): LibraryConflictRecord => {
      const found = find.get(input.libraryId, input.path, input.conflictPath);
      if (found !== undefined) return toConflict(found);
      insert.run(input.libraryId, input.path, input.conflictPath, input.remoteRev, input.baseRev, input.device, input.userName, input.createdAt);
      return toConflict(find.get(input.libraryId, input.path, input.conflictPath)!);
    });
    return {
      open: async (libraryId) => open.all(libraryId).map(toConflict),
      report: async (input) => report.immediate(input),
      resolve: async (libraryId, id, by, resolution, at) => resolve.run(at, by, resolution, libraryId, id).changes > 0,
    };
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private createUserStore(): UserStore {
    const db = this.db;
    const insert = db.prepare('INSERT INTO users (id, name, admin, password_hash, created_at) VALUES (?, ?, ?, ?, ?)');
    const byName = db.prepare('SELECT * FROM users WHERE name = ?');
    const byId = db.prepare('SELECT * FROM users WHERE id = ?');
    const list = db.prepare('SELECT * FROM users ORDER BY name');
    const setHash = db.prepare('UPDATE users SET password_hash = ? WHERE id = ?');
    const setAdmin = db.prepare('UPDATE users SET admin = ? WHERE id = ?');
    const setQuota = db.prepare('UPDATE users SET quota_bytes = ? WHERE id = ?');
    const usage = db.prepare(`
      SELECT u.quota_bytes, (SELECT COALESCE(SUM(l.live_bytes), 0) FROM libraries l WHERE l.owner_id = u.id AND l.deleted_at IS NULL) AS used
      FROM users u WHERE u.id = ?`);
    const remove = db.transaction((id: string, at: number) => {
      db.prepare('UPDATE users SET removed_at = ? WHERE id = ? AND removed_at IS NULL').run(at, id);
      db.prepare('DELETE FROM tokens WHERE user_id = ?').run(id);
      db.prepare('DELETE FROM members WHERE user_id = ?').run(id);
      db.prepare('UPDATE libraries SET deleted_at = ? WHERE owner_id = ? AND deleted_at IS NULL').run(at, id);
    });
    return {
      async create(user: NewUser) {
        try {
          insert.run(user.id, user.name, user.admin ? 1 : 0, user.passwordHash, user.createdAt);
        } catch (error) {
          if (isUniqueViolation(error)) throw new NameTakenError(`a user named ${user.name} exists already`);
          throw error;
        }
      },
      async byName(name) {
        const row = byName.get(name) as UserRow | undefined;
        return row === undefined ? null : toUser(row);
      },
      async byId(id) {
        const row = byId.get(id) as UserRow | undefined;
        return row === undefined ? null : toUser(row);
      },
      async list() {
        return (list.all() as UserRow[]).map(toUser);
      },
      async setPasswordHash(id, passwordHash) {
        setHash.run(passwordHash, id);
      },
      async setAdmin(id, admin) {
        setAdmin.run(admin ? 1 : 0, id);
      },
      async setQuota(id, quotaBytes) {
        setQuota.run(quotaBytes, id);
      },
      async usage(id) {
        const row = usage.get(id) as { quota_bytes: number | null; used: number } | undefined;
        return { usedBytes: row?.used ?? 0, quotaBytes: row?.quota_bytes ?? null };
      },
      async remove(id, at) {
        remove.immediate(id, at);
      },
    };
  }

  private createTokenStore(): TokenStore {
    const db = this.db;
    const insert = db.prepare('INSERT INTO tokens (id, user_id, token_hash, device_name, created_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?)');
    const byHash = db.prepare(
      'SELECT t.id, t.user_id, t.device_name, t.created_at, t.last_used_at FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? AND u.removed_at IS NULL',
    );
    const touch = db.prepare('UPDATE tokens SET last_used_at = ? WHERE id = ?');
    const listForUser = db.prepare('SELECT id, user_id, device_name, created_at, last_used_at FROM tokens WHERE user_id = ? ORDER BY created_at, id');
    const revoke = db.prepare('DELETE FROM tokens WHERE user_id = ? AND id = ?');
    const revokeAll = db.prepare('DELETE FROM tokens WHERE user_id = ?');
    return {
      async create(token) {
        insert.run(token.id, token.userId, Buffer.from(token.tokenHash), token.deviceName, token.createdAt, token.lastUsedAt);
      },
      async findByHash(tokenHash) {
        const row = byHash.get(Buffer.from(tokenHash)) as TokenRow | undefined;
        return row === undefined ? null : toToken(row);
      },
      async touch(id, at) {
        touch.run(at, id);
      },
      async listForUser(userId) {
        return (listForUser.all(userId) as TokenRow[]).map(toToken);
      },
      async revoke(userId, id) {
        return revoke.run(userId, id).changes > 0;
      },
      async revokeAllForUser(userId) {
        return revokeAll.run(userId).changes;
      },
    };
  }

  private createLibraryStore(): LibraryStore {
    const db = this.db;
    const selectLibrary = `
      SELECT l.id, l.name, l.owner_id, u.name AS owner_name, l.chunking, l.head_seq, l.created_at, l.deleted_at, l.live_bytes,
             CASE WHEN l.owner_id = @user THEN 'owner' ELSE m.role END AS role
      FROM libraries l
      JOIN users u ON u.id = l.owner_id
      LEFT JOIN members m ON m.library_id = l.id AND m.user_id = @user`;
    const insert = db.prepare('INSERT INTO libraries (id, name, owner_id, chunking, created_at) VALUES (?, ?, ?, ?, ?)');
    const access = db.prepare(`${selectLibrary} WHERE l.id = @library AND (l.owner_id = @user OR m.user_id IS NOT NULL)`);
    const listLive = db.prepare(`${selectLibrary} WHERE (l.owner_id = @user OR m.user_id IS NOT NULL) AND l.deleted_at IS NULL ORDER BY l.name, l.id`);
    // Only the owner can restore a library, so the trash lists only the caller's own libraries.
    const listTrashed = db.prepare(`${selectLibrary} WHERE l.owner_id = @user AND l.deleted_at IS NOT NULL ORDER BY l.deleted_at DESC, l.id`);
    const rename = db.prepare('UPDATE libraries SET name = ? WHERE id = ?');
    const setDeletedAt = db.prepare('UPDATE libraries SET deleted_at = ? WHERE id = ?');
    const members = db.prepare(`
      SELECT u.id AS user_id, u.name AS user_name, 'owner' AS role, 0 AS rank FROM libraries l JOIN users u ON u.id = l.owner_id WHERE l.id = @library
      UNION ALL
      SELECT u.id, u.name, m.role, 1 FROM members m JOIN users u ON u.id = m.user_id WHERE m.library_id = @library
      ORDER BY rank, user_name`);
    const setMember = db.prepare(
      'INSERT INTO members (library_id, user_id, role) VALUES (?, ?, ?) ON CONFLICT (library_id, user_id) DO UPDATE SET role = excluded.role',
    );
    const removeMember = db.prepare('DELETE FROM members WHERE library_id = ? AND user_id = ?');
    const nameTaken = (name: string) => new NameTakenError(`you already have a library named ${JSON.stringify(name)}`);
    return {
      async create(library) {
        try {
          insert.run(library.id, library.name, library.ownerId, JSON.stringify(library.chunking), library.createdAt);
        } catch (error) {
          if (isUniqueViolation(error)) throw nameTaken(library.name);
          throw error;
        }
      },
      async accessFor(libraryId, userId) {
        const row = access.get({ library: libraryId, user: userId }) as LibraryRow | undefined;
        return row === undefined ? null : toLibrary(row);
      },
      async listFor(userId, which) {
        const statement = which === 'live' ? listLive : listTrashed;
        return (statement.all({ user: userId }) as LibraryRow[]).map(toLibrary);
      },
      async rename(libraryId, name) {
        try {
          rename.run(name, libraryId);
        } catch (error) {
          if (isUniqueViolation(error)) throw nameTaken(name);
          throw error;
        }
      },
      async setDeletedAt(libraryId, deletedAt) {
        try {
          setDeletedAt.run(deletedAt, libraryId);
        } catch (error) {
          if (isUniqueViolation(error)) throw new NameTakenError('you already have a live library with the same name: rename it first');
          throw error;
        }
      },
      async members(libraryId) {
        const rows = members.all({ library: libraryId }) as { user_id: string; user_name: string; role: LibraryRole }[];
        return rows.map((row): MemberRecord => ({ userId: row.user_id, userName: row.user_name, role: row.role }));
      },
      async setMember(libraryId, userId, role: MemberRole) {
        setMember.run(libraryId, userId, role);
      },
      async removeMember(libraryId, userId) {
        return removeMember.run(libraryId, userId).changes > 0;
      },
    };
  }

  private createChunkLinkStore(): ChunkLinkStore {
    const db = this.db;
    const durable = this.linksDurable;
    const syncNormal = db.prepare('PRAGMA synchronous = NORMAL');
    const syncFull = db.prepare('PRAGMA synchronous = FULL');
    const has = db.prepare('SELECT 1 FROM library_chunks WHERE library_id = ? AND chunk_id = ? AND damaged = 0').pluck();
    // A chunk uploaded again after it was found damaged is whole again.
    const insert = db.prepare(
      'INSERT INTO library_chunks (library_id, chunk_id, size) VALUES (?, ?, ?) ON CONFLICT (library_id, chunk_id) DO UPDATE SET damaged = 0 WHERE damaged = 1',
    );
    const linkAll = db.transaction((libraryId: string, chunks: readonly { id: ChunkId; size: number }[]) => {
      for (const chunk of chunks) insert.run(libraryId, Buffer.from(chunk.id, 'hex'), chunk.size);
    });
    const markDamaged = db.prepare('UPDATE library_chunks SET damaged = 1 WHERE chunk_id = ? AND library_id IN (SELECT id FROM libraries WHERE owner_id = ?)');
    const damaged = db.prepare('SELECT lower(hex(chunk_id)) FROM library_chunks WHERE library_id = ? AND damaged = 1 ORDER BY chunk_id LIMIT ?').pluck();
    const markAll = db.transaction((ownerId: string, ids: readonly ChunkId[]) => {
      for (const id of ids) markDamaged.run(Buffer.from(id, 'hex'), ownerId);
    });
    return {
      async missing(libraryId, ids) {
        const missing = new Set<ChunkId>();
        for (const id of ids) {
          if (!missing.has(id) && has.get(libraryId, Buffer.from(id, 'hex')) === undefined) missing.add(id);
        }
        return [...missing];
      },
      async link(libraryId, chunks) {
        // The one write an upload makes here, once per request: committed without an fsync on
        // the event loop, then made durable by an fsync of the log that concurrent uploads
        // share (walSync.ts), so the request is still acknowledged only once it is durable.
        // Every other write stays synchronous=FULL.
        syncNormal.run();
        try {
          linkAll.immediate(libraryId, chunks);
        } finally {
          syncFull.run();
        }
        durable.committed();
        await durable.sync();
      },
      async markDamaged(ownerId, ids) {
        markAll.immediate(ownerId, ids);
      },
      async damaged(libraryId, limit) {
        return damaged.all(libraryId, limit) as ChunkId[];
      },
    };
  }

  /**
   * Every row of every table, in an order that satisfies the foreign keys, in batches, read in
   * one transaction (a consistent snapshot even if a server writes meanwhile).
   */
  *dump(batchSize = 10_000): Generator<TableRows> {
    const tables: TableRows['table'][] = ['users', 'tokens', 'libraries', 'members', 'library_chunks', 'versions', 'heads', 'library_conflicts'];
    const order: Record<TableRows['table'], string> = {
      users: 'id',
      tokens: 'id',
      libraries: 'id',
      members: 'library_id, user_id',
      library_chunks: 'library_id, chunk_id',
      versions: 'library_id, rev',
      heads: 'library_id, path',
      library_conflicts: 'id',
    };
    this.db.prepare('BEGIN').run();
    try {
      for (const table of tables) {
        let rows: Record<string, unknown>[] = [];
        for (const row of this.db.prepare(`SELECT * FROM ${table} ORDER BY ${order[table]}`).iterate() as Iterable<Record<string, unknown>>) {
          rows.push(row);
          if (rows.length >= batchSize) {
            yield { table, rows };
            rows = [];
          }
        }
        if (rows.length > 0) yield { table, rows };
      }
    } finally {
      this.db.prepare('COMMIT').run();
    }
  }

  async *audit(): AsyncIterable<LibraryAudit> {
    const db = this.db;
    const libraries = db.prepare('SELECT id, owner_id, head_seq FROM libraries ORDER BY id').all() as { id: string; owner_id: string; head_seq: number }[];
    const counts = db.prepare('SELECT COUNT(*) AS count, COALESCE(MAX(rev), 0) AS max FROM versions WHERE library_id = ?');
    const links = db.prepare("SELECT hex(chunk_id) AS id, damaged FROM library_chunks WHERE library_id = ?");
    const lists = db.prepare('SELECT chunks FROM versions WHERE library_id = ?').pluck();
    for (const library of libraries) {
      const { count, max } = counts.get(library.id) as { count: number; max: number };
      const linked: ChunkId[] = [];
      const damaged: ChunkId[] = [];
      for (const row of links.all(library.id) as { id: string; damaged: number }[]) (row.damaged === 1 ? damaged : linked).push(row.id.toLowerCase());
      const referenced = new Set<ChunkId>();
      for (const list of lists.iterate(library.id) as Iterable<Buffer>) for (const chunk of decodeChunkList(list)) referenced.add(chunk.id);
      yield { libraryId: library.id, ownerId: library.owner_id, headSeq: library.head_seq, versionCount: count, maxRev: max, linked, damaged, referenced: [...referenced] };
    }
  }

  private createVersionStore(): VersionStore {
    const db = this.db;
    const headJoin = 'FROM heads h JOIN versions v ON v.library_id = h.library_id AND v.rev = h.rev';
    const head = db.prepare(`SELECT ${VERSION_COLUMNS} ${headJoin} WHERE h.library_id = ? AND h.path = ?`);
    const liveBelow = db.prepare(`SELECT ${VERSION_COLUMNS} ${headJoin} WHERE h.library_id = ? AND h.path > ? AND h.path < ? AND h.deleted = 0`);
    // A damaged chunk counts as missing: the client uploads it again before the commit applies.
    const chunkSize = db.prepare('SELECT size FROM library_chunks WHERE library_id = ? AND chunk_id = ? AND damaged = 0').pluck();
    const headSeq = db.prepare('SELECT head_seq FROM libraries WHERE id = ?').pluck();
    const setHeadSeq = db.prepare('UPDATE libraries SET head_seq = ?, live_bytes = live_bytes + ? WHERE id = ?');
    const ownerUsage = db.prepare(`
      SELECT u.quota_bytes, (SELECT COALESCE(SUM(o.live_bytes), 0) FROM libraries o WHERE o.owner_id = u.id AND o.deleted_at IS NULL) AS used
      FROM libraries l JOIN users u ON u.id = l.owner_id WHERE l.id = ?`);
    // Positional parameters: binding 16 named ones looked each up in an object, per version.
    const insertVersion = db.prepare(`
      INSERT INTO versions (library_id, rev, path, kind, deleted, size, mtime_ms, executable, content_hash, chunks,
                            moved_from, moved_to, device, user_name, committed_at, commit_start)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const upsertHead = db.prepare(
      'INSERT INTO heads (library_id, path, rev, deleted) VALUES (?, ?, ?, ?) ON CONFLICT (library_id, path) DO UPDATE SET rev = excluded.rev, deleted = excluded.deleted',
    );
    const changes = db.prepare(`SELECT ${VERSION_COLUMNS} ${headJoin} WHERE h.library_id = ? AND h.rev > ? ORDER BY h.rev LIMIT ?`);
    const history = db.prepare(`SELECT ${VERSION_COLUMNS} FROM versions v WHERE v.library_id = ? AND v.path = ? ORDER BY v.rev DESC`);
    const version = db.prepare(`SELECT ${VERSION_COLUMNS} FROM versions v WHERE v.library_id = ? AND v.rev = ? AND v.path = ?`);
    const versionAt = db.prepare(`SELECT ${VERSION_COLUMNS} FROM versions v WHERE v.library_id = ? AND v.path = ? AND v.rev <= ? ORDER BY v.rev DESC LIMIT 1`);
    const trash = db.prepare(
      `SELECT ${VERSION_COLUMNS} ${headJoin} WHERE h.library_id = ? AND h.deleted = 1 AND h.path > ? AND v.moved_to IS NULL ORDER BY h.path LIMIT ?`,
    );
    const lastLive = db.prepare(
      `SELECT ${VERSION_COLUMNS} FROM versions v WHERE v.library_id = ? AND v.path = ? AND v.rev < ? AND v.deleted = 0 ORDER BY v.rev DESC LIMIT 1`,
    );
    // The version of each path current at seq: the one with the greatest rev <= seq.
    const asOf = `
      FROM heads h JOIN versions v ON v.library_id = h.library_id AND v.rev = (
        SELECT MAX(x.rev) FROM versions x WHERE x.library_id = h.library_id AND x.path = h.path AND x.rev <= @seq)
      WHERE h.library_id = @library AND v.deleted = 0`;
    const snapshot = db.prepare(`SELECT ${VERSION_COLUMNS} ${asOf} AND h.path > @after ORDER BY h.path LIMIT @limit`);
    const subtree = db.prepare(`SELECT ${VERSION_COLUMNS} ${asOf} AND h.path > @from AND h.path < @to ORDER BY h.path`);
    const commitStart = db.prepare('SELECT commit_start FROM versions WHERE library_id = ? AND rev = ?').pluck();
    const seqAt = db.prepare('SELECT COALESCE(MAX(rev), 0) FROM versions WHERE library_id = ? AND committed_at <= ?').pluck();

    const commit = db.transaction((input: CommitInput): CommitOutcome => {
      // A commit naming a chunk the library lacks is refused whole, before anything applies.
      const claimed = new Map<ChunkId, number>();
      for (const change of input.changes) {
        if (change.op === 'put') for (const chunk of change.chunks) claimed.set(chunk.id, chunk.size);
      }
      const missing: ChunkId[] = [];
      for (const [id, size] of claimed) {
        const stored = chunkSize.get(input.libraryId, Buffer.from(id, 'hex')) as number | undefined;
        if (stored === undefined) missing.push(id);
        else if (stored !== size) return { kind: 'chunk-size-mismatch', chunkId: id, claimed: size, stored };
      }
      if (missing.length > 0) return { kind: 'missing-chunks', missing };

      const reader: CommitReader = {
        head(path) {
          const row = head.get(input.libraryId, path) as VersionRow | undefined;
          return row === undefined ? null : toEntry(row);
        },
        liveDescendants(folder) {
          return (liveBelow.all(input.libraryId, `${folder}/`, subtreeEnd(folder)) as VersionRow[]).map(toEntry);
        },
      };
      const current = headSeq.get(input.libraryId) as number | undefined;
      if (current === undefined) throw new Error(`library ${input.libraryId} does not exist`);
      const applied = applyChanges(reader, input.changes, {
        firstRev: current + 1,
        userName: input.userName,
        device: input.device,
        committedAt: input.committedAt,
      });
      // The quota, checked inside this immediate transaction: no other commit runs meanwhile.
      if (applied.liveBytesDelta > 0) {
        const owner = ownerUsage.get(input.libraryId) as { quota_bytes: number | null; used: number };
        if (owner.quota_bytes !== null && owner.used + applied.liveBytesDelta > owner.quota_bytes) {
          return { kind: 'quota-exceeded', usedBytes: owner.used, quotaBytes: owner.quota_bytes, addedBytes: applied.liveBytesDelta };
        }
      }
      for (const entry of applied.versions) {
        insertVersion.run(
          input.libraryId,
          entry.rev,
          entry.path,
          entry.kind,
          entry.deleted ? 1 : 0,
          entry.size,
          entry.mtimeMs,
          entry.executable ? 1 : 0,
          entry.contentHash,
          encodeChunkList(entry.chunks),
          entry.movedFrom ?? null,
          entry.movedTo ?? null,
          entry.device,
          entry.userName,
          entry.committedAt,
          current + 1,
        );
        upsertHead.run(input.libraryId, entry.path, entry.rev, entry.deleted ? 1 : 0);
      }
      const newHead = current + applied.versions.length;
      if (newHead !== current) setHeadSeq.run(newHead, applied.liveBytesDelta, input.libraryId);
      return { kind: 'committed', headSeq: newHead, results: applied.results };
    });

    const page = <Item>(rows: Item[], limit: number): Page<Item> => ({ items: rows.slice(0, limit), hasMore: rows.length > limit });

    return {
      async commit(input) {
        return commit.immediate(input);
      },
      async changes(libraryId, after, limit) {
        // Both reads run synchronously, with no commit possible in between.
        const rows = changes.all(libraryId, after, limit + 1) as VersionRow[];
        const head = (headSeq.get(libraryId) as number | undefined) ?? 0;
        return { ...page(rows.map(toEntry), limit), headSeq: head };
      },
      async headSeq(libraryId) {
        return (headSeq.get(libraryId) as number | undefined) ?? 0;
      },
      async head(libraryId, path) {
        const row = head.get(libraryId, path) as VersionRow | undefined;
        return row === undefined ? null : toEntry(row);
      },
      async history(libraryId, path) {
        return (history.all(libraryId, path) as VersionRow[]).map(toEntry);
      },
      async version(libraryId, path, rev) {
        const row = version.get(libraryId, rev, path) as VersionRow | undefined;
        return row === undefined ? null : toEntry(row);
      },
      async versionAt(libraryId, path, seq) {
        const row = versionAt.get(libraryId, path, seq) as VersionRow | undefined;
        return row === undefined ? null : toEntry(row);
      },
      async trash(libraryId, after, limit) {
        const rows = trash.all(libraryId, after ?? '', limit + 1) as VersionRow[];
        const items = rows.map((row) => {
          const deleted = toEntry(row);
          const live = lastLive.get(libraryId, row.path, row.rev) as VersionRow | undefined;
          // A deleted version always follows a live one; the fallback only guards a damaged database.
          return { deleted, lastLive: live === undefined ? { ...deleted, deleted: false } : toEntry(live) };
        });
        return page(items, limit);
      },
      async snapshot(libraryId, seq, after, limit) {
        const rows = snapshot.all({ library: libraryId, seq, after: after ?? '', limit: limit + 1 }) as VersionRow[];
        return page(rows.map(toEntry), limit);
      },
      async seqAt(libraryId, time) {
        return seqAt.get(libraryId, time) as number;
      },
      async subtreeAt(libraryId, folder, seq) {
        return (subtree.all({ library: libraryId, seq, from: `${folder}/`, to: subtreeEnd(folder) }) as VersionRow[]).map(toEntry);
      },
      async commitStart(libraryId, rev) {
        return (commitStart.get(libraryId, rev) as number | undefined) ?? null;
      },
    };
  }
}

/** Opens (creating and migrating if needed) the metadata database at `file`. */
export function openSqliteMetadataStore(file: string): SqliteMetadataStore {
  return new SqliteMetadataStore(file);
}
