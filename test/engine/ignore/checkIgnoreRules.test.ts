// Ignore rules checked as they are typed: the lines that cannot do what they look like they
// do, and what the rules match among a library's entries (a folder once, with its contents).

import { describe, expect, it } from 'vitest';
import type { LibraryPath } from '../../../shared/paths.js';
import { checkIgnoreRules, previewIgnoreRules } from '../../../src-main/engine/ignore/index.js';

describe('checkIgnoreRules', () => {
  it.each([
    ['a plain pattern', '*.log', null],
    ['a folder rule', 'build/', null],
    ['a rule anchored at the top', '/secret.txt', null],
    ['a negation', '!keep.log', null],
    ['an escaped hash', '\\#notes', null],
    ['an escaped space', 'a\\ b', null],
    ['a class', '*.[oa]', null],
    ['a negated class', '[!a-c]x', null],
    ['a Windows separator', 'docs\\old', 'backslash'],
    ['a drive letter', 'C:\\Users\\me\\x', 'absolute'],
    ['a home folder', '~/Documents', 'absolute'],
    ['an unclosed bracket', 'file[12', 'unclosed-bracket'],
    ['a backward range', 'x[z-a]', 'backward-range'],
    ['a lone negation', '!', 'empty-negation'],
    ['an overlong line', 'a'.repeat(5000), 'too-long'],
  ] as const)('%s', (_name, rule, problem) => {
    expect(checkIgnoreRules(rule)).toEqual(problem === null ? [] : [{ line: 1, problem }]);
  });

  it('numbers the lines as the user sees them, skipping comments and blank lines', () => {
    expect(checkIgnoreRules('# docs\\old is a comment\n\n*.log\r\ndocs\\old\n!\n')).toEqual([
      { line: 4, problem: 'backslash' },
      { line: 5, problem: 'empty-negation' },
    ]);
  });
});

describe('previewIgnoreRules', () => {
  const entries = (['a.log', 'build', 'build/out.bin', 'build/sub', 'build/sub/x.o', 'build-notes.txt', 'docs', 'docs/a.log', 'docs/readme.md'] as const).map((path) => ({
    path: path as LibraryPath,
    isDirectory: !path.includes('.'),
  }));

  it('counts a matched folder once, with what is in it, and lists the first matches in order', () => {
    expect(previewIgnoreRules('*.log\nbuild/\n', entries, 10)).toEqual({ issues: [], matchCount: 3, matches: ['a.log', 'build', 'docs/a.log'] });
    expect(previewIgnoreRules('*.log\nbuild/\n', entries, 2)).toMatchObject({ matchCount: 3, matches: ['a.log', 'build'] });
  });

  it('matches nothing with no rules, and reports the lines that are not what they seem', () => {
    expect(previewIgnoreRules('', entries, 10)).toEqual({ issues: [], matchCount: 0, matches: [] });
    expect(previewIgnoreRules('docs\\readme.md', entries, 10)).toEqual({ issues: [{ line: 1, problem: 'backslash' }], matchCount: 0, matches: [] });
  });
});
