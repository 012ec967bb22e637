import { describe, expect, it } from 'vitest';
import { MAX_NAME_BYTES } from '../../../shared/paths.js';
import { conflictName, formatConflictTime, restoredCopyName, sanitizeDeviceName, splitExtension } from '../../../src-main/engine/planner/index.js';
import { NOW, p } from './fixtures.js';

const M = '(conflict laptop 2024-05-06 070809)';

describe('conflictName', () => {
  it.each([
    ['a plain name with an extension', 'notes.txt', 1, `notes ${M}.txt`],
    ['a nested path keeps its folder', 'docs/2024/plan.md', 1, `docs/2024/plan ${M}.md`],
    ['only the last suffix is the extension', 'backup.tar.gz', 1, `backup.tar ${M}.gz`],
    ['a dotfile has no extension', '.bashrc', 1, `.bashrc ${M}`],
    ['a dotfile with a suffix keeps the suffix', '.config.json', 1, `.config ${M}.json`],
    ['no dot, no extension', 'Makefile', 1, `Makefile ${M}`],
    ['a trailing dot is not an extension', 'draft.', 1, `draft. ${M}`],
    ['a dot in a folder name is not an extension', 'v1.2/README', 1, `v1.2/README ${M}`],
    ['the counter goes inside the marker', 'notes.txt', 3, 'notes (conflict laptop 2024-05-06 070809 3).txt'],
    ['non-ASCII names are kept', '报告.docx', 1, `报告 ${M}.docx`],
  ])('%s: %s', (_name, path, counter, expected) => {
    expect(conflictName(p(path), 'laptop', NOW, counter)).toBe(expected);
  });

  it('uses UTC whatever the local time zone', () => {
    expect(formatConflictTime(new Date(Date.UTC(1999, 11, 31, 23, 59, 58)))).toBe('1999-12-31 235958');
  });

  it('shortens the stem, never the marker or the extension, to fit a name', () => {
    const long = `${'長'.repeat(80)}.txt`;
    const name = conflictName(p(long), 'laptop', NOW);
    expect(new TextEncoder().encode(name).length).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(name.endsWith(` ${M}.txt`)).toBe(true);
    expect(name.startsWith('長長長')).toBe(true);
  });

  it('drops an extension too long to keep beside the marker', () => {
    const name = conflictName(p(`a.${'x'.repeat(240)}`), 'laptop', NOW);
    expect(new TextEncoder().encode(name).length).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(name.endsWith(M)).toBe(true);
  });
});

describe('sanitizeDeviceName', () => {
  it.each([
    ['a plain name', 'laptop', 'laptop'],
    ['separators and Windows-reserved characters', 'My/Laptop: "work"\\*?<>|', 'My-Laptop- -work-------'],
    ['parentheses, which delimit the marker', 'desk (home)', 'desk -home-'],
    ['control characters and whitespace runs', 'a\tb\n\nc', 'a-b--c'],
    ['spaces and dots at the ends', '  .my pc.  ', 'my pc'],
    ['nothing left', ' .. ', 'unknown device'],
    ['non-ASCII', '张三的电脑', '张三的电脑'],
    ['too long', 'x'.repeat(100), 'x'.repeat(40)],
  ])('%s', (_name, raw, expected) => {
    expect(sanitizeDeviceName(raw)).toBe(expected);
  });
});

describe('splitExtension', () => {
  it.each([
    ['a.b.c', 'a.b', '.c'],
    ['.hidden', '.hidden', ''],
    ['plain', 'plain', ''],
    ['end.', 'end.', ''],
  ])('%s', (name, stem, extension) => {
    expect(splitExtension(name)).toEqual({ stem, extension });
  });
});

describe('restoredCopyName', () => {
  const VERSION_TIME = new Date(Date.UTC(2024, 4, 6, 7, 8, 9));
  it.each([
    ['a plain name with an extension', 'notes.txt', 1, 'notes (restored 2024-05-06 07.08).txt'],
    ['a nested path keeps its folder', 'docs/plan.md', 1, 'docs/plan (restored 2024-05-06 07.08).md'],
    ['a dotfile has no extension', '.bashrc', 1, '.bashrc (restored 2024-05-06 07.08)'],
    ['the counter goes inside the marker', 'notes.txt', 2, 'notes (restored 2024-05-06 07.08 2).txt'],
  ])('%s: %s', (_name, path, counter, expected) => {
    expect(restoredCopyName(p(path), VERSION_TIME, counter)).toBe(expected);
  });

  it('shortens the stem, never the marker or the extension, to fit a name', () => {
    const name = restoredCopyName(p(`${'長'.repeat(80)}.txt`), VERSION_TIME);
    expect(new TextEncoder().encode(name).length).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(name.endsWith(' (restored 2024-05-06 07.08).txt')).toBe(true);
  });
});
