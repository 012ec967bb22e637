// Deleting inside a library, only what the caller saw and nothing the user added since.

import { readdir, rmdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { LibraryPath } from '../../../shared/paths.js';
import { type Expectation, type ObservedNode, matchesExpectation, observe } from './expectation.js';
import { fsErrorCode, lstatIfPresent } from './fsErrorCode.js';
import { fsyncFolder } from '../../../shared/node/fsyncFolder.js';
import { type Refusal, refuseUnsafe, resolveInRoot } from './resolveInRoot.js';
import { isTempFileName } from './tempFileName.js';

export type DeleteFileResult =
  | { readonly status: 'deleted' }
  /** Nothing was there any more: the goal is reached, nothing was done. */
  | { readonly status: 'absent' }
  /** Something other than the expected file is there; it was left alone. */
  | { readonly status: 'changed'; readonly found: ObservedNode }
  | Refusal;

/**
 * Deletes the file at `libraryPath` if it is still exactly the file the scan saw (size, mtime,
 * inode), then fsyncs its folder so that a crash cannot bring it back after the index has
 * forgotten it. A file modified since the scan is kept and reported as 'changed': edit beats
 * delete.
 */
export async function deleteFileIfUnchanged(
  root: string,
  libraryPath: LibraryPath,
  expect: Extract<Expectation, { kind: 'file' }>,
): Promise<DeleteFileResult> {
  return refuseUnsafe(async (): Promise<DeleteFileResult> => {
    const target = await resolveInRoot(root, libraryPath);
    const stats = await lstatIfPresent(target);
    if (stats === undefined) return { status: 'absent' };
    if (!matchesExpectation(expect, stats)) return { status: 'changed', found: observe(stats) };
    try {
      await unlink(target);
    } catch (error) {
      if (fsErrorCode(error) === 'ENOENT') return { status: 'absent' };
      throw error;
    }
    await fsyncFolder(path.dirname(target));
    return { status: 'deleted' };
  });
}

export type DeleteFolderResult =
  | { readonly status: 'deleted' }
  | { readonly status: 'absent' }
  /** The folder holds files Cairn may not delete (listed by name); it was left alone. */
  | { readonly status: 'not-empty'; readonly names: readonly string[] }
  /** Something other than a folder is there. */
  | { readonly status: 'changed'; readonly found: ObservedNode }
  | Refusal;

/**
 * Names a folder may still hold when Cairn deletes it: folder metadata that the OS recreates on
 * its own, and Cairn's temp files left by a crash. Everything else, including files the user
 * ignored on purpose (build output, an editor's swap file with unsaved work), keeps the folder:
 * deleting them would destroy data that exists nowhere else, since ignored files never reach
 * the server.
 */
const DISPOSABLE_NAMES = new Set(['.ds_store', 'thumbs.db', 'desktop.ini']);

export function isDisposableName(name: string): boolean {
  return DISPOSABLE_NAMES.has(name.toLowerCase()) || isTempFileName(name);
}

/**
 * Deletes the folder at `libraryPath` if it is empty but for disposable names (see
 * isDisposableName), which are removed with it. Anything else in it, even an ignored file,
 * leaves the folder in place and is reported as 'not-empty'. A file created in the folder after
 * the listing makes rmdir fail, which is reported the same way: no instant exists at which a
 * user's file is deleted.
 */
export async function deleteFolderIfEmpty(
  root: string,
  libraryPath: LibraryPath,
  expect: Extract<Expectation, { kind: 'dir' }> = { kind: 'dir' },
): Promise<DeleteFolderResult> {
  return refuseUnsafe(async (): Promise<DeleteFolderResult> => {
    const target = await resolveInRoot(root, libraryPath);
    const stats = await lstatIfPresent(target);
    if (stats === undefined) return { status: 'absent' };
    if (!matchesExpectation(expect, stats)) return { status: 'changed', found: observe(stats) };
    const names = await readdir(target);
    const kept = names.filter((name) => !isDisposableName(name));
    if (kept.length > 0) return { status: 'not-empty', names: kept.sort() };
    for (const name of names) {
      const child = path.join(target, name);
      const childStats = await lstatIfPresent(child);
      // A disposable name that is a folder is not OS metadata; keep it, and the folder.
      if (childStats !== undefined && !childStats.isFile()) return { status: 'not-empty', names: [name] };
      if (childStats !== undefined) await unlink(child).catch(ignoreMissing);
    }
    try {
      await rmdir(target);
    } catch (error) {
      const code = fsErrorCode(error);
      if (code === 'ENOENT') return { status: 'absent' };
      if (code === 'ENOTEMPTY' || code === 'EEXIST') return { status: 'not-empty', names: (await readdir(target)).sort() };
      throw error;
    }
    await fsyncFolder(path.dirname(target));
    return { status: 'deleted' };
  });
}

function ignoreMissing(error: unknown): void {
  if (fsErrorCode(error) !== 'ENOENT') throw error;
}
