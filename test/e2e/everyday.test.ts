// Everyday rough edges of the UI, end to end in Debian's Chromium: a daemon serving the built UI
// (the laptop) and a second computer (the desktop, a plain engine client), both syncing one
// library with a real cairn-server on 127.0.0.1. Each step checks the disk or the server as well
// as the screen, in English and in Chinese, and saves screenshots of what the screen showed.
//
// - Deselecting folders asks first, saying what leaves this computer, logs it, and leaving
//   the tree with unsaved changes asks too.
// - An edit here that wins over a deletion on the other computer is said as such in Activity.
// - The page recovers by itself when the daemon restarts, and says so when it cannot.

import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LibraryStateKind } from '../../shared/api/index.js';
import { CONTROL_TOKEN_FILE } from '../../src-main/daemon/controlToken.js';
import { Engine } from '../../src-main/engine/index.js';
import { startDaemonService } from '../../src-main/daemon/daemonService.js';
import type { DaemonService } from '../../src-main/daemon/daemonService.js';
import { en } from '../../src-renderer/i18n/en.js';
import { zhCN } from '../../src-renderer/i18n/zhCN.js';
import { routes } from '../../shared/protocol/index.js';
import { eventually } from '../support/eventually.js';
import { PASSWORD, startHarness } from '../sync/harness.js';
import type { Harness, TestClient } from '../sync/harness.js';
import { buildUi } from './support/buildUi.js';
import { landscapePng } from './support/png.js';
import { CHROMIUM_FOUND, launchChromium, openPage, screenshot } from './support/chromium.js';
import { stopAll } from './support/stopAll.js';

type Messages = Readonly<Record<keyof typeof en, string>>;

describe.skipIf(!CHROMIUM_FOUND)('everyday use of the UI, between two computers', () => {
  let work: string;
  let uiDir: string;
  let home: string;
  let harness: Harness;
  let desktop: TestClient;
  let service: DaemonService;
  let browser: Browser;
  let page: Page;
  let problems: { readonly errors: string[] };
  let libraryId: string;
  let laptopRoot: string;

  /** What the daemon was asked to show in the file manager. */
  const opened: string[] = [];
  const startLaptop = () =>
    startDaemonService({ home, deviceName: 'laptop', watcher: 'native', uiDir, retryBaseMs: 50, retryMaxMs: 500, log: () => undefined, openPath: async (target) => void opened.push(target) });

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'cairn-everyday-e2e-'));
    uiDir = path.join(work, 'ui');
    home = path.join(work, 'laptop-profile');
    harness = await startHarness();
    const [, client, launched] = await Promise.all([
      buildUi(uiDir),
      (async () => {
        const created = await harness.client('desktop', { libraryName: 'Documents' });
        await created.write('notes.txt', 'the notes');
        await created.write('Work/report.txt', 'the report, a little longer');
        await created.write('Work/Old/x.txt', 'old work');
        await created.write('Music/song.mp3', 'la la la');
        await created.write('Photos/a.jpg', 'a photo');
        await created.sync();
        return created;
      })(),
      launchChromium(),
    ]);
    desktop = client;
    browser = launched;
    libraryId = desktop.engine.libraries()[0]!.libraryId;
    service = await startLaptop();
    await service.api.login({ serverUrl: harness.server.url, user: 'alice', password: PASSWORD });
    laptopRoot = path.join(work, 'laptop', 'Documents');
    await service.api.addLibrary({ libraryId, localRoot: laptopRoot, selection: null });
    await waitForState('up-to-date');
    ({ page, problems } = await openPage(browser));
    await page.goto(`${service.url}/?token=${service.token}`);
    await page.getByTestId('libraries-screen').waitFor();
  }, 120_000);

  afterAll(() => stopAll(work, browser, service, harness), 60_000);

  async function waitForState(kind: LibraryStateKind): Promise<void> {
    await eventually(async () => expect((await service.api.getStatus({})).libraries[0]?.state.kind).toBe(kind), 45_000);
  }

  const laptopText = (relative: string) => readFile(path.join(laptopRoot, relative), 'utf8').catch(() => null);
  const onLaptop = (relative: string) =>
    stat(path.join(laptopRoot, relative)).then(
      () => true,
      () => false,
    );

  async function setLanguage(language: 'en' | 'zh-CN'): Promise<Messages> {
    await service.api.setPreferences({ language });
    const messages = language === 'en' ? en : zhCN;
    await eventually(async () => expect(await page.getByTestId('nav-libraries').textContent()).toBe(messages['nav.libraries']));
    return messages;
  }

  async function openSettings(messages: Messages): Promise<void> {
    await page.getByTestId('nav-libraries').click();
    await page.getByTestId('libraries-screen').waitFor();
    await page.getByRole('button', { name: messages['library.settingsOf'].replace('{name}', 'Documents') }).click();
    await page.getByTestId('library-settings-screen').waitFor();
  }

  it('asks before deselected folders leave this computer, says what leaves, and logs it', async () => {
    for (const [language, folder, files] of [
      ['en', 'Work', 2],
      ['zh-CN', 'Music', 1],
    ] as const) {
      const messages = await setLanguage(language);
      await openSettings(messages);
      const tag = language === 'en' ? 'en' : 'zh';
      if (language === 'en') {
        await page.getByRole('radio', { name: messages['selection.some'] }).check();
        for (const kept of ['Music', 'Photos']) await page.getByTestId('folder-tree').locator(`input[data-path="${kept}"]`).check();
      } else {
        await page.getByTestId('folder-tree').locator(`input[data-path="${folder}"]`).uncheck();
      }

      // Leaving with unsaved changes asks; "keep editing" stays.
      await page.getByTestId('nav-activity').click();
      const leave = page.getByRole('dialog', { name: messages['leave.title'] });
      await leave.waitFor();
      expect(await leave.textContent()).toContain(messages['leave.text'].replace('{what}', messages['leave.whatSelection']));
      await screenshot(page, `everyday-01-unsaved-selection-${tag}`);
      await leave.getByRole('button', { name: messages['leave.stay'] }).click();
      await page.getByTestId('library-settings-screen').waitFor();

      // Saving asks first, naming what leaves, and nothing leaves until confirmed.
      await page.getByRole('button', { name: messages['selection.save'] }).click();
      const confirm = page.getByRole('dialog').filter({ has: page.getByTestId('selection-leaving') });
      await confirm.getByTestId('selection-leaving').getByText(folder, { exact: true }).waitFor();
      const leavingText = await confirm.getByTestId('selection-leaving').textContent();
      expect(leavingText).toContain(language === 'en' ? `${files} files` : `${files} 个文件`);
      expect(await confirm.textContent()).toContain(messages['selection.confirmText']);
      await screenshot(page, `everyday-02-deselect-confirm-${tag}`);
      expect(await onLaptop(`${folder}/${language === 'en' ? 'report.txt' : 'song.mp3'}`)).toBe(true);
      await confirm.getByRole('button', { name: messages['selection.confirm'] }).click();
      await page.getByText(messages['selection.saved']).waitFor();
      await eventually(async () => expect(await onLaptop(folder)).toBe(false));
      expect(await laptopText('Photos/a.jpg')).toBe('a photo');

      // Activity says what happened, and the files are still on the server.
      await page.getByTestId('nav-activity').click();
      const line = page.getByTestId('activity-entry').filter({ hasText: folder }).and(page.locator('[data-kind="unselected"]'));
      await line.waitFor();
      expect(await line.textContent()).toContain(messages['activity.unselected']);
      await screenshot(page, `everyday-03-activity-unselected-${tag}`);
    }
    await desktop.sync();
    expect(await desktop.read('Work/report.txt')).toBe('the report, a little longer');
    expect(await desktop.read('Music/song.mp3')).toBe('la la la');
    await setLanguage('en');
  });

  it('says that an edit here won over a deletion on the other computer, not that it was deleted', async () => {
    await service.api.setSelection({ libraryId, selection: null });
    await eventually(async () => expect(await laptopText('notes.txt')).toBe('the notes'));
    await waitForState('up-to-date');
    await service.api.pauseLibrary({ libraryId });
    await waitForState('paused');
    await writeFile(path.join(laptopRoot, 'notes.txt'), 'the notes, edited on the laptop');
    await unlink(path.join(desktop.root, 'notes.txt'));
    await desktop.sync();
    await service.api.resumeLibrary({ libraryId });
    await eventually(async () => {
      await desktop.sync();
      expect(await desktop.read('notes.txt')).toBe('the notes, edited on the laptop');
    });
    expect(await laptopText('notes.txt')).toBe('the notes, edited on the laptop');

    for (const language of ['en', 'zh-CN'] as const) {
      const messages = await setLanguage(language);
      await page.getByTestId('nav-activity').click();
      const lines = page.getByTestId('activity-entry').filter({ hasText: 'notes.txt' });
      const kept = lines.and(page.locator('[data-kind="kept-edit"]'));
      await kept.waitFor();
      expect(await kept.textContent()).toContain(messages['activity.keptEdit']);
      expect(await lines.evaluateAll((items) => items.map((item) => item.getAttribute('data-kind')))).not.toContain('deleted');
      await screenshot(page, `everyday-04-activity-kept-edit-${language === 'en' ? 'en' : 'zh'}`);
    }
    await setLanguage('en');
  });

  it('reconnects by itself after the daemon restarts, and says so when its key changed', async () => {
    await page.getByTestId('nav-libraries').click();
    const firstUrl = service.url;
    const firstToken = service.token;
    await service.stop();
    // Meanwhile the sidebar says the service is away, not that the server is offline.
    await page.getByTestId('connection-lost').waitFor();
    await eventually(async () => expect(await page.getByTestId('overall-status').textContent()).toBe(en['app.serviceUnreachable']));
    await screenshot(page, 'everyday-05-service-away-en');

    service = await startLaptop();
    expect(service.token).toBe(firstToken);
    expect(service.url).toBe(firstUrl);
    await page.getByTestId('connection-lost').waitFor({ state: 'detached', timeout: 45_000 });
    await page.getByTestId('library-card').filter({ hasText: 'Documents' }).waitFor();
    await service.api.pauseLibrary({ libraryId });
    await eventually(async () => expect(await page.getByTestId('library-card').getByTestId('library-state').getAttribute('data-state', { timeout: 2_000 })).toBe('paused'));
    await service.api.resumeLibrary({ libraryId });

    // A new key (its file was removed): the page cannot reconnect and says why and what to do.
    for (const language of ['en', 'zh-CN'] as const) {
      const messages = await setLanguage(language);
      await service.stop();
      await unlink(path.join(home, CONTROL_TOKEN_FILE));
      service = await startLaptop();
      expect(service.token).not.toBe(firstToken);
      const notice = page.getByTestId('service-restarted');
      await notice.waitFor({ timeout: 45_000 });
      expect(await notice.textContent()).toContain(messages['app.restartedHelp']);
      await screenshot(page, `everyday-06-service-restarted-${language === 'en' ? 'en' : 'zh'}`);
      await page.goto(`${service.url}/?token=${service.token}`);
      await page.getByTestId('libraries-screen').waitFor();
    }
    await setLanguage('en');
  });

  it('keeps the sidebar in view on a long page', async () => {
    await openSettings(en);
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    expect(height).toBeGreaterThan(820);
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    await eventually(async () => expect(await page.evaluate(() => window.scrollY)).toBeGreaterThan(200));
    const brand = await page.locator('.sidebar-brand').boundingBox();
    expect(brand?.y).toBeGreaterThanOrEqual(0);
    expect(brand?.y).toBeLessThan(60);
    const footer = await page.getByTestId('overall-status').boundingBox();
    expect((footer?.y ?? 0) + (footer?.height ?? 0)).toBeLessThanOrEqual(820);
    await page.screenshot({ path: 'test-results/screenshots/everyday-07-scrolled-settings-en.png' });
    await page.evaluate(() => window.scrollTo(0, 0));
  });

  it('shows a file’s versions from Activity, previews them, and restores an earlier one on both computers', async () => {
    const firstPicture = landscapePng({ sky: [120, 170, 230], horizon: [200, 225, 250], sun: [255, 220, 90], sunX: 60, sunY: 40 });
    const secondPicture = landscapePng({ sky: [70, 60, 140], horizon: [250, 150, 90], sun: [255, 120, 60], sunX: 120, sunY: 100 });
    await desktop.write('Plans/plan.txt', 'first plan\nwith two lines\n');
    await desktop.write('Plans/view.png', firstPicture);
    await desktop.sync();
    await desktop.write('Plans/plan.txt', 'second plan\n');
    await desktop.write('Plans/view.png', secondPicture);
    await desktop.sync();
    await eventually(async () => expect(await laptopText('Plans/plan.txt')).toBe('second plan\n'), 45_000);

    for (const language of ['en', 'zh-CN'] as const) {
      const messages = await setLanguage(language);
      const tag = language === 'en' ? 'en' : 'zh';
      const file = language === 'en' ? 'Plans/plan.txt' : 'Plans/view.png';
      await page.getByTestId('nav-activity').click();
      await page.getByRole('button', { name: messages['history.openOf'].replace('{path}', file) }).first().click();
      const screen = page.getByTestId('history-screen');
      await screen.waitFor();
      expect(await screen.getByRole('heading', { level: 1 }).textContent()).toBe(messages['history.title'].replace('{path}', file));
      const versions = screen.getByTestId('history-version');
      await eventually(async () => expect(await versions.count()).toBe(2));
      expect(await versions.first().textContent()).toContain(messages['history.current']);
      expect(await versions.nth(1).textContent()).toContain(messages['history.by'].replace('{user}', 'alice').replace('{device}', 'desktop'));
      // Seconds are shown: the time reads like "Dec 7, 2026, 2:40:12 AM" or "2026年12月7日 02:40:12".
      expect(await versions.nth(1).locator('time').textContent()).toMatch(/\d:\d\d:\d\d/);
      await versions.nth(1).getByRole('button', { name: messages['history.preview'] }).click();
      const preview = versions.nth(1).getByTestId('history-preview');
      if (language === 'en') {
        await eventually(async () => expect(await preview.getAttribute('data-kind')).toBe('text'));
        expect(await preview.textContent()).toBe('first plan\nwith two lines\n');
      } else {
        await eventually(async () => expect(await preview.getAttribute('data-kind')).toBe('image'));
        expect(await preview.locator('img').evaluate((image) => (image as HTMLImageElement).naturalWidth)).toBe(240);
      }
      await screenshot(page, `everyday-08-history-${tag}`);
    }

    // Restoring the first plan makes it current on the server, here and on the other computer.
    await setLanguage('en');
    await page.getByTestId('nav-activity').click();
    await page.getByRole('button', { name: en['history.openOf'].replace('{path}', 'Plans/plan.txt') }).first().click();
    const versions = page.getByTestId('history-version');
    await eventually(async () => expect(await versions.count()).toBe(2));
    await versions.nth(1).getByRole('button', { name: en['history.restore'] }).click();
    await page.getByTestId('history-restored').waitFor();
    await eventually(async () => expect(await versions.count()).toBe(3));
    expect(await versions.first().textContent()).toContain(en['history.current']);
    await eventually(async () => expect(await laptopText('Plans/plan.txt')).toBe('first plan\nwith two lines\n'), 45_000);
    await eventually(async () => {
      await desktop.sync();
      expect(await desktop.read('Plans/plan.txt')).toBe('first plan\nwith two lines\n');
    });
    await screenshot(page, 'everyday-09-history-restored-en');
  });

  it('lists deleted files in the library’s settings and brings one back on both computers', async () => {
    await desktop.write('Plans/old notes.txt', 'notes worth keeping');
    await desktop.sync();
    await eventually(async () => expect(await laptopText('Plans/old notes.txt')).toBe('notes worth keeping'), 45_000);
    await unlink(path.join(desktop.root, 'Plans/old notes.txt'));
    await desktop.sync();
    await eventually(async () => expect(await onLaptop('Plans/old notes.txt')).toBe(false), 45_000);

    for (const language of ['zh-CN', 'en'] as const) {
      const messages = await setLanguage(language);
      await openSettings(messages);
      const trash = page.getByTestId('trash-section');
      await trash.getByRole('button', { name: messages['trash.show'] }).click();
      const item = trash.locator('[data-testid="trash-item"][data-path="Plans/old notes.txt"]');
      await item.waitFor();
      expect(await item.textContent()).toContain('desktop');
      await item.scrollIntoViewIfNeeded();
      await screenshot(page, `everyday-10-trash-${language === 'en' ? 'en' : 'zh'}`);
    }
    await page
      .getByTestId('trash-section')
      .getByRole('button', { name: en['trash.restoreOf'].replace('{path}', 'Plans/old notes.txt') })
      .click();
    await page.getByText(en['trash.restored'].replace('{path}', 'Plans/old notes.txt')).waitFor();
    await eventually(async () => expect(await laptopText('Plans/old notes.txt')).toBe('notes worth keeping'), 45_000);
    await eventually(async () => {
      await desktop.sync();
      expect(await desktop.read('Plans/old notes.txt')).toBe('notes worth keeping');
    });
  });

  /** A computer of another user: a plain engine logged in as `user`. */
  async function otherUsersComputer(user: string): Promise<Engine> {
    await harness.addUser(user);
    const engine = await Engine.open({ home: path.join(work, `${user}-profile`), deviceName: `${user}-pc` });
    await engine.login(harness.server.url, user, PASSWORD);
    return engine;
  }

  it('shares a library with another user read-only, changes the role and stops sharing', async () => {
    const bob = await otherUsersComputer('bob');
    try {
      for (const language of ['en', 'zh-CN'] as const) {
        const messages = await setLanguage(language);
        await openSettings(messages);
        const sharing = page.getByTestId('sharing-section');
        await sharing.locator('[data-testid="member"][data-user="alice"]').waitFor();
        if (language === 'en') {
          expect(await sharing.textContent()).toContain(messages['sharing.ownerPrivate']);
          await sharing.getByLabel(messages['sharing.user']).fill('bob');
          await sharing.getByLabel(messages['sharing.role'], { exact: true }).selectOption('ro');
          await sharing.getByRole('button', { name: messages['sharing.share'], exact: true }).click();
          await sharing.locator('[data-testid="member"][data-user="bob"][data-role="ro"]').waitFor();
        }
        expect(await sharing.textContent()).toContain(messages['sharing.ownerShared']);
        await sharing.scrollIntoViewIfNeeded();
        await screenshot(page, `everyday-11-sharing-owner-${language === 'en' ? 'en' : 'zh'}`);
      }
      await setLanguage('en');
      // Bob's computer sees the library as read-only, owned by alice, and syncs it.
      const seen = (await bob.listRemoteLibraries()).find((library) => library.id === libraryId);
      expect([seen?.owner, seen?.role]).toEqual(['alice', 'ro']);
      await bob.addSync(libraryId, path.join(work, 'bob', 'Documents'));
      await bob.syncNow();
      expect(await readFile(path.join(work, 'bob', 'Documents', 'Photos', 'a.jpg'), 'utf8')).toBe('a photo');

      await openSettings(en);
      const sharing = page.getByTestId('sharing-section');
      await sharing.getByLabel(en['sharing.roleOf'].replace('{user}', 'bob')).selectOption('rw');
      await sharing.locator('[data-testid="member"][data-user="bob"][data-role="rw"]').waitFor();
      expect((await bob.listRemoteLibraries()).find((library) => library.id === libraryId)?.role).toBe('rw');
      await sharing.getByRole('button', { name: en['sharing.unshareWith'].replace('{user}', 'bob') }).click();
      await sharing.locator('[data-testid="member"][data-user="bob"]').waitFor({ state: 'detached' });
      expect((await bob.listRemoteLibraries()).some((library) => library.id === libraryId)).toBe(false);
    } finally {
      await bob.close();
    }
  });

  it('shows the owner and role of a library shared with this user, and leaves it', async () => {
    const carol = await otherUsersComputer('carol');
    const designsRoot = path.join(work, 'laptop', 'Designs');
    try {
      const designs = await carol.createLibrary('Designs');
      await carol.addSync(designs.id, path.join(work, 'carol', 'Designs'));
      await writeFile(path.join(work, 'carol', 'Designs', 'logo.txt'), 'a logo');
      await carol.syncNow();
      await (await carol.server()).call(routes.setMember, { params: { libraryId: designs.id, userName: 'alice' }, body: { role: 'ro' } });
      await service.api.addLibrary({ libraryId: designs.id, localRoot: designsRoot, selection: null });
      await eventually(async () => expect(await readFile(path.join(designsRoot, 'logo.txt'), 'utf8').catch(() => null)).toBe('a logo'), 45_000);

      for (const language of ['en', 'zh-CN'] as const) {
        const messages = await setLanguage(language);
        await page.getByTestId('nav-libraries').click();
        const access = page.getByTestId('library-card').filter({ hasText: 'Designs' }).getByTestId('library-access');
        await eventually(async () => expect(await access.textContent({ timeout: 2_000 })).toBe(messages['library.ownedBy'].replace('{owner}', 'carol') + messages['library.readOnly']));
        expect(await page.getByTestId('library-card').filter({ hasText: 'Documents' }).getByTestId('library-access').textContent()).toBe(messages['library.ownedByYou']);
        await screenshot(page, `everyday-12-libraries-shared-${language === 'en' ? 'en' : 'zh'}`);
      }
      await setLanguage('en');
      await page.getByRole('button', { name: en['library.settingsOf'].replace('{name}', 'Designs') }).click();
      const sharing = page.getByTestId('sharing-section');
      await sharing.getByText(en['sharing.memberOf'].replace('{owner}', 'carol')).waitFor();
      await sharing.getByRole('button', { name: en['sharing.leave'] }).click();
      const dialog = page.getByRole('dialog', { name: en['sharing.leaveTitle'].replace('{name}', 'Designs') });
      await dialog.waitFor();
      await screenshot(page, 'everyday-13-leave-en');
      await dialog.getByRole('button', { name: en['sharing.leaveConfirm'] }).click();
      await page.getByText(en['sharing.left'].replace('{name}', 'Designs').replace('{folder}', designsRoot)).waitFor();
      expect((await service.api.getStatus({})).libraries.map((library) => library.name)).toEqual(['Documents']);
      expect((await service.api.listRemoteLibraries({})).libraries.map((library) => library.name)).toEqual(['Documents']);
      expect(await readFile(path.join(designsRoot, 'logo.txt'), 'utf8')).toBe('a logo');
    } finally {
      await carol.close();
    }
  });

  it('says what waits to go up and down while a library is paused', async () => {
    await service.api.pauseLibrary({ libraryId });
    await waitForState('paused');
    await writeFile(path.join(laptopRoot, 'Photos', 'holiday.bin'), randomBytes(2 * 1024 * 1024 - 5));
    await writeFile(path.join(laptopRoot, 'Photos', 'note.txt'), 'hello');
    await desktop.write('From desktop/d.txt', 'abc');
    await desktop.sync();
    for (const language of ['en', 'zh-CN'] as const) {
      const messages = await setLanguage(language);
      await page.getByTestId('nav-libraries').click();
      const pending = page.getByTestId('library-card').filter({ hasText: 'Documents' }).getByTestId('pending-work');
      const upload = messages['pending.upload'].replace('{files}', language === 'en' ? '2 files' : '2 个文件').replace('{bytes}', language === 'en' ? '2 MB' : '2 MB');
      const download = messages['pending.download'].replace('{files}', language === 'en' ? '1 file' : '1 个文件').replace('{bytes}', '3 B');
      await eventually(async () => {
        const text = await pending.textContent({ timeout: 2_000 });
        expect(text).toContain(upload);
        expect(text).toContain(download);
      }, 30_000);
      await screenshot(page, `everyday-14-pending-${language === 'en' ? 'en' : 'zh'}`);
    }
    await setLanguage('en');
    // Nothing moved while paused: counting what waits is not syncing.
    expect(await desktop.exists('Photos/note.txt')).toBe(false);
    expect(await onLaptop('From desktop/d.txt')).toBe(false);
    await service.api.resumeLibrary({ libraryId });
    await waitForState('up-to-date');
    await page.getByTestId('library-card').filter({ hasText: 'Documents' }).getByTestId('pending-work').waitFor({ state: 'detached' });
    expect(await laptopText('From desktop/d.txt')).toBe('abc');
    await desktop.sync();
    expect(await desktop.read('Photos/note.txt')).toBe('hello');
  });

  it('acts on a problem: shows it in its folder and adds it to the ignore rules, which reach the other computer', async () => {
    await symlink('/etc', path.join(laptopRoot, 'Photos', 'link-out'));
    for (const language of ['en', 'zh-CN'] as const) {
      const messages = await setLanguage(language);
      await page.getByTestId('nav-problems').click();
      const problem = page.getByTestId('problem').filter({ hasText: 'Photos/link-out' });
      await problem.waitFor({ timeout: 30_000 });
      await problem.getByRole('button', { name: messages['problems.revealOf'].replace('{path}', 'Photos/link-out') }).waitFor();
      // The sentence is the user's language, never the service's English.
      expect(await problem.getByTestId('problem-message').textContent()).toBe(messages['problemMessage.symlink'].replace('{path}', 'Photos/link-out'));
      expect(await problem.textContent()).not.toContain('is a symlink');
      await screenshot(page, `everyday-15-problem-actions-${language === 'en' ? 'en' : 'zh'}`);
      // So does its line in Activity.
      await page.getByTestId('nav-activity').click();
      const line = page.locator('[data-testid="activity-entry"][data-kind="problem-found"]').filter({ hasText: 'Photos/link-out' }).first();
      await eventually(async () => expect(await line.textContent({ timeout: 2_000 })).toContain(messages['problemMessage.symlink'].replace('{path}', 'Photos/link-out')));
      await page.getByTestId('nav-problems').click();
    }
    await setLanguage('en');
    const problem = page.getByTestId('problem').filter({ hasText: 'Photos/link-out' });
    await problem.getByRole('button', { name: en['problems.revealOf'].replace('{path}', 'Photos/link-out') }).click();
    await eventually(() => expect(opened).toContain(path.join(laptopRoot, 'Photos')));
    await problem.getByRole('button', { name: en['problems.ignoreOf'].replace('{path}', 'Photos/link-out') }).click();
    await page.getByText(en['problems.ignored'].replace('{rule}', '/Photos/link-out')).waitFor();
    expect(await laptopText('.cairnignore')).toBe('/Photos/link-out\n');
    await page.getByText(en['problems.emptyTitle']).waitFor({ timeout: 30_000 });
    await eventually(async () => {
      await desktop.sync();
      expect(await desktop.read('.cairnignore')).toBe('/Photos/link-out\n');
    });
    await unlink(path.join(laptopRoot, 'Photos', 'link-out'));
  });

  it('filters the activity by library, kind and name, and shows exact times', async () => {
    for (const language of ['en', 'zh-CN'] as const) {
      const messages = await setLanguage(language);
      await page.getByTestId('nav-activity').click();
      const entries = page.getByTestId('activity-entry');
      await entries.first().waitFor();
      const total = await entries.count();
      expect(await entries.first().getByTestId('activity-time').textContent()).toMatch(/\d:\d\d:\d\d/);
      await page.getByLabel(messages['activity.filterLibrary'], { exact: true }).selectOption({ label: 'Documents' });
      await page.getByLabel(messages['activity.filterKind'], { exact: true }).selectOption('downloads');
      await eventually(async () => expect(await entries.count()).toBeLessThan(total));
      expect(new Set(await entries.evaluateAll((items) => items.map((item) => item.getAttribute('data-kind'))))).toEqual(new Set(['downloaded']));
      await page.getByLabel(messages['activity.filterText'], { exact: true }).fill('plans/');
      await eventually(async () => {
        const texts = await entries.allTextContents();
        expect(texts.length).toBeGreaterThan(0);
        for (const text of texts) expect(text).toContain('Plans/');
      });
      expect(await page.getByTestId('activity-filter-note').textContent()).toContain(String(total));
      await screenshot(page, `everyday-16-activity-filtered-${language === 'en' ? 'en' : 'zh'}`);
      await page.getByLabel(messages['activity.filterKind'], { exact: true }).selectOption('all');
      await page.getByLabel(messages['activity.filterText'], { exact: true }).fill('');
      await page.getByLabel(messages['activity.filterLibrary'], { exact: true }).selectOption('');
      await eventually(async () => expect(await entries.count()).toBe(total));
    }
    await setLanguage('en');
  });

  it('follows the OS’s dark setting, and a choice of light or dark in the preferences', async () => {
    // Something in the trash, for the settings' picture.
    await unlink(path.join(desktop.root, 'Work', 'Old', 'x.txt'));
    await desktop.sync();
    await eventually(async () => expect(await onLaptop('Work/Old/x.txt')).toBe(false), 45_000);
    const background = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    const isDark = async () => {
      const [r, g, b] = ((await background()).match(/\d+/g) ?? []).map(Number);
      return (r ?? 255) + (g ?? 255) + (b ?? 255) < 3 * 80;
    };
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.getByTestId('nav-preferences').click();
    expect(await isDark()).toBe(true);
    const select = page.getByLabel(en['preferences.theme']);
    expect(await select.inputValue()).toBe('system');
    await select.selectOption('light');
    await eventually(async () => expect(await isDark()).toBe(false));
    expect((await service.api.getPreferences({})).theme).toBe('light');
    await page.emulateMedia({ colorScheme: 'light' });
    await select.selectOption('dark');
    await eventually(async () => expect(await isDark()).toBe(true));
    expect((await service.api.getPreferences({})).theme).toBe('dark');

    // Every new screen in dark colours, in both languages.
    for (const language of ['en', 'zh-CN'] as const) {
      const messages = await setLanguage(language);
      const tag = language === 'en' ? 'en' : 'zh';
      await page.getByTestId('nav-preferences').click();
      await screenshot(page, `everyday-dark-01-preferences-${tag}`);
      await page.getByTestId('nav-libraries').click();
      await service.api.pauseLibrary({ libraryId });
      await writeFile(path.join(laptopRoot, 'Photos', `dark-${tag}.txt`), 'waiting');
      await page.getByTestId('library-card').filter({ hasText: 'Documents' }).getByTestId('pending-work').waitFor();
      await screenshot(page, `everyday-dark-02-libraries-${tag}`);
      await service.api.resumeLibrary({ libraryId });
      await openSettings(messages);
      await page.getByTestId('trash-section').getByRole('button', { name: messages['trash.show'] }).click();
      await page.getByTestId('trash-item').first().waitFor();
      await screenshot(page, `everyday-dark-03-settings-${tag}`);
      await page.getByRole('radio', { name: messages['selection.some'] }).check();
      await page.getByTestId('folder-tree').locator('input[data-path="Photos"]').check();
      await page.getByRole('button', { name: messages['selection.save'] }).click();
      await page.getByTestId('selection-leaving').waitFor();
      await screenshot(page, `everyday-dark-04-deselect-${tag}`);
      await page.getByRole('dialog').getByRole('button', { name: messages['common.cancel'] }).click();
      await page.getByTestId('nav-activity').click();
      await page.getByRole('dialog', { name: messages['leave.title'] }).getByRole('button', { name: messages['leave.discard'] }).click();
      await page.getByTestId('activity-screen').waitFor();
      await screenshot(page, `everyday-dark-05-activity-${tag}`);
      await page.getByRole('button', { name: messages['history.openOf'].replace('{path}', 'Plans/view.png') }).first().click();
      await page.getByTestId('history-version').nth(1).getByRole('button', { name: messages['history.preview'] }).click();
      await page.getByTestId('history-preview').locator('img').waitFor();
      await screenshot(page, `everyday-dark-06-history-${tag}`);
    }
    await setLanguage('en');
    await service.api.setPreferences({ theme: 'system' });
  });

  it('ran without a script error or a Content-Security-Policy refusal', () => {
    expect(problems.errors).toEqual([]);
  });
});
