// The one order of library paths: by Unicode code point, which is the order of their UTF-8
// bytes and the order the server's SQL stores keep (BINARY collation over UTF-8 text). The
// server sorts commits by it, snapshots are paged in it, and the planner orders its actions by
// it, so client and server agree wherever an order is compared. A parent sorts before its
// descendants, and the paths below a folder `f` are exactly one contiguous run of those
// starting with `f/`.
//
// JavaScript's own string order compares UTF-16 code units. That agrees with code point order
// except where the first difference puts a surrogate (half of a code point above U+FFFF)
// against a unit in U+E000-U+FFFF: the surrogate is the smaller unit but the larger code point.

/** Negative, zero or positive as `a` sorts before, with or after `b` (code point order). */
export function comparePaths(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  let index = 0;
  while (index < length && a.charCodeAt(index) === b.charCodeAt(index)) index++;
  if (index === length) return a.length - b.length;
  const x = a.charCodeAt(index);
  const y = b.charCodeAt(index);
  const xSurrogate = x >= 0xd800 && x <= 0xdfff;
  const ySurrogate = y >= 0xd800 && y <= 0xdfff;
  // Two surrogates at the same place are both high or both low halves: their order is the
  // code points' order. A surrogate against any other unit is a code point above U+FFFF.
  if (xSurrogate === ySurrogate) return x - y;
  return xSurrogate ? 1 : -1;
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** The paths in code point order (a new array). */
export function sortPaths<Path extends string>(paths: Iterable<Path>): Path[] {
  const list = [...paths];
  // Without surrogates, the native sort (UTF-16 code units) is the same order, and faster.
  if (list.some((item) => SURROGATE.test(item))) return list.sort(comparePaths);
  return list.sort();
}
