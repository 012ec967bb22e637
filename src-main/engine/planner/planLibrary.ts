// The sync planner: a pure, deterministic function from a library's three states (synced =
// merge base, local = last scan, remote = server feed) to an ordered plan.
//
// Decisions come from history (the base), never from timestamps. At each path, top-down:
//
// 1. Local and remote agree (same content, or both absent): only the base may need updating.
// 2. Otherwise look at the whole subtree below the path on each side, compared with the base:
//    - one side unchanged: the other side's state propagates (create, update or delete);
//    - both changed, but one side only deleted things: the side with new content wins (edit
//      beats delete, recursively: a deleted folder comes back holding just what changed inside
//      it, because each unchanged child still follows the delete);
//    - both only deleted: the deletion completes;
//    - both have new content: a conflict. The server's version keeps the name; the local file
//      or folder becomes a conflict copy beside it and is uploaded as a new path.
//
// Out-of-sync paths (ignored, unselected, case clashes) take no part, and they pin their
// parent folders: a folder holding anything skipped is never deleted on that side.
//
// Safety (goal 1) follows from the rules and is checked again at the end (checkPlanSafety):
// nothing is deleted or overwritten on a side unless that side still holds exactly what the
// base says.

import { ancestorPaths, parentPath, rebasePath } from '../../../shared/paths.js';
import type { LibraryPath } from '../../../shared/paths.js';
import { sameContent } from '../syncModel.js';
import type { LocalEntry, RemoteEntry, SyncedEntry } from '../syncModel.js';
import { checkPlanSafety } from './checkPlanSafety.js';
import { ConflictNamer } from './conflictNamer.js';
import { applyLocalMoves, applyRemoteMoves } from './detectMoves.js';
import type { Plan, PlanAction, PlanInput } from './planAction.js';
import { SkipRules, comparePaths, findCaseClashes, normalizeViews } from './planViews.js';
import type { PlanViews } from './planViews.js';

/** One path of the union of the three views, with what its subtree changed on each side. */
interface TreeNode {
  readonly path: LibraryPath;
  readonly children: TreeNode[];
  /** The entries at this path in the views, looked up once. */
  readonly synced: SyncedEntry | undefined;
  readonly local: LocalEntry | undefined;
  readonly remote: RemoteEntry | undefined;
  /** Something at or below this path differs locally from the base (or is skipped but present). */
  localChanged: boolean;
  /** Something at or below this path exists locally and is new or changed (or is skipped). */
  localNew: boolean;
  remoteChanged: boolean;
  remoteNew: boolean;
}

function buildTree(views: PlanViews, skip: SkipRules): TreeNode[] {
  const nodes = new Map<LibraryPath, TreeNode>();
  const roots: TreeNode[] = [];
  const nodeFor = (path: LibraryPath): TreeNode => {
    const known = nodes.get(path);
    if (known !== undefined) return known;
    const node: TreeNode = {
      path,
      children: [],
      synced: views.synced.get(path),
      local: views.local.get(path),
      remote: views.remote.get(path),
      localChanged: false,
      localNew: false,
      remoteChanged: false,
      remoteNew: false,
    };
    nodes.set(path, node);
    const parent = parentPath(path);
    (parent === '' ? roots : nodeFor(parent).children).push(node);
    return node;
  };
  for (const view of [views.synced, views.local, views.remote]) for (const path of view.keys()) nodeFor(path);

  // Children in path order, so plans are deterministic; flags bottom-up.
  const settle = (node: TreeNode): void => {
    if (node.children.length > 1) node.children.sort(byPath);
    const synced = node.synced?.node;
    const local = node.local?.node;
    const remote = node.remote?.node;
    if (skip.isSkipped(node.path)) {
      // Skipped content cannot be synced, so it can only pin: it counts as new on the side
      // that holds it, which keeps its folders from being deleted there.
      node.localChanged = node.localNew = local !== undefined;
      node.remoteChanged = node.remoteNew = remote !== undefined;
    } else {
      const localDiffers = !sameContent(synced, local);
      const remoteDiffers = !sameContent(synced, remote);
      node.localChanged = localDiffers;
      node.localNew = localDiffers && local !== undefined;
      node.remoteChanged = remoteDiffers;
      node.remoteNew = remoteDiffers && remote !== undefined;
    }
    for (const child of node.children) {
      settle(child);
      node.localChanged ||= child.localChanged;
      node.localNew ||= child.localNew;
      node.remoteChanged ||= child.remoteChanged;
      node.remoteNew ||= child.remoteNew;
    }
  };
  roots.sort(byPath);
  for (const root of roots) settle(root);
  return roots;
}

function byPath(a: TreeNode, b: TreeNode): number {
  return comparePaths(a.path, b.path);
}

/** Which side's state the path takes, when the two sides disagree at it. */
type Winner = 'local' | 'remote' | 'conflict';

function decide(node: TreeNode, localPresent: boolean): Winner {
  if (!node.remoteChanged) return 'local';
  if (!node.localChanged) return 'remote';
  if (node.localNew && node.remoteNew) return 'conflict';
  if (node.localNew) return 'local';
  if (node.remoteNew) return 'remote';
  // Both sides only deleted at or below this path and they disagree here, so exactly one side
  // is absent and the other holds an unchanged remainder: the deletion completes.
  return localPresent ? 'remote' : 'local';
}

class Reconciler {
  readonly deletes: PlanAction[] = [];
  readonly creates: PlanAction[] = [];
  readonly base: PlanAction[] = [];
  readonly problems: PlanAction[] = [];

  constructor(
    private readonly views: PlanViews,
    private readonly skip: SkipRules,
    private readonly namer: ConflictNamer,
  ) {}

  visit(node: TreeNode): void {
    const { path } = node;
    if (this.skip.isSkipped(path)) {
      this.visitSkipped(node);
      return;
    }
    const { synced, local, remote } = node;

    if (sameContent(local?.node, remote?.node)) {
      this.agree(path, synced, local, remote);
      for (const child of node.children) this.visit(child);
      return;
    }

    const winner = decide(node, local !== undefined);
    switch (winner) {
      case 'local':
        this.makeRemoteLikeLocal(node, local, remote);
        return;
      case 'remote':
        this.makeLocalLikeRemote(node, local, remote);
        return;
      case 'conflict':
        // Both sides hold new content here and disagree, so both are present.
        if (local === undefined || remote === undefined) throw new Error(`planner bug: conflict at ${path} with a side absent`);
        this.conflict(node, local, remote);
        return;
      default:
        throw new Error(`unhandled winner: ${String(winner satisfies never)}`);
    }
  }

  /** Both sides agree at the path: only the base may need to follow. */
  private agree(path: LibraryPath, synced: SyncedEntry | undefined, local: LocalEntry | undefined, remote: RemoteEntry | undefined): void {
    if (local === undefined || remote === undefined) {
      if (synced !== undefined) this.base.push({ kind: 'forgetSynced', path });
      return;
    }
    const stale = synced === undefined || !sameContent(synced.node, local.node) || synced.rev !== remote.rev || synced.inode !== local.inode;
    if (stale) {
      this.base.push({ kind: 'recordSynced', path, entry: { path, node: local.node, rev: remote.rev, inode: local.inode, mtimeMs: local.mtimeMs } });
    }
  }

  /**
   * Skipped paths get no action on either side. The base forgets a skipped path only when
   * both sides lack it, which is agreement whatever the rules say.
   */
  private visitSkipped(node: TreeNode): void {
    if (this.views.synced.has(node.path) && !this.views.local.has(node.path) && !this.views.remote.has(node.path)) {
      this.base.push({ kind: 'forgetSynced', path: node.path });
    }
    for (const child of node.children) this.visitSkipped(child);
  }

  /** Creates at this path run before the children; deletes at it run after them. */
  private makeRemoteLikeLocal(node: TreeNode, local: LocalEntry | undefined, remote: RemoteEntry | undefined): void {
    const { path } = node;
    const replaceFile = local?.node.kind === 'file' && remote?.node.kind === 'file';
    if (local !== undefined) {
      if (local.node.kind === 'file') this.creates.push({ kind: 'upload', path, local, baseRev: replaceFile && remote !== undefined ? remote.rev : null });
      else this.creates.push({ kind: 'mkdirRemote', path, local, baseRev: null });
    }
    for (const child of node.children) this.visit(child);
    if (remote !== undefined && !replaceFile) this.deletes.push({ kind: 'deleteRemote', path, baseRev: remote.rev });
  }

  private makeLocalLikeRemote(node: TreeNode, local: LocalEntry | undefined, remote: RemoteEntry | undefined): void {
    const { path } = node;
    const replaceFile = local?.node.kind === 'file' && remote?.node.kind === 'file';
    if (remote !== undefined) {
      if (remote.node.kind === 'file') this.creates.push({ kind: 'download', path, remote, expectLocal: replaceFile ? local : undefined });
      else this.creates.push({ kind: 'mkdirLocal', path, remote });
    }
    for (const child of node.children) this.visit(child);
    if (local !== undefined && !replaceFile) this.deletes.push({ kind: 'deleteLocal', path, expectLocal: local });
  }

  /**
   * Both sides changed the path differently. The server's version keeps the name and wins
   * the whole subtree (no remote deletion follows from the local side's changes); the local
   * file or folder moves aside to a conflict copy and is uploaded there, contents included.
   */
  private conflict(node: TreeNode, local: LocalEntry, remote: RemoteEntry): void {
    const { path } = node;
    const conflictPath = this.namer.allocate(path);
    if (conflictPath === undefined) {
      this.problems.push({
        kind: 'problem',
        path,
        reason: 'conflict-name-unavailable',
        detail: `${path} changed on both sides, but every conflict-copy name for it is ignored or unselected. Nothing was changed; rename or move one version.`,
      });
      return;
    }
    this.creates.push({ kind: 'conflict', path, conflictPath, local, remote });
    const descendants = this.descendants(node);
    if (local.node.kind === 'dir') {
      for (const descendant of descendants) {
        const entry = this.views.local.get(descendant);
        if (entry === undefined || this.skip.isSkipped(descendant)) continue;
        const copyPath = rebasePath(descendant, path, conflictPath);
        const copy: LocalEntry = { ...entry, path: copyPath };
        if (copy.node.kind === 'file') this.creates.push({ kind: 'upload', path: copyPath, local: copy, baseRev: null });
        else this.creates.push({ kind: 'mkdirRemote', path: copyPath, local: copy, baseRev: null });
      }
    }
    // After the rename nothing local is left below the path: the remote subtree comes down
    // whole, and the base forgets what neither side holds any more.
    for (const descendant of descendants) {
      const remoteEntry = this.views.remote.get(descendant);
      if (this.skip.isSkipped(descendant) || remoteEntry === undefined) {
        if (remoteEntry === undefined && this.views.synced.has(descendant)) this.base.push({ kind: 'forgetSynced', path: descendant });
        continue;
      }
      if (remoteEntry.node.kind === 'file') this.creates.push({ kind: 'download', path: descendant, remote: remoteEntry, expectLocal: undefined });
      else this.creates.push({ kind: 'mkdirLocal', path: descendant, remote: remoteEntry });
    }
  }

  /** Every path strictly below the node, parents first. */
  private descendants(node: TreeNode): LibraryPath[] {
    const result: LibraryPath[] = [];
    const walk = (parent: TreeNode): void => {
      for (const child of parent.children) {
        result.push(child.path);
        walk(child);
      }
    };
    walk(node);
    return result;
  }
}

/**
 * Plans one round of sync for a library. Pure and deterministic: the same input gives the
 * same plan, and the input maps are never modified. See Plan for the order of the actions.
 */
export function planLibrary(input: PlanInput): Plan {
  const problems: PlanAction[] = [];
  const views = normalizeViews(input, problems);
  const { isIgnored, isSelected } = input;
  const caseInsensitiveDisk = input.caseInsensitiveDisk ?? false;

  const moveSkip = new SkipRules(isIgnored, isSelected);
  const moves = [...applyRemoteMoves(views, moveSkip, caseInsensitiveDisk), ...applyLocalMoves(views, moveSkip)];

  const clashes = caseInsensitiveDisk ? findCaseClashes(views, problems) : new Set<LibraryPath>();
  const skip = new SkipRules(isIgnored, isSelected, clashes);
  const namer = new ConflictNamer(input, views, skip);
  const reconciler = new Reconciler(views, skip, namer);
  for (const root of buildTree(views, skip)) reconciler.visit(root);

  // Moves were checked as they were detected; the guard covers what reconciliation planned.
  const reconciled = checkPlanSafety([...reconciler.deletes, ...reconciler.creates, ...reconciler.base], views);
  const movedOnServer = new Set(moves.flatMap((move) => (move.kind === 'moveRemote' ? [move.to] : [])));
  return [...moves, ...reconciled.filter((action) => !waitsForServerMove(action, movedOnServer)), ...reconciler.problems, ...problems];
}

/**
 * The server gives a moved folder's whole subtree new revisions, and a commit's answer names
 * only the moved path's. So every action at or below a path this plan moves on the server
 * would carry, or record, a stale revision, or depend on one that does. The whole subtree
 * waits for the next round, which plans it from the feed's new revisions; only problems are
 * reported at once.
 */
function waitsForServerMove(action: PlanAction, movedOnServer: ReadonlySet<LibraryPath>): boolean {
  if (movedOnServer.size === 0 || action.kind === 'problem' || action.kind === 'moveRemote' || action.kind === 'moveLocal') return false;
  return movedOnServer.has(action.path) || ancestorPaths(action.path).some((ancestor) => movedOnServer.has(ancestor));
}
