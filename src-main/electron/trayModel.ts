// What the tray shows, as a pure function of the engine's status: one state for the icon
// (the most urgent thing the user should know), a tooltip, and a menu model that appTray.ts
// renders with Electron's Menu. Honest status: 'up-to-date' only when every library is.

import path from 'node:path';
import type { LibraryView, SyncEvent, SyncStatus } from '../../shared/api/index.js';
import type { AppMessages, BreakerReason, TrayState } from './appMessages.js';
import type { EngineHealth } from './engineClient.js';

/** How the sign-in is kept, when it is weaker than the OS keychain. */
export type CredentialWarning = 'keyring-missing' | 'encryption-unavailable';

export type TrayAction =
  | { readonly type: 'open-folder'; readonly libraryId: string }
  | { readonly type: 'pause-all' }
  | { readonly type: 'resume-all' }
  | { readonly type: 'open-window' }
  | { readonly type: 'open-preferences' }
  | { readonly type: 'quit' };

export type TrayMenuItem =
  | { readonly kind: 'label'; readonly label: string }
  | { readonly kind: 'separator' }
  | { readonly kind: 'action'; readonly label: string; readonly enabled: boolean; readonly action: TrayAction };

export interface TrayView {
  readonly state: TrayState;
  readonly tooltip: string;
  readonly menu: readonly TrayMenuItem[];
}

export interface TrayInput {
  /** The latest status from the engine, or null before the first one. */
  readonly status: SyncStatus | null;
  readonly health: EngineHealth;
  readonly warnings: readonly CredentialWarning[];
  readonly now: number;
}

const BREAKER_REASONS: ReadonlySet<string> = new Set<BreakerReason>(['root-missing', 'root-emptied', 'mass-delete']);

/** The breaker that paused a library, or null when it is not paused by one. */
export function breakerReasonOf(library: LibraryView): BreakerReason | null {
  return library.state.kind === 'paused' && BREAKER_REASONS.has(library.state.reason) ? (library.state.reason as BreakerReason) : null;
}

/** A library that stopped and waits for the user: a failed round or a circuit breaker. */
function needsUser(library: LibraryView): boolean {
  // A library whose account is signed out waits for the user to sign in again.
  return library.state.kind === 'error' || library.state.kind === 'signed-out' || breakerReasonOf(library) !== null;
}

function isBusy(library: LibraryView): boolean {
  return library.state.kind === 'scanning' || library.state.kind === 'syncing' || library.state.kind === 'pending';
}

/** The status with one event applied (the events carry whole values, so this is replacement). */
export function applySyncEvent(status: SyncStatus | null, event: SyncEvent): SyncStatus | null {
  switch (event.kind) {
    case 'statusChanged':
      return event.status;
    case 'libraryChanged': {
      if (status === null || !status.libraries.some((library) => library.libraryId === event.library.libraryId)) return status;
      return { ...status, libraries: status.libraries.map((library) => (library.libraryId === event.library.libraryId ? event.library : library)) };
    }
    default:
      return status;
  }
}

export function trayViewOf(input: TrayInput, messages: AppMessages): TrayView {
  const { status, health } = input;
  const lines: string[] = [];
  let state: TrayState;
  let detail: string | null = null;

  if (health.kind === 'restarting') {
    state = 'error';
    lines.push(messages.engineRestarting(Math.max(0, Math.ceil((health.retryAt - input.now) / 1000)), health.reason));
  } else if (health.kind === 'stopped') {
    state = 'paused';
    lines.push(messages.stopping);
  } else if (status === null || health.kind === 'starting') {
    state = 'syncing';
    lines.push(messages.starting);
  } else if (status.account === null) {
    state = 'offline';
    lines.push(messages.notConnected);
  } else {
    const libraries = status.libraries;
    const failing = libraries.filter(needsUser).length;
    const conflicts = libraries.reduce((sum, library) => sum + library.openConflicts, 0);
    const problems = libraries.reduce((sum, library) => sum + library.problemCount, 0);
    const offline = libraries.some((library) => library.state.kind === 'offline');
    const busy = libraries.filter(isBusy);
    const paused = libraries.filter((library) => library.state.kind === 'paused' && breakerReasonOf(library) === null).length;

    if (failing > 0) lines.push(messages.librariesNeedAttention(failing));
    if (conflicts > 0) lines.push(messages.conflicts(conflicts));
    if (problems > 0) lines.push(messages.problems(problems));
    if (offline) lines.push(messages.offline);
    if (busy.length > 0) lines.push(messages.syncingLibraries(busy.length));
    if (status.allPaused) lines.push(messages.allPaused);
    else if (paused > 0) lines.push(messages.pausedLibraries(paused));
    if (lines.length === 0) lines.push(libraries.length === 0 ? messages.noLibraries : messages.upToDate);

    if (failing > 0) state = 'error';
    else if (conflicts > 0) state = 'conflicts';
    else if (problems > 0) state = 'error';
    else if (offline) state = 'offline';
    else if (busy.length > 0) state = 'syncing';
    else if (status.allPaused || paused > 0) state = 'paused';
    else state = 'up-to-date';

    if (state === 'syncing') {
      let done = 0;
      let total = 0;
      for (const library of busy) {
        if (library.state.kind === 'scanning' || library.state.kind === 'syncing') {
          done += library.state.progress.filesDone;
          total += library.state.progress.filesTotal;
        }
      }
      if (total > 0) detail = messages.filesProgress(done, total);
    }
  }

  for (const warning of input.warnings) lines.push(warning === 'keyring-missing' ? messages.keyringMissing : messages.encryptionUnavailable);

  const menu: TrayMenuItem[] = lines.map((label) => ({ kind: 'label', label }));
  const libraries = status?.libraries ?? [];
  const canControl = health.kind === 'running' && status !== null && status.account !== null;
  if (canControl && libraries.length > 0) {
    menu.push({ kind: 'separator' });
    for (const library of libraries) {
      menu.push({ kind: 'action', label: messages.openFolder(library.name), enabled: true, action: { type: 'open-folder', libraryId: library.libraryId } });
    }
  }
  menu.push({ kind: 'separator' });
  const allPaused = status?.allPaused ?? false;
  menu.push({
    kind: 'action',
    label: allPaused ? messages.resumeAll : messages.pauseAll,
    enabled: canControl && libraries.length > 0,
    action: allPaused ? { type: 'resume-all' } : { type: 'pause-all' },
  });
  menu.push({ kind: 'separator' });
  menu.push({ kind: 'action', label: messages.openCairn, enabled: true, action: { type: 'open-window' } });
  menu.push({ kind: 'action', label: messages.preferences, enabled: true, action: { type: 'open-preferences' } });
  menu.push({ kind: 'separator' });
  menu.push({ kind: 'action', label: messages.quit, enabled: true, action: { type: 'quit' } });

  return { state, tooltip: messages.tooltip(messages.stateNames[state], detail), menu };
}

/** The tray icon of a state at the size of each platform (an @2x file beside it serves HiDPI screens). */
export function trayIconFile(iconDir: string, state: TrayState, platform: NodeJS.Platform): string {
  const size = platform === 'linux' ? 22 : 16;
  return path.join(iconDir, `${state}-${size}.png`);
}
