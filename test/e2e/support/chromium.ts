// Debian's Chromium for the end-to-end tests, driven by playwright-core; never a downloaded
// browser. Without one the tests are skipped on a developer's machine and fail on CI, where
// .ci/run installs it.

import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';

export const REPOSITORY_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const SCREENSHOT_DIR = path.join(REPOSITORY_ROOT, 'test-results', 'screenshots');

export const CHROMIUM_PATH = process.env.CAIRN_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_FOUND = existsSync(CHROMIUM_PATH);
export { ON_CI } from '../../support/ci.js';
export const MISSING_CHROMIUM = `no Chromium at ${CHROMIUM_PATH}: install Debian's (apt-get install chromium) or set CAIRN_CHROMIUM`;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** Saves a full-page screenshot as test-results/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  // Let CSS transitions (progress bars, expanders) settle so the picture shows the end state.
  await page.waitForTimeout(250);
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** What went wrong in the page: uncaught errors and Content-Security-Policy refusals. */
export function watchPage(page: Page): { readonly errors: string[] } {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) errors.push(`CSP: ${message.text()}`);
  });
  return { errors };
}

/** A fresh page in the size the screenshots are taken at, watched by watchPage. */
export async function openPage(browser: Browser): Promise<{ readonly page: Page; readonly problems: { readonly errors: string[] } }> {
  const context = await browser.newContext({ viewport: { width: 1180, height: 820 }, locale: 'en-US' });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  return { page, problems: watchPage(page) };
}
