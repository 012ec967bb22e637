// The Connect screen names why connecting failed, end to end in Debian's Chromium: a real daemon
// tries real addresses on 127.0.0.1 (a web server answering an HTML page, a TLS server with a
// self-signed certificate, a closed port, a real Cairn server behind a wrong path and with a
// wrong password) and the screen says each cause in its own sentence, in English and in
// Chinese, and never that Cairn keeps retrying (a login form does not retry).

import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectCause } from '../../shared/api/index.js';
import { startDaemonService } from '../../src-main/daemon/daemonService.js';
import type { DaemonService } from '../../src-main/daemon/daemonService.js';
import type { Messages } from '../../src-renderer/i18n/en.js';
import { en } from '../../src-renderer/i18n/en.js';
import { zhCN } from '../../src-renderer/i18n/zhCN.js';
import { eventually } from '../support/eventually.js';
import { PASSWORD, startHarness } from '../sync/harness.js';
import type { Harness } from '../sync/harness.js';
import { buildUi } from './support/buildUi.js';
import { CHROMIUM_FOUND, REPOSITORY_ROOT, launchChromium, openPage, screenshot } from './support/chromium.js';
import { stopAll } from './support/stopAll.js';

const TLS_FOLDER = path.join(REPOSITORY_ROOT, 'test', 'support', 'tls');

function fill(template: string, params: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => params[name] ?? whole);
}

describe.skipIf(!CHROMIUM_FOUND)('the Connect screen names the cause of a failed connect', () => {
  let work: string;
  let harness: Harness;
  let service: DaemonService;
  let browser: Browser;
  let page: Page;
  let problems: { readonly errors: string[] };
  const servers: Server[] = [];
  let webPort = 0;
  let tlsPort = 0;
  let closedPort = 0;

  const listen = async (server: Server): Promise<number> => {
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  };

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'cairn-connect-e2e-'));
    const uiDir = path.join(work, 'ui');
    harness = await startHarness();
    await harness.addUser('alice');
    webPort = await listen(createHttpServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<!DOCTYPE html><html><body><h1>Welcome to nginx!</h1></body></html>')));
    const tls = { key: readFileSync(path.join(TLS_FOLDER, 'self-signed.key.pem')), cert: readFileSync(path.join(TLS_FOLDER, 'self-signed.cert.pem')) };
    tlsPort = await listen(createHttpsServer(tls, (_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end('{}')));
    const probe = createTcpServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    closedPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const [, launched] = await Promise.all([buildUi(uiDir), launchChromium()]);
    browser = launched;
    service = await startDaemonService({ home: path.join(work, 'profile'), deviceName: 'connect-laptop', watcher: 'native', uiDir });
    ({ page, problems } = await openPage(browser));
    await page.goto(service.link);
    await page.getByTestId('connect-screen').waitFor();
  }, 120_000);

  afterAll(async () => {
    for (const server of servers) server.closeAllConnections();
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    await stopAll(work, browser, service, harness);
  }, 60_000);

  /** Connects with these fields and waits for the notice of `expected` (code and cause; each case differs from the one before). */
  async function attempt(messages: Messages, serverUrl: string, expected: { code: string; cause: string | null }, password = PASSWORD): Promise<string> {
    const error = page.getByTestId('connect-error');
    await page.getByLabel(messages['connect.server']).fill(serverUrl);
    await page.getByLabel(messages['connect.user']).fill('alice');
    await page.getByLabel(messages['connect.password']).fill(password);
    await page.getByRole('button', { name: messages['connect.submit'] }).click();
    await eventually(async () => {
      expect({ code: await error.getAttribute('data-code', { timeout: 2_000 }), cause: await error.getAttribute('data-cause', { timeout: 2_000 }) }).toEqual(expected);
    }, 20_000);
    return (await error.textContent()) ?? '';
  }

  const cases = (): [string, string, string, ConnectCause, keyof Messages, Record<string, string>][] => [
    ['a web page', `http://127.0.0.1:${webPort}`, 'not-cairn-server', 'html-page', 'connect.cause.htmlPage', { place: `127.0.0.1:${webPort}` }],
    ['https:// to a plain HTTP port', `https://127.0.0.1:${webPort}`, 'not-cairn-server', 'https-to-http-port', 'connect.cause.httpsToHttpPort', { place: `127.0.0.1:${webPort}` }],
    ['http:// to an HTTPS port', `http://127.0.0.1:${tlsPort}`, 'not-cairn-server', 'http-to-https-port', 'connect.cause.httpToHttpsPort', { place: `127.0.0.1:${tlsPort}` }],
    ['a self-signed certificate', `https://127.0.0.1:${tlsPort}`, 'certificate', 'self-signed', 'connect.cause.selfSigned', { host: '127.0.0.1' }],
    ['a closed port', `http://127.0.0.1:${closedPort}`, 'unreachable', 'refused', 'connect.cause.refused', { place: `127.0.0.1:${closedPort}` }],
    ['a wrong path', `${harness.server.url}/cairn`, 'not-cairn-server', 'wrong-path', 'connect.cause.wrongPath', { path: '/cairn', origin: harness.server.url }],
  ];

  for (const [language, messages] of [
    ['en', en],
    ['zh-CN', zhCN],
  ] as const) {
    it(`says each cause in its own sentence (${language})`, async () => {
      await service.api.setPreferences({ language });
      await page.getByRole('button', { name: messages['connect.submit'] }).waitFor();
      for (const [name, url, code, cause, key, params] of cases()) {
        const text = await attempt(messages, url, { code, cause });
        expect(text, name).toBe(fill(messages[key], params));
        // A login form never retries by itself, so it never says so.
        expect(text, name).not.toContain(messages['error.unreachable']);
        if (cause === 'html-page') await screenshot(page, `connect-cause-html-${language}`);
        if (cause === 'self-signed' && language === 'en') {
          await service.api.setPreferences({ theme: 'dark' });
          await screenshot(page, 'connect-cause-certificate-dark');
          await service.api.setPreferences({ theme: 'system' });
        }
      }
      expect(await attempt(messages, harness.server.url, { code: 'wrong-password', cause: null }, 'not the password')).toBe(messages['error.wrongPassword']);
      expect(problems.errors).toEqual([]);
    }, 90_000);
  }

  it('connects once the address and password are right', async () => {
    await service.api.setPreferences({ language: 'en' });
    await page.getByLabel(en['connect.server']).fill(harness.server.url);
    await page.getByLabel(en['connect.password']).fill(PASSWORD);
    await page.getByRole('button', { name: en['connect.submit'] }).click();
    await eventually(async () => expect((await service.api.getStatus({})).account?.user).toBe('alice'));
  });
});
