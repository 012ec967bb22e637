// The view models the UI shows: what the sync service tells the UI about the account, each
// library, its progress, conflicts, problems, activity and the preferences. They are shaped for
// the screens, not for the index or the wire protocol, so either can change without the UI.
// Like the protocol's, these response schemas strip unknown fields and use no defaults or
// transforms that change a value's type, so a value that passed once passes again.

import { z } from 'zod';
import { byteSizeSchema, contentHashSchema, idSchema, libraryPathSchema, revisionSchema, timestampSchema, userNameSchema } from '../protocol/common.js';
import { libraryRoleSchema } from '../protocol/libraries.js';

/** A server library's id (url-safe, as the protocol defines it). */
export const libraryIdSchema = idSchema;

/** An account of the profile (a user on a server), as the service names it. */
export const accountIdSchema = idSchema;

/** A folder inside a library, or '' for its root. */
export const folderPathSchema = z.union([z.literal(''), libraryPathSchema]);
export type FolderPath = z.output<typeof folderPathSchema>;

/** Longest local folder path accepted (Windows long paths stay below it too). */
export const MAX_LOCAL_FOLDER_LENGTH = 4096;

/**
 * An absolute local folder as the user's OS spells it: `/home/ann/Cairn`, `C:\Users\Ann\Cairn` or
 * `\\server\share\Cairn`. Relative folders are refused: they would resolve against wherever the
 * sync service happens to run, which is never what the user meant.
 */
export const localFolderSchema = z
  .string()
  .min(1)
  .max(MAX_LOCAL_FOLDER_LENGTH)
  .refine((value) => !value.includes('\u0000'), 'a folder path cannot contain NUL')
  .refine((value) => value.startsWith('/') || /^[A-Za-z]:[\\/]/.test(value) || value.startsWith('\\\\'), 'expected an absolute folder path');

/**
 * What the sync service says of a folder typed on the Add-library screen: whether it can be a
 * library's folder (`error`: no; `warning`: yes, read what will happen; `ok`), and why.
 */
export const folderCheckReasonSchema = z.enum([
  'missing',
  /** Not an absolute path: it would resolve against wherever the service runs. */
  'not-absolute',
  /** A file, or something else that is not a folder. */
  'not-folder',
  /** A folder the service cannot write in (or list). */
  'not-writable',
  /** Missing, and its nearest existing parent is not a writable folder. */
  'cannot-create',
  /** Cairn's profile folder, or inside it, or holding it. */
  'profile-folder',
  /** Another library's folder (libraryName), or inside one, or holding one. */
  'is-library',
  'inside-library',
  'contains-library',
  /** Usable: created at the start. */
  'will-create',
  /** Usable: an existing empty folder. */
  'empty',
  /** Usable, but it holds `entries` items already: they are kept and merged with the library. */
  'not-empty',
]);
export type FolderCheckReason = z.output<typeof folderCheckReasonSchema>;

export const folderCheckSchema = z.object({
  verdict: z.enum(['ok', 'warning', 'error']),
  reason: folderCheckReasonSchema,
  /** The other library, for is-library, inside-library and contains-library. */
  libraryName: z.string().nullable(),
  /** Items directly in a not-empty folder, counted up to FOLDER_CHECK_COUNT_LIMIT. */
  entries: z.int().min(0).nullable(),
});
export type FolderCheck = z.output<typeof folderCheckSchema>;

/** checkFolder counts a folder's items up to this many. */
export const FOLDER_CHECK_COUNT_LIMIT = 1000;

/** The folder the service suggests for a library, and whether this app has a native folder dialog (chooseFolder). */
export const folderSuggestionSchema = z.object({
  path: z.string(),
  nativePicker: z.boolean(),
});
export type FolderSuggestion = z.output<typeof folderSuggestionSchema>;

/** Bytes per second; null where nothing was measured yet. */
const rateSchema = z.number().min(0);

/**
 * Progress of the round a library is running. bytesPerSecond and secondsLeft are null until
 * enough has moved to measure them; they are estimates, the counts are facts.
 */
export const roundProgressSchema = z
  .object({
    filesDone: z.int().min(0),
    filesTotal: z.int().min(0),
    bytesDone: byteSizeSchema,
    bytesTotal: byteSizeSchema,
    bytesPerSecond: rateSchema.nullable(),
    secondsLeft: z.number().min(0).nullable(),
  })
  .refine((progress) => progress.filesDone <= progress.filesTotal && progress.bytesDone <= progress.bytesTotal, 'progress cannot pass its total');
export type RoundProgressView = z.output<typeof roundProgressSchema>;

/**
 * Why a library is paused. 'user': paused by the user; 'all-paused': the user paused
 * everything; the others are circuit breakers: the root folder is missing or was emptied, or a
 * round would have deleted many files. Resuming a breaker pause is the user's confirmation.
 */
export const pauseReasonSchema = z.enum(['user', 'all-paused', 'root-missing', 'root-emptied', 'mass-delete']);
export type PauseReason = z.output<typeof pauseReasonSchema>;

/** What made a round fail, as the UI names it (see LibraryState 'error'). */
export const ROUND_ERROR_REASONS = ['not-logged-in', 'library-gone', 'forbidden', 'server-refused', 'server-error', 'rate-limited', 'local', 'unknown'] as const;
export const roundErrorReasonSchema = z.enum(ROUND_ERROR_REASONS);
export type RoundErrorReason = z.output<typeof roundErrorReasonSchema>;

/**
 * What a library is doing. The state is never 'up-to-date' while work is pending: a change seen
 * but not yet synced is 'pending', a round is 'scanning' or 'syncing', and a completed round
 * with open conflicts or problems is 'needs-attention'.
 */
export const libraryStateSchema = z.discriminatedUnion('kind', [
  /** The last round completed and nothing is known to be pending, conflicted or broken. */
  z.object({ kind: z.literal('up-to-date') }),
  /** Work is known to be waiting; a round starts by itself (never synced, changes seen, queued). */
  z.object({ kind: z.literal('pending'), reason: z.enum(['never-synced', 'changes-seen', 'round-queued']) }),
  /** A round is reading the server's change feed or the disk. */
  z.object({ kind: z.literal('scanning'), progress: roundProgressSchema }),
  /** A round is moving data or applying changes. */
  z.object({ kind: z.literal('syncing'), phase: z.enum(['uploading', 'downloading', 'committing', 'applying']), progress: roundProgressSchema }),
  /** In sync except for open conflicts or problems the user should look at. */
  z.object({ kind: z.literal('needs-attention') }),
  /**
   * Paused. `stopping`: the round that was running is still stopping (its transfers are being
   * aborted; what arrived is kept), so the UI says "pausing…" until it is absent.
   */
  z.object({ kind: z.literal('paused'), reason: pauseReasonSchema, since: timestampSchema, stopping: z.boolean().optional() }),
  /**
   * The library's account is signed out on this device: it waits, files kept, for that account's
   * login. `unlinked`: it is bound to no account at all (an older profile's), and waits to be
   * linked to one that can see it.
   */
  z.object({ kind: z.literal('signed-out'), unlinked: z.boolean().optional() }),
  /** The Cairn server cannot be reached; the service retries by itself (at retryAt when known). */
  z.object({ kind: z.literal('offline'), since: timestampSchema, retryAt: timestampSchema.nullable() }),
  /**
   * The last round failed; nothing was lost. `action` says whether it retries by itself;
   * `reason` what failed, for the UI's sentence (`message` is the service's own English text,
   * for the CLI and logs; absent reason: 'unknown').
   */
  z.object({ kind: z.literal('error'), message: z.string(), at: timestampSchema, action: z.enum(['retry-later', 'needs-user']), reason: roundErrorReasonSchema.optional() }),
]);
export type LibraryState = z.output<typeof libraryStateSchema>;
export type LibraryStateKind = LibraryState['kind'];

/** One library synced on this device. */
export const libraryViewSchema = z.object({
  libraryId: libraryIdSchema,
  name: z.string(),
  /** The local folder it syncs to. */
  localRoot: z.string(),
  /** Selective sync: the folders and files synced, or null for the whole library. */
  selection: z.array(libraryPathSchema).nullable(),
  state: libraryStateSchema,
  /** When the last complete round ended, or null if none has. */
  lastSyncAt: timestampSchema.nullable(),
  openConflicts: z.int().min(0),
  problemCount: z.int().min(0),
  /** Clean three-way merges of text conflicts are applied without asking (set with setAutoMerge). */
  autoMerge: z.boolean(),
  /**
   * This account's role in the library ('ro': read-only: local changes are kept here and listed
   * as problems, never uploaded) and the library's owner; null until the server was asked.
   */
  role: libraryRoleSchema.nullable().optional(),
  owner: userNameSchema.nullable().optional(),
  /** The account it syncs with (its server, user and token, never another's); null: unknown. */
  accountId: accountIdSchema.nullable().optional(),
  /**
   * Set while files of this library wait because the owner's storage on the server is full:
   * the owner's usage and quota when the server last refused them (this service's run only).
   */
  storageFull: z.object({ usedBytes: byteSizeSchema, quotaBytes: byteSizeSchema }).nullable().optional(),
});
export type LibraryView = z.output<typeof libraryViewSchema>;

/** Who this device is logged in as. */
export const accountViewSchema = z.object({
  accountId: accountIdSchema.optional(),
  serverUrl: z.string(),
  user: userNameSchema,
  deviceName: z.string(),
});
export type AccountView = z.output<typeof accountViewSchema>;

/** One account of the profile, signed in or out, with the libraries bound to it. */
export const accountSummarySchema = z.object({
  accountId: accountIdSchema,
  serverUrl: z.string(),
  user: userNameSchema,
  deviceName: z.string().nullable(),
  signedIn: z.boolean(),
  libraries: z.array(z.object({ libraryId: libraryIdSchema, name: z.string(), localRoot: z.string() })),
});
export type AccountSummary = z.output<typeof accountSummarySchema>;

/** Everything the main window and the tray show at a glance. */
export const syncStatusSchema = z.object({
  /** The first signed-in account; null while none is (show the connect screen). */
  account: accountViewSchema.nullable(),
  /** Every account of the profile (absent from an older service: only `account`). */
  accounts: z.array(accountSummarySchema).optional(),
  /** True while the user has paused everything (each library then shows 'all-paused'). */
  allPaused: z.boolean(),
  libraries: z.array(libraryViewSchema),
});
export type SyncStatus = z.output<typeof syncStatusSchema>;

/** A library on the server, as the "add a library" screen lists it. */
export const remoteLibraryViewSchema = z.object({
  libraryId: libraryIdSchema,
  name: z.string(),
  owner: userNameSchema,
  /** The user's role: owner, read-write or read-only member. */
  role: libraryRoleSchema,
  /** The local folder it syncs to on this device, or null if it is not synced here. */
  syncedTo: z.string().nullable(),
  /** The sizes of its current files on the server (what it counts against its owner's quota); null from an older server. */
  sizeBytes: byteSizeSchema.nullable().optional(),
});
export type RemoteLibraryView = z.output<typeof remoteLibraryViewSchema>;

/**
 * The signed-in user's storage on the server: the sizes of the current files of the libraries
 * they own (history, deleted files and libraries in the trash do not count), and their quota
 * (null: no limit).
 */
export const storageViewSchema = z.object({
  usedBytes: byteSizeSchema,
  quotaBytes: byteSizeSchema.nullable(),
});
export type StorageView = z.output<typeof storageViewSchema>;

/** One user with access to a server library, and their role ('owner', 'rw' or 'ro'). */
export const memberViewSchema = z.object({
  user: userNameSchema,
  role: libraryRoleSchema,
});
export type MemberView = z.output<typeof memberViewSchema>;

/** One subfolder in the selective-sync tree, with the size of everything below it. */
export const remoteFolderViewSchema = z.object({
  path: libraryPathSchema,
  /** The last segment of path, for display. */
  name: z.string().min(1),
  /** Files anywhere below this folder, and their total size. */
  fileCount: z.int().min(0),
  totalBytes: byteSizeSchema,
  /** Whether it has subfolders of its own (the tree shows an expander). */
  hasSubfolders: z.boolean(),
});
export type RemoteFolderView = z.output<typeof remoteFolderViewSchema>;

/** One level of a library's folder tree on the server. */
export const remoteFolderListingSchema = z.object({
  libraryId: libraryIdSchema,
  path: folderPathSchema,
  /** The subfolders directly in `path`, by name. */
  folders: z.array(remoteFolderViewSchema),
  /** The files directly in `path` (not below its subfolders), and their total size. */
  fileCount: z.int().min(0),
  totalBytes: byteSizeSchema,
});
export type RemoteFolderListing = z.output<typeof remoteFolderListingSchema>;

const pendingCountSchema = z.object({ files: z.int().min(0), bytes: byteSizeSchema });

/**
 * What a library that is not syncing (paused, offline, stopped by an error) has waiting: the
 * files a round would upload and download now, and the deletions it would make on either side.
 * The download side is null when the server could not be asked.
 */
export const pendingWorkSchema = z.object({
  upload: pendingCountSchema,
  deleteOnServer: z.int().min(0),
  download: pendingCountSchema.nullable(),
  deleteHere: z.int().min(0).nullable(),
});
export type PendingWorkView = z.output<typeof pendingWorkSchema>;

/** Synced files a new selection takes off this computer, under one topmost path (see previewSelection). */
export const selectionLeavingSchema = z.object({
  path: libraryPathSchema,
  files: z.int().min(0),
  bytes: byteSizeSchema,
});
export type SelectionLeaving = z.output<typeof selectionLeavingSchema>;

/** One version of a path in the server's history (newest first in a history). */
export const versionViewSchema = z.object({
  path: libraryPathSchema,
  rev: revisionSchema,
  kind: z.enum(['file', 'dir']),
  /** A deletion: the path had no live version from this one on. */
  deleted: z.boolean(),
  size: byteSizeSchema,
  contentHash: contentHashSchema,
  committedAt: timestampSchema,
  userName: z.string(),
  device: z.string(),
  /** Where a move came from (on the new path's version), or null. */
  movedFrom: libraryPathSchema.nullable(),
  /** Where a move went (on the old path's deletion), or null. */
  movedTo: libraryPathSchema.nullable(),
});
export type VersionView = z.output<typeof versionViewSchema>;

/**
 * What one completed sync round of a library did: the files and bytes it moved, the conflicts
 * it found, the problems it saw, and how it ended ('synced'; 'paused' by the user or a circuit
 * breaker, see pauseReason; 'error', see error). `cairn sync now` prints it.
 */
export const roundSummaryViewSchema = z.object({
  libraryId: libraryIdSchema,
  name: z.string(),
  outcome: z.enum(['synced', 'paused', 'error']),
  pauseReason: z.string().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  uploadedFiles: z.int().min(0),
  /** Chunk bytes actually sent (chunks the server already had are not counted). */
  uploadedBytes: byteSizeSchema,
  downloadedFiles: z.int().min(0),
  /** Chunk bytes fetched from the server. */
  downloadedBytes: byteSizeSchema,
  /** Chunk bytes taken from files already on this disk instead of the server. */
  reusedBytes: byteSizeSchema,
  deletedLocal: z.int().min(0),
  deletedRemote: z.int().min(0),
  movedLocal: z.int().min(0),
  movedRemote: z.int().min(0),
  foldersCreated: z.int().min(0),
  /** Paths that became conflicts in this round. */
  conflicts: z.array(libraryPathSchema),
  /** Conflicts resolved by a clean merge after the round (the library allows it). */
  autoMerged: z.array(z.object({ path: libraryPathSchema, conflictPath: libraryPathSchema.nullable() })),
  problems: z.array(z.object({ path: z.string(), kind: z.string(), message: z.string() })),
  /** Plan-and-execute passes the round needed until nothing was left. */
  passes: z.int().min(0),
  /** Set when the server refused uploads because the library owner's storage is full. */
  storageFull: z.object({ usedBytes: byteSizeSchema, quotaBytes: byteSizeSchema }).nullable().optional(),
});
export type RoundSummaryView = z.output<typeof roundSummaryViewSchema>;

/** A round that moved nothing: the engine starts each round's summary from it, and a library
 * not synced (paused) is reported with it. */
export function emptyRoundSummary(libraryId: string, name: string) {
  return {
    libraryId,
    name,
    outcome: 'synced' as RoundSummaryView['outcome'],
    pauseReason: null as RoundSummaryView['pauseReason'],
    error: null,
    uploadedFiles: 0,
    uploadedBytes: 0,
    downloadedFiles: 0,
    downloadedBytes: 0,
    reusedBytes: 0,
    deletedLocal: 0,
    deletedRemote: 0,
    movedLocal: 0,
    movedRemote: 0,
    foldersCreated: 0,
    conflicts: [],
    autoMerged: [],
    problems: [],
    passes: 0,
    storageFull: null as { usedBytes: number; quotaBytes: number } | null,
  };
}

/** Who made a version: the device and user, each null when not known. */
const authorFields = { device: z.string().nullable(), user: z.string().nullable() };

/** One side of a conflict as it was when the conflict was recorded. */
export const conflictSideViewSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('file'), size: byteSizeSchema, mtimeMs: z.number().nullable(), ...authorFields }),
  z.object({ kind: z.literal('dir'), ...authorFields }),
  /** That side had deleted the path. */
  z.object({ kind: z.literal('deleted'), ...authorFields }),
]);
export type ConflictSideView = z.output<typeof conflictSideViewSchema>;

/**
 * What a conflicting file holds, judged cheaply from its name and sizes: 'text' (can be diffed
 * and merged), 'image' (png, jpeg, gif, webp: previewed as pictures) or 'binary'. Null when the
 * name says nothing; getConflictDetails looks at the bytes.
 */
export const contentKindSchema = z.enum(['text', 'image', 'binary']);
export type ContentKind = z.output<typeof contentKindSchema>;

export const conflictViewSchema = z.object({
  conflictId: z.int().min(1),
  libraryId: libraryIdSchema,
  libraryName: z.string(),
  /** The path that kept the server's version. */
  path: libraryPathSchema,
  /** Where the local version was saved beside it, or null when there is no copy. */
  conflictPath: libraryPathSchema.nullable(),
  local: conflictSideViewSchema,
  remote: conflictSideViewSchema,
  /** Whether the version both sides started from is known (not when both created the path). */
  baseKnown: z.boolean(),
  contentKind: contentKindSchema.nullable(),
  createdAt: timestampSchema,
});
export type ConflictView = z.output<typeof conflictViewSchema>;

/**
 * keep 'local': the conflict copy's content goes back under the name; 'remote': the copy is
 * removed; 'both': both files stay; 'merged': the three-way merge of both (text with a known
 * base) replaces the file under the name and the copy is removed. The versions replaced stay
 * in the server's history.
 */
export const keepChoiceSchema = z.enum(['local', 'remote', 'both', 'merged']);
export type KeepChoice = z.output<typeof keepChoiceSchema>;

/**
 * Kinds of per-path problems. The service maps a kind it has no name for here to 'other';
 * the UI always shows `message`, the kind only picks an icon and a help link.
 */
export const problemKindSchema = z.enum([
  'symlink',
  'special-file',
  'unreadable',
  'changing',
  'invalid-name',
  'case-clash',
  'illegal-local-name',
  'unsafe-path',
  'root-missing',
  'root-emptied',
  'mass-delete',
  /** Changed on this computer in a read-only library: kept here, not uploaded. */
  'read-only',
  /** Changed on this computer, but the library owner's storage on the server is full: kept here, not uploaded. */
  'quota-exceeded',
  'other',
]);
export type ProblemKind = z.output<typeof problemKindSchema>;

export const problemViewSchema = z.object({
  libraryId: libraryIdSchema,
  kind: problemKindSchema,
  /** The path concerned, or '' for the library as a whole. */
  path: folderPathSchema,
  /** A name that is not a library path (an invalid name on disk), else ''. */
  name: z.string(),
  /** A sentence for the user: what is wrong and what to do. */
  message: z.string(),
  firstSeenAt: timestampSchema,
  lastSeenAt: timestampSchema,
  /** When the user dismissed it (understood: it no longer makes the library need attention), else null. */
  dismissedAt: timestampSchema.nullable(),
});
export type ProblemView = z.output<typeof problemViewSchema>;

/** Why a line of ignore rules is not what it seems (see previewIgnoreRules). */
export const IGNORE_RULE_PROBLEMS = ['backslash', 'absolute', 'unclosed-bracket', 'backward-range', 'empty-negation', 'too-long'] as const;
export const ignoreRuleProblemSchema = z.enum(IGNORE_RULE_PROBLEMS);
export type IgnoreRuleProblem = z.output<typeof ignoreRuleProblemSchema>;

/** Ignore rules being typed: the lines that are not what they seem, and what they would match. */
export const ignorePreviewSchema = z.object({
  issues: z.array(z.object({ line: z.int().min(1), problem: ignoreRuleProblemSchema })),
  /** How many of the library's files and folders (as last scanned) the rules match; a folder counts once, with what is in it. */
  matchCount: z.int().min(0),
  /** The first of them, in path order. */
  matches: z.array(libraryPathSchema),
});
export type IgnorePreview = z.output<typeof ignorePreviewSchema>;

/** Where a deletion or move happened: here (because of the server) or on the server (because of here). */
export const changeSideSchema = z.enum(['this-device', 'server']);
export type ChangeSide = z.output<typeof changeSideSchema>;

const activityBase = {
  /** Increases with every entry on this device: newer entries have larger ids. */
  activityId: z.int().min(1),
  at: timestampSchema,
  libraryId: libraryIdSchema,
  libraryName: z.string(),
};

/** One line of the activity list. */
export const activityEntrySchema = z.discriminatedUnion('kind', [
  z.object({ ...activityBase, kind: z.literal('uploaded'), path: libraryPathSchema, size: byteSizeSchema }),
  z.object({ ...activityBase, kind: z.literal('downloaded'), path: libraryPathSchema, size: byteSizeSchema }),
  z.object({ ...activityBase, kind: z.literal('deleted'), path: libraryPathSchema, side: changeSideSchema }),
  z.object({ ...activityBase, kind: z.literal('moved'), from: libraryPathSchema, to: libraryPathSchema, side: changeSideSchema }),
  z.object({ ...activityBase, kind: z.literal('conflict-found'), path: libraryPathSchema, conflictPath: libraryPathSchema.nullable() }),
  /**
   * A conflict was resolved automatically by a clean three-way merge (the library allows it):
   * the merged file replaced `path` and the conflict copy was removed. Both versions before the
   * merge stay in the server's history (the copy's under `conflictPath`).
   */
  z.object({ ...activityBase, kind: z.literal('conflict-merged'), path: libraryPathSchema, conflictPath: libraryPathSchema.nullable() }),
  /** `problemKind` picks the sentence in the user's language; lines recorded before it existed lack it. */
  z.object({ ...activityBase, kind: z.literal('problem-found'), path: folderPathSchema, message: z.string(), problemKind: problemKindSchema.optional() }),
  /**
   * Another device deleted a file that was changed here meanwhile: the edit won, so the file
   * stayed here and went up to the server again (nothing was deleted on this computer).
   */
  z.object({ ...activityBase, kind: z.literal('kept-edit'), path: libraryPathSchema, size: byteSizeSchema }),
  /**
   * Selective sync no longer covers `path`: its synced files (`files`, `bytes`) leave this
   * computer and stay on the server. Files changed here and not yet uploaded stay on disk.
   */
  z.object({ ...activityBase, kind: z.literal('unselected'), path: libraryPathSchema, files: z.int().min(0), bytes: byteSizeSchema }),
]);
export type ActivityEntry = z.output<typeof activityEntrySchema>;
export type ActivityKind = ActivityEntry['kind'];

export const LANGUAGES = ['en', 'zh-CN'] as const;
export const languageSchema = z.enum(LANGUAGES);
export type Language = z.output<typeof languageSchema>;

export const THEMES = ['system', 'light', 'dark'] as const;
export const themeSchema = z.enum(THEMES);
export type Theme = z.output<typeof themeSchema>;

/** A bandwidth limit in bytes per second (at least 1 KiB/s), or null for none. */
export const bandwidthLimitSchema = z.int().min(1024).nullable();

export const preferencesSchema = z.object({
  language: languageSchema,
  startAtLogin: z.boolean(),
  /** Desktop notifications for conflicts and problems. */
  notifications: z.boolean(),
  uploadLimit: bandwidthLimitSchema,
  downloadLimit: bandwidthLimitSchema,
  /** Light or dark colours, or 'system': as the operating system is set. */
  theme: themeSchema,
});
export type Preferences = z.output<typeof preferencesSchema>;

/** Longest ignore-rules text accepted (gitignore syntax, one rule a line). */
export const MAX_IGNORE_RULES_LENGTH = 64 * 1024;
