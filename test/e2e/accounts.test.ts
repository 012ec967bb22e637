// Several accounts in the app, end to end in Debian's Chromium against a real daemon and server:
// bob's computer syncs a library alice shares with him read-only and a library of his own. bob
// edits the read-only file; alice adds her account on the same computer (Preferences → Add
// account) and adds her own library with it. Each library syncs with its own account only:
// bob's edit is never uploaded as alice, alice's library never as bob. Signing bob out names
// his libraries first, stops only them (files kept, shown "Signed out") while alice's goes on;
// signing bob in again brings them back, as bob. In English and Chinese, light and dark.

import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../shared/protocol/index.js';
import { startDaemonService } from '../../src-main/daemon/daemonService.js';
import type { DaemonService } from '../../src-main/daemon/daemonService.js';
import { Engine } from '../../src-main/engine/engine.js';
import { en } from '../../src-renderer/i18n/en.js';
import { zhCN } from '../../src-renderer/i18n/zhCN.js';
import { eventually } from '../support/eventually.js';
import { PASSWORD, readTree, startHarness } from '../sync/harness.js';
import type { Harness, TestClient } from '../sync/harness.js';
import { buildUi } from './support/buildUi.js';
import { CHROMIUM_FOUND, launchChromium, openPage, screenshot } from './support/chromium.js';
import { stopAll } from './support/stopAll.js';

describe.skipIf(!CHROMIUM_FOUND)('several accounts on one computer, in Chromium', () => {
  let work: string;
  let harness: Harness;
  let alice: TestClient;
  let bobEngine: Engine;
  let bobPrivateId: string;
  let alicePrivateId: string;
  let service: DaemonService;
  let browser: Browser;
  let page: Page;
  let problems: { readonly errors: string[] };
  let sharedDir: string;
  let privateDir: string;
  let host: string;

  /** Who committed each version of a file, newest first, read as a user who may read it. */
  async function authors(as: 'alice' | 'bob', libraryId: string, file: string): Promise<string[]> {
    const engine = as === 'alice' ? alice.engine : bobEngine;
    const { versions } = await (await engine.server()).call(routes.history, { params: { libraryId }, query: { path: file } });
    return versions.map((version) => version.userName);
  }

  const card = (name: string) => page.getByTestId('library-card').filter({ has: page.getByRole('heading', { name, exact: true }) });
  const accountRow = (user: string) => page.locator(`[data-testid="account-row"][data-account="${user}@${host}"]`);

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'cairn-accounts-e2e-'));
    const uiDir = path.join(work, 'ui');
    harness = await startHarness();
    host = new URL(harness.server.url).host;
    const [, , launched] = await Promise.all([
      buildUi(uiDir),
      (async () => {
        await harness.addUser('bob');
        alice = await harness.client('alice-laptop', { user: 'alice', libraryName: 'Shared' });
        await alice.write('notes.txt', 'alice wrote this\n');
        await alice.sync();
        await (await alice.engine.server()).call(routes.setMember, { params: { libraryId: alice.libraryId, userName: 'bob' }, body: { role: 'ro' } });
        bobPrivateId = await harness.createLibrary('bob', 'BobPrivate');
        alicePrivateId = await harness.createLibrary('alice', 'AlicePrivate');
        bobEngine = await Engine.open({ home: path.join(work, 'bob-reader'), deviceName: 'bob-reader' });
        await bobEngine.login(harness.server.url, 'bob', PASSWORD);
      })(),
      launchChromium(),
    ]);
    browser = launched;
    service = await startDaemonService({ home: path.join(work, 'profile'), deviceName: 'shared-desk', watcher: 'native', uiDir, retryBaseMs: 50, retryMaxMs: 500, log: () => undefined });
    sharedDir = path.join(work, 'Cairn', 'Shared');
    privateDir = path.join(work, 'Cairn', 'BobPrivate');
    // bob's computer, set up through the same API the UI uses.
    await service.api.login({ serverUrl: harness.server.url, user: 'bob', password: PASSWORD });
    await service.api.addLibrary({ libraryId: alice.libraryId, localRoot: sharedDir, selection: null });
    await service.api.addLibrary({ libraryId: bobPrivateId, localRoot: privateDir, selection: null });
    await eventually(async () => expect(await readFile(path.join(sharedDir, 'notes.txt'), 'utf8')).toBe('alice wrote this\n'), 30_000);
    await writeFile(path.join(privateDir, 'diary.txt'), 'bob only\n');
    await eventually(async () => expect(await authors('bob', bobPrivateId, 'diary.txt')).toEqual(['bob']), 30_000);
    ({ page, problems } = await openPage(browser));
    await page.goto(`${service.url}/?token=${service.token}`);
  }, 120_000);

  afterAll(async () => {
    await bobEngine?.close();
    await stopAll(work, browser, service, harness);
  }, 60_000);

  it('adds alice’s account beside bob’s; each library syncs with its own account only', async () => {
    await page.getByTestId('libraries-screen').waitFor();
    await card('BobPrivate').waitFor();
    // One account: the cards name none.
    expect(await page.getByTestId('library-account').count()).toBe(0);
    // bob edits the file he may only read.
    await writeFile(path.join(sharedDir, 'notes.txt'), 'bob edited this\n');

    // Preferences → Add account: the connect form, in place.
    await page.getByTestId('nav-preferences').click();
    await accountRow('bob').getByText(en['accounts.signedIn']).waitFor();
    await accountRow('bob').getByText('2 libraries').waitFor();
    await page.getByRole('button', { name: en['accounts.add'] }).click();
    await page.getByRole('heading', { name: en['accounts.addTitle'] }).waitFor();
    await page.getByLabel(en['connect.server']).fill(harness.server.url);
    await page.getByLabel(en['connect.user']).fill('alice');
    await page.getByLabel(en['connect.password']).fill(PASSWORD);
    await screenshot(page, 'accounts-01-add-account-en');
    await page.getByRole('button', { name: en['connect.submit'] }).click();
    await accountRow('alice').getByText(en['accounts.signedIn']).waitFor();
    await accountRow('bob').getByText(en['accounts.signedIn']).waitFor();
    await page.getByText('2 accounts on shared-desk').waitFor();
    await screenshot(page, 'accounts-02-preferences-two-accounts-en');

    // Add library asks which account; alice's list is hers.
    await page.getByTestId('nav-libraries').click();
    await card('Shared').getByTestId('library-account').getByText(`bob@${host}`).waitFor();
    await page.getByRole('button', { name: en['libraries.add'] }).first().click();
    await page.getByTestId('add-library-screen').waitFor();
    const choice = page.getByTestId('add-account-choice');
    await choice.selectOption({ label: `alice@${host}` });
    await page.getByRole('radio', { name: /AlicePrivate/ }).waitFor();
    expect(await page.getByRole('radio', { name: /BobPrivate/ }).count()).toBe(0);
    // Shared is bob's here already: alice cannot add it again.
    expect(await page.getByRole('radio', { name: /Shared/ }).isDisabled()).toBe(true);
    await page.getByRole('radio', { name: /AlicePrivate/ }).check();
    const aliceDir = path.join(work, 'Cairn', 'AlicePrivate');
    await page.getByLabel(en['add.folderLabel']).fill(aliceDir);
    await screenshot(page, 'accounts-03-add-library-account-en');
    await page.getByRole('button', { name: en['add.submit'] }).click();
    await page.getByTestId('libraries-screen').waitFor();
    await card('AlicePrivate').getByTestId('library-account').getByText(`alice@${host}`).waitFor();
    await writeFile(path.join(aliceDir, 'secret.txt'), 'alice only\n');
    await eventually(async () => expect(await authors('alice', alicePrivateId, 'secret.txt')).toEqual(['alice']), 30_000);
    await screenshot(page, 'accounts-04-cards-en');

    // bob's read-only edit stayed here, never uploaded (as bob, or as alice signed in beside him).
    await service.api.syncNow({});
    await eventually(async () => expect((await service.api.listProblems({ libraryId: alice.libraryId })).problems.map((problem) => problem.path)).toEqual(['notes.txt']), 30_000);
    expect(await authors('alice', alice.libraryId, 'notes.txt')).toEqual(['alice']);
    await alice.sync();
    expect(await alice.read('notes.txt')).toBe('alice wrote this\n');
    // alice's library is not bob's to read: the server refuses him.
    await expect((await bobEngine.server()).call(routes.history, { params: { libraryId: alicePrivateId }, query: { path: 'secret.txt' } })).rejects.toMatchObject({
      code: expect.stringMatching(/not-found|forbidden/),
    });
    expect(problems.errors).toEqual([]);
  }, 120_000);

  it('signs bob out naming his libraries, in Chinese and English; alice’s library goes on; bob signs in again', async () => {
    // In Chinese first, cancelled.
    await page.getByTestId('nav-preferences').click();
    await page.getByLabel(en['preferences.language'], { exact: true }).selectOption('zh-CN');
    await page.getByRole('heading', { name: zhCN['accounts.title'] }).waitFor();
    await accountRow('bob').getByRole('button', { name: `${zhCN['accounts.signOut']} bob@${host}` }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText(zhCN['accounts.signOutTitle'].replace('{account}', `bob@${host}`)).waitFor();
    const listedZh = await dialog.getByTestId('sign-out-libraries').textContent();
    expect(listedZh).toContain('Shared');
    expect(listedZh).toContain('BobPrivate');
    await screenshot(page, 'accounts-05-sign-out-zh');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'accounts-06-sign-out-zh-dark');
    await dialog.getByRole('button', { name: zhCN['common.cancel'] }).click();
    await screenshot(page, 'accounts-07-preferences-zh-dark');
    await page.getByLabel(zhCN['preferences.language'], { exact: true }).selectOption('en');
    await page.getByRole('heading', { name: en['accounts.title'] }).waitFor();
    await screenshot(page, 'accounts-08-preferences-en-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    expect((await service.api.listAccounts({})).accounts.map((account) => account.signedIn)).toEqual([true, true]);

    // Then in English, confirmed: it names bob's libraries and says their files stay.
    await accountRow('bob').getByRole('button', { name: `${en['accounts.signOut']} bob@${host}` }).click();
    const listed = await dialog.getByTestId('sign-out-libraries').textContent();
    expect(listed).toContain('Shared');
    expect(listed).toContain('BobPrivate');
    expect(listed).toContain(sharedDir);
    expect(listed).not.toContain('AlicePrivate');
    await dialog.getByText(en['accounts.signOutFilesStay']).waitFor();
    await dialog.getByRole('button', { name: en['accounts.signOutConfirm'] }).click();
    await accountRow('bob').getByText(en['accounts.signedOut']).waitFor();
    await screenshot(page, 'accounts-09-bob-signed-out-en');

    // bob's cards say "Signed out"; alice's goes on syncing as alice.
    await page.getByTestId('nav-libraries').click();
    await card('BobPrivate').getByText(en['state.signedOut']).first().waitFor();
    await card('Shared').getByText(en['state.signedOut']).first().waitFor();
    await screenshot(page, 'accounts-10-cards-signed-out-en');
    const aliceDir = path.join(work, 'Cairn', 'AlicePrivate');
    await writeFile(path.join(aliceDir, 'more.txt'), 'alice goes on\n');
    await writeFile(path.join(privateDir, 'while-out.txt'), 'bob wrote this signed out\n');
    await eventually(async () => expect(await authors('alice', alicePrivateId, 'more.txt')).toEqual(['alice']), 30_000);
    // Nothing of bob's moved meanwhile, and every file of his stays on disk.
    expect(await authors('bob', bobPrivateId, 'while-out.txt')).toEqual([]);
    expect(await readTree(sharedDir)).toEqual({ 'notes.txt': 'bob edited this\n' });
    await page.getByTestId('nav-preferences').click();
    await page.getByLabel(en['preferences.language'], { exact: true }).selectOption('zh-CN');
    await page.getByTestId('nav-libraries').click();
    await card('BobPrivate').getByText(zhCN['state.signedOut']).first().waitFor();
    await card('BobPrivate').getByText(zhCN['library.account'].replace('{account}', `bob@${host}`)).waitFor();
    await screenshot(page, 'accounts-11-cards-signed-out-zh');
    await page.getByTestId('nav-preferences').click();
    await page.getByRole('button', { name: zhCN['accounts.add'] }).click();
    await page.getByRole('heading', { name: zhCN['accounts.addTitle'] }).waitFor();
    await screenshot(page, 'accounts-12-add-account-zh');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'accounts-13-add-account-zh-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.getByRole('button', { name: zhCN['accounts.addCancel'] }).click();
    await page.getByLabel(zhCN['preferences.language'], { exact: true }).selectOption('en');

    // bob signs in again, the server and user filled in: his libraries sync again, as bob.
    await accountRow('bob').getByRole('button', { name: `${en['accounts.signIn']} bob@${host}` }).click();
    await page.getByRole('heading', { name: en['accounts.addTitle'] }).waitFor();
    expect(await page.getByLabel(en['connect.user']).inputValue()).toBe('bob');
    await page.getByLabel(en['connect.password']).fill(PASSWORD);
    await page.getByRole('button', { name: en['connect.submit'] }).click();
    await accountRow('bob').getByText(en['accounts.signedIn']).waitFor();
    await eventually(async () => expect(await authors('bob', bobPrivateId, 'while-out.txt')).toEqual(['bob']), 30_000);
    // The read-only edit is still only here.
    expect(await authors('alice', alice.libraryId, 'notes.txt')).toEqual(['alice']);
    expect(problems.errors).toEqual([]);
  }, 120_000);
});
