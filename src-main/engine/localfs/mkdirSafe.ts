// Creating folders inside a library, one level at a time, never through a symlink.

import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ancestorPaths, type LibraryPath } from '../../../shared/paths.js';
import { type ObservedNode, observe } from './expectation.js';
import { fsErrorCode, lstatIfPresent } from './fsErrorCode.js';
import { fsyncFolder } from '../../../shared/node/fsyncFolder.js';
import { absoluteOf, type Refusal, refuseUnsafe, resolveInRoot } from './resolveInRoot.js';

export type MkdirResult =
  | { readonly status: 'created' | 'exists'; readonly inode: number }
  /** A file (or special file) is where the folder should be; `at` names which path. */
  | { readonly status: 'blocked'; readonly at: LibraryPath; readonly found: ObservedNode }
  | Refusal;

/**
 * Makes sure a folder exists at `libraryPath`, creating missing parents first. Each level is
 * created with a plain mkdir after the chain above it was checked for symlinks, and its parent
 * is fsynced: an empty folder that vanished in a crash would otherwise look like a local
 * deletion to the next scan. 'created' means at least the last level was created by this call.
 */
export async function mkdirSafe(root: string, libraryPath: LibraryPath): Promise<MkdirResult> {
  return refuseUnsafe(async (): Promise<MkdirResult> => {
    await resolveInRoot(root, libraryPath);
    const base = path.resolve(root);
    let created = false;
    let inode = 0;
    for (const level of [...ancestorPaths(libraryPath), libraryPath]) {
      const absolute = absoluteOf(base, level);
      created = false;
      try {
        await mkdir(absolute, 0o777);
        created = true;
      } catch (error) {
        if (fsErrorCode(error) !== 'EEXIST') throw error;
      }
      const stats = await lstatIfPresent(absolute);
      if (stats === undefined || !stats.isDirectory() || stats.isSymbolicLink()) {
        if (stats?.isSymbolicLink()) await resolveInRoot(root, level);
        return { status: 'blocked', at: level, found: observe(stats) };
      }
      if (created) await fsyncFolder(path.dirname(absolute));
      inode = stats.ino;
    }
    return { status: created ? 'created' : 'exists', inode };
  });
}
