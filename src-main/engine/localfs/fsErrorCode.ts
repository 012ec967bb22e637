// Small helpers around Node's fs errors, shared by the localfs operations and the scanner.

import type { Stats } from 'node:fs';
import { fsCalls } from '../../../shared/node/fsCalls.js';
import { fsErrorCode } from '../../../shared/node/fsErrorCode.js';

export { fsErrorCode };

/**
 * lstat that answers undefined when nothing is there. ENOTDIR counts as absent too: it means an
 * ancestor is a file, so nothing can exist at the path.
 */
export async function lstatIfPresent(absolutePath: string): Promise<Stats | undefined> {
  try {
    return await fsCalls.lstat(absolutePath);
  } catch (error) {
    const code = fsErrorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}
