import { describe, expect, it } from 'vitest';
import {
  MAX_TEXT_BYTES,
  comparisonKeys,
  decodeText,
  documentToString,
  encodeText,
  endsWithNewline,
  inspectText,
  lineEndingStyle,
  splitLines,
  type TextLine,
} from '../../shared/merge/index.js';
import { randomSource as random } from '../sync/support/seededRandom.js';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const lines = (...pairs: [string, TextLine['terminator']][]): TextLine[] => pairs.map(([text, terminator]) => ({ text, terminator }));

describe('decodeText', () => {
  const cases: { name: string; bytes: Uint8Array; bom: boolean; lines: TextLine[] }[] = [
    { name: 'an empty file has no lines', bytes: utf8(''), bom: false, lines: [] },
    { name: 'one line without newline', bytes: utf8('a'), bom: false, lines: lines(['a', '']) },
    { name: 'one line with newline, and no empty line after it', bytes: utf8('a\n'), bom: false, lines: lines(['a', '\n']) },
    {
      name: 'LF, CRLF and lone CR each end a line',
      bytes: utf8('a\r\nb\rc\n\n'),
      bom: false,
      lines: lines(['a', '\r\n'], ['b', '\r'], ['c', '\n'], ['', '\n']),
    },
    { name: 'CR then CRLF', bytes: utf8('\r\r\n'), bom: false, lines: lines(['', '\r'], ['', '\r\n']) },
    { name: 'LF then CR is two line ends', bytes: utf8('x\n\ry'), bom: false, lines: lines(['x', '\n'], ['', '\r'], ['y', '']) },
    { name: 'a BOM alone', bytes: new Uint8Array([0xef, 0xbb, 0xbf]), bom: true, lines: [] },
    { name: 'a BOM before text', bytes: new Uint8Array([0xef, 0xbb, 0xbf, 0x78, 0x0a]), bom: true, lines: lines(['x', '\n']) },
    { name: 'a BOM later is just a character', bytes: utf8('a\ufeffb'), bom: false, lines: lines(['a\ufeffb', '']) },
    { name: 'multi-byte characters', bytes: utf8('é€😀\n中'), bom: false, lines: lines(['é€😀', '\n'], ['中', '']) },
    {
      name: 'edges of the valid ranges',
      bytes: new Uint8Array([0xc2, 0x80, 0xed, 0x9f, 0xbf, 0xee, 0x80, 0x80, 0xef, 0xbf, 0xbf, 0xf0, 0x90, 0x80, 0x80, 0xf4, 0x8f, 0xbf, 0xbf]),
      bom: false,
      lines: lines(['\u0080\ud7ff\ue000\uffff\u{10000}\u{10ffff}', '']),
    },
  ];
  for (const testCase of cases) {
    it(testCase.name, () => {
      const document = decodeText(testCase.bytes);
      expect(document).toEqual({ bom: testCase.bom, lines: testCase.lines });
      expect(encodeText(document!)).toEqual(testCase.bytes);
    });
  }

  const binary: { name: string; bytes: number[]; reason: 'nul-byte' | 'invalid-utf8' }[] = [
    { name: 'a NUL byte', bytes: [0x61, 0x00, 0x62], reason: 'nul-byte' },
    { name: 'UTF-16 text (NUL bytes)', bytes: [0xff, 0xfe, 0x61, 0x00], reason: 'invalid-utf8' },
    { name: 'a stray continuation byte', bytes: [0x61, 0x80], reason: 'invalid-utf8' },
    { name: 'overlong two-byte form (C0)', bytes: [0xc0, 0x80], reason: 'invalid-utf8' },
    { name: 'overlong two-byte form (C1)', bytes: [0xc1, 0xbf], reason: 'invalid-utf8' },
    { name: 'overlong three-byte form', bytes: [0xe0, 0x80, 0xaf], reason: 'invalid-utf8' },
    { name: 'overlong four-byte form', bytes: [0xf0, 0x8f, 0xbf, 0xbf], reason: 'invalid-utf8' },
    { name: 'an encoded high surrogate', bytes: [0xed, 0xa0, 0x80], reason: 'invalid-utf8' },
    { name: 'an encoded low surrogate', bytes: [0xed, 0xbf, 0xbf], reason: 'invalid-utf8' },
    { name: 'above U+10FFFF', bytes: [0xf4, 0x90, 0x80, 0x80], reason: 'invalid-utf8' },
    { name: 'lead byte F5', bytes: [0xf5, 0x80, 0x80, 0x80], reason: 'invalid-utf8' },
    { name: 'byte FF', bytes: [0x61, 0xff], reason: 'invalid-utf8' },
    { name: 'a sequence cut short inside', bytes: [0xe2, 0x82, 0x61], reason: 'invalid-utf8' },
    { name: 'a sequence cut short at the end', bytes: [0x61, 0xf0, 0x9f, 0x98], reason: 'invalid-utf8' },
    { name: 'a bad continuation byte', bytes: [0xe2, 0x28, 0xa1], reason: 'invalid-utf8' },
  ];
  for (const testCase of binary) {
    it(`treats ${testCase.name} as binary`, () => {
      const bytes = new Uint8Array(testCase.bytes);
      expect(decodeText(bytes)).toBeNull();
      expect(inspectText(bytes)).toEqual({ kind: 'binary', reason: testCase.reason });
    });
  }

  it(`accepts exactly MAX_TEXT_BYTES (${MAX_TEXT_BYTES}) and refuses one byte more`, () => {
    const bytes = new Uint8Array(MAX_TEXT_BYTES + 1).fill(0x61);
    bytes[MAX_TEXT_BYTES - 1] = 0x0a;
    const document = decodeText(bytes.subarray(0, MAX_TEXT_BYTES));
    expect(document?.lines.length).toBe(1);
    expect(document?.lines[0]?.text.length).toBe(MAX_TEXT_BYTES - 1);
    expect(inspectText(bytes)).toEqual({ kind: 'binary', reason: 'too-large' });
  });

  it('agrees with a strict platform decoder on random bytes', () => {
    const next = random(11);
    const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
    const pieces = [[0x61], [0x0a], [0x0d], [0xc3, 0xa9], [0xe2, 0x82, 0xac], [0xf0, 0x9f, 0x98, 0x80], [0xef, 0xbb, 0xbf]];
    let texts = 0;
    for (let trial = 0; trial < 3000; trial += 1) {
      const bytes: number[] = [];
      const length = Math.floor(next() * 12);
      for (let index = 0; index < length; index += 1) {
        // Mostly valid pieces, sometimes a random byte (possibly splitting a sequence).
        if (next() < 0.15) bytes.push(Math.floor(next() * 256));
        else bytes.push(...(pieces[Math.floor(next() * pieces.length)] ?? []));
      }
      const array = new Uint8Array(bytes);
      let expected: string | null;
      try {
        expected = array.includes(0) ? null : strict.decode(array);
      } catch {
        expected = null;
      }
      const document = decodeText(array);
      if (expected === null) {
        if (document !== null) expect.fail(`decoded invalid bytes ${bytes}`);
        continue;
      }
      texts += 1;
      // The platform decoder drops a leading BOM, as decodeText does.
      if (document === null || documentToString(document) !== expected) expect.fail(`decoded ${bytes} differently`);
      if (encodeText(document).join() !== array.join()) expect.fail(`${bytes} did not round-trip`);
    }
    expect(texts).toBeGreaterThan(1000);
  });
});

describe('encodeText', () => {
  it('round-trips every text byte for byte (seeded property)', () => {
    const next = random(12);
    const pieces = ['a', 'b', ' ', '\n', '\r', '\r\n', '\n\r', 'é', '€', '😀', '\ufeff', '\t'];
    for (let trial = 0; trial < 2000; trial += 1) {
      const text = Array.from({ length: Math.floor(next() * 16) }, () => pieces[Math.floor(next() * pieces.length)]).join('');
      const bom = next() < 0.3;
      const bytes = new Uint8Array([...(bom ? [0xef, 0xbb, 0xbf] : []), ...utf8(text)]);
      const document = decodeText(bytes);
      // Text that itself starts with U+FEFF reads as a BOM; the bytes still come back the same.
      if (document === null || document.bom !== (bom || text.startsWith('\ufeff'))) expect.fail(`BOM of ${JSON.stringify(text)}`);
      if (encodeText(document).join() !== bytes.join()) expect.fail(`${JSON.stringify(text)} did not round-trip`);
      // Only the last line may lack a terminator, and a line without one is never empty.
      document.lines.forEach((line, index) => {
        if (line.terminator === '' && (index !== document.lines.length - 1 || line.text === '')) expect.fail(`not canonical: ${JSON.stringify(text)}`);
      });
    }
  });

  it('refuses a lone surrogate instead of writing a replacement character', () => {
    expect(() => encodeText({ bom: false, lines: lines(['a\ud800b', '']) })).toThrow(TypeError);
    expect(() => encodeText({ bom: false, lines: lines(['\udc00', '\n']) })).toThrow(TypeError);
  });
});

describe('line helpers', () => {
  it('tells line ending styles apart', () => {
    expect(lineEndingStyle(splitLines(''))).toBe('none');
    expect(lineEndingStyle(splitLines('a'))).toBe('none');
    expect(lineEndingStyle(splitLines('a\nb'))).toBe('lf');
    expect(lineEndingStyle(splitLines('a\r\nb\r\n'))).toBe('crlf');
    expect(lineEndingStyle(splitLines('a\rb\r'))).toBe('cr');
    expect(lineEndingStyle(splitLines('a\r\nb\n'))).toBe('mixed');
  });

  it('knows whether a document ends with a newline', () => {
    expect(endsWithNewline({ bom: false, lines: splitLines('') })).toBe(false);
    expect(endsWithNewline({ bom: false, lines: splitLines('a\nb') })).toBe(false);
    expect(endsWithNewline({ bom: false, lines: splitLines('a\r') })).toBe(true);
  });

  it('compares lines without terminators but keeps the missing final newline apart', () => {
    expect(comparisonKeys(splitLines('a\r\nb\n'))).toEqual(comparisonKeys(splitLines('a\nb\r')));
    expect(comparisonKeys(splitLines('a\nb'))).not.toEqual(comparisonKeys(splitLines('a\nb\n')));
  });
});
