import { describe, expect, it } from 'vitest';
import { escapeControlCharacters, escapeControlCharactersButLines, hasControlCharacters } from '../../shared/displayText.js';

describe('control characters in text from elsewhere', () => {
  const cases: { name: string; text: string; escaped: string; butLines: string }[] = [
    { name: 'plain text stays', text: 'Büro-Laptop 写真 ✓', escaped: 'Büro-Laptop 写真 ✓', butLines: 'Büro-Laptop 写真 ✓' },
    { name: 'an escape sequence', text: 'a\u001b[2Jb', escaped: 'a\\u001b[2Jb', butLines: 'a\\u001b[2Jb' },
    { name: 'a window title and a bell', text: '\u001b]0;x\u0007', escaped: '\\u001b]0;x\\u0007', butLines: '\\u001b]0;x\\u0007' },
    { name: 'a carriage return', text: 'ok\rforged', escaped: 'ok\\u000dforged', butLines: 'ok\\u000dforged' },
    { name: 'newlines and tabs', text: 'a\nb\tc', escaped: 'a\\u000ab\\u0009c', butLines: 'a\nb\tc' },
    { name: 'DEL and C1 (8-bit CSI)', text: '\u007f\u009b31m', escaped: '\\u007f\\u009b31m', butLines: '\\u007f\\u009b31m' },
    { name: 'bidirectional overrides and isolates', text: 'txt.\u202eexe\u2066', escaped: 'txt.\\u202eexe\\u2066', butLines: 'txt.\\u202eexe\\u2066' },
    { name: 'line and paragraph separators', text: 'a\u2028b\u2029', escaped: 'a\\u2028b\\u2029', butLines: 'a\\u2028b\\u2029' },
  ];
  for (const testCase of cases) {
    it(testCase.name, () => {
      expect(escapeControlCharacters(testCase.text)).toBe(testCase.escaped);
      expect(escapeControlCharactersButLines(testCase.text)).toBe(testCase.butLines);
      expect(hasControlCharacters(testCase.text)).toBe(testCase.escaped !== testCase.text);
      expect(hasControlCharacters(testCase.escaped)).toBe(false);
    });
  }

  it('keeps JSON valid and equal to the original once parsed', () => {
    const value = { device: 'a\u009bb\u202ec' };
    const json = escapeControlCharactersButLines(JSON.stringify(value, null, 2));
    expect(hasControlCharacters(json.replaceAll('\n', ''))).toBe(false);
    expect(JSON.parse(json)).toEqual(value);
  });
});
