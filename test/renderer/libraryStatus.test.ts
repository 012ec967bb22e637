// How library states read: only 'up-to-date' reads "Up to date", breakers ask for attention,
// progress never claims 100 % before the end, and the overall sentence puts the most pressing
// fact first.

import { describe, expect, it } from 'vitest';
import type { LibraryState, LibraryView, RoundProgressView, SyncStatus } from '../../shared/api/index.js';
import { en } from '../../src-renderer/i18n/en.js';
import { createTranslator } from '../../src-renderer/i18n/translate.js';
import { overallStatus, progressFigures, progressText, restoredCopyKey, stateExplanation, stateLabel, stateTone } from '../../src-renderer/state/libraryStatus.js';

const progress: RoundProgressView = { filesDone: 3, filesTotal: 10, bytesDone: 512, bytesTotal: 2048, bytesPerSecond: 1024, secondsLeft: 1.5 };

const STATES: readonly { readonly state: LibraryState; readonly label: string; readonly tone: string }[] = [
  { state: { kind: 'up-to-date' }, label: 'Up to date', tone: 'ok' },
  { state: { kind: 'pending', reason: 'never-synced' }, label: 'Waiting for the first sync', tone: 'busy' },
  { state: { kind: 'pending', reason: 'changes-seen' }, label: 'Changes waiting', tone: 'busy' },
  { state: { kind: 'pending', reason: 'round-queued' }, label: 'About to sync', tone: 'busy' },
  { state: { kind: 'scanning', progress }, label: 'Looking for changes', tone: 'busy' },
  { state: { kind: 'syncing', phase: 'uploading', progress }, label: 'Uploading', tone: 'busy' },
  { state: { kind: 'syncing', phase: 'downloading', progress }, label: 'Downloading', tone: 'busy' },
  { state: { kind: 'syncing', phase: 'committing', progress }, label: 'Saving changes on the server', tone: 'busy' },
  { state: { kind: 'syncing', phase: 'applying', progress }, label: 'Applying changes', tone: 'busy' },
  { state: { kind: 'needs-attention' }, label: 'Needs your attention', tone: 'attention' },
  { state: { kind: 'paused', reason: 'user', since: 1 }, label: 'Paused', tone: 'paused' },
  { state: { kind: 'paused', reason: 'all-paused', since: 1 }, label: 'Paused with all libraries', tone: 'paused' },
  // The round in flight is still being stopped: never "Paused" while it runs.
  { state: { kind: 'paused', reason: 'user', since: 1, stopping: true }, label: 'Pausing…', tone: 'paused' },
  { state: { kind: 'paused', reason: 'all-paused', since: 1, stopping: true }, label: 'Pausing…', tone: 'paused' },
  { state: { kind: 'paused', reason: 'root-missing', since: 1 }, label: 'Stopped: folder missing', tone: 'attention' },
  { state: { kind: 'paused', reason: 'root-emptied', since: 1 }, label: 'Stopped: folder emptied', tone: 'attention' },
  { state: { kind: 'paused', reason: 'mass-delete', since: 1 }, label: 'Stopped: many deletions', tone: 'attention' },
  { state: { kind: 'offline', since: 1, retryAt: null }, label: 'Offline', tone: 'attention' },
  // Its own account is signed out here: it waits for that account, never another's.
  { state: { kind: 'signed-out' }, label: 'Signed out', tone: 'attention' },
  { state: { kind: 'error', message: 'disk full', at: 1, action: 'needs-user' }, label: 'Sync failed', tone: 'error' },
];

describe('state labels', () => {
  it.each(STATES)('$state.kind ($label)', ({ state, label, tone }) => {
    expect(en[stateLabel(state)]).toBe(label);
    expect(stateTone(state)).toBe(tone);
  });

  it('reads "up to date" for the up-to-date state only', () => {
    const upToDateTexts = new Set([en['state.upToDate'], en['overall.upToDate_one'], en['overall.upToDate_other']].map((text) => text.toLowerCase()));
    for (const { state } of STATES) {
      if (state.kind === 'up-to-date') continue;
      const label = en[stateLabel(state)].toLowerCase();
      expect(upToDateTexts.has(label), `${state.kind} reads ${label}`).toBe(false);
      expect(label).not.toContain('up to date');
    }
  });

  it.each([
    { state: { kind: 'paused', reason: 'root-missing', since: 1 }, key: 'state.explain.rootMissing' },
    { state: { kind: 'paused', reason: 'user', since: 1 }, key: null },
    { state: { kind: 'error', message: 'x', at: 1, action: 'retry-later' }, key: 'state.explain.errorRetries' },
    { state: { kind: 'error', message: 'x', at: 1, action: 'needs-user' }, key: 'state.explain.errorNeedsUser' },
    { state: { kind: 'up-to-date' }, key: null },
  ] as const)('explains $state.kind $key', ({ state, key }) => {
    expect(stateExplanation(state)).toBe(key);
  });
});

describe('progressFigures', () => {
  it.each([
    { name: 'bytes measure progress', progress: { ...progress }, fraction: 0.25, percent: 25 },
    { name: 'files count when no bytes move', progress: { ...progress, bytesDone: 0, bytesTotal: 0 }, fraction: 0.3, percent: 30 },
    { name: 'indeterminate when nothing is known', progress: { filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0, bytesPerSecond: null, secondsLeft: null }, fraction: null, percent: null },
    { name: 'never 100 % before the last byte', progress: { ...progress, bytesDone: 2047 }, fraction: 2047 / 2048, percent: 99 },
    { name: '100 % at the end', progress: { ...progress, bytesDone: 2048 }, fraction: 1, percent: 100 },
  ])('$name', ({ progress: input, fraction, percent }) => {
    const figures = progressFigures(input);
    expect(figures.fraction).toBe(fraction);
    expect(figures.percent).toBe(percent);
  });

  it('drops a rate of zero and an endless time', () => {
    const figures = progressFigures({ ...progress, bytesPerSecond: 0, secondsLeft: Number.POSITIVE_INFINITY });
    expect(figures.bytesPerSecond).toBeNull();
    expect(figures.secondsLeft).toBeNull();
  });

  it.each([
    { language: 'en', input: progress, expected: '3 of 10 files · 512 B of 2 KB · 1 KB/s · about 2 s left' },
    { language: 'zh-CN', input: progress, expected: '3 / 10 个文件 · 512 B / 2 KB · 1 KB/s · 约剩 2秒' },
    { language: 'en', input: { ...progress, bytesTotal: 0, bytesDone: 0, bytesPerSecond: null, secondsLeft: null }, expected: '3 of 10 files' },
    { language: 'en', input: { ...progress, secondsLeft: 0.4 }, expected: '3 of 10 files · 512 B of 2 KB · 1 KB/s · almost done' },
    { language: 'zh-CN', input: { ...progress, secondsLeft: 0 }, expected: '3 / 10 个文件 · 512 B / 2 KB · 1 KB/s · 即将完成' },
    { language: 'en', input: { filesDone: 0, filesTotal: 1, bytesDone: 0, bytesTotal: 0, bytesPerSecond: null, secondsLeft: null }, expected: '0 of 1 file' },
  ] as const)('reads "$expected"', ({ language, input, expected }) => {
    expect(progressText(progressFigures(input), createTranslator(language))).toBe(expected);
  });
});

function library(libraryId: string, state: LibraryState): LibraryView {
  return { libraryId, name: libraryId, localRoot: `/home/ann/${libraryId}`, selection: null, state, lastSyncAt: 1, openConflicts: 0, problemCount: 0, autoMerge: false };
}

function status(states: LibraryState[], allPaused = false): SyncStatus {
  return {
    account: { serverUrl: 'https://cairn.example.com', user: 'ann', deviceName: 'laptop' },
    allPaused,
    libraries: states.map((state, index) => library(`library-000${index}`, state)),
  };
}

describe('overallStatus', () => {
  const upToDate: LibraryState = { kind: 'up-to-date' };
  const syncing: LibraryState = { kind: 'syncing', phase: 'downloading', progress };
  const failed: LibraryState = { kind: 'error', message: 'x', at: 1, action: 'retry-later' };
  const offline: LibraryState = { kind: 'offline', since: 1, retryAt: null };
  const paused: LibraryState = { kind: 'paused', reason: 'user', since: 1 };
  const breaker: LibraryState = { kind: 'paused', reason: 'mass-delete', since: 1 };
  const attention: LibraryState = { kind: 'needs-attention' };

  it.each([
    { name: 'no library', input: status([]), key: 'overall.noLibraries', count: 0 },
    { name: 'every library up to date', input: status([upToDate, upToDate]), key: 'overall.upToDate', count: 2 },
    { name: 'all paused', input: status([paused, paused], true), key: 'overall.allPaused', count: 2 },
    { name: 'an error first', input: status([syncing, failed, offline]), key: 'overall.error', count: 1 },
    { name: 'offline before syncing', input: status([syncing, offline]), key: 'overall.offline', count: 1 },
    { name: 'syncing', input: status([upToDate, syncing, { kind: 'pending', reason: 'changes-seen' }]), key: 'overall.syncing', count: 2 },
    { name: 'a breaker needs attention', input: status([upToDate, breaker]), key: 'overall.attention', count: 1 },
    { name: 'conflicts need attention', input: status([attention, paused]), key: 'overall.attention', count: 1 },
    { name: 'a paused library is not up to date', input: status([upToDate, paused]), key: 'overall.paused', count: 1 },
  ])('$name', ({ input, key, count }) => {
    expect(overallStatus(input)).toMatchObject({ key, count });
  });
});

describe('what a copy restored from the history becomes', () => {
  it('says it stays on this computer in a read-only library, and syncs elsewhere, in both languages', () => {
    const copy = { path: 'Work/plan (restored 2026-12-07 09.30).md' };
    for (const language of ['en', 'zh-CN'] as const) {
      const { t } = createTranslator(language);
      const readOnly = t(restoredCopyKey({ role: 'ro' }), copy);
      expect(readOnly).toContain(copy.path);
      expect(readOnly).toBe(language === 'en' ? 'The version is saved beside the file as Work/plan (restored 2026-12-07 09.30).md, kept on this computer only: this library is read-only.' : '该版本已保存在原文件旁，名为 Work/plan (restored 2026-12-07 09.30).md，仅保留在这台电脑上：此资料库是只读的。');
      for (const role of ['owner', 'rw', null, undefined] as const) expect(t(restoredCopyKey({ role }), copy)).not.toBe(readOnly);
    }
    expect(restoredCopyKey({ role: 'rw' })).toBe('history.restoredCopy');
    expect(restoredCopyKey(undefined)).toBe('history.restoredCopy');
  });
});
