// The Add-library screen's folder, end to end in Debian's Chromium against a real daemon and
// server: the first library gets ~/Cairn/<name> from the service (following the library chosen
// until the user edits the field), the typed path is checked by the service as it is typed
// (not absolute, a file, the profile, inside another library: refused, Add disabled; a folder
// holding files: what happens to them), and in the app the "Choose…" button opens the native
// dialog through the bridge (here a fake bridge in the page, forwarding everything else to the
// daemon). In English and Chinese, light and dark.

import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
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
import type { Harness } from '../sync/harness.js';
import { buildUi } from './support/buildUi.js';
import { CHROMIUM_FOUND, launchChromium, openPage, screenshot } from './support/chromium.js';
import { stopAll } from './support/stopAll.js';

describe.skipIf(!CHROMIUM_FOUND)('the Add-library folder in Chromium', () => {
  let work: string;
  let harness: Harness;
  let service: DaemonService;
  let browser: Browser;
  let page: Page;
  let problems: { readonly errors: string[] };

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'cairn-add-folder-e2e-'));
    const uiDir = path.join(work, 'ui');
    harness = await startHarness();
    const [, , launched] = await Promise.all([
      buildUi(uiDir),
      (async () => {
        await harness.createLibrary('alice', 'Photos');
        await harness.createLibrary('alice', 'Notes');
      })(),
      launchChromium(),
    ]);
    browser = launched;
    service = await startDaemonService({ home: path.join(work, 'profile'), deviceName: 'alice-laptop', watcher: 'none', uiDir, log: () => undefined });
    await service.api.login({ serverUrl: harness.server.url, user: 'alice', password: PASSWORD });
    await mkdir(path.join(work, 'existing'));
    await writeFile(path.join(work, 'existing', 'a.txt'), 'a');
    await writeFile(path.join(work, 'existing', 'b.txt'), 'b');
    await writeFile(path.join(work, 'a-file.txt'), 'not a folder');
    ({ page, problems } = await openPage(browser));
  }, 120_000);

  afterAll(() => stopAll(work, browser, service, harness), 60_000);

  const folderField = () => page.getByTestId('folder-input');
  const check = () => page.getByTestId('folder-check');
  const submit = () => page.getByRole('button', { name: en['add.submit'] });

  /** Types a path and waits for the service's verdict on it. */
  async function typeAndCheck(text: string, reason: string): Promise<string> {
    await folderField().fill(text);
    await eventually(async () => expect(await check().getAttribute('data-reason', { timeout: 2_000 })).toBe(reason), 10_000);
    return (await check().textContent()) ?? '';
  }

  it('suggests ~/Cairn/<library>, checks the typed path as it is typed, and keeps Add disabled on a hard error', async () => {
    await page.goto(`${service.url}/?token=${service.token}`);
    await page.getByRole('button', { name: en['libraries.add'] }).first().click();
    await page.getByTestId('add-library-screen').waitFor();
    // The service's home and separator; it follows the library chosen while the field is untouched.
    await page.getByRole('radio', { name: /Photos/ }).check();
    await eventually(async () => expect(await folderField().inputValue()).toBe(path.join(os.homedir(), 'Cairn', 'Photos')));
    await page.getByRole('radio', { name: /Notes/ }).check();
    await eventually(async () => expect(await folderField().inputValue()).toBe(path.join(os.homedir(), 'Cairn', 'Notes')));
    // Each server library's size.
    expect(await page.getByRole('radio', { name: /Photos/ }).locator('xpath=..').getByTestId('remote-size').textContent()).toBe('0 B');
    // No native dialog in a browser.
    expect(await page.getByTestId('choose-folder').count()).toBe(0);

    expect(await typeAndCheck('Documents/Notes', 'not-absolute')).toBe(en['add.folderCheck.notAbsolute']);
    expect(await check().getAttribute('data-verdict')).toBe('error');
    expect(await submit().isDisabled()).toBe(true);
    await screenshot(page, 'add-folder-01-not-absolute');
    expect(await typeAndCheck(path.join(work, 'a-file.txt'), 'not-folder')).toBe(en['add.folderCheck.notFolder']);
    expect(await typeAndCheck(path.join(work, 'profile', 'Notes'), 'profile-folder')).toBe(en['add.folderCheck.profileFolder']);
    expect(await submit().isDisabled()).toBe(true);
    expect(await typeAndCheck(path.join(work, 'existing'), 'not-empty')).toBe(en['add.folderCheck.notEmpty_other'].replace('{count}', '2'));
    expect(await check().getAttribute('data-verdict')).toBe('warning');
    expect(await submit().isDisabled()).toBe(false);
    await screenshot(page, 'add-folder-02-not-empty');
    // The user edited the field: choosing another library no longer replaces it.
    await page.getByRole('radio', { name: /Photos/ }).check();
    await page.waitForTimeout(300);
    expect(await folderField().inputValue()).toBe(path.join(work, 'existing'));
    await page.getByRole('radio', { name: /Notes/ }).check();
    expect(await typeAndCheck(path.join(work, 'Cairn', 'Notes'), 'will-create')).toBe(en['add.folderCheck.willCreate']);
    await submit().click();
    await page.getByTestId('libraries-screen').waitFor();
    await page.getByTestId('library-card').filter({ hasText: 'Notes' }).waitFor();

    // The second library: beside the first; a folder inside the first one is refused, naming it.
    await page.getByRole('button', { name: en['libraries.add'] }).first().click();
    await page.getByRole('radio', { name: /Photos/ }).check();
    await eventually(async () => expect(await folderField().inputValue()).toBe(path.join(work, 'Cairn', 'Photos')));
    expect(await typeAndCheck(path.join(work, 'Cairn', 'Notes', 'Photos'), 'inside-library')).toBe(en['add.folderCheck.insideLibrary'].replace('{library}', 'Notes'));
    expect(await submit().isDisabled()).toBe(true);
    await screenshot(page, 'add-folder-03-inside-library');
    expect(await typeAndCheck(path.join(work, 'Cairn'), 'contains-library')).toBe(en['add.folderCheck.containsLibrary'].replace('{library}', 'Notes'));

    // In Chinese, and in the dark.
    await page.getByRole('button', { name: en['common.back'] }).click();
    await page.getByTestId('nav-preferences').click();
    await page.getByLabel(en['preferences.language'], { exact: true }).selectOption('zh-CN');
    await page.getByTestId('nav-libraries').click();
    await page.getByRole('button', { name: zhCN['libraries.add'] }).first().click();
    await page.getByRole('radio', { name: /Photos/ }).check();
    expect(await typeAndCheck(path.join(work, 'Cairn', 'Notes', 'x'), 'inside-library')).toBe(zhCN['add.folderCheck.insideLibrary'].replace('{library}', 'Notes'));
    await screenshot(page, 'add-folder-04-inside-library-zh');
    expect(await typeAndCheck(path.join(work, 'existing'), 'not-empty')).toBe(zhCN['add.folderCheck.notEmpty_other'].replace('{count}', '2'));
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'add-folder-05-not-empty-dark-zh');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.getByRole('button', { name: zhCN['common.back'] }).click();
    await page.getByTestId('nav-preferences').click();
    await page.getByLabel(zhCN['preferences.language'], { exact: true }).selectOption('en');
    expect(problems.errors).toEqual([]);
  }, 120_000);

  it('in the app, "Choose…" opens the dialog through the bridge and takes the folder chosen', async () => {
    const chosen = path.join(work, 'picked');
    const suggested = (await service.api.suggestFolder({ libraryName: 'Photos' })).path;
    const context = await browser.newContext({ viewport: { width: 1180, height: 820 }, locale: 'en-US' });
    const appPage = await context.newPage();
    appPage.setDefaultTimeout(20_000);
    // A fake preload bridge: chooseFolder is the "dialog" (it records what it was asked), the
    // suggestion says there is a native picker, everything else goes to the daemon's control API.
    await appPage.addInitScript(
      ({ token, picked }) => {
        const dialogs: unknown[] = [];
        (window as unknown as { dialogs: unknown[] }).dialogs = dialogs;
        (window as unknown as { cairn: unknown }).cairn = {
          async invoke(channel: string, request: unknown) {
            const name = channel.replace(/^cairn:api:/, '');
            if (name === 'chooseFolder') {
              dialogs.push(request);
              return { ok: true, value: { path: picked } };
            }
            const answer = await fetch(`/api/${name}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(request) });
            const body = (await answer.json()) as Record<string, unknown>;
            if (!answer.ok) return { ok: false, ...body };
            return { ok: true, value: name === 'suggestFolder' ? { ...body, nativePicker: true } : body };
          },
          onEvent() {
            return () => undefined;
          },
        };
      },
      { token: service.token, picked: chosen },
    );
    await appPage.goto(`${service.url}/`);
    await appPage.getByRole('button', { name: en['libraries.add'] }).first().click();
    await appPage.getByRole('radio', { name: /Photos/ }).check();
    const choose = appPage.getByTestId('choose-folder');
    await choose.waitFor();
    expect(await choose.getAttribute('aria-label')).toBe(en['add.chooseLabel']);
    await eventually(async () => expect(await appPage.getByTestId('folder-input').inputValue()).toBe(suggested));
    await screenshot(appPage, 'add-folder-06-app-choose');
    await choose.click();
    await eventually(async () => expect(await appPage.getByTestId('folder-input').inputValue()).toBe(chosen));
    expect(await appPage.evaluate(() => (window as unknown as { dialogs: unknown[] }).dialogs)).toEqual([
      { title: en['add.chooseTitle'].replace('{name}', 'Photos'), startIn: suggested },
    ]);
    await eventually(async () => expect(await appPage.getByTestId('folder-check').getAttribute('data-reason', { timeout: 2_000 })).toBe('will-create'));
    await context.close();
  }, 60_000);
});
