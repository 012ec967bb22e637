// Planning only what changed. When every path of a library was settled (local, synced and remote
// states equal) and a pass then changes some paths on one side only (its scan found local edits
// and its pull found nothing), every other path is still settled, and the planner would plan
// nothing for it. The pass plans from the part of the states those paths can touch instead of
// from all of it: with 10,000 files and 100 edited, it reads ~100 entries of two states instead
// of 20,000, and the planner walks ~100 paths.
//
// The part (planNeighbourhood) holds, for each changed path:
//   - the path and its ancestor folders (the tree the planner walks down to reach it);
//   - where the path is a folder in some state but not a folder in all three (created, deleted,
//     or a file on another side), everything below it in every state: the planner decides such
//     a folder from its whole subtree (a deleted folder holding new content, a folder renamed
//     as one move, skipped content pinning it).
// A folder in all three states agrees with itself; what changed below it is in the part on its
// own account, and what did not is settled (test/sync/planNeighbourhood.test.ts plans random
// edits of random settled libraries both ways and compares the plans).

import { ancestorPaths } from '../../../shared/paths.js';
import type { LibraryPath } from '../../../shared/paths.js';

interface Entry {
  readonly path: LibraryPath;
  readonly node: { readonly kind: 'file' | 'dir' };
}

/** One state, read by path. */
export interface StateLookup<E extends Entry> {
  /** The entries at these paths (those that have one), by path. */
  getMany(paths: readonly LibraryPath[]): Map<LibraryPath, E>;
  /** Every entry strictly below `folder` (the folder itself may come too). */
  below(folder: LibraryPath): Iterable<E>;
}

export interface Neighbourhood<L extends Entry, S extends Entry, R extends Entry> {
  readonly local: Map<LibraryPath, L>;
  readonly synced: Map<LibraryPath, S>;
  readonly remote: Map<LibraryPath, R>;
}

/**
 * The entries of the three states that a plan of `changed` paths can touch (see above). Each
 * state is read once for the changed paths and their folders, and once below each folder taken
 * whole: every path of the part is one of those, and a path below a folder taken whole is below
 * it in whichever state has it.
 */
export function planNeighbourhood<L extends Entry, S extends Entry, R extends Entry>(
  changed: Iterable<LibraryPath>,
  states: { readonly local: StateLookup<L>; readonly synced: StateLookup<S>; readonly remote: StateLookup<R> },
): Neighbourhood<L, S, R> {
  const changedPaths = [...new Set(changed)];
  const paths = new Set<LibraryPath>(changedPaths);
  for (const path of changedPaths) for (const ancestor of ancestorPaths(path)) paths.add(ancestor);
  const named = [...paths];
  const local = states.local.getMany(named);
  const synced = states.synced.getMany(named);
  const remote = states.remote.getMany(named);
  const whole = new Set<LibraryPath>();
  for (const path of changedPaths) {
    const kinds = [local.get(path)?.node.kind, synced.get(path)?.node.kind, remote.get(path)?.node.kind];
    if (kinds.includes('dir') && !kinds.every((kind) => kind === 'dir')) whole.add(path);
  }
  // A folder below another one taken whole is in it already (a renamed folder's subfolders).
  for (const folder of whole) {
    if (ancestorPaths(folder).some((ancestor) => whole.has(ancestor))) continue;
    for (const entry of states.local.below(folder)) local.set(entry.path, entry);
    for (const entry of states.synced.below(folder)) synced.set(entry.path, entry);
    for (const entry of states.remote.below(folder)) remote.set(entry.path, entry);
  }
  return { local, synced, remote };
}

/** A state held whole in a Map, read as a StateLookup. */
export function mapLookup<E extends Entry>(state: ReadonlyMap<LibraryPath, E>): StateLookup<E> {
  return {
    getMany: (paths) => {
      const found = new Map<LibraryPath, E>();
      for (const path of paths) {
        const entry = state.get(path);
        if (entry !== undefined) found.set(path, entry);
      }
      return found;
    },
    below: (folder) => {
      const prefix = `${folder}/`;
      const found: E[] = [];
      for (const [path, entry] of state) if (path.startsWith(prefix)) found.push(entry);
      return found;
    },
  };
}
