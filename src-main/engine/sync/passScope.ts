// What a pass of a round touched, and whether it left those paths settled: the two facts that
// let the round skip or confine its confirming pass (see Round.runPasses).
//
// A pass that executed actions used to be followed by a full pass (pull, scan of the whole
// library, plan) that found nothing to do. Two cheaper endings are equally exact:
// - Settled: every path the pass touched has local, synced and remote agreeing in the index
//   (what the planner's "agree" case needs, without a record to write), and the pull after the
//   pass brought only versions the index already holds (our own commits): a full pass would
//   plan nothing, so the round ends after that pull.
// - Otherwise the next pass pulls and plans as always but scans only the touched paths: the
//   rest of the disk was scanned by this round already and nothing of the round wrote there.
// A change the user makes during the round is found by the next round (the watcher reports
// it, or the next full scan), exactly as one made just after the round would be.

import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { ancestorPaths, isSameOrBelow, parentPath, rebasePath } from '../../../shared/paths.js';
import type { LibraryPath } from '../../../shared/paths.js';
import type { Index } from '../indexStore/index.js';
import type { PlanAction } from '../planner/index.js';
import { sameContent } from '../syncModel.js';
import type { LocalEntry, RemoteEntry, SyncedEntry } from '../syncModel.js';

/** The paths the actions act on: both ends of a move, a conflict's copy. */
export function touchedPaths(actions: readonly PlanAction[]): LibraryPath[] {
  const touched = new Set<LibraryPath>();
  for (const action of actions) {
    switch (action.kind) {
      case 'moveLocal':
      case 'moveRemote':
        touched.add(action.from);
        touched.add(action.to);
        break;
      case 'conflict':
        touched.add(action.path);
        touched.add(action.conflictPath);
        break;
      case 'problem':
        break;
      default:
        touched.add(action.path);
    }
  }
  return [...touched];
}

/**
 * The folders whose times the actions changed: those holding what they touched (not the
 * library's root), and the folders they made or moved here.
 */
export function foldersChangedBy(actions: readonly PlanAction[], touched: readonly LibraryPath[]): LibraryPath[] {
  const folders = new Set<LibraryPath>();
  for (const entryPath of touched) {
    const parent = parentPath(entryPath);
    if (parent !== '') folders.add(parent);
  }
  for (const action of actions) {
    if (action.kind === 'mkdirLocal' || ((action.kind === 'download' || action.kind === 'conflict') && action.remote.node.kind === 'dir')) folders.add(action.path);
    if (action.kind === 'moveLocal') folders.add(action.to);
  }
  return [...folders];
}

/**
 * Records the folders' times as a scan would (writing, moving or deleting in a folder changes
 * its time), for the folders the index knows as folders with the same inode; false when one of
 * them is not that folder any more (the user moved things meanwhile: a scan must look).
 */
export async function refreshFolders(index: Index, libraryId: string, root: string, folders: readonly LibraryPath[]): Promise<boolean> {
  const updates: LocalEntry[] = [];
  let same = true;
  for (const folder of folders) {
    const known = index.local.get(libraryId, folder);
    if (known === undefined || known.node.kind !== 'dir') continue;
    let stats;
    try {
      stats = await lstat(path.join(root, folder));
    } catch {
      same = false;
      continue;
    }
    if (!stats.isDirectory() || stats.ino !== known.inode) {
      same = false;
      continue;
    }
    if (stats.mtimeMs !== known.mtimeMs) updates.push({ ...known, mtimeMs: stats.mtimeMs });
  }
  if (updates.length > 0) index.transaction(() => index.local.putMany(libraryId, updates));
  return same;
}

/** Above this many touched paths, the three states are read whole rather than path by path. */
const LOOKUPS_PER_PATH_MAX = 256;

/**
 * True when at every path in `paths` and below it the index holds the same content locally,
 * as the merge base and on the server, the base at the server's rev and the local inode (or
 * none of the three): the planner would plan nothing there, not even a record.
 */
export function isSettled(index: Index, libraryId: string, paths: readonly LibraryPath[]): boolean {
  const settled = (local: LocalEntry | undefined, synced: SyncedEntry | undefined, remote: RemoteEntry | undefined): boolean => {
    if (local === undefined || synced === undefined || remote === undefined) return local === undefined && synced === undefined && remote === undefined;
    return sameContent(local.node, remote.node) && sameContent(synced.node, local.node) && synced.rev === remote.rev && synced.inode === local.inode;
  };
  if (paths.length > LOOKUPS_PER_PATH_MAX) {
    // Many paths (a first sync): the whole library settled, in one SQL query, settles these
    // (~25 ms where reading the three states costs ~120 ms at 10,000 files). When some path is
    // not (one the pass did not touch may be unsettled for its own reasons), the touched ones
    // are checked: each state read once, every entry at or below a touched path.
    if (index.isSettled(libraryId)) return true;
    const local = index.local.load(libraryId);
    const synced = index.synced.load(libraryId, { shareWith: local });
    const remote = index.remote.load(libraryId, { shareWith: local });
    const touched = new Set(paths);
    const checked = (entryPath: LibraryPath): boolean => touched.has(entryPath) || ancestorPaths(entryPath).some((ancestor) => touched.has(ancestor));
    for (const entryPath of touched) if (!settled(local.get(entryPath), synced.get(entryPath), remote.get(entryPath))) return false;
    for (const state of [local, synced, remote]) {
      for (const entryPath of state.keys()) {
        if (checked(entryPath) && !settled(local.get(entryPath), synced.get(entryPath), remote.get(entryPath))) return false;
      }
    }
    return true;
  }
  // Each state read once for all the paths, and once below each folder among them.
  const local = index.local.getMany(libraryId, paths);
  const synced = index.synced.getMany(libraryId, paths);
  const remote = index.remote.getMany(libraryId, paths);
  for (const entryPath of paths) {
    if (!settled(local.get(entryPath), synced.get(entryPath), remote.get(entryPath))) return false;
    if (local.get(entryPath)?.node.kind !== 'dir') continue;
    // A folder: everything below it that any of the three states lists.
    const localBelow = index.local.loadBelow(libraryId, entryPath);
    const syncedBelow = index.synced.loadBelow(libraryId, entryPath);
    const remoteBelow = index.remote.loadBelow(libraryId, entryPath);
    for (const state of [localBelow, syncedBelow, remoteBelow]) {
      for (const path of state.keys()) if (!settled(localBelow.get(path), syncedBelow.get(path), remoteBelow.get(path))) return false;
    }
  }
  return true;
}

/** A folder or file this device moved on the server in the last pass. */
export interface OwnMove {
  readonly from: LibraryPath;
  readonly to: LibraryPath;
}

/** The moves on the server among these actions. */
export function ownMovesOf(actions: readonly PlanAction[]): OwnMove[] {
  return actions.flatMap((action) => (action.kind === 'moveRemote' ? [{ from: action.from, to: action.to }] : []));
}

/**
 * True when a feed entry is one of the versions an own move implied: the new version of a
 * path below its new place that repeats the path below the old, or the deleted version the
 * move left at the old place. The commit's answer named only the moved folder's own version.
 */
export function impliedByOwnMove(entry: { readonly path: LibraryPath; readonly deleted: boolean; readonly movedFrom?: LibraryPath | undefined; readonly movedTo?: LibraryPath | undefined }, moves: readonly OwnMove[]): boolean {
  return moves.some((move) =>
    entry.deleted
      ? entry.movedTo !== undefined && isSameOrBelow(entry.path, move.from) && entry.movedTo === rebasePath(entry.path, move.from, move.to)
      : entry.movedFrom !== undefined && entry.path !== move.to && isSameOrBelow(entry.path, move.to) && entry.movedFrom === rebasePath(entry.path, move.to, move.from),
  );
}

/**
 * After the pull that read the versions an own move implied: records, below each moved place,
 * the server's rev as the merge base's where the disk, the base and the server hold the same
 * content at the same inode, as the planner's record (recordSynced) would. Paths `isSkipped`
 * answers true for are left to a pass of the planner.
 */
export function recordOwnMoveRevs(index: Index, libraryId: string, moves: readonly OwnMove[], isSkipped: (entryPath: LibraryPath, isDirectory: boolean) => boolean): void {
  const records: SyncedEntry[] = [];
  for (const move of moves) {
    const syncedBelow = index.synced.loadBelow(libraryId, move.to);
    const localBelow = index.local.loadBelow(libraryId, move.to);
    for (const remote of index.remote.loadBelow(libraryId, move.to).values()) {
      if (remote.path === move.to || isSkipped(remote.path, remote.node.kind === 'dir')) continue;
      const synced = syncedBelow.get(remote.path);
      const local = localBelow.get(remote.path);
      if (synced === undefined || local === undefined || synced.rev === remote.rev) continue;
      if (!sameContent(synced.node, remote.node) || !sameContent(local.node, remote.node) || synced.inode !== local.inode) continue;
      records.push({ path: remote.path, node: local.node, rev: remote.rev, inode: local.inode, mtimeMs: local.mtimeMs });
    }
  }
  if (records.length > 0) index.transaction(() => index.synced.putMany(libraryId, records));
}
