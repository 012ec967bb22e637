// The planner's working copies of the three states, and the rules that take paths out of sync.
//
// The planner never mutates its input. It copies the three maps into views, makes each view
// tree-shaped (every entry's ancestors are folders of the same view), then lets move detection
// rewrite the views as if the detected moves had already run; reconciliation reads the result.

import { ancestorPaths, caseFoldKey, parentPath, rebasePath, isSameOrBelow } from '../../../shared/paths.js';
import type { LibraryPath } from '../../../shared/paths.js';
import { comparePaths, sortPaths } from '../../../shared/pathOrder.js';
import type { LocalEntry, SyncedEntry } from '../syncModel.js';
import type { PlanAction, PlanInput, RemoteFeedEntry } from './planAction.js';

export interface PlanViews {
  readonly synced: Map<LibraryPath, SyncedEntry>;
  readonly local: Map<LibraryPath, LocalEntry>;
  readonly remote: Map<LibraryPath, RemoteFeedEntry>;
}

/** The planner orders paths by the one path order (see shared/pathOrder.ts). */
export { comparePaths, sortPaths as sortedPaths };

interface HasPathAndNode {
  readonly path: LibraryPath;
  readonly node: { readonly kind: 'file' | 'dir' };
}

/**
 * Copies one input map into a tree-shaped view. An entry below a file of the same map cannot
 * exist on any disk or server; it is dropped (with everything below it) and reported. A
 * missing ancestor folder is synthesized by `folder`, because a path listed without its
 * folder still implies the folder.
 */
function normalizeView<T extends HasPathAndNode>(
  input: ReadonlyMap<LibraryPath, T>,
  side: string,
  folder: (path: LibraryPath, child: T) => T,
  problems: PlanAction[],
): Map<LibraryPath, T> {
  // The common case is a well-formed map: copy it natively and look for exceptions in one pass.
  const view = new Map<LibraryPath, T>(input);
  const irregular: LibraryPath[] = [];
  for (const [path, entry] of input) {
    if (entry.path !== path) view.set(path, { ...entry, path });
    const parent = parentPath(path);
    if (parent !== '' && input.get(parent)?.node.kind !== 'dir') irregular.push(path);
  }
  if (irregular.length === 0) return view;

  const dropped = new Set<LibraryPath>();
  for (const path of sortPaths(irregular)) {
    const blocker = ancestorPaths(path).find((ancestor) => input.get(ancestor)?.node.kind === 'file');
    if (blocker !== undefined) {
      dropped.add(path);
      view.delete(path);
      problems.push({
        kind: 'problem',
        path,
        reason: 'inconsistent-input',
        detail: `The ${side} state lists ${path} below the file ${blocker}; the entry was left out. Rescan the folder or re-read the server.`,
      });
      continue;
    }
    const entry = view.get(path);
    if (entry === undefined) continue;
    for (const ancestor of ancestorPaths(path)) {
      if (!view.has(ancestor)) view.set(ancestor, folder(ancestor, entry));
    }
  }
  if (dropped.size > 0) {
    for (const path of [...view.keys()]) {
      if (ancestorPaths(path).some((ancestor) => dropped.has(ancestor))) view.delete(path);
    }
  }
  return view;
}

/** Tree-shaped copies of the three input maps; problems for entries that had to be dropped. */
export function normalizeViews(input: PlanInput, problems: PlanAction[]): PlanViews {
  return {
    synced: normalizeView(input.synced, 'synced', (path, child) => ({ path, node: { kind: 'dir' }, rev: 0, inode: 0, mtimeMs: child.mtimeMs }), problems),
    local: normalizeView(
      input.local,
      'local',
      (path, child) => ({ path, node: { kind: 'dir' }, mtimeMs: child.mtimeMs, inode: 0, statSize: 0, chunks: [] }),
      problems,
    ),
    remote: normalizeView(input.remote, 'remote', (path, child) => ({ path, node: { kind: 'dir' }, rev: 0, mtimeMs: child.mtimeMs, chunks: [] }), problems),
  };
}

/** Every path at or below `from`, in the view. */
export function pathsAtOrBelow<T>(view: ReadonlyMap<LibraryPath, T>, from: LibraryPath): LibraryPath[] {
  const result: LibraryPath[] = [];
  for (const path of view.keys()) if (isSameOrBelow(path, from)) result.push(path);
  return result;
}

/** Moves every entry at or below `from` to the same place below `to`, rewriting its path. */
export function rebaseView<T extends { readonly path: LibraryPath }>(
  view: Map<LibraryPath, T>,
  from: LibraryPath,
  to: LibraryPath,
  rewrite: (entry: T, path: LibraryPath) => T = (entry, path) => ({ ...entry, path }),
): void {
  const moved = pathsAtOrBelow(view, from);
  const entries = moved.map((path) => view.get(path));
  for (const path of moved) view.delete(path);
  moved.forEach((path, index) => {
    const entry = entries[index];
    if (entry !== undefined) {
      const target = rebasePath(path, from, to);
      view.set(target, rewrite(entry, target));
    }
  });
}

/** Why a path takes no part in this round, or undefined when it does. */
export type SkipReason = 'ignored' | 'unselected' | 'case-clash';

/**
 * Decides which paths are out of sync: ignored, unselected, or clashing in case. A path whose
 * ancestor is skipped is skipped for the same reason. Answers are memoized per plan.
 */
export class SkipRules {
  private readonly memo = new Map<LibraryPath, SkipReason | null>();
  private readonly isIgnored: (path: LibraryPath) => boolean;
  private readonly isSelected: (path: LibraryPath) => boolean;
  /** True when no rule can skip anything: the common case answers without any work. */
  private readonly skipsNothing: boolean;

  constructor(
    isIgnored: ((path: LibraryPath) => boolean) | undefined,
    isSelected: ((path: LibraryPath) => boolean) | undefined,
    private readonly caseClashes: ReadonlySet<LibraryPath> = new Set(),
  ) {
    this.isIgnored = isIgnored ?? (() => false);
    this.isSelected = isSelected ?? (() => true);
    this.skipsNothing = isIgnored === undefined && isSelected === undefined && caseClashes.size === 0;
  }

  reason(path: LibraryPath): SkipReason | undefined {
    if (this.skipsNothing) return undefined;
    const known = this.memo.get(path);
    if (known !== undefined) return known ?? undefined;
    const parent = parentPath(path);
    const inherited = parent === '' ? undefined : this.reason(parent);
    const own: SkipReason | undefined =
      inherited ??
      (this.isIgnored(path) ? 'ignored' : !this.isSelected(path) ? 'unselected' : this.caseClashes.has(path) ? 'case-clash' : undefined);
    this.memo.set(path, own ?? null);
    return own;
  }

  isSkipped(path: LibraryPath): boolean {
    return this.reason(path) !== undefined;
  }
}

/**
 * Paths that differ only in case from another local or remote path. On a disk that folds case
 * they cannot both exist; every spelling is taken out of sync and reported once (at the
 * topmost clashing folder), so the user picks a name instead of the planner merging them.
 */
export function findCaseClashes(views: PlanViews, problems: PlanAction[]): Set<LibraryPath> {
  const spellings = new Map<string, Set<LibraryPath>>();
  for (const path of [...views.local.keys(), ...views.remote.keys()]) {
    const key = caseFoldKey(path);
    const group = spellings.get(key) ?? new Set<LibraryPath>();
    group.add(path);
    spellings.set(key, group);
  }
  const clashes = new Set<LibraryPath>();
  for (const group of spellings.values()) {
    if (group.size > 1) for (const path of group) clashes.add(path);
  }
  for (const path of sortPaths(clashes)) {
    if (ancestorPaths(path).some((ancestor) => clashes.has(ancestor))) continue;
    const others = sortPaths(spellings.get(caseFoldKey(path)) ?? []).filter((other) => other !== path);
    problems.push({
      kind: 'problem',
      path,
      reason: 'case-clash',
      detail: `${path} differs only in case from ${others.join(', ')}; this disk cannot hold both. Rename one of them.`,
    });
  }
  return clashes;
}
