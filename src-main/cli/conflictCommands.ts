// `cairn conflicts`, `cairn resolve` and `cairn sync automerge`, on the contract's conflict
// operations.

import type { ConflictDetails, ConflictView, ResolveConflictRequest } from '../../shared/api/index.js';
import { SyncApiError } from '../../shared/api/index.js';
import type { ConflictChoice } from '../../shared/merge/index.js';
import { documentToString, renderWithMarkers } from '../../shared/merge/index.js';
import { formatTime } from './terminalOutput.js';
import { UsageError } from './usageError.js';

/** The conflict operations `cairn resolve` needs (a SyncApi has them). */
export interface ConflictOperations {
  getConflictDetails(request: { conflictId: number }): Promise<ConflictDetails>;
  resolveConflict(request: ResolveConflictRequest): Promise<ConflictView>;
}

export type Keep = 'local' | 'remote' | 'both' | 'merged';

/** Checks --keep and --take; returns them typed. */
export function parseResolveOptions(keep: string | undefined, take: string | undefined): { keep: Keep; take: 'mine' | 'theirs' | undefined } {
  if (keep !== 'local' && keep !== 'remote' && keep !== 'both' && keep !== 'merged') throw new UsageError('resolve needs --keep local|remote|both|merged');
  if (take !== undefined && take !== 'mine' && take !== 'theirs') throw new UsageError('--take is mine or theirs');
  if (take !== undefined && keep !== 'merged') throw new UsageError('--take goes with --keep merged');
  return { keep, take };
}

/** The switch of `sync automerge LIBRARY on|off`. */
export function parseOnOff(value: string): boolean {
  if (value === 'on') return true;
  if (value === 'off') return false;
  throw new UsageError(`sync automerge takes on or off, not "${value}"`);
}

export function describeAutoMerge(name: string, on: boolean): string {
  return on
    ? `"${name}": clean merges of text conflicts are applied by themselves after each round (the versions before stay in the server's history)`
    : `"${name}": conflicts wait for you (\`cairn conflicts\`, \`cairn resolve\`)`;
}

export function describeConflicts(conflicts: readonly ConflictView[]): string {
  if (conflicts.length === 0) return 'no open conflicts';
  return conflicts
    .map((conflict) => {
      const kind = conflict.contentKind ?? 'unknown type';
      const base = conflict.baseKnown ? 'base known' : 'no common base';
      return `${conflict.path}  <->  ${conflict.conflictPath ?? '(no copy)'}  (${formatTime(conflict.createdAt)}; ${kind}, ${base})`;
    })
    .join('\n');
}

export interface ResolveOutput {
  readonly json: boolean;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/**
 * Resolves one conflict. For --keep merged it first looks at the merge: a clean one is applied;
 * one with overlapping changes is refused (the merge is printed with markers) unless --take
 * says which side wins every overlapping change. The version tokens of that look go with the
 * request, so a file that changes in between is never overwritten. Returns the exit code.
 */
export async function resolveWith(
  operations: ConflictOperations,
  conflict: ConflictView,
  options: { readonly keep: Keep; readonly take: 'mine' | 'theirs' | undefined; readonly where: string },
  output: ResolveOutput,
): Promise<number> {
  const print = (human: string, data: unknown): void => output.out(output.json ? JSON.stringify(data, null, 2) : human);
  if (options.keep !== 'merged') {
    const resolved = await operations.resolveConflict({ conflictId: conflict.conflictId, keep: options.keep });
    print(`resolved ${resolved.path} (kept ${options.keep})`, { resolved, keep: options.keep });
    return 0;
  }
  const details = await operations.getConflictDetails({ conflictId: conflict.conflictId });
  const { preview } = details;
  if (preview.kind !== 'text') {
    throw new SyncApiError('invalid-argument', `${conflict.path} is not text (${preview.kind === 'none' ? preview.reason : preview.kind}): it cannot be merged; use --keep local, remote or both`);
  }
  const merge = preview.merge;
  if (merge === null) {
    const why = details.baseStatus === 'unknown' ? 'both sides created it, so there is no common version' : 'its common version cannot be read from the server';
    throw new SyncApiError('invalid-argument', `${conflict.path} cannot be merged: ${why}; use --keep local, remote or both`);
  }
  const versions = { local: details.local.versionToken, remote: details.remote.versionToken };
  if (versions.local === null || versions.remote === null) throw new SyncApiError('conflict', `${conflict.path} or its conflict copy is gone; look at \`cairn conflicts\` again`);
  const overlapping = merge.counts.conflict;
  if (overlapping > 0 && options.take === undefined) {
    const marked = documentToString(
      renderWithMarkers(merge, {
        mine: `${details.local.path} (this device)`,
        base: `common version${details.base?.rev === undefined || details.base.rev === null ? '' : ` (rev ${details.base.rev})`}`,
        theirs: `${details.remote.path} (server)`,
      }),
    );
    const advice =
      `${conflict.path}: the merge has ${overlapping} overlapping change(s), marked above between <<<<<<< and >>>>>>>; nothing was changed. ` +
      `Run \`cairn resolve ${options.where} --keep merged --take mine\` (or --take theirs) to take one side in every overlapping change, ` +
      'or keep local, remote or both.';
    if (output.json) output.out(JSON.stringify({ error: { code: 'overlapping-changes', message: advice }, overlapping, merged: marked }, null, 2));
    else output.out(marked);
    output.err(`cairn: ${advice}`);
    return 1;
  }
  const choices: ConflictChoice[] = Array.from({ length: overlapping }, () => options.take ?? 'mine');
  const resolved = await operations.resolveConflict({ conflictId: conflict.conflictId, keep: 'merged', versions: { local: versions.local, remote: versions.remote }, choices });
  const taken = overlapping === 0 ? 'a clean merge' : `${overlapping} overlapping change(s) taken from ${options.take === 'theirs' ? 'theirs (the server)' : 'mine (this device)'}`;
  print(`resolved ${resolved.path} (merged: ${taken})`, { resolved, keep: 'merged', overlapping, take: options.take ?? null });
  return 0;
}
