// Text detection, line diff and three-way merge for conflict resolution. Pure TypeScript:
// runs in the engine, the CLI and the renderer alike.

export {
  MAX_TEXT_BYTES,
  comparisonKeys,
  decodeText,
  documentToString,
  encodeText,
  endsWithNewline,
  inspectText,
  lineEndingStyle,
  splitLines,
  type BinaryReason,
  type LineEndingStyle,
  type LineTerminator,
  type TextDocument,
  type TextInspection,
  type TextLine,
} from './text.js';
export { DEFAULT_DIFF_WORK_BUDGET, diffLines, type DiffHunk, type DiffHunkKind, type DiffOptions, type LineDiff } from './diff.js';
export { DEFAULT_DIFF_CONTEXT, buildDiffView, type DiffRow, type DiffSideFormat, type DiffView, type DiffViewOptions } from './diffView.js';
export {
  CONFLICT_CHOICES,
  UnresolvedConflictError,
  mergeThreeWay,
  renderMerge,
  renderWithMarkers,
  type ConflictChoice,
  type LineSpan,
  type MarkerLabels,
  type MergeRegion,
  type MergeRegionKind,
  type MergeResult,
  type RegionSpans,
} from './threeWay.js';
export { mergeBytes, type ByteMerge, type MergeSide } from './mergeBytes.js';
