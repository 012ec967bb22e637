// Exactly one process writes a client profile's index: whoever syncs (the daemon, the desktop
// app's engine host, or a `cairn` command when no daemon runs) holds a lock file in the profile
// while it works. The file names the holder's pid, what it is, and a daemon's control API, so
// that CLI commands can talk to a running daemon instead of fighting it, and wait for another
// command to finish.

import { open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';

export const LOCK_FILE = 'daemon.lock';

/** Who holds a profile: a long-running daemon (with a control API), or one CLI command. */
export type LockHolderKind = 'daemon' | 'command';

export interface LockHolder {
  readonly pid: number;
  readonly kind: LockHolderKind;
  /** The daemon's local control API, once it is listening. */
  readonly controlUrl: string | null;
  readonly startedAt: number;
}

export class ProfileLockedError extends Error {
  override readonly name = 'ProfileLockedError';
  constructor(readonly holder: LockHolder) {
    super(
      holder.kind === 'daemon'
        ? `another Cairn daemon (pid ${holder.pid}) is already running on this profile; stop it first, or use the CLI, which talks to it`
        : `a cairn command (pid ${holder.pid}) is working on this profile; wait until it ends`,
    );
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

/** The process holding the profile, if one is alive (a lock left by a dead process is ignored). */
export async function readLockHolder(home: string): Promise<LockHolder | null> {
  let text: string;
  try {
    text = await readFile(path.join(home, LOCK_FILE), 'utf8');
  } catch {
    return null;
  }
  try {
    const holder = JSON.parse(text) as Partial<LockHolder>;
    if (typeof holder.pid !== 'number' || !isAlive(holder.pid)) return null;
    // A lock written before holders said what they are was a daemon's.
    return { pid: holder.pid, kind: holder.kind === 'command' ? 'command' : 'daemon', controlUrl: holder.controlUrl ?? null, startedAt: holder.startedAt ?? 0 };
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
 *
 * The file is not fsync'd: other processes read it from the page cache at once, and it only
 * matters while its holder lives. A crash that loses its contents ends the holder too, and a
 * lock file that does not name a live process is nobody's.
 */
export async function acquireProfileLock(home: string, kind: LockHolderKind): Promise<ProfileLock> {
  const file = path.join(home, LOCK_FILE);
  const holder: { pid: number; kind: LockHolderKind; controlUrl: string | null; startedAt: number } = { pid: process.pid, kind, controlUrl: null, startedAt: Date.now() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600);
      try {
        await handle.writeFile(JSON.stringify(holder));
      } finally {
        await handle.close();
      }
      return {
        async setControlUrl(url) {
          holder.controlUrl = url;
          const update = await open(file, 'w', 0o600);
          try {
            await update.writeFile(JSON.stringify(holder));
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
