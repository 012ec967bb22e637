// What the conflict dialog may offer for one conflict and what it sends: which ways out are
// open (and why one is not), the request for the chosen one with the preview's version tokens,
// and which other open conflicts are "similar" enough to take the same choice in one go.

import type { ConflictDetails, ConflictView, KeepChoice, ResolveConflictRequest } from '../../shared/api/index.js';
import { MAX_BATCH_CONFLICTS } from '../../shared/api/index.js';
import type { MergeResult } from '../../shared/merge/index.js';
import type { MergeChoices } from './mergeChoices.js';
import { completeChoices } from './mergeChoices.js';

/** Why a way out is closed for this conflict. */
export type UnavailableReason =
  /** The conflict copy is gone or not a file: there is no "mine" to keep or drop. */
  | 'copy-missing'
  /** The name holds a folder (or nothing that can be replaced by a file). */
  | 'name-not-file'
  /** Not text: only text merges. */
  | 'not-text'
  /** Both sides created the file: no common version to merge from. */
  | 'base-unknown'
  /** The common version is no longer in the history, or could not be read as text. */
  | 'base-unavailable';

export interface ResolutionOption {
  readonly keep: KeepChoice;
  /** Null when it can be chosen. */
  readonly unavailable: UnavailableReason | null;
}

/** The merge of a text preview, when there is one. */
export function mergeOf(details: ConflictDetails): MergeResult | null {
  return details.preview.kind === 'text' ? details.preview.merge : null;
}

/** Whether this conflict has a conflict copy at all (an edit beating a deletion has none). */
export function hasCopy(details: ConflictDetails): boolean {
  return details.conflict.conflictPath !== null;
}

/**
 * The ways out of one conflict, in the order shown. Without a conflict copy there is nothing
 * to choose between on disk: the one way out is to accept what is there ('both' changes no
 * file then). Merge is listed for text only, open when the base could be read.
 */
export function resolutionOptions(details: ConflictDetails): ResolutionOption[] {
  if (!hasCopy(details)) return [{ keep: 'both', unavailable: null }];
  const copyIsFile = details.local.kind === 'file';
  const options: ResolutionOption[] = [
    { keep: 'local', unavailable: !copyIsFile ? 'copy-missing' : details.remote.kind === 'dir' ? 'name-not-file' : null },
    { keep: 'remote', unavailable: copyIsFile ? null : 'copy-missing' },
    { keep: 'both', unavailable: null },
  ];
  if (details.preview.kind === 'text') options.push({ keep: 'merged', unavailable: mergeUnavailable(details) });
  return options;
}

function mergeUnavailable(details: ConflictDetails): UnavailableReason | null {
  if (details.preview.kind !== 'text') return 'not-text';
  if (details.baseStatus === 'unknown' || !details.conflict.baseKnown) return 'base-unknown';
  if (details.preview.merge === null || details.baseStatus === 'unavailable') return 'base-unavailable';
  if (details.local.versionToken === null || details.remote.versionToken === null) return 'copy-missing';
  return null;
}

/** Whether `keep` is one of the ways out and can be chosen. */
export function isOpen(options: readonly ResolutionOption[], keep: KeepChoice): boolean {
  return options.some((option) => option.keep === keep && option.unavailable === null);
}

/**
 * The request for a choice on this preview, or null while it cannot be sent (a merge with a
 * region still unchosen, or a way out that is closed). The preview's version tokens always go
 * along, so the service refuses if either file changed since it was shown.
 */
export function resolveRequest(details: ConflictDetails, keep: KeepChoice, choices: MergeChoices): ResolveConflictRequest | null {
  if (!isOpen(resolutionOptions(details), keep)) return null;
  const conflictId = details.conflict.conflictId;
  const local = details.local.versionToken;
  const remote = details.remote.versionToken;
  const versions = local === null || remote === null ? null : { local, remote };
  if (keep === 'merged') {
    const merge = mergeOf(details);
    const complete = completeChoices(choices);
    if (merge === null || versions === null || complete === null || complete.length !== merge.counts.conflict) return null;
    return { conflictId, keep, versions, choices: complete };
  }
  return versions === null ? { conflictId, keep } : { conflictId, keep, versions };
}

/**
 * Whether "apply this choice to all similar conflicts" is offered: for keep mine, theirs or
 * both always, for a merge only when it is clean, because a batch cannot carry choices and
 * merges only what needs none.
 */
export function canApplyToSimilar(details: ConflictDetails, keep: KeepChoice): boolean {
  if (keep !== 'merged') return true;
  return mergeOf(details)?.clean === true;
}

/**
 * The other open conflicts like `target`, for a batch: the same library, the same kind of
 * content, the same kind of conflict (what each side holds: file, folder or deletion), and a
 * conflict copy like the target's. A merge batch takes only text conflicts with a known base;
 * the service still merges only those that turn out clean and reports the others.
 */
export function similarConflicts(target: ConflictView, all: readonly ConflictView[], keep: KeepChoice): ConflictView[] {
  return all.filter(
    (candidate) =>
      candidate.conflictId !== target.conflictId &&
      candidate.libraryId === target.libraryId &&
      candidate.contentKind === target.contentKind &&
      candidate.local.kind === target.local.kind &&
      candidate.remote.kind === target.remote.kind &&
      (candidate.conflictPath === null) === (target.conflictPath === null) &&
      (keep !== 'merged' || (candidate.contentKind === 'text' && candidate.baseKnown)),
  );
}

/** Batch requests for these conflicts, each within the service's limit. */
export function batchRequests(conflictIds: readonly number[], keep: KeepChoice): { conflictIds: number[]; keep: KeepChoice }[] {
  const requests: { conflictIds: number[]; keep: KeepChoice }[] = [];
  for (let start = 0; start < conflictIds.length; start += MAX_BATCH_CONFLICTS) {
    requests.push({ conflictIds: conflictIds.slice(start, start + MAX_BATCH_CONFLICTS), keep });
  }
  return requests;
}
