// Ignore rules checked as they are typed, end to end in Debian's Chromium against a real daemon
// and server: a line that is not what it seems is flagged with its number, the files of the
// library the rules would match are counted and listed from the index as the user types, and
// the screen says that the rules sync to every computer of the library; in English and Chinese.

import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LibraryStateKind } from '../../shared/api/index.js';
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

describe.skipIf(!CHROMIUM_FOUND)('ignore rules checked as they are typed, in Chromium', () => {
  let work: string;
  let harness: Harness;
  let desktop: TestClient;
  let service: DaemonService;
  let browser: Browser;
  let page: Page;
  let problems: { readonly errors: string[] };

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'cairn-ignore-e2e-'));
    const uiDir = path.join(work, 'ui');
    harness = await startHarness();
    const [, client, launched] = await Promise.all([
      buildUi(uiDir),
      (async () => {
        const created = await harness.client('desktop', { libraryName: 'Documents' });
        for (let index = 1; index <= 25; index++) await created.write(`logs/day-${String(index).padStart(2, '0')}.log`, `day ${index}`);
        await created.write('app.log', 'top');
        await created.write('build/out.bin', 'binary');
        await created.write('notes.txt', 'notes');
        await created.sync();
        return created;
      })(),
      launchChromium(),
    ]);
    desktop = client;
    browser = launched;
    service = await startDaemonService({ home: path.join(work, 'laptop-profile'), deviceName: 'laptop', watcher: 'native', uiDir, retryBaseMs: 50, retryMaxMs: 500, log: () => undefined });
    await service.api.login({ serverUrl: harness.server.url, user: 'alice', password: PASSWORD });
    await service.api.addLibrary({ libraryId: desktop.libraryId, localRoot: path.join(work, 'laptop', 'Documents'), selection: null });
    await waitForState('up-to-date');
    ({ page, problems } = await openPage(browser));
    await page.goto(`${service.url}/?token=${service.token}`);
    await page.getByTestId('libraries-screen').waitFor();
  }, 120_000);

  afterAll(() => stopAll(work, browser, service, harness), 60_000);

  async function waitForState(kind: LibraryStateKind): Promise<void> {
    await eventually(async () => expect((await service.api.getStatus({})).libraries[0]?.state.kind).toBe(kind), 45_000);
  }

  it('flags lines and previews the matches as the rules are typed (English, then Chinese)', async () => {
    await page.getByRole('button', { name: en['library.settingsOf'].replace('{name}', 'Documents') }).click();
    await page.getByTestId('library-settings-screen').waitFor();
    expect(await page.getByTestId('ignore-syncs').textContent()).toBe(en['ignore.syncs']);
    const rules = page.getByLabel(en['ignore.label']);
    const count = page.getByTestId('ignore-match-count');
    await eventually(async () => expect(await count.textContent({ timeout: 2_000 })).toBe(en['ignore.preview.none']));

    await rules.fill('# logs\n*.log\nbuild\\out.bin\n');
    // 25 logs and app.log; the backslash rule matches nothing and says why, on its line.
    await eventually(async () => expect(await count.getAttribute('data-count', { timeout: 2_000 })).toBe('26'));
    expect(await count.textContent()).toBe(en['ignore.preview.matches_other'].replace('{count}', '26'));
    const matches = page.getByTestId('ignore-matches').getByRole('listitem');
    expect(await matches.count()).toBe(20);
    expect(await matches.first().textContent()).toBe('app.log');
    expect(await page.getByText(en['ignore.preview.more'].replace('{count}', '6')).count()).toBe(1);
    const issue = page.getByTestId('ignore-issues').getByRole('listitem');
    expect(await issue.getAttribute('data-line')).toBe('3');
    expect(await issue.textContent()).toBe(`${en['ignore.line'].replace('{line}', '3')} ${en['ignore.problem.backslash']}`);
    await screenshot(page, 'ignore-rules-en');

    // Fixed as typed: the folder counts once, with its contents.
    await rules.fill('# logs\n*.log\nbuild/\n');
    await eventually(async () => expect(await count.getAttribute('data-count', { timeout: 2_000 })).toBe('27'));
    expect(await page.getByTestId('ignore-issues').count()).toBe(0);

    await service.api.setPreferences({ language: 'zh-CN' });
    // The field is found by its label, now in Chinese.
    await page.getByLabel(zhCN['ignore.label']).fill('logs/\n[z-a]*\n');
    await eventually(async () => expect(await count.getAttribute('data-count', { timeout: 2_000 })).toBe('1'));
    expect(await count.textContent()).toBe(zhCN['ignore.preview.matches_one'].replace('{count}', '1'));
    expect(await page.getByTestId('ignore-issues').getByRole('listitem').textContent()).toBe(`${zhCN['ignore.line'].replace('{line}', '2')} ${zhCN['ignore.problem.backwardRange']}`);
    expect(await page.getByTestId('ignore-syncs').textContent()).toBe(zhCN['ignore.syncs']);
    await screenshot(page, 'ignore-rules-zh');
    await service.api.setPreferences({ theme: 'dark' });
    await screenshot(page, 'ignore-rules-zh-dark');
    await service.api.setPreferences({ theme: 'system', language: 'en' });
    expect(problems.errors).toEqual([]);
  });
});
