// Which desktop notifications a new status calls for: what became worse since the status before
// it (new conflicts, new problems, a library that failed or that a circuit breaker paused).
// The first status is the baseline: nothing already there when Cairn starts is announced again.

import type { LibraryView, SyncStatus } from '../../shared/api/index.js';
import type { AppMessages } from './appMessages.js';
import { breakerReasonOf } from './trayModel.js';

export interface DesktopNotification {
  readonly libraryId: string;
  readonly kind: 'conflicts' | 'problems' | 'error' | 'breaker';
  readonly title: string;
  readonly body: string;
}

function failureOf(library: LibraryView): string | null {
  if (library.state.kind === 'error') return `error:${library.state.message}`;
  const breaker = breakerReasonOf(library);
  return breaker === null ? null : `breaker:${breaker}`;
}

export function notificationsBetween(previous: SyncStatus | null, current: SyncStatus, messages: AppMessages): DesktopNotification[] {
  if (previous === null || current.account === null) return [];
  const before = new Map(previous.libraries.map((library) => [library.libraryId, library]));
  const notifications: DesktopNotification[] = [];
  for (const library of current.libraries) {
    const old = before.get(library.libraryId);
    const newConflicts = library.openConflicts - (old?.openConflicts ?? 0);
    if (newConflicts > 0) {
      notifications.push({ libraryId: library.libraryId, kind: 'conflicts', title: messages.conflictTitle(library.name), body: messages.conflictBody(newConflicts) });
    }
    const newProblems = library.problemCount - (old?.problemCount ?? 0);
    if (newProblems > 0) {
      notifications.push({ libraryId: library.libraryId, kind: 'problems', title: messages.problemTitle(library.name), body: messages.problemBody(newProblems) });
    }
    const failure = failureOf(library);
    if (failure !== null && failure !== (old === undefined ? null : failureOf(old))) {
      const breaker = breakerReasonOf(library);
      if (breaker !== null) {
        notifications.push({ libraryId: library.libraryId, kind: 'breaker', title: messages.breakerTitle(library.name), body: messages.breakerBodies[breaker] });
      } else if (library.state.kind === 'error') {
        notifications.push({ libraryId: library.libraryId, kind: 'error', title: messages.errorTitle(library.name), body: messages.errorBodies[library.state.reason ?? 'unknown'] });
      }
    }
  }
  return notifications;
}
