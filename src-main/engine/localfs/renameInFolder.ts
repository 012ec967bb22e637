// Renames one file or folder inside a library's folder, for the user (a name that cannot be
// synced, fixed from the Problems screen). The folder is reached through resolveInRoot (no
// symlink between the root and it), the old name must be a single name in that folder, and the
// new one replaces nothing: a file is linked under the new name (which fails if the name is
// taken, atomically) and then unlinked under the old; a folder, or a file system without hard
// links, is renamed after checking that the new name is free.

import { link, lstat, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { LibraryPath } from '../../../shared/paths.js';
import { fsyncFolder } from '../../../shared/node/fsyncFolder.js';
import { fsErrorCode } from './fsErrorCode.js';
import { resolveInRoot } from './resolveInRoot.js';

export type RenameInFolderResult = 'renamed' | 'missing' | 'taken';

/** Codes of a file system that cannot hard-link (FAT, some network mounts): rename instead. */
const NO_LINK_CODES = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'ENOSYS', 'EMLINK']);

/** `name` and `newName` are single names (no separator, not '.' or '..'): the caller checks newName's portability. */
export async function renameInFolder(root: string, folder: LibraryPath | '', name: string, newName: string): Promise<RenameInFolderResult> {
  for (const single of [name, newName]) {
    if (single === '' || single === '.' || single === '..' || single.includes('/') || single.includes('\0')) throw new TypeError(`not a single name: ${JSON.stringify(single)}`);
  }
  const folderAbsolute = folder === '' ? root : await resolveInRoot(root, folder);
  const from = path.join(folderAbsolute, name);
  const to = path.join(folderAbsolute, newName);
  const found = await lstat(from).catch((error: unknown) => {
    if (fsErrorCode(error) === 'ENOENT') return null;
    throw error;
  });
  if (found === null) return 'missing';
  if (!found.isDirectory()) {
    try {
      await link(from, to);
      await unlink(from);
      await fsyncFolder(folderAbsolute);
      return 'renamed';
    } catch (error) {
      const code = fsErrorCode(error);
      if (code === 'EEXIST') return 'taken';
      if (code === undefined || !NO_LINK_CODES.has(code)) throw error;
    }
  }
  const taken = await lstat(to).then(
    () => true,
    (error: unknown) => {
      if (fsErrorCode(error) === 'ENOENT') return false;
      throw error;
    },
  );
  if (taken) return 'taken';
  await rename(from, to);
  await fsyncFolder(folderAbsolute);
  return 'renamed';
}
