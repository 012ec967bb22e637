// Exactly one process writes a client profile's index: the daemon holds a lock file in the
// profile while it runs. The file names the holder's pid and its control API, so that CLI
// commands can talk to the running daemon instead of fighting it.

import { open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';

export const LOCK_FILE = 'daemon.lock';

export interface LockHolder {
  readonly pid: number;
  /** The daemon's local control API, once it is listening. */
  readonly controlUrl: string | null;
  readonly startedAt: number;
}

export class ProfileLockedError extends Error {
  override readonly name = 'ProfileLockedError';
  constructor(readonly holder: LockHolder) {
    super(`another Cairn daemon (pid ${holder.pid}) is already running on this profile; stop it first, or use the CLI, which talks to it`);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The daemon holding the profile, if one is alive (a lock left by a dead process is ignored). */
export async function readLockHolder(home: string): Promise<LockHolder | null> {
  let text: string;
  try {
    text = await readFile(path.join(home, LOCK_FILE), 'utf8');
  } catch {
    return null;
  }
  try {
    const holder = JSON.parse(text) as LockHolder;
    if (typeof holder.pid !== 'number' || !isAlive(holder.pid)) return null;
    return holder;
  } catch {
    return null;
  }
}

export interface ProfileLock {
  /** Records the control API's address for CLI commands. */
  setControlUrl(url: string): Promise<void>;
  release(): Promise<void>;
}

/**
 * Takes the profile's lock or throws ProfileLockedError naming the live holder. A lock file
 * left by a process that died (kill -9, power loss) is taken over.
 */
export async function acquireProfileLock(home: string): Promise<ProfileLock> {
  const file = path.join(home, LOCK_FILE);
  const holder: { pid: number; controlUrl: string | null; startedAt: number } = { pid: process.pid, controlUrl: null, startedAt: Date.now() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600);
      try {
        await handle.writeFile(JSON.stringify(holder));
        await handle.sync();
      } finally {
        await handle.close();
      }
      return {
        async setControlUrl(url) {
          holder.controlUrl = url;
          const update = await open(file, 'w', 0o600);
          try {
            await update.writeFile(JSON.stringify(holder));
            await update.sync();
          } finally {
            await update.close();
          }
        },
        async release() {
          const current = await readLockHolder(home);
          if (current === null || current.pid === process.pid) await rm(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const current = await readLockHolder(home);
      if (current !== null) throw new ProfileLockedError(current);
      await rm(file, { force: true });
    }
  }
  throw new Error(`could not take the lock ${file}`);
}
