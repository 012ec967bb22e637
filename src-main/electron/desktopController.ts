// The main process's behaviour, apart from Electron: it follows the engine's events and health
// and keeps the tray, the desktop notifications and start-at-login in step with them, and does
// what the tray's menu asks. Everything Electron does for it comes through DesktopPorts, so
// that tests drive it with fakes; main.ts passes the real tray, notifications and window.

import type { Preferences, SyncApi, SyncStatus, Unsubscribe } from '../../shared/api/index.js';
import { appMessages } from './appMessages.js';
import { notificationsBetween } from './desktopNotifications.js';
import type { DesktopNotification } from './desktopNotifications.js';
import type { EngineHealth } from './engineClient.js';
import { applySyncEvent, trayViewOf } from './trayModel.js';
import type { CredentialWarning, TrayAction, TrayView } from './trayModel.js';

export interface DesktopPorts {
  renderTray(view: TrayView): void;
  notify(notification: DesktopNotification): void;
  /** Makes the system start Cairn at login, or not. */
  applyStartAtLogin(enabled: boolean): Promise<void>;
  /** Shows the window, at a screen of the page (URL fragment) when given. */
  showWindow(route?: string): void;
  quit(): void;
  log(line: string): void;
  now(): number;
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** The part of the engine client the controller follows. */
export interface EngineHealthSource {
  readonly health: EngineHealth;
  onHealthChanged(listener: (health: EngineHealth) => void): Unsubscribe;
}

export type DesktopApi = Pick<SyncApi, 'subscribe' | 'getPreferences' | 'openFolder' | 'pauseAll' | 'resumeAll'>;

export interface DesktopControllerOptions {
  readonly api: DesktopApi;
  readonly engine: EngineHealthSource;
  readonly warnings: readonly CredentialWarning[];
  readonly ports: DesktopPorts;
}

export interface DesktopController {
  handleTrayAction(action: TrayAction): void;
  /** The status as the controller last saw it (for the log and tests). */
  readonly status: SyncStatus | null;
  readonly preferences: Preferences | null;
  stop(): void;
}

/** The fragment of the page's URL that opens its preferences. */
export const PREFERENCES_ROUTE = 'preferences';

export function startDesktopController(options: DesktopControllerOptions): DesktopController {
  const { api, engine, ports } = options;
  let status: SyncStatus | null = null;
  let preferences: Preferences | null = null;
  let appliedStartAtLogin: boolean | null = null;
  let countdown: unknown = null;
  let stopped = false;

  const render = () => {
    if (stopped) return;
    ports.renderTray(trayViewOf({ status, health: engine.health, warnings: options.warnings, now: ports.now() }, appMessages(preferences?.language ?? 'en')));
  };

  const applyPreferences = (next: Preferences) => {
    preferences = next;
    if (appliedStartAtLogin !== next.startAtLogin) {
      appliedStartAtLogin = next.startAtLogin;
      ports.applyStartAtLogin(next.startAtLogin).catch((error: unknown) => {
        appliedStartAtLogin = null;
        ports.log(`could not ${next.startAtLogin ? 'turn on' : 'turn off'} start at login: ${(error as Error)?.message ?? String(error)}`);
      });
    }
    render();
  };

  const loadPreferences = () => {
    api.getPreferences({}).then(
      (loaded) => {
        if (!stopped) applyPreferences(loaded);
      },
      (error: unknown) => ports.log(`could not read the preferences: ${(error as Error)?.message ?? String(error)}`),
    );
  };

  const unsubscribeEvents = api.subscribe((event) => {
    if (event.kind === 'preferencesChanged') {
      applyPreferences(event.preferences);
      return;
    }
    const next = applySyncEvent(status, event);
    if (next === status) return;
    if (next !== null && preferences?.notifications === true) {
      for (const notification of notificationsBetween(status, next, appMessages(preferences.language))) ports.notify(notification);
    }
    status = next;
    render();
  });

  // While the engine waits to restart, the tray counts down the seconds.
  const followHealth = (health: EngineHealth) => {
    if (health.kind === 'restarting' && countdown === null) countdown = ports.setInterval(render, 1_000);
    if (health.kind !== 'restarting' && countdown !== null) {
      ports.clearInterval(countdown);
      countdown = null;
    }
    // The preferences (and with them start at login) are read again from every engine that starts.
    if (health.kind === 'running') loadPreferences();
    render();
  };
  const unsubscribeHealth = engine.onHealthChanged(followHealth);
  followHealth(engine.health);

  const run = (what: string, call: () => Promise<unknown>) => {
    call().catch((error: unknown) => ports.log(`${what} failed: ${(error as Error)?.message ?? String(error)}`));
  };

  return {
    handleTrayAction(action) {
      switch (action.type) {
        case 'open-folder':
          run('opening the folder', () => api.openFolder({ libraryId: action.libraryId }));
          return;
        case 'pause-all':
          run('pausing', () => api.pauseAll({}));
          return;
        case 'resume-all':
          run('resuming', () => api.resumeAll({}));
          return;
        case 'open-window':
          ports.showWindow();
          return;
        case 'open-preferences':
          ports.showWindow(PREFERENCES_ROUTE);
          return;
        case 'quit':
          ports.quit();
          return;
        default:
          action satisfies never;
      }
    },
    get status() {
      return status;
    },
    get preferences() {
      return preferences;
    },
    stop() {
      stopped = true;
      unsubscribeEvents();
      unsubscribeHealth();
      if (countdown !== null) ports.clearInterval(countdown);
      countdown = null;
    },
  };
}
