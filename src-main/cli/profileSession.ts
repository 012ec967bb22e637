// How a `cairn` command reaches the profile: through the SyncApi of whoever may write it. When a
// daemon runs (`cairn daemon`, or the desktop app), that is the daemon's control API; when
// another command holds the profile, this one waits for it to end; otherwise the command starts
// the daemon's service in its own process (no watcher, no control server), holding the profile
// lock for as long as it runs. Either way exactly one process writes the profile's index.
//
// What each way needs is loaded only when it is taken: the control client for a running daemon,
// the engine and the daemon's service for a command that runs them itself.

import type { SyncApi } from '../../shared/api/index.js';
import { ProfileLockedError, readLockHolder } from '../profile/profileLock.js';

export interface ProfileSession {
  readonly api: SyncApi;
  /** True when the SyncApi is a running daemon's. */
  readonly viaDaemon: boolean;
  /** Ends the session: closes the link to the daemon, or stops this process's service and frees the profile. */
  close(): Promise<void>;
}

export interface ProfileSessionOptions {
  readonly home: string;
  readonly deviceName?: string;
  /** Where the session says that it waits for another command. */
  readonly err: (text: string) => void;
  /** Where the in-process service logs (its bugs and troubles). */
  readonly log: (line: string) => void;
}

/** How often a command looks again at the profile lock while another command holds it. */
const LOCK_POLL_MS = 100;

export async function openProfileSession(options: ProfileSessionOptions): Promise<ProfileSession> {
  let announced = false;
  for (;;) {
    const holder = await readLockHolder(options.home);
    if (holder?.kind === 'daemon') {
      const { createControlApi, findRunningDaemon } = await import('./controlClient.js');
      const connection = await findRunningDaemon(options.home);
      if (connection === null) continue;
      const api = createControlApi(connection);
      return {
        api,
        viaDaemon: true,
        close: async () => api.close(),
      };
    }
    if (holder?.kind === 'command') {
      if (!announced) options.err(`cairn: waiting for another cairn command (pid ${holder.pid}) to finish with this profile`);
      announced = true;
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
      continue;
    }
    const { startCommandService } = await import('../daemon/daemonService.js');
    try {
      const service = await startCommandService({ home: options.home, ...(options.deviceName === undefined ? {} : { deviceName: options.deviceName }), log: options.log });
      return { api: service.api, viaDaemon: false, close: () => service.stop() };
    } catch (error) {
      // Another process took the profile between our look and our try: look again.
      if (error instanceof ProfileLockedError) continue;
      throw error;
    }
  }
}
