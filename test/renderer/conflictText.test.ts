// How conflicts read in both languages: the kind of each conflict, each way out (including the
// one offered when there is no conflict copy), every merge choice, why a batch item stayed open,
// and the URL fragments that open a conflict or the preferences from outside the page.

import { describe, expect, it } from 'vitest';
import type { ApiErrorCode, ConflictView, KeepChoice } from '../../shared/api/index.js';
import { API_ERROR_CODES, conflictViewSchema } from '../../shared/api/index.js';
import { CONFLICT_CHOICES } from '../../shared/merge/index.js';
import { placeFromFragment } from '../../src-renderer/app/navigation.js';
import {
  keepTitle,
  keepWording,
  mergeChoiceText,
  mergeSideTitle,
  originText,
  sideLabel,
  MERGE_CHOICE_KEYS,
  conflictKindKey,
  describeSide,
  keepTextKey,
  keepTitleKey,
  mayMerge,
  outcomeErrorKey,
  resolvedKey,
} from '../../src-renderer/conflicts/conflictText.js';
import { en } from '../../src-renderer/i18n/en.js';
import { createTranslator } from '../../src-renderer/i18n/translate.js';
import { zhCN } from '../../src-renderer/i18n/zhCN.js';

const file = { kind: 'file', size: 2048, mtimeMs: null, device: 'laptop', user: 'ann' } as const;

function view(overrides: Omit<Partial<ConflictView>, 'path' | 'conflictPath'>): ConflictView {
  return conflictViewSchema.parse({
    conflictId: 1,
    libraryId: 'lib-documents',
    libraryName: 'Documents',
    path: 'a.txt',
    conflictPath: 'a (conflict laptop 2026-01-02 030405).txt',
    local: file,
    remote: file,
    baseKnown: true,
    contentKind: 'text',
    createdAt: 0,
    ...overrides,
  });
}

describe('conflict kinds', () => {
  it.each<{ name: string; conflict: ConflictView; en: string; zh: string; mayMerge: boolean }>([
    { name: 'text', conflict: view({}), en: 'Text', zh: '文本', mayMerge: true },
    { name: 'text without a base', conflict: view({ baseKnown: false }), en: 'Text', zh: '文本', mayMerge: false },
    { name: 'image', conflict: view({ contentKind: 'image' }), en: 'Image', zh: '图片', mayMerge: false },
    { name: 'binary', conflict: view({ contentKind: 'binary' }), en: 'Binary file', zh: '二进制文件', mayMerge: false },
    { name: 'unknown content', conflict: view({ contentKind: null }), en: 'File', zh: '文件', mayMerge: false },
    { name: 'a folder', conflict: view({ remote: { kind: 'dir', device: null, user: null }, contentKind: null }), en: 'Folder', zh: '文件夹', mayMerge: false },
    { name: 'edit against delete', conflict: view({ local: { kind: 'deleted', device: null, user: null }, contentKind: null }), en: 'Changed and deleted', zh: '一方修改、一方删除', mayMerge: false },
  ])('$name', ({ conflict, en: english, zh, mayMerge: mergeable }) => {
    expect(en[conflictKindKey(conflict)]).toBe(english);
    expect(zhCN[conflictKindKey(conflict)]).toBe(zh);
    expect(mayMerge(conflict)).toBe(mergeable);
  });

  it('describes a side by the facts that are known', () => {
    const i18n = createTranslator('en');
    expect(describeSide(file, i18n, 0)).toBe('2 KB · by ann · on laptop');
    expect(describeSide({ kind: 'deleted', device: null, user: 'bob' }, i18n, 0)).toBe('deleted · by bob');
  });
});

describe('ways out', () => {
  const names = { name: 'a.txt', copy: 'a (conflict laptop 2026-01-02 030405).txt', path: 'Docs/a.txt' };

  it.each<{ keep: KeepChoice; title: string; resolved: string }>([
    { keep: 'local', title: 'Keep mine', resolved: 'Resolved Docs/a.txt: your version was kept.' },
    { keep: 'remote', title: 'Keep theirs', resolved: 'Resolved Docs/a.txt: their version was kept.' },
    { keep: 'both', title: 'Keep both', resolved: 'Resolved Docs/a.txt: both versions were kept.' },
    { keep: 'merged', title: 'Merge', resolved: 'Resolved Docs/a.txt: the edits were merged.' },
  ])('$keep reads "$title"', ({ keep, title, resolved }) => {
    const i18n = createTranslator('en');
    expect(i18n.t(keepTitleKey(keep, true))).toBe(title);
    expect(i18n.t(resolvedKey(keep, true), names)).toBe(resolved);
    // Every description names the files it is about, with nothing left unfilled.
    const text = i18n.t(keepTextKey(keep, true), names);
    expect(text).toContain('a.txt');
    expect(text).not.toMatch(/\{[a-z]+\}/i);
  });

  it('keep both names the conflict copy, so the user knows where theirs and yours will be', () => {
    expect(createTranslator('en').t(keepTextKey('both', true), names)).toBe('Nothing is removed: theirs stays as a.txt, yours as a (conflict laptop 2026-01-02 030405).txt.');
    expect(createTranslator('zh-CN').t(keepTextKey('both', true), names)).toContain('a (conflict laptop 2026-01-02 030405).txt');
  });

  it('without a conflict copy, "both" only accepts what is there', () => {
    const i18n = createTranslator('en');
    expect(i18n.t(keepTitleKey('both', false))).toBe('Keep it as it is');
    expect(i18n.t(keepTextKey('both', false), names)).toContain('No file changes.');
    expect(i18n.t(resolvedKey('both', false), names)).toBe('Resolved Docs/a.txt.');
  });

  it('names every merge choice the merge library knows, each once, in both languages', () => {
    expect(MERGE_CHOICE_KEYS.map((entry) => entry.choice)).toEqual([...CONFLICT_CHOICES]);
    for (const dictionary of [en, zhCN]) {
      const labels = MERGE_CHOICE_KEYS.map((entry) => dictionary[entry.key]);
      expect(new Set(labels).size).toBe(labels.length);
    }
  });

  it.each<{ code: ApiErrorCode; keep: KeepChoice; text: string }>([
    { code: 'conflict', keep: 'local', text: 'A file changed meanwhile or has not finished syncing.' },
    { code: 'invalid-argument', keep: 'remote', text: 'This choice does not fit this conflict.' },
    { code: 'invalid-argument', keep: 'merged', text: en['outcome.error.notClean'] },
    { code: 'not-found', keep: 'both', text: 'It was resolved already.' },
    { code: 'unreachable', keep: 'both', text: en['error.unreachable'] },
  ])('a batch item that failed with $code ($keep) reads "$text"', ({ code, keep, text }) => {
    expect(en[outcomeErrorKey(code, keep)]).toBe(text);
  });

  it('has a sentence for every error code in a batch outcome', () => {
    for (const code of API_ERROR_CODES) expect(en[outcomeErrorKey(code, 'merged')].length).toBeGreaterThan(0);
  });
});

describe('places named by the URL fragment', () => {
  it.each([
    { fragment: '#preferences', place: { screen: 'preferences' } },
    { fragment: 'preferences', place: { screen: 'preferences' } },
    { fragment: '#conflicts', place: { screen: 'conflicts' } },
    { fragment: '#activity', place: { screen: 'activity' } },
    { fragment: '#conflict/12', place: { screen: 'conflict', conflictId: 12 } },
    { fragment: '#conflict/0', place: null },
    { fragment: '#conflict/abc', place: null },
    { fragment: '#conflict/12/x', place: null },
    { fragment: '#library', place: null },
    { fragment: '#%E0%A4%A', place: null },
    { fragment: '', place: null },
  ])('$fragment', ({ fragment, place }) => {
    expect(placeFromFragment(fragment)).toEqual(place);
  });
});

describe('naming the sides the same on every computer', () => {
  it.each([
    { name: 'made here, author known', side: { device: 'laptop', user: 'alice' }, which: 'local', key: 'conflict.side.editedOnBy', here: true },
    { name: 'made elsewhere', side: { device: 'desktop', user: 'bob' }, which: 'remote', key: 'conflict.side.editedOnBy', here: false },
    { name: 'only the device known', side: { device: 'desktop', user: null }, which: 'remote', key: 'conflict.side.editedOn', here: false },
    { name: 'the copy, author unknown', side: { device: null, user: null }, which: 'local', key: 'conflict.side.copy', here: false },
    { name: 'the server, author unknown', side: { device: null, user: null }, which: 'remote', key: 'conflict.side.server', here: false },
  ] as const)('$name', ({ side, which, key, here }) => {
    expect(sideLabel(side, which, 'laptop')).toMatchObject({ key, here });
  });

  it('says mine and theirs only on the computer that found the conflict', () => {
    expect(keepWording({ device: 'laptop' }, { device: 'desktop' }, 'laptop')).toEqual({ neutral: false });
    expect(keepWording({ device: 'laptop' }, { device: 'desktop' }, 'desktop')).toEqual({ neutral: true, local: 'laptop', remote: 'desktop' });
    // Without both names there is nothing better to say than mine and theirs.
    expect(keepWording({ device: 'laptop' }, { device: null }, 'desktop')).toEqual({ neutral: false });
  });

  it('names the merge and a batch by device away from the computer that found the conflict, in both languages', () => {
    const away = keepWording({ device: 'laptop' }, { device: 'desktop' }, 'desktop');
    const here = keepWording({ device: 'laptop' }, { device: 'desktop' }, 'laptop');
    const { t } = createTranslator('en');
    expect(mergeSideTitle('mine', away, t)).toBe('From laptop');
    expect(mergeSideTitle('theirs', away, t)).toBe('From desktop');
    expect(CONFLICT_CHOICES.map((choice) => mergeChoiceText(choice, away, t))).toEqual(['laptop', 'desktop', 'laptop, then desktop', 'desktop, then laptop', 'Neither (as before)']);
    expect(originText('mine', away, t)).toBe('from laptop');
    expect(originText('theirs', away, t)).toBe('from desktop');
    expect(originText('both', away, t)).toBe(en['merge.origin.both']);
    expect(originText('unchanged', away, t)).toBeNull();
    expect(t('outcome.subtitle', { choice: keepTitle('remote', true, away, t) })).toBe('How each went with “Keep the version from desktop”.');
    // On the computer that found it, mine and theirs are true.
    expect(mergeSideTitle('mine', here, t)).toBe('Yours');
    expect(mergeChoiceText('theirs-then-mine', here, t)).toBe('Theirs, then yours');
    expect(keepTitle('local', true, here, t)).toBe('Keep mine');

    const zh = createTranslator('zh-CN').t;
    expect(mergeSideTitle('mine', away, zh)).toBe('来自 laptop');
    expect(mergeChoiceText('theirs-then-mine', away, zh)).toBe('先 desktop 的，再 laptop 的');
    expect(originText('theirs', away, zh)).toBe('来自 desktop 的版本');
    expect(zh('outcome.subtitle', { choice: keepTitle('local', true, away, zh) })).toBe('按“保留来自 laptop 的版本”处理后每个冲突的结果。');
    for (const text of [...CONFLICT_CHOICES.map((choice) => mergeChoiceText(choice, away, zh)), mergeSideTitle('theirs', away, zh)]) {
      expect(text).not.toMatch(/你的|对方/);
    }
  });
});
