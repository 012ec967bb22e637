import ignore from 'ignore';
import { describe, expect, it } from 'vitest';
import { BUILT_IN_IGNORE_RULES, createIgnoreMatcher } from '../../../src-main/engine/ignore/index.js';
import { checkLibraryPath, type LibraryPath, parseLibraryPath } from '../../../shared/paths.js';

interface Case {
  readonly name: string;
  readonly rules?: string;
  readonly path: string;
  readonly isDirectory?: boolean;
  readonly ignored: boolean;
}

const builtInCases: readonly Case[] = [
  { name: 'Office owner file', path: 'docs/~$report.docx', ignored: true },
  { name: 'LibreOffice lock file', path: 'docs/.~lock.report.odt#', ignored: true },
  { name: 'tmp file', path: 'a/b/c.tmp', ignored: true },
  { name: 'tmp file in upper case', path: 'SETUP.TMP', ignored: true },
  { name: 'vim swap file', path: '.notes.txt.swp', ignored: true },
  { name: 'vim swap file, second kind', path: '.notes.txt.swx', ignored: true },
  { name: 'macOS folder metadata', path: 'photos/.DS_Store', ignored: true },
  { name: 'Windows thumbnails in any case', path: 'photos/THUMBS.DB', ignored: true },
  { name: 'Windows folder settings', path: 'desktop.ini', ignored: true },
  { name: 'Cairn temp file', path: 'a/.cairn-tmp-0123456789abcdef', ignored: true },
  { name: 'a name merely containing tmp', path: 'tmp/template.txt', ignored: false },
  { name: 'a file ending in .tmpl', path: 'page.tmpl', ignored: false },
  { name: 'a plain file', path: 'README.md', ignored: false },
  { name: 'a folder called .cairn syncs like any other', path: '.cairn', isDirectory: true, ignored: false },
  { name: 'the rules file itself syncs', path: '.cairnignore', ignored: false },
  { name: 'a tilde file without the dollar', path: '~notes.txt', ignored: false },
];

const userCases: readonly Case[] = [
  { name: 'simple glob', rules: '*.log', path: 'server/out.log', ignored: true },
  { name: 'user rules are case-sensitive', rules: '*.log', path: 'server/OUT.LOG', ignored: false },
  { name: 'negation re-includes a file', rules: '*.log\n!keep.log', path: 'keep.log', ignored: false },
  { name: 'negation leaves the others ignored', rules: '*.log\n!keep.log', path: 'other.log', ignored: true },
  { name: 'folder-only rule matches a folder', rules: 'build/', path: 'build', isDirectory: true, ignored: true },
  { name: 'folder-only rule does not match a file', rules: 'build/', path: 'build', ignored: false },
  { name: 'files below an ignored folder are ignored', rules: 'build/', path: 'build/app.js', ignored: true },
  { name: 'deep files below an ignored folder', rules: 'node_modules/', path: 'web/node_modules/x/index.js', ignored: true },
  {
    name: 'a file cannot be re-included below an ignored folder',
    rules: 'build/\n!build/keep.txt',
    path: 'build/keep.txt',
    ignored: true,
  },
  { name: 'anchored rule matches at the root', rules: '/secret.txt', path: 'secret.txt', ignored: true },
  { name: 'anchored rule does not match deeper', rules: '/secret.txt', path: 'a/secret.txt', ignored: false },
  { name: 'rule with a slash is anchored', rules: 'docs/*.pdf', path: 'docs/a.pdf', ignored: true },
  { name: 'rule with a slash does not match deeper', rules: 'docs/*.pdf', path: 'x/docs/a.pdf', ignored: false },
  { name: 'double star crosses folders', rules: 'cache/**/*.bin', path: 'cache/a/b/c.bin', ignored: true },
  { name: 'comments and blank lines are not rules', rules: '# comment\n\n', path: '# comment', ignored: false },
  { name: 'escaped hash is a rule', rules: '\\#notes', path: '#notes', ignored: true },
  { name: 'Windows line endings', rules: '*.log\r\n*.bak\r\n', path: 'x.bak', ignored: true },
  { name: 'non-ASCII names', rules: '草稿/', path: '草稿/一.txt', ignored: true },
  { name: 'a negation cannot re-include a built-in rule', rules: '!*.tmp', path: 'x.tmp', ignored: true },
  { name: 'no rules file at all', path: 'anything.txt', ignored: false },
  { name: 'only comments and blank lines: built-in rules still apply', rules: '# c\n  \n', path: 'a/b.TMP', ignored: true },
  { name: 'a rule after comments counts', rules: '# c\n\nbuild/\n', path: 'build/x', ignored: true },
  { name: 'a rule with leading spaces counts', rules: '  x', path: '  x', ignored: true },
];

describe('createIgnoreMatcher', () => {
  it.each([...builtInCases, ...userCases].map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const matcher = createIgnoreMatcher(c.rules);
    expect(matcher.isIgnored(parseLibraryPath(c.path), c.isDirectory ?? false)).toBe(c.ignored);
  });
});

describe('the built-in rules', () => {
  it('are single-name globs, which the matcher applies to each name of a path', () => {
    for (const rule of BUILT_IN_IGNORE_RULES) expect(rule, rule).toMatch(/^[^/?[\]\\!]+$/);
  });

  it('answer as the ignore package does, for every combination of names', () => {
    const reference = ignore({ ignorecase: true }).add(BUILT_IN_IGNORE_RULES);
    const names = ['a', '~$x.docx', '~x', '$x', '.~lock.f.odt#', '.~lock.f.odt', 'f.tmp', 'F.TMP', '.tmp', 'f.tmpl', 'tmp', 'n.swp', 'n.SwX', 'n.swpx',
      '.DS_Store', '.ds_store', 'x.DS_Store', 'Thumbs.db', 'THUMBS.DB', 'thumbs.dbx', 'desktop.ini', 'Desktop.INI', '.cairn-tmp-0a', '.CAIRN-TMP-x', 'cairn-tmp-x', '草稿'];
    const matcher = createIgnoreMatcher(undefined);
    let compared = 0;
    for (const first of names) {
      for (const second of ['', ...names]) {
        for (const isDirectory of [false, true]) {
          const path = (second === '' ? first : `${first}/${second}`) as LibraryPath;
          expect(matcher.isIgnored(path, isDirectory), `${path}${isDirectory ? '/' : ''}`).toBe(reference.ignores(isDirectory ? `${path}/` : path));
          compared++;
        }
      }
    }
    expect(compared).toBe(names.length * (names.length + 1) * 2);
  });
});

describe('createIgnoreMatcher without user rules', () => {
  it('answers as the ignore package does for the built-in rules, for any names at any depth', () => {
    const reference = ignore({ ignorecase: true }).add([...BUILT_IN_IGNORE_RULES]);
    const pieces = ['~', '$', '.', '#', 'a', 'T', 'mp', 'tmp', 'TMP', '.tmp', 'swp', 'SWX', 'lock', '~$', '.~lock.', '.~LOCK.', 'Thumbs.db', 'THUMBS.DB', '.DS_Store', '.ds_store', 'desktop.ini', '.cairn-tmp-', '.CAIRN-TMP-', ' ', '-', 'é', '草', 'x'];
    let seed = 1;
    const next = (below: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % below;
    };
    const texts = [undefined, '', '# only a comment\n\n', '\r\n# another\r\n'];
    const matchers = texts.map((text) => createIgnoreMatcher(text));
    for (let i = 0; i < 20_000; i++) {
      const names: string[] = [];
      for (let depth = 1 + next(3); names.length < depth; ) {
        let name = '';
        for (let length = 1 + next(4); length > 0; length--) name += pieces[next(pieces.length)];
        name = name.trim();
        if (name !== '' && name !== '.' && name !== '..') names.push(name);
      }
      const checked = checkLibraryPath(names.join('/'));
      if (!checked.ok) continue;
      const entryPath = checked.path;
      const isDirectory = next(2) === 0;
      const expected = reference.ignores(isDirectory ? `${entryPath}/` : entryPath);
      for (const matcher of matchers) expect(matcher.isIgnored(entryPath, isDirectory), entryPath).toBe(expected);
    }
  });
});

describe('isIgnoredInFolder (the scan asks about the names of a folder it entered)', () => {
  // Every path whose folder (and the folders above it) the matcher does not ignore, with or
  // without user rules: the answer is isIgnored's, though only the last name meets the built-in rules.
  const names = ['a', 'f.tmp', 'F.TMP', '.DS_Store', '~$x', 'build', 'keep.log', 'x.log', '草稿', '.cairn-tmp-1'];
  const texts = [undefined, 'build/\n*.log\n!keep.log', '/a/build\n草稿/'];
  it.each(texts.map((text) => [JSON.stringify(text ?? null), text] as const))('answers as isIgnored with rules %s', (_name, text) => {
    const matcher = createIgnoreMatcher(text);
    let compared = 0;
    for (const first of names) {
      for (const second of ['', ...names]) {
        for (const third of ['', ...names]) {
          if (second === '' && third !== '') continue;
          const segments = [first, second, third].filter((name) => name !== '');
          const path = segments.join('/') as LibraryPath;
          const folder = segments.slice(0, -1);
          // Only names in folders the scan enters: each folder above is not ignored.
          if (folder.some((_segment, i) => matcher.isIgnored(folder.slice(0, i + 1).join('/') as LibraryPath, true))) continue;
          for (const isDirectory of [false, true]) {
            expect(matcher.isIgnoredInFolder(path, isDirectory), `${path}${isDirectory ? '/' : ''}`).toBe(matcher.isIgnored(path, isDirectory));
            compared++;
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(200);
  });

  it('matches only the last name against the built-in rules (the folders above were entered)', () => {
    const matcher = createIgnoreMatcher(undefined);
    expect(matcher.isIgnoredInFolder('a.tmp/b' as LibraryPath, false)).toBe(false);
    expect(matcher.isIgnored('a.tmp/b' as LibraryPath, false)).toBe(true);
  });
});
