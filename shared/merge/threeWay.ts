// Three-way merge of text documents with diff3 semantics.
//
// Both versions are diffed against their common ancestor (the base). Walking the base, each
// change is grouped with every change from the other side whose base range overlaps or touches
// it (chained, so a group can span several changes). A group changed on one side only takes
// that side; a group both sides changed to the same lines is taken once; anything else is a
// conflict carrying the base, mine and theirs lines of the whole group.
//
// The rules chosen:
// - Touching changes conflict. Two changes with no unchanged base line between them (edits of
//   adjacent lines, or an insertion right before or after a line the other side edited, or two
//   insertions at one place) are a conflict, as in diff3 and git: without an unchanged line
//   between them nothing shows that the edits are independent or in which order they belong.
// - Lines are compared by content without their terminator, so a CRLF and an LF version with
//   the same text merge cleanly. The result ends its lines like mine when mine is consistent
//   (every terminated line LF, or every one CRLF, or every one CR); otherwise each line keeps
//   the terminator it had in the version it was taken from (unchanged lines come from mine).
// - The final newline is part of the last line: adding or removing it is a change of that line
//   like any other (see comparisonKeys), merged or in conflict by the same rules. A line without
//   a newline that ends up followed by another (when a conflict is resolved by taking both
//   versions, or in a preview with markers) gets the result's terminator.
// - The BOM is merged like a single flag: if one side added or removed it, that side wins.
// - Nothing is written with conflict markers unless asked (renderWithMarkers, for previews):
//   renderMerge refuses until every conflict has a choice.

import { diffLines, type DiffHunk, type DiffOptions } from './diff.js';
import { comparisonKeys, type LineTerminator, type TextDocument, type TextLine } from './text.js';

/** Half-open 0-based line range in one version. */
export interface LineSpan {
  readonly start: number;
  readonly end: number;
}

/** Where a region lies in each of the three versions. */
export interface RegionSpans {
  readonly base: LineSpan;
  readonly mine: LineSpan;
  readonly theirs: LineSpan;
}

export type MergeRegionKind = 'stable' | 'mine' | 'theirs' | 'both' | 'conflict';

/**
 * One stretch of the merge, in order. 'stable': unchanged on both sides (lines as in mine);
 * 'mine' / 'theirs': changed on that side only (its lines, possibly none for a deletion);
 * 'both': the same change on both sides (lines as in mine); 'conflict': different changes,
 * numbered from 0 in order by `index`.
 */
export type MergeRegion =
  | { readonly kind: 'stable' | 'mine' | 'theirs' | 'both'; readonly lines: readonly TextLine[]; readonly spans: RegionSpans }
  | {
      readonly kind: 'conflict';
      readonly index: number;
      readonly base: readonly TextLine[];
      readonly mine: readonly TextLine[];
      readonly theirs: readonly TextLine[];
      readonly spans: RegionSpans;
    };

export interface MergeResult {
  readonly regions: readonly MergeRegion[];
  /** No conflict: renderMerge(result, []) gives the merged document. */
  readonly clean: boolean;
  /** Regions of each kind; `counts.conflict` is the number of choices renderMerge needs. */
  readonly counts: Readonly<Record<MergeRegionKind, number>>;
  /** Whether the result starts with a BOM. */
  readonly bom: boolean;
  /** The terminator every terminated line gets, or null when each keeps its own. */
  readonly lineTerminator: LineTerminator | null;
  /** The terminator given to a line without one that is followed by another line. */
  readonly joinTerminator: LineTerminator;
  /** False when a diff hit its effort bound: the merge is valid but may conflict more widely. */
  readonly minimal: boolean;
}

export type ConflictChoice = 'mine' | 'theirs' | 'mine-then-theirs' | 'theirs-then-mine' | 'base';

export const CONFLICT_CHOICES: readonly ConflictChoice[] = ['mine', 'theirs', 'mine-then-theirs', 'theirs-then-mine', 'base'];

/** Thrown by renderMerge while a conflict has no choice: nothing is ever merged by guessing. */
export class UnresolvedConflictError extends Error {
  constructor(readonly unresolved: readonly number[]) {
    super(`merge has ${unresolved.length} unresolved conflict(s): ${unresolved.join(', ')}`);
    this.name = 'UnresolvedConflictError';
  }
}

export interface MarkerLabels {
  readonly mine: string;
  readonly base: string;
  readonly theirs: string;
}

export function mergeThreeWay(base: TextDocument, mine: TextDocument, theirs: TextDocument, options: DiffOptions = {}): MergeResult {
  const baseKeys = comparisonKeys(base.lines);
  const mineKeys = comparisonKeys(mine.lines);
  const theirsKeys = comparisonKeys(theirs.lines);
  const mineDiff = diffLines(baseKeys, mineKeys, options);
  const theirsDiff = diffLines(baseKeys, theirsKeys, options);
  const mineChanges = mineDiff.hunks.filter((hunk) => hunk.kind !== 'equal');
  const theirsChanges = theirsDiff.hunks.filter((hunk) => hunk.kind !== 'equal');

  const regions: MergeRegion[] = [];
  const counts: Record<MergeRegionKind, number> = { stable: 0, mine: 0, theirs: 0, both: 0, conflict: 0 };
  const push = (region: MergeRegion): void => {
    regions.push(region);
    counts[region.kind] += 1;
  };
  const span = (start: number, end: number): LineSpan => ({ start, end });

  // Positions in each version that correspond to each other, between groups.
  let baseAt = 0;
  let mineAt = 0;
  let theirsAt = 0;
  const stableUntil = (baseEnd: number): void => {
    const length = baseEnd - baseAt;
    if (length <= 0) return;
    push({
      kind: 'stable',
      lines: mine.lines.slice(mineAt, mineAt + length),
      spans: { base: span(baseAt, baseEnd), mine: span(mineAt, mineAt + length), theirs: span(theirsAt, theirsAt + length) },
    });
    baseAt = baseEnd;
    mineAt += length;
    theirsAt += length;
  };

  let mineIndex = 0;
  let theirsIndex = 0;
  for (;;) {
    const nextMine = mineChanges[mineIndex];
    const nextTheirs = theirsChanges[theirsIndex];
    if (nextMine === undefined && nextTheirs === undefined) break;
    const groupStart = Math.min(nextMine?.oldStart ?? Infinity, nextTheirs?.oldStart ?? Infinity);
    stableUntil(groupStart);
    // Gather every change that overlaps or touches the group, from either side.
    let groupEnd = groupStart;
    const firstMine = mineIndex;
    const firstTheirs = theirsIndex;
    for (;;) {
      const mineChange = mineChanges[mineIndex];
      const theirsChange = theirsChanges[theirsIndex];
      if (mineChange !== undefined && mineChange.oldStart <= groupEnd) {
        groupEnd = Math.max(groupEnd, mineChange.oldEnd);
        mineIndex += 1;
      } else if (theirsChange !== undefined && theirsChange.oldStart <= groupEnd) {
        groupEnd = Math.max(groupEnd, theirsChange.oldEnd);
        theirsIndex += 1;
      } else {
        break;
      }
    }
    const mineSpan = sideSpan(mineChanges.slice(firstMine, mineIndex), groupStart, groupEnd, mineAt);
    const theirsSpan = sideSpan(theirsChanges.slice(firstTheirs, theirsIndex), groupStart, groupEnd, theirsAt);
    const spans: RegionSpans = { base: span(groupStart, groupEnd), mine: mineSpan, theirs: theirsSpan };
    const mineChanged = mineIndex > firstMine;
    const theirsChanged = theirsIndex > firstTheirs;
    if (mineChanged && !theirsChanged) {
      push({ kind: 'mine', lines: mine.lines.slice(mineSpan.start, mineSpan.end), spans });
    } else if (theirsChanged && !mineChanged) {
      push({ kind: 'theirs', lines: theirs.lines.slice(theirsSpan.start, theirsSpan.end), spans });
    } else if (sameKeys(mineKeys, mineSpan, theirsKeys, theirsSpan)) {
      push({ kind: 'both', lines: mine.lines.slice(mineSpan.start, mineSpan.end), spans });
    } else {
      push({
        kind: 'conflict',
        index: counts.conflict,
        base: base.lines.slice(groupStart, groupEnd),
        mine: mine.lines.slice(mineSpan.start, mineSpan.end),
        theirs: theirs.lines.slice(theirsSpan.start, theirsSpan.end),
        spans,
      });
    }
    baseAt = groupEnd;
    mineAt = mineSpan.end;
    theirsAt = theirsSpan.end;
  }
  stableUntil(base.lines.length);
  // After the last change all three versions run in step to their ends; anything else is a bug
  // that would lose lines, so it stops the merge.
  if (mineAt !== mine.lines.length || theirsAt !== theirs.lines.length) {
    throw new Error('three-way merge lost track of the versions; refusing to produce a result');
  }

  const lineTerminator = consistentTerminator(mine.lines);
  return {
    regions,
    clean: counts.conflict === 0,
    counts,
    bom: mine.bom !== base.bom ? mine.bom : theirs.bom,
    lineTerminator,
    joinTerminator: lineTerminator ?? commonestTerminator(mine.lines) ?? commonestTerminator(theirs.lines) ?? commonestTerminator(base.lines) ?? '\n',
    minimal: mineDiff.minimal && theirsDiff.minimal,
  };
}

/**
 * The lines of one version that correspond to base lines [groupStart, groupEnd): through its
 * changes in the group if it has any, else unchanged from where the versions last agreed.
 */
function sideSpan(changes: readonly DiffHunk[], groupStart: number, groupEnd: number, sideAt: number): LineSpan {
  const first = changes[0];
  const last = changes[changes.length - 1];
  if (first === undefined || last === undefined) return { start: sideAt, end: sideAt + (groupEnd - groupStart) };
  return { start: first.newStart - (first.oldStart - groupStart), end: last.newEnd + (groupEnd - last.oldEnd) };
}

function sameKeys(left: readonly string[], leftSpan: LineSpan, right: readonly string[], rightSpan: LineSpan): boolean {
  if (leftSpan.end - leftSpan.start !== rightSpan.end - rightSpan.start) return false;
  for (let offset = 0; offset < leftSpan.end - leftSpan.start; offset += 1) {
    if (left[leftSpan.start + offset] !== right[rightSpan.start + offset]) return false;
  }
  return true;
}

function consistentTerminator(lines: readonly TextLine[]): LineTerminator | null {
  let seen: LineTerminator | null = null;
  for (const line of lines) {
    if (line.terminator === '') continue;
    if (seen === null) seen = line.terminator;
    else if (seen !== line.terminator) return null;
  }
  return seen;
}

function commonestTerminator(lines: readonly TextLine[]): LineTerminator | null {
  const tally = new Map<LineTerminator, number>();
  for (const line of lines) if (line.terminator !== '') tally.set(line.terminator, (tally.get(line.terminator) ?? 0) + 1);
  let best: LineTerminator | null = null;
  for (const [terminator, count] of tally) if (best === null || count > (tally.get(best) ?? 0)) best = terminator;
  return best;
}

/**
 * The merged document, each conflict resolved by `choices[conflict.index]`. Throws
 * UnresolvedConflictError while any conflict has no choice, and a RangeError for choices that
 * do not belong to this merge (more choices than conflicts, or an unknown choice).
 */
export function renderMerge(result: MergeResult, choices: readonly (ConflictChoice | undefined)[]): TextDocument {
  if (choices.length > result.counts.conflict) {
    throw new RangeError(`${choices.length} choices given for a merge with ${result.counts.conflict} conflict(s)`);
  }
  const unresolved: number[] = [];
  const taken: TextLine[] = [];
  for (const region of result.regions) {
    if (region.kind !== 'conflict') {
      append(taken, region.lines);
      continue;
    }
    const choice = choices[region.index];
    switch (choice) {
      case undefined:
        unresolved.push(region.index);
        break;
      case 'mine':
        append(taken, region.mine);
        break;
      case 'theirs':
        append(taken, region.theirs);
        break;
      case 'mine-then-theirs':
        append(taken, region.mine);
        append(taken, region.theirs);
        break;
      case 'theirs-then-mine':
        append(taken, region.theirs);
        append(taken, region.mine);
        break;
      case 'base':
        append(taken, region.base);
        break;
      default:
        throw new RangeError(`unknown conflict choice: ${String(choice satisfies never)}`);
    }
  }
  if (unresolved.length > 0) throw new UnresolvedConflictError(unresolved);
  return assemble(result, taken);
}

/**
 * The merge with each conflict written out between git-style markers (<<<<<<< mine,
 * ||||||| base, =======, >>>>>>> theirs), for previews. Never write this to a synced file
 * without the user asking: it is not the content of any version.
 */
export function renderWithMarkers(result: MergeResult, labels: MarkerLabels): TextDocument {
  const marker = (prefix: string, label: string): TextLine => {
    // A label is one line: a newline in it would break the marker structure.
    // eslint-disable-next-line no-control-regex
    const clean = label.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
    return { text: clean === '' ? prefix : `${prefix} ${clean}`, terminator: result.joinTerminator };
  };
  const taken: TextLine[] = [];
  for (const region of result.regions) {
    if (region.kind !== 'conflict') {
      append(taken, region.lines);
      continue;
    }
    taken.push(marker('<<<<<<<', labels.mine));
    append(taken, region.mine);
    taken.push(marker('|||||||', labels.base));
    append(taken, region.base);
    taken.push(marker('=======', ''));
    append(taken, region.theirs);
    taken.push(marker('>>>>>>>', labels.theirs));
  }
  return assemble(result, taken);
}

/** push(...lines) would overflow the call stack for a region of a few hundred thousand lines. */
function append(target: TextLine[], lines: readonly TextLine[]): void {
  for (const line of lines) target.push(line);
}

/** Applies the result's line terminators; only the very last line may stay unterminated. */
function assemble(result: MergeResult, taken: readonly TextLine[]): TextDocument {
  const lines = taken.map((line, index): TextLine => {
    if (line.terminator === '') return index === taken.length - 1 ? line : { text: line.text, terminator: result.joinTerminator };
    const terminator = result.lineTerminator ?? line.terminator;
    return terminator === line.terminator ? line : { text: line.text, terminator };
  });
  return { bom: result.bom, lines };
}
