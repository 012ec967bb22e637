// How conflicts read: one side as short facts ("12 KB · changed 5 minutes ago · by ann · on
// laptop"), the kind of conflict, each way out and each merge choice by name. Facts rather than
// one sentence, so every language reads naturally whichever of them are known.

import type { ApiErrorCode, ConflictSideView, ConflictView, KeepChoice } from '../../shared/api/index.js';
import type { ConflictChoice, LineEndingStyle } from '../../shared/merge/index.js';
import type { MessageKey } from '../i18n/en.js';
import type { Translator } from '../i18n/translate.js';
import { errorMessageKey } from '../state/errorText.js';
import type { UnavailableReason } from './conflictResolution.js';
import type { MergeLineOrigin } from './mergeChoices.js';

export function describeSide(side: ConflictSideView, i18n: Translator, now: number): string {
  const facts: string[] = [];
  switch (side.kind) {
    case 'file':
      facts.push(i18n.bytes(side.size));
      if (side.mtimeMs !== null) facts.push(i18n.t('conflicts.changedAt', { time: i18n.timeAgo(side.mtimeMs, now) }));
      break;
    case 'dir':
      facts.push(i18n.t('conflicts.folder'));
      break;
    case 'deleted':
      facts.push(i18n.t('conflicts.deleted'));
      break;
    default:
      side satisfies never;
  }
  if (side.user !== null) facts.push(i18n.t('conflicts.byUser', { user: side.user }));
  if (side.device !== null) facts.push(i18n.t('conflicts.onDevice', { device: side.device }));
  return facts.join(' · ');
}

/** The file name of a library path, for a conflict copy shown next to its original. */
export function fileNameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** What sort of conflict this is, for the tag beside its path. */
export function conflictKindKey(conflict: ConflictView): MessageKey {
  if (conflict.local.kind === 'deleted' || conflict.remote.kind === 'deleted') return 'conflicts.kind.deleted';
  if (conflict.local.kind === 'dir' || conflict.remote.kind === 'dir') return 'conflicts.kind.folder';
  switch (conflict.contentKind) {
    case 'text':
      return 'conflicts.kind.text';
    case 'image':
      return 'conflicts.kind.image';
    case 'binary':
      return 'conflicts.kind.binary';
    case null:
      return 'conflicts.kind.file';
    default:
      return conflict.contentKind satisfies never;
  }
}

/** Whether the list can promise a merge: text on both sides, and the version both started from is known. */
export function mayMerge(conflict: ConflictView): boolean {
  return conflict.contentKind === 'text' && conflict.baseKnown;
}

/** The name of a way out. Without a conflict copy 'both' only accepts what is there. */
export function keepTitleKey(keep: KeepChoice, hasCopy: boolean): MessageKey {
  switch (keep) {
    case 'local':
      return 'conflicts.keepMine';
    case 'remote':
      return 'conflicts.keepTheirs';
    case 'both':
      return hasCopy ? 'conflicts.keepBoth' : 'resolve.accept.title';
    case 'merged':
      return 'resolve.merged.title';
    default:
      return keep satisfies never;
  }
}

/** What a way out does, in a sentence with {name} (the file) and {copy} (the conflict copy). */
export function keepTextKey(keep: KeepChoice, hasCopy: boolean): MessageKey {
  switch (keep) {
    case 'local':
      return 'resolve.local.text';
    case 'remote':
      return 'resolve.remote.text';
    case 'both':
      return hasCopy ? 'resolve.both.text' : 'resolve.accept.text';
    case 'merged':
      return 'resolve.merged.text';
    default:
      return keep satisfies never;
  }
}

/** What the list says once a conflict is resolved, with {path}. */
export function resolvedKey(keep: KeepChoice, hasCopy: boolean): MessageKey {
  switch (keep) {
    case 'local':
      return 'resolve.done.local';
    case 'remote':
      return 'resolve.done.remote';
    case 'both':
      return hasCopy ? 'resolve.done.both' : 'resolve.done.accept';
    case 'merged':
      return 'resolve.done.merged';
    default:
      return keep satisfies never;
  }
}

export function unavailableKey(reason: UnavailableReason): MessageKey {
  switch (reason) {
    case 'copy-missing':
      return 'resolve.unavailable.copyMissing';
    case 'name-not-file':
      return 'resolve.unavailable.nameNotFile';
    case 'not-text':
      return 'resolve.unavailable.notText';
    case 'base-unknown':
      return 'conflict.baseUnknown';
    case 'base-unavailable':
      return 'conflict.baseUnavailable';
    default:
      return reason satisfies never;
  }
}

/** The merge choices in the order offered, each with its name. */
export const MERGE_CHOICE_KEYS: readonly { readonly choice: ConflictChoice; readonly key: MessageKey }[] = [
  { choice: 'mine', key: 'merge.choice.mine' },
  { choice: 'theirs', key: 'merge.choice.theirs' },
  { choice: 'mine-then-theirs', key: 'merge.choice.mineThenTheirs' },
  { choice: 'theirs-then-mine', key: 'merge.choice.theirsThenMine' },
  { choice: 'base', key: 'merge.choice.base' },
];

/** What a marked line of the merged result says to a screen reader; unchanged lines say nothing. */
export function originKey(origin: MergeLineOrigin): MessageKey | null {
  switch (origin) {
    case 'unchanged':
      return null;
    case 'mine':
      return 'merge.origin.mine';
    case 'theirs':
      return 'merge.origin.theirs';
    case 'both':
      return 'merge.origin.both';
    case 'chosen':
      return 'merge.origin.chosen';
    default:
      return origin satisfies never;
  }
}

export function lineEndingKey(style: LineEndingStyle): MessageKey {
  switch (style) {
    case 'lf':
      return 'lineEnding.lf';
    case 'crlf':
      return 'lineEnding.crlf';
    case 'cr':
      return 'lineEnding.cr';
    case 'mixed':
      return 'lineEnding.mixed';
    case 'none':
      return 'lineEnding.none';
    default:
      return style satisfies never;
  }
}

/** Why one conflict of a batch stayed open, said for this situation rather than in general. */
export function outcomeErrorKey(code: ApiErrorCode, keep: KeepChoice): MessageKey {
  switch (code) {
    case 'conflict':
      return 'outcome.error.changed';
    case 'invalid-argument':
      // A batch merges only what needs no choice: the rest overlap, or are no text to merge.
      return keep === 'merged' ? 'outcome.error.notClean' : 'outcome.error.doesNotFit';
    case 'not-found':
      return 'outcome.error.gone';
    default:
      return errorMessageKey(code, 'operation');
  }
}

/**
 * Whose version the conflict copy holds, as the lists and the dialog name it: "yours" when this
 * computer found the conflict (or it is not known who did), else the copy from the computer
 * that found it (conflicts are listed on every computer of the library).
 */
export function copyHolder(copyDevice: string | null, thisDevice: string | null): { readonly mine: true } | { readonly mine: false; readonly device: string } {
  return copyDevice === null || thisDevice === null || copyDevice === thisDevice ? { mine: true } : { mine: false, device: copyDevice };
}

/** A version named by who made it, for the dialog's and the list's headings (see sideLabel). */
export interface SideLabel {
  readonly key: MessageKey;
  readonly params: Readonly<Record<string, string>>;
  /** Made on this computer. */
  readonly here: boolean;
}

/**
 * One side of a conflict named by where and by whom it was edited ("Edited on laptop-b by
 * alice"), the same on every computer of the library: "yours" and "theirs" are true only on the
 * computer that found the conflict, and its copy is listed on all of them. When the device is
 * not known, what the version is (the conflict copy, the server's version).
 */
export function sideLabel(side: { readonly device: string | null; readonly user: string | null }, which: 'local' | 'remote', thisDevice: string | null): SideLabel {
  const here = side.device !== null && side.device === thisDevice;
  if (side.device !== null && side.user !== null) return { key: 'conflict.side.editedOnBy', params: { device: side.device, user: side.user }, here };
  if (side.device !== null) return { key: 'conflict.side.editedOn', params: { device: side.device }, here };
  return { key: which === 'local' ? 'conflict.side.copy' : 'conflict.side.server', params: {}, here: false };
}

/**
 * The ways out named for this computer: on the computer that found the conflict (or when it is
 * not known who did) "mine" and "theirs" are true; on any other, each version is named by the
 * computer it came from, as neither is "mine" there.
 */
export function keepWording(
  local: { readonly device: string | null },
  remote: { readonly device: string | null },
  thisDevice: string | null,
): { readonly neutral: false } | { readonly neutral: true; readonly local: string; readonly remote: string } {
  if (copyHolder(local.device, thisDevice).mine || local.device === null || remote.device === null) return { neutral: false };
  return { neutral: true, local: local.device, remote: remote.device };
}

export type KeepWording = ReturnType<typeof keepWording>;

/** A way out's name as this computer says it (see keepWording), for the options, the question and a batch's outcome. */
export function keepTitle(keep: KeepChoice, hasCopy: boolean, wording: KeepWording, t: Translator['t']): string {
  if (wording.neutral && hasCopy && keep === 'local') return t('conflict.keep.from', { device: wording.local });
  if (wording.neutral && hasCopy && keep === 'remote') return t('conflict.keep.from', { device: wording.remote });
  return t(keepTitleKey(keep, hasCopy));
}

/** The heading over one side of an overlap: "Yours" / "Theirs", or the computer it came from. */
export function mergeSideTitle(side: 'mine' | 'theirs', wording: KeepWording, t: Translator['t']): string {
  if (wording.neutral) return t('conflict.merge.from', { device: side === 'mine' ? wording.local : wording.remote });
  return t(side === 'mine' ? 'merge.yours' : 'merge.theirs');
}

/** A merge choice's name: "Theirs, then yours", or by the computers the versions came from. */
export function mergeChoiceText(choice: ConflictChoice, wording: KeepWording, t: Translator['t']): string {
  if (!wording.neutral) return t(MERGE_CHOICE_KEYS.find((entry) => entry.choice === choice)?.key ?? 'merge.choice.base');
  switch (choice) {
    case 'mine':
      return t('conflict.merge.choice.one', { device: wording.local });
    case 'theirs':
      return t('conflict.merge.choice.one', { device: wording.remote });
    case 'mine-then-theirs':
      return t('conflict.merge.choice.then', { first: wording.local, second: wording.remote });
    case 'theirs-then-mine':
      return t('conflict.merge.choice.then', { first: wording.remote, second: wording.local });
    case 'base':
      return t('merge.choice.base');
    default:
      return choice satisfies never;
  }
}

/** Where a marked line of the merged result came from (legend and screen reader); unchanged lines say nothing. */
export function originText(origin: MergeLineOrigin, wording: KeepWording, t: Translator['t']): string | null {
  if (wording.neutral && origin === 'mine') return t('conflict.merge.origin', { device: wording.local });
  if (wording.neutral && origin === 'theirs') return t('conflict.merge.origin', { device: wording.remote });
  const key = originKey(origin);
  return key === null ? null : t(key);
}

/** A side label as text, marked when it was made on this computer. */
export function sideText(label: SideLabel, t: Translator['t']): string {
  const name = t(label.key, label.params);
  return label.here ? `${name} ${t('conflict.side.here')}` : name;
}
