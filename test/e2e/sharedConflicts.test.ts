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

/** Binary files both computers change: conflicts of one kind, resolved together. */
const BINARIES = ['model-a.bin', 'model-b.bin'] as const;

function fill(template: string, params: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => params[name] ?? whole);
}

describe.skipIf(!CHROMIUM_FOUND)('conflicts shared by two computers in Chromium', () => {
  let work: string;
  let harness: Harness;
  let libraryId: string;
  const daemons: Record<'laptop' | 'desktop', { service: DaemonService; root: string }> = {} as never;
  let browser: Browser;
  let page: Page;
  let problems: { readonly errors: string[] };

  /** What the daemons were asked to open with the computer's default app. */
  const opened: string[] = [];
  const read = (computer: 'laptop' | 'desktop', name: string): Promise<string | null> => readFile(path.join(daemons[computer].root, name), 'utf8').catch(() => null);

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'cairn-shared-conflicts-e2e-'));
    const uiDir = path.join(work, 'ui');
    harness = await startHarness();
    const [, seed, launched] = await Promise.all([buildUi(uiDir), harness.client('seed'), launchChromium()]);
    libraryId = seed.libraryId;
    await seed.write('notes.txt', 'the first notes\n');
    for (const name of BINARIES) await seed.write(name, Buffer.from([0, 1, 2, 3, 0, 255, 0]));
    await seed.sync();
    browser = launched;
    for (const computer of ['laptop', 'desktop'] as const) {
      const service = await startDaemonService({
        home: path.join(work, `profile-${computer}`),
        deviceName: computer,
        watcher: 'native',
        uiDir,
        retryBaseMs: 50,
        retryMaxMs: 500,
        log: () => undefined,
        openPath: async (target) => void opened.push(target),
      });
      const root = path.join(work, computer, 'Documents');
      await service.api.login({ serverUrl: harness.server.url, user: 'alice', password: PASSWORD });
      await service.api.addLibrary({ libraryId, localRoot: root, selection: null });
      daemons[computer] = { service, root };
    }
    for (const computer of ['laptop', 'desktop'] as const) await eventually(async () => expect(await read(computer, 'notes.txt')).toBe('the first notes\n'), 30_000);
    ({ page, problems } = await openPage(browser));
    await page.goto(`${daemons.desktop.service.url}/?token=${daemons.desktop.service.token}`);
  }, 120_000);

  /** The name of a file's conflict copy on the desktop (the laptop found the conflict). */
  const copyOf = (name: string): string => {
    const found = copies.get(name);
    if (found === undefined) throw new Error(`no copy of ${name}`);
    return found;
  };
  const copies = new Map<string, string>();

  afterAll(() => stopAll(work, browser, ...Object.values(daemons).map(({ service }) => service), harness), 60_000);

  it('lists the laptop’s conflict on the desktop, and resolving it there closes it on the laptop', async () => {
    const laptop = daemons.laptop.service.api;
    await laptop.pauseAll({});
    await writeFile(path.join(daemons.desktop.root, 'notes.txt'), 'the desktop wrote this\n');
    for (const name of BINARIES) await writeFile(path.join(daemons.desktop.root, name), Buffer.from([0, 9, 9, 0, 1]));
    // The desktop's version is on the server before the laptop goes on.
    const observer = await harness.client('observer');
    await eventually(async () => {
      await observer.sync();
      expect(await observer.read('notes.txt')).toBe('the desktop wrote this\n');
      expect(Buffer.from(await observer.read(BINARIES[1]), 'latin1')).toHaveLength(5);
    }, 30_000);
    await writeFile(path.join(daemons.laptop.root, 'notes.txt'), 'the laptop wrote this\n');
    for (const name of BINARIES) await writeFile(path.join(daemons.laptop.root, name), Buffer.from([0, 7, 7, 7, 0, 7]));
    await laptop.resumeAll({});
    await eventually(async () => expect((await laptop.listConflicts({})).conflicts.map((conflict) => conflict.path).sort()).toEqual([...BINARIES, 'notes.txt']), 30_000);
    const copy = (await readdir(daemons.laptop.root)).find((name) => name.startsWith('notes (conflict'))!;
    for (const name of BINARIES) copies.set(name, (await readdir(daemons.laptop.root)).find((entry) => entry.startsWith(`${name.replace('.bin', '')} (conflict`))!);
    expect(await read('laptop', copy)).toBe('the laptop wrote this\n');

    // The desktop, which found nothing itself, lists it.
    await page.getByTestId('nav-conflicts').click();
    await page.getByTestId('conflicts-screen').waitFor();
    const item = page.locator('[data-testid="conflict"][data-path="notes.txt"]');
    await item.waitFor({ timeout: 30_000 });
    // Each version named by where and by whom it was edited; nothing of the laptop's is "yours" here.
    await page.locator('[data-testid="conflict"]').nth(2).waitFor({ timeout: 30_000 });
    const sides = await item.locator('dt').allTextContents();
    expect(sides).toEqual([fill(en['conflict.side.editedOnBy'], { device: 'laptop', user: 'alice' }), `${fill(en['conflict.side.editedOnBy'], { device: 'desktop', user: 'alice' })} ${en['conflict.side.here']}`]);
    expect(await item.textContent()).not.toContain(en['conflicts.mine']);
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
    expect(await dialog.getByTestId('mine-heading').textContent()).toBe(fill(en['conflict.side.editedOnBy'], { device: 'laptop', user: 'alice' }));
    expect(await dialog.getByTestId('theirs-heading').textContent()).toBe(`${fill(en['conflict.side.editedOnBy'], { device: 'desktop', user: 'alice' })} ${en['conflict.side.here']}`);
    expect(await dialog.getByTestId('keep-local').textContent()).toContain(fill(en['conflict.keep.from'], { device: 'laptop' }));
    expect(await dialog.getByTestId('keep-remote').textContent()).toContain(fill(en['conflict.keep.from'], { device: 'desktop' }));
    expect(await dialog.getByTestId('conflict-diff').textContent()).toContain(en['conflict.diff.onlyIn_one'].replace('{device}', 'laptop'));
    // The merge names each side, each choice and the legend by the computer too.
    await dialog.getByTestId('keep-merged').click();
    const region = dialog.getByTestId('merge-region').first();
    await region.waitFor();
    expect(await region.locator('.merge-sides .merge-side-title').allTextContents()).toEqual([fill(en['conflict.merge.from'], { device: 'laptop' }), fill(en['conflict.merge.from'], { device: 'desktop' })]);
    expect(await region.getByRole('radio').evaluateAll((radios) => radios.map((radio) => radio.parentElement?.textContent))).toEqual([
      'laptop',
      'desktop',
      fill(en['conflict.merge.choice.then'], { first: 'laptop', second: 'desktop' }),
      fill(en['conflict.merge.choice.then'], { first: 'desktop', second: 'laptop' }),
      en['merge.choice.base'],
    ]);
    await region.getByRole('radio').first().check();
    await screenshot(page, 'shared-conflicts-03b-desktop-merge');
    for (const word of [en['conflicts.keepMine'], en['conflicts.keepTheirs'], en['conflicts.mine'], 'Your version', 'your copy', 'yours', 'Yours', 'theirs', 'Theirs']) expect(await dialog.textContent()).not.toContain(word);
    await dialog.getByTestId('keep-remote').click();
    await dialog.getByTestId('apply').click();
    await page.getByTestId('conflicts-notice').waitFor({ timeout: 45_000 });
    expect(await page.getByTestId('conflicts-notice').textContent()).toBe(fill(en['conflict.done.kept'], { path: 'notes.txt', device: 'desktop' }));
    await item.waitFor({ state: 'detached', timeout: 30_000 });

    // A binary file: each version opens with this computer's app; the choice applies to the
    // similar one only after a question that lists both.
    await page.locator(`[data-testid="conflict"][data-path="${BINARIES[0]}"]`).getByTestId('open-conflict').click();
    await dialog.getByTestId('conflict-versions').waitFor();
    await dialog.getByTestId('mine-open').getByRole('button').click();
    await dialog.getByTestId('theirs-open').getByRole('button', { name: fill(en['conflict.openVersionOf'], { name: BINARIES[0] }) }).click();
    await eventually(async () => expect(opened.map((target) => path.relative(daemons.desktop.root, target))).toEqual([copyOf(BINARIES[0]), BINARIES[0]]));
    await dialog.getByTestId('keep-remote').click();
    await dialog.getByTestId('apply-to-similar').check();
    await dialog.getByTestId('apply').click();
    const question = page.getByRole('dialog');
    await question.waitFor();
    expect(await question.getByRole('heading').textContent()).toBe(en['conflict.confirmMany.title_other'].replace('{count}', '2'));
    expect(await question.getByTestId('confirm-similar').getByRole('listitem').allTextContents()).toEqual([...BINARIES]);
    await screenshot(page, 'shared-conflicts-05-confirm-similar');
    // Cancelled: nothing changed.
    await question.getByRole('button', { name: en['conflict.confirmMany.cancel'] }).click();
    await question.waitFor({ state: 'hidden' });
    expect((await daemons.desktop.service.api.listConflicts({})).conflicts).toHaveLength(2);
    // Chinese: the same question.
    await daemons.desktop.service.api.setPreferences({ language: 'zh-CN' });
    await dialog.getByTestId('apply').click();
    await question.waitFor();
    expect(await question.getByRole('heading').textContent()).toBe(zhCN['conflict.confirmMany.title_other'].replace('{count}', '2'));
    expect(await question.textContent()).toContain(fill(zhCN['conflict.confirmMany.body'], { choice: fill(zhCN['conflict.keep.from'], { device: 'desktop' }) }));
    await screenshot(page, 'shared-conflicts-06-confirm-similar-zh');
    await daemons.desktop.service.api.setPreferences({ theme: 'dark' });
    await screenshot(page, 'shared-conflicts-07-confirm-similar-zh-dark');
    await daemons.desktop.service.api.setPreferences({ theme: 'system', language: 'en' });
    await question.getByRole('button', { name: en['resolve.applyMany_other'].replace('{count}', '2') }).click();
    await page.getByTestId('conflict-outcome').waitFor({ timeout: 45_000 });
    expect(await page.getByTestId('conflict-outcome').textContent()).toContain(fill(en['outcome.subtitle'], { choice: fill(en['conflict.keep.from'], { device: 'desktop' }) }));
    expect(await page.getByTestId('outcome').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-outcome')))).toEqual(['resolved', 'resolved']);
    await page.getByTestId('conflict-outcome').getByRole('button', { name: en['conflict.back'] }).click();
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
