// Move detection. A move found here becomes one rename on the other side instead of a delete
// and a re-create, so nothing travels again and history follows the file.
//
// Each accepted move rewrites the views as if it had already run (the synced entries and the
// moved side's entries are rebased to the new path), and reconciliation then plans whatever
// else changed inside the moved tree. So a move is only ever an optimization of what the
// normal rules would do: when any condition below fails, the move is simply not taken and the
// normal rules (create at the new path, delete or keep at the old one) apply, losing nothing.
//
// Moves are applied in target-path order (parents first). When a move is applied, later
// moves whose source lies below its source are rebased, so a folder move followed by a move
// out of that folder still runs as two renames in a valid order.

import { ancestorPaths, caseFoldKey, isSameOrBelow, rebasePath } from '../../../shared/paths.js';
import type { LibraryPath } from '../../../shared/paths.js';
import { sameContent } from '../syncModel.js';
import type { FileNode, LocalEntry, SyncedEntry } from '../syncModel.js';
import type { PlanAction, RemoteFeedEntry } from './planAction.js';
import { comparePaths, pathsAtOrBelow, rebaseView, sortedPaths } from './planViews.js';
import type { PlanViews, SkipRules } from './planViews.js';

interface PendingMove {
  from: LibraryPath;
  readonly to: LibraryPath;
}

function stripMovedFrom(entry: RemoteFeedEntry, path: LibraryPath): RemoteFeedEntry {
  // A rebased remote entry is the same version at its new place; movedFrom has done its job.
  const { movedFrom: _movedFrom, ...rest } = entry;
  return { ...rest, path };
}

/** Runs the moves in target order, rebasing the sources of the ones still pending. */
function runInTargetOrder(moves: PendingMove[], tryMove: (move: PendingMove) => boolean): void {
  const ordered = [...moves].sort((a, b) => comparePaths(a.to, b.to));
  ordered.forEach((move, index) => {
    if (move.from === move.to || !tryMove(move)) return;
    for (const later of ordered.slice(index + 1)) {
      if (isSameOrBelow(later.from, move.from)) later.from = rebasePath(later.from, move.from, move.to);
    }
  });
}

/**
 * Case-folded keys of the local paths, kept current while moves rewrite the local view, so a
 * rename on a case-insensitive disk never lands on a path that differs only in case.
 */
class LocalFoldIndex {
  private readonly keys = new Map<string, LibraryPath>();

  constructor(local: ReadonlyMap<LibraryPath, LocalEntry>) {
    for (const path of local.keys()) this.keys.set(caseFoldKey(path), path);
  }

  /** True when `path` would land on an existing local path other than `exceptBelow` itself. */
  collides(path: LibraryPath, exceptBelow: LibraryPath): boolean {
    const existing = this.keys.get(caseFoldKey(path));
    return existing !== undefined && !isSameOrBelow(existing, exceptBelow);
  }

  moved(before: readonly LibraryPath[], from: LibraryPath, to: LibraryPath): void {
    for (const path of before) this.keys.delete(caseFoldKey(path));
    for (const path of before) this.keys.set(caseFoldKey(rebasePath(path, from, to)), rebasePath(path, from, to));
  }

  added(path: LibraryPath): void {
    this.keys.set(caseFoldKey(path), path);
  }
}

/**
 * Remote moves (entries with movedFrom) become local renames when the disk still holds, at the
 * old path, what the base says (a folder may carry local changes inside: they move with it and
 * are uploaded at the new path afterwards). Missing local parent folders of the target are
 * created first.
 */
export function applyRemoteMoves(views: PlanViews, skip: SkipRules, caseInsensitiveDisk: boolean): PlanAction[] {
  const actions: PlanAction[] = [];
  const folds = caseInsensitiveDisk ? new LocalFoldIndex(views.local) : undefined;
  const moves: PendingMove[] = [];
  for (const [to, entry] of views.remote) {
    if (entry.movedFrom !== undefined) moves.push({ from: entry.movedFrom, to });
  }

  runInTargetOrder(moves, ({ from, to }) => {
    const remote = views.remote.get(to);
    const synced = views.synced.get(from);
    const local = views.local.get(from);
    if (remote === undefined || synced === undefined || local === undefined) return false;
    if (skip.isSkipped(from) || skip.isSkipped(to)) return false;
    if (views.remote.has(from) || views.synced.has(to) || views.local.has(to)) return false;
    if (synced.node.kind !== remote.node.kind || local.node.kind !== synced.node.kind) return false;
    if (local.node.kind === 'file' && !sameContent(local.node, synced.node)) return false;
    if (isSameOrBelow(to, from)) return false;
    if (folds?.collides(to, from)) return false;

    const missing: RemoteFeedEntry[] = [];
    for (const ancestor of ancestorPaths(to)) {
      const localAncestor = views.local.get(ancestor);
      if (localAncestor !== undefined) {
        if (localAncestor.node.kind !== 'dir') return false;
        continue;
      }
      const remoteAncestor = views.remote.get(ancestor);
      if (remoteAncestor === undefined || remoteAncestor.node.kind !== 'dir') return false;
      if (folds?.collides(ancestor, ancestor)) return false;
      missing.push(remoteAncestor);
    }

    for (const ancestor of missing) {
      actions.push({ kind: 'mkdirLocal', path: ancestor.path, remote: ancestor });
      // The executor records the real base when the folder exists; until then the views say
      // "both sides have it and agree" so reconciliation plans nothing more for it.
      views.local.set(ancestor.path, { path: ancestor.path, node: { kind: 'dir' }, mtimeMs: ancestor.mtimeMs, inode: 0, statSize: 0, chunks: [] });
      views.synced.set(ancestor.path, { path: ancestor.path, node: { kind: 'dir' }, rev: ancestor.rev, inode: 0, mtimeMs: ancestor.mtimeMs });
      folds?.added(ancestor.path);
    }
    actions.push({ kind: 'moveLocal', from, to, expectLocal: local, remote });
    const movedLocally = pathsAtOrBelow(views.local, from);
    rebaseView(views.local, from, to);
    rebaseView(views.synced, from, to);
    folds?.moved(movedLocally, from, to);
    const movedBase = views.synced.get(to);
    if (movedBase !== undefined) views.synced.set(to, { ...movedBase, rev: remote.rev });
    return true;
  });
  return actions;
}

function contentKey(node: FileNode): string {
  return `${node.contentHash}\u0000${node.size}\u0000${node.executable ? 'x' : '-'}`;
}

/** Groups values by a key, keeping insertion order. */
function groupBy<T>(values: Iterable<T>, key: (value: T) => string | undefined): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const value of values) {
    const k = key(value);
    if (k === undefined) continue;
    const group = groups.get(k) ?? [];
    group.push(value);
    groups.set(k, group);
  }
  return groups;
}

/**
 * Finds local moves: a synced path that vanished from the disk (still unchanged on the server)
 * and a new local path (absent from the base and the server) holding the same thing.
 *
 * - Folder: the same non-zero inode, or else more than half of the folder's synced files found
 *   at the same relative paths below the new folder with their inodes.
 * - File: the same non-zero inode and the same content; or else the same non-empty content
 *   when exactly one vanished file and exactly one new file have it.
 *
 * A pair implied by a folder move (a child found at the matching path below the new folder)
 * is dropped: the folder move carries it.
 */
function findLocalMoves(views: PlanViews, skip: SkipRules): PendingMove[] {
  const vanished: SyncedEntry[] = [];
  for (const [path, synced] of views.synced) {
    if (views.local.has(path) || skip.isSkipped(path)) continue;
    const remote = views.remote.get(path);
    if (remote === undefined || remote.node.kind !== synced.node.kind) continue;
    if (synced.node.kind === 'file' && !sameContent(synced.node, remote.node)) continue;
    vanished.push(synced);
  }
  // Nothing vanished (the usual round): no move to find.
  if (vanished.length === 0) return [];
  vanished.sort((a, b) => comparePaths(a.path, b.path));
  const fresh: LocalEntry[] = [];
  for (const [path, local] of views.local) {
    if (views.synced.has(path) || views.remote.has(path) || skip.isSkipped(path)) continue;
    fresh.push(local);
  }
  fresh.sort((a, b) => comparePaths(a.path, b.path));
  const freshByInode = groupBy(fresh, (entry) => (entry.inode !== 0 ? `${entry.node.kind}:${entry.inode}` : undefined));
  const freshPaths = new Set(fresh.map((entry) => entry.path));

  const pairs = new Map<LibraryPath, LibraryPath>();
  const usedTargets = new Set<LibraryPath>();
  const impliedByFolderMove = (from: LibraryPath, to: LibraryPath): boolean =>
    ancestorPaths(from).some((ancestor) => {
      const target = pairs.get(ancestor);
      return target !== undefined && rebasePath(from, ancestor, target) === to;
    });
  // Implied pairs stay in `pairs` (deeper paths are checked against them) and are dropped
  // from the result at the end.
  const implied = new Set<LibraryPath>();
  const accept = (from: LibraryPath, to: LibraryPath): void => {
    if (impliedByFolderMove(from, to)) implied.add(from);
    usedTargets.add(to);
    pairs.set(from, to);
  };

  // The synced paths below a folder form one run of the sorted list: those starting with
  // 'folder/'. Finding the run by binary search keeps this linear in the folder's size.
  let syncedSorted: LibraryPath[] | undefined;
  const syncedFilesBelow = (folder: LibraryPath): SyncedEntry[] => {
    syncedSorted ??= sortedPaths(views.synced.keys());
    const prefix = `${folder}/`;
    let low = 0;
    let high = syncedSorted.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (comparePaths(syncedSorted[middle] ?? '', prefix) < 0) low = middle + 1;
      else high = middle;
    }
    const result: SyncedEntry[] = [];
    for (let i = low; i < syncedSorted.length; i++) {
      const path = syncedSorted[i];
      if (path === undefined || !path.startsWith(prefix)) break;
      const entry = views.synced.get(path);
      if (entry !== undefined && entry.node.kind === 'file' && entry.inode !== 0) result.push(entry);
    }
    return result;
  };
  const anyFreshFolder = fresh.some((entry) => entry.node.kind === 'dir');

  for (const synced of vanished) {
    if (synced.node.kind !== 'dir') continue;
    let target: LibraryPath | undefined;
    const byInode = synced.inode !== 0 ? (freshByInode.get(`dir:${synced.inode}`) ?? []) : [];
    const sameInode = byInode.filter((entry) => !usedTargets.has(entry.path));
    if (sameInode.length === 1) target = sameInode[0]?.path;
    if (target === undefined && anyFreshFolder) {
      const files = syncedFilesBelow(synced.path);
      const votes = new Map<LibraryPath, number>();
      for (const file of files) {
        const relative = file.path.slice(synced.path.length);
        for (const candidate of freshByInode.get(`file:${file.inode}`) ?? []) {
          if (!candidate.path.endsWith(relative)) continue;
          const folder = candidate.path.slice(0, candidate.path.length - relative.length) as LibraryPath;
          if (freshPaths.has(folder) && !usedTargets.has(folder) && views.local.get(folder)?.node.kind === 'dir') {
            votes.set(folder, (votes.get(folder) ?? 0) + 1);
          }
        }
      }
      const [best] = [...votes].sort((a, b) => b[1] - a[1] || comparePaths(a[0], b[0]));
      if (best !== undefined && best[1] * 2 > files.length) target = best[0];
    }
    if (target !== undefined) accept(synced.path, target);
  }

  const unmatchedFiles: SyncedEntry[] = [];
  for (const synced of vanished) {
    if (synced.node.kind !== 'file') continue;
    const candidates = (synced.inode !== 0 ? (freshByInode.get(`file:${synced.inode}`) ?? []) : []).filter(
      (entry) => !usedTargets.has(entry.path) && sameContent(entry.node, synced.node),
    );
    const target = candidates.length === 1 ? candidates[0]?.path : undefined;
    if (target === undefined) {
      unmatchedFiles.push(synced);
      continue;
    }
    accept(synced.path, target);
  }

  // Content alone identifies a move only when it is unambiguous on both sides.
  const nonEmptyFileKey = (node: SyncedEntry['node']): string | undefined => (node.kind === 'file' && node.size > 0 ? contentKey(node) : undefined);
  const vanishedByContent = groupBy(unmatchedFiles, (entry) => nonEmptyFileKey(entry.node));
  const freshByContent = groupBy(
    fresh.filter((entry) => !usedTargets.has(entry.path)),
    (entry) => nonEmptyFileKey(entry.node),
  );
  for (const [key, sources] of vanishedByContent) {
    const targets = freshByContent.get(key) ?? [];
    const source = sources[0];
    const target = targets[0];
    if (sources.length !== 1 || targets.length !== 1 || source === undefined || target === undefined) continue;
    accept(source.path, target.path);
  }

  return sortedPaths(pairs.keys())
    .filter((from) => !implied.has(from))
    .map((from) => ({ from, to: pairs.get(from) ?? from }));
}

/**
 * Local moves become server moves when the server still holds, at the old path, what the base
 * says (a folder may have changed inside on the server: those changes follow the folder).
 * Missing server parent folders of the target are created first.
 */
export function applyLocalMoves(views: PlanViews, skip: SkipRules): PlanAction[] {
  const actions: PlanAction[] = [];
  const movedOnServer: LibraryPath[] = [];
  runInTargetOrder(findLocalMoves(views, skip), ({ from, to }) => {
    // The server gives a moved folder's subtree new revisions, so a move out of a folder moved
    // earlier in this plan would carry a stale base; it waits for the next round.
    if (movedOnServer.some((moved) => isSameOrBelow(from, moved))) return false;
    const synced = views.synced.get(from);
    const remote = views.remote.get(from);
    const local = views.local.get(to);
    if (synced === undefined || remote === undefined || local === undefined) return false;
    if (views.local.has(from) || views.synced.has(to) || views.remote.has(to)) return false;
    if (skip.isSkipped(from) || skip.isSkipped(to)) return false;
    if (synced.node.kind !== remote.node.kind || local.node.kind !== synced.node.kind) return false;
    if (synced.node.kind === 'file' && (!sameContent(synced.node, remote.node) || !sameContent(synced.node, local.node))) return false;
    if (isSameOrBelow(to, from)) return false;

    const missing: LocalEntry[] = [];
    for (const ancestor of ancestorPaths(to)) {
      const remoteAncestor = views.remote.get(ancestor);
      if (remoteAncestor !== undefined) {
        if (remoteAncestor.node.kind !== 'dir') return false;
        continue;
      }
      const localAncestor = views.local.get(ancestor);
      if (localAncestor === undefined || localAncestor.node.kind !== 'dir') return false;
      missing.push(localAncestor);
    }

    for (const ancestor of missing) {
      actions.push({ kind: 'mkdirRemote', path: ancestor.path, local: ancestor, baseRev: null });
      // As for remote moves: the views say "in sync" until the executor records the real base.
      views.remote.set(ancestor.path, { path: ancestor.path, node: { kind: 'dir' }, rev: 0, mtimeMs: ancestor.mtimeMs, chunks: [] });
      views.synced.set(ancestor.path, { path: ancestor.path, node: { kind: 'dir' }, rev: 0, inode: ancestor.inode, mtimeMs: ancestor.mtimeMs });
    }
    actions.push({ kind: 'moveRemote', from, to, baseRev: remote.rev, toBaseRev: null });
    movedOnServer.push(to);
    rebaseView(views.remote, from, to, stripMovedFrom);
    rebaseView(views.synced, from, to);
    return true;
  });
  return actions;
}
