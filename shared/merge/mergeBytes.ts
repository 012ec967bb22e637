// The byte-level entry point: decides whether all three versions are text, merges them if so,
// and refuses otherwise. A binary, invalid UTF-8 or oversized version is never merged.

import type { DiffOptions } from './diff.js';
import { encodeText, inspectText, type BinaryReason, type TextDocument } from './text.js';
import { mergeThreeWay, renderMerge, type MergeResult } from './threeWay.js';

export type MergeSide = 'base' | 'mine' | 'theirs';

export type ByteMerge =
  /** `side` is the first version found not to be text, and `reason` why. */
  | { readonly kind: 'binary'; readonly side: MergeSide; readonly reason: BinaryReason }
  | {
      readonly kind: 'merged';
      readonly result: MergeResult;
      /** The merged file when the merge is clean, else null (conflicts need choices). */
      readonly bytes: Uint8Array | null;
      readonly documents: { readonly base: TextDocument; readonly mine: TextDocument; readonly theirs: TextDocument };
    };

export function mergeBytes(base: Uint8Array, mine: Uint8Array, theirs: Uint8Array, options: DiffOptions = {}): ByteMerge {
  const versions: [MergeSide, Uint8Array][] = [
    ['base', base],
    ['mine', mine],
    ['theirs', theirs],
  ];
  const documents: Partial<Record<MergeSide, TextDocument>> = {};
  for (const [side, bytes] of versions) {
    const inspection = inspectText(bytes);
    if (inspection.kind === 'binary') return { kind: 'binary', side, reason: inspection.reason };
    documents[side] = inspection.document;
  }
  const { base: baseDocument, mine: mineDocument, theirs: theirsDocument } = documents as Record<MergeSide, TextDocument>;
  const result = mergeThreeWay(baseDocument, mineDocument, theirsDocument, options);
  return {
    kind: 'merged',
    result,
    bytes: result.clean ? encodeText(renderMerge(result, [])) : null,
    documents: { base: baseDocument, mine: mineDocument, theirs: theirsDocument },
  };
}
