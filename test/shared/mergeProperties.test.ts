// Seeded property tests of the three-way merge: the same random cases on every run.
import { describe, expect, it } from 'vitest';
import {
  comparisonKeys,
  encodeText,
  mergeThreeWay,
  renderMerge,
  type LineTerminator,
  type TextDocument,
  type TextLine,
} from '../../shared/merge/index.js';
import { randomSource as random } from '../sync/support/seededRandom.js';

type Random = () => number;
const pick = <T>(next: Random, items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
const TERMINATORS: readonly LineTerminator[] = ['\n', '\r\n', '\r'];

/** A line terminator source: one style for the whole trial, or a different one per line. */
type Endings = () => LineTerminator;

/** Builds a canonical document from line texts: only the last line may lack a terminator. */
function documentOf(texts: readonly string[], endings: Endings, finalNewline: boolean, bom: boolean): TextDocument {
  const lines: TextLine[] = texts.map((text) => ({ text, terminator: endings() }));
  const last = lines[lines.length - 1];
  // A last line without terminator must have text, or the document would not be canonical.
  if (!finalNewline && last !== undefined && last.text !== '') lines[lines.length - 1] = { text: last.text, terminator: '' };
  return { bom, lines };
}

/** Random edits of a document: lines deleted, inserted, replaced; the final newline toggled. */
function edit(next: Random, document: TextDocument, alphabet: readonly string[], endings: Endings): TextDocument {
  const texts = document.lines.map((line) => line.text);
  const edits = Math.floor(next() * 4);
  for (let count = 0; count < edits; count += 1) {
    const at = Math.floor(next() * (texts.length + 1));
    const roll = next();
    if (roll < 0.33) texts.splice(at, 1);
    else if (roll < 0.66) texts.splice(at, 0, ...Array.from({ length: 1 + Math.floor(next() * 2) }, () => pick(next, alphabet)));
    else texts.splice(at, 1, pick(next, alphabet));
  }
  const last = document.lines[document.lines.length - 1];
  const hadFinalNewline = last === undefined || last.terminator !== '';
  const finalNewline = next() < 0.2 ? !hadFinalNewline : hadFinalNewline;
  return documentOf(texts, endings, finalNewline, next() < 0.1 ? !document.bom : document.bom);
}

const sameBytes = (left: Uint8Array, right: Uint8Array): boolean => left.length === right.length && left.every((byte, index) => byte === right[index]);
const show = (document: TextDocument): string => JSON.stringify({ bom: document.bom, text: document.lines.map((line) => line.text + line.terminator).join('') });

interface Trial {
  base: TextDocument;
  x: TextDocument;
  y: TextDocument;
}

function trials(seed: number, count: number, mixedEndings: boolean): Trial[] {
  const next = random(seed);
  return Array.from({ length: count }, () => {
    const alphabet = ['a', 'b', 'c', 'd', 'e', ''].slice(0, 2 + Math.floor(next() * 4));
    const style = pick(next, TERMINATORS);
    const endings: Endings = mixedEndings ? () => pick(next, TERMINATORS) : () => style;
    const texts = Array.from({ length: Math.floor(next() * 10) }, () => pick(next, alphabet));
    const base = documentOf(texts, endings, next() < 0.8, next() < 0.2);
    return { base, x: edit(next, base, alphabet, endings), y: edit(next, base, alphabet, endings) };
  });
}

function render(base: TextDocument, mine: TextDocument, theirs: TextDocument): Uint8Array | null {
  const result = mergeThreeWay(base, mine, theirs);
  return result.clean ? encodeText(renderMerge(result, [])) : null;
}

describe('three-way merge properties', () => {
  it('merge(base, x, base) is x, byte for byte, whatever the line endings', () => {
    for (const { base, x } of [...trials(21, 1500, false), ...trials(22, 1500, true)]) {
      const bytes = render(base, x, base);
      if (bytes === null || !sameBytes(bytes, encodeText(x))) expect.fail(`base ${show(base)}, x ${show(x)}`);
    }
  });

  it('merge(base, base, y) is y, byte for byte, when the versions share a line ending style', () => {
    for (const { base, y } of trials(23, 3000, false)) {
      const bytes = render(base, base, y);
      if (bytes === null || !sameBytes(bytes, encodeText(y))) expect.fail(`base ${show(base)}, y ${show(y)}`);
    }
  });

  it('merge(base, base, y) has the lines of y when line endings are mixed', () => {
    for (const { base, y } of trials(24, 1500, true)) {
      const result = mergeThreeWay(base, base, y);
      const keys = result.clean ? comparisonKeys(renderMerge(result, []).lines) : null;
      if (keys === null || keys.join('\u0001') !== comparisonKeys(y.lines).join('\u0001') || keys.length !== y.lines.length) {
        expect.fail(`base ${show(base)}, y ${show(y)}`);
      }
    }
  });

  it('merge(base, x, x) is x, byte for byte', () => {
    for (const { base, x } of [...trials(25, 1500, false), ...trials(26, 1500, true)]) {
      const bytes = render(base, x, x);
      if (bytes === null || !sameBytes(bytes, encodeText(x))) expect.fail(`base ${show(base)}, x ${show(x)}`);
    }
  });

  it('is symmetric: swapping mine and theirs gives the same conflicts and the same merged lines', () => {
    for (const { base, x, y } of trials(27, 2000, false)) {
      const forward = mergeThreeWay(base, x, y);
      const backward = mergeThreeWay(base, y, x);
      if (forward.counts.conflict !== backward.counts.conflict) expect.fail(`base ${show(base)}, x ${show(x)}, y ${show(y)}`);
      if (forward.clean) {
        const one = comparisonKeys(renderMerge(forward, []).lines).join('\u0001');
        const other = comparisonKeys(renderMerge(backward, []).lines).join('\u0001');
        if (one !== other) expect.fail(`base ${show(base)}, x ${show(x)}, y ${show(y)}`);
      }
    }
  });

  it('taking theirs in every conflict equals taking mine with the sides swapped', () => {
    const keysOf = (document: TextDocument): string => comparisonKeys(document.lines).join('\u0001') + `#${document.lines.length}`;
    let conflicted = 0;
    for (const { base, x, y } of trials(28, 2000, false)) {
      const forward = mergeThreeWay(base, x, y);
      const backward = mergeThreeWay(base, y, x);
      if (!forward.clean) conflicted += 1;
      const theirs = renderMerge(forward, Array.from({ length: forward.counts.conflict }, () => 'theirs' as const));
      const mine = renderMerge(backward, Array.from({ length: backward.counts.conflict }, () => 'mine' as const));
      if (keysOf(theirs) !== keysOf(mine)) expect.fail(`base ${show(base)}, x ${show(x)}, y ${show(y)}`);
    }
    expect(conflicted).toBeGreaterThan(200);
  });

  it('combines edits separated by unchanged lines without conflict', () => {
    const next = random(29);
    let id = 0;
    for (let trial = 0; trial < 1000; trial += 1) {
      // Unique lines, so the diffs are unambiguous. Blocks of base lines are edited by mine,
      // by theirs or left alone; two edited blocks always have an untouched line between them.
      const blocks = Array.from({ length: 1 + Math.floor(next() * 6) }, () => Array.from({ length: Math.floor(next() * 3) }, () => `base ${id++}`));
      const base: string[] = [];
      const mine: string[] = [];
      const theirs: string[] = [];
      const expected: string[] = [];
      blocks.forEach((block, index) => {
        if (index > 0) {
          const separator = `keep ${id++}`;
          for (const lines of [base, mine, theirs, expected]) lines.push(separator);
        }
        const replacement = Array.from({ length: Math.floor(next() * 3) }, () => `new ${id++}`);
        const owner = pick(next, ['none', 'mine', 'theirs'] as const);
        base.push(...block);
        mine.push(...(owner === 'mine' ? replacement : block));
        theirs.push(...(owner === 'theirs' ? replacement : block));
        expected.push(...(owner === 'none' ? block : replacement));
      });
      const lf = (): LineTerminator => '\n';
      const result = mergeThreeWay(documentOf(base, lf, true, false), documentOf(mine, lf, true, false), documentOf(theirs, lf, true, false));
      if (!result.clean) expect.fail(`conflict merging ${JSON.stringify({ base, mine, theirs })}`);
      const merged = renderMerge(result, []).lines.map((line) => line.text);
      if (merged.join('\n') !== expected.join('\n') || merged.length !== expected.length) expect.fail(`wrong merge of ${JSON.stringify({ base, mine, theirs })}`);
    }
  });
});
