// The records the index stores besides the three entry states (which are the engine's model
// types: RemoteEntry, LocalEntry, SyncedEntry).

import type { ChunkingParams } from '../../../shared/model.js';
import type { LibraryPath } from '../../../shared/paths.js';
import type { LocalNameProblem } from '../localfs/checkLocalName.js';
import type { UnsafePathReason } from '../localfs/resolveInRoot.js';
import type { LocalEntry, Node, RemoteEntry, SyncedEntry } from '../syncModel.js';
import type { ScanProblemKind } from '../scanner/scanProblem.js';

/** The server's id for a library. Opaque to the index. */
export type LibraryId = string;

/** Profile settings kept in the index. The device tokens are deliberately not among them. */
export interface ProfileSettings {
  /** The server of the last login, offered again by the connect form. */
  readonly serverUrl?: string;
  readonly deviceName?: string;
  /**
   * Set by the migration of a one-account profile: the account its one device token belongs
   * to, until the engine has moved the token into the per-account form (see Engine.open).
   */
  readonly legacyTokenAccount?: string;
}
/** One account of the profile: a user on a server. Its device token is in the secret store. */
export interface AccountRecord {
  readonly accountId: string;
  /** Normalized (see normalizeServerUrl). */
  readonly serverUrl: string;
  readonly user: string;
  /** This device's id on that server, from the last login; null before any. */
  readonly deviceId: string | null;
  readonly deviceName: string | null;
  readonly addedAt: number;
}
export type NewAccount = Pick<AccountRecord, 'accountId' | 'serverUrl' | 'user' | 'deviceId' | 'deviceName'>;
export type ProfileSettingKey = keyof ProfileSettings;

export interface LibraryRecord {
  readonly libraryId: LibraryId;
  readonly name: string;
  /** Absolute path of the local folder this library syncs to. */
  readonly localRoot: string;
  readonly chunking: ChunkingParams;
  /** How far the change feed has been read: the last sequence number applied to remote state. */
  readonly cursor: number;
  /** Selective sync: the folders and files synced, or null for the whole library. */
  readonly selection: readonly LibraryPath[] | null;
  /** Clean three-way merges of text conflicts are applied without asking (off unless the user allows it). */
  readonly autoMerge: boolean;
  /**
   * This account's role in the library ('ro': read-only, nothing is uploaded) and the
   * library's owner, as the server said at the last round; null until it was asked.
   */
  readonly role: 'owner' | 'rw' | 'ro' | null;
  readonly owner: string | null;
  /** The account (AccountRecord.accountId) whose server, token and device sync it; null: unknown (never syncs). */
  readonly accountId: string | null;
  /** Null while syncing; why and since when (ms) otherwise, e.g. 'user' or 'root-missing'. */
  readonly pause: { readonly reason: string; readonly since: number } | null;
  /** When the last complete sync round ended (ms since the epoch), or null if never. */
  readonly lastSyncAt: number | null;
  readonly lastError: { readonly message: string; readonly at: number } | null;
  /**
   * A circuit breaker the user overrode by resuming the library (e.g. 'mass-delete' after
   * checking that the deletions are wanted): the next round goes ahead despite it, once.
   */
  readonly breakerOverride: { readonly reason: string; readonly at: number } | null;
}

/** What a caller supplies to add a library; the rest starts empty (cursor 0, not paused). */
export type NewLibrary = Pick<LibraryRecord, 'libraryId' | 'name' | 'localRoot' | 'chunking'> &
  Partial<Pick<LibraryRecord, 'selection' | 'role' | 'owner' | 'accountId'>>;

export type LibraryUpdate = Partial<Omit<LibraryRecord, 'libraryId' | 'accountId'>>;

/** One side of a conflict as it was when the conflict was recorded. */
export interface ConflictSide {
  /** Null when that side had deleted the path. */
  readonly node: Node | null;
  readonly rev: number | null;
  readonly mtimeMs: number | null;
  /** The device that wrote this side, when known. */
  readonly device: string | null;
  /** The user that wrote this side, when known (null in conflicts recorded before it was kept). */
  readonly user: string | null;
}

/** A conflict side as recorded; the user may be left out when it is not known. */
export type NewConflictSide = Omit<ConflictSide, 'user'> & { readonly user?: string | null };

/**
 * The merge base of a conflict: the version both sides last agreed on (the synced entry the
 * conflict replaced), named by its revision on the server, whose history holds its content.
 */
export interface ConflictBase {
  readonly rev: number;
  readonly node: Node;
}

/**
 * How a conflict was closed: a keep choice of the user, a merge the user applied, or a clean
 * merge the engine applied by itself because the library allows it ('auto-merged').
 */
export type ConflictResolution = 'local' | 'remote' | 'both' | 'merged' | 'auto-merged';

export interface ConflictRecord {
  readonly conflictId: number;
  readonly libraryId: LibraryId;
  /** The path that keeps the server's version. */
  readonly path: LibraryPath;
  /** Where the local version was saved, or null when there is no copy (e.g. a clean merge). */
  readonly conflictPath: LibraryPath | null;
  readonly local: ConflictSide;
  readonly remote: ConflictSide;
  /** The merge base, or null when unknown (both sides created the path, or recorded before bases were kept). */
  readonly base: ConflictBase | null;
  readonly createdAt: number;
  readonly resolvedAt: number | null;
  /** How it was resolved; null while open, and for conflicts resolved before this was kept. */
  readonly resolution: ConflictResolution | null;
  /**
   * The conflict's id on the server (conflicts are library state, shared with every client of
   * the library), or null while it is not reported (or the server does not keep conflicts).
   */
  readonly serverId: number | null;
  /** Whether the server has it open ('closed': it knows of its resolution), null when unknown there. */
  readonly serverState: 'open' | 'closed' | null;
}

export type NewConflict = Omit<ConflictRecord, 'conflictId' | 'resolvedAt' | 'resolution' | 'base' | 'local' | 'remote' | 'serverId' | 'serverState'> & {
  readonly local: NewConflictSide;
  readonly remote: NewConflictSide;
  readonly base?: ConflictBase | null;
};

/** Every kind of per-path problem the index can hold. Extend it as new reporters appear. */
export type ProblemKind = ScanProblemKind | 'illegal-local-name' | 'unsafe-path' | 'read-only' | 'quota-exceeded';

export type { LocalNameProblem, UnsafePathReason };

export interface ProblemInput {
  readonly kind: ProblemKind;
  /** The path concerned, or '' for the library as a whole. */
  readonly path: LibraryPath | '';
  /** A name that is not a LibraryPath (see ScanProblem.name), else ''. */
  readonly name: string;
  readonly message: string;
}

export interface ProblemRecord extends ProblemInput {
  readonly libraryId: LibraryId;
  readonly firstSeenAt: number;
  readonly lastSeenAt: number;
  /** When the user dismissed it (understood; it no longer asks for attention), or null. */
  readonly dismissedAt: number | null;
}

/** What names one problem: its path, kind and raw name. */
export interface ProblemKey {
  readonly path: LibraryPath | '';
  /** As stored (a ProblemKind, or a circuit breaker's kind). */
  readonly kind: string;
  readonly name: string;
}

/** Which problems a replaceProblems call speaks for: these kinds, at or below these paths. */
export interface ProblemScope {
  readonly kinds: readonly ProblemKind[];
  /** Undefined for the whole library. */
  readonly within?: readonly LibraryPath[];
}

/**
 * A commit sent to the server whose outcome we may not have seen. It is written (durably)
 * before the request leaves, and removed once the answer is recorded; after a crash the engine
 * asks the server about each one by its id instead of sending it again blindly.
 */
export interface PendingCommit {
  readonly commitId: string;
  readonly libraryId: LibraryId;
  /** The request as sent, as JSON-compatible data; validate it when reading it back. */
  readonly body: unknown;
  readonly createdAt: number;
}

/** The three states the planner needs for one library. */
export interface LibraryState {
  readonly remote: Map<LibraryPath, RemoteEntry>;
  readonly local: Map<LibraryPath, LocalEntry>;
  readonly synced: Map<LibraryPath, SyncedEntry>;
}
