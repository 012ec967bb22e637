// Storage and quota in the UI, end to end in Debian's Chromium against a real daemon and server:
// alice's library card shows its size on the server and Preferences her usage of the quota with
// a bar; a file beyond the quota is kept on her computer, the card and Problems say the owner's
// storage is full with the figures, her other device's changes keep arriving, and once the admin
// raises the quota the file goes up by itself. In English and in Chinese, light and dark.

import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

const KB = 1024;

describe.skipIf(!CHROMIUM_FOUND)('storage and quota in Chromium', () => {
  let work: string;
  let harness: Harness;
  let desktop: TestClient;
  let service: DaemonService;
  let browser: Browser;
  let page: Page;
  let problems: { readonly errors: string[] };
  let laptopDir: string;

  const setQuota = async (bytes: number | null) => {
    const alice = await harness.stores.metadata.users.byName('alice');
    await harness.stores.metadata.users.setQuota(alice!.id, bytes);
  };
  const fileOf = (name: string): Promise<string | null> => readFile(path.join(laptopDir, name), 'utf8').catch(() => null);

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'cairn-storage-e2e-'));
    const uiDir = path.join(work, 'ui');
    harness = await startHarness();
    const [, , launched] = await Promise.all([
      buildUi(uiDir),
      (async () => {
        desktop = await harness.client('alice-desktop', { user: 'alice', libraryName: 'Photos' });
        await desktop.write('beach.jpg', 'p'.repeat(300 * KB));
        await desktop.sync();
      })(),
      launchChromium(),
    ]);
    browser = launched;
    await setQuota(1024 * KB);
    service = await startDaemonService({ home: path.join(work, 'profile'), deviceName: 'alice-laptop', watcher: 'native', uiDir, retryBaseMs: 50, retryMaxMs: 500, quotaRecheckMs: 2_000, log: () => undefined });
    laptopDir = path.join(work, 'Cairn', 'Photos');
    await service.api.login({ serverUrl: harness.server.url, user: 'alice', password: PASSWORD });
    await service.api.addLibrary({ libraryId: desktop.libraryId, localRoot: laptopDir, selection: null });
    await eventually(async () => expect(await fileOf('beach.jpg')).toBe('p'.repeat(300 * KB)), 30_000);
    ({ page, problems } = await openPage(browser));
    await page.goto(`${service.url}/?token=${service.token}`);
  }, 120_000);

  afterAll(() => stopAll(work, browser, service, harness), 60_000);

  const card = () => page.getByTestId('library-card').filter({ hasText: 'Photos' });

  it('shows sizes and usage, says when the storage is full, keeps the file and uploads it once the quota is raised', async () => {
    // The card: size on the server; Preferences: 300 KB of 1 MB with a bar, and the library's size.
    await card().waitFor();
    await eventually(async () => expect(await card().getByTestId('library-size').textContent({ timeout: 2_000 })).toBe('300 KB'));
    expect(await card().textContent()).toContain(en['libraries.sizeOnServer']);
    await page.getByTestId('nav-preferences').click();
    const usage = page.getByTestId('storage-usage');
    await eventually(async () => expect(await usage.textContent({ timeout: 2_000 })).toBe(en['storage.usedOf'].replace('{used}', '300 KB').replace('{quota}', '1 MB')));
    expect(await page.getByTestId('storage-section').getByRole('progressbar').getAttribute('aria-valuenow')).toBe('29');
    expect(await page.getByTestId('storage-libraries').textContent()).toContain('Photos');
    await screenshot(page, 'storage-01-preferences');

    // A file that does not fit: kept here, named in Problems with the owner's figures.
    await writeFile(path.join(laptopDir, 'movie.mp4'), 'm'.repeat(900 * KB));
    await page.getByTestId('nav-libraries').click();
    const full = card().getByTestId('library-storage-full');
    await full.waitFor({ timeout: 30_000 });
    expect(await full.textContent()).toBe(en['libraries.storageFull'].replace('{used}', '300 KB').replace('{quota}', '1 MB'));
    // Between the rechecks of the quota (a round every 2 s here), the library needs attention.
    await eventually(async () => expect(await card().getByTestId('library-state').getAttribute('data-state', { timeout: 2_000 })).toBe('needs-attention'), 10_000);
    await screenshot(page, 'storage-02-card-full');
    await page.getByTestId('nav-problems').click();
    const problem = page.getByTestId('problem').filter({ hasText: 'movie.mp4' });
    await problem.waitFor();
    expect(await problem.textContent()).toContain(en['problemKind.quotaExceeded']);
    expect(await problem.getByTestId('problem-message').textContent()).toBe(
      en['problemMessage.quotaExceeded'].replace('{path}', 'movie.mp4').replace('{used}', '300 KB').replace('{quota}', '1 MB'),
    );
    await screenshot(page, 'storage-03-problems');
    expect(await fileOf('movie.mp4')).toBe('m'.repeat(900 * KB));

    // The other device's changes keep arriving meanwhile.
    await desktop.write('note.txt', 'from the desktop\n');
    await desktop.sync();
    await eventually(async () => expect(await fileOf('note.txt')).toBe('from the desktop\n'), 30_000);

    // The same in Chinese, and in the dark.
    await page.getByTestId('nav-preferences').click();
    await page.getByLabel(en['preferences.language'], { exact: true }).selectOption('zh-CN');
    await eventually(async () => expect(await usage.textContent({ timeout: 2_000 })).toMatch(/^已用 300 KB，共 1 MB$/));
    await screenshot(page, 'storage-04-preferences-zh');
    await page.getByTestId('nav-libraries').click();
    expect(await full.textContent()).toBe(zhCN['libraries.storageFull'].replace('{used}', '300 KB').replace('{quota}', '1 MB'));
    // The card's size comes with the server's library list, asked again when the screen opens.
    await card().getByTestId('library-size').waitFor();
    expect(await card().textContent()).toContain(zhCN['libraries.sizeOnServer']);
    await screenshot(page, 'storage-05-card-full-zh');
    await page.getByTestId('nav-problems').click();
    await problem.waitFor();
    expect(await problem.textContent()).toContain(zhCN['problemKind.quotaExceeded']);
    await screenshot(page, 'storage-06-problems-zh');
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.getByTestId('nav-libraries').click();
    await screenshot(page, 'storage-07-card-full-dark-zh');
    await page.getByTestId('nav-preferences').click();
    await usage.waitFor();
    await screenshot(page, 'storage-08-preferences-dark-zh');
    await page.getByLabel(zhCN['preferences.language'], { exact: true }).selectOption('en');
    await page.emulateMedia({ colorScheme: 'light' });

    // The admin raises the quota: the file goes up by itself, the notice and the problem go.
    await setQuota(10 * 1024 * KB);
    await page.getByTestId('nav-libraries').click();
    await eventually(async () => expect(await card().getByTestId('library-state').getAttribute('data-state', { timeout: 2_000 })).toBe('up-to-date'), 30_000);
    expect(await full.count()).toBe(0);
    await desktop.sync();
    expect(await desktop.read('movie.mp4')).toBe('m'.repeat(900 * KB));
    await page.getByTestId('nav-preferences').click();
    await eventually(async () => expect(await usage.textContent({ timeout: 2_000 })).toMatch(/^Using 1\.2 MB of 10 MB$/));
    expect(problems.errors).toEqual([]);
  }, 120_000);
});
