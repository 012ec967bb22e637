// Line diff: Myers' O(ND) algorithm in its linear-space form (find the middle of an optimal
// edit path from both ends at once, then solve the halves), with the common prefix and suffix
// stripped at every step. Lines are compared as strings; callers pass comparisonKeys().
//
// Bounded effort, so that no pair of files can hang the caller:
// - one middle-path search explores at most `maxSearchDepth` edits from each end; beyond that
//   it splits at the point it reached furthest instead (a valid, possibly longer, diff);
// - all searches together spend at most `workBudget` steps; once it is spent, every part not
//   yet solved becomes one replace hunk.
// Memory stays linear in the number of lines either way. `minimal` says whether the result is
// guaranteed to be a shortest edit script.

export type DiffHunkKind = 'equal' | 'delete' | 'insert' | 'replace';

/**
 * One run of the diff, as half-open 0-based line ranges on both sides. Hunks cover both
 * sequences in order without gaps, and an 'equal' hunk is always followed by a change (or
 * the end), never by another 'equal' hunk; two changes are never adjacent either.
 */
export interface DiffHunk {
  readonly kind: DiffHunkKind;
  readonly oldStart: number;
  readonly oldEnd: number;
  readonly newStart: number;
  readonly newEnd: number;
}

export interface LineDiff {
  readonly hunks: readonly DiffHunk[];
  /** False when a bound on effort was reached and the diff may be longer than necessary. */
  readonly minimal: boolean;
}

export interface DiffOptions {
  /** Total search steps allowed (default DEFAULT_DIFF_WORK_BUDGET). */
  readonly workBudget?: number;
  /** Edits explored from each end in one middle-path search (see DEFAULT_DIFF_SEARCH_DEPTH). */
  readonly maxSearchDepth?: number;
}

/** About a few hundred milliseconds of searching on a desktop machine. */
export const DEFAULT_DIFF_WORK_BUDGET = 20_000_000;

/**
 * The default search depth for large inputs. Inputs whose squared total line count fits the
 * budget are searched without a depth bound (their diff is always minimal). For larger ones,
 * many cheap bounded searches keep the diff close to minimal, where a few deep ones would spend
 * the whole budget early and leave the rest of the file as one coarse replace.
 */
export const DEFAULT_DIFF_SEARCH_DEPTH = 256;

export function diffLines(oldLines: readonly string[], newLines: readonly string[], options: DiffOptions = {}): LineDiff {
  const workBudget = options.workBudget ?? DEFAULT_DIFF_WORK_BUDGET;
  const total = oldLines.length + newLines.length;
  const maxSearchDepth = Math.max(1, Math.floor(options.maxSearchDepth ?? (total * total <= workBudget ? total : DEFAULT_DIFF_SEARCH_DEPTH)));
  const [oldIds, newIds] = internLines(oldLines, newLines);
  const solver = new MyersSolver(oldIds, newIds, workBudget, maxSearchDepth);
  const matches = solver.solve();
  return { hunks: hunksFromMatches(matches, oldLines.length, newLines.length), minimal: solver.minimal };
}

/** Numbers each distinct line so the search compares integers. */
function internLines(oldLines: readonly string[], newLines: readonly string[]): [Int32Array, Int32Array] {
  const ids = new Map<string, number>();
  const intern = (lines: readonly string[]): Int32Array => {
    const result = new Int32Array(lines.length);
    lines.forEach((line, index) => {
      let id = ids.get(line);
      if (id === undefined) {
        id = ids.size;
        ids.set(line, id);
      }
      result[index] = id;
    });
    return result;
  };
  return [intern(oldLines), intern(newLines)];
}

/** A run of equal lines: old[oldStart + i] === new[newStart + i] for i < length. */
interface Match {
  oldStart: number;
  newStart: number;
  length: number;
}

type Task =
  | { readonly kind: 'solve'; readonly oldLow: number; readonly oldHigh: number; readonly newLow: number; readonly newHigh: number }
  | { readonly kind: 'match'; readonly oldStart: number; readonly newStart: number; readonly length: number };

class MyersSolver {
  minimal = true;
  private work = 0;
  private readonly matches: Match[] = [];
  // Furthest-reaching x per diagonal, forward and backward, indexed by diagonal + offset.
  private readonly forward: Int32Array;
  private readonly backward: Int32Array;
  private readonly offset: number;

  constructor(
    private readonly oldIds: Int32Array,
    private readonly newIds: Int32Array,
    private readonly workBudget: number,
    private readonly maxSearchDepth: number,
  ) {
    const depth = Math.min(maxSearchDepth, Math.ceil((oldIds.length + newIds.length) / 2));
    this.offset = depth + 1;
    this.forward = new Int32Array(2 * depth + 3);
    this.backward = new Int32Array(2 * depth + 3);
  }

  /** Equal runs in order; everything between them is a change. */
  solve(): Match[] {
    // An explicit stack: the halves are solved left to right without deep recursion.
    const stack: Task[] = [{ kind: 'solve', oldLow: 0, oldHigh: this.oldIds.length, newLow: 0, newHigh: this.newIds.length }];
    for (let task = stack.pop(); task !== undefined; task = stack.pop()) {
      if (task.kind === 'match') {
        this.addMatch(task.oldStart, task.newStart, task.length);
        continue;
      }
      let { oldLow, oldHigh, newLow, newHigh } = task;
      let prefix = 0;
      while (oldLow + prefix < oldHigh && newLow + prefix < newHigh && this.oldIds[oldLow + prefix] === this.newIds[newLow + prefix]) prefix += 1;
      this.addMatch(oldLow, newLow, prefix);
      oldLow += prefix;
      newLow += prefix;
      let suffix = 0;
      while (oldHigh - suffix > oldLow && newHigh - suffix > newLow && this.oldIds[oldHigh - suffix - 1] === this.newIds[newHigh - suffix - 1]) suffix += 1;
      oldHigh -= suffix;
      newHigh -= suffix;
      if (suffix > 0) stack.push({ kind: 'match', oldStart: oldHigh, newStart: newHigh, length: suffix });
      // Only insertions or only deletions left: the gap between matches says it all.
      if (oldLow === oldHigh || newLow === newHigh) continue;
      const split = this.work >= this.workBudget ? null : this.findSplit(oldLow, oldHigh, newLow, newHigh);
      if (split === null) {
        this.minimal = false;
        continue;
      }
      const oldSplit = oldLow + split.x;
      const newSplit = newLow + split.y;
      stack.push({ kind: 'solve', oldLow: oldSplit, oldHigh, newLow: newSplit, newHigh });
      stack.push({ kind: 'solve', oldLow, oldHigh: oldSplit, newLow, newHigh: newSplit });
    }
    return this.matches;
  }

  private addMatch(oldStart: number, newStart: number, length: number): void {
    if (length === 0) return;
    const last = this.matches[this.matches.length - 1];
    if (last !== undefined && last.oldStart + last.length === oldStart && last.newStart + last.length === newStart) {
      last.length += length;
    } else {
      this.matches.push({ oldStart, newStart, length });
    }
  }

  /**
   * A point (x, y), relative to the low corner, on an optimal path through the box, strictly
   * inside it so both halves are smaller; or, past the search depth, the furthest point the
   * forward search reached; or null once the work budget is spent. The box is not empty on
   * either side and its first and last lines differ, so its edit distance is at least 2.
   */
  private findSplit(oldLow: number, oldHigh: number, newLow: number, newHigh: number): { x: number; y: number } | null {
    const { oldIds, newIds, forward, backward, offset } = this;
    const n = oldHigh - oldLow;
    const m = newHigh - newLow;
    const delta = n - m;
    const odd = (delta & 1) !== 0;
    const maxDepth = Math.min(this.maxSearchDepth, Math.ceil((n + m) / 2));
    // Searches start at diagonal 0; -1 marks a diagonal not reached yet. Only diagonals within
    // the depth are read below, so only they need clearing.
    forward.fill(-1, offset - maxDepth - 1, offset + maxDepth + 2);
    backward.fill(-1, offset - maxDepth - 1, offset + maxDepth + 2);
    forward[offset + 1] = 0;
    backward[offset + 1] = 0;
    // Diagonals that left the box are skipped from then on (they cannot rejoin it).
    let forwardLowTrim = 0;
    let forwardHighTrim = 0;
    let backwardLowTrim = 0;
    let backwardHighTrim = 0;
    for (let depth = 0; depth <= maxDepth; depth += 1) {
      for (let k = -depth + forwardLowTrim; k <= depth - forwardHighTrim; k += 2) {
        const index = offset + k;
        let x: number;
        if (k === -depth || (k !== depth && (forward[index - 1] as number) < (forward[index + 1] as number))) x = forward[index + 1] as number;
        else x = (forward[index - 1] as number) + 1;
        let y = x - k;
        const startX = x;
        while (x < n && y < m && oldIds[oldLow + x] === newIds[newLow + y]) {
          x += 1;
          y += 1;
        }
        this.work += 1 + x - startX;
        forward[index] = x;
        if (x > n) forwardHighTrim += 2;
        else if (y > m) forwardLowTrim += 2;
        else if (odd && Math.abs(delta - k) < depth) {
          const backwardX = backward[offset + delta - k] as number;
          if (backwardX >= 0 && backwardX <= n && backwardX - (delta - k) <= m && x + backwardX >= n) return { x, y };
        }
      }
      for (let k = -depth + backwardLowTrim; k <= depth - backwardHighTrim; k += 2) {
        const index = offset + k;
        let x: number;
        if (k === -depth || (k !== depth && (backward[index - 1] as number) < (backward[index + 1] as number))) x = backward[index + 1] as number;
        else x = (backward[index - 1] as number) + 1;
        let y = x - k;
        const startX = x;
        while (x < n && y < m && oldIds[oldHigh - 1 - x] === newIds[newHigh - 1 - y]) {
          x += 1;
          y += 1;
        }
        this.work += 1 + x - startX;
        backward[index] = x;
        if (x > n) backwardHighTrim += 2;
        else if (y > m) backwardLowTrim += 2;
        else if (!odd && Math.abs(delta - k) <= depth) {
          const forwardX = forward[offset + delta - k] as number;
          if (forwardX >= 0 && forwardX <= n && forwardX - (delta - k) <= m && forwardX + x >= n) return { x: n - x, y: m - y };
        }
      }
      if (this.work >= this.workBudget) return null;
    }
    // The search depth ran out before the two ends met: split where the forward search got
    // furthest. Its x + y is at least the depth, so the split is strictly inside the box.
    this.minimal = false;
    let best: { x: number; y: number } | null = null;
    for (let k = -maxDepth; k <= maxDepth; k += 1) {
      const x = forward[offset + k];
      if (x === undefined || x < 0) continue;
      const y = x - k;
      if (x > n || y < 0 || y > m || (x === n && y === m)) continue;
      if (best === null || x + y > best.x + best.y) best = { x, y };
    }
    return best !== null && best.x + best.y > 0 ? best : null;
  }
}

function hunksFromMatches(matches: readonly Match[], oldLength: number, newLength: number): DiffHunk[] {
  const hunks: DiffHunk[] = [];
  let oldAt = 0;
  let newAt = 0;
  const change = (oldEnd: number, newEnd: number): void => {
    if (oldEnd === oldAt && newEnd === newAt) return;
    const kind: DiffHunkKind = oldEnd === oldAt ? 'insert' : newEnd === newAt ? 'delete' : 'replace';
    hunks.push({ kind, oldStart: oldAt, oldEnd, newStart: newAt, newEnd });
  };
  for (const match of matches) {
    change(match.oldStart, match.newStart);
    hunks.push({ kind: 'equal', oldStart: match.oldStart, oldEnd: match.oldStart + match.length, newStart: match.newStart, newEnd: match.newStart + match.length });
    oldAt = match.oldStart + match.length;
    newAt = match.newStart + match.length;
  }
  change(oldLength, newLength);
  return hunks;
}
