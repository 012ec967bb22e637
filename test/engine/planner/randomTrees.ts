// Seeded random trees for the planner's randomized tests: a maker of base trees and of one
// side's independent changes to them.

import type { Spec, TreeSpec } from './fixtures.js';
import { d, f, flatten } from './fixtures.js';
import { SeededRandom } from '../../sync/support/seededRandom.js';

/** The seeded generator of the randomized tests, whose pick of no values is undefined (a tree may be empty). */
export class Random extends SeededRandom {
  pickAny<T>(values: readonly T[]): T | undefined {
    return values.length === 0 ? undefined : this.pick(values);
  }
}

export const TOP_NAMES = ['a', 'b', 'c', 'd'];
export const INNER_NAMES = ['x', 'y', 'z'];
export const DEPTH = 2;

/** Draws trees whose every file version has a unique label, so a version can be traced. */
export class TreeMaker {
  private label = 0;
  private inode = 100;

  constructor(private readonly random: Random) {}

  freshFile(): Spec {
    return f(`v${++this.label}`, { executable: this.random.chance(0.1), inode: ++this.inode });
  }

  fresh(depth: number): Spec {
    return depth > 0 && this.random.chance(0.4) ? d(this.tree(depth - 1, 0.5), { inode: ++this.inode }) : this.freshFile();
  }

  tree(depth: number, density: number, names = INNER_NAMES): TreeSpec {
    const result: Record<string, Spec> = {};
    for (const name of names) if (this.random.chance(density)) result[name] = this.fresh(depth);
    return result;
  }

  /** One side's independent changes to the base. Edits keep the inode, as in-place saves do. */
  mutate(tree: TreeSpec, depth: number, names = INNER_NAMES): TreeSpec {
    const result: Record<string, Spec> = {};
    for (const name of names) {
      const spec = tree[name];
      const roll = this.random.next();
      if (spec === undefined) {
        if (roll < 0.12) result[name] = this.fresh(depth);
      } else if (spec.kind === 'file') {
        if (roll < 0.55) result[name] = spec;
        else if (roll < 0.7) result[name] = f(`v${++this.label}`, { executable: spec.executable, ...(spec.inode !== undefined ? { inode: spec.inode } : {}) });
        else if (roll < 0.76) result[name] = f(spec.label, { executable: !spec.executable, ...(spec.inode !== undefined ? { inode: spec.inode } : {}) });
        else if (roll < 0.9) continue;
        else result[name] = depth > 0 ? d(this.tree(depth - 1, 0.5), { inode: ++this.inode }) : this.freshFile();
      } else {
        if (roll < 0.7) result[name] = d(this.mutate(spec.children, depth - 1), spec.inode !== undefined ? { inode: spec.inode } : {});
        else if (roll < 0.85) continue;
        else if (roll < 0.92) result[name] = this.freshFile();
        else result[name] = spec;
      }
    }
    return result;
  }
}


/**
 * One time in two, moves a top-level name of `tree` to one of the two `targets`, keeping its
 * inodes. Returns, by new path, where each moved path came from: the marks the server's feed
 * gives the moved path and each path below it.
 */
export function maybeMoveTopName(random: Random, tree: Record<string, Spec>, targets: readonly [string, string]): Record<string, string> {
  const marks: Record<string, string> = {};
  const from = random.pickAny(Object.keys(tree));
  const moved = from === undefined ? undefined : tree[from];
  if (from === undefined || moved === undefined || !random.chance(0.5)) return marks;
  const to = random.chance(0.5) ? targets[0] : targets[1];
  delete tree[from];
  tree[to] = moved;
  for (const [path] of flatten({ [to]: moved })) marks[path] = from + path.slice(to.length);
  return marks;
}
