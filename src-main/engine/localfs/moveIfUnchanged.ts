// Moving a file or folder inside a library (a rename the server told us about), without ever
// replacing what is at the destination.

import { lstat, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { caseFoldKey, type LibraryPath } from '../../../shared/paths.js';
import { type Expectation, type ObservedNode, matchesExpectation, observe } from './expectation.js';
import { fsErrorCode, lstatIfPresent } from './fsErrorCode.js';
import { fsyncFolder } from '../../../shared/node/fsyncFolder.js';
import { type Refusal, refuseUnsafe, resolveInRoot } from './resolveInRoot.js';
import { linkWithoutReplacing } from './writeFileAtomic.js';

export type MoveResult =
  | { readonly status: 'moved'; readonly inode: number }
  /** The source is no longer what the caller expected (changed, replaced or gone). */
  | { readonly status: 'changed'; readonly found: ObservedNode }
  /** Something is already at the destination; nothing was moved. */
  | { readonly status: 'destination-exists'; readonly found: ObservedNode }
  | Refusal;

/**
 * Moves `from` to `to` if `from` still matches `expect`, and only if nothing is at `to`. Files
 * are moved with link() then unlink(), so an existing destination can never be replaced, not
 * even one created after the check; the inode is kept, so the next scan sees the same file.
 * Folders cannot be hard-linked: they are renamed right after checking that `to` is absent (on
 * POSIX, rename can then at worst replace an empty folder created in between; a non-empty one
 * makes it fail). A case-only rename on a case-insensitive disk (`a` to `A`) is recognised by
 * the shared inode and done with a plain rename. The destination's folder must exist.
 */
export async function moveIfUnchanged(
  root: string,
  from: LibraryPath,
  to: LibraryPath,
  expect: Extract<Expectation, { kind: 'file' | 'dir' }>,
): Promise<MoveResult> {
  return refuseUnsafe(async (): Promise<MoveResult> => {
    const source = await resolveInRoot(root, from);
    const destination = await resolveInRoot(root, to);
    const sourceStats = await lstatIfPresent(source);
    if (!matchesExpectation(expect, sourceStats) || sourceStats === undefined) {
      return { status: 'changed', found: observe(sourceStats) };
    }
    const destinationStats = await lstatIfPresent(destination);
    // On a case-insensitive disk `A` finds `a` itself. Two hard links to one file share an inode
    // too, hence the name comparison: that case is a real, existing destination.
    const caseOnlyRename =
      destinationStats !== undefined &&
      caseFoldKey(from) === caseFoldKey(to) &&
      destinationStats.ino === sourceStats.ino &&
      destinationStats.dev === sourceStats.dev;
    if (destinationStats !== undefined && !caseOnlyRename) {
      return { status: 'destination-exists', found: observe(destinationStats) };
    }

    if (sourceStats.isFile() && !caseOnlyRename) {
      const placed = await linkWithoutReplacing(source, destination);
      if (placed === 'exists') return { status: 'destination-exists', found: observe(await lstatIfPresent(destination)) };
      if (placed === 'linked') await unlink(source);
      else await rename(source, destination);
    } else {
      try {
        await rename(source, destination);
      } catch (error) {
        const code = fsErrorCode(error);
        if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR' || code === 'EISDIR') {
          return { status: 'destination-exists', found: observe(await lstatIfPresent(destination)) };
        }
        throw error;
      }
    }
    await fsyncFolder(path.dirname(destination));
    if (path.dirname(source) !== path.dirname(destination)) await fsyncFolder(path.dirname(source));
    return { status: 'moved', inode: (await lstat(destination)).ino };
  });
}
