// A small secret (the CLI's device token) in a file only its owner can read. The index never
// holds it: the index is the file people copy into bug reports and backups, and the desktop
// app keeps the token in the OS keychain (Electron safeStorage) instead.

import { randomBytes } from 'node:crypto';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { fsErrorCode } from '../../shared/node/fsErrorCode.js';
import { fsyncFolder } from '../../shared/node/fsyncFolder.js';

/** Thrown when a secret file can be read by others than its owner. */
export class InsecureSecretFileError extends Error {
  override readonly name = 'InsecureSecretFileError';
  constructor(readonly file: string, mode: number) {
    super(
      `${file} is readable by other users (mode ${(mode & 0o777).toString(8)}). ` +
        `Run "chmod 600 ${file}", or delete it and log in again.`,
    );
  }
}

/** Writes `contents` to `file` atomically with mode 0600 (owner read/write only). */
export async function writeSecretFile(file: string, contents: string): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(8).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(contents, 'utf8');
    await handle.chmod(0o600);
    await handle.sync();
    await handle.close();
    await rename(temp, file);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await removeQuietly(temp);
    throw error;
  }
  await fsyncFolder(path.dirname(file));
}

/**
 * Reads a secret file; undefined when it does not exist. On POSIX systems a file that group or
 * others may read is refused (InsecureSecretFileError), as ssh does with private keys.
 */
export async function readSecretFile(file: string): Promise<string | undefined> {
  try {
    if (process.platform !== 'win32') {
      const { mode } = await stat(file);
      if ((mode & 0o077) !== 0) throw new InsecureSecretFileError(file, mode);
    }
    return await readFile(file, 'utf8');
  } catch (error) {
    if (fsErrorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/** Deletes a secret file (logout); nothing happens when it does not exist. */
export async function deleteSecretFile(file: string): Promise<void> {
  await removeQuietly(file);
}

async function removeQuietly(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (error) {
    if (fsErrorCode(error) !== 'ENOENT') throw error;
  }
}
