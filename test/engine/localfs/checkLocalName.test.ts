import { describe, expect, it } from 'vitest';
import { checkLocalName, checkLocalPath } from '../../../src-main/engine/localfs/index.js';
import type { LocalNameProblem } from '../../../src-main/engine/localfs/index.js';
import { parseLibraryPath } from '../../../shared/paths.js';

interface Case {
  readonly name: string;
  readonly fileName: string;
  readonly platform: NodeJS.Platform;
  readonly problem: LocalNameProblem | null;
}

const cases: readonly Case[] = [
  { name: 'plain name on Windows', fileName: 'report.docx', platform: 'win32', problem: null },
  { name: 'Chinese name on Windows', fileName: '报告.docx', platform: 'win32', problem: null },
  { name: 'CON on Windows', fileName: 'CON', platform: 'win32', problem: 'reserved-name' },
  { name: 'lower-case con with an extension', fileName: 'con.txt', platform: 'win32', problem: 'reserved-name' },
  { name: 'NUL with two extensions', fileName: 'nul.tar.gz', platform: 'win32', problem: 'reserved-name' },
  { name: 'COM1', fileName: 'COM1', platform: 'win32', problem: 'reserved-name' },
  { name: 'LPT9 with an extension', fileName: 'lpt9.log', platform: 'win32', problem: 'reserved-name' },
  { name: 'COM0 is not reserved', fileName: 'COM0', platform: 'win32', problem: null },
  { name: 'a name starting with a device name', fileName: 'console.txt', platform: 'win32', problem: null },
  { name: 'AUX on Linux is fine', fileName: 'AUX', platform: 'linux', problem: null },
  { name: 'colon on Windows', fileName: 'a:b', platform: 'win32', problem: 'illegal-character' },
  { name: 'question mark on Windows', fileName: 'why?.txt', platform: 'win32', problem: 'illegal-character' },
  { name: 'angle brackets on Windows', fileName: '<tag>', platform: 'win32', problem: 'illegal-character' },
  { name: 'pipe on Windows', fileName: 'a|b', platform: 'win32', problem: 'illegal-character' },
  { name: 'quote on Windows', fileName: 'say "hi"', platform: 'win32', problem: 'illegal-character' },
  { name: 'star on Windows', fileName: '*.txt', platform: 'win32', problem: 'illegal-character' },
  { name: 'colon on macOS is fine', fileName: 'a:b', platform: 'darwin', problem: null },
  { name: 'star on Linux is fine', fileName: '*.txt', platform: 'linux', problem: null },
  { name: 'trailing dot on Windows', fileName: 'notes.', platform: 'win32', problem: 'trailing-dot-or-space' },
  { name: 'trailing space on Windows', fileName: 'notes ', platform: 'win32', problem: 'trailing-dot-or-space' },
  { name: 'trailing dot on Linux is fine', fileName: 'notes.', platform: 'linux', problem: null },
  { name: 'backslash on Windows', fileName: 'a\\b', platform: 'win32', problem: 'separator' },
  { name: 'backslash on Linux is a plain character', fileName: 'a\\b', platform: 'linux', problem: null },
  { name: 'slash anywhere', fileName: 'a/b', platform: 'linux', problem: 'separator' },
  { name: 'NUL anywhere', fileName: 'a\0b', platform: 'darwin', problem: 'separator' },
  { name: 'control character on Windows', fileName: 'a\u0001b', platform: 'win32', problem: 'control-character' },
  { name: 'dot-dot anywhere', fileName: '..', platform: 'linux', problem: 'dot-name' },
  { name: 'empty name', fileName: '', platform: 'linux', problem: 'empty' },
];

describe('checkLocalName', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const check = checkLocalName(c.fileName, c.platform);
    if (c.problem === null) {
      expect(check).toEqual({ ok: true });
    } else {
      expect(check.ok).toBe(false);
      if (!check.ok) {
        expect(check.problem).toBe(c.problem);
        expect(check.message.length).toBeGreaterThan(0);
      }
    }
  });

  it('checkLocalPath reports the first bad segment of a path', () => {
    const check = checkLocalPath(parseLibraryPath('docs/aux.txt/file'), 'win32');
    expect(check.ok ? null : check.problem).toBe('reserved-name');
    expect(checkLocalPath(parseLibraryPath('docs/aux.txt/file'), 'linux')).toEqual({ ok: true });
  });
});
