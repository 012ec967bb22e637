// Small helpers around Node's fs errors, shared by the localfs operations and the scanner.

import type { Stats } from 'node:fs';
import { fsCalls } from './fsCalls.js';

/** The errno code of a Node fs error ('ENOENT', 'EACCES', ...), or undefined for other values. */
export function fsErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = (error as { code: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

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
