// checkLibraryPath takes a shorter road for printable ASCII paths; it must answer exactly as the
// general checks do (kept here as the reference) for every string, ASCII or not.

import { describe, expect, it } from 'vitest';
import { MAX_NAME_BYTES, MAX_PATH_BYTES, checkLibraryPath, isWellFormedUnicode, utf8Length } from '../../shared/paths.js';
import type { PathCheck } from '../../shared/paths.js';

/** The general checks, in their order, for any string. */
function reference(raw: string): PathCheck {
  if (raw.length === 0) return { ok: false, problem: 'empty' };
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw)) return { ok: false, problem: 'absolute' };
  if (raw.includes('\\')) return { ok: false, problem: 'backslash' };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(raw)) return { ok: false, problem: 'control-character' };
  if (!isWellFormedUnicode(raw)) return { ok: false, problem: 'not-unicode' };
  if (raw.normalize('NFC') !== raw) return { ok: false, problem: 'not-nfc' };
  if (utf8Length(raw) > MAX_PATH_BYTES) return { ok: false, problem: 'too-long' };
  for (const segment of raw.split('/')) {
    if (segment.length === 0) return { ok: false, problem: 'empty-segment' };
    if (segment === '.' || segment === '..') return { ok: false, problem: 'dot-segment' };
    if (utf8Length(segment) > MAX_NAME_BYTES) return { ok: false, problem: 'name-too-long' };
  }
  return { ok: true, path: raw as never };
}

const table = [
  '', 'a', 'a/b', '/a', 'a/', 'a//b', '.', '..', 'a/.', 'a/..', './a', '../a', '.a', '..a', 'a.', 'a/...', '...', '.../b', 'C:', 'c:/x', 'C', '1:',
  'a\\b', 'a\u0000b', 'a\u001fb', 'a\u007fb', 'a b', '~/x', 'x'.repeat(MAX_NAME_BYTES), 'x'.repeat(MAX_NAME_BYTES + 1),
  `a/${'x'.repeat(MAX_NAME_BYTES + 1)}/b`, Array.from({ length: 16 }, () => 'y'.repeat(255)).join('/'), 'z'.repeat(MAX_PATH_BYTES), 'z'.repeat(MAX_PATH_BYTES + 1),
  `${'q/'.repeat(2048)}q`, 'é', 'e\u0301', '文件/名', '\ud800', 'a/\udc00', '😀/x', 'é'.repeat(200), 'é'.repeat(128), 'a/b/', '/', '//', 'a/./b',
];

/** A small seeded generator (mulberry32). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('checkLibraryPath', () => {
  it('answers as the general checks on a table of edge cases', () => {
    for (const raw of table) expect(checkLibraryPath(raw), JSON.stringify(raw)).toEqual(reference(raw));
  });

  it('answers as the general checks on random strings over the characters that matter', () => {
    const next = random(42);
    const alphabet = ['a', 'Z', '.', '/', '/', '.', ':', ' ', '\\', '\u0000', '\u007f', 'é', 'e\u0301', '\ud800', '~', '-'];
    let valid = 0;
    for (let i = 0; i < 20000; i++) {
      const length = Math.floor(next() * 12);
      let raw = '';
      for (let c = 0; c < length; c++) raw += alphabet[Math.floor(next() * (next() < 0.7 ? 8 : alphabet.length))];
      if (next() < 0.02) raw += 'x'.repeat(250 + Math.floor(next() * 10));
      const expected = reference(raw);
      if (expected.ok) valid += 1;
      expect(checkLibraryPath(raw), JSON.stringify(raw)).toEqual(expected);
    }
    expect(valid).toBeGreaterThan(1000);
  });
});
