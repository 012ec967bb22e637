// The SyncApi contract: every operation the UI (and the CLI, through a running daemon) can ask
// of the sync service, with its request and response schema, in one table. The SyncApi
// interface, the IPC channel names and the control API's HTTP paths are all derived from the
// table, so no side can drift from another.
//
// Request schemas are strict (an unknown field is a caller bug) and use no defaults, so the
// type a caller passes is the type the service receives after validation. Response schemas
// strip unknown fields, like the wire protocol's.

import { z } from 'zod';
import { PROTOCOL_LIMITS, libraryPathSchema, okResponseSchema } from '../protocol/common.js';
import { libraryNameSchema, memberRoleSchema } from '../protocol/libraries.js';
import type { SyncEventListener, Unsubscribe } from './events.js';
import { trashItemViewSchema, versionPreviewSchema } from './history.js';
import { fileListingSchema, listFilesRequestSchema, restoreSnapshotRequestSchema, snapshotResultSchema } from './files.js';
import {
  conflictDetailsSchema,
  resolveConflictRequestSchema,
  resolveConflictsRequestSchema,
  resolveConflictsResponseSchema,
} from './conflictDetails.js';
import {
  MAX_IGNORE_RULES_LENGTH,
  accountIdSchema,
  accountSummarySchema,
  accountViewSchema,
  activityEntrySchema,
  bandwidthLimitSchema,
  conflictViewSchema,
  folderCheckSchema,
  folderPathSchema,
  folderSuggestionSchema,
  languageSchema,
  libraryIdSchema,
  libraryViewSchema,
  MAX_LOCAL_FOLDER_LENGTH,
  localFolderSchema,
  memberViewSchema,
  pendingWorkSchema,
  preferencesSchema,
  ignorePreviewSchema,
  problemKindSchema,
  problemViewSchema,
  remoteFolderListingSchema,
  remoteLibraryViewSchema,
  storageViewSchema,
  selectionLeavingSchema,
  syncStatusSchema,
  themeSchema,
  versionViewSchema,
} from './views.js';

/** Limits both sides of the boundary agree on. Callers should stay below them. */
export const SYNC_API_LIMITS = {
  /** Largest request body the control API reads (a long selection list fits easily). */
  maxRequestBytes: 4 * 1024 * 1024,
  /** Most paths in one selective-sync selection. */
  maxSelectionPaths: 10_000,
  /** Largest page of activity entries, and the page size when none is asked for. */
  maxActivityPage: 500,
  defaultActivityPage: 100,
  maxServerUrlLength: 2048,
} as const;

/** The address of a Cairn server: an http or https URL. */
export const serverUrlSchema = z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// address' }).max(SYNC_API_LIMITS.maxServerUrlLength);

const emptyRequestSchema = z.strictObject({});
const membersSchema = z.object({ members: z.array(memberViewSchema) });
const userNameRequestSchema = z.string().min(1).max(256);
const libraryRequestSchema = z.strictObject({ libraryId: libraryIdSchema });
const selectionSchema = z.array(libraryPathSchema).max(SYNC_API_LIMITS.maxSelectionPaths).nullable();

export const loginRequestSchema = z.strictObject({
  serverUrl: serverUrlSchema,
  user: z.string().min(1).max(256),
  password: z.string().min(1).max(PROTOCOL_LIMITS.maxPasswordLength),
  /** This device's name on the server; the service picks the host name when it is absent. */
  deviceName: z.string().min(1).max(PROTOCOL_LIMITS.maxDeviceNameLength).optional(),
  /**
   * Switch rather than add: once this login succeeded, every other signed-in account is signed
   * out (its libraries stop syncing here; their files stay). Without it the account is added
   * beside the others (the same user at the same server again only renews its token).
   */
  switchAccount: z.boolean().optional(),
});

export const addLibraryRequestSchema = z.strictObject({
  libraryId: libraryIdSchema,
  /** Created when missing; must not overlap the folder of another synced library. */
  localRoot: localFolderSchema,
  /** The folders (and files) to sync, or null for the whole library. */
  selection: selectionSchema,
  /** The account whose library it is, which it syncs with (default: the only signed-in one). */
  accountId: accountIdSchema.optional(),
});

export const removedLibrarySchema = z.object({
  libraryId: libraryIdSchema,
  name: z.string(),
  /** The folder that was synced. Its files stay where they are. */
  localRoot: z.string(),
});

export const ignoreRulesSchema = z.object({
  libraryId: libraryIdSchema,
  /** gitignore syntax, one rule a line. */
  text: z.string().max(MAX_IGNORE_RULES_LENGTH),
});

export const activityRequestSchema = z.strictObject({
  /** Only this library's entries; all libraries when absent. */
  libraryId: libraryIdSchema.optional(),
  /** Paging: only entries older than this activityId. */
  before: z.int().min(1).optional(),
  /** Page size; SYNC_API_LIMITS.defaultActivityPage when absent. */
  limit: z.int().min(1).max(SYNC_API_LIMITS.maxActivityPage).optional(),
});

/** Newest first; read the next page with before = the last entry's activityId while hasMore. */
export const activityPageSchema = z.object({
  entries: z.array(activityEntrySchema),
  hasMore: z.boolean(),
});

/** A partial update: fields left out keep their value. */
export const preferencesUpdateSchema = z.strictObject({
  language: languageSchema.optional(),
  startAtLogin: z.boolean().optional(),
  notifications: z.boolean().optional(),
  uploadLimit: bandwidthLimitSchema.optional(),
  downloadLimit: bandwidthLimitSchema.optional(),
  theme: themeSchema.optional(),
});

interface OperationDefinition {
  readonly request: z.ZodType;
  readonly response: z.ZodType;
}

function operation<const Request extends z.ZodType, const Response extends z.ZodType>(request: Request, response: Response) {
  return { request, response } as const satisfies OperationDefinition;
}

export const syncApiOperations = {
  /** The account, the global pause and every synced library. */
  getStatus: operation(emptyRequestSchema, syncStatusSchema),

  /** First-run connect. Fails with wrong-password, unreachable, not-cairn-server or certificate. */
  login: operation(loginRequestSchema, accountViewSchema),
  /**
   * Signs one account out (default: the only signed-in one): its token is revoked on the server
   * (when reachable) and forgotten here; its libraries stop syncing (their files stay) and are
   * answered; other accounts are not touched.
   */
  logout: operation(
    z.strictObject({ accountId: accountIdSchema.optional() }),
    okResponseSchema.extend({ stopped: z.array(z.object({ libraryId: libraryIdSchema, name: z.string(), localRoot: z.string() })).optional() }),
  ),
  // Several accounts per profile
  /** Every account of the profile, signed in or out, with the libraries bound to each. */
  listAccounts: operation(emptyRequestSchema, z.object({ accounts: z.array(accountSummarySchema) })),
  // Removing an account
  /**
   * Removes an account from this profile: the libraries bound to it stop syncing here (their
   * local files stay) and are answered; its token is revoked (when the server answers) and deleted.
   */
  removeAccount: operation(
    z.strictObject({ accountId: accountIdSchema }),
    okResponseSchema.extend({ removed: z.array(z.object({ libraryId: libraryIdSchema, name: z.string(), localRoot: z.string() })) }),
  ),
  // Linking a library bound to no account (an older profile's)
  /** The signed-in accounts that can see a synced library on their server (each server asked now). */
  listLinkCandidates: operation(libraryRequestSchema, z.object({ accounts: z.array(z.object({ accountId: accountIdSchema, serverUrl: z.string(), user: z.string() })) })),
  /** Links a synced library bound to no account to an account that can see it; it then syncs with it. */
  linkLibrary: operation(z.strictObject({ libraryId: libraryIdSchema, accountId: accountIdSchema }), libraryViewSchema),

  /** The server libraries of an account (default: the only signed-in one; several: 'invalid-argument'), with that account's storage (null: the server does not say). */
  listRemoteLibraries: operation(z.strictObject({ accountId: accountIdSchema.optional() }), z.object({ libraries: z.array(remoteLibraryViewSchema), storage: storageViewSchema.nullable().optional() })),
  createLibrary: operation(z.strictObject({ name: libraryNameSchema, accountId: accountIdSchema.optional() }), remoteLibraryViewSchema),
  // Add-library folder: the suggested folder, checks of a typed path, the app's native picker.
  /** A folder for a library: beside the synced libraries' folders, else ~/Cairn/<name> (the service's home and separator). */
  suggestFolder: operation(z.strictObject({ libraryName: z.string().max(1000) }), folderSuggestionSchema),
  /** Whether a typed path can be a new library's folder, and what would happen to it. Reads only. */
  checkFolder: operation(z.strictObject({ path: z.string().max(MAX_LOCAL_FOLDER_LENGTH) }), folderCheckSchema),
  /**
   * The OS's folder dialog (the desktop app: opened by its main process; the daemon answers
   * `forbidden`). path: the folder chosen, null when the dialog was cancelled.
   */
  chooseFolder: operation(z.strictObject({ title: z.string().max(200), startIn: localFolderSchema.nullable() }), z.object({ path: localFolderSchema.nullable() })),
  /** Who can use a server library (synced here or not): the owner first, then the members. */
  listMembers: operation(libraryRequestSchema, membersSchema),
  /** Shares a library the caller owns with another user, or changes their role. */
  setMember: operation(z.strictObject({ libraryId: libraryIdSchema, user: userNameRequestSchema, role: memberRoleSchema }), membersSchema),
  /** Stops sharing with a user (the owner), or leaves a library shared with the caller (their own name). */
  removeMember: operation(z.strictObject({ libraryId: libraryIdSchema, user: userNameRequestSchema }), membersSchema),
  /** Starts syncing a server library into a local folder. */
  addLibrary: operation(addLibraryRequestSchema, libraryViewSchema),
  /** Stops syncing a library on this device; its local files stay. */
  removeLibrary: operation(libraryRequestSchema, removedLibrarySchema),
  /** Selective sync. Deselecting never deletes local data that is not on the server. */
  setSelection: operation(z.strictObject({ libraryId: libraryIdSchema, selection: selectionSchema }), libraryViewSchema),
  /**
   * What setSelection with this selection would take off this computer: the synced files it no
   * longer covers (unchanged here; changed ones stay), by topmost path. Changes nothing.
   */
  previewSelection: operation(z.strictObject({ libraryId: libraryIdSchema, selection: selectionSchema }), z.object({ leaving: z.array(selectionLeavingSchema) })),
  /** One level of the library's folder tree on the server, with sizes ('' or absent: the root). */
  getRemoteFolders: operation(z.strictObject({ libraryId: libraryIdSchema, path: folderPathSchema.optional(), accountId: accountIdSchema.optional() }), remoteFolderListingSchema),
  getIgnoreRules: operation(libraryRequestSchema, ignoreRulesSchema),
  setIgnoreRules: operation(z.strictObject({ libraryId: libraryIdSchema, text: z.string().max(MAX_IGNORE_RULES_LENGTH) }), ignoreRulesSchema),

  pauseLibrary: operation(libraryRequestSchema, libraryViewSchema),
  /** Resuming a library a circuit breaker paused is the user's confirmation: the next round goes ahead. */
  resumeLibrary: operation(libraryRequestSchema, libraryViewSchema),
  pauseAll: operation(emptyRequestSchema, syncStatusSchema),
  resumeAll: operation(emptyRequestSchema, syncStatusSchema),
  /**
   * What a library would upload and download if a round ran now, worked out without syncing
   * (for a paused or offline library); null when its folder cannot be read.
   */
  getPendingWork: operation(libraryRequestSchema, z.object({ pending: pendingWorkSchema.nullable() })),
  /** Queues a round for one library (or every one) and answers at once; events report progress. */
  syncNow: operation(z.strictObject({ libraryId: libraryIdSchema.optional() }), z.object({ queued: z.array(libraryIdSchema) })),

  /** Every version of a path of a synced library, newest first (the server's history). */
  getHistory: operation(z.strictObject({ libraryId: libraryIdSchema, path: libraryPathSchema }), z.object({ versions: z.array(versionViewSchema) })),
  /**
   * Brings back a version of a path (default: the newest live one before the current) as a new
   * version on the server; a round then brings it to this device. Answers the new version.
   */
  restoreVersion: operation(z.strictObject({ libraryId: libraryIdSchema, path: libraryPathSchema, rev: z.int().min(1).optional() }), versionViewSchema),
  /** What one version of a file holds (text, a picture, or only its size), read from the server. */
  getVersionPreview: operation(z.strictObject({ libraryId: libraryIdSchema, path: libraryPathSchema, rev: z.int().min(1) }), versionPreviewSchema),
  /** The library's trash: deleted paths, newest deletion first; restoreVersion without rev brings one back. */
  listTrash: operation(libraryRequestSchema, z.object({ items: z.array(trashItemViewSchema), hasMore: z.boolean() })),
  // File browser: one folder of a library with each path's state here (files open with openFile).
  /** One page of one folder of a synced library, from the index and the folder on disk (no rescan). */
  listFiles: operation(listFilesRequestSchema, fileListingSchema),
  // Restore beside as a copy.
  /**
   * Writes version `rev` of a file beside it as `name (restored YYYY-MM-DD HH.MM).ext` (unique,
   * never replacing anything); it syncs up like any new file. Answers the copy's path.
   */
  restoreCopy: operation(z.strictObject({ libraryId: libraryIdSchema, path: libraryPathSchema, rev: z.int().min(1) }), z.object({ path: libraryPathSchema })),
  // Library snapshot into a new folder.
  /** The whole library as it was at a moment, into a new folder (snapshotProgressed events report progress). */
  restoreSnapshot: operation(restoreSnapshotRequestSchema, snapshotResultSchema),
  // Open versions and files from Activity.
  /** Opens version `rev` of a file with the OS's app, from a private read-only copy under the profile. */
  openVersion: operation(z.strictObject({ libraryId: libraryIdSchema, path: libraryPathSchema, rev: z.int().min(1) }), okResponseSchema),
  /** Which of these paths of a synced library exist in its folder here, and as what. */
  checkLocalPaths: operation(
    z.strictObject({ libraryId: libraryIdSchema, paths: z.array(libraryPathSchema).max(SYNC_API_LIMITS.maxActivityPage) }),
    z.object({ found: z.array(z.object({ path: libraryPathSchema, kind: z.enum(['file', 'dir']) })) }),
  ),

  /** Open conflicts, oldest first (of one library, or all). */
  listConflicts: operation(z.strictObject({ libraryId: libraryIdSchema.optional() }), z.object({ conflicts: z.array(conflictViewSchema) })),
  /** Both versions of an open conflict (and the base when known), with a preview and version tokens. */
  getConflictDetails: operation(z.strictObject({ conflictId: z.int().min(1) }), conflictDetailsSchema),
  /** Resolves an open conflict (see resolveConflictRequestSchema); answers the conflict as it was. */
  resolveConflict: operation(resolveConflictRequestSchema, conflictViewSchema),
  /** Resolves many conflicts the same way; one outcome per conflict, in order. */
  resolveConflicts: operation(resolveConflictsRequestSchema, resolveConflictsResponseSchema),
  /** Lets the service apply clean text merges of a library's conflicts by itself (off by default). */
  setAutoMerge: operation(z.strictObject({ libraryId: libraryIdSchema, autoMerge: z.boolean() }), libraryViewSchema),
  listProblems: operation(z.strictObject({ libraryId: libraryIdSchema.optional() }), z.object({ problems: z.array(problemViewSchema) })),
  // Problems you can act on: dismiss one that is understood (or bring it back), rename a badly named file.
  /** Dismisses a problem (it stays listed under "dismissed" and no longer asks for attention) or brings it back; answers the library's problems. */
  setProblemDismissed: operation(
    z.strictObject({ libraryId: libraryIdSchema, kind: problemKindSchema, path: folderPathSchema, name: z.string().max(1024), dismissed: z.boolean() }),
    z.object({ problems: z.array(problemViewSchema) }),
  ),
  /**
   * Renames the file or folder `name` in `folder` of the library's local folder to `newName` (a
   * name every system accepts: see checkPortableName), in place and never over an existing name.
   */
  renameLocalItem: operation(
    z.strictObject({ libraryId: libraryIdSchema, folder: folderPathSchema, name: z.string().min(1).max(1024), newName: z.string().min(1).max(1024) }),
    okResponseSchema,
  ),
  // Opening a file of the library (file browser, Activity, either version in the conflict dialog).
  /** Opens a file of the library (not a folder, not through a symlink) with the OS's default app for it. */
  openFile: operation(z.strictObject({ libraryId: libraryIdSchema, path: libraryPathSchema }), okResponseSchema),
  // Ignore rules checked as they are typed.
  /** The lines of ignore rules (not saved) that are not what they seem, and the library's files they would match (from the last scan). */
  previewIgnoreRules: operation(z.strictObject({ libraryId: libraryIdSchema, text: z.string().max(MAX_IGNORE_RULES_LENGTH) }), ignorePreviewSchema),
  getActivity: operation(activityRequestSchema, activityPageSchema),

  getPreferences: operation(emptyRequestSchema, preferencesSchema),
  setPreferences: operation(preferencesUpdateSchema, preferencesSchema),

  /** Shows the library's folder (or a path inside it) in the OS file manager. */
  openFolder: operation(z.strictObject({ libraryId: libraryIdSchema, path: libraryPathSchema.optional() }), okResponseSchema),
} as const;

export type SyncApiOperations = typeof syncApiOperations;
export type OperationName = keyof SyncApiOperations;
/** What a caller passes, which is also what the service receives once validated. */
export type OperationRequest<Name extends OperationName> = z.output<SyncApiOperations[Name]['request']>;
export type OperationResponse<Name extends OperationName> = z.output<SyncApiOperations[Name]['response']>;

export type SyncApiMethods = {
  readonly [Name in OperationName]: (request: OperationRequest<Name>) => Promise<OperationResponse<Name>>;
};

/**
 * The one API between the UI and the sync engine. Every method rejects only with a
 * SyncApiError (see errors.ts); subscribe delivers SyncEvents in the order they happened.
 */
export interface SyncApi extends SyncApiMethods {
  subscribe(listener: SyncEventListener): Unsubscribe;
}

export const OPERATION_NAMES = Object.freeze(Object.keys(syncApiOperations)) as readonly OperationName[];

export function isOperationName(value: string): value is OperationName {
  return Object.hasOwn(syncApiOperations, value);
}

/**
 * Calls one operation by name with a request already validated against its schema. The one
 * place where a name chosen at run time meets the typed methods.
 */
export function invokeOperation(api: SyncApiMethods, name: OperationName, request: unknown): Promise<unknown> {
  const methods = api as unknown as Readonly<Record<OperationName, (request: unknown) => Promise<unknown>>>;
  return methods[name](request);
}

// ---- names derived from the table ---------------------------------------------------------

/** IPC channel of an operation (Electron): `cairn:api:getStatus`, ... */
export type SyncApiChannel<Name extends OperationName = OperationName> = `cairn:api:${Name}`;
const CHANNEL_PREFIX = 'cairn:api:';

export function syncApiChannel<Name extends OperationName>(name: Name): SyncApiChannel<Name> {
  return `${CHANNEL_PREFIX}${name}`;
}

/** The operation an IPC channel stands for, or null when it is not one of ours. */
export function operationForChannel(channel: string): OperationName | null {
  if (!channel.startsWith(CHANNEL_PREFIX)) return null;
  const name = channel.slice(CHANNEL_PREFIX.length);
  return isOperationName(name) ? name : null;
}

/** The IPC channel events travel on, from the main process to the renderer. */
export const SYNC_EVENTS_CHANNEL = 'cairn:events';

/** HTTP path of an operation on the daemon's control API: `POST /api/getStatus`, ... */
export type ControlApiPath<Name extends OperationName = OperationName> = `/api/${Name}`;
const CONTROL_PATH_PREFIX = '/api/';

export function controlApiPath<Name extends OperationName>(name: Name): ControlApiPath<Name> {
  return `${CONTROL_PATH_PREFIX}${name}`;
}

/** The operation a control API path stands for, or null. */
export function operationForControlPath(pathname: string): OperationName | null {
  if (!pathname.startsWith(CONTROL_PATH_PREFIX)) return null;
  const name = pathname.slice(CONTROL_PATH_PREFIX.length);
  return isOperationName(name) ? name : null;
}

/** The control API's server-sent event stream of SyncEvents (`GET`). */
export const CONTROL_EVENTS_PATH = '/api/events';

/** A control token: 32 random bytes as base64url (see src-main/daemon/controlToken.ts). */
export const CONTROL_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** The URL fragment's start that carries a control token: `#token=<token>`. */
export const CONTROL_TOKEN_FRAGMENT = 'token=';

/** The token in a URL fragment (`#token=...`, with or without the '#'), or null. */
export function controlTokenFromFragment(fragment: string): string | null {
  const text = fragment.startsWith('#') ? fragment.slice(1) : fragment;
  if (!text.startsWith(CONTROL_TOKEN_FRAGMENT)) return null;
  const token = text.slice(CONTROL_TOKEN_FRAGMENT.length);
  return CONTROL_TOKEN_PATTERN.test(token) ? token : null;
}

/**
 * The link a daemon prints for its UI in a browser. The token travels in the URL fragment,
 * which a browser never sends to any server; the page keeps it for its own origin only (see
 * src-renderer/api/controlToken.ts). Cookies would not do: they are not scoped by port, so
 * every other page on 127.0.0.1 would receive them.
 */
export function controlPageLink(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/#${CONTROL_TOKEN_FRAGMENT}${token}`;
}

/** 'events' names the stream's path, so it can never be an operation too (a compile error otherwise). */
const eventsIsNotAnOperation: 'events' extends OperationName ? never : true = true;
void eventsIsNotAnOperation;
