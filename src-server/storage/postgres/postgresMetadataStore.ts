// The scale-out metadata store: the same MetadataStore as the embedded SQLite one, on
// PostgreSQL, so any number of server instances can share it. It passes the same conformance
// suite (test/server/storageConformance.ts).
//
// A commit is one READ COMMITTED transaction whose first statement locks the library's row
// (SELECT head_seq ... FOR UPDATE). Commits to one library therefore run one at a time across
// all instances, each statement after the lock sees every commit that finished before it, the
// revs a commit takes (head_seq + 1 ...) are written with head_seq in the same transaction, and
// a rollback or a killed instance gives them back: the feed has no gaps, and no reader sees rev
// r + 1 before rev r. (A SEQUENCE would let a later rev become visible first, and a polling
// client would skip the earlier one for good.) Commits to different libraries run in parallel.
//
// The commit rules (commitRules.ts) read synchronously; here the reads are round trips. So the
// store prefetches what the rules will ask for (the heads of every named path and its
// ancestors), runs the rules over that, and if they asked for something it had not fetched
// (a folder's live descendants, say) fetches it and runs them again. The rules are a pure
// function and the lock is held throughout, so the last run decides alone.

import type { PoolClient } from 'pg';
import type { ChunkId } from '../../../shared/model.js';
import { ancestorPaths } from '../../../shared/paths.js';
import type { LibraryPath } from '../../../shared/paths.js';
import type { Change, Entry, LibraryRole } from '../../../shared/protocol/index.js';
import { applyChanges } from '../../commitRules.js';
import type { CommitReader } from '../../commitRules.js';
import { NameTakenError } from '../metadataStore.js';
import type {
  ChunkLinkStore,
  CommitInput,
  ConflictStore,
  CommitOutcome,
  LibraryAudit,
  LibraryStore,
  MemberRecord,
  MetadataStore,
  Page,
  TableRows,
  TokenStore,
  UserStore,
  VersionStore,
} from '../metadataStore.js';
import { VERSION_COLUMNS, decodeChunkList, encodeChunkList, toConflict, toEntry, toLibrary, toToken, toUser } from '../storeRows.js';
import type { ConflictRow, LibraryRow, TokenRow, UserRow, VersionRow } from '../storeRows.js';
import { sqlState } from './postgresDatabase.js';
import type { PostgresDatabase } from './postgresDatabase.js';
import { commitNotification } from './postgresNotifier.js';

const HEAD_JOIN = 'FROM heads h JOIN versions v ON v.library_id = h.library_id AND v.rev = h.rev';

/** Most ids in one `= ANY($n)` lookup: beyond this the planner scans a whole library's chunks. */
const LOOKUP_BATCH = 1000;

const isUniqueViolation = (error: unknown) => sqlState(error) === '23505';

/** The first path after every path below `folder`: '/' is 0x2f and '0' is 0x30. */
function subtreeEnd(folder: string): string {
  return `${folder}0`;
}

/** Splits ids into lookup batches. */
function batches<Item>(items: readonly Item[], size = LOOKUP_BATCH): Item[][] {
  const result: Item[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

const hexToBytes = (id: ChunkId) => Buffer.from(id, 'hex');

function page<Item>(rows: Item[], limit: number): Page<Item> {
  return { items: rows.slice(0, limit), hasMore: rows.length > limit };
}

export class PostgresMetadataStore implements MetadataStore {
  readonly users: UserStore;
  readonly tokens: TokenStore;
  readonly libraries: LibraryStore;
  readonly chunks: ChunkLinkStore;
  readonly versions: VersionStore;
  readonly conflicts: ConflictStore;

  /**
   * `checkLocations`: the database also holds the S3 chunk store's index (scale-out backend), and
   * a commit counts a chunk as present only if the owner's store still locates it. This is the
   * commit-time re-check that makes garbage collection safe (gc.ts): a chunk swept after its
   * upload was checked is asked for again instead of being committed without bytes.
   */
  constructor(
    private readonly db: PostgresDatabase,
    private readonly options: { readonly checkLocations: boolean } = { checkLocations: false },
  ) {
    this.users = this.createUserStore();
    this.tokens = this.createTokenStore();
    this.libraries = this.createLibraryStore();
    this.chunks = this.createChunkLinkStore();
    this.versions = this.createVersionStore();
    this.conflicts = this.createConflictStore();
  }

  close(): Promise<void> {
    return this.db.close();
  }

  /**
   * The state of `cairn-server migrate` from this source: null before its metadata is copied,
   * else the digest of what was copied and whether the migration completed.
   */
  async migrationFrom(source: string): Promise<{ readonly digest: string; readonly completed: boolean } | null> {
    const { rows } = await this.db.query<{ source_digest: string; completed_at: number | null }>(
      'SELECT source_digest, completed_at FROM embedded_migrations WHERE source = $1',
      [source],
    );
    return rows[0] === undefined ? null : { digest: rows[0].source_digest, completed: rows[0].completed_at !== null };
  }

  /** The sources of migrations that copied their metadata but did not finish (a server must not serve). */
  async unfinishedMigrations(): Promise<string[]> {
    return (await this.db.query<{ source: string }>('SELECT source FROM embedded_migrations WHERE completed_at IS NULL ORDER BY source')).rows.map((row) => row.source);
  }

  /** Records that every chunk of the migration from `source` is copied and verified. */
  async completeMigration(source: string): Promise<void> {
    await this.db.query('UPDATE embedded_migrations SET completed_at = $2 WHERE source = $1', [source, Date.now()]);
  }

  /** Whether the database holds any user (a migration needs an empty target). */
  async isEmpty(): Promise<boolean> {
    return ((await this.db.query('SELECT 1 FROM users LIMIT 1')).rowCount ?? 0) === 0;
  }

  /**
   * Copies an embedded store's rows (SqliteMetadataStore.dump) in one transaction, keeping
   * ids, revs and times exactly, and records the source with the digest `digest()` gives once
   * every row was read. Chunks count as referenced when a version names them, and as linked
   * now. Returns the rows copied per table.
   */
  async restore(source: string, tables: Iterable<TableRows>, digest: () => string): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    const referenced = new Map<string, Set<ChunkId>>();
    const now = Date.now();
    await this.db.transaction(async (client) => {
      for (const { table, rows } of tables) {
        const columns = RESTORE_COLUMNS[table];
        if (table === 'versions') {
          for (const row of rows) {
            const ids = referenced.get(row.library_id as string) ?? new Set<ChunkId>();
            referenced.set(row.library_id as string, ids);
            for (const chunk of decodeChunkList(row.chunks as Buffer)) ids.add(chunk.id);
          }
        }
        const values = columns.map(([name, , convert]) => rows.map((row) => (name === 'linked_at' ? now : convert(row[name]))));
        await client.query(
          `INSERT INTO ${table} (${columns.map(([name]) => name).join(', ')})
           SELECT * FROM unnest(${columns.map(([, type], index) => `$${index + 1}::${type}[]`).join(', ')})`,
          values,
        );
        counts[table] = (counts[table] ?? 0) + rows.length;
      }
      for (const [libraryId, ids] of referenced) {
        for (const batch of batches([...ids].sort())) {
          await client.query('UPDATE library_chunks SET referenced = true WHERE library_id = $1 AND chunk_id = ANY($2::bytea[])', [libraryId, batch.map(hexToBytes)]);
        }
      }
      // Conflicts keep their ids; new ones number on from the greatest.
      await client.query("SELECT setval(pg_get_serial_sequence('library_conflicts', 'id'), max(id)) FROM library_conflicts HAVING count(*) > 0");
      await client.query('INSERT INTO embedded_migrations (source, source_digest, metadata_copied_at) VALUES ($1, $2, $3)', [source, digest(), now]);
    });
    return counts;
  }

  async *audit(): AsyncIterable<LibraryAudit> {
    const db = this.db;
    const { rows: libraries } = await db.query<{ id: string; owner_id: string; head_seq: number }>('SELECT id, owner_id, head_seq FROM libraries ORDER BY id');
    for (const library of libraries) {
      const { rows: counts } = await db.query<{ count: number; max: number }>(
        'SELECT count(*)::bigint AS count, COALESCE(max(rev), 0)::bigint AS max FROM versions WHERE library_id = $1',
        [library.id],
      );
      const { rows: links } = await db.query<{ id: string; damaged: boolean }>("SELECT encode(chunk_id, 'hex') AS id, damaged FROM library_chunks WHERE library_id = $1", [
        library.id,
      ]);
      const referenced = new Set<ChunkId>();
      const { rows: lists } = await db.query<{ chunks: Buffer }>('SELECT chunks FROM versions WHERE library_id = $1', [library.id]);
      for (const row of lists) for (const chunk of decodeChunkList(row.chunks)) referenced.add(chunk.id);
      yield {
        libraryId: library.id,
        ownerId: library.owner_id,
        headSeq: library.head_seq,
        versionCount: counts[0]!.count,
        maxRev: counts[0]!.max,
        linked: links.filter((row) => !row.damaged).map((row) => row.id),
        damaged: links.filter((row) => row.damaged).map((row) => row.id),
        referenced: [...referenced],
      };
    }
  }

  private createUserStore(): UserStore {
    const db = this.db;
    return {
      async create(user) {
        try {
          await db.query('INSERT INTO users (id, name, admin, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)', [
            user.id,
            user.name,
            user.admin,
            user.passwordHash,
            user.createdAt,
          ]);
        } catch (error) {
          if (isUniqueViolation(error)) throw new NameTakenError(`a user named ${user.name} exists already`);
          throw error;
        }
      },
      async byName(name) {
        const { rows } = await db.query<UserRow>('SELECT * FROM users WHERE name = $1', [name]);
        return rows[0] === undefined ? null : toUser(rows[0]);
      },
      async byId(id) {
        const { rows } = await db.query<UserRow>('SELECT * FROM users WHERE id = $1', [id]);
        return rows[0] === undefined ? null : toUser(rows[0]);
      },
      async list() {
        return (await db.query<UserRow>('SELECT * FROM users ORDER BY name')).rows.map(toUser);
      },
      async setPasswordHash(id, passwordHash) {
        await db.query('UPDATE users SET password_hash = $1 WHERE id = $2', [passwordHash, id]);
      },
      async setAdmin(id, admin) {
        await db.query('UPDATE users SET admin = $1 WHERE id = $2', [admin, id]);
      },
      async setQuota(id, quotaBytes) {
        await db.query('UPDATE users SET quota_bytes = $1 WHERE id = $2', [quotaBytes, id]);
      },
      async usage(id) {
        const { rows } = await db.query<{ quota_bytes: string | null; used: string }>(
          `SELECT u.quota_bytes, (SELECT COALESCE(SUM(l.live_bytes), 0) FROM libraries l WHERE l.owner_id = u.id AND l.deleted_at IS NULL) AS used
           FROM users u WHERE u.id = $1`,
          [id],
        );
        const row = rows[0];
        return { usedBytes: Number(row?.used ?? 0), quotaBytes: row?.quota_bytes === null || row === undefined ? null : Number(row.quota_bytes) };
      },
      async remove(id, at) {
        await db.transaction(async (client) => {
          await client.query('UPDATE users SET removed_at = $1 WHERE id = $2 AND removed_at IS NULL', [at, id]);
          await client.query('DELETE FROM tokens WHERE user_id = $1', [id]);
          await client.query('DELETE FROM members WHERE user_id = $1', [id]);
          await client.query('UPDATE libraries SET deleted_at = $1 WHERE owner_id = $2 AND deleted_at IS NULL', [at, id]);
        });
      },
    };
  }

  private createTokenStore(): TokenStore {
    const db = this.db;
    const columns = 'id, user_id, device_name, created_at, last_used_at';
    return {
      async create(token) {
        await db.query('INSERT INTO tokens (id, user_id, token_hash, device_name, created_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $6)', [
          token.id,
          token.userId,
          Buffer.from(token.tokenHash),
          token.deviceName,
          token.createdAt,
          token.lastUsedAt,
        ]);
      },
      async findByHash(tokenHash) {
        const { rows } = await db.query<TokenRow>(
          'SELECT t.id, t.user_id, t.device_name, t.created_at, t.last_used_at FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND u.removed_at IS NULL',
          [Buffer.from(tokenHash)],
        );
        return rows[0] === undefined ? null : toToken(rows[0]);
      },
      async touch(id, at) {
        await db.query('UPDATE tokens SET last_used_at = $1 WHERE id = $2', [at, id]);
      },
      async listForUser(userId) {
        return (await db.query<TokenRow>(`SELECT ${columns} FROM tokens WHERE user_id = $1 ORDER BY created_at, id`, [userId])).rows.map(toToken);
      },
      async revoke(userId, id) {
        return ((await db.query('DELETE FROM tokens WHERE user_id = $1 AND id = $2', [userId, id])).rowCount ?? 0) > 0;
      },
      async revokeAllForUser(userId) {
        return (await db.query('DELETE FROM tokens WHERE user_id = $1', [userId])).rowCount ?? 0;
      },
    };
  }

  private createLibraryStore(): LibraryStore {
    const db = this.db;
    // $1 is always the user the role is computed for.
    const selectLibrary = `
      SELECT l.id, l.name, l.owner_id, u.name AS owner_name, l.chunking, l.head_seq, l.created_at, l.deleted_at, l.live_bytes,
             CASE WHEN l.owner_id = $1 THEN 'owner' ELSE m.role END AS role
      FROM libraries l
      JOIN users u ON u.id = l.owner_id
      LEFT JOIN members m ON m.library_id = l.id AND m.user_id = $1`;
    const nameTaken = (name: string) => new NameTakenError(`you already have a library named ${JSON.stringify(name)}`);
    return {
      async create(library) {
        try {
          await db.query('INSERT INTO libraries (id, name, owner_id, chunking, created_at) VALUES ($1, $2, $3, $4, $5)', [
            library.id,
            library.name,
            library.ownerId,
            JSON.stringify(library.chunking),
            library.createdAt,
          ]);
        } catch (error) {
          if (isUniqueViolation(error)) throw nameTaken(library.name);
          throw error;
        }
      },
      async accessFor(libraryId, userId) {
        const { rows } = await db.query<LibraryRow>(`${selectLibrary} WHERE l.id = $2 AND (l.owner_id = $1 OR m.user_id IS NOT NULL)`, [userId, libraryId]);
        return rows[0] === undefined ? null : toLibrary(rows[0]);
      },
      async listFor(userId, which) {
        // Only the owner can restore a library, so the trash lists only the caller's own libraries.
        const sql =
          which === 'live'
            ? `${selectLibrary} WHERE (l.owner_id = $1 OR m.user_id IS NOT NULL) AND l.deleted_at IS NULL ORDER BY l.name, l.id`
            : `${selectLibrary} WHERE l.owner_id = $1 AND l.deleted_at IS NOT NULL ORDER BY l.deleted_at DESC, l.id`;
        return (await db.query<LibraryRow>(sql, [userId])).rows.map(toLibrary);
      },
      async rename(libraryId, name) {
        try {
          await db.query('UPDATE libraries SET name = $1 WHERE id = $2', [name, libraryId]);
        } catch (error) {
          if (isUniqueViolation(error)) throw nameTaken(name);
          throw error;
        }
      },
      async setDeletedAt(libraryId, deletedAt) {
        try {
          await db.query('UPDATE libraries SET deleted_at = $1 WHERE id = $2', [deletedAt, libraryId]);
        } catch (error) {
          if (isUniqueViolation(error)) throw new NameTakenError('you already have a live library with the same name: rename it first');
          throw error;
        }
      },
      async members(libraryId) {
        const { rows } = await db.query<{ user_id: string; user_name: string; role: LibraryRole }>(
          `SELECT u.id AS user_id, u.name AS user_name, 'owner' AS role, 0 AS rank FROM libraries l JOIN users u ON u.id = l.owner_id WHERE l.id = $1
           UNION ALL
           SELECT u.id, u.name, m.role, 1 FROM members m JOIN users u ON u.id = m.user_id WHERE m.library_id = $1
           ORDER BY rank, user_name`,
          [libraryId],
        );
        return rows.map((row): MemberRecord => ({ userId: row.user_id, userName: row.user_name, role: row.role }));
      },
      async setMember(libraryId, userId, role) {
        await db.query(
          'INSERT INTO members (library_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT (library_id, user_id) DO UPDATE SET role = excluded.role',
          [libraryId, userId, role],
        );
      },
      async removeMember(libraryId, userId) {
        return ((await db.query('DELETE FROM members WHERE library_id = $1 AND user_id = $2', [libraryId, userId])).rowCount ?? 0) > 0;
      },
    };
  }

  private createConflictStore(): ConflictStore {
    const db = this.db;
    const columns = 'id, library_id, path, conflict_path, remote_rev, base_rev, device, user_name, created_at, resolved_at';
    return {
      async open(libraryId) {
        const { rows } = await db.query<ConflictRow>(`SELECT ${columns} FROM library_conflicts WHERE library_id = $1 AND resolved_at IS NULL ORDER BY id LIMIT 10000`, [libraryId]);
        return rows.map(toConflict);
      },
      async report(input) {
        // The same path and copy again answers the record there is, whoever reported it first.
        const { rows } = await db.query<ConflictRow>(
          `WITH inserted AS (
             INSERT INTO library_conflicts (library_id, path, conflict_path, remote_rev, base_rev, device, user_name, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (library_id, path, conflict_path) DO NOTHING
             RETURNING ${columns}
           )
           SELECT ${columns} FROM inserted
           UNION ALL
           SELECT ${columns} FROM library_conflicts WHERE library_id = $1 AND path = $2 AND conflict_path = $3 AND NOT EXISTS (SELECT 1 FROM inserted)`,
          [input.libraryId, input.path, input.conflictPath, input.remoteRev, input.baseRev, input.device, input.userName, input.createdAt],
        );
        return toConflict(rows[0]!);
      },
      async resolve(libraryId, id, by, resolution, at) {
        const { rowCount } = await db.query(
          'UPDATE library_conflicts SET resolved_at = $1, resolved_by = $2, resolution = $3 WHERE library_id = $4 AND id = $5 AND resolved_at IS NULL',
          [at, by, resolution, libraryId, id],
        );
        return (rowCount ?? 0) > 0;
      },
    };
  }

  private createChunkLinkStore(): ChunkLinkStore {
    const db = this.db;
    return {
      async missing(libraryId, ids) {
        const unique = [...new Set(ids)];
        const present = new Set<ChunkId>();
        for (const batch of batches(unique)) {
          const { rows } = await db.query<{ id: string }>(
            "SELECT encode(chunk_id, 'hex') AS id FROM library_chunks WHERE library_id = $1 AND chunk_id = ANY($2::bytea[]) AND NOT damaged",
            [libraryId, batch.map(hexToBytes)],
          );
          for (const row of rows) present.add(row.id);
        }
        return unique.filter((id) => !present.has(id));
      },
      async link(libraryId, chunks) {
        // Sorted and without duplicates: one upsert may not touch a row twice, and two
        // concurrent links of overlapping sets must lock rows in the same order (no deadlock).
        const bySize = new Map<ChunkId, number>();
        for (const chunk of chunks) bySize.set(chunk.id, chunk.size);
        const sorted = [...bySize.keys()].sort();
        const now = Date.now();
        for (const batch of batches(sorted)) {
          await db.query(
            `INSERT INTO library_chunks (library_id, chunk_id, size, linked_at)
             SELECT $1, id, size, $4 FROM unnest($2::bytea[], $3::integer[]) AS input(id, size)
             ON CONFLICT (library_id, chunk_id) DO UPDATE SET linked_at = excluded.linked_at, damaged = false`,
            [libraryId, batch.map(hexToBytes), batch.map((id) => bySize.get(id)!), now],
          );
        }
      },
      async markDamaged(ownerId, ids) {
        for (const batch of batches([...new Set(ids)].sort())) {
          await db.query(
            'UPDATE library_chunks SET damaged = true WHERE chunk_id = ANY($2::bytea[]) AND library_id IN (SELECT id FROM libraries WHERE owner_id = $1)',
            [ownerId, batch.map(hexToBytes)],
          );
        }
      },
      async damaged(libraryId, limit) {
        const { rows } = await db.query<{ id: string }>(
          "SELECT encode(chunk_id, 'hex') AS id FROM library_chunks WHERE library_id = $1 AND damaged ORDER BY chunk_id LIMIT $2",
          [libraryId, limit],
        );
        return rows.map((row) => row.id);
      },
    };
  }

  private createVersionStore(): VersionStore {
    const db = this.db;
    // The version of each path current at seq: the one with the greatest rev <= seq.
    const asOf = `
      FROM heads h JOIN LATERAL (
        SELECT * FROM versions x WHERE x.library_id = h.library_id AND x.path = h.path AND x.rev <= $2 ORDER BY x.rev DESC LIMIT 1
      ) v ON true
      WHERE h.library_id = $1 AND NOT v.deleted`;

    const headSeqOf = async (libraryId: string) =>
      (await db.query<{ head_seq: number }>('SELECT head_seq FROM libraries WHERE id = $1', [libraryId])).rows[0]?.head_seq ?? 0;

    return {
      commit: (input) => db.transaction((client) => commitIn(client, input, this.options.checkLocations)),
      async changes(libraryId, after, limit) {
        // One statement, so one snapshot: the head is never below the last rev returned.
        const { rows } = await db.query<VersionRow & { head: number }>(
          `SELECT l.head_seq AS head, x.* FROM libraries l
           LEFT JOIN LATERAL (
             SELECT ${VERSION_COLUMNS} ${HEAD_JOIN} WHERE h.library_id = l.id AND h.rev > $2 ORDER BY h.rev LIMIT $3
           ) x ON true
           WHERE l.id = $1`,
          [libraryId, after, limit + 1],
        );
        const head = rows[0]?.head ?? 0;
        const entries = rows.filter((row) => row.rev !== null).map(toEntry);
        return { ...page(entries, limit), headSeq: head };
      },
      headSeq: headSeqOf,
      async head(libraryId, path) {
        const { rows } = await db.query<VersionRow>(`SELECT ${VERSION_COLUMNS} ${HEAD_JOIN} WHERE h.library_id = $1 AND h.path = $2`, [libraryId, path]);
        return rows[0] === undefined ? null : toEntry(rows[0]);
      },
      async history(libraryId, path) {
        const { rows } = await db.query<VersionRow>(`SELECT ${VERSION_COLUMNS} FROM versions v WHERE v.library_id = $1 AND v.path = $2 ORDER BY v.rev DESC`, [
          libraryId,
          path,
        ]);
        return rows.map(toEntry);
      },
      async version(libraryId, path, rev) {
        const { rows } = await db.query<VersionRow>(`SELECT ${VERSION_COLUMNS} FROM versions v WHERE v.library_id = $1 AND v.rev = $2 AND v.path = $3`, [
          libraryId,
          rev,
          path,
        ]);
        return rows[0] === undefined ? null : toEntry(rows[0]);
      },
      async versionAt(libraryId, path, seq) {
        const { rows } = await db.query<VersionRow>(
          `SELECT ${VERSION_COLUMNS} FROM versions v WHERE v.library_id = $1 AND v.path = $2 AND v.rev <= $3 ORDER BY v.rev DESC LIMIT 1`,
          [libraryId, path, seq],
        );
        return rows[0] === undefined ? null : toEntry(rows[0]);
      },
      async trash(libraryId, after, limit) {
        const { rows } = await db.query<VersionRow & { live: VersionRow | null }>(
          `SELECT ${VERSION_COLUMNS}, (
             SELECT row_to_json(l) FROM (
               SELECT ${VERSION_COLUMNS.replaceAll('v.', 'p.')} FROM versions p
               WHERE p.library_id = v.library_id AND p.path = v.path AND p.rev < v.rev AND NOT p.deleted ORDER BY p.rev DESC LIMIT 1
             ) l
           ) AS live
           ${HEAD_JOIN} WHERE h.library_id = $1 AND h.deleted AND h.path > $2 AND v.moved_to IS NULL ORDER BY h.path LIMIT $3`,
          [libraryId, after ?? '', limit + 1],
        );
        const items = rows.map((row) => {
          const deleted = toEntry(row);
          // A deleted version always follows a live one; the fallback only guards a damaged database.
          return { deleted, lastLive: row.live === null ? { ...deleted, deleted: false } : toEntry(fromJsonRow(row.live)) };
        });
        return page(items, limit);
      },
      async snapshot(libraryId, seq, after, limit) {
        const { rows } = await db.query<VersionRow>(`SELECT ${VERSION_COLUMNS} ${asOf} AND h.path > $3 ORDER BY h.path LIMIT $4`, [
          libraryId,
          seq,
          after ?? '',
          limit + 1,
        ]);
        return page(rows.map(toEntry), limit);
      },
      async seqAt(libraryId, time) {
        const { rows } = await db.query<{ seq: number }>('SELECT COALESCE(MAX(rev), 0) AS seq FROM versions WHERE library_id = $1 AND committed_at <= $2', [libraryId, time]);
        return rows[0]?.seq ?? 0;
      },
      async subtreeAt(libraryId, folder, seq) {
        const { rows } = await db.query<VersionRow>(`SELECT ${VERSION_COLUMNS} ${asOf} AND h.path > $3 AND h.path < $4 ORDER BY h.path`, [
          libraryId,
          seq,
          `${folder}/`,
          subtreeEnd(folder),
        ]);
        return rows.map(toEntry);
      },
      async commitStart(libraryId, rev) {
        const { rows } = await db.query<{ commit_start: number }>('SELECT commit_start FROM versions WHERE library_id = $1 AND rev = $2', [libraryId, rev]);
        return rows[0]?.commit_start ?? null;
      },
    };
  }
}

type Convert = (value: unknown) => unknown;
const same: Convert = (value) => value;
const flag: Convert = (value) => value === 1 || value === true;

/** The columns `restore` copies per table: name, PostgreSQL array element type, conversion from SQLite. */
const RESTORE_COLUMNS: Record<TableRows['table'], readonly (readonly [string, string, Convert])[]> = {
  users: [
    ['id', 'text', same], ['name', 'text', same], ['admin', 'boolean', flag], ['password_hash', 'text', same], ['created_at', 'bigint', same], ['removed_at', 'bigint', same],
    ['quota_bytes', 'bigint', same],
  ],
  tokens: [['id', 'text', same], ['user_id', 'text', same], ['token_hash', 'bytea', same], ['device_name', 'text', same], ['created_at', 'bigint', same], ['last_used_at', 'bigint', same]],
  libraries: [['id', 'text', same], ['name', 'text', same], ['owner_id', 'text', same], ['chunking', 'jsonb', same], ['head_seq', 'bigint', same], ['created_at', 'bigint', same], ['deleted_at', 'bigint', same], ['live_bytes', 'bigint', same]],
  members: [['library_id', 'text', same], ['user_id', 'text', same], ['role', 'text', same]],
  library_chunks: [['library_id', 'text', same], ['chunk_id', 'bytea', same], ['size', 'integer', same], ['damaged', 'boolean', flag], ['linked_at', 'bigint', same]],
  versions: [
    ['library_id', 'text', same], ['rev', 'bigint', same], ['path', 'text', same], ['kind', 'text', same], ['deleted', 'boolean', flag], ['size', 'bigint', same],
    ['mtime_ms', 'double precision', same], ['executable', 'boolean', flag], ['content_hash', 'text', same], ['chunks', 'bytea', same],
    ['moved_from', 'text', same], ['moved_to', 'text', same], ['device', 'text', same], ['user_name', 'text', same], ['committed_at', 'bigint', same], ['commit_start', 'bigint', same],
  ],
  heads: [['library_id', 'text', same], ['path', 'text', same], ['rev', 'bigint', same], ['deleted', 'boolean', flag]],
  library_conflicts: [
    ['id', 'bigint', same], ['library_id', 'text', same], ['path', 'text', same], ['conflict_path', 'text', same], ['remote_rev', 'bigint', same], ['base_rev', 'bigint', same],
    ['device', 'text', same], ['user_name', 'text', same], ['created_at', 'bigint', same], ['resolved_at', 'bigint', same], ['resolved_by', 'text', same], ['resolution', 'text', same],
  ],
};

/** A version row that went through row_to_json: bytea as '\x...' text, bigints as numbers. */
function fromJsonRow(row: VersionRow): VersionRow {
  const chunks = row.chunks as unknown as string;
  return { ...row, chunks: Buffer.from(chunks.slice(2), 'hex') };
}

/** Heads (with their versions) of these paths; absent paths are missing from the map. */
async function fetchHeads(client: PoolClient, libraryId: string, paths: readonly string[]): Promise<Map<string, Entry>> {
  const found = new Map<string, Entry>();
  for (const batch of batches(paths)) {
    const { rows } = await client.query<VersionRow>(`SELECT ${VERSION_COLUMNS} ${HEAD_JOIN} WHERE h.library_id = $1 AND h.path = ANY($2::text[])`, [
      libraryId,
      batch,
    ]);
    for (const row of rows) found.set(row.path, toEntry(row));
  }
  return found;
}

async function fetchLiveDescendants(client: PoolClient, libraryId: string, folder: string): Promise<Entry[]> {
  const { rows } = await client.query<VersionRow>(`SELECT ${VERSION_COLUMNS} ${HEAD_JOIN} WHERE h.library_id = $1 AND h.path > $2 AND h.path < $3 AND NOT h.deleted`, [
    libraryId,
    `${folder}/`,
    subtreeEnd(folder),
  ]);
  return rows.map(toEntry);
}

/** Every path a change names, with its ancestors: what the rules read for ordinary commits. */
function namedPaths(changes: readonly Change[]): Set<string> {
  const paths = new Set<string>();
  const add = (path: LibraryPath) => {
    paths.add(path);
    for (const ancestor of ancestorPaths(path)) paths.add(ancestor);
  };
  for (const change of changes) {
    if (change.op === 'move') {
      add(change.from);
      add(change.to);
    } else {
      add(change.path);
    }
  }
  return paths;
}

/** The body of a commit, inside its transaction; see the comment at the top of the file. */
async function commitIn(client: PoolClient, input: CommitInput, checkLocations: boolean): Promise<CommitOutcome> {
  // A commit waits at most this long for another commit to the same library.
  await client.query("SET LOCAL lock_timeout = '10s'");
  // The library's commit lock, alone in the first statement: every statement after it takes a
  // new snapshot that includes every commit finished before the lock was granted.
  const locked = await client.query<{ head_seq: number; owner_id: string }>('SELECT head_seq, owner_id FROM libraries WHERE id = $1 FOR UPDATE', [input.libraryId]);
  const current = locked.rows[0]?.head_seq;
  if (current === undefined) throw new Error(`library ${input.libraryId} does not exist`);
  const ownerId = locked.rows[0]!.owner_id;

  // A commit naming a chunk the library lacks is refused whole, before anything applies.
  const claimed = new Map<ChunkId, number>();
  for (const change of input.changes) {
    if (change.op === 'put') for (const chunk of change.chunks) claimed.set(chunk.id, chunk.size);
  }
  const stored = new Map<ChunkId, number>();
  for (const batch of batches([...claimed.keys()])) {
    // A damaged chunk counts as missing: the client uploads it again before the commit applies.
    const located = checkLocations ? 'AND EXISTS (SELECT 1 FROM chunk_locations c WHERE c.owner_id = $3 AND c.chunk_id = l.chunk_id)' : 'AND $3::text IS NOT NULL';
    const { rows } = await client.query<{ id: string; size: number }>(
      `SELECT encode(l.chunk_id, 'hex') AS id, l.size FROM library_chunks l
       WHERE l.library_id = $1 AND l.chunk_id = ANY($2::bytea[]) AND NOT l.damaged ${located}`,
      [input.libraryId, batch.map(hexToBytes), ownerId],
    );
    for (const row of rows) stored.set(row.id, row.size);
  }
  const missing: ChunkId[] = [];
  for (const [id, size] of claimed) {
    const storedSize = stored.get(id);
    if (storedSize === undefined) missing.push(id);
    else if (storedSize !== size) return { kind: 'chunk-size-mismatch', chunkId: id, claimed: size, stored: storedSize };
  }
  if (missing.length > 0) return { kind: 'missing-chunks', missing };

  const heads = new Map<string, Entry | null>();
  const descendants = new Map<string, Entry[]>();
  let wantedHeads = namedPaths(input.changes);
  let wantedDescendants = new Set<string>();
  let applied: ReturnType<typeof applyChanges>;
  for (;;) {
    const newHeads = [...wantedHeads].filter((path) => !heads.has(path));
    const found = await fetchHeads(client, input.libraryId, newHeads);
    for (const path of newHeads) heads.set(path, found.get(path) ?? null);
    for (const folder of wantedDescendants) {
      if (!descendants.has(folder)) descendants.set(folder, await fetchLiveDescendants(client, input.libraryId, folder));
    }
    wantedHeads = new Set();
    wantedDescendants = new Set();
    const reader: CommitReader = {
      head(path) {
        if (!heads.has(path)) wantedHeads.add(path);
        return heads.get(path) ?? null;
      },
      liveDescendants(folder) {
        if (!descendants.has(folder)) wantedDescendants.add(folder);
        return descendants.get(folder) ?? [];
      },
    };
    applied = applyChanges(reader, input.changes, {
      firstRev: current + 1,
      userName: input.userName,
      device: input.device,
      committedAt: input.committedAt,
    });
    if (wantedHeads.size === 0 && wantedDescendants.size === 0) break;
  }

  // The quota. Commits to one owner's libraries that add bytes take the owner's row lock (after
  // their library's: always in that order), so two of them, on any instance, never both pass
  // on the same usage; the sum below is read after the lock, seeing every commit before it.
  if (applied.liveBytesDelta > 0) {
    const quota = await client.query<{ quota_bytes: string | null }>('SELECT quota_bytes FROM users WHERE id = $1', [ownerId]);
    if (quota.rows[0]?.quota_bytes !== null && quota.rows[0] !== undefined) {
      const locked = await client.query<{ quota_bytes: string | null }>('SELECT quota_bytes FROM users WHERE id = $1 FOR UPDATE', [ownerId]);
      const limit = locked.rows[0]?.quota_bytes ?? null;
      if (limit !== null) {
        const { rows } = await client.query<{ used: string }>('SELECT COALESCE(SUM(live_bytes), 0) AS used FROM libraries WHERE owner_id = $1 AND deleted_at IS NULL', [ownerId]);
        const used = Number(rows[0]?.used ?? 0);
        if (used + applied.liveBytesDelta > Number(limit)) {
          return { kind: 'quota-exceeded', usedBytes: used, quotaBytes: Number(limit), addedBytes: applied.liveBytesDelta };
        }
      }
    }
  }

  const versions = applied.versions;
  if (versions.length > 0) {
    const newHead = current + versions.length;
    // A commit may write one path twice (a put, then a move away); its head is the last one.
    const lastByPath = new Map<string, Entry>();
    for (const entry of versions) lastByPath.set(entry.path, entry);
    const headRows = [...lastByPath.values()];
    // The mark garbage collection relies on: a chunk some version names is never unlinked.
    // Large lists go in batches first (a huge ANY array misleads the planner); a usual one
    // rides in the statement below.
    const named = [...claimed.keys()].sort();
    const inline = named.length <= LOOKUP_BATCH ? named : [];
    if (inline.length === 0) {
      for (const batch of batches(named)) {
        await client.query('UPDATE library_chunks SET referenced = true WHERE library_id = $1 AND chunk_id = ANY($2::bytea[]) AND NOT referenced', [
          input.libraryId,
          batch.map(hexToBytes),
        ]);
      }
    }
    // The versions, the heads, the chunk marks, the counter and the announcement in one
    // statement (one round trip while the library's lock is held); every part of a WITH runs
    // to completion. The announcement reaches every instance's listener when (and only if)
    // this transaction commits.
    await client.query(
      `WITH new_versions AS (
         INSERT INTO versions (library_id, rev, path, kind, deleted, size, mtime_ms, executable, content_hash, chunks,
                               moved_from, moved_to, device, user_name, committed_at, commit_start)
         SELECT $1, rev, path, kind, deleted, size, mtime_ms, executable, content_hash, chunks, moved_from, moved_to, $13, $14, $15, $16
         FROM unnest($2::bigint[], $3::text[], $4::text[], $5::boolean[], $6::bigint[], $7::double precision[], $8::boolean[],
                     $9::text[], $10::bytea[], $11::text[], $12::text[])
              AS input(rev, path, kind, deleted, size, mtime_ms, executable, content_hash, chunks, moved_from, moved_to)
       ),
       new_heads AS (
         INSERT INTO heads (library_id, path, rev, deleted)
         SELECT $1, path, rev, deleted FROM unnest($17::text[], $18::bigint[], $19::boolean[]) AS input(path, rev, deleted)
         ON CONFLICT (library_id, path) DO UPDATE SET rev = excluded.rev, deleted = excluded.deleted
       ),
       marked AS (
         UPDATE library_chunks SET referenced = true WHERE library_id = $1 AND chunk_id = ANY($20::bytea[]) AND NOT referenced
       ),
       counter AS (
         UPDATE libraries SET head_seq = $21, live_bytes = live_bytes + $24 WHERE id = $1
       )
       SELECT pg_notify($22, $23)`,
      [
        input.libraryId,
        versions.map((entry) => entry.rev),
        versions.map((entry) => entry.path),
        versions.map((entry) => entry.kind),
        versions.map((entry) => entry.deleted),
        versions.map((entry) => entry.size),
        versions.map((entry) => entry.mtimeMs),
        versions.map((entry) => entry.executable),
        versions.map((entry) => entry.contentHash),
        versions.map((entry) => encodeChunkList(entry.chunks)),
        versions.map((entry) => entry.movedFrom ?? null),
        versions.map((entry) => entry.movedTo ?? null),
        input.device,
        input.userName,
        input.committedAt,
        current + 1,
        headRows.map((entry) => entry.path),
        headRows.map((entry) => entry.rev),
        headRows.map((entry) => entry.deleted),
        inline.map(hexToBytes),
        newHead,
        ...commitNotification(input.libraryId, newHead),
        applied.liveBytesDelta,
      ],
    );
    return { kind: 'committed', headSeq: newHead, results: applied.results };
  }
  return { kind: 'committed', headSeq: current, results: applied.results };
}

/** Opens the metadata store on a database (which it then owns one share of). */
export function openPostgresMetadataStore(db: PostgresDatabase): PostgresMetadataStore {
  return new PostgresMetadataStore(db);
}
