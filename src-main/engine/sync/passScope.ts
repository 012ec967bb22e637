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
import { isSameOrBelow, parentPath, rebasePath } from '../../../shared/paths.js';
import type { LibraryPath } from '../../../shared/paths.js';
import type { Index } from '../indexStore/index.js';
import type { PlanAction } from '../planner/index.js';
import { sameContent } from '../syncModel.js';
import type { LocalEntry, SyncedEntry } from '../syncModel.js';

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

/** The folders holding these paths (not the library's root). */
export function foldersOf(paths: readonly LibraryPath[]): LibraryPath[] {
  const folders = new Set<LibraryPath>();
  for (const entryPath of paths) {
    const parent = parentPath(entryPath);
    if (parent !== '') folders.add(parent);
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

/**
 * True when at every path in `paths` and below it the index holds the same content locally,
 * as the merge base and on the server, the base at the server's rev and the local inode (or
 * none of the three): the planner would plan nothing there, not even a record.
 */
export function isSettled(index: Index, libraryId: string, paths: readonly LibraryPath[]): boolean {
  const seen = new Set<LibraryPath>();
  const settledAt = (entryPath: LibraryPath): boolean => {
    if (seen.has(entryPath)) return true;
    seen.add(entryPath);
    const local = index.local.get(libraryId, entryPath);
    const synced = index.synced.get(libraryId, entryPath);
    const remote = index.remote.get(libraryId, entryPath);
    if (local === undefined || synced === undefined || remote === undefined) return local === undefined && synced === undefined && remote === undefined;
    return sameContent(local.node, remote.node) && sameContent(synced.node, local.node) && synced.rev === remote.rev && synced.inode === local.inode;
  };
  for (const entryPath of paths) {
    if (!settledAt(entryPath)) return false;
    // A folder: everything below it that any of the three states lists.
    if (index.local.get(libraryId, entryPath)?.node.kind === 'file') continue;
    for (const table of [index.local, index.synced, index.remote]) {
      for (const entry of table.iterate(libraryId, { below: entryPath })) {
        if (entry.path !== entryPath && !settledAt(entry.path)) return false;
      }
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
    for (const remote of index.remote.iterate(libraryId, { below: move.to })) {
      if (remote.path === move.to || isSkipped(remote.path, remote.node.kind === 'dir')) continue;
      const synced = index.synced.get(libraryId, remote.path);
      const local = index.local.get(libraryId, remote.path);
      if (synced === undefined || local === undefined || synced.rev === remote.rev) continue;
      if (!sameContent(synced.node, remote.node) || !sameContent(local.node, remote.node) || synced.inode !== local.inode) continue;
      records.push({ path: remote.path, node: local.node, rev: remote.rev, inode: local.inode, mtimeMs: local.mtimeMs });
    }
  }
  if (records.length > 0) index.transaction(() => index.synced.putMany(libraryId, records));
}
