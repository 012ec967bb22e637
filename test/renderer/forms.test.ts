// What the forms accept before sending anything, and the folder they suggest.

import { describe, expect, it } from 'vitest';
import { kilobytesOf, parseLimitKb } from '../../src-renderer/state/bandwidth.js';
import { checkLibraryName, checkLocalFolder, checkServerUrl } from '../../src-renderer/state/forms.js';

describe('checkServerUrl', () => {
  it.each([
    { input: 'https://cairn.example.com', expected: null },
    { input: '  http://127.0.0.1:8080  ', expected: null },
    { input: 'HTTPS://cairn.example.com/base', expected: null },
    { input: '', expected: 'connect.check.serverMissing' },
    { input: 'cairn.example.com', expected: 'connect.check.serverScheme' },
    { input: 'ftp://cairn.example.com', expected: 'connect.check.serverScheme' },
    { input: 'https://', expected: 'connect.check.serverInvalid' },
  ])('"$input" -> $expected', ({ input, expected }) => {
    expect(checkServerUrl(input)).toBe(expected);
  });
});

describe('checkLocalFolder', () => {
  it.each([
    { input: '/home/ann/Cairn', expected: null },
    { input: 'C:\\Users\\Ann\\Cairn', expected: null },
    { input: '\\\\server\\share\\Cairn', expected: null },
    { input: '', expected: 'folder.check.missing' },
    { input: 'Cairn/Documents', expected: 'folder.check.notAbsolute' },
    { input: '~/Cairn', expected: 'folder.check.notAbsolute' },
  ])('"$input" -> $expected', ({ input, expected }) => {
    expect(checkLocalFolder(input)).toBe(expected);
  });
});

describe('checkLibraryName', () => {
  it.each([
    { input: 'Documents', expected: null },
    { input: '  ', expected: 'add.check.nameMissing' },
    { input: 'bad\u0007name', expected: 'add.check.nameInvalid' },
  ])('"$input" -> $expected', ({ input, expected }) => {
    expect(checkLibraryName(input)).toBe(expected);
  });
});

describe('bandwidth limits', () => {
  it.each([
    { input: '1024', expected: 1024 * 1024 },
    { input: ' 1 ', expected: 1024 },
    { input: '0', expected: null },
    { input: '1.5', expected: null },
    { input: '-3', expected: null },
    { input: 'fast', expected: null },
    { input: '', expected: null },
    { input: '99999999999999999999', expected: null },
  ])('"$input" KB/s -> $expected bytes/s', ({ input, expected }) => {
    expect(parseLimitKb(input)).toBe(expected);
  });

  it.each([
    { bytes: 1024, expected: 1 },
    { bytes: 1536, expected: 2 },
    { bytes: 1024 * 1024, expected: 1024 },
  ])('$bytes bytes/s shows as $expected KB/s', ({ bytes, expected }) => {
    expect(kilobytesOf(bytes)).toBe(expected);
  });
});
