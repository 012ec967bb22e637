// The one place that knows how Cairn names its temp files inside a library. Pure: the ignore
// rules and the scanner use it too, so it must not import node:fs.

import { randomBytes } from 'node:crypto';

/**
 * Every temp file Cairn creates inside a library starts with this prefix. The scanner skips such
 * names, the ignore rules always ignore them, and `cleanupTempFiles` removes the ones a crash
 * left behind. A user file that happens to start with it is never synced.
 */
export const TEMP_FILE_PREFIX = '.cairn-tmp-';

/** True when a single name (not a path) is one of Cairn's temp file names. */
export function isTempFileName(name: string): boolean {
  return name.startsWith(TEMP_FILE_PREFIX);
}

/** A fresh temp file name: the prefix and 16 random hex characters (64 bits, never reused). */
export function newTempFileName(): string {
  return `${TEMP_FILE_PREFIX}${randomBytes(8).toString('hex')}`;
}
