// What follows a completed round for its conflicts: the remote side's author of each new
// conflict is looked up in the server's history, and, where the library allows it, conflicts
// whose three-way merge is clean are resolved by that merge and synced at once.
//
// An automatic merge runs only after a round that completed, so the conflict copy and the
// server's version are both committed (resolveOnDisk checks it again per file): the versions
// before the merge stay in the server's history, the copy's under its conflict name.

import type { LibraryPath } from '../../../shared/paths.js';
import type { ServerClient } from '../remote/serverClient.js';
import type { RoundSummary } from '../sync/roundSummary.js';
import { syncLibrary } from '../sync/syncLibrary.js';
import type { SyncDependencies } from '../sync/syncLibrary.js';
import type { ChunkFileFunction } from './conflictVersions.js';
import { autoMergeConflicts, recordRemoteAuthors } from './resolveConflict.js';

export interface AfterRoundOptions {
  readonly chunkFile: ChunkFileFunction;
  /** False while a resolution runs its own rounds: it decides about conflicts itself. */
  readonly autoMerge: boolean;
  /** Conflicts an automatic merge declined, with the versions it saw (see autoMergeConflicts). */
  readonly declined: Map<number, string>;
}

export async function afterRound(deps: SyncDependencies, libraryId: string, summary: RoundSummary, options: AfterRoundOptions): Promise<RoundSummary> {
  if (summary.outcome !== 'synced') return summary;
  const reader = { index: deps.index, server: (): ServerClient => deps.client, chunkFile: options.chunkFile };
  if (summary.conflicts.length > 0) {
    const found = new Set<LibraryPath>(summary.conflicts);
    await recordRemoteAuthors(
      reader,
      deps.index.conflicts.list(libraryId).filter((conflict) => found.has(conflict.path)),
    );
  }
  const library = deps.index.libraries.get(libraryId);
  if (!options.autoMerge || library === undefined || !library.autoMerge) return summary;
  const merged = await autoMergeConflicts(reader, library, options.declined);
  if (merged.length === 0) return summary;
  // Upload the merged files and the removal of their copies now, not at the next change.
  const next = await syncLibrary(deps, libraryId);
  const combined = combineSummaries(summary, next);
  combined.autoMerged.push(...merged.map((conflict) => ({ path: conflict.path, conflictPath: conflict.conflictPath })));
  return combined;
}

/**
 * One summary for two rounds run back to back: counts add up, lists join (an item both report,
 * such as a problem still there, once), the last says how it ended.
 */
function combineSummaries(first: RoundSummary, second: RoundSummary): RoundSummary {
  const combined: Record<string, unknown> = { ...second };
  for (const [key, value] of Object.entries(first)) {
    const later: unknown = (second as unknown as Record<string, unknown>)[key];
    if (typeof value === 'number' && typeof later === 'number') combined[key] = value + later;
    else if (Array.isArray(value) && Array.isArray(later)) {
      const seen = new Set((value as unknown[]).map((item) => JSON.stringify(item)));
      combined[key] = [...(value as unknown[]), ...(later as unknown[]).filter((item) => !seen.has(JSON.stringify(item)))];
    }
  }
  return combined as unknown as RoundSummary;
}
