// The conflict dialog end to end, in Debian's Chromium: a real cairn-server on 127.0.0.1 and
// two clients of one library, "laptop" (a daemon with its own profile, serving the built UI)
// and "desktop" (an engine from the sync harness). Both edit the same files; desktop commits
// first, so laptop gets the conflicts and keeps its versions beside the originals. Each is then
// resolved through the dialog, one way each: keep mine, keep theirs (by keyboard), keep both
// (an image), a clean merge (after a file changed under the preview), a merge with an
// overlapping region settled by a choice, a batch merge with one failure, and an automatic
// merge once the library settings allow it. Every step checks the files on both computers and
// the server's history, not only the screen, and saves screenshots of what the screen showed.
//
// The steps share one browser, daemon and server and run in order; each waits for what it
// expects (never a fixed sleep for correctness).

import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LibraryStateKind } from '../../shared/api/index.js';
import type { LibraryPath } from '../../shared/paths.js';
import { downloadContent } from '../../src-main/engine/conflicts/conflictVersions.js';
import { startDaemonService } from '../../src-main/daemon/daemonService.js';
import type { DaemonService } from '../../src-main/daemon/daemonService.js';
import { en } from '../../src-renderer/i18n/en.js';
import { zhCN } from '../../src-renderer/i18n/zhCN.js';
import { eventually } from '../support/eventually.js';
import { PASSWORD, startHarness } from '../sync/harness.js';
import type { Harness, TestClient } from '../sync/harness.js';
import { buildUi } from './support/buildUi.js';
import { CHROMIUM_FOUND, MISSING_CHROMIUM, ON_CI, launchChromium, openPage, screenshot } from './support/chromium.js';
import { landscapePng } from './support/png.js';
import { stopAll } from './support/stopAll.js';

if (!CHROMIUM_FOUND && !ON_CI) console.warn(`conflict dialog end-to-end tests skipped: ${MISSING_CHROMIUM}`);

describe.runIf(!CHROMIUM_FOUND && ON_CI)('the conflict dialog end to end', () => {
  it('has Chromium to run in', () => {
    throw new Error(MISSING_CHROMIUM);
  });
});

type Content = string | Buffer;
interface Edit {
  readonly laptop: Content;
  readonly desktop: Content;
}

const lines = (...items: readonly string[]) => items.map((line) => `${line}\n`).join('');

const ITEMS = Array.from({ length: 24 }, (_, index) => `- Item ${index + 1}: on track`);
const report = (prepared: string, item18: string, summary: readonly string[]) =>
  lines('# Quarterly report', '', prepared, '', ...ITEMS.map((item, index) => (index === 17 ? item18 : item)), '', ...summary);
const REPORT = {
  base: report('Prepared by the team.', ITEMS[17]!, ['Summary: sales grew.']),
  laptop: report('Prepared by Ann and the team.', ITEMS[17]!, ['Summary: sales grew by 12 %.']),
  desktop: report('Prepared by the team.', '- Item 18: delayed to May', ['Summary: sales grew strongly in the north.']),
  // The overlap settled as "theirs, then yours"; the other edits merged from each side.
  merged: report('Prepared by Ann and the team.', '- Item 18: delayed to May', ['Summary: sales grew strongly in the north.', 'Summary: sales grew by 12 %.']),
};
const PLAN = {
  base: lines('Plan', 'monday: write', 'tuesday: review', 'wednesday: test', 'thursday: ship'),
  laptop: lines('Plan', 'monday: write the draft', 'tuesday: review', 'wednesday: test', 'thursday: ship'),
  desktop: lines('Plan', 'monday: write', 'tuesday: review', 'wednesday: test', 'thursday: ship it'),
  // Saved on the laptop while the dialog showed the first comparison.
  laptopLater: lines('Plan', 'monday: write the draft', 'tuesday: review twice', 'wednesday: test', 'thursday: ship'),
  merged: lines('Plan', 'monday: write the draft', 'tuesday: review twice', 'wednesday: test', 'thursday: ship it'),
};
const MINE = { base: lines('Shopping list', 'milk', 'eggs'), laptop: lines('Shopping list', 'milk', 'eggs', 'bread'), desktop: lines('Shopping list', 'milk', 'eggs', 'cheese') };
const THEIRS = { base: lines('Meeting at 10:00'), laptop: lines('Meeting at 10:30'), desktop: lines('Meeting at 11:00 in room B') };
const PHOTO = {
  base: landscapePng({ sky: [120, 170, 230], horizon: [200, 225, 250], sun: [255, 220, 90], sunX: 60, sunY: 40 }),
  laptop: landscapePng({ sky: [90, 150, 225], horizon: [190, 220, 250], sun: [255, 235, 120], sunX: 170, sunY: 36 }),
  desktop: landscapePng({ sky: [70, 60, 140], horizon: [250, 150, 90], sun: [255, 120, 60], sunX: 120, sunY: 100 }),
};
const BATCH = {
  one: { base: lines('a', 'b', 'c', 'd', 'e'), laptop: lines('A', 'b', 'c', 'd', 'e'), desktop: lines('a', 'b', 'c', 'd', 'E'), merged: lines('A', 'b', 'c', 'd', 'E') },
  two: { base: lines('1', '2', '3', '4', '5'), laptop: lines('1', '2', '3', '4', '5', '6'), desktop: lines('zero', '1', '2', '3', '4', '5'), merged: lines('zero', '1', '2', '3', '4', '5', '6') },
  three: { base: lines('x'), laptop: lines('x by laptop'), desktop: lines('x by desktop') },
};
const AUTO = { base: lines('one', 'two', 'three', 'four', 'five'), laptop: lines('ONE', 'two', 'three', 'four', 'five'), desktop: lines('one', 'two', 'three', 'four', 'FIVE'), merged: lines('ONE', 'two', 'three', 'four', 'FIVE') };

describe.skipIf(!CHROMIUM_FOUND)('the conflict dialog in Chromium, between two computers', () => {
  let work: string;
  let harness: Harness;
  let desktop: TestClient;
  let service: DaemonService;
  let browser: Browser;
  let page: Page;
  let problems: { readonly errors: string[] };
  let libraryId: string;
  let laptopRoot: string;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'cairn-conflicts-e2e-'));
    const uiDir = path.join(work, 'ui');
    harness = await startHarness();
    const [, client, launched] = await Promise.all([buildUi(uiDir), harness.client('desktop', { libraryName: 'Documents' }), launchChromium()]);
    desktop = client;
    browser = launched;
    libraryId = desktop.engine.libraries()[0]!.libraryId;
    service = await startDaemonService({ home: path.join(work, 'laptop-profile'), deviceName: 'laptop', watcher: 'native', uiDir, retryBaseMs: 50, retryMaxMs: 500, log: () => undefined });
    await service.api.login({ serverUrl: harness.server.url, user: 'alice', password: PASSWORD });
    laptopRoot = path.join(work, 'laptop', 'Documents');
    await service.api.addLibrary({ libraryId, localRoot: laptopRoot, selection: null });
    await waitForState('up-to-date');
    ({ page, problems } = await openPage(browser));
    await page.goto(service.link);
    await page.getByTestId('libraries-screen').waitFor();
  }, 120_000);

  afterAll(() => stopAll(work, browser, service, harness), 60_000);

  // ---- the two computers and the server ------------------------------------------------------

  async function libraryState(): Promise<LibraryStateKind | undefined> {
    return (await service.api.getStatus({})).libraries.find((library) => library.libraryId === libraryId)?.state.kind;
  }

  async function waitForState(...kinds: LibraryStateKind[]): Promise<void> {
    await eventually(async () => expect(kinds).toContain(await libraryState()), 45_000);
  }

  const laptopFile = (relative: string) => readFile(path.join(laptopRoot, relative)).catch(() => null);
  const laptopText = async (relative: string) => (await laptopFile(relative))?.toString('utf8') ?? null;
  const desktopFile = (relative: string) => readFile(path.join(desktop.root, relative)).catch(() => null);

  /** The names in a folder of each computer that are conflict copies of `name` (its stem). */
  async function copiesOf(root: string, relative: string): Promise<string[]> {
    const folder = path.dirname(relative);
    const stem = path.basename(relative, path.extname(relative));
    const names = await readdir(path.join(root, folder)).catch(() => [] as string[]);
    return names.filter((name) => name.startsWith(`${stem} (conflict laptop `)).sort();
  }

  /** The server's history of a path, newest first, with each live version's bytes. */
  async function history(relative: string): Promise<{ readonly deleted: boolean; readonly device: string; readonly bytes: Buffer | null }[]> {
    const versions = await desktop.engine.history(libraryId, relative as LibraryPath);
    return Promise.all(
      versions.map(async (version) => ({
        deleted: version.deleted,
        device: version.device,
        bytes: version.deleted || version.kind !== 'file' ? null : Buffer.from(await downloadContent(await desktop.engine.server(), libraryId, version.chunks, version.contentHash, version.size)),
      })),
    );
  }

  const liveContents = async (relative: string) => (await history(relative)).filter((version) => !version.deleted).map((version) => version.bytes?.toString('utf8'));

  /** Desktop commits the base versions; laptop downloads them. */
  async function startFrom(files: Readonly<Record<string, Content>>): Promise<void> {
    for (const [relative, content] of Object.entries(files)) await desktop.write(relative, content);
    await desktop.sync();
    await eventually(async () => {
      for (const [relative, content] of Object.entries(files)) expect((await laptopFile(relative))?.equals(Buffer.from(content))).toBe(true);
    });
    await waitForState('up-to-date');
  }

  /** Both computers edit the same files; desktop commits first, so laptop gets the conflicts. */
  async function editOnBoth(edits: Readonly<Record<string, Edit>>): Promise<void> {
    await service.api.pauseLibrary({ libraryId });
    await waitForState('paused');
    for (const [relative, edit] of Object.entries(edits)) {
      await writeFile(path.join(laptopRoot, relative), edit.laptop);
      await desktop.write(relative, edit.desktop);
    }
    await desktop.sync();
    await service.api.resumeLibrary({ libraryId });
    await eventually(async () => {
      const listed = (await service.api.listConflicts({ libraryId })).conflicts.map((conflict) => conflict.path);
      expect(listed).toEqual(expect.arrayContaining(Object.keys(edits)));
    }, 45_000);
  }

  async function conflictIdOf(relative: string): Promise<number> {
    const conflict = (await service.api.listConflicts({ libraryId })).conflicts.find((candidate) => candidate.path === relative);
    if (conflict === undefined) throw new Error(`no open conflict at ${relative}`);
    return conflict.conflictId;
  }

  // ---- the page --------------------------------------------------------------------------------

  async function navigate(section: 'libraries' | 'activity' | 'conflicts'): Promise<void> {
    await page.getByTestId(`nav-${section}`).click();
    await page.getByTestId(`${section}-screen`).waitFor();
  }

  const listItem = (relative: string) => page.locator(`[data-testid="conflict"][data-path="${relative}"]`);

  /** Opens a conflict from the list and waits for its comparison. */
  async function open(relative: string): Promise<Locator> {
    await navigate('conflicts');
    await listItem(relative).getByTestId('open-conflict').click();
    const dialog = page.getByTestId('conflict-dialog');
    await dialog.getByTestId('conflict-versions').waitFor();
    expect(await dialog.getByRole('heading', { level: 1 }).textContent()).toBe(relative);
    return dialog;
  }

  async function applyAndExpectResolved(dialog: Locator, message: string): Promise<void> {
    await dialog.getByTestId('apply').click();
    const notice = page.getByTestId('conflicts-notice');
    await notice.waitFor({ timeout: 45_000 });
    expect(await notice.textContent()).toBe(message);
  }

  // ---- the steps -------------------------------------------------------------------------------

  it('lists edit/edit conflicts made on two computers, with their kind and who made each side', async () => {
    await startFrom({ 'mine.txt': MINE.base, 'theirs.txt': THEIRS.base, 'report.md': REPORT.base, 'plan.txt': PLAN.base, 'photo.png': PHOTO.base });
    await editOnBoth({
      'mine.txt': MINE,
      'theirs.txt': THEIRS,
      'report.md': REPORT,
      'plan.txt': PLAN,
      'photo.png': PHOTO,
    });
    await navigate('conflicts');
    for (const relative of ['mine.txt', 'theirs.txt', 'report.md', 'plan.txt', 'photo.png']) await listItem(relative).waitFor();
    const report = listItem('report.md');
    expect(await report.textContent()).toContain(en['conflicts.kind.text']);
    expect(await report.textContent()).toContain(en['conflicts.mergeable']);
    // Who made the server's side is read from its history, so it may follow a moment later.
    await eventually(async () => {
      const text = await report.textContent({ timeout: 2_000 });
      expect(text).toContain('on laptop');
      expect(text).toContain('on desktop');
    });
    expect(await listItem('photo.png').textContent()).toContain(en['conflicts.kind.image']);
    expect(await page.getByTestId('nav-conflicts').textContent()).toContain('5');
    await screenshot(page, 'conflict-list');
  });

  it('opens a conflict from the URL fragment, as the desktop app does', async () => {
    const conflictId = await conflictIdOf('mine.txt');
    await page.evaluate((id) => {
      window.location.hash = `conflict/${id}`;
    }, conflictId);
    const dialog = page.getByTestId('conflict-dialog');
    await dialog.getByTestId('conflict-versions').waitFor();
    expect(await dialog.getAttribute('data-conflict-id')).toBe(String(conflictId));
    // Followed, then cleared, so the same place asked for again is heard again.
    expect(await page.evaluate(() => window.location.hash)).toBe('');
    await page.evaluate(() => {
      window.location.hash = 'preferences';
    });
    await page.getByTestId('preferences-screen').waitFor();
  });

  it('keep mine: the diff shows both versions, and laptop’s version wins on both computers', async () => {
    let dialog = await open('mine.txt');
    // Modified times to the second, and the path's history one click away.
    expect(await dialog.getByTestId('conflict-versions').locator('time').first().textContent()).toMatch(/\d:\d\d:\d\d/);
    await dialog.getByTestId('conflict-history').click();
    const history = page.getByTestId('history-screen');
    await history.waitFor();
    expect(await history.getByRole('heading', { level: 1 }).textContent()).toBe(en['history.title'].replace('{path}', 'mine.txt'));
    await eventually(async () => expect(await history.getByTestId('history-version').count()).toBeGreaterThanOrEqual(2));
    await history.getByRole('button', { name: en['common.back'] }).click();
    dialog = page.getByTestId('conflict-dialog');
    await dialog.getByTestId('conflict-versions').waitFor();
    expect(await dialog.getByTestId('mine-device').textContent()).toBe('laptop');
    expect(await dialog.getByTestId('theirs-device').textContent()).toBe('desktop');
    const diff = dialog.getByTestId('conflict-diff');
    expect(await diff.locator('tr[data-kind="delete"] .line-text').allTextContents()).toEqual(['bread']);
    expect(await diff.locator('tr[data-kind="insert"] .line-text').allTextContents()).toEqual(['cheese']);
    // Nothing is chosen for the user: Apply waits for a choice.
    expect(await dialog.getByTestId('apply').isDisabled()).toBe(true);
    await dialog.getByRole('radio', { name: en['conflicts.keepMine'] }).check();
    await applyAndExpectResolved(dialog, 'Resolved mine.txt: your version was kept.');

    expect(await laptopText('mine.txt')).toBe(MINE.laptop);
    expect(await copiesOf(laptopRoot, 'mine.txt')).toEqual([]);
    await desktop.sync();
    expect((await desktopFile('mine.txt'))?.toString('utf8')).toBe(MINE.laptop);
    expect(await copiesOf(desktop.root, 'mine.txt')).toEqual([]);
    // Every version stays in the server's history: theirs under the name, the copy's as a deleted path.
    const named = await liveContents('mine.txt');
    expect(named[0]).toBe(MINE.laptop);
    expect(named).toEqual(expect.arrayContaining([MINE.desktop, MINE.base]));
  });

  it('keep theirs, from the keyboard alone: laptop’s copy goes, and stays in the history', async () => {
    // Escape leaves the dialog for the list, as Back does, and resolves nothing.
    await (await open('theirs.txt')).getByRole('radio', { name: en['conflicts.keepMine'] }).focus();
    await page.keyboard.press('Escape');
    await listItem('theirs.txt').waitFor();
    expect(await page.getByTestId('conflict-dialog').count()).toBe(0);
    const dialog = await open('theirs.txt');
    const copyPath = (await service.api.listConflicts({ libraryId })).conflicts.find((conflict) => conflict.path === 'theirs.txt')!.conflictPath!;
    await dialog.getByRole('radio', { name: en['conflicts.keepMine'] }).focus();
    await page.keyboard.press('ArrowDown');
    expect(await dialog.getByRole('radio', { name: en['conflicts.keepTheirs'] }).isChecked()).toBe(true);
    await dialog.getByTestId('apply').focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('conflicts-notice').getByText('Resolved theirs.txt: their version was kept.').waitFor({ timeout: 45_000 });

    expect(await laptopText('theirs.txt')).toBe(THEIRS.desktop);
    expect(await copiesOf(laptopRoot, 'theirs.txt')).toEqual([]);
    await desktop.sync();
    expect((await desktopFile('theirs.txt'))?.toString('utf8')).toBe(THEIRS.desktop);
    expect(await copiesOf(desktop.root, 'theirs.txt')).toEqual([]);
    const copy = await history(copyPath);
    expect(copy[0]?.deleted).toBe(true);
    expect(copy.filter((version) => !version.deleted).map((version) => [version.device, version.bytes?.toString('utf8')])).toEqual([['laptop', THEIRS.laptop]]);
  });

  it('keep both on an image: both pictures side by side, both files on both computers', async () => {
    const dialog = await open('photo.png');
    const images = dialog.getByTestId('conflict-images');
    for (const side of ['mine', 'theirs']) {
      const image = images.getByTestId(`image-${side}`).locator('img');
      await eventually(async () => expect(await image.evaluate((element) => (element as HTMLImageElement).naturalWidth)).toBe(240));
    }
    await images.getByText('240 × 160 pixels').first().waitFor();
    // Keep both says where each version will be.
    const copyName = (await copiesOf(laptopRoot, 'photo.png'))[0]!;
    expect(await dialog.getByTestId('keep-both').textContent()).toContain(copyName);
    await dialog.getByRole('radio', { name: en['conflicts.keepBoth'] }).check();
    await screenshot(page, 'conflict-image');
    await applyAndExpectResolved(dialog, 'Resolved photo.png: both versions were kept.');

    expect((await laptopFile('photo.png'))?.equals(PHOTO.desktop)).toBe(true);
    expect((await laptopFile(copyName))?.equals(PHOTO.laptop)).toBe(true);
    await desktop.sync();
    expect((await desktopFile('photo.png'))?.equals(PHOTO.desktop)).toBe(true);
    expect((await desktopFile(copyName))?.equals(PHOTO.laptop)).toBe(true);
    expect((await history(copyName))[0]?.bytes?.equals(PHOTO.laptop)).toBe(true);
  });

  it('a merge whose files changed under the preview is refused and shown again, then applied', async () => {
    const dialog = await open('plan.txt');
    await dialog.getByTestId('keep-merged').click();
    await dialog.getByTestId('merge-clean').waitFor();
    expect(await dialog.getByTestId('merge-pending').count()).toBe(0);
    // Laptop saves its copy again while the comparison is on screen.
    const copyName = (await copiesOf(laptopRoot, 'plan.txt'))[0]!;
    await writeFile(path.join(laptopRoot, copyName), PLAN.laptopLater);
    await dialog.getByTestId('apply').click();
    await dialog.getByTestId('conflict-changed').waitFor({ timeout: 45_000 });
    // The comparison now shows what the copy holds.
    await dialog.getByTestId('conflict-diff').getByText('tuesday: review twice').waitFor();
    expect(await laptopText('plan.txt')).toBe(PLAN.desktop);
    await screenshot(page, 'conflict-changed');

    await dialog.getByTestId('merge-clean').waitFor();
    expect(await dialog.getByTestId('merge-result').locator('.origin-mine .line-text').allTextContents()).toEqual(['monday: write the draft', 'tuesday: review twice']);
    await applyAndExpectResolved(dialog, 'Resolved plan.txt: the edits were merged.');

    expect(await laptopText('plan.txt')).toBe(PLAN.merged);
    expect(await copiesOf(laptopRoot, 'plan.txt')).toEqual([]);
    await desktop.sync();
    expect((await desktopFile('plan.txt'))?.toString('utf8')).toBe(PLAN.merged);
    const named = await liveContents('plan.txt');
    expect(named[0]).toBe(PLAN.merged);
    expect(named).toContain(PLAN.desktop);
    expect(await liveContents(copyName)).toContain(PLAN.laptopLater);
  });

  it('a merge with an overlapping region: previewed, settled by a choice, then applied', async () => {
    const dialog = await open('report.md');
    const diff = dialog.getByTestId('conflict-diff');
    expect(await diff.locator('tr.diff-collapsed').count()).toBeGreaterThan(0);
    expect(await diff.textContent()).toContain('3 lines only in yours');
    await screenshot(page, 'conflict-text-diff');

    await dialog.getByTestId('keep-merged').click();
    const region = dialog.getByTestId('merge-region');
    expect(await region.count()).toBe(1);
    expect(await region.textContent()).toContain('Summary: sales grew by 12 %.');
    expect(await region.textContent()).toContain('Summary: sales grew strongly in the north.');
    const result = dialog.getByTestId('merge-result');
    expect(await result.getByTestId('merge-pending').count()).toBe(1);
    // The clean parts are in the preview already; Apply waits for the overlap.
    expect(await result.locator('.origin-mine .line-text').allTextContents()).toEqual(['Prepared by Ann and the team.']);
    expect(await result.locator('.origin-theirs .line-text').allTextContents()).toEqual(['- Item 18: delayed to May']);
    expect(await dialog.getByTestId('apply').isDisabled()).toBe(true);
    expect(await dialog.getByTestId('apply-hint').textContent()).toBe(en['merge.waiting_one']);
    await region.scrollIntoViewIfNeeded();
    await screenshot(page, 'conflict-merge-preview');

    await region.getByRole('radio', { name: en['merge.choice.theirsThenMine'], exact: true }).check();
    expect(await result.getByTestId('merge-pending').count()).toBe(0);
    expect(await result.locator('.origin-chosen .line-text').allTextContents()).toEqual(['Summary: sales grew strongly in the north.', 'Summary: sales grew by 12 %.']);
    expect(await dialog.getByTestId('merge-progress').textContent()).toBe('1 of 1 chosen');
    await screenshot(page, 'conflict-merge-chosen');
    await applyAndExpectResolved(dialog, 'Resolved report.md: the edits were merged.');

    expect(await laptopText('report.md')).toBe(REPORT.merged);
    expect(await copiesOf(laptopRoot, 'report.md')).toEqual([]);
    await desktop.sync();
    expect((await desktopFile('report.md'))?.toString('utf8')).toBe(REPORT.merged);
    const named = await history('report.md');
    expect(named[0]).toMatchObject({ deleted: false, device: 'laptop' });
    expect(named[0]?.bytes?.toString('utf8')).toBe(REPORT.merged);
    expect(named.map((version) => version.bytes?.toString('utf8'))).toEqual(expect.arrayContaining([REPORT.desktop, REPORT.base]));
    await navigate('conflicts');
    await page.getByText(en['conflicts.emptyTitle']).waitFor();
  });

  it('applies a clean merge to all similar conflicts, and says which could not be merged', async () => {
    await startFrom({ 'batch/one.txt': BATCH.one.base, 'batch/two.txt': BATCH.two.base, 'batch/three.txt': BATCH.three.base });
    await editOnBoth({ 'batch/one.txt': BATCH.one, 'batch/two.txt': BATCH.two, 'batch/three.txt': BATCH.three });
    await navigate('conflicts');
    for (const relative of ['batch/one.txt', 'batch/two.txt', 'batch/three.txt']) await listItem(relative).waitFor();
    const dialog = await open('batch/one.txt');
    await dialog.getByTestId('keep-merged').click();
    await dialog.getByTestId('merge-clean').waitFor();
    const similar = dialog.getByTestId('apply-to-similar');
    await similar.check();
    expect(await dialog.getByTestId('apply').textContent()).toBe('Apply to 3 conflicts');
    await dialog.getByTestId('apply').click();
    // First the list of what changes, and a question.
    const question = page.getByRole('dialog');
    const listed = await question.getByTestId('confirm-similar').getByRole('listitem').allTextContents();
    expect([listed[0], ...listed.slice(1).sort()]).toEqual(['batch/one.txt', 'batch/three.txt', 'batch/two.txt']);
    await question.getByRole('button', { name: 'Apply to 3 conflicts' }).click();

    const outcome = page.getByTestId('conflict-outcome');
    await outcome.waitFor({ timeout: 45_000 });
    const rows = outcome.getByTestId('outcome');
    // The one on screen first, then the others in the list's order.
    const outcomes = await rows.evaluateAll((items) => items.map((item) => [item.getAttribute('data-path'), item.getAttribute('data-outcome')]));
    expect(outcomes[0]).toEqual(['batch/one.txt', 'resolved']);
    expect(outcomes.slice(1).sort()).toEqual([
      ['batch/three.txt', 'failed'],
      ['batch/two.txt', 'resolved'],
    ]);
    const failed = rows.filter({ hasText: 'batch/three.txt' });
    expect(await failed.textContent()).toContain(en['outcome.error.notClean']);
    expect(await failed.textContent()).toContain('overlapping');
    await screenshot(page, 'conflict-batch-outcome');

    expect(await laptopText('batch/one.txt')).toBe(BATCH.one.merged);
    expect(await laptopText('batch/two.txt')).toBe(BATCH.two.merged);
    expect(await laptopText('batch/three.txt')).toBe(BATCH.three.desktop);
    expect(await copiesOf(laptopRoot, 'batch/three.txt')).toHaveLength(1);
    await desktop.sync();
    expect((await desktopFile('batch/one.txt'))?.toString('utf8')).toBe(BATCH.one.merged);
    expect((await desktopFile('batch/two.txt'))?.toString('utf8')).toBe(BATCH.two.merged);
    expect(await liveContents('batch/two.txt')).toEqual(expect.arrayContaining([BATCH.two.merged, BATCH.two.desktop, BATCH.two.base]));

    // The one left open is a click away.
    await failed.getByRole('button', { name: 'Compare and resolve batch/three.txt' }).click();
    const next = page.getByTestId('conflict-dialog');
    await next.getByTestId('conflict-versions').waitFor();
    // The same dialog in Chinese, switched from the preferences at once.
    await service.api.setPreferences({ language: 'zh-CN' });
    await next.getByText(zhCN['resolve.title']).waitFor();
    await screenshot(page, 'conflict-dialog-zh');
    await service.api.setPreferences({ language: 'en' });
    await next.getByText(en['resolve.title']).waitFor();
    await next.getByRole('radio', { name: en['conflicts.keepTheirs'] }).check();
    await applyAndExpectResolved(next, 'Resolved batch/three.txt: their version was kept.');
    await page.getByText(en['conflicts.emptyTitle']).waitFor();
    expect(await copiesOf(laptopRoot, 'batch/three.txt')).toEqual([]);
  });

  it('merges clean text edits by itself once the library settings allow it, and says so', async () => {
    await startFrom({ 'auto.txt': AUTO.base });
    await navigate('libraries');
    await page.getByRole('button', { name: 'Settings of Documents' }).click();
    await page.getByTestId('library-settings-screen').waitFor();
    const toggle = page.getByLabel(en['autoMerge.label']);
    expect(await toggle.isChecked()).toBe(false);
    await toggle.check();
    await eventually(async () => expect((await service.api.getStatus({})).libraries[0]?.autoMerge).toBe(true));
    expect(await toggle.isChecked()).toBe(true);
    await toggle.scrollIntoViewIfNeeded();
    await screenshot(page, 'conflict-auto-merge-setting');

    await service.api.pauseLibrary({ libraryId });
    await waitForState('paused');
    await writeFile(path.join(laptopRoot, 'auto.txt'), AUTO.laptop);
    await desktop.write('auto.txt', AUTO.desktop);
    await desktop.sync();
    await service.api.resumeLibrary({ libraryId });
    await navigate('activity');
    const merged = page.locator('[data-testid="activity-entry"][data-kind="conflict-merged"]');
    await merged.waitFor({ timeout: 45_000 });
    expect(await merged.textContent()).toContain('auto.txt');
    expect(await merged.textContent()).toContain(en['activity.mergedNote']);
    await screenshot(page, 'conflict-activity-merged');

    await eventually(async () => expect(await laptopText('auto.txt')).toBe(AUTO.merged));
    expect(await copiesOf(laptopRoot, 'auto.txt')).toEqual([]);
    await waitForState('up-to-date');
    await desktop.sync();
    expect((await desktopFile('auto.txt'))?.toString('utf8')).toBe(AUTO.merged);
    expect(await liveContents('auto.txt')).toEqual(expect.arrayContaining([AUTO.merged, AUTO.desktop, AUTO.base]));
    expect((await service.api.listConflicts({})).conflicts).toEqual([]);
  });

  it('ran without a script error or a Content-Security-Policy refusal', () => {
    expect(problems.errors).toEqual([]);
  });
});
