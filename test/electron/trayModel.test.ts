// The tray from the engine's status: the icon shows the most urgent state, the tooltip and the
// status lines say why, the menu offers each library's folder, pause or resume, the window,
// the preferences and quit, in the user's language.

import { describe, expect, it } from 'vitest';
import type { SyncStatus } from '../../shared/api/index.js';
import { APP_MESSAGES } from '../../src-main/electron/appMessages.js';
import type { TrayState } from '../../src-main/electron/appMessages.js';
import type { EngineHealth } from '../../src-main/electron/engineClient.js';
import { applySyncEvent, trayViewOf } from '../../src-main/electron/trayModel.js';
import type { CredentialWarning, TrayMenuItem } from '../../src-main/electron/trayModel.js';
import { STATES, T0, library, libraryIdOf, status } from './statusFixtures.js';

const RUNNING: EngineHealth = { kind: 'running' };
const english = APP_MESSAGES.en;

function view(current: SyncStatus | null, health: EngineHealth = RUNNING, warnings: CredentialWarning[] = [], language: 'en' | 'zh-CN' = 'en') {
  return trayViewOf({ status: current, health, warnings, now: T0 }, APP_MESSAGES[language]);
}

function labels(menu: readonly TrayMenuItem[]): string[] {
  return menu.filter((item) => item.kind === 'label').map((item) => item.label);
}

describe('the tray state', () => {
  it.each<[string, SyncStatus | null, EngineHealth, TrayState, string[], string]>([
    ['engine starting', null, { kind: 'starting' }, 'syncing', ['Starting…'], 'Cairn: Syncing'],
    ['no status yet', null, RUNNING, 'syncing', ['Starting…'], 'Cairn: Syncing'],
    [
      'engine restarting after a crash',
      null,
      { kind: 'restarting', retryAt: T0 + 4_200, reason: 'exit code 1' },
      'error',
      ['The sync engine stopped; restarting in 5 s (exit code 1)'],
      'Cairn: Needs attention',
    ],
    ['quitting', status([]), { kind: 'stopped' }, 'paused', ['Stopping…'], 'Cairn: Paused'],
    ['not logged in', status([], { loggedIn: false }), RUNNING, 'offline', ['Not connected to a server: open Cairn to connect'], 'Cairn: Offline'],
    ['logged in, nothing synced', status([]), RUNNING, 'up-to-date', ['No folders synced yet'], 'Cairn: Up to date'],
    ['everything up to date', status([library('Documents', STATES.upToDate), library('Photos', STATES.upToDate)]), RUNNING, 'up-to-date', ['Everything is up to date'], 'Cairn: Up to date'],
    [
      'one library syncing',
      status([library('Documents', STATES.syncing), library('Photos', STATES.upToDate)]),
      RUNNING,
      'syncing',
      ['Syncing 1 library'],
      'Cairn: Syncing (3 of 10 files)',
    ],
    ['changes waiting count as syncing', status([library('Documents', STATES.pending), library('Photos', STATES.scanning)]), RUNNING, 'syncing', ['Syncing 2 libraries'], 'Cairn: Syncing'],
    ['all paused', status([library('Documents', STATES.allPaused)], { allPaused: true }), RUNNING, 'paused', ['Syncing is paused'], 'Cairn: Paused'],
    ['one library paused by the user', status([library('Documents', STATES.pausedByUser), library('Photos', STATES.upToDate)]), RUNNING, 'paused', ['1 library paused'], 'Cairn: Paused'],
    ['syncing beats paused', status([library('Documents', STATES.pausedByUser), library('Photos', STATES.syncing)]), RUNNING, 'syncing', ['Syncing 1 library', '1 library paused'], 'Cairn: Syncing (3 of 10 files)'],
    ['offline', status([library('Documents', STATES.offline)]), RUNNING, 'offline', ['Offline: the server cannot be reached; retrying'], 'Cairn: Offline'],
    ['offline beats syncing', status([library('Documents', STATES.offline), library('Photos', STATES.syncing)]), RUNNING, 'offline', ['Offline: the server cannot be reached; retrying', 'Syncing 1 library'], 'Cairn: Offline'],
    ['conflicts', status([library('Documents', STATES.attention, { conflicts: 2 })]), RUNNING, 'conflicts', ['2 conflicts to resolve'], 'Cairn: Conflicts to resolve'],
    ['conflicts beat offline', status([library('Documents', STATES.attention, { conflicts: 1 }), library('Photos', STATES.offline)]), RUNNING, 'conflicts', ['1 conflict to resolve', 'Offline: the server cannot be reached; retrying'], 'Cairn: Conflicts to resolve'],
    ['problems', status([library('Documents', STATES.attention, { problems: 3 })]), RUNNING, 'error', ['3 files could not be synced'], 'Cairn: Needs attention'],
    ['a failed round', status([library('Documents', STATES.error)]), RUNNING, 'error', ['1 library needs your attention'], 'Cairn: Needs attention'],
    ['a library whose account is signed out', status([library('Documents', STATES.signedOut), library('Photos', STATES.upToDate)]), RUNNING, 'error', ['1 library needs your attention'], 'Cairn: Needs attention'],
    ['a circuit breaker is not a pause', status([library('Documents', STATES.rootMissing), library('Photos', STATES.massDelete)]), RUNNING, 'error', ['2 libraries need your attention'], 'Cairn: Needs attention'],
    [
      'errors beat conflicts',
      status([library('Documents', STATES.error), library('Photos', STATES.attention, { conflicts: 1, problems: 1 })]),
      RUNNING,
      'error',
      ['1 library needs your attention', '1 conflict to resolve', '1 file could not be synced'],
      'Cairn: Needs attention',
    ],
  ])('%s', (_name, current, health, state, lines, tooltip) => {
    const tray = view(current, health);
    expect(tray.state).toBe(state);
    expect(labels(tray.menu)).toEqual(lines);
    expect(tray.tooltip).toBe(tooltip);
  });

  it('adds a line for a sign-in kept without a keychain', () => {
    expect(labels(view(status([]), RUNNING, ['keyring-missing']).menu)).toEqual(['No folders synced yet', english.keyringMissing]);
    expect(labels(view(status([]), RUNNING, ['encryption-unavailable']).menu)).toContain(english.encryptionUnavailable);
  });
});

describe('the tray menu', () => {
  it('offers each library folder, pause, the window, preferences and quit', () => {
    const tray = view(status([library('Documents', STATES.upToDate), library('Photos & Video', STATES.syncing)]));
    expect(tray.menu).toEqual([
      { kind: 'label', label: 'Syncing 1 library' },
      { kind: 'separator' },
      { kind: 'action', label: 'Open “Documents” folder', enabled: true, action: { type: 'open-folder', libraryId: 'library-documents' } },
      { kind: 'action', label: 'Open “Photos & Video” folder', enabled: true, action: { type: 'open-folder', libraryId: libraryIdOf('Photos & Video') } },
      { kind: 'separator' },
      { kind: 'action', label: 'Pause syncing', enabled: true, action: { type: 'pause-all' } },
      { kind: 'separator' },
      { kind: 'action', label: 'Open Cairn', enabled: true, action: { type: 'open-window' } },
      { kind: 'action', label: 'Preferences…', enabled: true, action: { type: 'open-preferences' } },
      { kind: 'separator' },
      { kind: 'action', label: 'Quit Cairn', enabled: true, action: { type: 'quit' } },
    ]);
  });

  it('offers resume while everything is paused', () => {
    const menu = view(status([library('Documents', STATES.allPaused)], { allPaused: true })).menu;
    expect(menu).toContainEqual({ kind: 'action', label: 'Resume syncing', enabled: true, action: { type: 'resume-all' } });
    expect(menu.some((item) => item.kind === 'action' && item.action.type === 'pause-all')).toBe(false);
  });

  it.each<[string, SyncStatus | null, EngineHealth]>([
    ['while the engine restarts', status([library('Documents', STATES.upToDate)]), { kind: 'restarting', retryAt: T0, reason: 'crash' }],
    ['before the first status', null, RUNNING],
    ['before login', status([], { loggedIn: false }), RUNNING],
    ['without libraries', status([]), RUNNING],
  ])('cannot pause %s, and lists no folders', (_name, current, health) => {
    const menu = view(current, health).menu;
    expect(menu).toContainEqual({ kind: 'action', label: 'Pause syncing', enabled: false, action: { type: 'pause-all' } });
    expect(menu.some((item) => item.kind === 'action' && item.action.type === 'open-folder')).toBe(false);
    expect(menu.filter((item) => item.kind === 'action' && item.enabled).map((item) => item.kind === 'action' && item.action.type)).toEqual(['open-window', 'open-preferences', 'quit']);
  });

  it('speaks Simplified Chinese when asked', () => {
    const tray = view(status([library('文档', STATES.syncing), library('照片', STATES.attention, { conflicts: 2 })]), RUNNING, [], 'zh-CN');
    expect(tray.tooltip).toBe('Cairn：有冲突待解决');
    expect(labels(tray.menu)).toEqual(['2 个冲突待解决', '正在同步 1 个资料库']);
    expect(tray.menu.filter((item) => item.kind === 'action').map((item) => item.label)).toEqual([
      '打开“文档”文件夹',
      '打开“照片”文件夹',
      '暂停同步',
      '打开 Cairn',
      '偏好设置…',
      '退出 Cairn',
    ]);
  });
});

describe('applySyncEvent', () => {
  const documents = library('Documents', STATES.syncing);
  const photos = library('Photos', STATES.upToDate);
  const before = status([documents, photos]);

  it('replaces the whole status', () => {
    const after = status([], { allPaused: true });
    expect(applySyncEvent(before, { kind: 'statusChanged', status: after })).toBe(after);
    expect(applySyncEvent(null, { kind: 'statusChanged', status: after })).toBe(after);
  });

  it('replaces one library', () => {
    const done = library('Documents', STATES.upToDate);
    expect(applySyncEvent(before, { kind: 'libraryChanged', library: done })).toEqual(status([done, photos]));
  });

  it('leaves the status alone for a library it does not list, or before the first status', () => {
    const stranger = library('Music', STATES.upToDate);
    expect(applySyncEvent(before, { kind: 'libraryChanged', library: stranger })).toBe(before);
    expect(applySyncEvent(null, { kind: 'libraryChanged', library: stranger })).toBeNull();
  });

  it('leaves the status alone for events about other things', () => {
    expect(applySyncEvent(before, { kind: 'connectionChanged', connected: false })).toBe(before);
    expect(applySyncEvent(before, { kind: 'conflictsChanged', libraryId: documents.libraryId, conflicts: [] })).toBe(before);
  });
});
