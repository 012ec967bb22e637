// Both dictionaries say everything, each in its own language: the same keys, no empty text,
// every argument shown, and the Chinese one actually in Chinese.

import { describe, expect, it } from 'vitest';
import { LANGUAGES } from '../../shared/api/index.js';
import { APP_MESSAGES, TRAY_STATES, appMessages } from '../../src-main/electron/appMessages.js';
import type { AppMessages } from '../../src-main/electron/appMessages.js';

/** Every text of a dictionary, with the functions called on sample arguments, keyed by path. */
function texts(messages: AppMessages): Map<string, string> {
  const result = new Map<string, string>();
  const visit = (prefix: string, value: unknown) => {
    if (typeof value === 'string') result.set(prefix, value);
    else if (typeof value === 'function') {
      const sample = (value as (...args: unknown[]) => unknown).length === 2 ? ['7', 'SAMPLE-DETAIL'] : ['SAMPLE-NAME'];
      const numeric = (value as (...args: unknown[]) => unknown).length === 2 && /Progress/i.test(prefix) ? [5, 9] : null;
      result.set(`${prefix}()`, String((value as (...args: unknown[]) => unknown)(...(numeric ?? sample))));
      if ((value as (...args: unknown[]) => unknown).length === 1) {
        result.set(`${prefix}(1)`, String((value as (argument: unknown) => unknown)(1)));
        result.set(`${prefix}(3)`, String((value as (argument: unknown) => unknown)(3)));
      }
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, inner] of Object.entries(value)) visit(prefix === '' ? key : `${prefix}.${key}`, inner);
    }
  };
  visit('', messages);
  return result;
}

describe('the main process dictionaries', () => {
  it('exist for every language of the preferences', () => {
    expect(Object.keys(APP_MESSAGES).sort()).toEqual([...LANGUAGES].sort());
    for (const language of LANGUAGES) expect(appMessages(language)).toBe(APP_MESSAGES[language]);
  });

  it('have the same entries in every language, none empty', () => {
    const english = texts(APP_MESSAGES.en);
    for (const language of LANGUAGES) {
      const other = texts(APP_MESSAGES[language]);
      expect([...other.keys()].sort()).toEqual([...english.keys()].sort());
      for (const [key, text] of other) expect(text.trim(), `${language} ${key}`).not.toBe('');
    }
  });

  it('name every tray state', () => {
    for (const language of LANGUAGES) expect(Object.keys(APP_MESSAGES[language].stateNames).sort()).toEqual([...TRAY_STATES].sort());
  });

  it('show every argument they are given', () => {
    for (const language of LANGUAGES) {
      const messages = APP_MESSAGES[language];
      expect(messages.openFolder('Family Photos')).toContain('Family Photos');
      expect(messages.conflictTitle('Family Photos')).toContain('Family Photos');
      expect(messages.engineRestarting(12, 'exit code 3')).toMatch(/12.*exit code 3/);
      expect(messages.conflicts(4)).toContain('4');
      expect(messages.filesProgress(5, 9)).toMatch(/5.*9/);
      expect(messages.tooltip('STATE', 'DETAIL')).toMatch(/Cairn.*STATE.*DETAIL/);
      expect(messages.tooltip('STATE', null)).not.toContain('null');
    }
  });

  it('translate everything into Chinese except the product name', () => {
    const english = texts(APP_MESSAGES.en);
    const chinese = texts(APP_MESSAGES['zh-CN']);
    for (const [key, text] of chinese) {
      if (key === 'productName') {
        expect(text).toBe('Cairn');
        continue;
      }
      expect(text, key).not.toBe(english.get(key));
      // The tooltip only arranges translated parts, with Chinese punctuation.
      if (key !== 'tooltip()') expect(text, key).toMatch(/[\u4e00-\u9fff]/);
    }
  });

  it('count in English with singular and plural', () => {
    const messages = APP_MESSAGES.en;
    expect([messages.conflicts(1), messages.conflicts(2)]).toEqual(['1 conflict to resolve', '2 conflicts to resolve']);
    expect([messages.syncingLibraries(1), messages.syncingLibraries(3)]).toEqual(['Syncing 1 library', 'Syncing 3 libraries']);
    expect([messages.librariesNeedAttention(1), messages.librariesNeedAttention(2)]).toEqual(['1 library needs your attention', '2 libraries need your attention']);
    expect([messages.conflictBody(1), messages.conflictBody(2)]).toEqual([
      'Both versions of 1 file were kept. Open Cairn to choose.',
      'Both versions of 2 files were kept. Open Cairn to choose.',
    ]);
  });
});
