// Resolving one conflict on disk: keep the local version, the remote one, both, or their
// three-way merge. The engine syncs before (so the files are current and both versions are on
// the server) and after (so the resolution reaches the server and the other devices).
//
// Nothing here may lose a version. Every change re-checks the file it replaces or removes
// against what was just read (size, mtime, inode), so a file saved meanwhile is left alone; a
// version is removed from disk only once the server holds it (its synced entry has the same
// content), so the server's history keeps every version a resolution replaces; and a resolution
// decided on a preview (version tokens) is refused when either file changed since.

import type { VersionTokens } from '../../../shared/api/index.js';
import type { ConflictChoice } from '../../../shared/merge/index.js';
import { MAX_TEXT_BYTES, UnresolvedConflictError, encodeText, mergeBytes, renderMerge } from '../../../shared/merge/index.js';
import type { LibraryPath } from '../../../shared/paths.js';
import type { ConflictRecord, ConflictResolution, LibraryRecord } from '../indexStore/index.js';
import { deleteFileIfUnchanged, moveIfUnchanged, writeFileAtomic } from '../localfs/index.js';
import { isRemoteError } from '../remote/remoteError.js';
import { UserError } from '../userError.js';
import type { ConflictReader } from './conflictDetails.js';
import { recordRemoteAuthor } from './conflictDetails.js';
import { contentKindOf } from './contentKind.js';
import { downloadContent, findBaseEntry, historyOf, readDiskVersion } from './conflictVersions.js';
import type { DiskState, DiskVersion } from './conflictVersions.js';

export type ResolveRequest =
  | { readonly keep: 'local' | 'remote' | 'both'; readonly versions?: VersionTokens }
  /**
   * choices: one per conflicting region, in order; 'clean-only' refuses any merge that has
   * conflicting regions. versions: required of a user's merge decided on a preview.
   */
  | { readonly keep: 'merged'; readonly versions?: VersionTokens; readonly choices: readonly ConflictChoice[] | 'clean-only' };

/**
 * Resolves `conflict` on disk and records it resolved. Throws a UserError when it cannot
 * ('conflict': a file changed or is not on the server yet; 'invalid': the request does not fit
 * the conflict), having changed nothing on disk.
 */
export async function resolveOnDisk(
  reader: ConflictReader,
  conflict: ConflictRecord,
  library: LibraryRecord,
  request: ResolveRequest,
  resolution: ConflictResolution = request.keep,
): Promise<void> {
  const copyPath = conflict.conflictPath;
  const read = (path: LibraryPath, bytesUpTo?: number): Promise<DiskState> =>
    readDiskVersion(library.localRoot, path, {
      chunking: library.chunking,
      chunkFile: reader.chunkFile,
      scanned: reader.index.local.get(library.libraryId, path),
      ...(bytesUpTo === undefined ? {} : { bytesUpTo }),
    });
  const bytesUpTo = request.keep === 'merged' ? MAX_TEXT_BYTES : undefined;
  const copy: DiskState = copyPath === null ? { kind: 'absent', path: conflict.path } : await read(copyPath, bytesUpTo);
  const named = await read(conflict.path, bytesUpTo);
  if (request.versions !== undefined) checkTokens(conflict, copy, named, request.versions);
  // Without a copy there is nothing on disk to choose between.
  if (copyPath !== null || request.keep === 'merged') {
    switch (request.keep) {
      case 'both':
        break;
      case 'remote': {
        const kept = requireFile(copy, `the conflict copy ${copyPath} is gone or not a file; nothing to resolve`);
        requireOnServer(reader, library, kept);
        await removeIfUnchanged(library, kept, `${kept.path} changed meanwhile; it was kept`);
        break;
      }
      case 'local': {
        const kept = requireFile(copy, `the conflict copy ${copyPath} is gone or not a file; nothing to resolve`);
        if (named.kind === 'dir' || named.kind === 'other') throw new UserError(`${conflict.path} is not a file any more; nothing was replaced`, 'conflict');
        if (named.kind === 'file') {
          requireOnServer(reader, library, named);
          await removeIfUnchanged(library, named, `${conflict.path} changed meanwhile; nothing was replaced`);
        }
        const moved = await moveIfUnchanged(library.localRoot, kept.path, conflict.path, expectationOf(kept));
        if (moved.status !== 'moved') throw new UserError(`could not move ${kept.path} back to ${conflict.path} (${moved.status})`, 'conflict');
        break;
      }
      case 'merged':
        await writeMerge(reader, conflict, library, copy, named, request.choices);
        break;
      default:
        request satisfies never;
    }
  }
  reader.index.conflicts.resolve(conflict.conflictId, Date.now(), resolution);
}

/**
 * Resolves the library's open conflicts whose three-way merge is clean, as 'auto-merged'.
 * A conflict that cannot be merged this way (binary, overlapping edits, no base) is remembered
 * in `declined` with the versions it was tried on, and tried again only once either changes.
 * Returns the conflicts resolved.
 */
export async function autoMergeConflicts(reader: ConflictReader, library: LibraryRecord, declined: Map<number, string>): Promise<ConflictRecord[]> {
  const merged: ConflictRecord[] = [];
  for (const listed of reader.index.conflicts.list(library.libraryId)) {
    const { base, conflictPath, local, remote } = listed;
    if (base === null || base.node.kind !== 'file' || conflictPath === null || local.node?.kind !== 'file' || remote.node?.kind !== 'file') continue;
    const kind = contentKindOf(listed.path, [local.node.size, remote.node.size]);
    if (kind === 'image' || kind === 'binary') continue;
    const scanned = (path: LibraryPath) => reader.index.local.get(library.libraryId, path);
    const options = { chunking: library.chunking, chunkFile: reader.chunkFile };
    const copy = await readDiskVersion(library.localRoot, conflictPath, { ...options, scanned: scanned(conflictPath) });
    const named = await readDiskVersion(library.localRoot, listed.path, { ...options, scanned: scanned(listed.path) });
    if (copy.kind !== 'file' || named.kind !== 'file') continue;
    const tried = `${copy.token}|${named.token}`;
    if (declined.get(listed.conflictId) === tried) continue;
    try {
      await resolveOnDisk(reader, listed, library, { keep: 'merged', versions: { local: copy.token, remote: named.token }, choices: 'clean-only' }, 'auto-merged');
      declined.delete(listed.conflictId);
      merged.push(listed);
    } catch (error) {
      // 'invalid' is a property of these versions; anything else (a file changing, a version
      // not uploaded yet, the server away) may pass, so the next round tries again.
      if (error instanceof UserError && error.reason === 'invalid') declined.set(listed.conflictId, tried);
      else if (!(error instanceof UserError) && !isRemoteError(error)) throw error;
    }
  }
  return merged;
}

/**
 * Fills in who committed the remote side of conflicts whose rounds did not know it, from the
 * history of their paths. Best effort: the server being away leaves them for later.
 */
export async function recordRemoteAuthors(reader: ConflictReader, conflicts: readonly ConflictRecord[]): Promise<void> {
  for (const conflict of conflicts) {
    if (conflict.remote.device !== null || conflict.remote.rev === null) continue;
    try {
      recordRemoteAuthor(reader.index, conflict, await historyOf(reader.server(), conflict.libraryId, conflict.path));
    } catch (error) {
      if (!isRemoteError(error)) throw error;
      return;
    }
  }
}

function checkTokens(conflict: ConflictRecord, copy: DiskState, named: DiskState, versions: VersionTokens): void {
  const tokenOf = (state: DiskState): string | null => (state.kind === 'file' ? state.token : null);
  if (tokenOf(copy) !== versions.local) throw new UserError(`${conflict.conflictPath ?? conflict.path} changed since it was shown; look at the conflict again`, 'conflict');
  if (tokenOf(named) !== versions.remote) throw new UserError(`${conflict.path} changed since it was shown; look at the conflict again`, 'conflict');
}

function requireFile(state: DiskState, message: string): DiskVersion {
  if (state.kind !== 'file') throw new UserError(message, 'conflict');
  return state;
}

/** A version is removed or replaced only once the server holds it, so its history keeps it. */
function requireOnServer(reader: ConflictReader, library: LibraryRecord, version: DiskVersion): void {
  const synced = reader.index.synced.get(library.libraryId, version.path);
  if (synced?.node.kind !== 'file' || synced.node.contentHash !== version.contentHash) {
    throw new UserError(`${version.path} is not on the server yet; try again once it has synced (nothing was changed)`, 'conflict');
  }
}

function expectationOf(version: DiskVersion) {
  return { kind: 'file', size: version.size, mtimeMs: version.mtimeMs, inode: version.inode } as const;
}

async function removeIfUnchanged(library: LibraryRecord, version: DiskVersion, changedMessage: string): Promise<void> {
  const removed = await deleteFileIfUnchanged(library.localRoot, version.path, expectationOf(version));
  if (removed.status !== 'deleted' && removed.status !== 'absent') throw new UserError(changedMessage, 'conflict');
}

/**
 * Merges the conflict copy (mine) and the file under the name (theirs) against the base from
 * the server's history, writes the result under the name and removes the copy.
 */
async function writeMerge(
  reader: ConflictReader,
  conflict: ConflictRecord,
  library: LibraryRecord,
  copy: DiskState,
  named: DiskState,
  choices: readonly ConflictChoice[] | 'clean-only',
): Promise<void> {
  if (conflict.base === null || conflict.base.node.kind !== 'file') {
    throw new UserError(`${conflict.path} has no known common version to merge from (both sides created it); keep local, remote or both`, 'invalid');
  }
  const mine = requireFile(copy, `the conflict copy of ${conflict.path} is gone or not a file; nothing to merge`);
  const theirs = requireFile(named, `${conflict.path} is gone or not a file; nothing to merge`);
  if (mine.bytes === null || theirs.bytes === null) throw new UserError(`${conflict.path} is too large to merge (more than ${MAX_TEXT_BYTES} bytes)`, 'invalid');
  requireOnServer(reader, library, mine);
  requireOnServer(reader, library, theirs);
  const history = await historyOf(reader.server(), library.libraryId, conflict.path);
  const baseEntry = findBaseEntry(history, conflict.base);
  if (baseEntry === undefined) throw new UserError(`the common version of ${conflict.path} is no longer in the server's history; keep local, remote or both`, 'invalid');
  if (baseEntry.size > MAX_TEXT_BYTES) throw new UserError(`the common version of ${conflict.path} is too large to merge`, 'invalid');
  const base = await downloadContent(reader.server(), library.libraryId, baseEntry.chunks, baseEntry.contentHash, baseEntry.size);
  const merge = mergeBytes(base, mine.bytes, theirs.bytes);
  if (merge.kind === 'binary') throw new UserError(`${conflict.path} is not text (the ${merge.side} version: ${merge.reason}); keep local, remote or both`, 'invalid');
  let merged: Uint8Array;
  if (choices === 'clean-only') {
    if (merge.bytes === null) throw new UserError(`${conflict.path} has ${merge.result.counts.conflict} overlapping change(s); choose for each`, 'invalid');
    merged = merge.bytes;
  } else {
    if (choices.length !== merge.result.counts.conflict) {
      throw new UserError(`the merge of ${conflict.path} has ${merge.result.counts.conflict} overlapping change(s), but ${choices.length} choice(s) were given`, 'invalid');
    }
    try {
      merged = encodeText(renderMerge(merge.result, choices));
    } catch (error) {
      if (error instanceof UnresolvedConflictError || error instanceof RangeError) throw new UserError(`the choices do not fit the merge of ${conflict.path}: ${error.message}`, 'invalid');
      throw error;
    }
  }
  async function* content(): AsyncGenerator<Uint8Array> {
    yield merged;
  }
  const written = await writeFileAtomic(library.localRoot, conflict.path, content(), {
    mtimeMs: Date.now(),
    executable: theirs.executable,
    expect: expectationOf(theirs),
  });
  if (written.status === 'changed') throw new UserError(`${conflict.path} changed meanwhile; nothing was merged`, 'conflict');
  if (written.status === 'unsafe') throw new UserError(`${conflict.path} cannot be written: ${written.message}`, 'conflict');
  // The merged file is in place. A copy saved again meanwhile stays as a file of its own: it
  // holds work the merge did not see.
  await deleteFileIfUnchanged(library.localRoot, mine.path, expectationOf(mine));
}
