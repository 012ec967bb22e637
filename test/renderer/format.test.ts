// Sizes, rates, durations and times as each language writes them.

import { describe, expect, it } from 'vitest';
import type { Language } from '../../shared/api/index.js';
import { formatBytes, formatDateTime, formatDuration, formatRate, formatRelativeTime } from '../../src-renderer/i18n/format.js';

describe('formatBytes', () => {
  it.each([
    { bytes: 0, expected: '0 B' },
    { bytes: 512, expected: '512 B' },
    { bytes: 1023, expected: '1,023 B' },
    { bytes: 1024, expected: '1 KB' },
    { bytes: 1536, expected: '1.5 KB' },
    { bytes: 10 * 1024 + 300, expected: '10 KB' },
    { bytes: 1024 * 1024 - 1, expected: '1 MB' },
    { bytes: 5.25 * 1024 * 1024, expected: '5.3 MB' },
    { bytes: 734 * 1024 * 1024, expected: '734 MB' },
    { bytes: 3.2 * 1024 ** 3, expected: '3.2 GB' },
    { bytes: 2 * 1024 ** 4, expected: '2 TB' },
    { bytes: -5, expected: '0 B' },
  ])('$bytes bytes -> $expected', ({ bytes, expected }) => {
    expect(formatBytes(bytes, 'en')).toBe(expected);
  });

  it('writes sizes the same way in Chinese', () => {
    expect(formatBytes(1536, 'zh-CN')).toBe('1.5 KB');
    expect(formatBytes(5.25 * 1024 * 1024, 'zh-CN')).toBe('5.3 MB');
  });

  it.each([
    { rate: 1024 * 1024, language: 'en', expected: '1 MB/s' },
    { rate: 300 * 1024, language: 'zh-CN', expected: '300 KB/s' },
  ] as const)('rate $rate in $language -> $expected', ({ rate, language, expected }) => {
    expect(formatRate(rate, language)).toBe(expected);
  });
});

describe('formatDuration', () => {
  it.each([
    { seconds: 0, en: '0 s', zh: '0秒' },
    { seconds: 44.6, en: '45 s', zh: '45秒' },
    { seconds: 60, en: '1 min', zh: '1分钟' },
    { seconds: 200, en: '3 min 20 s', zh: '3分钟20秒' },
    { seconds: 3600, en: '1 h', zh: '1小时' },
    { seconds: 7500, en: '2 h 5 min', zh: '2小时5分钟' },
    { seconds: 7512, en: '2 h 5 min', zh: '2小时5分钟' },
    { seconds: 30 * 3600, en: '30 h', zh: '30小时' },
  ])('$seconds s -> $en / $zh', ({ seconds, en, zh }) => {
    expect(formatDuration(seconds, 'en')).toBe(en);
    expect(formatDuration(seconds, 'zh-CN')).toBe(zh);
  });
});

describe('formatRelativeTime', () => {
  const now = Date.UTC(2025, 5, 15, 12, 0, 0);
  it.each([
    { delta: 0, en: 'just now', zh: '刚刚' },
    { delta: -30_000, en: 'just now', zh: '刚刚' },
    { delta: -5 * 60_000, en: '5 minutes ago', zh: '5分钟前' },
    { delta: -2 * 3600_000, en: '2 hours ago', zh: '2小时前' },
    { delta: -24 * 3600_000, en: 'yesterday', zh: '昨天' },
    { delta: -3 * 24 * 3600_000, en: '3 days ago', zh: '3天前' },
    { delta: 20_000, en: 'in 20 seconds', zh: '20秒钟后' },
    { delta: 3 * 60_000, en: 'in 3 minutes', zh: '3分钟后' },
  ])('$delta ms -> $en / $zh', ({ delta, en, zh }) => {
    expect(formatRelativeTime(now + delta, now, 'en')).toBe(en);
    expect(formatRelativeTime(now + delta, now, 'zh-CN')).toBe(zh);
  });
});

describe('formatDateTime', () => {
  it.each(['en', 'zh-CN'] satisfies Language[])('writes the year of the date in %s', (language) => {
    const text = formatDateTime(Date.UTC(2025, 5, 15, 12, 0, 0), language);
    expect(text).toContain('2025');
    if (language === 'zh-CN') expect(text).toMatch(/年/);
  });
});
