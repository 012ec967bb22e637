// The app window and the locks on everything a page could reach: one window, created once and
// hidden instead of closed (Cairn keeps running in the tray), showing only the app's own page.
// The rules themselves live in windowSecurity.ts, where they are tested.

import { BrowserWindow } from 'electron';
import type { App, Session, WebContents } from 'electron';
import { SECURE_WEB_PREFERENCES, isAllowedNavigation, isAllowedRendererRequest, withContentSecurityPolicy } from './windowSecurity.js';

export interface AppWindowOptions {
  readonly indexFile: string;
  /** The file:// URL of indexFile. */
  readonly indexUrl: string;
  readonly preloadFile: string;
  readonly iconFile: string;
  readonly devTools: boolean;
  readonly log: (line: string) => void;
}

/**
 * Guards for every web contents the app ever creates: no new windows, no navigation away from
 * the app's page, no webviews, no downloads.
 */
export function lockDownWebContents(app: App, indexUrl: string, log: (line: string) => void): void {
  app.on('web-contents-created', (_event, contents) => {
    contents.setWindowOpenHandler(({ url }) => {
      log(`refused to open a window for ${url}`);
      return { action: 'deny' };
    });
    contents.on('will-frame-navigate', (details) => {
      if (isAllowedNavigation(details.url, indexUrl)) return;
      log(`refused to navigate to ${details.url}`);
      details.preventDefault();
    });
    contents.on('will-redirect', (details) => {
      if (!isAllowedNavigation(details.url, indexUrl)) details.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
}

/** No permission is ever granted, no request leaves the renderer's folder, every response carries the CSP. */
export function lockDownSession(session: Session, rendererDir: string, log: (line: string) => void): void {
  session.setPermissionRequestHandler((_contents, permission, callback) => {
    log(`refused the page's request for the ${permission} permission`);
    callback(false);
  });
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
  session.webRequest.onBeforeRequest((details, callback) => {
    const allowed = isAllowedRendererRequest(details.url, rendererDir);
    if (!allowed) log(`refused a request for ${details.url}`);
    callback({ cancel: !allowed });
  });
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: withContentSecurityPolicy(details.responseHeaders) });
  });
  session.on('will-download', (event) => event.preventDefault());
}

export class AppWindow {
  private window: BrowserWindow | null = null;
  private closing = false;

  constructor(private readonly options: AppWindowOptions) {}

  /** Lets the window close for real (the app is quitting). */
  allowClose(): void {
    this.closing = true;
  }

  webContentsId(): number | null {
    return this.window === null || this.window.isDestroyed() ? null : this.window.webContents.id;
  }

  contents(): WebContents | null {
    return this.window === null || this.window.isDestroyed() ? null : this.window.webContents;
  }

  /** Creates the window (hidden) if there is none yet. */
  ensure(): BrowserWindow {
    if (this.window !== null && !this.window.isDestroyed()) return this.window;
    const window = new BrowserWindow({
      width: 980,
      height: 700,
      minWidth: 720,
      minHeight: 480,
      show: false,
      title: 'Cairn',
      icon: this.options.iconFile,
      backgroundColor: '#f4f1ea',
      autoHideMenuBar: true,
      webPreferences: { ...SECURE_WEB_PREFERENCES, preload: this.options.preloadFile, devTools: this.options.devTools },
    });
    window.on('close', (event) => {
      if (this.closing) return;
      event.preventDefault();
      window.hide();
    });
    window.on('closed', () => {
      if (this.window === window) this.window = null;
    });
    window.webContents.on('render-process-gone', (_event, details) => {
      this.options.log(`the window's page stopped (${details.reason}); reloading it`);
      if (!window.isDestroyed()) void window.loadFile(this.options.indexFile).catch(() => undefined);
    });
    void window.loadFile(this.options.indexFile).catch((error: unknown) => this.options.log(`cannot load ${this.options.indexFile}: ${(error as Error).message}`));
    this.window = window;
    return window;
  }

  /** Shows and focuses the window; `route` is put in the URL fragment for the page to follow. */
  show(route?: string): void {
    const window = this.ensure();
    if (route !== undefined) {
      const contents = window.webContents;
      if (contents.isLoading()) contents.once('did-finish-load', () => void contents.executeJavaScript(`window.location.hash = ${JSON.stringify(route)}`));
      else void contents.executeJavaScript(`window.location.hash = ${JSON.stringify(route)}`);
    }
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
  }
}
