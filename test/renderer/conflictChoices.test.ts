// The merge step of the conflict dialog: one choice per overlapping region, Apply only once
// every region has one, and a preview of the merged file that is exactly what renderMerge (and
// so the service) writes, with unchanged runs folded and a gap for each region not chosen yet.

import { describe, expect, it } from 'vitest';
import type { ConflictChoice, MergeResult } from '../../shared/merge/index.js';
import { CONFLICT_CHOICES, decodeText, documentToString, mergeThreeWay, renderMerge } from '../../shared/merge/index.js';
import type { MergePreviewRow } from '../../src-renderer/conflicts/mergeChoices.js';
import { completeChoices, mergePreviewRows, mergedDocument, noChoices, unchosenRegions, withChoice } from '../../src-renderer/conflicts/mergeChoices.js';

function mergeOf(base: string, mine: string, theirs: string): MergeResult {
  const decode = (text: string) => {
    const document = decodeText(new TextEncoder().encode(text));
    if (document === null) throw new Error('not text');
    return document;
  };
  return mergeThreeWay(decode(base), decode(mine), decode(theirs));
}

const lines = (count: number, prefix = 'line') => Array.from({ length: count }, (_, index) => `${prefix} ${index + 1}\n`).join('');

/** Two overlapping edits (first and last line) around twelve unchanged lines. */
const BASE = `title\n${lines(12)}end\n`;
const MINE = `Title by me\n${lines(12)}end by me\n`;
const THEIRS = `Title by them\n${lines(12)}end by them\n`;

/** What a row shows, compactly: 'mine:3:text', '…12', '?0'. */
function summarize(rows: readonly MergePreviewRow[]): string[] {
  return rows.map((row) => {
    switch (row.kind) {
      case 'line':
        return `${row.origin}:${row.line ?? '-'}:${row.text}`;
      case 'collapsed':
        return `…${row.count}`;
      case 'pending':
        return `?${row.region}`;
      default:
        return row satisfies never;
    }
  });
}

describe('choices', () => {
  const merge = mergeOf(BASE, MINE, THEIRS);

  it('starts with one empty choice per overlapping region', () => {
    expect(merge.counts.conflict).toBe(2);
    expect(noChoices(merge)).toEqual([undefined, undefined]);
    expect(unchosenRegions(noChoices(merge))).toEqual([0, 1]);
    expect(completeChoices(noChoices(merge))).toBeNull();
  });

  it('sets one region at a time without touching the others', () => {
    const empty = noChoices(merge);
    const first = withChoice(empty, 1, 'theirs');
    expect(first).toEqual([undefined, 'theirs']);
    expect(empty).toEqual([undefined, undefined]);
    expect(unchosenRegions(first)).toEqual([0]);
    const both = withChoice(withChoice(first, 0, 'mine'), 1, 'base');
    expect(completeChoices(both)).toEqual(['mine', 'base']);
  });

  it('refuses a region the merge does not have', () => {
    expect(() => withChoice(noChoices(merge), 2, 'mine')).toThrow(RangeError);
    expect(() => withChoice(noChoices(merge), -1, 'mine')).toThrow(RangeError);
  });

  it('a clean merge needs no choice and is complete at once', () => {
    const clean = mergeOf('a\nb\nc\nd\ne\n', 'A\nb\nc\nd\ne\n', 'a\nb\nc\nd\nE\n');
    expect(noChoices(clean)).toEqual([]);
    expect(completeChoices(noChoices(clean))).toEqual([]);
    expect(documentToString(mergedDocument(clean, [])!)).toBe('A\nb\nc\nd\nE\n');
  });

  it('has no merged document until every region is chosen', () => {
    expect(mergedDocument(merge, [undefined, 'mine'])).toBeNull();
    expect(mergedDocument(merge, ['mine', 'mine'])).toEqual(renderMerge(merge, ['mine', 'mine']));
  });
});

describe('the merged result preview', () => {
  const merge = mergeOf(BASE, MINE, THEIRS);

  it.each<{ name: string; choice: ConflictChoice; first: string[] }>([
    { name: 'yours', choice: 'mine', first: ['chosen:1:Title by me'] },
    { name: 'theirs', choice: 'theirs', first: ['chosen:1:Title by them'] },
    { name: 'yours, then theirs', choice: 'mine-then-theirs', first: ['chosen:1:Title by me', 'chosen:2:Title by them'] },
    { name: 'theirs, then yours', choice: 'theirs-then-mine', first: ['chosen:1:Title by them', 'chosen:2:Title by me'] },
    { name: 'the version both started from', choice: 'base', first: ['chosen:1:title'] },
  ])('shows $name where the first overlap was', ({ choice, first }) => {
    const rows = summarize(mergePreviewRows(merge, [choice, 'mine']));
    expect(rows.slice(0, first.length)).toEqual(first);
    expect(rows[first.length]).toBe(`unchanged:${first.length + 1}:line 1`);
  });

  it('folds long unchanged runs and keeps a few lines of context around changes', () => {
    expect(summarize(mergePreviewRows(merge, ['mine', 'theirs']))).toEqual([
      'chosen:1:Title by me',
      'unchanged:2:line 1',
      'unchanged:3:line 2',
      'unchanged:4:line 3',
      '…6',
      'unchanged:11:line 10',
      'unchanged:12:line 11',
      'unchanged:13:line 12',
      'chosen:14:end by them',
    ]);
  });

  it('shows a gap for a region not chosen yet, and stops numbering after it', () => {
    expect(summarize(mergePreviewRows(merge, [undefined, 'theirs']))).toEqual([
      '?0',
      'unchanged:-:line 1',
      'unchanged:-:line 2',
      'unchanged:-:line 3',
      '…6',
      'unchanged:-:line 10',
      'unchanged:-:line 11',
      'unchanged:-:line 12',
      'chosen:-:end by them',
    ]);
    expect(summarize(mergePreviewRows(merge, ['theirs', undefined])).slice(0, 2)).toEqual(['chosen:1:Title by them', 'unchanged:2:line 1']);
    expect(summarize(mergePreviewRows(merge, ['theirs', undefined])).at(-1)).toBe('?1');
  });

  it('marks where each line of a clean merge comes from', () => {
    const clean = mergeOf('a\nb\nc\nd\n', 'a\nB\nc\nd\n', 'a\nb\nc\nD\nextra\n');
    expect(summarize(mergePreviewRows(clean, []))).toEqual(['unchanged:1:a', 'mine:2:B', 'unchanged:3:c', 'theirs:4:D', 'theirs:5:extra']);
  });

  it('marks a change made the same way on both sides', () => {
    const same = mergeOf('a\nb\nc\n', 'a\nB\nc\n', 'a\nB\nc\n');
    expect(summarize(mergePreviewRows(same, []))).toEqual(['unchanged:1:a', 'both:2:B', 'unchanged:3:c']);
  });

  it('says when the merged file ends without a newline', () => {
    const noNewline = mergeOf('a\nb', 'A\nb', 'a\nb');
    const rows = mergePreviewRows(noNewline, []);
    expect(rows.map((row) => (row.kind === 'line' ? row.noFinalNewline : null))).toEqual([false, true]);
  });

  it.each(CONFLICT_CHOICES.flatMap((first) => CONFLICT_CHOICES.map((second) => [first, second] as const)))(
    'unfolded, it is line for line what renderMerge writes (%s, %s)',
    (first, second) => {
      const rows = mergePreviewRows(merge, [first, second], Number.POSITIVE_INFINITY);
      const written = renderMerge(merge, [first, second]).lines;
      expect(rows.map((row) => (row.kind === 'line' ? [row.line, row.text] : row.kind))).toEqual(written.map((line, index) => [index + 1, line.text]));
    },
  );

  it('keeps line endings out of the preview but in the written file (CRLF)', () => {
    const crlf = mergeOf('a\r\nb\r\nc\r\n', 'A\r\nb\r\nc\r\n', 'a\r\nb\r\nC\r\n');
    expect(summarize(mergePreviewRows(crlf, []))).toEqual(['mine:1:A', 'unchanged:2:b', 'theirs:3:C']);
    expect(documentToString(mergedDocument(crlf, [])!)).toBe('A\r\nb\r\nC\r\n');
  });
});
