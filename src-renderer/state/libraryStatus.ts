// How a library's state reads on screen: its label, its tone (the badge colour), the figures of
// a round in progress, and the one-line summary of every library together (the sidebar's and,
// later, the tray's). Pure, so the rules that keep the status honest are tested as tables: only
// the 'up-to-date' state ever reads "Up to date", and a percentage reaches 100 only when done.

import type { LibraryState, LibraryStateKind, LibraryView, RoundProgressView, SyncStatus } from '../../shared/api/index.js';
import type { MessageKey, PluralKey } from '../i18n/en.js';
import type { Translator } from '../i18n/translate.js';

/** The badge colours: calm green, busy blue, amber for the user's attention, grey, red. */
export type Tone = 'ok' | 'busy' | 'attention' | 'paused' | 'error';

function unhandled(value: never): never {
  throw new Error(`unhandled library state: ${JSON.stringify(value)}`);
}

export function stateLabel(state: LibraryState): MessageKey {
  switch (state.kind) {
    case 'up-to-date':
      return 'state.upToDate';
    case 'pending': {
      const reason = state.reason;
      switch (reason) {
        case 'never-synced':
          return 'state.pending.neverSynced';
        case 'changes-seen':
          return 'state.pending.changesSeen';
        case 'round-queued':
          return 'state.pending.roundQueued';
        default:
          return unhandled(reason);
      }
    }
    case 'scanning':
      return 'state.scanning';
    case 'syncing': {
      const phase = state.phase;
      switch (phase) {
        case 'uploading':
          return 'state.syncing.uploading';
        case 'downloading':
          return 'state.syncing.downloading';
        case 'committing':
          return 'state.syncing.committing';
        case 'applying':
          return 'state.syncing.applying';
        default:
          return unhandled(phase);
      }
    }
    case 'needs-attention':
      return 'state.needsAttention';
    case 'paused': {
      const reason = state.reason;
      if (state.stopping === true && (reason === 'user' || reason === 'all-paused')) return 'state.paused.stopping';
      switch (reason) {
        case 'user':
          return 'state.paused.user';
        case 'all-paused':
          return 'state.paused.allPaused';
        case 'root-missing':
          return 'state.paused.rootMissing';
        case 'root-emptied':
          return 'state.paused.rootEmptied';
        case 'mass-delete':
          return 'state.paused.massDelete';
        default:
          return unhandled(reason);
      }
    }
    case 'offline':
      return 'state.offline';
    case 'signed-out':
      return state.unlinked === true ? 'preferences.accountNotLinked' : 'state.signedOut';
    case 'error':
      return 'state.error';
    default:
      return unhandled(state);
  }
}

export function stateTone(state: LibraryState): Tone {
  switch (state.kind) {
    case 'up-to-date':
      return 'ok';
    case 'pending':
    case 'scanning':
    case 'syncing':
      return 'busy';
    case 'needs-attention':
    case 'offline':
    case 'signed-out':
      return 'attention';
    case 'paused':
      // A circuit breaker stopped the library: that needs the user, unlike a pause they chose.
      return state.reason === 'user' || state.reason === 'all-paused' ? 'paused' : 'attention';
    case 'error':
      return 'error';
    default:
      return unhandled(state);
  }
}

/** The explanation under the label, for the states that need one. */
export function stateExplanation(state: LibraryState): MessageKey | null {
  switch (state.kind) {
    case 'paused': {
      const reason = state.reason;
      switch (reason) {
        case 'root-missing':
          return 'state.explain.rootMissing';
        case 'root-emptied':
          return 'state.explain.rootEmptied';
        case 'mass-delete':
          return 'state.explain.massDelete';
        case 'user':
        case 'all-paused':
          return null;
        default:
          return unhandled(reason);
      }
    }
    case 'needs-attention':
      return 'state.explain.needsAttention';
    case 'signed-out':
      return state.unlinked === true ? 'preferences.accountNotLinkedExplain' : 'state.explain.signedOut';
    case 'error':
      return state.action === 'retry-later' ? 'state.explain.errorRetries' : 'state.explain.errorNeedsUser';
    case 'pending':
      return state.reason === 'never-synced' ? 'state.explain.neverSynced' : null;
    default:
      return null;
  }
}

/** A library that is paused can be resumed; any other can be paused. */
/**
 * What a copy restored from the history becomes: in a library this account may only read it is
 * never uploaded (it stays on this computer, listed as a problem), elsewhere it syncs like any
 * new file. The role is null or absent until the server was asked: then nothing says read-only.
 */
export function restoredCopyKey(library: Pick<LibraryView, 'role'> | undefined): MessageKey {
  return library?.role === 'ro' ? 'history.restoredCopyReadOnly' : 'history.restoredCopy';
}

export function isPaused(state: LibraryState): boolean {
  return state.kind === 'paused';
}

/** The progress of the round in progress, if the state has one. */
export function progressOf(state: LibraryState): RoundProgressView | null {
  return state.kind === 'scanning' || state.kind === 'syncing' ? state.progress : null;
}

export interface ProgressFigures {
  /** 0..1, or null while nothing tells how far along the round is (the bar is indeterminate). */
  readonly fraction: number | null;
  /** Whole percent, rounded down so that 100 means done. */
  readonly percent: number | null;
  readonly filesDone: number;
  readonly filesTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly bytesPerSecond: number | null;
  readonly secondsLeft: number | null;
}

/** Bytes measure progress best; a round moving no bytes (deletions, moves) counts files. */
export function progressFigures(progress: RoundProgressView): ProgressFigures {
  let fraction: number | null = null;
  if (progress.bytesTotal > 0) fraction = progress.bytesDone / progress.bytesTotal;
  else if (progress.filesTotal > 0) fraction = progress.filesDone / progress.filesTotal;
  if (fraction !== null) fraction = Math.min(1, Math.max(0, fraction));
  const secondsLeft = progress.secondsLeft === null || !Number.isFinite(progress.secondsLeft) ? null : Math.max(0, progress.secondsLeft);
  return {
    fraction,
    percent: fraction === null ? null : Math.floor(fraction * 100),
    filesDone: progress.filesDone,
    filesTotal: progress.filesTotal,
    bytesDone: progress.bytesDone,
    bytesTotal: progress.bytesTotal,
    bytesPerSecond: progress.bytesPerSecond !== null && progress.bytesPerSecond > 0 ? progress.bytesPerSecond : null,
    secondsLeft,
  };
}

/** "12 of 40 files · 3.2 MB of 10 MB · 1.1 MB/s · about 6 s left", leaving out what is unknown. */
export function progressText(figures: ProgressFigures, i18n: Translator): string {
  const parts: string[] = [];
  if (figures.filesTotal > 0) parts.push(i18n.tn('progress.files', figures.filesTotal, { done: figures.filesDone }));
  if (figures.bytesTotal > 0) parts.push(i18n.t('progress.bytes', { done: i18n.bytes(figures.bytesDone), total: i18n.bytes(figures.bytesTotal) }));
  if (figures.bytesPerSecond !== null) parts.push(i18n.rate(figures.bytesPerSecond));
  // Under a second is no time to state ("about 0 s left"): the round is finishing.
  if (figures.secondsLeft !== null) parts.push(figures.secondsLeft < 1 ? i18n.t('progress.almostDone') : i18n.t('progress.timeLeft', { duration: i18n.duration(figures.secondsLeft) }));
  return parts.join(' · ');
}

export interface OverallStatus {
  readonly key: PluralKey;
  readonly tone: Tone;
  /** How many libraries the sentence is about. */
  readonly count: number;
}

function countOf(status: SyncStatus, kinds: readonly LibraryStateKind[]): number {
  return status.libraries.filter((library) => kinds.includes(library.state.kind)).length;
}

/**
 * One sentence for every library together, the most pressing fact first. It says "up to date"
 * only when every library is.
 */
export function overallStatus(status: SyncStatus): OverallStatus {
  const total = status.libraries.length;
  if (total === 0) return { key: 'overall.noLibraries', tone: 'paused', count: 0 };
  if (status.allPaused) return { key: 'overall.allPaused', tone: 'paused', count: total };
  const failed = countOf(status, ['error']);
  if (failed > 0) return { key: 'overall.error', tone: 'error', count: failed };
  const offline = countOf(status, ['offline']);
  if (offline > 0) return { key: 'overall.offline', tone: 'attention', count: offline };
  const busy = countOf(status, ['pending', 'scanning', 'syncing']);
  if (busy > 0) return { key: 'overall.syncing', tone: 'busy', count: busy };
  const stopped = status.libraries.filter((library) => library.state.kind === 'paused' && stateTone(library.state) === 'attention').length;
  const attention = countOf(status, ['needs-attention', 'signed-out']) + stopped;
  if (attention > 0) return { key: 'overall.attention', tone: 'attention', count: attention };
  const paused = countOf(status, ['paused']);
  if (paused > 0) return { key: 'overall.paused', tone: 'paused', count: paused };
  return { key: 'overall.upToDate', tone: 'ok', count: total };
}
