import { describe, expect, it } from 'vitest';
import {
  MAX_TEXT_BYTES,
  UnresolvedConflictError,
  documentToString,
  encodeText,
  mergeBytes,
  mergeThreeWay,
  renderMerge,
  renderWithMarkers,
  splitLines,
  type ConflictChoice,
  type MergeRegion,
  type MergeResult,
  type TextDocument,
  type TextLine,
} from '../../shared/merge/index.js';

const doc = (text: string, bom = false): TextDocument => ({ bom, lines: splitLines(text) });
/** Lines joined with LF, each terminated: lf('a', 'b') is "a\nb\n". */
const lf = (...lines: string[]): string => lines.map((line) => `${line}\n`).join('');
const merge = (base: string, mine: string, theirs: string): MergeResult => mergeThreeWay(doc(base), doc(mine), doc(theirs));
const merged = (result: MergeResult, choices: (ConflictChoice | undefined)[] = []): string => documentToString(renderMerge(result, choices));

const texts = (lines: readonly TextLine[]): string => lines.map((line) => line.text + (line.terminator === '' ? '⏎̸' : '')).join(',');
/** A compact picture of the regions, e.g. ['stable a', 'mine B', 'conflict base=c mine=X theirs=Y']. */
function regions(result: MergeResult): string[] {
  return result.regions.map((region: MergeRegion) =>
    region.kind === 'conflict'
      ? `conflict base=${texts(region.base)} mine=${texts(region.mine)} theirs=${texts(region.theirs)}`
      : `${region.kind} ${texts(region.lines)}`,
  );
}

describe('mergeThreeWay: clean merges', () => {
  const cases: { name: string; base: string; mine: string; theirs: string; result: string; regions: string[] }[] = [
    {
      name: 'edits in different places',
      base: lf('a', 'b', 'c', 'd', 'e'),
      mine: lf('a', 'B', 'c', 'd', 'e'),
      theirs: lf('a', 'b', 'c', 'D', 'e'),
      result: lf('a', 'B', 'c', 'D', 'e'),
      regions: ['stable a', 'mine B', 'stable c', 'theirs D', 'stable e'],
    },
    {
      name: 'insertions at the start and at the end',
      base: lf('a', 'b'),
      mine: lf('first', 'a', 'b'),
      theirs: lf('a', 'b', 'last'),
      result: lf('first', 'a', 'b', 'last'),
      regions: ['mine first', 'stable a,b', 'theirs last'],
    },
    {
      name: 'one side deletes lines the other leaves alone',
      base: lf('a', 'b', 'c', 'd', 'e'),
      mine: lf('a', 'b', 'e'),
      theirs: lf('A', 'b', 'c', 'd', 'e'),
      result: lf('A', 'b', 'e'),
      regions: ['theirs A', 'stable b', 'mine ', 'stable e'],
    },
    {
      name: 'identical edits are taken once',
      base: lf('a', 'b', 'c'),
      mine: lf('a', 'same', 'c'),
      theirs: lf('a', 'same', 'c'),
      result: lf('a', 'same', 'c'),
      regions: ['stable a', 'both same', 'stable c'],
    },
    {
      name: 'identical insertions at one place are taken once',
      base: lf('a', 'b'),
      mine: lf('a', 'x', 'y', 'b'),
      theirs: lf('a', 'x', 'y', 'b'),
      result: lf('a', 'x', 'y', 'b'),
      regions: ['stable a', 'both x,y', 'stable b'],
    },
    {
      name: 'both sides delete the same line',
      base: lf('a', 'b', 'c'),
      mine: lf('a', 'c'),
      theirs: lf('a', 'c'),
      result: lf('a', 'c'),
      regions: ['stable a', 'both ', 'stable c'],
    },
    {
      name: 'changes one unchanged line apart merge cleanly',
      base: lf('a', 'b', 'c'),
      mine: lf('A', 'b', 'c'),
      theirs: lf('a', 'b', 'C'),
      result: lf('A', 'b', 'C'),
      regions: ['mine A', 'stable b', 'theirs C'],
    },
    {
      name: 'only theirs changed',
      base: lf('a', 'b'),
      mine: lf('a', 'b'),
      theirs: lf('a', 'b', 'c'),
      result: lf('a', 'b', 'c'),
      regions: ['stable a,b', 'theirs c'],
    },
    { name: 'three empty files', base: '', mine: '', theirs: '', result: '', regions: [] },
    { name: 'from empty, one side adds', base: '', mine: '', theirs: lf('x'), result: lf('x'), regions: ['theirs x'] },
    { name: 'one side empties the file', base: lf('a', 'b'), mine: '', theirs: lf('a', 'b'), result: '', regions: ['mine '] },
    { name: 'both sides empty the file', base: lf('a'), mine: '', theirs: '', result: '', regions: ['both '] },
  ];
  for (const testCase of cases) {
    it(testCase.name, () => {
      const result = merge(testCase.base, testCase.mine, testCase.theirs);
      expect(regions(result)).toEqual(testCase.regions);
      expect(result.clean).toBe(true);
      expect(result.counts.conflict).toBe(0);
      expect(merged(result)).toBe(testCase.result);
    });
  }
});

describe('mergeThreeWay: conflicts', () => {
  const cases: { name: string; base: string; mine: string; theirs: string; regions: string[] }[] = [
    {
      name: 'the same line changed differently',
      base: lf('a', 'b', 'c'),
      mine: lf('a', 'mine', 'c'),
      theirs: lf('a', 'theirs', 'c'),
      regions: ['stable a', 'conflict base=b mine=mine theirs=theirs', 'stable c'],
    },
    {
      name: 'overlapping ranges become one region spanning both',
      base: lf('a', 'b', 'c', 'd', 'e'),
      mine: lf('a', 'B', 'C', 'd', 'e'),
      theirs: lf('a', 'b', 'c3', 'D', 'e'),
      regions: ['stable a', 'conflict base=b,c,d mine=B,C,d theirs=b,c3,D', 'stable e'],
    },
    {
      name: 'changes of adjacent lines conflict (no unchanged line between them)',
      base: lf('a', 'b', 'c', 'd'),
      mine: lf('a', 'B', 'c', 'd'),
      theirs: lf('a', 'b', 'C', 'd'),
      regions: ['stable a', 'conflict base=b,c mine=B,c theirs=b,C', 'stable d'],
    },
    {
      name: 'an insertion right before a line the other side changed conflicts',
      base: lf('a', 'b', 'c'),
      mine: lf('a', 'new', 'b', 'c'),
      theirs: lf('a', 'B', 'c'),
      regions: ['stable a', 'conflict base=b mine=new,b theirs=B', 'stable c'],
    },
    {
      name: 'different insertions at one place',
      base: lf('a', 'b'),
      mine: lf('a', 'x', 'b'),
      theirs: lf('a', 'y', 'b'),
      regions: ['stable a', 'conflict base= mine=x theirs=y', 'stable b'],
    },
    {
      name: 'a deleted line that the other side changed',
      base: lf('a', 'b', 'c'),
      mine: lf('a', 'c'),
      theirs: lf('a', 'B', 'c'),
      regions: ['stable a', 'conflict base=b mine= theirs=B', 'stable c'],
    },
    {
      name: 'a chain of touching changes from both sides is one region',
      base: lf('a', 'b', 'c', 'd', 'e', 'f'),
      mine: lf('a', 'B', 'c', 'D', 'e', 'f'),
      theirs: lf('a', 'b', 'C', 'd', 'E', 'f'),
      regions: ['stable a', 'conflict base=b,c,d,e mine=B,c,D,e theirs=b,C,d,E', 'stable f'],
    },
    {
      name: 'from an empty base, both sides add different content',
      base: '',
      mine: lf('mine'),
      theirs: lf('theirs'),
      regions: ['conflict base= mine=mine theirs=theirs'],
    },
    {
      name: 'one side empties the file, the other edits it',
      base: lf('a', 'b'),
      mine: '',
      theirs: lf('a', 'B'),
      regions: ['conflict base=a,b mine= theirs=a,B'],
    },
  ];
  for (const testCase of cases) {
    it(testCase.name, () => {
      const result = merge(testCase.base, testCase.mine, testCase.theirs);
      expect(regions(result)).toEqual(testCase.regions);
      expect(result.clean).toBe(false);
      expect(result.counts.conflict).toBe(1);
    });
  }

  it('numbers conflicts in order, counts regions and locates each in all three versions', () => {
    const result = merge(lf('a', 'b', 'c', 'd', 'e'), lf('a', 'B1', 'c', 'x', 'd', 'E1'), lf('a', 'B2', 'c', 'd', 'E2'));
    expect(regions(result)).toEqual([
      'stable a',
      'conflict base=b mine=B1 theirs=B2',
      'stable c',
      'mine x',
      'stable d',
      'conflict base=e mine=E1 theirs=E2',
    ]);
    expect(result.regions.flatMap((region) => (region.kind === 'conflict' ? [region.index] : []))).toEqual([0, 1]);
    expect(result.counts).toEqual({ stable: 3, mine: 1, theirs: 0, both: 0, conflict: 2 });
    expect(result.regions.map((region) => region.spans)).toEqual([
      { base: { start: 0, end: 1 }, mine: { start: 0, end: 1 }, theirs: { start: 0, end: 1 } },
      { base: { start: 1, end: 2 }, mine: { start: 1, end: 2 }, theirs: { start: 1, end: 2 } },
      { base: { start: 2, end: 3 }, mine: { start: 2, end: 3 }, theirs: { start: 2, end: 3 } },
      { base: { start: 3, end: 3 }, mine: { start: 3, end: 4 }, theirs: { start: 3, end: 3 } },
      { base: { start: 3, end: 4 }, mine: { start: 4, end: 5 }, theirs: { start: 3, end: 4 } },
      { base: { start: 4, end: 5 }, mine: { start: 5, end: 6 }, theirs: { start: 4, end: 5 } },
    ]);
  });
});

describe('renderMerge', () => {
  const conflicted = merge(lf('a', 'b', 'c'), lf('a', 'm1', 'm2', 'c'), lf('a', 't', 'c'));
  const choices: { choice: ConflictChoice; result: string }[] = [
    { choice: 'mine', result: lf('a', 'm1', 'm2', 'c') },
    { choice: 'theirs', result: lf('a', 't', 'c') },
    { choice: 'mine-then-theirs', result: lf('a', 'm1', 'm2', 't', 'c') },
    { choice: 'theirs-then-mine', result: lf('a', 't', 'm1', 'm2', 'c') },
    { choice: 'base', result: lf('a', 'b', 'c') },
  ];
  for (const { choice, result } of choices) {
    it(`resolves a conflict with '${choice}'`, () => {
      expect(merged(conflicted, [choice])).toBe(result);
    });
  }

  it('refuses while any conflict has no choice, naming the unresolved ones', () => {
    const two = merge(lf('a', 'b', 'c'), lf('A1', 'b', 'C1'), lf('A2', 'b', 'C2'));
    expect(() => renderMerge(two, [])).toThrow(UnresolvedConflictError);
    try {
      renderMerge(two, [undefined, 'mine']);
      expect.fail('rendered with a conflict unresolved');
    } catch (error) {
      expect((error as UnresolvedConflictError).unresolved).toEqual([0]);
    }
    expect(merged(two, ['theirs', 'mine'])).toBe(lf('A2', 'b', 'C1'));
  });

  it('refuses choices that do not belong to the merge', () => {
    expect(() => renderMerge(conflicted, ['mine', 'theirs'])).toThrow(RangeError);
    expect(() => renderMerge(conflicted, ['ours' as ConflictChoice])).toThrow(RangeError);
  });

  it('writes git-style markers for a preview', () => {
    const preview = renderWithMarkers(conflicted, { mine: 'mine (laptop)', base: 'base', theirs: 'theirs\n(desk)' });
    expect(documentToString(preview)).toBe(
      lf('a', '<<<<<<< mine (laptop)', 'm1', 'm2', '||||||| base', 'b', '=======', 't', '>>>>>>> theirs (desk)', 'c'),
    );
  });

  it('writes markers on their own lines even where a side has no final newline', () => {
    const result = merge('a\nb', 'a\nB', 'a\nC');
    expect(documentToString(renderWithMarkers(result, { mine: 'm', base: 'b', theirs: 't' }))).toBe(
      lf('a', '<<<<<<< m', 'B', '||||||| b', 'b', '=======', 'C', '>>>>>>> t'),
    );
  });
});

describe('mergeThreeWay: line endings', () => {
  const cases: { name: string; base: string; mine: string; theirs: string; result: string }[] = [
    {
      name: 'a CRLF mine and an LF theirs with the same text merge cleanly, in CRLF',
      base: 'a\nb\nc\nd\n',
      mine: 'A\r\nb\r\nc\r\nd\r\n',
      theirs: 'a\nb\nc\nD\n',
      result: 'A\r\nb\r\nc\r\nD\r\n',
    },
    {
      name: 'an LF mine keeps LF for lines taken from a CRLF theirs',
      base: 'a\r\nb\r\nc\r\n',
      mine: 'a\nb\nc\n',
      theirs: 'a\r\nb\r\nC\r\nnew\r\n',
      result: 'a\nb\nC\nnew\n',
    },
    {
      name: 'a consistent lone-CR mine gives CR',
      base: 'a\nb\nc\n',
      mine: 'A\rb\rc\r',
      theirs: 'a\nb\nC\n',
      result: 'A\rb\rC\r',
    },
    {
      name: 'a mixed mine keeps every line its own terminator',
      base: 'a\nb\nc\nd\n',
      mine: 'a\r\nb\nc\r\nd\n',
      theirs: 'a\nb\nc\r\nD\r\n',
      result: 'a\r\nb\nc\r\nD\r\n',
    },
    {
      name: 'theirs only converting line endings is not a change',
      base: 'a\nb\n',
      mine: 'a\nB\n',
      theirs: 'a\r\nb\r\n',
      result: 'a\nB\n',
    },
    {
      name: 'a mine without terminated lines keeps theirs terminators',
      base: 'a',
      mine: 'a',
      theirs: 'a\r\nb\r\n',
      result: 'a\r\nb\r\n',
    },
  ];
  for (const testCase of cases) {
    it(testCase.name, () => {
      const result = merge(testCase.base, testCase.mine, testCase.theirs);
      expect(result.clean).toBe(true);
      expect(merged(result)).toBe(testCase.result);
    });
  }
});

describe('mergeThreeWay: the final newline', () => {
  const cases: { name: string; base: string; mine: string; theirs: string; result: string | string[] }[] = [
    { name: 'mine removed it, theirs edited elsewhere', base: lf('a', 'b', 'c'), mine: 'a\nb\nc', theirs: lf('A', 'b', 'c'), result: 'A\nb\nc' },
    { name: 'theirs added it, mine edited elsewhere', base: 'a\nb\nc', mine: 'A\nb\nc', theirs: lf('a', 'b', 'c'), result: lf('A', 'b', 'c') },
    { name: 'both removed it', base: lf('a', 'b'), mine: 'a\nb', theirs: 'a\nb', result: 'a\nb' },
    { name: 'no side has one, edits elsewhere', base: 'a\nb\nc', mine: 'A\nb\nc', theirs: 'a\nb\nC', result: 'A\nb\nC' },
    {
      name: 'mine removed it while theirs appended a line: a conflict at the end',
      base: lf('a', 'b', 'c'),
      mine: 'a\nb\nc',
      theirs: lf('a', 'b', 'c', 'd'),
      result: ['stable a,b', 'conflict base=c mine=c⏎̸ theirs=c,d'],
    },
    {
      name: 'theirs appended a line to a file without final newline: its last line changed',
      base: 'a\nb\nc',
      mine: 'A\nb\nc',
      theirs: 'a\nb\nc\nd',
      result: 'A\nb\nc\nd',
    },
    {
      name: 'both appended to a file without final newline, one of them adding the newline only',
      base: 'a\nb',
      mine: 'a\nb\n',
      theirs: 'a\nb\nc',
      result: ['stable a', 'conflict base=b⏎̸ mine=b theirs=b,c⏎̸'],
    },
  ];
  for (const testCase of cases) {
    it(testCase.name, () => {
      const result = merge(testCase.base, testCase.mine, testCase.theirs);
      if (typeof testCase.result === 'string') {
        expect(result.clean).toBe(true);
        expect(merged(result)).toBe(testCase.result);
      } else {
        expect(regions(result)).toEqual(testCase.result);
      }
    });
  }

  it('ends a line that lost its last place in a conflict choice with a newline', () => {
    const result = merge(lf('a', 'b', 'c'), 'a\nb\nc', lf('a', 'b', 'c', 'd'));
    expect(merged(result, ['mine'])).toBe('a\nb\nc');
    expect(merged(result, ['theirs'])).toBe(lf('a', 'b', 'c', 'd'));
    expect(merged(result, ['mine-then-theirs'])).toBe(lf('a', 'b', 'c', 'c', 'd'));
    expect(merged(result, ['theirs-then-mine'])).toBe('a\nb\nc\nd\nc');
  });
});

describe('mergeThreeWay: byte order mark', () => {
  const cases: { name: string; base: boolean; mine: boolean; theirs: boolean; result: boolean }[] = [
    { name: 'kept when all have it', base: true, mine: true, theirs: true, result: true },
    { name: 'added by mine', base: false, mine: true, theirs: false, result: true },
    { name: 'added by theirs', base: false, mine: false, theirs: true, result: true },
    { name: 'removed by theirs', base: true, mine: true, theirs: false, result: false },
    { name: 'removed by mine', base: true, mine: false, theirs: true, result: false },
  ];
  for (const testCase of cases) {
    it(testCase.name, () => {
      const result = mergeThreeWay(doc(lf('a', 'b', 'c'), testCase.base), doc(lf('A', 'b', 'c'), testCase.mine), doc(lf('a', 'b', 'C'), testCase.theirs));
      const rendered = renderMerge(result, []);
      expect(rendered.bom).toBe(testCase.result);
      expect(documentToString(rendered)).toBe(lf('A', 'b', 'C'));
    });
  }
});

describe('mergeBytes', () => {
  const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
  const text = bytes(lf('a', 'b', 'c'));

  it('merges three text versions into bytes when clean', () => {
    const outcome = mergeBytes(text, bytes(lf('A', 'b', 'c')), bytes(lf('a', 'b', 'C')));
    expect(outcome.kind).toBe('merged');
    if (outcome.kind !== 'merged') return;
    expect(outcome.result.clean).toBe(true);
    expect(new TextDecoder().decode(outcome.bytes!)).toBe(lf('A', 'b', 'C'));
  });

  it('gives no bytes while conflicts need choices, but the result to choose from', () => {
    const outcome = mergeBytes(text, bytes(lf('a', 'X', 'c')), bytes(lf('a', 'Y', 'c')));
    expect(outcome.kind).toBe('merged');
    if (outcome.kind !== 'merged') return;
    expect(outcome.bytes).toBeNull();
    expect(new TextDecoder().decode(encodeText(renderMerge(outcome.result, ['theirs'])))).toBe(lf('a', 'Y', 'c'));
  });

  it('keeps a BOM byte for byte', () => {
    const bom = new Uint8Array([0xef, 0xbb, 0xbf]);
    const withBom = (content: string): Uint8Array => new Uint8Array([...bom, ...bytes(content)]);
    const outcome = mergeBytes(withBom(lf('a', 'b', 'c')), withBom(lf('A', 'b', 'c')), withBom(lf('a', 'b', 'C')));
    expect(outcome.kind === 'merged' ? outcome.bytes : null).toEqual(withBom(lf('A', 'b', 'C')));
  });

  const refusals: { name: string; versions: [Uint8Array, Uint8Array, Uint8Array]; side: string; reason: string }[] = [
    { name: 'a NUL byte in theirs', versions: [text, text, new Uint8Array([0x61, 0x00, 0x0a])], side: 'theirs', reason: 'nul-byte' },
    { name: 'invalid UTF-8 in the base', versions: [new Uint8Array([0x61, 0xc0, 0xaf]), text, text], side: 'base', reason: 'invalid-utf8' },
    { name: 'Latin-1 text in mine', versions: [text, new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x0a]), text], side: 'mine', reason: 'invalid-utf8' },
    { name: 'a version over the size limit', versions: [text, text, new Uint8Array(MAX_TEXT_BYTES + 1).fill(0x61)], side: 'theirs', reason: 'too-large' },
  ];
  for (const testCase of refusals) {
    it(`refuses to merge with ${testCase.name}`, () => {
      expect(mergeBytes(...testCase.versions)).toEqual({ kind: 'binary', side: testCase.side, reason: testCase.reason });
    });
  }
});
