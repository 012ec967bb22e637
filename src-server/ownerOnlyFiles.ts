// The server's data folder holds password hashes, token hashes and every user's files: only the
// user running the server may read any of it, whatever the folder's own mode and the umask.
// Folders the server creates are 0700 and files 0600; SQLite files are created 0600 before
// SQLite opens them (SQLite gives its -wal and -shm files the database file's mode), and
// narrowed to 0600 if an earlier version left them readable. A data folder that others can
// read is the admin's choice, so it is reported, not changed.

import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import { stat } from 'node:fs/promises';

/** Creates a database file owner-only if it is missing, and narrows it and its companions to 0600. */
export function prepareOwnerOnlyDatabase(file: string): void {
  if (process.platform === 'win32') return; // ACLs, not modes; the profile folder protects it.
  closeSync(openSync(file, 'a', 0o600));
  for (const path of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) {
    if (existsSync(path)) chmodSync(path, 0o600);
  }
}

/** A warning for a data folder that other local users can read or enter, or null. */
export async function dataFolderWarning(dataDir: string): Promise<string | null> {
  if (process.platform === 'win32') return null;
  const info = await stat(dataDir).catch(() => null);
  if (info === null || (info.mode & 0o077) === 0) return null;
  const mode = (info.mode & 0o777).toString(8);
  return `the data folder ${dataDir} is open to other users of this computer (mode ${mode}); the files in it are owner-only, but run \`chmod 700 ${dataDir}\` to close it`;
}
