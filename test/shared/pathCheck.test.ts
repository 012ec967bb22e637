// checkLibraryPath takes a shorter road for printable ASCII paths; it must answer exactly as the
// general checks (checkAnyPath) do for every string, ASCII or not.

import { describe, expect, it } from 'vitest';
import { MAX_NAME_BYTES, MAX_PATH_BYTES, checkAnyPath as reference, checkLibraryPath } from '../../shared/paths.js';
import { randomSource as random } from '../sync/support/seededRandom.js';

const table = [
  '', 'a', 'a/b', '/a', 'a/', 'a//b', '.', '..', 'a/.', 'a/..', './a', '../a', '.a', '..a', 'a.', 'a/...', '...', '.../b', 'C:', 'c:/x', 'C', '1:',
  'a\\b', 'a\u0000b', 'a\u001fb', 'a\u007fb', 'a b', '~/x', 'x'.repeat(MAX_NAME_BYTES), 'x'.repeat(MAX_NAME_BYTES + 1),
  `a/${'x'.repeat(MAX_NAME_BYTES + 1)}/b`, Array.from({ length: 16 }, () => 'y'.repeat(255)).join('/'), 'z'.repeat(MAX_PATH_BYTES), 'z'.repeat(MAX_PATH_BYTES + 1),
  `${'q/'.repeat(2048)}q`, 'é', 'e\u0301', '文件/名', '\ud800', 'a/\udc00', '😀/x', 'é'.repeat(200), 'é'.repeat(128), 'a/b/', '/', '//', 'a/./b',
];

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
