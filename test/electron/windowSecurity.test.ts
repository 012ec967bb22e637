// The window's locks as data: the web preferences, the content security policy, which requests
// the page may make and where it may navigate.

import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  CONTENT_SECURITY_POLICY,
  SECURE_WEB_PREFERENCES,
  isAllowedNavigation,
  isAllowedRendererRequest,
  withContentSecurityPolicy,
} from '../../src-main/electron/windowSecurity.js';

const RENDERER_DIR = path.resolve('/opt/Cairn/resources/app.asar/dist-renderer');
const INDEX_URL = pathToFileURL(path.join(RENDERER_DIR, 'index.html')).href;
const file = (relative: string) => pathToFileURL(path.join(RENDERER_DIR, relative)).href;

describe('the window', () => {
  it('isolates a sandboxed page without Node', () => {
    expect(SECURE_WEB_PREFERENCES).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });

  it('has a policy that allows only its own scripts and styles and no network', () => {
    const directives = new Map(CONTENT_SECURITY_POLICY.split('; ').map((directive) => [directive.split(' ')[0], directive.split(' ').slice(1)]));
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('style-src')).toEqual(["'self'"]);
    expect(directives.get('connect-src')).toEqual(["'none'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-(inline|eval)|\*|https?:/);
  });
});

describe('isAllowedRendererRequest', () => {
  it.each([
    ['the page', INDEX_URL, true],
    ['a script beside it', file('assets/index-3f2a.js'), true],
    ['an inlined image', 'data:image/svg+xml;base64,PHN2Zy8+', true],
    ['the developer tools', 'devtools://devtools/bundled/inspector.html', true],
    ['a web address', 'https://example.com/tracker.js', false],
    ['plain http to the daemon', 'http://127.0.0.1:4000/api/getStatus', false],
    ['a websocket', 'wss://example.com/socket', false],
    ['a local file elsewhere', 'file:///etc/passwd', false],
    ['a file beside the renderer folder', pathToFileURL(`${RENDERER_DIR}-evil/x.js`).href, false],
    ['a path climbing out', `${file('assets')}/../../../secret.txt`, false],
    ['the renderer folder itself', pathToFileURL(RENDERER_DIR).href, false],
    ['a blob', 'blob:file:///1234', false],
    ['nonsense', 'not a url', false],
  ])('%s', (_name, url, allowed) => {
    expect(isAllowedRendererRequest(url, RENDERER_DIR)).toBe(allowed);
  });
});

describe('isAllowedNavigation', () => {
  it.each([
    ['a reload', INDEX_URL, true],
    ['a screen of the page', `${INDEX_URL}#preferences`, true],
    ['a web page', 'https://example.com/', false],
    ['another local page', file('other.html'), false],
    ['the page with a query', `${INDEX_URL}?next=https://example.com`, false],
  ])('%s', (_name, url, allowed) => {
    expect(isAllowedNavigation(url, INDEX_URL)).toBe(allowed);
  });
});

describe('withContentSecurityPolicy', () => {
  it('adds the policy, replacing any other, and keeps the other headers', () => {
    expect(withContentSecurityPolicy({ 'content-type': ['text/html'], 'content-security-policy': ["default-src *"] })).toEqual({
      'content-type': ['text/html'],
      'Content-Security-Policy': [CONTENT_SECURITY_POLICY],
    });
    expect(withContentSecurityPolicy(undefined)).toEqual({ 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
  });
});
