// The main process's wiring without Electron: engine events and health drive the tray, the
// notifications and start-at-login; the tray's menu drives the API and the window.

import { describe, expect, it } from 'vitest';
import type { Preferences, SyncEvent } from '../../shared/api/index.js';
import { SyncApiError } from '../../shared/api/index.js';
import { PREFERENCES_ROUTE, startDesktopController } from '../../src-main/electron/desktopController.js';
import type { DesktopApi, DesktopPorts } from '../../src-main/electron/desktopController.js';
import type { DesktopNotification } from '../../src-main/electron/desktopNotifications.js';
import type { EngineHealth } from '../../src-main/electron/engineClient.js';
import type { TrayView } from '../../src-main/electron/trayModel.js';
import { STATES, T0, library, status } from './statusFixtures.js';

const PREFERENCES: Preferences = { language: 'en', startAtLogin: false, notifications: true, uploadLimit: null, downloadLimit: null, theme: 'system' };

function setUp(options: { preferences?: Preferences; health?: EngineHealth; failStartAtLogin?: boolean } = {}) {
  const listeners = new Set<(event: SyncEvent) => void>();
  const calls: string[] = [];
  let preferences = options.preferences ?? PREFERENCES;
  const api: DesktopApi = {
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    getPreferences: async () => preferences,
    openFolder: async (request) => {
      calls.push(`openFolder ${request.libraryId}`);
      if (request.libraryId === 'library-gone') throw new SyncApiError('not-found', 'no such library');
      return { ok: true };
    },
    pauseAll: async () => {
      calls.push('pauseAll');
      return status([]);
    },
    resumeAll: async () => {
      calls.push('resumeAll');
      return status([]);
    },
  };
  const healthListeners = new Set<(health: EngineHealth) => void>();
  const engine = {
    health: options.health ?? ({ kind: 'starting' } as EngineHealth),
    onHealthChanged(listener: (health: EngineHealth) => void) {
      healthListeners.add(listener);
      return () => void healthListeners.delete(listener);
    },
  };
  const trays: TrayView[] = [];
  const notifications: DesktopNotification[] = [];
  const startAtLogin: boolean[] = [];
  const windows: (string | undefined)[] = [];
  const logs: string[] = [];
  const intervals = new Map<number, () => void>();
  let quits = 0;
  let nextInterval = 1;
  const ports: DesktopPorts = {
    renderTray: (view) => void trays.push(view),
    notify: (notification) => void notifications.push(notification),
    applyStartAtLogin: async (enabled) => {
      startAtLogin.push(enabled);
      if (options.failStartAtLogin) throw new Error('read-only file system');
    },
    showWindow: (route) => void windows.push(route),
    quit: () => void (quits += 1),
    log: (line) => void logs.push(line),
    now: () => T0,
    setInterval: (callback) => {
      const id = nextInterval++;
      intervals.set(id, callback);
      return id;
    },
    clearInterval: (handle) => void intervals.delete(handle as number),
  };
  const controller = startDesktopController({ api, engine, warnings: [], ports });
  const flush = () => new Promise((resolve) => setImmediate(resolve));
  return {
    controller,
    calls,
    trays,
    notifications,
    startAtLogin,
    windows,
    logs,
    intervals,
    quits: () => quits,
    flush,
    emit: (event: SyncEvent) => {
      for (const listener of [...listeners]) listener(event);
    },
    setHealth: (health: EngineHealth) => {
      engine.health = health;
      for (const listener of [...healthListeners]) listener(health);
    },
    setPreferences: (next: Preferences) => void (preferences = next),
    listenerCount: () => listeners.size + healthListeners.size,
  };
}

describe('the desktop controller', () => {
  it('shows the tray at once, then follows the engine and its status', async () => {
    const app = setUp();
    expect(app.trays.at(-1)?.state).toBe('syncing');
    app.setHealth({ kind: 'running' });
    await app.flush();
    app.emit({ kind: 'statusChanged', status: status([library('Documents', STATES.syncing)]) });
    expect(app.trays.at(-1)?.tooltip).toBe('Cairn: Syncing (3 of 10 files)');
    app.emit({ kind: 'libraryChanged', library: library('Documents', STATES.upToDate) });
    expect(app.trays.at(-1)?.state).toBe('up-to-date');
    const rendered = app.trays.length;
    app.emit({ kind: 'conflictsChanged', libraryId: 'library-documents', conflicts: [] });
    expect(app.trays).toHaveLength(rendered);
  });

  it('counts down while the engine waits to restart, and stops counting once it runs', async () => {
    const app = setUp({ health: { kind: 'running' } });
    app.setHealth({ kind: 'restarting', retryAt: T0 + 3_000, reason: 'exit code 1' });
    expect(app.intervals.size).toBe(1);
    expect(app.trays.at(-1)).toMatchObject({ state: 'error' });
    const before = app.trays.length;
    [...app.intervals.values()][0]!();
    expect(app.trays.length).toBe(before + 1);
    app.setHealth({ kind: 'running' });
    expect(app.intervals.size).toBe(0);
  });

  it('notifies what got worse when notifications are on', async () => {
    const app = setUp({ health: { kind: 'running' } });
    await app.flush();
    app.emit({ kind: 'statusChanged', status: status([library('Documents', STATES.upToDate)]) });
    app.emit({ kind: 'libraryChanged', library: library('Documents', STATES.attention, { conflicts: 1 }) });
    app.emit({ kind: 'libraryChanged', library: library('Documents', STATES.attention, { conflicts: 1 }) });
    expect(app.notifications.map((notification) => notification.title)).toEqual(['Conflict in “Documents”']);
  });

  it('stays quiet when notifications are off, in the language chosen', async () => {
    const app = setUp({ health: { kind: 'running' }, preferences: { ...PREFERENCES, notifications: false, language: 'zh-CN' } });
    await app.flush();
    app.emit({ kind: 'statusChanged', status: status([library('Documents', STATES.upToDate)]) });
    app.emit({ kind: 'libraryChanged', library: library('Documents', STATES.error) });
    expect(app.notifications).toEqual([]);
    expect(app.trays.at(-1)?.tooltip).toBe('Cairn：需要处理');
    app.emit({ kind: 'preferencesChanged', preferences: { ...PREFERENCES, notifications: true, language: 'zh-CN' } });
    app.emit({ kind: 'libraryChanged', library: library('Documents', STATES.rootMissing) });
    expect(app.notifications.map((notification) => notification.title)).toEqual(['为保护您的文件，已暂停“Documents”']);
  });

  it('applies start at login from the preferences at start and whenever it changes', async () => {
    const app = setUp({ preferences: { ...PREFERENCES, startAtLogin: true } });
    expect(app.startAtLogin).toEqual([]);
    app.setHealth({ kind: 'running' });
    await app.flush();
    expect(app.startAtLogin).toEqual([true]);
    app.emit({ kind: 'preferencesChanged', preferences: { ...PREFERENCES, startAtLogin: true, language: 'zh-CN' } });
    expect(app.startAtLogin).toEqual([true]);
    app.emit({ kind: 'preferencesChanged', preferences: { ...PREFERENCES, startAtLogin: false } });
    expect(app.startAtLogin).toEqual([true, false]);
    // A restarted engine brings the preferences again; an unchanged one is not applied twice.
    app.setHealth({ kind: 'restarting', retryAt: T0 + 1_000, reason: 'crash' });
    app.setHealth({ kind: 'running' });
    await app.flush();
    expect(app.startAtLogin).toEqual([true, false, true]);
  });

  it('logs a start-at-login failure and tries again with the next preferences', async () => {
    const app = setUp({ health: { kind: 'running' }, preferences: { ...PREFERENCES, startAtLogin: true }, failStartAtLogin: true });
    await app.flush();
    expect(app.logs).toEqual(['could not turn on start at login: read-only file system']);
    app.emit({ kind: 'preferencesChanged', preferences: { ...PREFERENCES, startAtLogin: true } });
    expect(app.startAtLogin).toEqual([true, true]);
  });

  it('does what the tray menu asks', async () => {
    const app = setUp({ health: { kind: 'running' } });
    app.controller.handleTrayAction({ type: 'open-folder', libraryId: 'library-documents' });
    app.controller.handleTrayAction({ type: 'pause-all' });
    app.controller.handleTrayAction({ type: 'resume-all' });
    app.controller.handleTrayAction({ type: 'open-window' });
    app.controller.handleTrayAction({ type: 'open-preferences' });
    app.controller.handleTrayAction({ type: 'quit' });
    app.controller.handleTrayAction({ type: 'open-folder', libraryId: 'library-gone' });
    await app.flush();
    expect(app.calls).toEqual(['openFolder library-documents', 'pauseAll', 'resumeAll', 'openFolder library-gone']);
    expect(app.windows).toEqual([undefined, PREFERENCES_ROUTE]);
    expect(app.quits()).toBe(1);
    expect(app.logs).toEqual(['opening the folder failed: no such library']);
  });

  it('lets go of everything when stopped', () => {
    const app = setUp();
    app.setHealth({ kind: 'restarting', retryAt: T0 + 1_000, reason: 'crash' });
    app.controller.stop();
    expect(app.listenerCount()).toBe(0);
    expect(app.intervals.size).toBe(0);
  });
});
