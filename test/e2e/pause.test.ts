// Pause in the UI, end to end in Debian's Chromium: a real daemon uploads a large file to a real
// server through a throttling proxy that counts the bytes. Clicking Pause on the library's card
// stops the upload in flight: once the card says "Paused" the server receives nothing more (the
// card said "Pausing…" rather than "Paused" while the round was still stopping), and Resume
// finishes the upload from what had arrived.

import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemonService } from '../../src-main/daemon/daemonService.js';
import type { DaemonService } from '../../src-main/daemon/daemonService.js';
import { en } from '../../src-renderer/i18n/en.js';
import { eventually } from '../support/eventually.js';
import { PASSWORD, startHarness } from '../sync/harness.js';
import type { Harness } from '../sync/harness.js';
import { startThrottlingProxy } from '../sync/support/throttlingProxy.js';
import type { ThrottlingProxy } from '../sync/support/throttlingProxy.js';
import { buildUi } from './support/buildUi.js';
import { CHROMIUM_FOUND, launchChromium, openPage, screenshot } from './support/chromium.js';
import { stopAll } from './support/stopAll.js';

const MiB = 1024 * 1024;
const FILE_BYTES = 32 * MiB;

describe.skipIf(!CHROMIUM_FOUND)('pausing an upload in Chromium', () => {
  let work: string;
  let harness: Harness;
  let proxy: ThrottlingProxy;
  let libraryId: string;
  let service: DaemonService;
  let browser: Browser;
  let page: Page;
  let problems: { readonly errors: string[] };
  let root: string;
  /** Every label the card's state badge showed, in order. */
  const labels: string[] = [];

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'cairn-pause-e2e-'));
    const uiDir = path.join(work, 'ui');
    harness = await startHarness();
    const [, seed, launched] = await Promise.all([buildUi(uiDir), harness.client('seed'), launchChromium()]);
    libraryId = seed.libraryId;
    await seed.close();
    browser = launched;
    proxy = await startThrottlingProxy({ host: '127.0.0.1', port: harness.server.port }, { bytesPerSecond: 4 * MiB });
    service = await startDaemonService({ home: path.join(work, 'profile'), deviceName: 'laptop', watcher: 'native', uiDir, retryBaseMs: 50, retryMaxMs: 500, log: () => undefined });
    root = path.join(work, 'Cairn', 'Documents');
    await mkdir(root, { recursive: true });
    await service.api.login({ serverUrl: proxy.url, user: 'alice', password: PASSWORD });
    await service.api.addLibrary({ libraryId, localRoot: root, selection: null });
    ({ page, problems } = await openPage(browser));
    await page.exposeFunction('cairnTestLabel', (label: string) => labels.push(label));
    await page.goto(`${service.url}/?token=${service.token}`);
  }, 120_000);

  afterAll(() => stopAll(work, browser, service, proxy, harness), 60_000);

  const card = () => page.getByTestId('library-card').filter({ hasText: 'Documents' });

  it('stops the upload in flight, says so honestly, and resumes from what arrived', async () => {
    await eventually(async () => expect(await card().getByTestId('library-state').getAttribute('data-state', { timeout: 2_000 })).toBe('up-to-date'), 30_000);
    // Record every label the badge shows, however briefly.
    await page.evaluate(() => {
      const badge = document.querySelector('[data-testid="library-state"]')!;
      const report = (window as unknown as { cairnTestLabel: (label: string) => void }).cairnTestLabel;
      new MutationObserver(() => report(badge.textContent ?? '')).observe(badge, { subtree: true, childList: true, characterData: true });
    });
    const content = randomBytes(FILE_BYTES);
    const before = proxy.upstreamBytes();
    await writeFile(path.join(root, 'big.bin'), content);
    await eventually(() => expect(proxy.upstreamBytes() - before).toBeGreaterThan(6 * MiB), 30_000);
    await screenshot(page, 'pause-01-uploading');

    await card().getByRole('button', { name: en['library.pause'] }).click();
    await eventually(async () => expect(await card().getByTestId('library-state').textContent({ timeout: 2_000 })).toBe(en['state.paused.user']), 15_000);
    const atPaused = proxy.upstreamBytes();
    await screenshot(page, 'pause-02-paused');
    // Nothing more left: what the OS had taken before the pause at most (socket buffers).
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(proxy.upstreamBytes() - atPaused).toBeLessThan(6 * MiB);
    expect(proxy.upstreamBytes() - before).toBeLessThan(FILE_BYTES / 2);
    // It never said "Paused" while still uploading: "Pausing…" at most, then "Paused".
    const afterUploading = labels.slice(labels.lastIndexOf(en['state.syncing.uploading']) + 1);
    expect(afterUploading.every((label) => label === en['state.paused.stopping'] || label === en['state.paused.user'])).toBe(true);

    const resumedAt = proxy.upstreamBytes();
    await card().getByRole('button', { name: en['library.resume'] }).click();
    await eventually(async () => expect(await card().getByTestId('library-state').getAttribute('data-state', { timeout: 2_000 })).toBe('up-to-date'), 60_000);
    expect(proxy.upstreamBytes() - resumedAt).toBeLessThan(FILE_BYTES - 3 * MiB);
    const check = await harness.client('check');
    await check.sync();
    expect(Buffer.compare(await readFile(path.join(check.root, 'big.bin')), content)).toBe(0);
    await screenshot(page, 'pause-03-resumed');
    expect(problems.errors).toEqual([]);
  }, 180_000);
});
