// Conflicts are library state: after a completed round, this device tells the server about the
// conflicts it found (once their copies are on the server), lists the library's open conflicts
// there, takes on those other devices found (once both files are here), and closes those that
// were resolved elsewhere; resolutions made here are sent too. The server tells every client of
// the library when its conflicts change, so each one runs a round and catches up at once.
//
// A server without conflict routes answers 404: the device then keeps its conflicts to itself,
// as before, and does not ask again while it runs.

import { routes } from '../../../shared/protocol/index.js';
import type { Entry, LibraryConflict } from '../../../shared/protocol/index.js';
import type { ConflictBase, ConflictRecord, Index } from '../indexStore/index.js';
import { isRemoteError } from '../remote/remoteError.js';
import type { ServerClient } from '../remote/serverClient.js';

export interface SharedConflictsDependencies {
  readonly index: Index;
  readonly client: ServerClient;
  readonly deviceName: string;
  /** A read-only member reports and resolves nothing on the server; it still lists what is open. */
  readonly readOnly?: boolean;
  readonly now?: () => number;
  /**
   * How many of the library's conflicts the server said were open when the round began (newer
   * servers answer it with the library); undefined when it did not say.
   */
  readonly openOnServer?: number;
}

/** What one exchange did, for tests and logs. */
export interface SharedConflictsOutcome {
  readonly reported: number;
  readonly adopted: number;
  readonly closedHere: number;
  readonly closedThere: number;
  /** The server does not keep conflicts (an older server). */
  readonly unsupported: boolean;
}

/**
 * One exchange of a library's conflicts with the server. Never throws for the network or the
 * server: a failed exchange is tried again after the next round.
 */
export async function shareConflicts(deps: SharedConflictsDependencies, libraryId: string): Promise<SharedConflictsOutcome> {
  const outcome = { reported: 0, adopted: 0, closedHere: 0, closedThere: 0, unsupported: false };
  try {
    await exchange(deps, libraryId, outcome);
  } catch (error) {
    if (!isRemoteError(error)) throw error;
    // A server without the routes says "no route" as not-found (the library itself was just synced).
    if (error.code === 'not-found' && /no route/i.test(error.message)) outcome.unsupported = true;
  }
  return outcome;
}

async function exchange(
  deps: SharedConflictsDependencies,
  libraryId: string,
  outcome: { reported: number; adopted: number; closedHere: number; closedThere: number },
): Promise<void> {
  const { index, client } = deps;
  const now = deps.now ?? Date.now;
  const params = { libraryId };
  const known = index.conflicts.list(libraryId, { includeResolved: true });
  // None open on the server, and none here to report, to close there or to check against its
  // list: the exchange below would only ask for an empty list (every round would, otherwise).
  if (deps.openOnServer === 0 && known.every(settledEverywhere)) return;

  // Resolutions made here (by the user or an automatic merge) close the conflict for everyone.
  for (const conflict of deps.readOnly === true ? [] : known) {
    if (conflict.resolvedAt === null || conflict.serverId === null || conflict.serverState !== 'open') continue;
    await client.call(routes.resolveLibraryConflict, { params: { libraryId, conflictId: String(conflict.serverId) }, body: { resolution: conflict.resolution } });
    index.conflicts.setServer(conflict.conflictId, conflict.serverId, 'closed');
    outcome.closedThere += 1;
  }

  // Conflicts found here, once their copy is on the server, become the library's.
  for (const conflict of deps.readOnly === true ? [] : known) {
    if (conflict.resolvedAt !== null || conflict.serverId !== null || conflict.conflictPath === null) continue;
    if (index.remote.get(libraryId, conflict.conflictPath) === undefined) continue;
    const reported = await client.call(routes.reportConflict, {
      params,
      body: {
        path: conflict.path,
        conflictPath: conflict.conflictPath,
        remoteRev: conflict.remote.rev,
        baseRev: conflict.base?.rev ?? null,
        device: (conflict.local.device ?? deps.deviceName).slice(0, 200) || deps.deviceName,
      },
    });
    index.conflicts.setServer(conflict.conflictId, reported.id, 'open');
    outcome.reported += 1;
  }

  const { conflicts: open } = await client.call(routes.listLibraryConflicts, { params });
  const openIds = new Set(open.map((conflict) => conflict.id));
  const current = index.conflicts.list(libraryId, { includeResolved: true });

  // Resolved on another computer: closed here too (the files are what that resolution left).
  for (const conflict of current) {
    if (conflict.resolvedAt !== null || conflict.serverId === null || openIds.has(conflict.serverId)) continue;
    index.transaction(() => {
      index.conflicts.resolve(conflict.conflictId, now(), null);
      index.conflicts.setServer(conflict.conflictId, conflict.serverId, 'closed');
    });
    outcome.closedHere += 1;
  }

  // Found on another computer: listed here once both versions are here too.
  const byServerId = new Map(current.filter((conflict) => conflict.serverId !== null).map((conflict) => [conflict.serverId!, conflict]));
  for (const shared of open) {
    if (byServerId.has(shared.id)) continue;
    const same = current.find((conflict) => conflict.path === shared.path && conflict.conflictPath === shared.conflictPath);
    if (same !== undefined) {
      index.conflicts.setServer(same.conflictId, shared.id, same.resolvedAt === null ? 'open' : same.serverState);
      continue;
    }
    if (await adopt(deps, libraryId, shared)) outcome.adopted += 1;
  }
}

/**
 * A conflict no exchange acts on while the server has none open: resolved here, and either
 * never reported or already closed there (an open one is reported, or checked against the list;
 * a resolution the server has not heard of is sent).
 */
function settledEverywhere(conflict: ConflictRecord): boolean {
  return conflict.resolvedAt !== null && (conflict.serverId === null || conflict.serverState !== 'open');
}

/** Lists a conflict another device found, when both of its files are synced here. */
async function adopt(deps: SharedConflictsDependencies, libraryId: string, shared: LibraryConflict): Promise<boolean> {
  const { index } = deps;
  const kept = index.synced.get(libraryId, shared.path);
  const copy = index.synced.get(libraryId, shared.conflictPath);
  if (kept === undefined || copy === undefined) return false;
  // One read of the path's history gives the merge base and who made the version at the name.
  const { versions } = await deps.client.call(routes.history, { params: { libraryId }, query: { path: shared.path } });
  const base = shared.baseRev === null ? null : baseOf(versions, shared.baseRev);
  const keptVersion = versions.find((entry) => entry.rev === kept.rev);
  const added: ConflictRecord = index.conflicts.add({
    libraryId,
    path: shared.path,
    conflictPath: shared.conflictPath,
    // The copy is the version of the device that found the conflict; the name keeps the server's.
    local: { node: copy.node, rev: copy.rev, mtimeMs: copy.mtimeMs, device: shared.device, user: shared.userName },
    remote: { node: kept.node, rev: kept.rev, mtimeMs: kept.mtimeMs, device: keptVersion?.device ?? null, user: keptVersion?.userName ?? null },
    base,
    createdAt: shared.createdAt,
  });
  index.conflicts.setServer(added.conflictId, shared.id, 'open');
  return true;
}

/** The merge base's node from the path's history on the server, or null when it is not there. */
function baseOf(versions: readonly Entry[], rev: number): ConflictBase | null {
  const version = versions.find((entry) => entry.rev === rev && !entry.deleted);
  if (version === undefined) return null;
  const node =
    version.kind === 'dir'
      ? ({ kind: 'dir' } as const)
      : ({ kind: 'file', contentHash: version.contentHash, size: version.size, executable: version.executable } as const);
  return { rev, node };
}
