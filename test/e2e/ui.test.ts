// The UI end to end: the built React app in Debian's Chromium, served by a real daemon
// (startDaemonService, its own profile) that syncs with a real cairn-server on 127.0.0.1. A
// person's path through it: a failed first login and a good one, adding a library with only
// some folders, watching it reach "Up to date", pausing, changing the selection, a conflict,
// switching to Chinese and back, and removing the library. Each step checks the disk or the
// server, not only the screen, and saves a screenshot of what the screen showed.
//
// The steps share one browser, daemon and server and run in order; each waits for what it
// expects (never a fixed sleep for correctness).

import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LibraryStateKind } from '../../shared/api/index.js';
import { CONTROL_CONTENT_SECURITY_POLICY } from '../../shared/contentSecurityPolicy.js';
import { startDaemonService } from '../../src-main/daemon/daemonService.js';
import type { DaemonService } from '../../src-main/daemon/daemonService.js';
import { en } from '../../src-renderer/i18n/en.js';
import { zhCN } from '../../src-renderer/i18n/zhCN.js';
import { eventually } from '../support/eventually.js';
import { PASSWORD, startHarness } from '../sync/harness.js';
import type { Harness, TestClient } from '../sync/harness.js';
import { buildUi } from './support/buildUi.js';
import { CHROMIUM_FOUND, MISSING_CHROMIUM, ON_CI, launchChromium, openPage, screenshot } from './support/chromium.js';
import { stopAll } from './support/stopAll.js';

if (!CHROMIUM_FOUND && !ON_CI) console.warn(`UI end-to-end tests skipped: ${MISSING_CHROMIUM}`);

describe.runIf(!CHROMIUM_FOUND && ON_CI)('the UI end to end', () => {
  it('has Chromium to run in', () => {
    throw new Error(MISSING_CHROMIUM);
  });
});

/** 3 MiB: big enough that a download limit keeps the progress bar on screen for a while. */
const BIG_FILE_BYTES = 3 * 1024 * 1024;
const DOWNLOAD_LIMIT_KB = 512;

describe.skipIf(!CHROMIUM_FOUND)('the UI in Chromium against a real daemon and server', () => {
  let work: string;
  let harness: Harness;
  let seed: TestClient;
  let service: DaemonService;
  let browser: Browser;
  let page: Page;
  let problems: { readonly errors: string[] };
  const daemonLog: string[] = [];
  let localRoot: string;
  const bigFile = randomBytes(BIG_FILE_BYTES);

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'cairn-ui-e2e-'));
    const uiDir = path.join(work, 'ui');
    harness = await startHarness();
    // Everything but the launch in parallel: the build, the server's library, the browser.
    const [, client, launched] = await Promise.all([
      buildUi(uiDir),
      (async () => {
        const created = await harness.client('seed', { libraryName: 'Documents' });
        await created.write('notes.txt', 'loose file at the top');
        await created.write('Photos/2024/a.jpg', 'a photo');
        await created.write('Photos/caption.txt', 'first caption');
        await created.write('Photos/big.bin', bigFile);
        await created.write('Work/report.txt', 'the report');
        await created.write('Work/Old/x.txt', 'old work');
        await created.write('Work/New/y.txt', 'new work');
        await created.write('Music/song.mp3', 'la la la');
        await created.sync();
        return created;
      })(),
      launchChromium(),
    ]);
    seed = client;
    browser = launched;
    service = await startDaemonService({
      home: path.join(work, 'profile'),
      deviceName: 'ui-laptop',
      watcher: 'native',
      uiDir,
      retryBaseMs: 50,
      retryMaxMs: 500,
      log: (line) => daemonLog.push(line),
    });
    localRoot = path.join(work, 'Cairn', 'Documents');
    ({ page, problems } = await openPage(browser));
    // The daemon's printed link: the page keeps the token from its fragment.
    await page.goto(service.link);
  }, 120_000);

  afterAll(() => stopAll(work, browser, service, harness), 60_000);

  const card = () => page.getByTestId('library-card').filter({ hasText: 'Documents' });

  async function stateOf(locator: Locator): Promise<string | null> {
    return locator.getByTestId('library-state').getAttribute('data-state', { timeout: 2_000 });
  }

  async function waitForState(kind: LibraryStateKind, timeoutMs = 45_000): Promise<void> {
    await eventually(async () => expect(await stateOf(card())).toBe(kind), timeoutMs);
  }

  async function fileOrNull(relative: string): Promise<string | null> {
    try {
      return await readFile(path.join(localRoot, relative), 'utf8');
    } catch {
      return null;
    }
  }

  async function exists(relative: string): Promise<boolean> {
    return stat(path.join(localRoot, relative)).then(
      () => true,
      () => false,
    );
  }

  async function navigate(section: 'libraries' | 'activity' | 'conflicts' | 'problems' | 'preferences'): Promise<void> {
    await page.getByTestId(`nav-${section}`).click();
    await page.getByTestId(`${section}-screen`).waitFor();
  }

  it('builds a page with no inline code, under the daemon’s policy', async () => {
    const html = await readFile(path.join(work, 'ui', 'index.html'), 'utf8');
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/i);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1];
    const withoutFrameAncestors = CONTROL_CONTENT_SECURITY_POLICY.split('; ').filter((directive) => !directive.startsWith('frame-ancestors')).join('; ');
    expect(meta).toBe(withoutFrameAncestors);
  });

  it('says how to get in when the page was opened without the daemon’s link', async () => {
    const { page: other, problems: otherProblems } = await openPage(browser);
    try {
      await other.goto(`${service.url}/`);
      const notice = other.getByTestId('service-problem').getByRole('alert');
      await notice.waitFor();
      expect(await notice.getAttribute('data-code')).toBe('unauthorized');
      expect(await notice.textContent()).toContain(en['error.unauthorized']);
      await screenshot(other, '00-without-token');
      expect(otherProblems.errors).toEqual([]);
    } finally {
      await other.context().close();
    }
  });

  it('refuses a wrong password and an unreachable address with their own messages, then connects', async () => {
    await page.getByTestId('connect-screen').waitFor();
    await screenshot(page, '01-connect');

    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer();
      probe.listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    await page.getByLabel(en['connect.server']).fill(`http://127.0.0.1:${closedPort}`);
    await page.getByLabel(en['connect.user']).fill('alice');
    await page.getByLabel(en['connect.password']).fill(PASSWORD);
    await page.getByRole('button', { name: en['connect.submit'] }).click();
    const error = page.getByTestId('connect-error');
    await eventually(async () => expect(await error.getAttribute('data-code', { timeout: 2_000 })).toBe('unreachable'));
    expect(await error.getAttribute('data-cause')).toBe('refused');
    expect(await error.textContent()).toBe(en['connect.cause.refused'].replace('{place}', `127.0.0.1:${closedPort}`));

    await page.getByLabel(en['connect.server']).fill(harness.server.url);
    await page.getByLabel(en['connect.password']).fill('not the password');
    await page.getByRole('button', { name: en['connect.submit'] }).click();
    await eventually(async () => expect(await error.getAttribute('data-code', { timeout: 2_000 })).toBe('wrong-password'));
    expect(await error.textContent()).toContain(en['error.wrongPassword']);
    await screenshot(page, '02-connect-wrong-password');

    await page.getByLabel(en['connect.password']).fill(PASSWORD);
    await page.getByRole('button', { name: en['connect.submit'] }).click();
    await page.getByTestId('libraries-screen').waitFor();
    await page.getByText(en['libraries.emptyTitle']).waitFor();
    expect((await service.api.getStatus({})).account?.user).toBe('alice');
    await screenshot(page, '03-libraries-empty');
  });

  it('sets a download limit in the preferences', async () => {
    await navigate('preferences');
    await page.getByLabel(en['preferences.limitDownload']).check();
    const value = page.getByLabel(en['preferences.downloadLimitValue']);
    await value.fill(String(DOWNLOAD_LIMIT_KB));
    await value.press('Enter');
    await eventually(async () => expect((await service.api.getPreferences({})).downloadLimit).toBe(DOWNLOAD_LIMIT_KB * 1024));
    await screenshot(page, '04-preferences');
  });

  it('adds a library with only some folders; only those reach the disk', async () => {
    await navigate('libraries');
    await page.getByRole('button', { name: en['libraries.add'] }).first().click();
    await page.getByTestId('add-library-screen').waitFor();
    await page.getByRole('radio', { name: /Documents/ }).check();
    await page.getByLabel(en['add.folderLabel']).fill(localRoot);
    await page.getByLabel(en['selection.some']).check();

    const tree = page.getByTestId('folder-tree');
    await tree.locator('input[data-path="Photos"]').check();
    // The tree works from the keyboard: Enter opens a folder, Space checks one.
    const expander = page.getByRole('button', { name: en['tree.expand'].replace('{name}', 'Work') });
    await expander.focus();
    await page.keyboard.press('Enter');
    expect(await page.getByRole('button', { name: en['tree.collapse'].replace('{name}', 'Work') }).getAttribute('aria-expanded')).toBe('true');
    await tree.locator('input[data-path="Work/Old"]').focus();
    await page.keyboard.press('Space');
    expect(await tree.locator('input[data-path="Work/Old"]').isChecked()).toBe(true);
    expect(await tree.locator('input[data-path="Work"]').getAttribute('data-state')).toBe('mixed');
    expect(await tree.locator('input[data-path="Work"]').evaluate((input) => (input as HTMLInputElement).indeterminate)).toBe(true);
    // The summary counts what the server reported for the chosen folders: Photos holds 3 files.
    await page.getByTestId('selection-summary').getByText('4 files').waitFor();
    await screenshot(page, '05-add-library');

    await page.getByRole('button', { name: en['add.submit'] }).click();
    await page.getByTestId('libraries-screen').waitFor();

    // The download limit keeps the big file on the wire long enough to watch it move.
    await card().getByRole('progressbar').waitFor({ timeout: 30_000 });
    const moving = card().getByTestId('file-progress');
    await eventually(async () => expect(await moving.textContent({ timeout: 2_000 })).toMatch(/^Downloading Photos\/big\.bin \([1-9][\d.]* [KM]B of 3 MB\)$/));
    await screenshot(page, '06-library-syncing');
    // Never "up to date" while a file is still on its way.
    expect(await stateOf(card())).toMatch(/^(scanning|syncing|pending)$/);
    expect((await stat(path.join(localRoot, 'Photos/big.bin')).catch(() => null))?.size ?? 0).toBeLessThan(BIG_FILE_BYTES);
    await service.api.setPreferences({ downloadLimit: null });

    await waitForState('up-to-date');
    expect(await card().getByTestId('library-state').textContent()).toBe(en['state.upToDate']);
    await screenshot(page, '07-library-up-to-date');

    expect(await fileOrNull('Photos/2024/a.jpg')).toBe('a photo');
    expect(await fileOrNull('Photos/caption.txt')).toBe('first caption');
    expect((await readFile(path.join(localRoot, 'Photos/big.bin'))).equals(bigFile)).toBe(true);
    expect(await fileOrNull('Work/Old/x.txt')).toBe('old work');
    for (const absent of ['notes.txt', 'Work/report.txt', 'Work/New/y.txt', 'Music/song.mp3']) expect(await exists(absent), absent).toBe(false);
  });

  it('pausing holds a new file back until resume', async () => {
    await card().getByRole('button', { name: 'Pause Documents' }).click();
    await waitForState('paused');
    await screenshot(page, '08-library-paused');

    await writeFile(path.join(localRoot, 'Photos', 'while-paused.txt'), 'written while paused');
    // Long enough for the watcher (at most 1 s) and a round; a slow machine only weakens this check.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await seed.sync();
    expect(await seed.exists('Photos/while-paused.txt')).toBe(false);
    expect(await stateOf(card())).toBe('paused');

    await card().getByRole('button', { name: 'Resume Documents' }).click();
    await eventually(async () => {
      await seed.sync();
      expect(await seed.read('Photos/while-paused.txt')).toBe('written while paused');
    });
    await waitForState('up-to-date');
  });

  it('changing the selection removes a deselected folder and brings a new one', async () => {
    await card().getByRole('button', { name: 'Settings of Documents' }).click();
    await page.getByTestId('library-settings-screen').waitFor();
    const tree = page.getByTestId('folder-tree');
    // The tree opens on the folders that hold the selection.
    await tree.locator('input[data-path="Work/Old"]').uncheck();
    await tree.locator('input[data-path="Music"]').check();
    expect(await tree.locator('input[data-path="Work"]').getAttribute('data-state')).toBe('unchecked');
    await screenshot(page, '09-library-settings');
    await page.getByRole('button', { name: en['selection.save'] }).click();
    // Work/Old leaves this computer: asked first, with what leaves.
    const confirm = page.getByRole('dialog');
    await confirm.getByTestId('selection-leaving').getByText('Work/Old').waitFor();
    await confirm.getByRole('button', { name: en['selection.confirm'] }).click();
    await page.getByText(en['selection.saved']).waitFor();

    await eventually(async () => {
      expect(await fileOrNull('Music/song.mp3')).toBe('la la la');
      expect(await exists('Work/Old/x.txt')).toBe(false);
    });
    expect(await fileOrNull('Photos/2024/a.jpg')).toBe('a photo');
    expect((await service.api.getStatus({})).libraries[0]?.selection).toEqual(['Music', 'Photos']);
    await page.getByRole('button', { name: en['settings.back'] }).click();
    await waitForState('up-to-date');
  });

  it('shows a conflict and resolves it with "keep both"', async () => {
    await card().getByRole('button', { name: 'Pause Documents' }).click();
    await waitForState('paused');
    await writeFile(path.join(localRoot, 'Photos', 'caption.txt'), 'caption edited here');
    await seed.write('Photos/caption.txt', 'caption edited on the other computer');
    await seed.sync();
    await card().getByRole('button', { name: 'Resume Documents' }).click();
    await waitForState('needs-attention');
    await screenshot(page, '10-library-needs-attention');

    await navigate('conflicts');
    const item = page.getByTestId('conflict').filter({ hasText: 'Photos/caption.txt' });
    await item.waitFor();
    await screenshot(page, '11-conflicts');
    await item.getByTestId('open-conflict').click();
    const dialog = page.getByTestId('conflict-dialog');
    await dialog.getByRole('radio', { name: en['conflicts.keepBoth'] }).check();
    await dialog.getByTestId('apply').click();
    await page.getByText(en['conflicts.emptyTitle']).waitFor();
    await navigate('libraries');
    await waitForState('up-to-date');
    // Both versions stayed: the server's under the name, ours beside it.
    expect(await fileOrNull('Photos/caption.txt')).toBe('caption edited on the other computer');
    const names = await readdir(path.join(localRoot, 'Photos'));
    expect(names.some((name) => name.startsWith('caption (conflict ui-laptop'))).toBe(true);
  });

  it('lists the activity newest first, and the problems', async () => {
    await navigate('activity');
    const entries = page.getByTestId('activity-entry');
    await entries.first().waitFor();
    const kinds = await entries.evaluateAll((items) => items.map((item) => item.getAttribute('data-kind')));
    expect(kinds).toContain('downloaded');
    expect(kinds).toContain('uploaded');
    const ids = (await service.api.getActivity({ limit: 500 })).entries.map((entry) => entry.kind);
    expect(kinds[0]).toBe(ids[0]);
    await screenshot(page, '12-activity');

    await navigate('problems');
    await page.getByText(en['problems.emptyTitle']).waitFor();
    // A symlink is never followed or synced: it shows up as a problem until it is gone.
    await symlink('/etc', path.join(localRoot, 'Photos', 'link-out'));
    const problem = page.getByTestId('problem').filter({ hasText: 'Photos/link-out' });
    await problem.waitFor({ timeout: 30_000 });
    expect(await problem.textContent()).toContain(en['problemKind.symlink']);
    expect(await page.getByTestId('nav-problems').textContent()).toContain('1');
    await screenshot(page, '13-problems');
    await unlink(path.join(localRoot, 'Photos', 'link-out'));
    await page.getByText(en['problems.emptyTitle']).waitFor({ timeout: 30_000 });
    await navigate('libraries');
    await waitForState('up-to-date');
  });

  it('switches to Chinese at once, and back', async () => {
    await navigate('preferences');
    await page.getByLabel(en['preferences.language'], { exact: true }).selectOption('zh-CN');
    await page.getByRole('heading', { name: zhCN['preferences.title'] }).waitFor();
    expect(await page.getByTestId('nav-libraries').textContent()).toBe(zhCN['nav.libraries']);
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');
    expect((await service.api.getPreferences({})).language).toBe('zh-CN');
    await screenshot(page, '14-preferences-zh');

    await navigate('libraries');
    expect(await card().getByTestId('library-state').textContent()).toBe(zhCN['state.upToDate']);
    await screenshot(page, '15-libraries-zh');
    await card().getByRole('button', { name: zhCN['library.settingsOf'].replace('{name}', 'Documents') }).click();
    await page.getByTestId('library-settings-screen').waitFor();
    await screenshot(page, '16-library-settings-zh');

    await navigate('preferences');
    await page.getByLabel(zhCN['preferences.language'], { exact: true }).selectOption('en');
    await page.getByRole('heading', { name: en['preferences.title'] }).waitFor();
    expect(await page.getByTestId('nav-libraries').textContent()).toBe(en['nav.libraries']);
  });

  it('removes the library from this computer and leaves its files on disk', async () => {
    await navigate('libraries');
    await card().getByRole('button', { name: 'Settings of Documents' }).click();
    await page.getByRole('button', { name: en['remove.button'] }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await screenshot(page, '17-remove-dialog');
    await dialog.getByRole('button', { name: en['remove.confirm'] }).click();
    await page.getByTestId('libraries-screen').waitFor();
    await page.getByText(en['libraries.emptyTitle']).waitFor();
    await screenshot(page, '18-library-removed');
    expect((await service.api.getStatus({})).libraries).toEqual([]);
    expect(await fileOrNull('Music/song.mp3')).toBe('la la la');
    expect(await fileOrNull('Photos/2024/a.jpg')).toBe('a photo');
  });

  it('ran without a script error or a Content-Security-Policy refusal', () => {
    expect(problems.errors).toEqual([]);
  });
});
