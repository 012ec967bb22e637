import { open } from 'node:fs/promises';

/**
 * Makes a folder's entries durable (a created, renamed or removed name), so that a crash right
 * after cannot undo a step the index already recorded. Windows cannot open a folder for
 * fsync; NTFS journals its metadata, so there it is skipped.
 */
export async function fsyncFolder(folder: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
