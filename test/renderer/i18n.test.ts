// Both dictionaries carry every message: the same keys, no empty text, the same placeholders,
// complete plural pairs, and real Chinese rather than English copies.

import { describe, expect, it } from 'vitest';
import { LANGUAGES } from '../../shared/api/index.js';
import { en } from '../../src-renderer/i18n/en.js';
import type { MessageKey } from '../../src-renderer/i18n/en.js';
import { DICTIONARIES, createTranslator, guessLanguage, interpolate, placeholdersOf } from '../../src-renderer/i18n/translate.js';
import type { MessageParams } from '../../src-renderer/i18n/translate.js';
import { zhCN } from '../../src-renderer/i18n/zhCN.js';

/** Messages that are the same in every language: names and symbols, not words. */
const SAME_IN_EVERY_LANGUAGE = new Set<MessageKey>(['app.title', 'activity.fromTo', 'progress.bytes', 'preferences.kbPerSecond', 'files.noValue']);

describe('dictionaries', () => {
  const englishKeys = Object.keys(en).sort();

  it.each(LANGUAGES)('%s has exactly the English keys', (language) => {
    expect(Object.keys(DICTIONARIES[language]).sort()).toEqual(englishKeys);
  });

  it.each(LANGUAGES)('%s has no empty message', (language) => {
    const empty = Object.entries(DICTIONARIES[language]).filter(([, text]) => text.trim() === '');
    expect(empty).toEqual([]);
  });

  it.each(LANGUAGES)('%s uses the same placeholders as English in every message', (language) => {
    const mismatched = (Object.keys(en) as MessageKey[]).filter(
      (key) => JSON.stringify(placeholdersOf(en[key]).sort()) !== JSON.stringify(placeholdersOf(DICTIONARIES[language][key]).sort()),
    );
    expect(mismatched).toEqual([]);
  });

  it('has both plural forms of every plural message', () => {
    const keys = Object.keys(en);
    const incomplete = keys.filter((key) => (key.endsWith('_one') && !keys.includes(key.replace(/_one$/, '_other'))) || (key.endsWith('_other') && !keys.includes(key.replace(/_other$/, '_one'))));
    expect(incomplete).toEqual([]);
  });

  it('translates every message into Chinese', () => {
    const copies = (Object.keys(en) as MessageKey[]).filter((key) => !SAME_IN_EVERY_LANGUAGE.has(key) && zhCN[key] === en[key]);
    expect(copies).toEqual([]);
    const withoutChinese = (Object.keys(en) as MessageKey[]).filter((key) => !SAME_IN_EVERY_LANGUAGE.has(key) && !/[\u4e00-\u9fff]/.test(zhCN[key]));
    expect(withoutChinese).toEqual([]);
  });
});

describe('translator', () => {
  it.each<{ name: string; template: string; params: MessageParams; expected: string }>([
    { name: 'fills placeholders', template: 'Open {name}', params: { name: 'Docs' }, expected: 'Open Docs' },
    { name: 'formats numbers', template: '{count} files', params: { count: 12345 }, expected: '12,345 files' },
    { name: 'keeps a placeholder without a value visible', template: 'Open {name}', params: {}, expected: 'Open {name}' },
    { name: 'fills the same placeholder twice', template: '{a} and {a}', params: { a: 'x' }, expected: 'x and x' },
    { name: 'shows a bidirectional override in a name as an escape', template: 'Open {name}', params: { name: 'photo\u202egnp.exe' }, expected: 'Open photo\\u202egnp.exe' },
    { name: 'shows a newline in a name as an escape', template: 'Open {name}', params: { name: 'a\nb' }, expected: 'Open a\\u000ab' },
  ])('$name', ({ template, params, expected }) => {
    expect(interpolate(template, params, (value) => value.toLocaleString('en'))).toBe(expected);
  });

  it.each([
    { language: 'en', count: 1, expected: '1 file' },
    { language: 'en', count: 0, expected: '0 files' },
    { language: 'en', count: 2, expected: '2 files' },
    { language: 'en', count: 1500, expected: '1,500 files' },
    { language: 'zh-CN', count: 1, expected: '1 个文件' },
    { language: 'zh-CN', count: 3, expected: '3 个文件' },
  ] as const)('$language: $count -> $expected', ({ language, count, expected }) => {
    expect(createTranslator(language).tn('count.files', count)).toBe(expected);
  });

  it.each([
    { preferred: ['zh-CN', 'en'], expected: 'zh-CN' },
    { preferred: ['zh-TW'], expected: 'zh-CN' },
    { preferred: ['zh'], expected: 'zh-CN' },
    { preferred: ['en-GB', 'zh-CN'], expected: 'en' },
    { preferred: ['fr-FR', 'zh-CN'], expected: 'zh-CN' },
    { preferred: ['fr-FR'], expected: 'en' },
    { preferred: [], expected: 'en' },
  ])('guesses $expected from $preferred', ({ preferred, expected }) => {
    expect(guessLanguage(preferred)).toBe(expected);
  });
});
