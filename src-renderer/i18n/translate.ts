// The translator the components use: a message by key in the current language, with {name}
// placeholders filled in, plural forms picked by the language's rules, and the formatters of
// format.ts bound to the language.

import type { Language } from '../../shared/api/index.js';
import { LANGUAGES } from '../../shared/api/index.js';
import type { MessageKey, Messages, PluralKey } from './en.js';
import { en } from './en.js';
import { escapeControlCharacters } from '../../shared/displayText.js';
import { formatBytes, formatCount, formatDateTime, formatDuration, formatExactTime, formatRate, formatRelativeTime } from './format.js';
import { zhCN } from './zhCN.js';

export const DICTIONARIES: Readonly<Record<Language, Messages>> = { en, 'zh-CN': zhCN };

/** Each language's own name for itself, as a language picker lists it. */
export const LANGUAGE_NAMES: Readonly<Record<Language, string>> = { en: 'English', 'zh-CN': '简体中文' };

export type MessageParams = Readonly<Record<string, string | number>>;

/** The {name} placeholders of a message, in order of appearance. */
export function placeholdersOf(template: string): string[] {
  return [...template.matchAll(/\{([A-Za-z][A-Za-z0-9]*)\}/g)].map((match) => match[1]!);
}

/**
 * Fills {name} placeholders; a placeholder without a value stays visible rather than vanishing.
 * A text value (a file name, a device name, a server's words) has its control characters shown
 * as escapes: a right-to-left override in a name must not make "txt.exe" read as "exe.txt".
 */
export function interpolate(template: string, params: MessageParams, formatNumber: (value: number) => string): string {
  return template.replace(/\{([A-Za-z][A-Za-z0-9]*)\}/g, (whole, name: string) => {
    const value = params[name];
    if (value === undefined) return whole;
    return typeof value === 'number' ? formatNumber(value) : escapeControlCharacters(value);
  });
}

export interface Translator {
  readonly language: Language;
  t(key: MessageKey, params?: MessageParams): string;
  /** The plural form of `key` for `count` (also available as the {count} placeholder). */
  tn(key: PluralKey, count: number, params?: MessageParams): string;
  count(value: number): string;
  bytes(value: number): string;
  rate(bytesPerSecond: number): string;
  duration(seconds: number): string;
  relativeTime(atMs: number, nowMs: number): string;
  /** A moment in the past ("5 minutes ago"); one a little ahead of this clock reads "just now". */
  timeAgo(atMs: number, nowMs: number): string;
  dateTime(atMs: number): string;
  /** A moment with its seconds, where the exact time matters (versions in a history). */
  exactTime(atMs: number): string;
}

export function createTranslator(language: Language): Translator {
  const messages = DICTIONARIES[language];
  const plurals = new Intl.PluralRules(language);
  const count = (value: number) => formatCount(value, language);
  const t = (key: MessageKey, params: MessageParams = {}) => interpolate(messages[key], params, count);
  return {
    language,
    t,
    tn(key, value, params = {}) {
      // Our languages need only 'one' and 'other'; every other category reads as 'other'.
      const form: MessageKey = plurals.select(value) === 'one' ? `${key}_one` : `${key}_other`;
      return t(form, { ...params, count: value });
    },
    count,
    bytes: (value) => formatBytes(value, language),
    rate: (value) => formatRate(value, language),
    duration: (seconds) => formatDuration(seconds, language),
    relativeTime: (atMs, nowMs) => formatRelativeTime(atMs, nowMs, language),
    timeAgo: (atMs, nowMs) => formatRelativeTime(Math.min(atMs, nowMs), nowMs, language),
    dateTime: (atMs) => formatDateTime(atMs, language),
    exactTime: (atMs) => formatExactTime(atMs, language),
  };
}

/** The language to show before the preferences are known: the browser's, if we have it. */
export function guessLanguage(preferred: readonly string[]): Language {
  for (const tag of preferred) {
    const lower = tag.toLowerCase();
    if (lower === 'zh' || lower.startsWith('zh-')) return 'zh-CN';
    if (lower === 'en' || lower.startsWith('en-')) return 'en';
    const exact = LANGUAGES.find((language) => language.toLowerCase() === lower);
    if (exact !== undefined) return exact;
  }
  return 'en';
}
