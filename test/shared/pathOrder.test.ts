// The one path order: code point order, which is the order of the paths' UTF-8 bytes (and of the
// server's SQL stores). Golden pairs where JavaScript's own UTF-16 order would disagree, plus a
// check against the UTF-8 bytes of many generated paths.

import { describe, expect, it } from 'vitest';
import { comparePaths, sortPaths } from '../../shared/pathOrder.js';

const utf8Order = (a: string, b: string): number => Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));

describe('comparePaths', () => {
  it.each([
    { name: 'equal', a: 'docs/a.txt', b: 'docs/a.txt', order: 0 },
    { name: 'plain letters', a: 'a', b: 'b', order: -1 },
    { name: 'a parent before its child', a: 'docs', b: 'docs/a', order: -1 },
    { name: 'a child before a sibling sharing the prefix ("/" is 0x2F, "0" is 0x30)', a: 'docs/a', b: 'docs0', order: -1 },
    { name: 'a space sorts before "/"', a: 'docs x', b: 'docs/x', order: -1 },
    { name: 'upper case before lower case', a: 'Zebra', b: 'apple', order: -1 },
    { name: 'NFC é (U+00E9) after z', a: 'z', b: 'é', order: -1 },
    { name: 'U+FFFD before an emoji (UTF-16 says the opposite)', a: '\uFFFD', b: '😀', order: -1 },
    { name: 'U+E000 before U+10000 (UTF-16 says the opposite)', a: 'x/\uE000', b: 'x/𐀀', order: -1 },
    { name: 'two astral characters by code point', a: '😀', b: '😁', order: -1 },
    { name: 'CJK before an astral character', a: '石', b: '𠀀', order: -1 },
  ])('$name', ({ a, b, order }) => {
    expect(Math.sign(comparePaths(a, b))).toBe(order);
    expect(Math.sign(comparePaths(b, a))).toBe(0 - order || 0);
    expect(utf8Order(a, b)).toBe(order);
  });

  it('agrees with the UTF-8 bytes on generated paths', () => {
    const alphabet = ['a', 'B', '/', ' ', '0', 'é', '石', '\uE000', '\uFFFD', '😀', '𐀀', '𠀀'];
    let seed = 7;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    const paths = Array.from({ length: 400 }, () => Array.from({ length: 1 + (next() % 6) }, () => alphabet[next() % alphabet.length]).join(''));
    for (const a of paths.slice(0, 60)) for (const b of paths) expect(Math.sign(comparePaths(a, b)), `${a} vs ${b}`).toBe(utf8Order(a, b));
    expect(sortPaths(paths)).toEqual([...paths].sort(utf8Order));
  });
});

describe('sortPaths', () => {
  it.each([
    { name: 'without surrogates (the native fast path)', paths: ['b', 'a/b', 'a', 'a b', 'a0'], sorted: ['a', 'a b', 'a/b', 'a0', 'b'] },
    { name: 'with surrogates', paths: ['😀', '\uFFFD', 'a'], sorted: ['a', '\uFFFD', '😀'] },
  ])('$name', ({ paths, sorted }) => {
    expect(sortPaths(paths)).toEqual(sorted);
    expect(paths).not.toEqual(sorted);
  });
});
