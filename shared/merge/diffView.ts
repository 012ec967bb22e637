// The unified-diff view model the conflict dialog shows for two versions of a text file: rows
// with old and new line numbers, unchanged runs folded beyond a few lines of context.

import { diffLines, type DiffOptions } from './diff.js';
import { comparisonKeys, lineEndingStyle, type LineEndingStyle, type TextDocument } from './text.js';

/** Line numbers are 1-based, as shown. `noFinalNewline` marks a last line without newline. */
export type DiffRow =
  | { readonly kind: 'context'; readonly oldLine: number; readonly newLine: number; readonly text: string; readonly noFinalNewline: boolean }
  | { readonly kind: 'delete'; readonly oldLine: number; readonly newLine: null; readonly text: string; readonly noFinalNewline: boolean }
  | { readonly kind: 'insert'; readonly oldLine: null; readonly newLine: number; readonly text: string; readonly noFinalNewline: boolean }
  /** `count` unchanged lines folded away, starting at these line numbers. */
  | { readonly kind: 'collapsed'; readonly oldLine: number; readonly newLine: number; readonly count: number };

export interface DiffSideFormat {
  readonly lineEndings: LineEndingStyle;
  readonly bom: boolean;
}

export interface DiffView {
  readonly rows: readonly DiffRow[];
  readonly added: number;
  readonly removed: number;
  /** No line differs. The bytes may still differ in line endings or BOM: see old and new. */
  readonly identical: boolean;
  /** False when the diff hit its effort bound and may show more changes than necessary. */
  readonly minimal: boolean;
  readonly old: DiffSideFormat;
  readonly new: DiffSideFormat;
}

export interface DiffViewOptions extends DiffOptions {
  /** Unchanged lines shown before and after each change (default DEFAULT_DIFF_CONTEXT). */
  readonly context?: number;
}

export const DEFAULT_DIFF_CONTEXT = 3;

export function buildDiffView(oldDocument: TextDocument, newDocument: TextDocument, options: DiffViewOptions = {}): DiffView {
  const context = Math.max(0, Math.floor(options.context ?? DEFAULT_DIFF_CONTEXT));
  const oldLines = oldDocument.lines;
  const newLines = newDocument.lines;
  const diff = diffLines(comparisonKeys(oldLines), comparisonKeys(newLines), options);
  const rows: DiffRow[] = [];
  let added = 0;
  let removed = 0;
  const hunks = diff.hunks;
  hunks.forEach((hunk, hunkIndex) => {
    if (hunk.kind === 'equal') {
      const length = hunk.oldEnd - hunk.oldStart;
      const shownBefore = hunkIndex > 0 ? Math.min(context, length) : 0;
      const shownAfter = hunkIndex < hunks.length - 1 ? Math.min(context, length - shownBefore) : 0;
      let hidden = length - shownBefore - shownAfter;
      // Folding a single line saves no room: show it instead.
      if (hidden === 1) hidden = 0;
      const contextRow = (offset: number): DiffRow => {
        const line = oldLines[hunk.oldStart + offset];
        return {
          kind: 'context',
          oldLine: hunk.oldStart + offset + 1,
          newLine: hunk.newStart + offset + 1,
          text: line?.text ?? '',
          noFinalNewline: line?.terminator === '',
        };
      };
      const foldStart = shownBefore;
      const foldEnd = shownBefore + hidden;
      for (let offset = 0; offset < foldStart; offset += 1) rows.push(contextRow(offset));
      if (hidden > 0) rows.push({ kind: 'collapsed', oldLine: hunk.oldStart + foldStart + 1, newLine: hunk.newStart + foldStart + 1, count: hidden });
      for (let offset = foldEnd; offset < length; offset += 1) rows.push(contextRow(offset));
      return;
    }
    for (let index = hunk.oldStart; index < hunk.oldEnd; index += 1) {
      const line = oldLines[index];
      rows.push({ kind: 'delete', oldLine: index + 1, newLine: null, text: line?.text ?? '', noFinalNewline: line?.terminator === '' });
      removed += 1;
    }
    for (let index = hunk.newStart; index < hunk.newEnd; index += 1) {
      const line = newLines[index];
      rows.push({ kind: 'insert', oldLine: null, newLine: index + 1, text: line?.text ?? '', noFinalNewline: line?.terminator === '' });
      added += 1;
    }
  });
  return {
    rows,
    added,
    removed,
    identical: added === 0 && removed === 0,
    minimal: diff.minimal,
    old: { lineEndings: lineEndingStyle(oldLines), bom: oldDocument.bom },
    new: { lineEndings: lineEndingStyle(newLines), bom: newDocument.bom },
  };
}
