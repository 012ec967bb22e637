import { describe, expect, it } from 'vitest';
import { buildDiffView, diffLines, splitLines, type DiffHunk, type DiffRow, type TextDocument } from '../../shared/merge/index.js';
import { randomSource as random } from '../sync/support/seededRandom.js';

function lcsLength(a: readonly string[], b: readonly string[]): number {
  let previous = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i += 1) {
    const row = new Array<number>(b.length + 1).fill(0);
    for (let j = 1; j <= b.length; j += 1) {
      row[j] = a[i - 1] === b[j - 1] ? (previous[j - 1] ?? 0) + 1 : Math.max(previous[j] ?? 0, row[j - 1] ?? 0);
    }
    previous = row;
  }
  return previous[b.length] ?? 0;
}

/**
 * Checks the hunk invariants and that the hunks turn `a` into `b`, returning the number of
 * equal lines. Plain checks rather than expect() per hunk: this runs thousands of times.
 */
function checkHunks(a: readonly string[], b: readonly string[], hunks: readonly DiffHunk[]): number {
  let oldAt = 0;
  let newAt = 0;
  let equal = 0;
  const rebuilt: string[] = [];
  const fail = (why: string): never => {
    throw new Error(`${why}: ${JSON.stringify({ a, b, hunks })}`);
  };
  hunks.forEach((hunk, index) => {
    if (hunk.oldStart !== oldAt || hunk.newStart !== newAt) fail('hunks leave a gap');
    const oldLength = hunk.oldEnd - hunk.oldStart;
    const newLength = hunk.newEnd - hunk.newStart;
    const previous = hunks[index - 1];
    if (previous !== undefined && (previous.kind === 'equal') === (hunk.kind === 'equal')) fail('two equal or two change hunks in a row');
    const expectedKind = oldLength === 0 ? 'insert' : newLength === 0 ? 'delete' : 'replace';
    if (hunk.kind === 'equal') {
      if (oldLength !== newLength || oldLength === 0) fail('bad equal hunk');
      for (let offset = 0; offset < oldLength; offset += 1) {
        if (a[hunk.oldStart + offset] !== b[hunk.newStart + offset]) fail('equal hunk with different lines');
      }
      equal += oldLength;
      rebuilt.push(...a.slice(hunk.oldStart, hunk.oldEnd));
    } else {
      if (hunk.kind !== expectedKind || (oldLength === 0 && newLength === 0)) fail('change hunk of the wrong kind');
      rebuilt.push(...b.slice(hunk.newStart, hunk.newEnd));
    }
    oldAt = hunk.oldEnd;
    newAt = hunk.newEnd;
  });
  if (oldAt !== a.length || newAt !== b.length) fail('hunks do not cover both sides');
  if (rebuilt.join('\n') !== b.join('\n') || rebuilt.length !== b.length) fail('hunks do not turn old into new');
  return equal;
}

describe('diffLines', () => {
  const cases: { name: string; a: string[]; b: string[]; hunks: [DiffHunk['kind'], number, number, number, number][] }[] = [
    { name: 'both empty', a: [], b: [], hunks: [] },
    { name: 'everything inserted', a: [], b: ['x', 'y'], hunks: [['insert', 0, 0, 0, 2]] },
    { name: 'everything deleted', a: ['x', 'y'], b: [], hunks: [['delete', 0, 2, 0, 0]] },
    { name: 'identical', a: ['a', 'b'], b: ['a', 'b'], hunks: [['equal', 0, 2, 0, 2]] },
    {
      name: 'one line replaced in the middle',
      a: ['a', 'b', 'c'],
      b: ['a', 'B', 'c'],
      hunks: [
        ['equal', 0, 1, 0, 1],
        ['replace', 1, 2, 1, 2],
        ['equal', 2, 3, 2, 3],
      ],
    },
    {
      name: 'insert at the start and delete at the end',
      a: ['a', 'b', 'c'],
      b: ['new', 'a', 'b'],
      hunks: [
        ['insert', 0, 0, 0, 1],
        ['equal', 0, 2, 1, 3],
        ['delete', 2, 3, 3, 3],
      ],
    },
    { name: 'nothing in common', a: ['a', 'b'], b: ['c', 'd', 'e'], hunks: [['replace', 0, 2, 0, 3]] },
  ];
  for (const testCase of cases) {
    it(testCase.name, () => {
      const diff = diffLines(testCase.a, testCase.b);
      expect(diff.minimal).toBe(true);
      expect(diff.hunks.map((hunk) => [hunk.kind, hunk.oldStart, hunk.oldEnd, hunk.newStart, hunk.newEnd])).toEqual(testCase.hunks);
    });
  }

  it('finds a longest common subsequence on random small inputs', () => {
    const next = random(6);
    for (let trial = 0; trial < 3000; trial += 1) {
      const alphabet = 1 + Math.floor(next() * 5);
      const line = (): string => String.fromCharCode(97 + Math.floor(next() * alphabet));
      const a = Array.from({ length: Math.floor(next() * 14) }, line);
      const b = Array.from({ length: Math.floor(next() * 14) }, line);
      const diff = diffLines(a, b);
      if (!diff.minimal || checkHunks(a, b, diff.hunks) !== lcsLength(a, b)) {
        expect.fail(`not a shortest diff: ${a.join('')} -> ${b.join('')}`);
      }
    }
  });

  it('finds a longest common subsequence on random edits of a longer file', () => {
    const next = random(7);
    for (let trial = 0; trial < 60; trial += 1) {
      const a = Array.from({ length: 150 }, () => `line ${Math.floor(next() * 40)}`);
      const b = a.flatMap((line) => {
        const roll = next();
        if (roll < 0.08) return [];
        if (roll < 0.16) return [line, `added ${Math.floor(next() * 40)}`];
        if (roll < 0.24) return [`changed ${Math.floor(next() * 40)}`];
        return [line];
      });
      const diff = diffLines(a, b);
      expect(diff.minimal).toBe(true);
      expect(checkHunks(a, b, diff.hunks)).toBe(lcsLength(a, b));
    }
  });

  it('stays valid, and says it is not minimal, when the search depth is capped', () => {
    const next = random(8);
    let capped = 0;
    for (let trial = 0; trial < 200; trial += 1) {
      const line = (): string => String.fromCharCode(97 + Math.floor(next() * 4));
      const a = Array.from({ length: 5 + Math.floor(next() * 40) }, line);
      const b = Array.from({ length: 5 + Math.floor(next() * 40) }, line);
      const diff = diffLines(a, b, { maxSearchDepth: 2 });
      const equal = checkHunks(a, b, diff.hunks);
      if (diff.minimal) expect(equal).toBe(lcsLength(a, b));
      else capped += 1;
    }
    expect(capped).toBeGreaterThan(50);
  });

  it('stays valid when the work budget runs out', () => {
    const next = random(9);
    const a = Array.from({ length: 400 }, () => `${Math.floor(next() * 30)}`);
    const b = Array.from({ length: 400 }, () => `${Math.floor(next() * 30)}`);
    const diff = diffLines(a, b, { workBudget: 500 });
    expect(diff.minimal).toBe(false);
    checkHunks(a, b, diff.hunks);
  });

  it('finishes quickly on a large pathological pair and still returns a valid diff', () => {
    // 100,000 lines on each side, none shared: an unbounded search would take minutes.
    const a = Array.from({ length: 100_000 }, (_, index) => `old ${index}`);
    const b = Array.from({ length: 100_000 }, (_, index) => `new ${index}`);
    const started = Date.now();
    const diff = diffLines(a, b);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(diff.hunks).toEqual([{ kind: 'replace', oldStart: 0, oldEnd: 100_000, newStart: 0, newEnd: 100_000 }]);
  });

  it('is exact on a large file with scattered edits', () => {
    const a = Array.from({ length: 50_000 }, (_, index) => `line ${index}`);
    const b = a.slice();
    for (let index = 100; index < b.length; index += 1000) b[index] = `edited ${index}`;
    b.splice(25_000, 0, 'inserted');
    const diff = diffLines(a, b);
    expect(diff.minimal).toBe(true);
    expect(checkHunks(a, b, diff.hunks)).toBe(50_000 - 50);
  });
});

function doc(text: string): TextDocument {
  return { bom: false, lines: splitLines(text) };
}

function show(rows: readonly DiffRow[]): string[] {
  return rows.map((row) => {
    switch (row.kind) {
      case 'collapsed':
        return `… ${row.count} @${row.oldLine},${row.newLine}`;
      case 'context':
        return `  ${row.oldLine} ${row.newLine} ${row.text}${row.noFinalNewline ? ' ⏎̸' : ''}`;
      case 'delete':
        return `- ${row.oldLine} ${row.text}${row.noFinalNewline ? ' ⏎̸' : ''}`;
      case 'insert':
        return `+ ${row.newLine} ${row.text}${row.noFinalNewline ? ' ⏎̸' : ''}`;
    }
  });
}

describe('buildDiffView', () => {
  const numbered = (count: number, from = 1): string => Array.from({ length: count }, (_, index) => `l${index + from}\n`).join('');

  it('folds unchanged runs beyond the context, keeping context on both sides of a change', () => {
    const old = numbered(20);
    const changed = old.replace('l10\n', 'ten\n');
    const view = buildDiffView(doc(old), doc(changed), { context: 2 });
    expect(show(view.rows)).toEqual([
      '… 7 @1,1',
      '  8 8 l8',
      '  9 9 l9',
      '- 10 l10',
      '+ 10 ten',
      '  11 11 l11',
      '  12 12 l12',
      '… 8 @13,13',
    ]);
    expect([view.added, view.removed, view.identical, view.minimal]).toEqual([1, 1, false, true]);
  });

  it('folds the middle of a long run between two changes, and never folds a single line', () => {
    const old = numbered(12);
    const changed = old.replace('l1\n', 'one\n').replace('l7\n', 'seven\n').replace('l12\n', 'twelve\n');
    expect(show(buildDiffView(doc(old), doc(changed), { context: 2 }).rows)).toEqual([
      '- 1 l1',
      '+ 1 one',
      '  2 2 l2',
      '  3 3 l3',
      '  4 4 l4',
      '  5 5 l5',
      '  6 6 l6',
      '- 7 l7',
      '+ 7 seven',
      '  8 8 l8',
      '  9 9 l9',
      '  10 10 l10',
      '  11 11 l11',
      '- 12 l12',
      '+ 12 twelve',
    ]);
    expect(show(buildDiffView(doc(old), doc(changed), { context: 1 }).rows).filter((row) => row.startsWith('…'))).toEqual(['… 3 @3,3', '… 2 @9,9']);
  });

  it('numbers lines on both sides across insertions and deletions', () => {
    const view = buildDiffView(doc('a\nb\nc\nd\n'), doc('a\nx\ny\nc\nd\ne\n'));
    expect(show(view.rows)).toEqual(['  1 1 a', '- 2 b', '+ 2 x', '+ 3 y', '  3 4 c', '  4 5 d', '+ 6 e']);
    expect([view.added, view.removed]).toEqual([3, 1]);
  });

  it('shows a removed final newline as a change of the last line', () => {
    const view = buildDiffView(doc('a\nb\n'), doc('a\nb'));
    expect(show(view.rows)).toEqual(['  1 1 a', '- 2 b', '+ 2 b ⏎̸']);
  });

  it('reports identical lines that differ only in line endings and BOM', () => {
    const view = buildDiffView(doc('a\nb\n'), { bom: true, lines: splitLines('a\r\nb\r\n') });
    expect(view.identical).toBe(true);
    expect(show(view.rows)).toEqual(['… 2 @1,1']);
    expect(view.old).toEqual({ lineEndings: 'lf', bom: false });
    expect(view.new).toEqual({ lineEndings: 'crlf', bom: true });
  });

  it('shows an empty file against one with content', () => {
    const view = buildDiffView(doc(''), doc('a\nb'));
    expect(show(view.rows)).toEqual(['+ 1 a', '+ 2 b ⏎̸']);
    expect(view.old.lineEndings).toBe('none');
  });
});
