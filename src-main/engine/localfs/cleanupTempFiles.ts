// Removes the temp files a crash can leave behind in a library.

import { type Dirent, readdirSync } from 'node:fs';
import { lstat, readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { fsErrorCode } from './fsErrorCode.js';
import { forgetStrayTemp, isPartialFileName, isStrayTemp, isTempFileName } from './tempFileName.js';
import type { LibraryPath } from '../../../shared/paths.js';
import { refuseUnsafe, resolveInRoot } from './resolveInRoot.js';

/** How long an interrupted download's partial file is kept for a resume. */
export const PARTIAL_MAX_AGE_MS = 24 * 60 * 60_000;

export interface CleanupResult {
  /** How many temp files were removed. */
  readonly removed: number;
  /** Folders or files that could not be read or removed, with the error code; retried next start. */
  readonly failures: readonly { readonly absolutePath: string; readonly code: string }[];
}

/**
 * Walks the whole library (never following symlinks) and removes every `.cairn-tmp-*` file.
 * Call it at startup, before the first sync of the library, when no write of ours can be in
 * flight. `minAgeMs` spares temp files modified more recently than that, for callers that cannot
 * rule out a concurrent writer. A temp file never holds the only copy of anything: it becomes
 * real only by the rename that ends a successful write. `listOnThisThread` lists folders with
 * synchronous calls (faster, but a hanging disk stalls the thread: see ScanOptions.statOnThisThread).
 */
export async function cleanupTempFiles(root: string, options: { readonly minAgeMs?: number; readonly listOnThisThread?: boolean } = {}): Promise<CleanupResult> {
  const minAgeMs = options.minAgeMs ?? 0;
  const failures: { absolutePath: string; code: string }[] = [];
  let removed = 0;
  const pending: string[] = [path.resolve(root)];
  while (pending.length > 0) {
    const folder = pending.pop() as string;
    let entries: Dirent[];
    try {
      entries = options.listOnThisThread === true ? readdirSync(folder, { withFileTypes: true }) : await readdir(folder, { withFileTypes: true });
    } catch (error) {
      failures.push({ absolutePath: folder, code: fsErrorCode(error) ?? 'UNKNOWN' });
      continue;
    }
    for (const entry of entries) {
      const absolute = path.join(folder, entry.name);
      if (entry.isDirectory()) {
        pending.push(absolute);
      } else if (entry.isFile() && isTempFileName(entry.name)) {
        try {
          const age = minAgeMs > 0 || isPartialFileName(entry.name) ? Date.now() - (await lstat(absolute)).mtimeMs : Infinity;
          if (age < minAgeMs) continue;
          // A partial download is the progress of an interrupted transfer: kept for a day.
          if (isPartialFileName(entry.name) && age < PARTIAL_MAX_AGE_MS) continue;
          await unlink(absolute);
          removed++;
        } catch (error) {
          const code = fsErrorCode(error);
          if (code !== 'ENOENT') failures.push({ absolutePath: absolute, code: code ?? 'UNKNOWN' });
        }
      }
    }
  }
  return { removed, failures };
}

/**
 * Removes a temp file that a crash may have left, which a scan of the whole library found (see
 * SyncDependencies.leftoverTemps): the same rules as cleanupTempFiles, a partial download younger
 * than PARTIAL_MAX_AGE_MS is kept for a resume (unless it is a stray, see removeStrayTempFile).
 * A regular file with a temp name, reached without a symlink, only. Never throws: what cannot be
 * removed now is tried again at the next start. Answers whether it is gone now.
 */
export async function removeLeftoverTempFile(root: string, libraryPath: LibraryPath): Promise<boolean> {
  const name = path.posix.basename(libraryPath);
  if (!isTempFileName(name)) return false;
  if (isStrayTemp(name)) return removeStrayTempFile(root, libraryPath).catch(() => false);
  const outcome = await refuseUnsafe(async () => {
    const absolute = await resolveInRoot(root, libraryPath);
    try {
      const stats = await lstat(absolute);
      if (!stats.isFile()) return false;
      if (isPartialFileName(name) && Date.now() - stats.mtimeMs < PARTIAL_MAX_AGE_MS) return false;
      await unlink(absolute);
    } catch (error) {
      if (fsErrorCode(error) !== 'ENOENT') return false;
    }
    return true;
  }).catch(() => false);
  return outcome === true;
}

/**
 * Removes a temp file of ours that a scan found away from where it was made (see
 * noteStrayTemp): a regular file with a temp name, reached without a symlink. Answers whether
 * it is gone now.
 */
export async function removeStrayTempFile(root: string, libraryPath: LibraryPath): Promise<boolean> {
  const name = path.posix.basename(libraryPath);
  if (!isTempFileName(name) || !isStrayTemp(name)) return false;
  const outcome = await refuseUnsafe(async () => {
    const absolute = await resolveInRoot(root, libraryPath);
    try {
      if (!(await lstat(absolute)).isFile()) return false;
      await unlink(absolute);
    } catch (error) {
      if (fsErrorCode(error) !== 'ENOENT') throw error;
    }
    return true;
  });
  if (outcome === true) forgetStrayTemp(name);
  return outcome === true;
}
