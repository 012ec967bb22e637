// The window's security settings, as data and pure checks, so that they are tested here and
// applied by appWindow.ts: an isolated, sandboxed renderer without Node, a strict content
// security policy, and no request leaving the app's own renderer folder (no remote content).

import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The page's Content-Security-Policy: its own scripts and styles only, images and fonts from
 * its folder or inlined, no network at all (the page reaches the engine through the preload's
 * bridge, never over HTTP), no frames, plugins, forms or base changes.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'none'",
  "media-src 'none'",
  "object-src 'none'",
  "frame-src 'none'",
  "worker-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** webPreferences for the app window (a preload path is added by the caller). */
export const SECURE_WEB_PREFERENCES = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  navigateOnDragDrop: false,
  safeDialogs: true,
  spellcheck: false,
} as const;

/**
 * Whether the renderer may load `url`: files inside the renderer's own folder, inlined data,
 * and the developer tools' own pages. Everything else (the network, other local files) is
 * refused.
 */
export function isAllowedRendererRequest(url: string, rendererDir: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  switch (parsed.protocol) {
    case 'data:':
    case 'devtools:':
      return true;
    case 'file:': {
      let file: string;
      try {
        file = path.resolve(fileURLToPath(parsed));
      } catch {
        return false;
      }
      const root = path.resolve(rendererDir);
      return file.startsWith(root + path.sep);
    }
    default:
      return false;
  }
}

/**
 * Whether the window may navigate to `url`: only to the app's page itself (a reload); links
 * and redirects anywhere else are refused.
 */
export function isAllowedNavigation(url: string, indexUrl: string): boolean {
  const strip = (value: string) => (value.includes('#') ? value.slice(0, value.indexOf('#')) : value);
  return strip(url) === strip(indexUrl);
}

/** Adds the CSP to a response's headers (Electron's onHeadersReceived shape). */
export function withContentSecurityPolicy(headers: Readonly<Record<string, string[]>> | undefined): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() !== 'content-security-policy') result[name] = value;
  }
  result['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY];
  return result;
}
