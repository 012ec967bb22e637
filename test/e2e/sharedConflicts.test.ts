// Conflicts as library state, end to end in Debian's Chromium: two computers of one library,
// "laptop" and "desktop", each a real daemon with its own profile, against a real server. The
// desktop saves first; the laptop, saving the same file while paused, finds the conflict. The
// desktop's window lists it too (it used to say "no conflicts"), and resolving it there closes
// it on the laptop as well, whose copy goes away while the kept version stays on both.

import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
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

describe.skipIf(!CHROMIUM_FOUND)('conflicts shared by two computers in Chromium', () => {
  let work: string;
  let harness: Harness;
  let libraryId: string;
  const daemons: Record<'laptop' | 'desktop', { service: DaemonService; root: string }> = {} as never;
  let browser: Browser;
  let page: Page;
  let problems: { readonly errors: string[] };

  const read = (computer: 'laptop' | 'desktop', name: string): Promise<string | null> => readFile(path.join(daemons[computer].root, name), 'utf8').catch(() => null);

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'cairn-shared-conflicts-e2e-'));
    const uiDir = path.join(work, 'ui');
    harness = await startHarness();
    const [, seed, launched] = await Promise.all([buildUi(uiDir), harness.client('seed'), launchChromium()]);
    libraryId = seed.libraryId;
    await seed.write('notes.txt', 'the first notes\n');
    await seed.sync();
    browser = launched;
    for (const computer of ['laptop', 'desktop'] as const) {
      const service = await startDaemonService({ home: path.join(work, `profile-${computer}`), deviceName: computer, watcher: 'native', uiDir, retryBaseMs: 50, retryMaxMs: 500, log: () => undefined });
      const root = path.join(work, computer, 'Documents');
      await service.api.login({ serverUrl: harness.server.url, user: 'alice', password: PASSWORD });
      await service.api.addLibrary({ libraryId, localRoot: root, selection: null });
      daemons[computer] = { service, root };
    }
    for (const computer of ['laptop', 'desktop'] as const) await eventually(async () => expect(await read(computer, 'notes.txt')).toBe('the first notes\n'), 30_000);
    ({ page, problems } = await openPage(browser));
    await page.goto(`${daemons.desktop.service.url}/?token=${daemons.desktop.service.token}`);
  }, 120_000);

  afterAll(() => stopAll(work, browser, ...Object.values(daemons).map(({ service }) => service), harness), 60_000);

  it('lists the laptop’s conflict on the desktop, and resolving it there closes it on the laptop', async () => {
    const laptop = daemons.laptop.service.api;
    await laptop.pauseAll({});
    await writeFile(path.join(daemons.desktop.root, 'notes.txt'), 'the desktop wrote this\n');
    // The desktop's version is on the server before the laptop goes on.
    const observer = await harness.client('observer');
    await eventually(async () => {
      await observer.sync();
      expect(await observer.read('notes.txt')).toBe('the desktop wrote this\n');
    }, 30_000);
    await writeFile(path.join(daemons.laptop.root, 'notes.txt'), 'the laptop wrote this\n');
    await laptop.resumeAll({});
    await eventually(async () => expect((await laptop.listConflicts({})).conflicts.map((conflict) => conflict.path)).toEqual(['notes.txt']), 30_000);
    const copy = (await readdir(daemons.laptop.root)).find((name) => name.startsWith('notes (conflict'))!;
    expect(await read('laptop', copy)).toBe('the laptop wrote this\n');

    // The desktop, which found nothing itself, lists it.
    await page.getByTestId('nav-conflicts').click();
    await page.getByTestId('conflicts-screen').waitFor();
    const item = page.locator('[data-testid="conflict"][data-path="notes.txt"]');
    await item.waitFor({ timeout: 30_000 });
    expect(await item.textContent()).toContain(en['conflicts.copyFrom'].replace('{device}', 'laptop'));
    expect(await read('desktop', copy)).toBe('the laptop wrote this\n');
    await screenshot(page, 'shared-conflicts-01-desktop-lists');
    await page.getByTestId('nav-preferences').click();
    await page.getByLabel(en['preferences.language'], { exact: true }).selectOption('zh-CN');
    await page.getByTestId('nav-conflicts').click();
    await item.waitFor();
    await screenshot(page, 'shared-conflicts-02-desktop-lists-zh');
    await page.getByTestId('nav-preferences').click();
    await page.getByLabel(zhCN['preferences.language'], { exact: true }).selectOption('en');

    // Resolved on the desktop, keeping the version at the name (the desktop's).
    await page.getByTestId('nav-conflicts').click();
    await item.getByTestId('open-conflict').click();
    const dialog = page.getByTestId('conflict-dialog');
    await dialog.getByTestId('conflict-versions').waitFor();
    await screenshot(page, 'shared-conflicts-03-desktop-dialog');
    await dialog.getByTestId('keep-remote').click();
    await dialog.getByTestId('apply').click();
    await page.getByTestId('conflicts-notice').waitFor({ timeout: 45_000 });
    await page.getByText(en['conflicts.emptyTitle']).waitFor({ timeout: 30_000 });

    // The laptop lists it no more; the copy is gone on both; the kept version is on both.
    await eventually(async () => expect((await laptop.listConflicts({})).conflicts).toEqual([]), 30_000);
    await eventually(async () => expect(await read('laptop', copy)).toBeNull(), 30_000);
    expect(await read('desktop', copy)).toBeNull();
    expect(await read('laptop', 'notes.txt')).toBe('the desktop wrote this\n');
    expect(await read('desktop', 'notes.txt')).toBe('the desktop wrote this\n');
    await eventually(async () => expect((await laptop.getStatus({})).libraries[0]?.state.kind).toBe('up-to-date'), 30_000);
    await screenshot(page, 'shared-conflicts-04-resolved');
    expect(problems.errors).toEqual([]);
  }, 180_000);
});
