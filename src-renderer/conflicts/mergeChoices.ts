// The merge step of the conflict dialog as pure data: the user's choice for each overlapping
// region, whether every region has one, and the rows of the merged result as it will be
// written. The result is rendered with the merge library's own renderMerge once every region
// is chosen, so what the preview shows is exactly what the service writes; before that, each
// unchosen region shows as a gap waiting for its choice.

import type { ConflictChoice, MergeResult, TextDocument } from '../../shared/merge/index.js';
import { renderMerge } from '../../shared/merge/index.js';

/** One entry per overlapping region, in order; undefined until the user chooses. */
export type MergeChoices = readonly (ConflictChoice | undefined)[];

/** Unchanged lines shown before and after a change in the result; longer runs fold away. */
export const MERGE_PREVIEW_CONTEXT = 3;

export function noChoices(merge: MergeResult): MergeChoices {
  return Array.from({ length: merge.counts.conflict }, () => undefined);
}

export function withChoice(choices: MergeChoices, index: number, choice: ConflictChoice): MergeChoices {
  if (index < 0 || index >= choices.length) throw new RangeError(`no overlapping region ${index} (the merge has ${choices.length})`);
  return choices.map((current, at) => (at === index ? choice : current));
}

/** The regions still waiting for a choice, by index. */
export function unchosenRegions(choices: MergeChoices): number[] {
  const waiting: number[] = [];
  choices.forEach((choice, index) => {
    if (choice === undefined) waiting.push(index);
  });
  return waiting;
}

/** The choices to send once every region has one, else null (Apply stays disabled). */
export function completeChoices(choices: MergeChoices): ConflictChoice[] | null {
  const complete: ConflictChoice[] = [];
  for (const choice of choices) {
    if (choice === undefined) return null;
    complete.push(choice);
  }
  return complete;
}

/** The merged document the service would write with these choices, or null while one is missing. */
export function mergedDocument(merge: MergeResult, choices: MergeChoices): TextDocument | null {
  const complete = completeChoices(choices);
  if (complete === null || complete.length !== merge.counts.conflict) return null;
  return renderMerge(merge, complete);
}

/**
 * Where a line of the result comes from: unchanged on both sides, changed by one side only,
 * changed the same way by both, or picked by the user for an overlapping region.
 */
export type MergeLineOrigin = 'unchanged' | 'mine' | 'theirs' | 'both' | 'chosen';

export type MergePreviewRow =
  /** `line`: its 1-based number in the result, null once an unchosen region makes it unknown. */
  | {
      readonly kind: 'line';
      readonly origin: MergeLineOrigin;
      readonly line: number | null;
      readonly text: string;
      /** The last line of the result has no newline after it. */
      readonly noFinalNewline: boolean;
      /** The overlapping region a chosen line belongs to. */
      readonly region: number | null;
    }
  | { readonly kind: 'collapsed'; readonly count: number }
  /** An overlapping region with no choice yet: nothing of it is in the result so far. */
  | { readonly kind: 'pending'; readonly region: number };

/** The lines a choice puts into the result for one overlapping region. */
function chosenLines<Line>(region: { readonly mine: readonly Line[]; readonly theirs: readonly Line[]; readonly base: readonly Line[] }, choice: ConflictChoice): readonly Line[] {
  switch (choice) {
    case 'mine':
      return region.mine;
    case 'theirs':
      return region.theirs;
    case 'mine-then-theirs':
      return [...region.mine, ...region.theirs];
    case 'theirs-then-mine':
      return [...region.theirs, ...region.mine];
    case 'base':
      return region.base;
    default:
      return choice satisfies never;
  }
}

/**
 * The merged result as rows: every changed and chosen line, unchanged runs folded beyond
 * `context` lines of a change, and a gap for each region without a choice. Once every region
 * is chosen the texts come from renderMerge, the document the service writes.
 */
export function mergePreviewRows(merge: MergeResult, choices: MergeChoices, context = MERGE_PREVIEW_CONTEXT): MergePreviewRow[] {
  const document = mergedDocument(merge, choices);
  const rows: MergePreviewRow[] = [];
  let next = 1;
  let numbered = true;
  const regions = merge.regions;
  const lineRow = (origin: MergeLineOrigin, text: string, region: number | null): MergePreviewRow => {
    const line = numbered ? next : null;
    next += 1;
    const rendered = line === null || document === null ? undefined : document.lines[line - 1];
    return {
      kind: 'line',
      origin,
      line,
      text: rendered?.text ?? text,
      noFinalNewline: rendered !== undefined && line === document?.lines.length && rendered.terminator === '',
      region,
    };
  };
  regions.forEach((region, position) => {
    if (region.kind === 'conflict') {
      const choice = choices[region.index];
      if (choice === undefined) {
        rows.push({ kind: 'pending', region: region.index });
        numbered = false;
        return;
      }
      for (const line of chosenLines(region, choice)) rows.push(lineRow('chosen', line.text, region.index));
      return;
    }
    if (region.kind !== 'stable') {
      for (const line of region.lines) rows.push(lineRow(region.kind, line.text, null));
      return;
    }
    // Unchanged lines: a few next to each change, the rest folded (a single line is shown).
    const length = region.lines.length;
    const before = position > 0 ? Math.min(context, length) : 0;
    const after = position < regions.length - 1 ? Math.min(context, length - before) : 0;
    let hidden = length - before - after;
    if (hidden === 1) hidden = 0;
    const foldEnd = before + hidden;
    region.lines.forEach((line, offset) => {
      if (offset >= before && offset < foldEnd) {
        if (offset === before) rows.push({ kind: 'collapsed', count: hidden });
        next += 1;
        return;
      }
      rows.push(lineRow('unchanged', line.text, null));
    });
  });
  return rows;
}
