// The library's file browser, end to end in Debian's Chromium: a daemon serving the built UI
// (the laptop, syncing only some folders) and a second computer (the desktop, a plain engine
// client), both syncing one library with a real cairn-server on 127.0.0.1. In English and in
// Chinese: rows with size, time to the second and state here (synced, not synced here, ignored,
// waiting to upload), folders and breadcrumbs, Open and Show in folder through the daemon's
// opener, History, and a folder of hundreds of files shown one page at a time.

import { mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LibraryStateKind } from '../../shared/api/index.js';
import { FILE_PAGE_SIZE } from '../../shared/api/index.js';
import { startDaemonService } from '../../src-main/daemon/daemonService.js';
import type { DaemonService } from '../../src-main/daemon/daemonService.js';
import { en } from '../../src-renderer/i18n/en.js';
import { zhCN } from '../../src-renderer/i18n/zhCN.js';
import { eventually } from '../support/eventually.js';
import { PASSWORD, startHarness } from '../sync/harness.js';
import type { Harness, TestClient } from '../sync/harness.js';
import { buildUi } from './support/buildUi.js';
import { CHROMIUM_FOUND, launchChromium, openPage, screenshot } from './support/chromium.js';
import { stopAll } from './support/stopAll.js';

type Messages = Readonly<Record<keyof typeof en, string>>;

const TRACKS = FILE_PAGE_SIZE * 2 + 50;

describe.skipIf(!CHROMIUM_FOUND)('the file browser of a library', () => {
  let work: string;
  let uiDir: string;
  let harness: Harness;
  let desktop: TestClient;
  let service: DaemonService;
  let browser: Browser;
  let page: Page;
  let problems: { readonly errors: string[] };
  let libraryId: string;
  let laptopRoot: string;
  /** What the daemon was asked to open (files with their app, folders in the file manager). */
  const opened: string[] = [];

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'cairn-files-e2e-'));
    uiDir = path.join(work, 'ui');
    harness = await startHarness();
    const [, client, launched] = await Promise.all([
      buildUi(uiDir),
      (async () => {
        const created = await harness.client('desktop', { libraryName: 'Documents' });
        await created.write('notes.txt', 'the notes');
        await created.write('Work/report.txt', 'the report, a little longer');
        await created.write('Music/song.mp3', 'la la la');
        await created.write('.cairnignore', 'build/\n');
        await mkdir(path.join(created.root, 'Tracks'));
        for (let number = 0; number < TRACKS; number++) await writeFile(path.join(created.root, 'Tracks', `track-${String(number).padStart(4, '0')}.txt`), `track ${number}`);
        await created.sync();
        return created;
      })(),
      launchChromium(),
    ]);
    desktop = client;
    browser = launched;
    libraryId = desktop.engine.libraries()[0]!.libraryId;
    service = await startDaemonService({
      home: path.join(work, 'laptop-profile'),
      deviceName: 'laptop',
      watcher: 'native',
      uiDir,
      retryBaseMs: 50,
      retryMaxMs: 500,
      log: () => undefined,
      openPath: async (target) => void opened.push(target),
    });
    await service.api.login({ serverUrl: harness.server.url, user: 'alice', password: PASSWORD });
    laptopRoot = path.join(work, 'laptop', 'Documents');
    await service.api.addLibrary({ libraryId, localRoot: laptopRoot, selection: ['.cairnignore', 'notes.txt', 'Work', 'Tracks'] as never });
    await waitForState('up-to-date');
    await mkdir(path.join(laptopRoot, 'build'));
    await writeFile(path.join(laptopRoot, 'build', 'out.bin'), 'built here');
    ({ page, problems } = await openPage(browser));
    await page.goto(`${service.url}/?token=${service.token}`);
    await page.getByTestId('libraries-screen').waitFor();
  }, 180_000);

  afterAll(() => stopAll(work, browser, service, harness), 60_000);

  async function waitForState(kind: LibraryStateKind): Promise<void> {
    await eventually(async () => expect((await service.api.getStatus({})).libraries[0]?.state.kind).toBe(kind), 45_000);
  }

  async function setLanguage(language: 'en' | 'zh-CN'): Promise<Messages> {
    await service.api.setPreferences({ language });
    const messages = language === 'en' ? en : zhCN;
    await eventually(async () => expect(await page.getByTestId('nav-libraries').textContent()).toBe(messages['nav.libraries']));
    return messages;
  }

  const row = (libraryPath: string) => page.locator(`[data-testid="file-row"][data-path="${libraryPath}"]`);
  const stateOf = (libraryPath: string) => row(libraryPath).getByTestId('file-state').textContent();

  it('lists each folder with sizes, times to the second and the state here, and opens, reveals and leads to history', async () => {
    for (const language of ['en', 'zh-CN'] as const) {
      const messages = await setLanguage(language);
      const tag = language === 'en' ? 'en' : 'zh';
      await page.getByTestId('nav-libraries').click();
      await page.getByRole('button', { name: messages['files.openOf'].replace('{name}', 'Documents') }).click();
      await page.getByTestId('files-screen').waitFor();
      await row('notes.txt').waitFor();

      expect(await stateOf('notes.txt')).toBe(messages['files.state.synced']);
      expect(await stateOf('Music')).toBe(messages['files.state.not-synced']);
      expect(await stateOf('build')).toBe(messages['files.state.ignored']);
      expect(await stateOf('Work')).toBe(messages['files.state.synced']);
      // Folders first, then files, each by name.
      expect(await page.getByTestId('file-row').evaluateAll((rows) => rows.map((element) => element.getAttribute('data-path')))).toEqual([
        'Music',
        'Tracks',
        'Work',
        'build',
        '.cairnignore',
        'notes.txt',
      ]);
      // The size, and the time with its seconds.
      const notes = await row('notes.txt').textContent();
      expect(notes).toContain('9');
      const time = await row('notes.txt').locator('time').getAttribute('datetime');
      expect(time).not.toBeNull();
      expect(await row('notes.txt').locator('time').textContent()).toMatch(/\d{1,2}:\d{2}:\d{2}/);
      // Music is not here: no Open, no Show in folder; History is always there.
      expect(await row('Music').getByRole('button', { name: messages['files.showInFolderOf'].replace('{path}', 'Music') }).count()).toBe(0);
      await screenshot(page, `files-01-root-${tag}`);

      // Open and Show in folder go through the daemon's opener.
      opened.length = 0;
      await row('notes.txt').getByRole('button', { name: messages['files.openFileOf'].replace('{path}', 'notes.txt') }).click();
      await eventually(async () => expect(opened).toEqual([path.join(laptopRoot, 'notes.txt')]));
      await row('notes.txt').getByRole('button', { name: messages['files.showInFolderOf'].replace('{path}', 'notes.txt') }).click();
      await eventually(async () => expect(opened).toEqual([path.join(laptopRoot, 'notes.txt'), laptopRoot]));

      // Into a folder, and back by the breadcrumbs.
      await page.getByRole('button', { name: messages['files.openFolderOf'].replace('{path}', 'Work') }).click();
      await row('Work/report.txt').waitFor();
      expect(await page.getByTestId('files-breadcrumbs').textContent()).toBe('Documents/Work');
      expect(await stateOf('Work/report.txt')).toBe(messages['files.state.synced']);
      await row('Work/report.txt').getByRole('button', { name: messages['history.openOf'].replace('{path}', 'Work/report.txt') }).click();
      await page.getByTestId('history-screen').waitFor();
      await page.getByTestId('history-version').first().waitFor();
      await page.getByRole('button', { name: messages['common.back'] }).click();
      await row('Work/report.txt').waitFor();
      await page.getByTestId('files-breadcrumbs').getByRole('button', { name: 'Documents' }).click();
      await row('notes.txt').waitFor();
    }
    expect(problems.errors).toEqual([]);
  }, 120_000);

  it('says what waits to go up while the library is paused, and that it is synced once it went', async () => {
    const messages = await setLanguage('en');
    await service.api.pauseLibrary({ libraryId });
    await writeFile(path.join(laptopRoot, 'Work', 'draft.txt'), 'written while paused');
    await page.getByRole('button', { name: messages['files.openFolderOf'].replace('{path}', 'Work') }).click();
    await row('Work/draft.txt').waitFor();
    expect(await stateOf('Work/draft.txt')).toBe(messages['files.state.upload']);
    await screenshot(page, 'files-02-waiting-en');
    await service.api.resumeLibrary({ libraryId });
    await eventually(async () => expect(await stateOf('Work/draft.txt')).toBe(messages['files.state.synced']), 45_000);
    await desktop.sync();
    expect(await desktop.read('Work/draft.txt')).toBe('written while paused');
    await page.getByTestId('files-breadcrumbs').getByRole('button', { name: 'Documents' }).click();
    await row('notes.txt').waitFor();
  }, 90_000);

  it('restores an earlier version beside the file as a copy, which reaches the other computer', async () => {
    await desktop.write('Work/report.txt', 'the report, rewritten on the desktop');
    await desktop.sync();
    await eventually(async () => expect(await readFile(path.join(laptopRoot, 'Work', 'report.txt'), 'utf8')).toBe('the report, rewritten on the desktop'), 45_000);
    const copies: string[] = [];
    for (const language of ['en', 'zh-CN'] as const) {
      const messages = await setLanguage(language);
      const tag = language === 'en' ? 'en' : 'zh';
      await page.getByTestId('nav-libraries').click();
      await page.getByRole('button', { name: messages['files.openOf'].replace('{name}', 'Documents') }).click();
      await page.getByRole('button', { name: messages['files.openFolderOf'].replace('{path}', 'Work') }).click();
      await row('Work/report.txt').getByRole('button', { name: messages['history.openOf'].replace('{path}', 'Work/report.txt') }).click();
      await page.getByTestId('history-screen').waitFor();
      const oldest = page.getByTestId('history-version').last();
      await oldest.waitFor();
      await oldest.locator('button', { hasText: messages['history.restoreCopy'] }).click();
      const notice = page.getByTestId('history-restored-copy');
      await notice.waitFor();
      const text = (await notice.textContent()) ?? '';
      const copy = /Work\/report \(restored \d{4}-\d{2}-\d{2} \d{2}\.\d{2}( 2)?\)\.txt/.exec(text)?.[0];
      expect(copy, text).toBeDefined();
      copies.push(copy!);
      expect(await readFile(path.join(laptopRoot, ...copy!.split('/')), 'utf8')).toBe('the report, a little longer');
      expect(await readFile(path.join(laptopRoot, 'Work', 'report.txt'), 'utf8')).toBe('the report, rewritten on the desktop');
      await screenshot(page, `files-05-restored-copy-${tag}`);
    }
    expect(new Set(copies).size).toBe(2);
    await eventually(async () => {
      await desktop.sync();
      for (const copy of copies) expect(await desktop.read(copy)).toBe('the report, a little longer');
    }, 45_000);
    await page.getByTestId('nav-libraries').click();
    await page.getByRole('button', { name: zhCN['files.openOf'].replace('{name}', 'Documents') }).click();
    await row('notes.txt').waitFor();
    expect(problems.errors).toEqual([]);
  }, 120_000);

  it('restores the whole library as it was at a moment into a new folder, and refuses a folder that is not new or is in a library', async () => {
    // A moment at a whole second, after everything so far, before the changes below.
    await new Promise((resolve) => setTimeout(resolve, 1100 - (Date.now() % 1000)));
    const moment = new Date(Math.floor(Date.now() / 1000) * 1000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const pad = (value: number) => String(value).padStart(2, '0');
    const local = `${moment.getFullYear()}-${pad(moment.getMonth() + 1)}-${pad(moment.getDate())}T${pad(moment.getHours())}:${pad(moment.getMinutes())}:${pad(moment.getSeconds())}`;
    await desktop.write('notes.txt', 'the notes, changed after the moment');
    await desktop.write('Work/new.txt', 'made after the moment');
    await desktop.sync();
    await eventually(async () => expect(await readFile(path.join(laptopRoot, 'Work', 'new.txt'), 'utf8').catch(() => null)).toBe('made after the moment'), 45_000);

    const full = path.join(work, 'not-empty');
    await mkdir(full);
    await writeFile(path.join(full, 'mine.txt'), 'mine');
    for (const language of ['en', 'zh-CN'] as const) {
      const messages = await setLanguage(language);
      const tag = language === 'en' ? 'en' : 'zh';
      await page.getByTestId('nav-libraries').click();
      await page.getByRole('button', { name: messages['library.settingsOf'].replace('{name}', 'Documents') }).click();
      const section = page.getByTestId('snapshot-section');
      await section.getByLabel(messages['snapshot.time']).fill(local);
      const targetField = section.getByLabel(messages['snapshot.target']);
      // Refused: a folder that is not empty, and one inside the library.
      for (const [folder, problem] of [
        [full, 'snapshot.target.not-empty'],
        [path.join(laptopRoot, 'Work', 'old'), 'snapshot.target.overlaps'],
      ] as const) {
        await targetField.fill(folder);
        await section.getByRole('button', { name: messages['snapshot.start'] }).click();
        await eventually(async () => expect(await section.getByTestId('snapshot-refused').textContent()).toBe(messages[problem]));
      }
      if (language === 'zh-CN') await screenshot(page, 'files-06-snapshot-refused-zh');
      expect(await readFile(path.join(full, 'mine.txt'), 'utf8')).toBe('mine');
      expect(await readFile(path.join(laptopRoot, 'Work', 'old'), 'utf8').catch(() => null)).toBeNull();

      const target = path.join(work, `as-it-was-${tag}`);
      await targetField.fill(target);
      await section.getByRole('button', { name: messages['snapshot.start'] }).click();
      const done = section.getByTestId('snapshot-done');
      await done.waitFor({ timeout: 60_000 });
      expect(await done.textContent()).toContain(target);
      await screenshot(page, `files-07-snapshot-done-${tag}`);
      // The library as it was: the old notes, no later file, and what this computer does not sync too.
      expect(await readFile(path.join(target, 'notes.txt'), 'utf8')).toBe('the notes');
      expect(await readFile(path.join(target, 'Work', 'report.txt'), 'utf8')).toBe('the report, rewritten on the desktop');
      expect(await readFile(path.join(target, 'Work', 'new.txt'), 'utf8').catch(() => null)).toBeNull();
      expect(await readFile(path.join(target, 'Music', 'song.mp3'), 'utf8')).toBe('la la la');
      expect(await readFile(path.join(target, 'Tracks', 'track-0449.txt'), 'utf8')).toBe('track 449');
    }
    // The library itself is as it was before the restores.
    expect(await readFile(path.join(laptopRoot, 'notes.txt'), 'utf8')).toBe('the notes, changed after the moment');
    await page.getByTestId('nav-libraries').click();
    await page.getByRole('button', { name: zhCN['files.openOf'].replace('{name}', 'Documents') }).click();
    await row('notes.txt').waitFor();
    expect(problems.errors).toEqual([]);
  }, 180_000);

  it('opens any version from the history, and from Activity a file that is still here', async () => {
    // A file deleted on the other computer: its activity line offers neither Open nor Show in folder.
    await (await import('node:fs/promises')).rm(path.join(desktop.root, 'Work', 'new.txt'));
    await desktop.sync();
    await eventually(async () => expect(await readFile(path.join(laptopRoot, 'Work', 'new.txt'), 'utf8').catch(() => null)).toBeNull(), 45_000);
    for (const language of ['en', 'zh-CN'] as const) {
      const messages = await setLanguage(language);
      const tag = language === 'en' ? 'en' : 'zh';
      await page.getByTestId('nav-libraries').click();
      await page.getByRole('button', { name: messages['files.openOf'].replace('{name}', 'Documents') }).click();
      await page.getByRole('button', { name: messages['files.openFolderOf'].replace('{path}', 'Work') }).click();
      await row('Work/report.txt').getByRole('button', { name: messages['history.openOf'].replace('{path}', 'Work/report.txt') }).click();
      const oldest = page.getByTestId('history-version').last();
      await oldest.waitFor();
      opened.length = 0;
      await oldest.locator('button', { hasText: messages['history.openVersion'] }).click();
      await eventually(async () => expect(opened).toHaveLength(1));
      const copy = opened[0]!;
      expect(copy.startsWith(path.join(work, 'laptop-profile', 'opened-versions') + path.sep)).toBe(true);
      expect(await readFile(copy, 'utf8')).toBe('the report, a little longer');
      expect((await stat(copy)).mode & 0o222).toBe(0);
      await screenshot(page, `files-08-history-open-${tag}`);

      await page.getByTestId('nav-activity').click();
      await page.getByTestId('activity-screen').waitFor();
      await page.getByLabel(messages['activity.filterText'], { exact: true }).fill('Work/');
      const report = page.getByTestId('activity-entry').filter({ hasText: 'Work/report.txt' }).first();
      const openReport = report.getByRole('button', { name: messages['files.openFileOf'].replace('{path}', 'Work/report.txt') });
      await openReport.waitFor();
      opened.length = 0;
      await openReport.click();
      await report.getByRole('button', { name: messages['files.showInFolderOf'].replace('{path}', 'Work/report.txt') }).click();
      await eventually(async () => expect(opened).toEqual([path.join(laptopRoot, 'Work', 'report.txt'), path.join(laptopRoot, 'Work')]));
      const gone = page.getByTestId('activity-entry').filter({ hasText: 'Work/new.txt' });
      await gone.first().waitFor();
      expect(await gone.getByRole('button', { name: messages['files.openFileOf'].replace('{path}', 'Work/new.txt') }).count()).toBe(0);
      expect(await gone.getByRole('button', { name: messages['files.showInFolderOf'].replace('{path}', 'Work/new.txt') }).count()).toBe(0);
      await screenshot(page, `files-09-activity-open-${tag}`);
      await page.getByLabel(messages['activity.filterText'], { exact: true }).fill('');
    }
    await page.getByTestId('nav-libraries').click();
    await page.getByRole('button', { name: zhCN['files.openOf'].replace('{name}', 'Documents') }).click();
    await row('notes.txt').waitFor();
    expect(problems.errors).toEqual([]);
  }, 120_000);

  it('shows a folder of hundreds of files one page at a time', async () => {
    for (const language of ['en', 'zh-CN'] as const) {
      const messages = await setLanguage(language);
      const tag = language === 'en' ? 'en' : 'zh';
      await page.getByRole('button', { name: messages['files.openFolderOf'].replace('{path}', 'Tracks') }).click();
      await row('Tracks/track-0000.txt').waitFor();
      expect(await page.getByTestId('file-row').count()).toBe(FILE_PAGE_SIZE);
      const range = (from: number, to: number) =>
        messages['files.range'].replace('{from}', String(from)).replace('{to}', String(to)).replace('{total}', String(TRACKS));
      expect(await page.getByTestId('files-range').textContent()).toBe(range(1, FILE_PAGE_SIZE));
      await page.getByRole('button', { name: messages['files.next'] }).click();
      await row(`Tracks/track-${String(FILE_PAGE_SIZE).padStart(4, '0')}.txt`).waitFor();
      expect(await page.getByTestId('file-row').count()).toBe(FILE_PAGE_SIZE);
      await page.getByRole('button', { name: messages['files.next'] }).click();
      await row(`Tracks/track-${String(TRACKS - 1).padStart(4, '0')}.txt`).waitFor();
      expect(await page.getByTestId('file-row').count()).toBe(50);
      expect(await page.getByTestId('files-range').textContent()).toBe(range(FILE_PAGE_SIZE * 2 + 1, TRACKS));
      expect(await page.getByRole('button', { name: messages['files.next'] }).isDisabled()).toBe(true);
      await screenshot(page, `files-03-last-page-${tag}`);
      await page.getByRole('button', { name: messages['files.previous'] }).click();
      await row(`Tracks/track-${String(FILE_PAGE_SIZE).padStart(4, '0')}.txt`).waitFor();
      await page.getByTestId('files-breadcrumbs').getByRole('button', { name: 'Documents' }).click();
      await row('notes.txt').waitFor();
    }
    // The dark theme, for the record.
    await service.api.setPreferences({ theme: 'dark', language: 'en' });
    await page.waitForTimeout(300);
    await screenshot(page, 'files-04-root-dark');
    await page.getByRole('button', { name: en['files.openFolderOf'].replace('{path}', 'Work') }).click();
    await row('Work/report.txt').getByRole('button', { name: en['history.openOf'].replace('{path}', 'Work/report.txt') }).click();
    await page.getByTestId('history-version').last().waitFor();
    await screenshot(page, 'files-04-history-dark');
    await page.getByTestId('nav-libraries').click();
    await page.getByRole('button', { name: en['library.settingsOf'].replace('{name}', 'Documents') }).click();
    await page.getByTestId('snapshot-section').waitFor();
    await screenshot(page, 'files-04-settings-dark');
    await service.api.setPreferences({ theme: 'system' });
    expect(problems.errors).toEqual([]);
  }, 120_000);
});
