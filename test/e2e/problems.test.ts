// Problems you can act on, end to end in Debian's Chromium against a real daemon and server: a
// badly named file (`bad\name.txt`) is renamed from the Problems screen (the new name checked as
// it is typed, the rename done by the service in place) and reaches the other computer; a
// deliberate symlink is dismissed, so the library no longer needs attention, is listed under
// "Dismissed", and can be brought back; in English and in Chinese, light and dark.

import { mkdir, mkdtemp, readdir, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LibraryStateKind } from '../../shared/api/index.js';
import { startDaemonService } from '../../src-main/daemon/daemonService.js';
import type { DaemonService } from '../../src-main/daemon/daemonService.js';
import type { Messages } from '../../src-renderer/i18n/en.js';
import { en } from '../../src-renderer/i18n/en.js';
import { zhCN } from '../../src-renderer/i18n/zhCN.js';
import { eventually } from '../support/eventually.js';
import { PASSWORD, startHarness } from '../sync/harness.js';
import type { Harness, TestClient } from '../sync/harness.js';
import { buildUi } from './support/buildUi.js';
import { CHROMIUM_FOUND, launchChromium, openPage, screenshot } from './support/chromium.js';
import { stopAll } from './support/stopAll.js';

function fill(template: string, params: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => params[name] ?? whole);
}

describe.skipIf(!CHROMIUM_FOUND)('acting on problems in Chromium', () => {
  let work: string;
  let harness: Harness;
  let desktop: TestClient;
  let service: DaemonService;
  let browser: Browser;
  let page: Page;
  let problems: { readonly errors: string[] };
  let laptopRoot: string;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'cairn-problems-e2e-'));
    const uiDir = path.join(work, 'ui');
    harness = await startHarness();
    const [, client, launched] = await Promise.all([
      buildUi(uiDir),
      (async () => {
        const created = await harness.client('desktop', { libraryName: 'Documents' });
        await created.write('notes.txt', 'the notes');
        await created.sync();
        return created;
      })(),
      launchChromium(),
    ]);
    desktop = client;
    browser = launched;
    // The laptop's folder holds a name no system but this one takes, and a link kept on purpose.
    laptopRoot = path.join(work, 'laptop', 'Documents');
    await mkdir(path.join(laptopRoot, 'Work'), { recursive: true });
    await writeFile(path.join(laptopRoot, 'Work', 'bad\\name.txt'), 'renamed content');
    await symlink('/etc', path.join(laptopRoot, 'etc-link'));
    service = await startDaemonService({ home: path.join(work, 'laptop-profile'), deviceName: 'laptop', watcher: 'native', uiDir, retryBaseMs: 50, retryMaxMs: 500, log: () => undefined });
    await service.api.login({ serverUrl: harness.server.url, user: 'alice', password: PASSWORD });
    await service.api.addLibrary({ libraryId: desktop.libraryId, localRoot: laptopRoot, selection: null });
    await waitForState('needs-attention');
    ({ page, problems } = await openPage(browser));
    await page.goto(`${service.url}/?token=${service.token}`);
    await page.getByTestId('libraries-screen').waitFor();
  }, 120_000);

  afterAll(() => stopAll(work, browser, service, harness), 60_000);

  async function waitForState(kind: LibraryStateKind): Promise<void> {
    await eventually(async () => expect((await service.api.getStatus({})).libraries[0]?.state.kind).toBe(kind), 45_000);
  }

  async function setLanguage(language: 'en' | 'zh-CN'): Promise<Messages> {
    await service.api.setPreferences({ language });
    const messages = language === 'en' ? en : zhCN;
    await page.getByRole('heading', { name: messages['problems.title'] }).first().waitFor();
    return messages;
  }

  const activeProblem = (kindLabel: string) => page.getByTestId('problem').filter({ hasText: kindLabel });

  it('renames a badly named file, checking the name as it is typed (English, then Chinese)', async () => {
    await page.getByTestId('nav-problems').click();
    await page.getByTestId('problems-screen').waitFor();
    const messages = await setLanguage('en');
    const bad = activeProblem(messages['problemKind.invalidName']);
    await bad.waitFor();
    expect(await bad.textContent()).toContain('Work/bad\\name.txt');
    // The sentence names the file, not its folder.
    expect(await bad.getByTestId('problem-message').textContent()).toBe(fill(messages['problemMessage.invalidName'], { path: 'Work/bad\\name.txt' }));
    await bad.getByTestId('rename-problem').click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await dialog.getByRole('heading').textContent()).toBe(fill(messages['problems.rename.title'], { name: 'bad\\name.txt' }));
    const input = dialog.getByTestId('rename-input');
    const checkLine = dialog.getByTestId('rename-check');
    const confirm = dialog.getByRole('button', { name: messages['problems.rename.confirm'] });
    // A suggestion that every system takes.
    expect(await input.inputValue()).toBe('bad_name.txt');
    expect(await checkLine.textContent()).toBe(messages['problems.rename.hint']);
    for (const [typed, key] of [
      ['a:b.txt', 'nameProblem.windowsCharacter'],
      ['sub/x.txt', 'nameProblem.separator'],
      ['CON.txt', 'nameProblem.windowsReserved'],
      ['', 'nameProblem.empty'],
      ['bad\\name.txt', 'nameProblem.separator'],
    ] as const) {
      await input.fill(typed);
      expect(await checkLine.textContent(), typed).toBe(messages[key]);
      expect(await confirm.isDisabled(), typed).toBe(true);
    }
    await input.fill('a:b.txt');
    await screenshot(page, 'problems-rename-check-en');

    // Switched to Chinese with the dialog open: the check speaks Chinese.
    await service.api.setPreferences({ language: 'zh-CN' });
    await eventually(async () => expect(await checkLine.textContent({ timeout: 2_000 })).toBe(zhCN['nameProblem.windowsCharacter']));
    await screenshot(page, 'problems-rename-check-zh');
    await service.api.setPreferences({ language: 'en' });

    await input.fill('good name.txt');
    expect(await confirm.isDisabled()).toBe(false);
    await confirm.click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await readdir(path.join(laptopRoot, 'Work'))).sort()).toEqual(['good name.txt']);
    await page.getByText(fill(messages['problems.rename.done'], { from: 'bad\\name.txt', to: 'good name.txt' })).waitFor();
    // The next scan syncs it: the problem leaves, and the desktop gets the file.
    await bad.waitFor({ state: 'detached', timeout: 30_000 });
    await eventually(async () => {
      await desktop.sync();
      expect(await desktop.read('Work/good name.txt')).toBe('renamed content');
    }, 30_000);
  });

  it('dismisses a deliberate symlink: the library no longer needs attention, and it can be brought back', async () => {
    const messages = await setLanguage('en');
    const link = activeProblem(messages['problemKind.symlink']);
    await link.waitFor();
    await waitForState('needs-attention');
    await screenshot(page, 'problems-before-dismiss-en');
    await link.getByRole('button', { name: fill(messages['problems.dismissOf'], { path: 'etc-link' }) }).click();
    const dismissed = page.getByTestId('dismissed-problems');
    await dismissed.waitFor();
    expect(await dismissed.getByRole('heading').textContent()).toBe(messages['problems.dismissed.title']);
    expect(await dismissed.getByTestId('dismissed-problem').textContent()).toContain('etc-link');
    await link.waitFor({ state: 'detached' });
    await page.getByText(messages['problems.emptyTitle']).waitFor();
    await waitForState('up-to-date');
    // No count in the sidebar any more.
    expect(await page.getByTestId('nav-problems').textContent()).toBe(messages['nav.problems']);
    await screenshot(page, 'problems-dismissed-en');

    // A later round sees the link again: still dismissed.
    await desktop.write('later.txt', 'later');
    await desktop.sync();
    await eventually(async () => expect((await service.api.listProblems({})).problems.map((problem) => [problem.kind, problem.dismissedAt !== null])).toEqual([['symlink', true]]));
    await waitForState('up-to-date');

    // Chinese, and dark: brought back, and dismissed again.
    const zh = await setLanguage('zh-CN');
    await service.api.setPreferences({ theme: 'dark' });
    expect(await dismissed.getByRole('heading').textContent()).toBe(zh['problems.dismissed.title']);
    await screenshot(page, 'problems-dismissed-zh-dark');
    await dismissed.getByRole('button', { name: fill(zh['problems.restoreOf'], { path: 'etc-link' }) }).click();
    await activeProblem(zh['problemKind.symlink']).waitFor();
    await dismissed.waitFor({ state: 'detached' });
    await waitForState('needs-attention');
    await screenshot(page, 'problems-restored-zh-dark');
    await activeProblem(zh['problemKind.symlink']).getByRole('button', { name: fill(zh['problems.dismissOf'], { path: 'etc-link' }) }).click();
    await dismissed.waitFor();
    await waitForState('up-to-date');
    await service.api.setPreferences({ theme: 'system', language: 'en' });
    expect(problems.errors).toEqual([]);
  });
});
