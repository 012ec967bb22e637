// Accounts in the UI, end to end in Debian's Chromium against a real daemon and server: bob's
// computer syncs a library alice shares with him read-only and a library of his own; bob edits
// the read-only file, signs out, and alice signs in on the same computer. The connect screen
// asks first, naming bob's libraries and saying their files stay; once alice confirms, bob's
// libraries no longer sync here, his edit is not uploaded as alice's, and every local file stays.

import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../shared/protocol/index.js';
import { startDaemonService } from '../../src-main/daemon/daemonService.js';
import type { DaemonService } from '../../src-main/daemon/daemonService.js';
import { en } from '../../src-renderer/i18n/en.js';
import { zhCN } from '../../src-renderer/i18n/zhCN.js';
import { eventually } from '../support/eventually.js';
import { PASSWORD, readTree, startHarness } from '../sync/harness.js';
import type { Harness, TestClient } from '../sync/harness.js';
import { buildUi } from './support/buildUi.js';
import { CHROMIUM_FOUND, launchChromium, openPage, screenshot } from './support/chromium.js';
import { stopAll } from './support/stopAll.js';

describe.skipIf(!CHROMIUM_FOUND)('signing in as another account in Chromium', () => {
  let work: string;
  let harness: Harness;
  let alice: TestClient;
  let bobPrivateId: string;
  let service: DaemonService;
  let browser: Browser;
  let page: Page;
  let problems: { readonly errors: string[] };
  let sharedDir: string;
  let privateDir: string;
  const daemonLog: string[] = [];

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'cairn-accounts-e2e-'));
    const uiDir = path.join(work, 'ui');
    harness = await startHarness();
    const [, , launched] = await Promise.all([
      buildUi(uiDir),
      (async () => {
        await harness.addUser('bob');
        alice = await harness.client('alice-laptop', { user: 'alice', libraryName: 'Shared' });
        await alice.write('notes.txt', 'alice wrote this\n');
        await alice.sync();
        await (await alice.engine.server()).call(routes.setMember, { params: { libraryId: alice.libraryId, userName: 'bob' }, body: { role: 'ro' } });
        bobPrivateId = await harness.createLibrary('bob', 'BobPrivate');
      })(),
      launchChromium(),
    ]);
    browser = launched;
    service = await startDaemonService({ home: path.join(work, 'profile'), deviceName: 'shared-desk', watcher: 'native', uiDir, retryBaseMs: 50, retryMaxMs: 500, log: (line) => daemonLog.push(line) });
    sharedDir = path.join(work, 'Cairn', 'Shared');
    privateDir = path.join(work, 'Cairn', 'BobPrivate');
    // bob's computer, set up through the same API the UI uses.
    await service.api.login({ serverUrl: harness.server.url, user: 'bob', password: PASSWORD });
    await service.api.addLibrary({ libraryId: alice.libraryId, localRoot: sharedDir, selection: null });
    await service.api.addLibrary({ libraryId: bobPrivateId, localRoot: privateDir, selection: null });
    await eventually(async () => expect(await readFile(path.join(sharedDir, 'notes.txt'), 'utf8')).toBe('alice wrote this\n'), 30_000);
    await writeFile(path.join(privateDir, 'diary.txt'), 'bob only\n');
    ({ page, problems } = await openPage(browser));
    await page.goto(`${service.url}/?token=${service.token}`);
  }, 120_000);

  afterAll(() => stopAll(work, browser, service, harness), 60_000);

  it('asks before alice signs in where bob synced, and never syncs bob’s libraries as alice', async () => {
    await page.getByTestId('libraries-screen').waitFor();
    await page.getByTestId('library-card').filter({ hasText: 'BobPrivate' }).waitFor();
    // bob edits the file he may only read, then signs out.
    await writeFile(path.join(sharedDir, 'notes.txt'), 'bob edited this\n');
    await page.getByTestId('nav-preferences').click();
    await page.getByRole('button', { name: en['preferences.logout'] }).click();
    await page.getByRole('dialog').getByRole('button', { name: en['preferences.logoutConfirm'] }).click();
    await page.getByTestId('connect-screen').waitFor();

    // alice signs in on bob's computer: first in Chinese, cancelled.
    await page.getByTestId('connect-screen').locator('select').selectOption('zh-CN');
    await page.getByLabel(zhCN['connect.server']).fill(harness.server.url);
    await page.getByLabel(zhCN['connect.user']).fill('alice');
    await page.getByLabel(zhCN['connect.password']).fill(PASSWORD);
    await page.getByRole('button', { name: zhCN['connect.submit'] }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText(zhCN['connect.switch.title']).waitFor();
    await screenshot(page, 'accounts-01-switch-zh');
    await dialog.getByRole('button', { name: zhCN['connect.switch.cancel'] }).click();
    expect((await service.api.getStatus({})).account).toBeNull();
    expect((await service.api.getStatus({})).libraries.map((library) => library.name).sort()).toEqual(['BobPrivate', 'Shared']);

    // Then in English, confirmed.
    await page.getByTestId('connect-screen').locator('select').selectOption('en');
    await page.getByRole('button', { name: en['connect.submit'] }).click();
    await dialog.getByText(en['connect.switch.title']).waitFor();
    const listed = await dialog.getByTestId('switch-libraries').textContent();
    expect(listed).toContain('Shared');
    expect(listed).toContain('BobPrivate');
    expect(listed).toContain(sharedDir);
    expect(await dialog.textContent()).toContain('bob');
    await screenshot(page, 'accounts-02-switch-en');
    await dialog.getByRole('button', { name: en['connect.switch.confirm'] }).click();
    await page.getByTestId('libraries-screen').waitFor();
    await page.getByText(en['libraries.emptyTitle']).waitFor();
    await screenshot(page, 'accounts-03-signed-in-as-alice');
    const status = await service.api.getStatus({});
    expect(status.account?.user).toBe('alice');
    expect(status.libraries).toEqual([]);

    // Every local file stayed; bob's edit did not reach the server, as alice's or anyone's.
    await service.api.syncNow({});
    expect(await readTree(sharedDir)).toEqual({ 'notes.txt': 'bob edited this\n' });
    expect(await readTree(privateDir)).toEqual({ 'diary.txt': 'bob only\n' });
    await alice.sync();
    expect(await alice.read('notes.txt')).toBe('alice wrote this\n');
    const history = await (await alice.engine.server()).call(routes.history, { params: { libraryId: alice.libraryId }, query: { path: 'notes.txt' } });
    expect(history.versions.map((version) => version.userName)).toEqual(['alice']);
    expect(daemonLog.join('\n')).toContain('no longer sync here');
    expect(problems.errors).toEqual([]);
  }, 120_000);
});
