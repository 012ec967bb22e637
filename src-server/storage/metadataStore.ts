// The metadata store: users, device tokens, libraries and their members, which chunks each
// library holds, and every version of every path. The routes see only this interface, so a
// PostgreSQL implementation can replace the SQLite one without touching them; both must pass
// test/server/storageConformance.ts. Methods are async for that reason, even where SQLite
// answers synchronously.

import type { ChunkId, ChunkingParams } from '../../shared/model.js';
import type { LibraryPath } from '../../shared/paths.js';
import type { Change, ChangeResult, Entry, LibraryRole, MemberRole } from '../../shared/protocol/index.js';

export interface UserRecord {
  readonly id: string;
  readonly name: string;
  readonly admin: boolean;
  /** The encoded scrypt hash with its parameters (see passwordHash.ts). */
  readonly passwordHash: string;
  readonly createdAt: number;
  /** Set when an admin removed the account; the name stays reserved and nothing is deleted. */
  readonly removedAt: number | null;
  /** The most bytes the libraries this user owns may hold (see StorageUsage); null: no limit. */
  readonly quotaBytes: number | null;
}

export interface NewUser {
  readonly id: string;
  readonly name: string;
  readonly admin: boolean;
  readonly passwordHash: string;
  readonly createdAt: number;
}

export interface UserStore {
  /** Throws NameTakenError if the name exists (removed accounts keep their names). */
  create(user: NewUser): Promise<void>;
  byName(name: string): Promise<UserRecord | null>;
  byId(id: string): Promise<UserRecord | null>;
  list(): Promise<UserRecord[]>;
  setPasswordHash(id: string, passwordHash: string): Promise<void>;
  setAdmin(id: string, admin: boolean): Promise<void>;
  /**
   * Marks the account removed, revokes its tokens and its memberships in other users'
   * libraries, and moves the libraries it owns to the trash. No version or chunk is deleted.
   */
  remove(id: string, at: number): Promise<void>;
  /** Sets or clears (null) the user's quota. Commits already made stay, even beyond it. */
  setQuota(id: string, quotaBytes: number | null): Promise<void>;
  /** What the user's libraries count against the quota (see StorageUsage). */
  usage(id: string): Promise<StorageUsage>;
}

/**
 * What counts against a quota: the sizes of the current (latest, not deleted) files of every
 * library the user owns that is not in the trash. History, deleted files, trashed libraries and
 * the savings of deduplication do not count (see ARCHITECTURE.md, "Storage quotas").
 */
export interface StorageUsage {
  readonly usedBytes: number;
  readonly quotaBytes: number | null;
}

export interface TokenRecord {
  /** The device id: identifies the token in listings and revocation. */
  readonly id: string;
  readonly userId: string;
  readonly deviceName: string;
  readonly createdAt: number;
  readonly lastUsedAt: number;
}

export interface TokenStore {
  /** tokenHash is the SHA-256 of the secret; the secret itself is never stored. */
  create(token: TokenRecord & { readonly tokenHash: Uint8Array }): Promise<void>;
  /** The token with this hash, if it exists and its user is not removed. */
  findByHash(tokenHash: Uint8Array): Promise<TokenRecord | null>;
  touch(id: string, at: number): Promise<void>;
  listForUser(userId: string): Promise<TokenRecord[]>;
  /** Returns false if the user has no such token. */
  revoke(userId: string, id: string): Promise<boolean>;
  revokeAllForUser(userId: string): Promise<number>;
}

export interface LibraryRecord {
  readonly id: string;
  readonly name: string;
  readonly ownerId: string;
  readonly ownerName: string;
  readonly chunking: ChunkingParams;
  readonly headSeq: number;
  readonly createdAt: number;
  readonly deletedAt: number | null;
  /** The sizes of the library's current files (what it counts against its owner's quota). */
  readonly liveBytes: number;
}

/** A library as one user sees it. */
export interface LibraryAccess extends LibraryRecord {
  readonly role: LibraryRole;
}

export interface MemberRecord {
  readonly userId: string;
  readonly userName: string;
  readonly role: LibraryRole;
}

export interface LibraryStore {
  /** Throws NameTakenError if the owner has a live (not trashed) library with that name. */
  create(library: { id: string; name: string; ownerId: string; chunking: ChunkingParams; createdAt: number }): Promise<void>;
  /** The library with the user's role, or null if the user neither owns it nor is a member. Trashed libraries included. */
  accessFor(libraryId: string, userId: string): Promise<LibraryAccess | null>;
  /** Libraries the user owns or is a member of, trashed or live, ordered by name. */
  listFor(userId: string, which: 'live' | 'trashed'): Promise<LibraryAccess[]>;
  /** Throws NameTakenError like create. */
  rename(libraryId: string, name: string): Promise<void>;
  /** Moves to the trash (a timestamp) or back (null); restoring throws NameTakenError on a clash. */
  setDeletedAt(libraryId: string, deletedAt: number | null): Promise<void>;
  /** The owner first, then the members by name. */
  members(libraryId: string): Promise<MemberRecord[]>;
  setMember(libraryId: string, userId: string, role: MemberRole): Promise<void>;
  removeMember(libraryId: string, userId: string): Promise<boolean>;
}

export interface ChunkLinkStore {
  /** The ids not present for the library, in input order, without duplicates. */
  missing(libraryId: string, ids: readonly ChunkId[]): Promise<ChunkId[]>;
  /** Records that the library holds these chunks (idempotent); a damaged chunk linked again is whole again. */
  link(libraryId: string, chunks: readonly { id: ChunkId; size: number }[]): Promise<void>;
  /**
   * Marks chunks of an owner as damaged in every library of that owner: they count as missing
   * (missing, and a commit naming them) until a client uploads them again. Versions naming
   * them stay; nothing else changes.
   */
  markDamaged(ownerId: string, ids: readonly ChunkId[]): Promise<void>;
  /**
   * Up to `limit` chunks of the library marked damaged (waiting for an upload), so clients
   * that still have them in unchanged files can send them again.
   */
  damaged(libraryId: string, limit: number): Promise<ChunkId[]>;
}

/** One library as fsck sees it: its counters and every chunk it links or a version names. */
export interface LibraryAudit {
  readonly libraryId: string;
  readonly ownerId: string;
  readonly headSeq: number;
  readonly versionCount: number;
  readonly maxRev: number;
  /** Chunks linked to the library and not marked damaged. */
  readonly linked: readonly ChunkId[];
  /** Chunks marked damaged, waiting for an upload. */
  readonly damaged: readonly ChunkId[];
  /** Chunks some version names. */
  readonly referenced: readonly ChunkId[];
}

export interface CommitInput {
  readonly libraryId: string;
  readonly userId: string;
  readonly userName: string;
  readonly device: string;
  readonly committedAt: number;
  /** Already validated: canonical paths, sizes and content hashes that match the chunk lists. */
  readonly changes: readonly Change[];
}

export type CommitOutcome =
  | { readonly kind: 'committed'; readonly headSeq: number; readonly results: ChangeResult[] }
  /** Some chunks are not present for the library: nothing was applied. */
  | { readonly kind: 'missing-chunks'; readonly missing: ChunkId[] }
  /** A chunk reference's size differs from the size of the stored chunk: nothing was applied. */
  | { readonly kind: 'chunk-size-mismatch'; readonly chunkId: ChunkId; readonly claimed: number; readonly stored: number }
  /** The commit would take the library's owner beyond their quota: nothing was applied. */
  | { readonly kind: 'quota-exceeded'; readonly usedBytes: number; readonly quotaBytes: number; readonly addedBytes: number };

export interface Page<Item> {
  readonly items: Item[];
  readonly hasMore: boolean;
}

export interface VersionStore {
  /**
   * Applies the changes in order in one transaction, by the rules in commitRules.ts. A commit
   * that adds bytes is refused whole when the owner's usage plus what it adds would pass the
   * owner's quota; the check and the new usage are atomic with the commit, also against
   * commits to the owner's other libraries (by other server instances too).
   */
  commit(input: CommitInput): Promise<CommitOutcome>;
  /**
   * The latest version of each path changed after `after`, ordered by rev, and the library's
   * head read consistently with them (never below the last rev returned).
   */
  changes(libraryId: string, after: number, limit: number): Promise<Page<Entry> & { readonly headSeq: number }>;
  /** The library's current head. */
  headSeq(libraryId: string): Promise<number>;
  /** The latest version of a path, deleted or not. */
  head(libraryId: string, path: LibraryPath): Promise<Entry | null>;
  /** Every version of a path, newest first. */
  history(libraryId: string, path: LibraryPath): Promise<Entry[]>;
  version(libraryId: string, path: LibraryPath, rev: number): Promise<Entry | null>;
  /** Paths whose latest version is deleted and not the trace of a move, ordered by path. */
  trash(libraryId: string, after: LibraryPath | null, limit: number): Promise<Page<{ deleted: Entry; lastLive: Entry }>>;
  /** The live entries as of `seq`, ordered by path, after the `after` path. */
  snapshot(libraryId: string, seq: number, after: LibraryPath | null, limit: number): Promise<Page<Entry>>;
  /** The live entries strictly below `folder` as of `seq`, ordered by path. */
  subtreeAt(libraryId: string, folder: LibraryPath, seq: number): Promise<Entry[]>;
  /** The first rev of the commit that produced version `rev`, or null if there is none. */
  commitStart(libraryId: string, rev: number): Promise<number | null>;
}

/** A conflict a client reported in a library (see shared/protocol/conflicts.ts). */
export interface LibraryConflictRecord {
  readonly id: number;
  readonly libraryId: string;
  readonly path: LibraryPath;
  readonly conflictPath: LibraryPath;
  readonly remoteRev: number | null;
  readonly baseRev: number | null;
  readonly device: string;
  readonly userName: string;
  readonly createdAt: number;
  readonly resolvedAt: number | null;
}

export interface ConflictStore {
  /** The library's open conflicts, oldest first. */
  open(libraryId: string): Promise<LibraryConflictRecord[]>;
  /** Records a conflict; the same path and copy again answers the record there is (open or not). */
  report(input: Omit<LibraryConflictRecord, 'id' | 'resolvedAt'>): Promise<LibraryConflictRecord>;
  /** Closes an open conflict of the library; false when there is no such open conflict. */
  resolve(libraryId: string, id: number, by: string, resolution: string | null, at: number): Promise<boolean>;
}

export interface MetadataStore {
  readonly users: UserStore;
  readonly tokens: TokenStore;
  readonly libraries: LibraryStore;
  readonly chunks: ChunkLinkStore;
  readonly versions: VersionStore;
  readonly conflicts: ConflictStore;
  /** Every library, one at a time (for fsck: a full scan). */
  audit(): AsyncIterable<LibraryAudit>;
  close(): Promise<void>;
}

/**
 * Rows of one table as the embedded store holds them, for `cairn-server migrate`: column names
 * as in the schema, integers for SQLite's booleans, Buffers for blobs, JSON text for chunking.
 */
export interface TableRows {
  readonly table: 'users' | 'tokens' | 'libraries' | 'members' | 'library_chunks' | 'versions' | 'heads' | 'library_conflicts';
  readonly rows: readonly Record<string, unknown>[];
}

/** A user name or a live library name is already taken. */
export class NameTakenError extends Error {
  override readonly name = 'NameTakenError';
}
