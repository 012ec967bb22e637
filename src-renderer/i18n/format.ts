// Numbers as each language writes them: sizes, transfer rates, durations, relative and absolute
// times. Sizes use binary multiples (1 KB = 1024 bytes) like the file managers of most desktops,
// so a folder's size here matches what the user sees there.

import type { Language } from '../../shared/api/index.js';

const SIZE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'] as const;

function locale(language: Language): string {
  return language === 'zh-CN' ? 'zh-CN' : 'en';
}

export function formatCount(value: number, language: Language): string {
  return new Intl.NumberFormat(locale(language)).format(value);
}

/** 0 B, 512 B, 1.5 KB, 12 MB, 3.2 GB: one decimal below 10 units, none above. */
export function formatBytes(bytes: number, language: Language): string {
  const digitsFor = (value: number, unit: number) => (unit === 0 || value >= 10 ? 0 : 1);
  let value = Math.max(0, bytes);
  let unit = 0;
  // Moves up a unit while the value would print as 1024 or more, so 1023.96 KB reads 1 MB.
  while (unit < SIZE_UNITS.length - 1 && Number(value.toFixed(digitsFor(value, unit))) >= 1024) {
    value /= 1024;
    unit++;
  }
  const number = new Intl.NumberFormat(locale(language), { maximumFractionDigits: digitsFor(value, unit) }).format(value);
  return `${number} ${SIZE_UNITS[unit]}`;
}

export function formatRate(bytesPerSecond: number, language: Language): string {
  return `${formatBytes(bytesPerSecond, language)}/s`;
}

/** Units of a duration, and the space between a number and its unit and between two parts. */
const DURATION_UNITS: Readonly<Record<Language, { readonly hours: string; readonly minutes: string; readonly seconds: string; readonly space: string }>> = {
  en: { hours: 'h', minutes: 'min', seconds: 's', space: ' ' },
  'zh-CN': { hours: '小时', minutes: '分钟', seconds: '秒', space: '' },
};

/** A time span in its two largest units: 45 s, 3 min 20 s, 2 h 5 min (45秒, 3分钟20秒). */
export function formatDuration(seconds: number, language: Language): string {
  const units = DURATION_UNITS[language];
  const total = Math.max(0, Math.round(seconds));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const rest = total % 60;
  const part = (value: number, unit: string) => `${formatCount(value, language)}${units.space}${unit}`;
  const parts =
    hours > 0
      ? [part(hours, units.hours), ...(minutes > 0 ? [part(minutes, units.minutes)] : [])]
      : minutes > 0
        ? [part(minutes, units.minutes), ...(rest > 0 ? [part(rest, units.seconds)] : [])]
        : [part(rest, units.seconds)];
  return parts.join(units.space);
}

const RELATIVE_STEPS: readonly { readonly unit: Intl.RelativeTimeFormatUnit; readonly seconds: number }[] = [
  { unit: 'year', seconds: 365 * 24 * 3600 },
  { unit: 'month', seconds: 30 * 24 * 3600 },
  { unit: 'week', seconds: 7 * 24 * 3600 },
  { unit: 'day', seconds: 24 * 3600 },
  { unit: 'hour', seconds: 3600 },
  { unit: 'minute', seconds: 60 },
  { unit: 'second', seconds: 1 },
];

const JUST_NOW: Readonly<Record<Language, string>> = { en: 'just now', 'zh-CN': '刚刚' };

/** "just now", "5 minutes ago", "in 20 seconds", "yesterday" (刚刚, 5分钟前, 20秒钟后, 昨天). */
export function formatRelativeTime(atMs: number, nowMs: number, language: Language): string {
  const deltaSeconds = (atMs - nowMs) / 1000;
  const format = new Intl.RelativeTimeFormat(locale(language), { numeric: 'auto' });
  if (deltaSeconds <= 0 && deltaSeconds > -45) return JUST_NOW[language];
  if (deltaSeconds > 0 && deltaSeconds < 45) return format.format(Math.max(1, Math.round(deltaSeconds)), 'second');
  const step = RELATIVE_STEPS.find((candidate) => Math.abs(deltaSeconds) >= candidate.seconds) ?? RELATIVE_STEPS[RELATIVE_STEPS.length - 1]!;
  return format.format(Math.round(deltaSeconds / step.seconds), step.unit);
}

/** A moment as the user's language writes it, with date and time. */
export function formatDateTime(atMs: number, language: Language): string {
  return new Intl.DateTimeFormat(locale(language), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(atMs));
}

/** Date and time to the second. */
export function formatExactTime(atMs: number, language: Language): string {
  return new Intl.DateTimeFormat(locale(language), { dateStyle: 'medium', timeStyle: 'medium' }).format(new Date(atMs));
}
