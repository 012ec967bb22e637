// Seeded random trees for the planner's randomized tests: a generator, and a maker of base trees
// and of one side's independent changes to them.

import type { Spec, TreeSpec } from './fixtures.js';
import { d, f } from './fixtures.js';

/** A small, fast, seedable generator (mulberry32). */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(values: readonly T[]): T | undefined {
    return values[Math.floor(this.next() * values.length)];
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

