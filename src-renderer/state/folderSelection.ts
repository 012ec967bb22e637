// Selective sync as the folder tree shows it. A selection is the list of library paths that
// sync (everything below each of them too), or null for the whole library; a path not below any
// selected one stays on the server only. These functions are pure: the tree keeps the listings
// it has loaded (one per expanded folder) and asks here what each checkbox shows and what a
// click makes of the selection.

import type { FolderPath, RemoteFolderListing } from '../../shared/api/index.js';
import type { LibraryPath } from '../../shared/paths.js';
import { ancestorPaths, isSameOrBelow, parentPath } from '../../shared/paths.js';

export type CheckState = 'checked' | 'mixed' | 'unchecked';

/** The listings loaded so far, by folder ('' is the library's top folder). */
export type ListingsByFolder = ReadonlyMap<FolderPath, RemoteFolderListing>;

/** Sorted, without duplicates, and without paths already covered by a selected ancestor. */
export function normalizeSelection(paths: readonly LibraryPath[]): LibraryPath[] {
  const sorted = [...new Set(paths)].sort(comparePaths);
  const result: LibraryPath[] = [];
  for (const path of sorted) {
    if (!result.some((kept) => isSameOrBelow(path, kept))) result.push(path);
  }
  return result;
}

/** Whole-folder order: a folder sorts right before everything inside it. */
function comparePaths(a: string, b: string): number {
  const left = a.split('/');
  const right = b.split('/');
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const x = left[i]!;
    const y = right[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return left.length - right.length;
}

/** What the checkbox of `path` shows: synced, partly synced (something below it is), or not. */
export function checkStateOf(path: LibraryPath, selection: readonly LibraryPath[]): CheckState {
  if (selection.some((selected) => isSameOrBelow(path, selected))) return 'checked';
  if (selection.some((selected) => isSameOrBelow(selected, path))) return 'mixed';
  return 'unchecked';
}

/**
 * The selection after the user clicks the checkbox of `path`. Checking adds the folder (and
 * drops what it now covers). Unchecking a mixed folder clears everything below it. Unchecking a
 * folder covered by a checked ancestor replaces that ancestor with its subfolders, level by level
 * down to the folder, all but the one leading to it: that needs the listings of those folders,
 * which the tree has, since the folder is visible only once they are expanded.
 */
export function toggleFolder(path: LibraryPath, selection: readonly LibraryPath[], listings: ListingsByFolder): LibraryPath[] {
  const state = checkStateOf(path, selection);
  if (state !== 'checked') {
    // From unchecked or mixed, a click checks the whole folder, like a checkbox group's parent.
    return normalizeSelection([...selection.filter((selected) => !isSameOrBelow(selected, path)), path]);
  }
  if (selection.includes(path)) return normalizeSelection(selection.filter((selected) => selected !== path));

  const ancestor = selection.find((selected) => isSameOrBelow(path, selected));
  if (ancestor === undefined) return normalizeSelection(selection);
  const replacement: LibraryPath[] = [];
  // Walk from the checked ancestor down to the folder's parent, keeping every sibling on the way.
  const chain = [...ancestorPaths(path).filter((folder) => isSameOrBelow(folder, ancestor)), path];
  for (let level = 0; level < chain.length - 1; level++) {
    const folder = chain[level]!;
    const next = chain[level + 1]!;
    const listing = listings.get(folder);
    if (listing === undefined) throw new Error(`the listing of ${folder} is needed to uncheck ${path}`);
    for (const subfolder of listing.folders) if (subfolder.path !== next) replacement.push(subfolder.path);
  }
  return normalizeSelection([...selection.filter((selected) => selected !== ancestor), ...replacement]);
}

/** Folders to expand when a tree opens, so every selected path is visible: their ancestors. */
export function foldersToExpand(selection: readonly LibraryPath[] | null): FolderPath[] {
  if (selection === null) return [];
  const folders = new Set<FolderPath>();
  for (const path of selection) for (const ancestor of ancestorPaths(path)) folders.add(ancestor);
  return [...folders].sort(comparePaths);
}

/**
 * Files that stay on the server only because they lie directly in a folder that is only partly
 * selected (the top folder included): a selection names folders, so loose files next to a
 * selected subfolder are not synced. The tree says so rather than leaving it to surprise.
 */
export interface UnsyncedLooseFiles {
  readonly folder: FolderPath;
  readonly fileCount: number;
  readonly totalBytes: number;
}

export function unsyncedLooseFiles(selection: readonly LibraryPath[] | null, listings: ListingsByFolder): UnsyncedLooseFiles[] {
  if (selection === null) return [];
  const result: UnsyncedLooseFiles[] = [];
  for (const [folder, listing] of listings) {
    if (listing.fileCount === 0) continue;
    const state = folder === '' ? 'mixed' : checkStateOf(folder, selection);
    // An unchecked folder's files are plainly not synced; a checked one's are.
    if (state !== 'mixed') continue;
    result.push({ folder, fileCount: listing.fileCount, totalBytes: listing.totalBytes });
  }
  return result.sort((a, b) => comparePaths(a.folder, b.folder));
}

export interface SelectionTotals {
  readonly fileCount: number;
  readonly totalBytes: number;
  /** False when some selected path's size is not known from the listings loaded. */
  readonly complete: boolean;
}

/** How much the selection syncs, from the folder sizes the server reported. */
export function selectionTotals(selection: readonly LibraryPath[] | null, listings: ListingsByFolder): SelectionTotals | null {
  const top = listings.get('');
  if (top === undefined) return null;
  if (selection === null) {
    const fileCount = top.fileCount + top.folders.reduce((sum, folder) => sum + folder.fileCount, 0);
    const totalBytes = top.totalBytes + top.folders.reduce((sum, folder) => sum + folder.totalBytes, 0);
    return { fileCount, totalBytes, complete: true };
  }
  let fileCount = 0;
  let totalBytes = 0;
  let complete = true;
  for (const path of selection) {
    const view = listings.get(parentPath(path))?.folders.find((folder) => folder.path === path);
    if (view === undefined) {
      complete = false;
      continue;
    }
    fileCount += view.fileCount;
    totalBytes += view.totalBytes;
  }
  return { fileCount, totalBytes, complete };
}
