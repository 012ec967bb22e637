// The planner's input and output types.
//
// A plan is an ordered list of actions that the executor runs in sequence. Each action names
// the observation it was based on (a remote rev, a scanned local entry) so the executor can
// re-check the world before acting: a mismatch means the world moved since the scan, and the
// executor must stop that action (the next round plans again), never force it.
//
// How each action changes the merge base when it succeeds is part of the contract; it is
// written on each action below and mirrored by the simulator in test/engine/planner.

import type { LibraryPath } from '../../../shared/paths.js';
import type { LocalEntry, RemoteEntry, SyncedEntry } from '../syncModel.js';

/**
 * A remote entry as the change feed delivers it: `movedFrom` is set on the version a move
 * created at its new path (the server sets it on a moved folder and on each of its
 * descendants). The planner turns such a move into one local rename when that is safe.
 */
export interface RemoteFeedEntry extends RemoteEntry {
  readonly movedFrom?: LibraryPath;
}

export interface PlanInput {
  /** The merge base: what both sides last agreed on. */
  readonly synced: ReadonlyMap<LibraryPath, SyncedEntry>;
  /** What the last scan of the disk saw. */
  readonly local: ReadonlyMap<LibraryPath, LocalEntry>;
  /** The server's latest state, as far as the change feed has been read. Live entries only. */
  readonly remote: ReadonlyMap<LibraryPath, RemoteFeedEntry>;
  /** Names conflict copies; sanitized into a valid path segment. */
  readonly deviceName: string;
  /** Names conflict copies (in UTC). Never used to decide anything. */
  readonly now: Date;
  /**
   * Selective sync. A path outside the selection is neither downloaded, uploaded nor deleted on
   * either side. It must answer true for the ancestors of every selected folder, and false for
   * everything below an unselected folder (the planner also treats descendants of an unselected
   * path as unselected). Absent: everything is selected.
   */
  readonly isSelected?: (path: LibraryPath) => boolean;
  /**
   * Ignore rules. An ignored path is never uploaded, never downloaded and never deleted on
   * either side; descendants of an ignored path are ignored too. Absent: nothing is ignored.
   */
  readonly isIgnored?: (path: LibraryPath) => boolean;
  /**
   * True when the local disk folds case (macOS and Windows defaults). Paths that differ only in
   * case then cannot coexist locally; the planner reports them as problems and leaves them
   * alone instead of letting one overwrite the other. Absent: false.
   */
  readonly caseInsensitiveDisk?: boolean;
}

/** Why the planner left a path alone. Each one is shown to the user. */
export type PlanProblemReason =
  /** Two paths differ only in case and the local disk cannot hold both. */
  | 'case-clash'
  /** An input map lists a path below a file of the same map; the entry was dropped. */
  | 'inconsistent-input'
  /** No usable conflict-copy name exists (it would be ignored or unselected). Nothing was done. */
  | 'conflict-name-unavailable'
  /** A planned action failed the final safety check; a planner bug, reported instead of run. */
  | 'safety-check';

export type PlanAction =
  // ---- Moves: run first, so later actions see the moved tree. ----
  /**
   * Move on the server (a local move detected by inode and content). baseRev is the remote rev
   * of `from`; toBaseRev is the remote rev at `to` (null: absent). On success the executor
   * rebases every synced entry at or below `from` to `to`.
   */
  | { readonly kind: 'moveRemote'; readonly from: LibraryPath; readonly to: LibraryPath; readonly baseRev: number; readonly toBaseRev: number | null }
  /**
   * Rename on disk (a remote move). The executor checks that the disk at `from` still matches
   * expectLocal and that `to` is free. On success it rebases synced entries from `from` to `to`
   * and sets the rev at `to` to remote.rev.
   */
  | { readonly kind: 'moveLocal'; readonly from: LibraryPath; readonly to: LibraryPath; readonly expectLocal: LocalEntry; readonly remote: RemoteEntry }
  // ---- Deletes: children before their parents. ----
  /** Delete one path on the server (a folder only once its children are gone). Forgets synced at path. */
  | { readonly kind: 'deleteRemote'; readonly path: LibraryPath; readonly baseRev: number }
  /**
   * Delete one path on disk if it still matches expectLocal (a folder only when empty).
   * Forgets synced at path.
   */
  | { readonly kind: 'deleteLocal'; readonly path: LibraryPath; readonly expectLocal: LocalEntry }
  // ---- Creates and updates: parents before their children. ----
  /**
   * Create or replace a file on the server with the content the scan saw (`local`). baseRev is
   * the remote rev the decision was based on, null when the path is absent on the server. On
   * success synced at path becomes the uploaded node, the new rev and local.inode.
   */
  | { readonly kind: 'upload'; readonly path: LibraryPath; readonly local: LocalEntry; readonly baseRev: number | null }
  /** Create a folder on the server. On success synced at path becomes the folder, new rev, local.inode. */
  | { readonly kind: 'mkdirRemote'; readonly path: LibraryPath; readonly local: LocalEntry; readonly baseRev: number | null }
  /**
   * Create or replace a file on disk with remote's content. expectLocal is what the scan saw at
   * path (undefined: nothing); the executor re-checks it before replacing. On success synced at
   * path becomes remote's node and rev with the written file's inode.
   */
  | { readonly kind: 'download'; readonly path: LibraryPath; readonly remote: RemoteEntry; readonly expectLocal: LocalEntry | undefined }
  /** Create a folder on disk. On success synced at path becomes the folder, remote.rev, its inode. */
  | { readonly kind: 'mkdirLocal'; readonly path: LibraryPath; readonly remote: RemoteEntry }
  /**
   * Both sides changed the path differently. The executor, in this order: renames the local
   * file or folder (still matching `local`) to conflictPath; uploads it there as a new file
   * (baseRev null), or creates the folder there on the server; then downloads `remote` to path
   * (or creates the folder). The contents of a conflicting folder follow as separate actions.
   * Synced at conflictPath and at path are set as by upload/mkdirRemote and download/mkdirLocal.
   * The UI lists every conflict.
   */
  | { readonly kind: 'conflict'; readonly path: LibraryPath; readonly conflictPath: LibraryPath; readonly local: LocalEntry; readonly remote: RemoteEntry }
  // ---- Merge base only: both sides already agree. ----
  /** Both sides hold the same content (or the base is stale); only the base changes. */
  | { readonly kind: 'recordSynced'; readonly path: LibraryPath; readonly entry: SyncedEntry }
  /** Both sides lack the path; only the base forgets it. */
  | { readonly kind: 'forgetSynced'; readonly path: LibraryPath }
  // ---- Nothing to run. ----
  | { readonly kind: 'problem'; readonly path: LibraryPath; readonly reason: PlanProblemReason; readonly detail: string };

export type PlanActionKind = PlanAction['kind'];

/**
 * The actions in execution order: moves (with the parent folders their targets need), then
 * deletes (children first), then creates and updates (parents first, conflicts in place),
 * then base-only records, then problems. Everything at or below a path moved on the server in
 * this plan is left for the next round (the move gives that subtree new revisions).
 */
export type Plan = readonly PlanAction[];

/** Makes an unhandled case of a discriminated union a compile error. */
export function unhandledCase(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
