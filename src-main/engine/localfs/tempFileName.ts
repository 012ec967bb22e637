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

/** Random bytes for temp names, drawn 512 names at a time: one draw each cost ~15 µs of a download's main thread per file. */
const NAME_BYTES = 8;
const POOL_NAMES = 512;
let pool: Buffer = Buffer.alloc(0);
let taken = 0;

/** A fresh temp file name: the prefix and 16 random hex characters (64 bits, never reused). */
export function newTempFileName(): string {
  if (taken + NAME_BYTES > pool.length) {
    pool = randomBytes(NAME_BYTES * POOL_NAMES);
    taken = 0;
  }
  const name = `${TEMP_FILE_PREFIX}${pool.toString('hex', taken, taken + NAME_BYTES)}`;
  taken += NAME_BYTES;
  return name;
}

/** Partial downloads of large files keep their bytes across interruptions under this prefix. */
export const PARTIAL_FILE_PREFIX = `${TEMP_FILE_PREFIX}part-`;

/**
 * The temp name of an interrupted download of a given content: deterministic, so the next
 * attempt finds it and fetches only what is missing. The content hash is hex.
 */
export function partialFileName(contentHash: string): string {
  return `${PARTIAL_FILE_PREFIX}${contentHash.slice(0, 32)}`;
}

/** True when a name is a partial download (kept by cleanup while it is young). */
export function isPartialFileName(name: string): boolean {
  return name.startsWith(PARTIAL_FILE_PREFIX);
}

/**
 * Temp files this process made and then found gone from where it made them: the user moved
 * or renamed their folder while a download wrote into it, so the temp file travelled along and
 * sits somewhere else in the library. Their names (64 random bits each) identify them; a later
 * scan that meets one reports it, and the round removes it (see removeStrayTempFile).
 */
const strayTempNames = new Set<string>();

export function noteStrayTemp(name: string): void {
  if (isTempFileName(name)) strayTempNames.add(name);
}

export function isStrayTemp(name: string): boolean {
  return strayTempNames.has(name);
}

export function forgetStrayTemp(name: string): void {
  strayTempNames.delete(name);
}
