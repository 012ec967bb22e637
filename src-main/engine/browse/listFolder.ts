// One folder of a synced library as the file browser shows it: the union of the names the
// index knows (remote, local and synced states) and the names in the folder on disk, each with
// its size, time and state on this computer. Nothing is rescanned or hashed: the index says
// what the last scan and the change feed saw, and one lstat per row of the page asked for says
// whether a file changed on disk since (then it waits to go up).
//
// Rows are ordered folders first, then files, each by name in code-point order; a page starts
// after the cursor (the kind and name of the last row of the previous page), so a folder that
// changes between two pages neither repeats nor skips the rows that stayed.

import type { Dirent, Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { FileListing, FileRow, FileState } from '../../../shared/api/files.js';
import { FILE_PAGE_SIZE } from '../../../shared/api/files.js';
import type { LibraryPath } from '../../../shared/paths.js';
import { canonicalizeLocalPath, isSameOrBelow } from '../../../shared/paths.js';
import { comparePaths } from '../../../shared/pathOrder.js';
import { createIgnoreMatcher } from '../ignore/index.js';
import type { Index, LibraryRecord } from '../indexStore/index.js';
import { fsErrorCode, isPartialFileName, isTempFileName, resolveInRoot } from '../localfs/index.js';
import { isInSelection } from '../sync/syncLibrary.js';
import { sameContent } from '../syncModel.js';
import type { LocalEntry, RemoteEntry, SyncedEntry } from '../syncModel.js';
import { UserError } from '../userError.js';

export interface ListFolderInput {
  readonly index: Index;
  readonly library: LibraryRecord;
  /** The text of the library's `.cairnignore` (undefined when it has none). */
  readonly ignoreText: string | undefined;
  readonly folder: LibraryPath | '';
  readonly cursor?: string;
  readonly pageSize?: number;
}

/** What is known of one name in the folder before its row is made. */
interface Candidate {
  readonly name: string;
  readonly path: LibraryPath;
  readonly kind: 'file' | 'dir';
  remote?: RemoteEntry;
  local?: LocalEntry;
  synced?: SyncedEntry;
  /** The entry in the folder on disk, under its name as the disk spells it. */
  disk?: Dirent;
}

const KIND_RANK = { dir: 0, file: 1 } as const;

function compareCandidates(a: { kind: 'file' | 'dir'; name: string }, b: { kind: 'file' | 'dir'; name: string }): number {
  return KIND_RANK[a.kind] - KIND_RANK[b.kind] || comparePaths(a.name, b.name);
}

/** A cursor names the last row of a page: 'd/' or 'f/' and its name. */
function cursorOf(candidate: Candidate): string {
  return `${candidate.kind === 'dir' ? 'd' : 'f'}/${candidate.name}`;
}

function parseCursor(cursor: string): { kind: 'file' | 'dir'; name: string } {
  const kind = cursor.startsWith('d/') ? 'dir' : cursor.startsWith('f/') ? 'file' : null;
  if (kind === null || cursor.length < 3) throw new UserError(`"${cursor}" is not a cursor of this listing`, 'invalid');
  return { kind, name: cursor.slice(2) };
}

export async function listFolder(input: ListFolderInput): Promise<FileListing> {
  const { index, library, folder } = input;
  const libraryId = library.libraryId;
  const candidates = new Map<string, Candidate>();
  const touch = (entryPath: LibraryPath, kind: 'file' | 'dir'): Candidate => {
    const name = folder === '' ? entryPath : entryPath.slice(folder.length + 1);
    let candidate = candidates.get(name);
    if (candidate === undefined) {
      candidate = { name, path: entryPath, kind };
      candidates.set(name, candidate);
    }
    return candidate;
  };
  // The disk's own kind wins (what is here now), then what the index saw last.
  const folderOnDisk = folder === '' ? library.localRoot : await resolveInRoot(library.localRoot, folder);
  const dirents = await readdir(folderOnDisk, { withFileTypes: true }).catch((error: unknown) => {
    const code = fsErrorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return [] as Dirent[];
    throw error;
  });
  for (const dirent of dirents) {
    if (isTempFileName(dirent.name) || isPartialFileName(dirent.name)) continue;
    const check = canonicalizeLocalPath(folder === '' ? dirent.name : `${folder}/${dirent.name}`, '/');
    // A name the library cannot hold is a problem of the scan, listed on the Problems screen.
    if (!check.ok) continue;
    touch(check.path, dirent.isDirectory() ? 'dir' : 'file').disk = dirent;
  }
  // Names and kinds only: the entries are read for the rows of the page alone.
  for (const child of index.local.children(libraryId, folder)) touch(child.path, child.kind);
  for (const child of index.remote.children(libraryId, folder)) touch(child.path, child.kind);
  for (const child of index.synced.children(libraryId, folder)) touch(child.path, child.kind);

  if (folder !== '' && candidates.size === 0 && dirents.length === 0) {
    const known = index.local.get(libraryId, folder) ?? index.remote.get(libraryId, folder) ?? index.synced.get(libraryId, folder);
    if (known === undefined) throw new UserError(`there is no folder ${folder} in this library`, 'not-found');
  }
  const sorted = [...candidates.values()].sort(compareCandidates);
  let start = 0;
  if (input.cursor !== undefined) {
    const after = parseCursor(input.cursor);
    start = sorted.findIndex((candidate) => compareCandidates(candidate, after) > 0);
    if (start < 0) start = sorted.length;
  }
  const pageSize = input.pageSize ?? FILE_PAGE_SIZE;
  const page = sorted.slice(start, start + pageSize);
  for (const candidate of page) {
    const local = index.local.get(libraryId, candidate.path);
    const remote = index.remote.get(libraryId, candidate.path);
    const synced = index.synced.get(libraryId, candidate.path);
    if (local !== undefined) candidate.local = local;
    if (remote !== undefined) candidate.remote = remote;
    if (synced !== undefined) candidate.synced = synced;
  }

  const matcher = createIgnoreMatcher(input.ignoreText);
  const selection = library.selection;
  const troubled = troubledPaths(index, libraryId);
  const isIgnored = (entryPath: LibraryPath, isDirectory: boolean) => matcher.isIgnored(entryPath, isDirectory);
  // The first path below a folder that waits to go up or down, among those this computer syncs.
  const waitingBelow = (folderPath: LibraryPath): 'upload' | 'download' | null => {
    for (const pending of index.pendingBelow(libraryId, folderPath)) {
      if (isIgnored(pending.path, pending.kind === 'dir')) continue;
      if (selection !== null && !isInSelection(pending.path, selection)) continue;
      return pending.side;
    }
    return null;
  };
  const rows = await Promise.all(
    page.map(async (candidate): Promise<FileRow> => {
      const stats = candidate.disk === undefined ? undefined : await lstat(path.join(folderOnDisk, candidate.disk.name)).catch(() => undefined);
      return {
        name: candidate.name,
        path: candidate.path,
        kind: candidate.kind,
        size: candidate.kind === 'dir' ? null : (stats?.size ?? sizeOf(candidate.remote ?? candidate.synced ?? candidate.local)),
        modifiedAt: stats?.mtimeMs ?? candidate.remote?.mtimeMs ?? candidate.local?.mtimeMs ?? candidate.synced?.mtimeMs ?? null,
        state: stateOf(candidate, stats, { isIgnored, selection, troubled, waitingBelow }),
        onDisk: stats !== undefined,
      };
    }),
  );
  const last = page.at(-1);
  return { path: folder, rows, total: sorted.length, nextCursor: start + page.length < sorted.length && last !== undefined ? cursorOf(last) : null };
}

function sizeOf(entry: RemoteEntry | SyncedEntry | LocalEntry | undefined): number | null {
  return entry?.node.kind === 'file' ? entry.node.size : null;
}

/** The paths a problem or an open conflict names (its path and its copy's). */
function troubledPaths(index: Index, libraryId: string): LibraryPath[] {
  const paths: LibraryPath[] = [];
  for (const problem of index.problems.list(libraryId)) if (problem.path !== '') paths.push(problem.path);
  for (const conflict of index.conflicts.list(libraryId)) {
    paths.push(conflict.path);
    if (conflict.conflictPath !== null) paths.push(conflict.conflictPath);
  }
  return paths;
}

interface StateContext {
  readonly isIgnored: (entryPath: LibraryPath, isDirectory: boolean) => boolean;
  readonly selection: readonly LibraryPath[] | null;
  /** Paths with a problem or an open conflict. */
  readonly troubled: readonly LibraryPath[];
  /** Whether something below a folder waits to go up or down (see Index.pendingBelow). */
  readonly waitingBelow: (folder: LibraryPath) => 'upload' | 'download' | null;
}

/**
 * The state of one row. A folder is 'problem' when a problem or conflict is at or below it, and
 * waits to go up or down when anything below it does (as the index knows it: a file changed on
 * disk since the last scan shows in its own folder's listing, from its lstat).
 */
function stateOf(candidate: Candidate, stats: Stats | undefined, context: StateContext): FileState {
  const isDirectory = candidate.kind === 'dir';
  if (context.troubled.some((troubled) => (isDirectory ? isSameOrBelow(troubled, candidate.path) : troubled === candidate.path))) return 'problem';
  if (context.isIgnored(candidate.path, isDirectory)) return 'ignored';
  // Anything on disk that is neither a file nor a folder (a symlink, a device) is never synced.
  if (stats !== undefined && !stats.isFile() && !stats.isDirectory()) return 'ignored';
  if (context.selection !== null && !isInSelection(candidate.path, context.selection)) return 'not-synced';
  const { local, remote, synced } = candidate;
  // On disk but not seen by a scan yet, or gone from disk since the scan: it waits to go up.
  if (stats === undefined ? local !== undefined || synced !== undefined : local === undefined) return 'upload';
  if (local !== undefined && stats !== undefined && local.node.kind === 'file' && (stats.size !== local.statSize || Math.trunc(stats.mtimeMs) !== Math.trunc(local.mtimeMs))) return 'upload';
  if (!sameContent(local?.node, synced?.node)) return 'upload';
  if (!sameContent(remote?.node, synced?.node)) return 'download';
  return isDirectory ? (context.waitingBelow(candidate.path) ?? 'synced') : 'synced';
}
