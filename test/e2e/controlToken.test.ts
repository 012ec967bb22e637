// The daemon's control token in a real Chromium: two daemons on 127.0.0.1, each opened from the
// link it prints, and a page of someone else's on a third 127.0.0.1 port in the same browser.
// Cookies are not port-scoped, so a token kept in a cookie reached every page on 127.0.0.1 and
// one daemon's cookie replaced the other's. The token must stay with its own daemon's page:
// the other page's server receives nothing of it, its scripts find nothing of it, and both
// daemons' pages keep working side by side, also after a reload.

import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemonService } from '../../src-main/daemon/daemonService.js';
import type { DaemonService } from '../../src-main/daemon/daemonService.js';
import { buildUi } from './support/buildUi.js';
import { CHROMIUM_FOUND, MISSING_CHROMIUM, ON_CI, launchChromium, watchPage } from './support/chromium.js';

if (!CHROMIUM_FOUND && !ON_CI) console.warn(`control token end-to-end tests skipped: ${MISSING_CHROMIUM}`);

describe.runIf(!CHROMIUM_FOUND && ON_CI)('the control token end to end', () => {
  it('has Chromium to run in', () => {
    throw new Error(MISSING_CHROMIUM);
  });
});

/** A web page of someone else's on 127.0.0.1: it records every request it receives. */
async function startForeignSite(): Promise<{ url: string; received: IncomingHttpHeaders[]; server: Server }> {
  const received: IncomingHttpHeaders[] = [];
  const server = createServer((request, response) => {
    received.push(request.headers);
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    response.end('<!doctype html><title>another site</title><p>hello</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, server };
}

describe.skipIf(!CHROMIUM_FOUND)('the control token in Chromium', () => {
  let work: string;
  let browser: Browser;
  let context: BrowserContext;
  const daemons: DaemonService[] = [];
  let foreign: Awaited<ReturnType<typeof startForeignSite>>;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'cairn-token-e2e-'));
    const uiDir = path.join(work, 'ui');
    const [, launched] = await Promise.all([buildUi(uiDir), launchChromium()]);
    browser = launched;
    for (const name of ['first', 'second']) {
      daemons.push(await startDaemonService({ home: path.join(work, name), deviceName: name, watcher: 'none', uiDir, log: () => undefined }));
    }
    foreign = await startForeignSite();
    // One browser profile for every page, as a person has.
    context = await browser.newContext({ locale: 'en-US' });
  }, 120_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    for (const daemon of daemons) await daemon.stop().catch(() => undefined);
    await new Promise((resolve) => foreign?.server.close(resolve));
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  }, 60_000);

  /** Waits until the page shows it reached its daemon (the connect screen: not logged in yet). */
  async function expectConnected(page: Page): Promise<void> {
    await page.getByTestId('connect-screen').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('service-problem').count()).toBe(0);
  }

  it('opens each daemon from its link, side by side, and a reload keeps each one working', async () => {
    const pages: Page[] = [];
    for (const daemon of daemons) {
      const page = await context.newPage();
      const problems = watchPage(page);
      await page.goto(daemon.link);
      await expectConnected(page);
      // The token left the address bar (and so the history) at once.
      expect(page.url()).not.toContain(daemon.token);
      expect(problems.errors).toEqual([]);
      pages.push(page);
    }
    for (const page of pages) {
      await page.reload();
      await expectConnected(page);
    }
  });

  it('gives a page on another 127.0.0.1 port nothing: no cookie, no storage, no header', async () => {
    const page = await context.newPage();
    await page.goto(`${foreign.url}/`);
    const seenByScript = await page.evaluate(async () => {
      await fetch('/same-origin-request', { credentials: 'include' });
      return {
        cookie: document.cookie,
        local: JSON.stringify({ ...localStorage }),
        session: JSON.stringify({ ...sessionStorage }),
      };
    });
    expect(foreign.received.length).toBeGreaterThanOrEqual(2);
    const everything = JSON.stringify({ seenByScript, received: foreign.received, cookies: await context.cookies(foreign.url) });
    for (const daemon of daemons) expect(everything).not.toContain(daemon.token);
    expect(foreign.received.every((headers) => headers.cookie === undefined)).toBe(true);
  });

  it('keeps the token out of the browser’s cookie jar altogether', async () => {
    const cookies = await context.cookies();
    for (const daemon of daemons) expect(JSON.stringify(cookies)).not.toContain(daemon.token);
  });
});
