// The client's local index: one SQLite database per client profile, holding the profile's
// settings, the libraries synced on this device and, per library, the three states the planner
// works from. This is the only module on the client that imports better-sqlite3.
//
// Durability: WAL with synchronous=FULL. NORMAL would be enough to keep the file consistent,
// but a power cut could then roll back the last committed transactions. Most of those are
// repaired by the next scan (disk changes are made durable before the index records them), but
// not all: a pending commit must be on disk before its request leaves, or after a crash we would
// not know the server may already have applied it; the change-feed cursor and conflict records
// should not go back either. FULL costs one WAL fsync per transaction, and the engine writes in
// batches, so that is a few fsyncs per sync round, against one per downloaded file anyway.
//
// Better-sqlite3 is synchronous: every call blocks the thread it runs on. Loading 100,000
// entries takes a fraction of a second; callers on a UI thread should run the engine elsewhere.

import Database from 'better-sqlite3';
import { chmodSync, closeSync, openSync } from 'node:fs';
import type { ChunkRef, ChunkingParams } from '../../../shared/model.js';
import type { LibraryPath } from '../../../shared/paths.js';
import type { LocalEntry, Node, RemoteEntry, SyncedEntry } from '../syncModel.js';
import { CHUNK_RECORD_BYTES, decodeContentHex, encodeContent, encodeHash } from './chunkCodec.js';
import type {
  AccountRecord,
  ConflictBase,
  ConflictRecord,
  ConflictResolution,
  ConflictSide,
  LibraryId,
  LibraryRecord,
  LibraryState,
  LibraryUpdate,
  NewConflict,
  NewAccount,
  NewConflictSide,
  NewLibrary,
  PendingCommit,
  ProblemInput,
  ProblemKind,
  ProblemRecord,
  ProblemKey,
  ProblemScope,
  ProfileSettingKey,
  ProfileSettings,
} from './indexRecords.js';
import { migrate } from './migrations.js';

/**
 * What an entry of one state can share with the entry of another state at the same path (see
 * EntryTable.load). Shared objects are never modified: entries, nodes and chunk lists are
 * read-only values throughout the engine.
 */
export interface SharedContent {
  readonly path: LibraryPath;
  readonly node: Node;
  readonly chunks: readonly ChunkRef[];
}

/** One of the three entry states of every library, as a table. */
export interface EntryTable<E extends { readonly path: LibraryPath }> {
  get(libraryId: LibraryId, path: LibraryPath): E | undefined;
  /**
   * The entries at these paths (those that have one), by path: what `get` answers for each, in
   * one query per few thousand paths instead of one query each (a 1,000-file folder renamed
   * made a pass plan from ~8,000 single reads).
   */
  getMany(libraryId: LibraryId, paths: Iterable<LibraryPath>): Map<LibraryPath, E>;
  /** Inserts or replaces the entry at `entry.path`. */
  put(libraryId: LibraryId, entry: E): void;
  /** Inserts or replaces many entries in one transaction. */
  putMany(libraryId: LibraryId, entries: Iterable<E>): void;
  /** True when an entry was there. */
  delete(libraryId: LibraryId, path: LibraryPath): boolean;
  deleteMany(libraryId: LibraryId, paths: Iterable<LibraryPath>): void;
  /** Deletes `folder` and everything below it; returns how many entries went. */
  deleteBelow(libraryId: LibraryId, folder: LibraryPath): number;
  /** Replaces all of the library's entries in this state with `entries`, in one transaction. */
  replaceAll(libraryId: LibraryId, entries: Iterable<E>): void;
  /**
   * The entries in UTF-8 byte order of their paths (a folder comes right before its contents
   * only when no sibling name sorts between them: 'a', 'a-b', 'a/x'), optionally only `below`
   * a folder (the folder itself included). Lazy: no other index call may be made until the
   * iteration ends, because the connection is busy meanwhile. Use `load` to get a Map.
   */
  iterate(libraryId: LibraryId, options?: { readonly below?: LibraryPath }): IterableIterator<E>;
  /** The entries of `folder` and everything below it, by path: `iterate` with `below`, as a Map, read at once. */
  loadBelow(libraryId: LibraryId, folder: LibraryPath): Map<LibraryPath, E>;
  /**
   * The paths and kinds of the entries directly in `folder` ('' for the library's root), not
   * below its subfolders, by path: cheap for a folder of thousands (no content is decoded).
   */
  children(libraryId: LibraryId, folder: LibraryPath | ''): { readonly path: LibraryPath; readonly kind: 'file' | 'dir' }[];
  /**
   * All of the library's entries as a Map. With `shareWith` (another state of the library,
   * loaded already), an entry whose content equals the other state's entry at the same path
   * takes that entry's path, node and chunk list objects instead of copies of its own: in a
   * library that is in sync, the second and third states then cost a fraction of the first.
   */
  load(libraryId: LibraryId, options?: { readonly shareWith?: ReadonlyMap<LibraryPath, SharedContent> }): Map<LibraryPath, E>;
  count(libraryId: LibraryId): number;
  /** How many of the library's entries are files. */
  countFiles(libraryId: LibraryId): number;
}

/** A path whose states disagree (see Index.pendingBelow), with the kind it has on the side that has it. */
export interface PendingPath {
  readonly path: LibraryPath;
  readonly kind: 'file' | 'dir';
  readonly side: 'upload' | 'download';
}

export interface Index {
  /** The database file, or ':memory:' (no WAL then; for tests). */
  readonly file: string;
  readonly profile: {
    get(): ProfileSettings;
    /** Sets the given settings; a null value removes that setting. */
    set(patch: { readonly [K in ProfileSettingKey]?: string | null }): void;
  };
  readonly accounts: {
    list(): AccountRecord[];
    get(accountId: string): AccountRecord | undefined;
    /** The account of `user` at `serverUrl` (normalized), if the profile has it. */
    find(serverUrl: string, user: string): AccountRecord | undefined;
    add(account: NewAccount): AccountRecord;
    /** A new login of the account: this device's id and name there. */
    setDevice(accountId: string, deviceId: string, deviceName: string): AccountRecord;
    /** Forgets the account (its libraries must be removed first); false when there was none. */
    remove(accountId: string): boolean;
  };
  readonly libraries: {
    list(): LibraryRecord[];
    get(libraryId: LibraryId): LibraryRecord | undefined;
    add(library: NewLibrary): LibraryRecord;
    update(libraryId: LibraryId, patch: LibraryUpdate): LibraryRecord;
    /** Forgets the library and everything recorded about it. Its local folder is not touched. */
    remove(libraryId: LibraryId): boolean;
    /** Binds a library bound to no account to one; false when it was bound already (never rebound). */
    bindAccount(libraryId: LibraryId, accountId: string): boolean;
  };
  readonly remote: EntryTable<RemoteEntry>;
  readonly local: EntryTable<LocalEntry>;
  readonly synced: EntryTable<SyncedEntry>;
  /** The three states of a library, as the planner wants them. */
  loadState(libraryId: LibraryId): LibraryState;
  /**
   * What a scan compares of each local entry of this kind (kind, size on disk, modification
   * time, inode, executable bit), by path: the local state without its content, a fraction of
   * the cost of `local.load`.
   */
  localSignatures(libraryId: LibraryId, kind: 'file' | 'dir'): Map<LibraryPath, readonly [kind: 'file' | 'dir', statSize: number, mtimeMs: number, inode: number, executable: number]>;
  /**
   * The paths strictly below `folder` where the states disagree: 'upload' where the local state
   * differs from the synced one (added, changed or deleted here), 'download' where the remote
   * state does (as far as the feed was read). Unordered and lazy, like iterate: stop early by
   * leaving the loop, and make no other index call before it ends.
   */
  pendingBelow(libraryId: LibraryId, folder: LibraryPath): IterableIterator<PendingPath>;
  /**
   * True when the three states list the same paths, each with the same content, the merge base
   * at the server's rev and at the local inode: the planner would plan nothing, not even a record.
   */
  isSettled(libraryId: LibraryId): boolean;
  readonly conflicts: {
    add(conflict: NewConflict): ConflictRecord;
    list(libraryId: LibraryId, options?: { readonly includeResolved?: boolean }): ConflictRecord[];
    /** The conflict with this id, open or resolved. */
    get(conflictId: number): ConflictRecord | undefined;
    /** Closes an open conflict; false when it was not open. */
    resolve(conflictId: number, resolvedAt: number, resolution?: ConflictResolution | null): boolean;
    /** Replaces the remote side (its author learned later from the server's history). */
    setRemote(conflictId: number, side: NewConflictSide): void;
    /** Records the conflict's id on the server and whether the server has it open. */
    setServer(conflictId: number, serverId: number | null, serverState: 'open' | 'closed' | null): void;
  };
  readonly problems: {
    list(libraryId: LibraryId): ProblemRecord[];
    /**
     * Makes `current` the complete list of problems within `scope`: problems in scope that are
     * not in `current` are cleared, the others keep their first-seen time.
     */
    replace(libraryId: LibraryId, scope: ProblemScope, current: readonly ProblemInput[], now: number): void;
    /** Dismisses the problem (at `at`) or brings it back (null); false when there is no such problem. */
    setDismissed(libraryId: LibraryId, problem: ProblemKey, at: number | null): boolean;
  };
  readonly pendingCommits: {
    add(commit: PendingCommit): void;
    list(libraryId: LibraryId): PendingCommit[];
    remove(commitId: string): boolean;
  };
  /**
   * Runs `fn` in one transaction (immediate: it takes the write lock at once). Nested calls
   * become savepoints. `fn` must be synchronous: better-sqlite3 refuses a function that
   * returns a promise, because the transaction would end before the awaited work.
   */
  transaction<T>(fn: () => T): T;
  /**
   * Runs `fn` in one transaction like `transaction`, but its commit is not flushed to the disk
   * at once (synchronous=NORMAL for it): for what may be lost to a power cut without harm, such
   * as the time of a library's last sync at the end of a round. SQLite keeps the file consistent
   * either way; the commit reaches the disk with the next flushed one or when the index closes.
   * A round that found nothing to do wrote only this, and paid two of its five fsyncs for it.
   * Not inside another transaction (the setting cannot change there): `fn` then runs in a
   * savepoint of it, as flushed as the outer transaction.
   */
  bookkeeping<T>(fn: () => T): T;
  close(): void;
}

/** Thrown when a method is given a library the index does not hold. */
export class UnknownLibraryError extends Error {
  override readonly name = 'UnknownLibraryError';
  constructor(readonly libraryId: LibraryId) {
    super(`Library ${JSON.stringify(libraryId)} is not in this profile's index; add it with index.libraries.add first.`);
  }
}

/**
 * Opens (creating if needed) the index at `file` and brings its schema up to date. The file is
 * created readable by its owner only: it lists every file name in every library.
 */
export function openIndex(file: string): Index {
  if (file !== ':memory:') createPrivately(file);
  const db = new Database(file, { timeout: 5_000 });
  try {
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (file !== ':memory:' && mode !== 'wal') throw new Error(`could not switch ${file} to WAL mode (got ${String(mode)})`);
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = OFF');
    migrate(db);
    db.pragma('foreign_keys = ON');
    return createIndex(db, file);
  } catch (error) {
    db.close();
    throw error;
  }
}

function createPrivately(file: string): void {
  closeSync(openSync(file, 'a', 0o600));
  if (process.platform !== 'win32') chmodSync(file, 0o600);
}

type Kind = 'file' | 'dir';
type Flag = 0 | 1;

interface LibraryRow {
  library_key: number;
  library_id: string;
  name: string;
  local_root: string;
  chunk_algorithm: ChunkingParams['algorithm'];
  chunk_min: number;
  chunk_avg: number;
  chunk_max: number;
  cursor: number;
  selection: string | null;
  pause_reason: string | null;
  paused_at: number | null;
  last_sync_at: number | null;
  last_error: string | null;
  last_error_at: number | null;
  breaker_override: string | null;
  breaker_override_at: number | null;
  auto_merge: 0 | 1;
  role: 'owner' | 'rw' | 'ro' | null;
  owner: string | null;
  account_id: string | null;
}

interface AccountRow {
  account_id: string;
  server_url: string;
  user_name: string;
  device_id: string | null;
  device_name: string | null;
  added_at: number;
}

// Entry rows are read as arrays (better-sqlite3's raw mode), in the order of each table's
// column list below: about a third faster than named rows when loading 100,000 entries.
// BLOB columns are read as lower-case hex text (see HEX_COLUMNS): a BLOB would arrive as a
// Buffer, whose bytes and bookkeeping live outside the JavaScript heap, in memory the C
// allocator seldom gives back to the system once freed; 300,000 of them per full round left a
// daemon holding 100 MB it no longer used. A string lives in the heap the collector compacts.
type RemoteRow = [path: string, kind: Kind, rev: number, size: number, mtimeMs: number, executable: Flag, content: string | null];
type LocalRow = [path: string, kind: Kind, size: number, statSize: number, mtimeMs: number, inode: number, executable: Flag, content: string | null];
type SyncedRow = [path: string, kind: Kind, rev: number, size: number, mtimeMs: number, inode: number, executable: Flag, contentHash: string | null];

/** The BLOB columns of entry rows, selected as hex text (see the row types above). */
const HEX_COLUMNS: ReadonlySet<string> = new Set(['content', 'content_hash']);

interface ConflictRow {
  conflict_id: number;
  library_id: string;
  path: string;
  conflict_path: string | null;
  local_side: string;
  remote_side: string;
  created_at: number;
  resolved_at: number | null;
  base_side: string | null;
  resolution: string | null;
  server_id: number | null;
  server_state: 'open' | 'closed' | null;
}

interface ProblemRow {
  library_id: string;
  path: string;
  name: string;
  kind: string;
  message: string;
  first_seen_at: number;
  last_seen_at: number;
  dismissed_at: number | null;
}

interface PendingCommitRow {
  commit_id: string;
  library_id: string;
  body: string;
  created_at: number;
}

const PROFILE_KEYS: readonly ProfileSettingKey[] = ['serverUrl', 'deviceName', 'legacyTokenAccount'];

function createIndex(db: Database.Database, file: string): Index {
  const keys = new Map<LibraryId, number>();
  const selectKey = db.prepare<[string], number>('SELECT library_key FROM libraries WHERE library_id = ?').pluck();
  function keyOf(libraryId: LibraryId): number {
    const cached = keys.get(libraryId);
    if (cached !== undefined) return cached;
    const key = selectKey.get(libraryId);
    if (key === undefined) throw new UnknownLibraryError(libraryId);
    keys.set(libraryId, key);
    return key;
  }

  // Rows are trusted on the way out: only this module writes them, through typed methods, and
  // re-validating 100,000 paths on every load would cost more than the load itself.
  const remote = createEntryTable<RemoteEntry, RemoteRow>(db, keyOf, {
    table: 'remote_entries',
    columns: ['path', 'kind', 'rev', 'size', 'mtime_ms', 'executable', 'content'],
    toParams: (entry) => {
      const file = entry.node.kind === 'file' ? entry.node : undefined;
      return [
        entry.path,
        entry.node.kind,
        entry.rev,
        file?.size ?? 0,
        entry.mtimeMs,
        file?.executable ? 1 : 0,
        file ? encodeContent(file.contentHash, entry.chunks) : null,
      ];
    },
    fromRow: ([path, kind, rev, size, mtimeMs, executable, content], twin) => {
      const { node, chunks } = contentOf(kind, content, size, executable, twin);
      return { path: twin?.path ?? (path as LibraryPath), node, rev, mtimeMs, chunks };
    },
  });

  const local = createEntryTable<LocalEntry, LocalRow>(db, keyOf, {
    table: 'local_entries',
    columns: ['path', 'kind', 'size', 'stat_size', 'mtime_ms', 'inode', 'executable', 'content'],
    toParams: (entry) => {
      const file = entry.node.kind === 'file' ? entry.node : undefined;
      return [
        entry.path,
        entry.node.kind,
        file?.size ?? 0,
        entry.statSize,
        entry.mtimeMs,
        entry.inode,
        file?.executable ? 1 : 0,
        file ? encodeContent(file.contentHash, entry.chunks) : null,
      ];
    },
    fromRow: ([path, kind, size, statSize, mtimeMs, inode, executable, content]) => {
      const { node, chunks } = contentOf(kind, content, size, executable);
      return { path: path as LibraryPath, node, mtimeMs, inode, statSize, chunks };
    },
  });

  const synced = createEntryTable<SyncedEntry, SyncedRow>(db, keyOf, {
    table: 'synced_entries',
    columns: ['path', 'kind', 'rev', 'size', 'mtime_ms', 'inode', 'executable', 'content_hash'],
    toParams: (entry) => {
      const file = entry.node.kind === 'file' ? entry.node : undefined;
      return [
        entry.path,
        entry.node.kind,
        entry.rev,
        file?.size ?? 0,
        entry.mtimeMs,
        entry.inode,
        file?.executable ? 1 : 0,
        file ? encodeHash(file.contentHash) : null,
      ];
    },
    fromRow: ([path, kind, rev, size, mtimeMs, inode, executable, contentHash], twin) => ({
      path: twin?.path ?? (path as LibraryPath),
      node: nodeOf(kind, contentHash, size, executable, twin),
      rev,
      inode,
      mtimeMs,
    }),
  });

  // Two entries differ as sameContent says: kind, and for files size, executable bit and content hash.
  const differs = (a: string, b: string, aHash: string, bHash: string) =>
    `(${b}.kind <> ${a}.kind OR (${a}.kind = 'file' AND (${b}.size <> ${a}.size OR ${b}.executable <> ${a}.executable OR ${bHash} <> ${aHash})))`;
  const range = (alias: string) => `${alias}.library_key = @key AND ${alias}.path >= @from AND ${alias}.path < @to`;
  const pendingBelow = db
    .prepare<{ key: number; from: string; to: string }, [string, string, string]>(
      `SELECT l.path, l.kind, 'upload' FROM local_entries l LEFT JOIN synced_entries s ON s.library_key = l.library_key AND s.path = l.path
         WHERE ${range('l')} AND (s.path IS NULL OR ${differs('l', 's', 'substr(l.content, 1, 32)', 's.content_hash')})
       UNION ALL
       SELECT s.path, s.kind, 'upload' FROM synced_entries s LEFT JOIN local_entries l ON l.library_key = s.library_key AND l.path = s.path
         WHERE ${range('s')} AND l.path IS NULL
       UNION ALL
       SELECT r.path, r.kind, 'download' FROM remote_entries r LEFT JOIN synced_entries s ON s.library_key = r.library_key AND s.path = r.path
         WHERE ${range('r')} AND (s.path IS NULL OR ${differs('r', 's', 'substr(r.content, 1, 32)', 's.content_hash')})
       UNION ALL
       SELECT s.path, s.kind, 'download' FROM synced_entries s LEFT JOIN remote_entries r ON r.library_key = s.library_key AND r.path = s.path
         WHERE ${range('s')} AND r.path IS NULL`,
    )
    .raw();
  // One row as soon as a path is not settled (see Index.isSettled); local's paths are checked
  // against both others, and the paths of the others must each be local's too.
  const unsettled = db
    .prepare<{ key: number }, [number]>(
      `SELECT 1 FROM local_entries l
         LEFT JOIN synced_entries s ON s.library_key = l.library_key AND s.path = l.path
         LEFT JOIN remote_entries r ON r.library_key = l.library_key AND r.path = l.path
         WHERE l.library_key = @key AND (s.path IS NULL OR r.path IS NULL OR s.rev <> r.rev OR s.inode <> l.inode
           OR ${differs('l', 's', 'substr(l.content, 1, 32)', 's.content_hash')} OR ${differs('r', 's', 'substr(r.content, 1, 32)', 's.content_hash')})
       UNION ALL
       SELECT 1 FROM synced_entries s WHERE s.library_key = @key
         AND NOT EXISTS (SELECT 1 FROM local_entries l WHERE l.library_key = s.library_key AND l.path = s.path)
       UNION ALL
       SELECT 1 FROM remote_entries r WHERE r.library_key = @key
         AND NOT EXISTS (SELECT 1 FROM local_entries l WHERE l.library_key = r.library_key AND l.path = r.path)
       LIMIT 1`,
    )
    .raw();

  const selectSignatures = db
    .prepare<[number, string], [string, number, number, number, number]>('SELECT path, stat_size, mtime_ms, inode, executable FROM local_entries WHERE library_key = ? AND kind = ?')
    .raw();

  return {
    file,
    profile: createProfile(db),
    accounts: createAccounts(db),
    libraries: createLibraries(db, keys),
    remote,
    local,
    synced,
    localSignatures(libraryId, kind) {
      const signatures = new Map<LibraryPath, readonly ['file' | 'dir', number, number, number, number]>();
      for (const [path, statSize, mtimeMs, inode, executable] of selectSignatures.all(keyOf(libraryId), kind)) signatures.set(path as LibraryPath, [kind, statSize, mtimeMs, inode, executable]);
      return signatures;
    },
    loadState(libraryId) {
      return db.transaction(() => ({
        remote: remote.load(libraryId),
        local: local.load(libraryId),
        synced: synced.load(libraryId),
      }))();
    },
    *pendingBelow(libraryId, folder) {
      for (const [path, kind, side] of pendingBelow.iterate({ key: keyOf(libraryId), from: `${folder}/`, to: `${folder}0` })) {
        yield { path: path as LibraryPath, kind: kind as 'file' | 'dir', side: side as 'upload' | 'download' };
      }
    },
    isSettled(libraryId) {
      return unsettled.get({ key: keyOf(libraryId) }) === undefined;
    },
    conflicts: createConflicts(db, keyOf),
    problems: createProblems(db, keyOf),
    pendingCommits: createPendingCommits(db, keyOf),
    transaction(fn) {
      return db.transaction(fn).immediate();
    },
    bookkeeping(fn) {
      return withSynchronous(db, 'NORMAL', () => db.transaction(fn).immediate());
    },
    close() {
      if (!db.open) return;
      db.pragma('optimize');
      db.close();
    },
  };
}

/**
 * Runs `fn` with the connection's synchronous setting at `level`, then puts FULL back (the
 * setting of every other write, see openIndex), also when `fn` throws. Inside a transaction
 * SQLite keeps the setting as it is.
 */
export function withSynchronous<T>(db: Database.Database, level: 'NORMAL' | 'FULL', fn: () => T): T {
  if (db.inTransaction) return fn();
  db.pragma(`synchronous = ${level}`);
  try {
    return fn();
  } finally {
    db.pragma('synchronous = FULL');
  }
}

const NO_CHUNKS: readonly ChunkRef[] = Object.freeze([]);
/** Every folder's node: they are all alike. */
const DIR_NODE: Node = Object.freeze({ kind: 'dir' });
const HASH_HEX_CHARS = 64;
const CHUNK_RECORD_HEX_CHARS = 2 * CHUNK_RECORD_BYTES;

/**
 * A file node with these facts, taking the twin's node (or at least its hash string) when it
 * has the same content. Equal content hashes mean equal chunk lists: the hash is taken over the
 * chunk ids in order, and each id is the hash of its chunk's bytes.
 */
function fileNodeOf(contentHash: string, size: number, executable: boolean, twin: SharedContent | undefined): Node {
  const twinNode = twin?.node;
  if (twinNode?.kind === 'file' && twinNode.contentHash === contentHash && twinNode.size === size) {
    return twinNode.executable === executable ? twinNode : { kind: 'file', contentHash: twinNode.contentHash, size, executable };
  }
  return { kind: 'file', contentHash, size, executable };
}

function contentOf(kind: Kind, content: string | null, size: number, executable: Flag, twin?: SharedContent): { node: Node; chunks: readonly ChunkRef[] } {
  if (kind === 'dir') return { node: DIR_NODE, chunks: NO_CHUNKS };
  if (content === null) throw new Error('corrupt index: a file entry without content');
  if (twin !== undefined && twin.node.kind === 'file' && twin.node.size === size) {
    const twinHash = twin.node.contentHash;
    if (content.length === HASH_HEX_CHARS + twin.chunks.length * CHUNK_RECORD_HEX_CHARS && content.startsWith(twinHash)) {
      return { node: fileNodeOf(twinHash, size, executable === 1, twin), chunks: twin.chunks };
    }
  }
  const { contentHash, chunks } = decodeContentHex(content);
  return { node: { kind: 'file', contentHash, size, executable: executable === 1 }, chunks };
}

function nodeOf(kind: Kind, contentHash: string | null, size: number, executable: Flag, twin?: SharedContent): Node {
  if (kind === 'dir') return DIR_NODE;
  if (contentHash === null || contentHash.length !== HASH_HEX_CHARS) throw new Error('corrupt index: a file entry without a content hash');
  return fileNodeOf(contentHash, size, executable === 1, twin);
}

interface EntrySpec<E, Row> {
  readonly table: string;
  /** The columns after library_key; the first one must be path. */
  readonly columns: readonly string[];
  toParams(entry: E): unknown[];
  /** The entry of a row; `twin` is the entry of another state at its path, to share with. */
  fromRow(row: Row, twin?: SharedContent): E;
}

/** Rows per page when loading a whole state (see loadPages in createEntryTable). */
const LOAD_PAGE_ROWS = 2_000;
/** Paths per query of getMany. */
const GET_MANY_PATHS = 2_000;

function createEntryTable<E extends { readonly path: LibraryPath }, Row>(
  db: Database.Database,
  keyOf: (libraryId: LibraryId) => number,
  spec: EntrySpec<E, Row>,
): EntryTable<E> {
  const { table } = spec;
  const columns = spec.columns.join(', ');
  const selected = spec.columns.map((column) => (HEX_COLUMNS.has(column) ? `lower(hex(${column}))` : column)).join(', ');
  const placeholders = spec.columns.map(() => '?').join(', ');
  // Descendants of folder f are exactly the paths in ['f/', 'f0'): '0' is the byte after '/'.
  const below = 'AND (path = ? OR (path >= ? AND path < ?))';
  const statements = {
    get: db.prepare<[number, string], Row>(`SELECT ${selected} FROM ${table} WHERE library_key = ? AND path = ?`).raw(),
    // The rows at the paths of a JSON array (each one a primary-key lookup).
    getMany: db
      .prepare<[number, string], Row>(`SELECT ${selected} FROM ${table} WHERE library_key = ? AND path IN (SELECT value FROM json_each(?))`)
      .raw(),
    put: db.prepare(`INSERT OR REPLACE INTO ${table} (library_key, ${columns}) VALUES (?, ${placeholders})`),
    delete: db.prepare<[number, string]>(`DELETE FROM ${table} WHERE library_key = ? AND path = ?`),
    deleteBelow: db.prepare<[number, string, string, string]>(`DELETE FROM ${table} WHERE library_key = ? ${below}`),
    deleteAll: db.prepare<[number]>(`DELETE FROM ${table} WHERE library_key = ?`),
    all: db.prepare<[number], Row>(`SELECT ${selected} FROM ${table} WHERE library_key = ? ORDER BY path`).raw(),
    // One page of `load`: the entries after a path (every path is after '').
    page: db.prepare<[number, string], Row>(`SELECT ${selected} FROM ${table} WHERE library_key = ? AND path > ? ORDER BY path LIMIT ${LOAD_PAGE_ROWS}`).raw(),
    allBelow: db
      .prepare<[number, string, string, string], Row>(`SELECT ${selected} FROM ${table} WHERE library_key = ? ${below} ORDER BY path`)
      .raw(),
    count: db.prepare<[number], number>(`SELECT count(*) FROM ${table} WHERE library_key = ?`).pluck(),
    countFiles: db.prepare<[number], number>(`SELECT count(*) FROM ${table} WHERE library_key = ? AND kind = 'file'`).pluck(),
    rootChildren: db.prepare<[number], [string, string]>(`SELECT path, kind FROM ${table} WHERE library_key = ? AND instr(path, '/') = 0 ORDER BY path`).raw(),
    // The range of the folder's descendants, less those with a '/' after the folder's prefix
    // (substr counts characters, so the offset is in code points).
    children: db
      .prepare<[number, string, string, number], [string, string]>(
        `SELECT path, kind FROM ${table} WHERE library_key = ? AND path >= ? AND path < ? AND instr(substr(path, ?), '/') = 0 ORDER BY path`,
      )
      .raw(),
  };
  // Rows are taken a page at a time: a row's decoded text dies young when its entry shares a
  // twin's objects, instead of living in an array of every row meanwhile, and a page costs one
  // call into SQLite where iterate() costs one per row (half the time of loading 10,000 rows).
  // The pages are read in one transaction, so they are one snapshot of the table.
  const loadPages = db.transaction((libraryId: LibraryId, share: ReadonlyMap<LibraryPath, SharedContent> | undefined) => {
    const key = keyOf(libraryId);
    const result = new Map<LibraryPath, E>();
    let after = '';
    for (;;) {
      const rows = statements.page.all(key, after);
      for (const row of rows) {
        const entry = spec.fromRow(row, share?.get((row as unknown as readonly [LibraryPath])[0]));
        result.set(entry.path, entry);
      }
      if (rows.length < LOAD_PAGE_ROWS) return result;
      after = (rows[rows.length - 1] as unknown as readonly [string])[0];
    }
  });
  const putMany = db.transaction((key: number, entries: Iterable<E>) => {
    for (const entry of entries) statements.put.run(key, ...spec.toParams(entry));
  });
  const deleteMany = db.transaction((key: number, paths: Iterable<LibraryPath>) => {
    for (const path of paths) statements.delete.run(key, path);
  });
  const replaceAll = db.transaction((key: number, entries: Iterable<E>) => {
    statements.deleteAll.run(key);
    for (const entry of entries) statements.put.run(key, ...spec.toParams(entry));
  });
  return {
    get(libraryId, path) {
      const row = statements.get.get(keyOf(libraryId), path);
      return row === undefined ? undefined : spec.fromRow(row);
    },
    getMany(libraryId, paths) {
      const key = keyOf(libraryId);
      const result = new Map<LibraryPath, E>();
      const wanted = [...new Set(paths)];
      for (let start = 0; start < wanted.length; start += GET_MANY_PATHS) {
        for (const row of statements.getMany.all(key, JSON.stringify(wanted.slice(start, start + GET_MANY_PATHS)))) {
          const entry = spec.fromRow(row);
          result.set(entry.path, entry);
        }
      }
      return result;
    },
    put(libraryId, entry) {
      statements.put.run(keyOf(libraryId), ...spec.toParams(entry));
    },
    putMany(libraryId, entries) {
      putMany.immediate(keyOf(libraryId), entries);
    },
    delete(libraryId, path) {
      return statements.delete.run(keyOf(libraryId), path).changes > 0;
    },
    deleteMany(libraryId, paths) {
      deleteMany.immediate(keyOf(libraryId), paths);
    },
    deleteBelow(libraryId, folder) {
      return statements.deleteBelow.run(keyOf(libraryId), folder, `${folder}/`, `${folder}0`).changes;
    },
    replaceAll(libraryId, entries) {
      replaceAll.immediate(keyOf(libraryId), entries);
    },
    *iterate(libraryId, options = {}) {
      const key = keyOf(libraryId);
      const rows =
        options.below === undefined
          ? statements.all.iterate(key)
          : statements.allBelow.iterate(key, options.below, `${options.below}/`, `${options.below}0`);
      for (const row of rows) yield spec.fromRow(row);
    },
    loadBelow(libraryId, folder) {
      const result = new Map<LibraryPath, E>();
      for (const row of statements.allBelow.all(keyOf(libraryId), folder, `${folder}/`, `${folder}0`)) {
        const entry = spec.fromRow(row);
        result.set(entry.path, entry);
      }
      return result;
    },
    children(libraryId, folder) {
      const key = keyOf(libraryId);
      const rows = folder === '' ? statements.rootChildren.all(key) : statements.children.all(key, `${folder}/`, `${folder}0`, [...folder].length + 2);
      return rows.map(([path, kind]) => ({ path: path as LibraryPath, kind: kind as 'file' | 'dir' }));
    },
    load(libraryId, options = {}) {
      return loadPages(libraryId, options.shareWith);
    },
    count(libraryId) {
      return statements.count.get(keyOf(libraryId)) ?? 0;
    },
    countFiles(libraryId) {
      return statements.countFiles.get(keyOf(libraryId)) ?? 0;
    },
  };
}

function createProfile(db: Database.Database): Index['profile'] {
  const selectAll = db.prepare<[], { key: string; value: string }>('SELECT key, value FROM settings');
  const upsert = db.prepare<[string, string]>('INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)');
  const remove = db.prepare<[string]>('DELETE FROM settings WHERE key = ?');
  const set = db.transaction((patch: { readonly [K in ProfileSettingKey]?: string | null }) => {
    for (const [key, value] of Object.entries(patch)) {
      if (!(PROFILE_KEYS as readonly string[]).includes(key)) throw new TypeError(`unknown profile setting ${JSON.stringify(key)}`);
      if (value === undefined) continue;
      if (value === null) remove.run(key);
      else upsert.run(key, value);
    }
  });
  return {
    get() {
      const settings: Record<string, string> = {};
      for (const { key, value } of selectAll.all()) {
        if ((PROFILE_KEYS as readonly string[]).includes(key)) settings[key] = value;
      }
      return settings as ProfileSettings;
    },
    set(patch) {
      set.immediate(patch);
    },
  };
}

function createAccounts(db: Database.Database): Index['accounts'] {
  const columns = 'account_id, server_url, user_name, device_id, device_name, added_at';
  const selectAll = db.prepare<[], AccountRow>(`SELECT ${columns} FROM accounts ORDER BY added_at, account_id`);
  const selectOne = db.prepare<[string], AccountRow>(`SELECT ${columns} FROM accounts WHERE account_id = ?`);
  const selectBy = db.prepare<[string, string], AccountRow>(`SELECT ${columns} FROM accounts WHERE server_url = ? AND user_name = ?`);
  const insert = db.prepare('INSERT INTO accounts (account_id, server_url, user_name, device_id, device_name, added_at) VALUES (?, ?, ?, ?, ?, ?)');
  const updateDevice = db.prepare('UPDATE accounts SET device_id = ?, device_name = ? WHERE account_id = ?');
  const removeOne = db.prepare('DELETE FROM accounts WHERE account_id = ?');
  const of = (row: AccountRow): AccountRecord => ({
    accountId: row.account_id,
    serverUrl: row.server_url,
    user: row.user_name,
    deviceId: row.device_id,
    deviceName: row.device_name,
    addedAt: row.added_at,
  });
  function get(accountId: string): AccountRecord | undefined {
    const row = selectOne.get(accountId);
    return row === undefined ? undefined : of(row);
  }
  return {
    list: () => selectAll.all().map(of),
    get,
    find(serverUrl, user) {
      const row = selectBy.get(serverUrl, user);
      return row === undefined ? undefined : of(row);
    },
    add(account) {
      insert.run(account.accountId, account.serverUrl, account.user, account.deviceId, account.deviceName, Date.now());
      return get(account.accountId) as AccountRecord;
    },
    setDevice(accountId, deviceId, deviceName) {
      if (updateDevice.run(deviceId, deviceName, accountId).changes === 0) throw new Error(`no account ${accountId} in this profile`);
      return get(accountId) as AccountRecord;
    },
    remove: (accountId) => removeOne.run(accountId).changes > 0,
  };
}

/** A library's columns in the order of createLibraries' UPDATE. */
function libraryValues(library: LibraryRecord): (string | number | null)[] {
  return [
    library.name,
    library.localRoot,
    library.chunking.algorithm,
    library.chunking.minSize,
    library.chunking.avgSize,
    library.chunking.maxSize,
    library.cursor,
    selectionToText(library.selection),
    library.pause?.reason ?? null,
    library.pause?.since ?? null,
    library.lastSyncAt,
    library.lastError?.message ?? null,
    library.lastError?.at ?? null,
    library.breakerOverride?.reason ?? null,
    library.breakerOverride?.at ?? null,
    library.autoMerge ? 1 : 0,
    library.role,
    library.owner,
  ];
}

function sameValues(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

function createLibraries(db: Database.Database, keys: Map<LibraryId, number>): Index['libraries'] {
  const columns =
    'library_key, library_id, name, local_root, chunk_algorithm, chunk_min, chunk_avg, chunk_max, cursor, selection, ' +
    'pause_reason, paused_at, last_sync_at, last_error, last_error_at, breaker_override, breaker_override_at, auto_merge, role, owner, account_id';
  const selectAll = db.prepare<[], LibraryRow>(`SELECT ${columns} FROM libraries ORDER BY name, library_id`);
  const selectOne = db.prepare<[string], LibraryRow>(`SELECT ${columns} FROM libraries WHERE library_id = ?`);
  const insert = db.prepare(
    'INSERT INTO libraries (library_id, name, local_root, chunk_algorithm, chunk_min, chunk_avg, chunk_max, selection, role, owner, account_id) ' +
      'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const updateRow = db.prepare(
    'UPDATE libraries SET name = ?, local_root = ?, chunk_algorithm = ?, chunk_min = ?, chunk_avg = ?, chunk_max = ?, ' +
      'cursor = ?, selection = ?, pause_reason = ?, paused_at = ?, last_sync_at = ?, last_error = ?, last_error_at = ?, ' +
      'breaker_override = ?, breaker_override_at = ?, auto_merge = ?, role = ?, owner = ? WHERE library_id = ?',
  );
  const remove = db.prepare<[string]>('DELETE FROM libraries WHERE library_id = ?');
  const bind = db.prepare<[string, string]>('UPDATE libraries SET account_id = ? WHERE library_id = ? AND account_id IS NULL');

  function get(libraryId: LibraryId): LibraryRecord | undefined {
    const row = selectOne.get(libraryId);
    return row === undefined ? undefined : libraryFromRow(row);
  }
  const update = db.transaction((libraryId: LibraryId, patch: LibraryUpdate): LibraryRecord => {
    const row = selectOne.get(libraryId);
    if (row === undefined) throw new UnknownLibraryError(libraryId);
    const current = libraryFromRow(row);
    const next: LibraryRecord = { ...current, ...patch };
    // Writing the values the row holds already would still cost a write of its page and an
    // fsync (a round that finds nothing new sets the feed's cursor to what it was).
    const values = libraryValues(next);
    if (!sameValues(values, libraryValues(current))) updateRow.run(...values, libraryId);
    return next;
  });
  return {
    list: () => selectAll.all().map(libraryFromRow),
    get,
    add(library) {
      const { chunking } = library;
      insert.run(
        library.libraryId,
        library.name,
        library.localRoot,
        chunking.algorithm,
        chunking.minSize,
        chunking.avgSize,
        chunking.maxSize,
        selectionToText(library.selection ?? null),
        library.role ?? null,
        library.owner ?? null,
        library.accountId ?? null,
      );
      return get(library.libraryId) as LibraryRecord;
    },
    update: (libraryId, patch) => update.immediate(libraryId, patch),
    remove(libraryId) {
      keys.delete(libraryId);
      return remove.run(libraryId).changes > 0;
    },
    bindAccount: (libraryId, accountId) => bind.run(accountId, libraryId).changes > 0,
  };
}

function libraryFromRow(row: LibraryRow): LibraryRecord {
  return {
    libraryId: row.library_id,
    name: row.name,
    localRoot: row.local_root,
    chunking: { algorithm: row.chunk_algorithm, minSize: row.chunk_min, avgSize: row.chunk_avg, maxSize: row.chunk_max },
    cursor: row.cursor,
    selection: row.selection === null ? null : (JSON.parse(row.selection) as LibraryPath[]),
    pause: row.pause_reason === null || row.paused_at === null ? null : { reason: row.pause_reason, since: row.paused_at },
    lastSyncAt: row.last_sync_at,
    lastError: row.last_error === null || row.last_error_at === null ? null : { message: row.last_error, at: row.last_error_at },
    breakerOverride:
      row.breaker_override === null || row.breaker_override_at === null ? null : { reason: row.breaker_override, at: row.breaker_override_at },
    autoMerge: row.auto_merge === 1,
    role: row.role,
    owner: row.owner,
    accountId: row.account_id,
  };
}

function selectionToText(selection: readonly LibraryPath[] | null): string | null {
  return selection === null ? null : JSON.stringify([...selection].sort());
}

function createConflicts(db: Database.Database, keyOf: (libraryId: LibraryId) => number): Index['conflicts'] {
  const columns =
    'c.conflict_id, l.library_id, c.path, c.conflict_path, c.local_side, c.remote_side, c.created_at, c.resolved_at, c.base_side, c.resolution, ' +
    'c.server_id, c.server_state';
  const insert = db.prepare(
    'INSERT INTO conflicts (library_key, path, conflict_path, local_side, remote_side, created_at, base_side) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const selectOne = db.prepare<[number], ConflictRow>(
    `SELECT ${columns} FROM conflicts c JOIN libraries l USING (library_key) WHERE c.conflict_id = ?`,
  );
  const selectOpen = db.prepare<[number], ConflictRow>(
    `SELECT ${columns} FROM conflicts c JOIN libraries l USING (library_key) WHERE c.library_key = ? AND c.resolved_at IS NULL ORDER BY c.conflict_id`,
  );
  const selectAll = db.prepare<[number], ConflictRow>(
    `SELECT ${columns} FROM conflicts c JOIN libraries l USING (library_key) WHERE c.library_key = ? ORDER BY c.conflict_id`,
  );
  const resolve = db.prepare<[number, string | null, number]>(
    'UPDATE conflicts SET resolved_at = ?, resolution = ? WHERE conflict_id = ? AND resolved_at IS NULL',
  );
  const updateRemote = db.prepare<[string, number]>('UPDATE conflicts SET remote_side = ? WHERE conflict_id = ?');
  const updateServer = db.prepare<[number | null, string | null, number]>('UPDATE conflicts SET server_id = ?, server_state = ? WHERE conflict_id = ?');
  return {
    add(conflict) {
      const result = insert.run(
        keyOf(conflict.libraryId),
        conflict.path,
        conflict.conflictPath,
        JSON.stringify(sideOf(conflict.local)),
        JSON.stringify(sideOf(conflict.remote)),
        conflict.createdAt,
        conflict.base === undefined || conflict.base === null ? null : JSON.stringify(conflict.base),
      );
      return conflictFromRow(selectOne.get(Number(result.lastInsertRowid)) as ConflictRow);
    },
    list(libraryId, options = {}) {
      const statement = options.includeResolved ? selectAll : selectOpen;
      return statement.all(keyOf(libraryId)).map(conflictFromRow);
    },
    get(conflictId) {
      const row = selectOne.get(conflictId);
      return row === undefined ? undefined : conflictFromRow(row);
    },
    resolve(conflictId, resolvedAt, resolution = null) {
      return resolve.run(resolvedAt, resolution, conflictId).changes > 0;
    },
    setRemote(conflictId, side) {
      updateRemote.run(JSON.stringify(sideOf(side)), conflictId);
    },
    setServer(conflictId, serverId, serverState) {
      updateServer.run(serverId, serverState, conflictId);
    },
  };
}

function sideOf(side: NewConflictSide): ConflictSide {
  return { node: side.node, rev: side.rev, mtimeMs: side.mtimeMs, device: side.device, user: side.user ?? null };
}

function conflictFromRow(row: ConflictRow): ConflictRecord {
  return {
    conflictId: row.conflict_id,
    libraryId: row.library_id,
    path: row.path as LibraryPath,
    conflictPath: row.conflict_path as LibraryPath | null,
    // Sides recorded before users were kept have no user: read as unknown.
    local: sideOf(JSON.parse(row.local_side) as NewConflictSide),
    remote: sideOf(JSON.parse(row.remote_side) as NewConflictSide),
    base: row.base_side === null ? null : (JSON.parse(row.base_side) as ConflictBase),
    createdAt: row.created_at,
    resolvedAt: row.resolved_at,
    resolution: row.resolution as ConflictResolution | null,
    serverId: row.server_id,
    serverState: row.server_state,
  };
}

function createProblems(db: Database.Database, keyOf: (libraryId: LibraryId) => number): Index['problems'] {
  const columns = 'l.library_id, p.path, p.name, p.kind, p.message, p.first_seen_at, p.last_seen_at, p.dismissed_at';
  const selectAll = db.prepare<[number], ProblemRow>(
    `SELECT ${columns} FROM problems p JOIN libraries l USING (library_key) WHERE p.library_key = ? ORDER BY p.path, p.kind, p.name`,
  );
  const selectKeys = db.prepare<[number], { path: string; kind: string; name: string }>(
    'SELECT path, kind, name FROM problems WHERE library_key = ?',
  );
  const remove = db.prepare<[number, string, string, string]>(
    'DELETE FROM problems WHERE library_key = ? AND path = ? AND kind = ? AND name = ?',
  );
  const upsert = db.prepare(
    'INSERT INTO problems (library_key, path, name, kind, message, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?) ' +
      'ON CONFLICT (library_key, path, kind, name) DO UPDATE SET message = excluded.message, last_seen_at = excluded.last_seen_at',
  );
  const dismiss = db.prepare<[number | null, number, string, string, string]>(
    'UPDATE problems SET dismissed_at = ? WHERE library_key = ? AND path = ? AND kind = ? AND name = ?',
  );
  const identity = (problem: { path: string; kind: string; name: string }) => `${problem.kind}\u0000${problem.path}\u0000${problem.name}`;
  const replace = db.transaction((key: number, scope: ProblemScope, current: readonly ProblemInput[], now: number) => {
    const kinds = new Set<string>(scope.kinds);
    const reported = new Set(current.map(identity));
    for (const existing of selectKeys.all(key)) {
      if (!kinds.has(existing.kind) || !inScope(existing.path, scope.within)) continue;
      if (!reported.has(identity(existing))) remove.run(key, existing.path, existing.kind, existing.name);
    }
    for (const problem of current) upsert.run(key, problem.path, problem.name, problem.kind, problem.message, now, now);
  });
  return {
    list(libraryId) {
      return selectAll.all(keyOf(libraryId)).map((row) => ({
        libraryId: row.library_id,
        path: row.path as LibraryPath | '',
        name: row.name,
        kind: row.kind as ProblemKind,
        message: row.message,
        firstSeenAt: row.first_seen_at,
        lastSeenAt: row.last_seen_at,
        dismissedAt: row.dismissed_at,
      }));
    },
    replace(libraryId, scope, current, now) {
      replace.immediate(keyOf(libraryId), scope, current, now);
    },
    setDismissed(libraryId, problem, at) {
      return dismiss.run(at, keyOf(libraryId), problem.path, problem.kind, problem.name).changes > 0;
    },
  };
}

function inScope(path: string, within: readonly LibraryPath[] | undefined): boolean {
  if (within === undefined) return true;
  return within.some((folder) => path === folder || path.startsWith(`${folder}/`));
}

function createPendingCommits(db: Database.Database, keyOf: (libraryId: LibraryId) => number): Index['pendingCommits'] {
  const insert = db.prepare('INSERT INTO pending_commits (commit_id, library_key, body, created_at) VALUES (?, ?, ?, ?)');
  const select = db.prepare<[number], PendingCommitRow>(
    'SELECT p.commit_id, l.library_id, p.body, p.created_at FROM pending_commits p JOIN libraries l USING (library_key) ' +
      'WHERE p.library_key = ? ORDER BY p.created_at, p.commit_id',
  );
  const remove = db.prepare<[string]>('DELETE FROM pending_commits WHERE commit_id = ?');
  return {
    add(commit) {
      insert.run(commit.commitId, keyOf(commit.libraryId), JSON.stringify(commit.body), commit.createdAt);
    },
    list(libraryId) {
      return select.all(keyOf(libraryId)).map((row) => ({
        commitId: row.commit_id,
        libraryId: row.library_id,
        body: JSON.parse(row.body) as unknown,
        createdAt: row.created_at,
      }));
    },
    remove(commitId) {
      return remove.run(commitId).changes > 0;
    },
  };
}
