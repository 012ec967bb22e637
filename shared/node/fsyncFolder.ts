import { fsCalls } from './fsCalls.js';

/**
 * Makes a folder's entries durable (a created, renamed or removed name), so that a crash right
 * after cannot undo a step the index already recorded. Windows cannot open a folder for
 * fsync; NTFS journals its metadata, so there it is skipped.
 */
export async function fsyncFolder(folder: string): Promise<void> {
  if (process.platform === 'win32') return;
  const fd = await fsCalls.open(folder, 'r');
  try {
    await fsCalls.fsync(fd);
  } finally {
    await fsCalls.close(fd);
  }
}

/** Folder fsyncs in flight at once: enough to overlap them, few enough to leave the thread pool room. */
const FOLDER_SYNCS_AT_ONCE = 4;

/** fsyncFolder for each distinct folder, a few at once (each is a round trip to the disk). */
export async function fsyncFolders(folders: Iterable<string>): Promise<void> {
  const pending = [...new Set(folders)];
  const lanes = Array.from({ length: Math.min(FOLDER_SYNCS_AT_ONCE, pending.length) }, async () => {
    for (let folder = pending.pop(); folder !== undefined; folder = pending.pop()) await fsyncFolder(folder);
  });
  await Promise.all(lanes);
}
