// A read-only library in the UI, end to end in Debian's Chromium against a real daemon and
// server: bob syncs a library alice shares with him read-only. One edit of his no longer stops
// the library: the card shows the owner and "read-only", Problems names the file, alice's later
// changes keep arriving, and her change to the file bob edited keeps his edit as a conflict
// copy on his computer only. A version restored as a copy from the history says it stays on
// this computer, in English and Chinese.

import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
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
import { PASSWORD, startHarness } from '../sync/harness.js';
import type { Harness, TestClient } from '../sync/harness.js';
import { buildUi } from './support/buildUi.js';
import { CHROMIUM_FOUND, launchChromium, openPage, screenshot } from './support/chromium.js';
import { stopAll } from './support/stopAll.js';

describe.skipIf(!CHROMIUM_FOUND)('a read-only library in Chromium', () => {
  let work: string;
  let harness: Harness;
  let alice: TestClient;
  let service: DaemonService;
  let browser: Browser;
  let page: Page;
  let problems: { readonly errors: string[] };
  let bobDir: string;

  const fileOf = (name: string): Promise<string | null> => readFile(path.join(bobDir, name), 'utf8').catch(() => null);

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'cairn-readonly-e2e-'));
    const uiDir = path.join(work, 'ui');
    harness = await startHarness();
    const [, , launched] = await Promise.all([
      buildUi(uiDir),
      (async () => {
        await harness.addUser('bob');
        alice = await harness.client('alice-laptop', { user: 'alice', libraryName: 'Shared' });
        await alice.write('plan.txt', 'the plan, by alice\n');
        await alice.write('notes.txt', 'notes, by alice\n');
        await alice.sync();
        await (await alice.engine.server()).call(routes.setMember, { params: { libraryId: alice.libraryId, userName: 'bob' }, body: { role: 'ro' } });
      })(),
      launchChromium(),
    ]);
    browser = launched;
    service = await startDaemonService({ home: path.join(work, 'profile'), deviceName: 'bob-pc', watcher: 'native', uiDir, retryBaseMs: 50, retryMaxMs: 500, log: () => undefined });
    bobDir = path.join(work, 'Cairn', 'Shared');
    await service.api.login({ serverUrl: harness.server.url, user: 'bob', password: PASSWORD });
    await service.api.addLibrary({ libraryId: alice.libraryId, localRoot: bobDir, selection: null });
    await eventually(async () => expect(await fileOf('plan.txt')).toBe('the plan, by alice\n'), 30_000);
    ({ page, problems } = await openPage(browser));
    await page.goto(`${service.url}/?token=${service.token}`);
  }, 120_000);

  afterAll(() => stopAll(work, browser, service, harness), 60_000);

  const card = () => page.getByTestId('library-card').filter({ hasText: 'Shared' });

  it('keeps syncing with a local edit, says read-only, names the file and keeps the edit through a server change', async () => {
    await card().waitFor();
    const access = card().getByTestId('library-access');
    await eventually(async () => expect(await access.textContent({ timeout: 2_000 })).toContain(en['library.ownedBy'].replace('{owner}', 'alice')));
    expect(await access.textContent()).toContain(en['library.readOnly']);

    // bob edits a file he may only read.
    await writeFile(path.join(bobDir, 'plan.txt'), 'the plan, changed by bob\n');
    await eventually(async () => expect(await card().getByTestId('library-state').getAttribute('data-state', { timeout: 2_000 })).toBe('needs-attention'), 30_000);
    await screenshot(page, 'readonly-01-card');

    await page.getByTestId('nav-problems').click();
    await page.getByTestId('problems-screen').waitFor();
    const problem = page.getByTestId('problem').filter({ hasText: 'plan.txt' });
    await problem.waitFor();
    expect(await problem.textContent()).toContain(en['problemKind.readOnly']);
    expect(await problem.textContent()).toContain(en['problemMessage.readOnly'].replace('{path}', '').trim());
    await screenshot(page, 'readonly-02-problems');

    // alice's later changes keep arriving.
    await alice.write('notes.txt', 'notes, updated by alice\n');
    await alice.sync();
    await eventually(async () => expect(await fileOf('notes.txt')).toBe('notes, updated by alice\n'), 30_000);
    // Her change to the file bob edited: hers takes the name, his edit stays as a copy here.
    await alice.write('plan.txt', 'the plan, revised by alice\n');
    await alice.sync();
    await eventually(async () => expect(await fileOf('plan.txt')).toBe('the plan, revised by alice\n'), 30_000);
    const copy = (await readdir(bobDir)).find((name) => name.startsWith('plan (conflict'));
    expect(copy).toBeDefined();
    expect(await fileOf(copy!)).toBe('the plan, changed by bob\n');
    await page.getByTestId('problem').filter({ hasText: copy! }).waitFor();
    await alice.sync();
    expect(Object.keys(await alice.tree()).sort()).toEqual(['notes.txt', 'plan.txt']);
    expect(await alice.read('plan.txt')).toBe('the plan, revised by alice\n');

    // The same screens in Chinese.
    await page.getByTestId('nav-preferences').click();
    await page.getByLabel(en['preferences.language'], { exact: true }).selectOption('zh-CN');
    await page.getByTestId('nav-libraries').click();
    await eventually(async () => expect(await card().getByTestId('library-access').textContent({ timeout: 2_000 })).toContain(zhCN['library.readOnly']));
    await screenshot(page, 'readonly-03-card-zh');
    await page.getByTestId('nav-problems').click();
    await page.getByTestId('problem').first().waitFor();
    await screenshot(page, 'readonly-04-problems-zh');
    await page.getByTestId('nav-preferences').click();
    await page.getByLabel(zhCN['preferences.language'], { exact: true }).selectOption('en');
    expect(problems.errors).toEqual([]);
  }, 120_000);

  it('says a version restored as a copy stays on this computer', async () => {
    const row = (libraryPath: string) => page.locator(`[data-testid="file-row"][data-path="${libraryPath}"]`);
    const copies: string[] = [];
    for (const language of ['en', 'zh-CN'] as const) {
      const messages = language === 'en' ? en : zhCN;
      await service.api.setPreferences({ language });
      await eventually(async () => expect(await page.getByTestId('nav-libraries').textContent()).toBe(messages['nav.libraries']));
      await page.getByTestId('nav-libraries').click();
      await page.getByRole('button', { name: messages['files.openOf'].replace('{name}', 'Shared') }).click();
      await row('notes.txt').getByRole('button', { name: messages['history.openOf'].replace('{path}', 'notes.txt') }).click();
      await page.getByTestId('history-screen').waitFor();
      const oldest = page.getByTestId('history-version').last();
      await oldest.waitFor();
      // A read-only member is offered no restore over the library's file, and told why.
      expect(await page.getByTestId('history-read-only').innerText()).toBe(messages['history.readOnlyHint']);
      expect(await page.getByRole('button', { name: messages['history.restore'], exact: true }).count()).toBe(0);
      await oldest.locator('button', { hasText: messages['history.restoreCopy'] }).click();
      const notice = page.getByTestId('history-restored-copy');
      await notice.waitFor();
      const text = (await notice.textContent()) ?? '';
      const copy = /notes \(restored \d{4}-\d{2}-\d{2} \d{2}\.\d{2}( 2)?\)\.txt/.exec(text)?.[0];
      expect(copy, text).toBeDefined();
      expect(text).toBe(messages['history.restoredCopyReadOnly'].replace('{path}', copy!));
      expect(await fileOf(copy!)).toBe('notes, by alice\n');
      copies.push(copy!);
      await screenshot(page, `readonly-05-restored-copy-${language === 'en' ? 'en' : 'zh'}`);
    }
    expect(new Set(copies).size).toBe(2);
    // Never uploaded: alice's library holds no copy.
    await alice.sync();
    expect(Object.keys(await alice.tree()).sort()).toEqual(['notes.txt', 'plan.txt']);
    await service.api.setPreferences({ language: 'en' });
    expect(problems.errors).toEqual([]);
  }, 120_000);
});
