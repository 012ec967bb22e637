// The composition roots of the Daemon. startDaemonService is the whole headless daemon: the
// Daemon with the real file watcher, the profile's control token (kept across restarts), the
// control API (and optionally the UI's static files) on 127.0.0.1, on the port it had last time
// when that is free, and the control URL recorded in the profile lock for CLI commands; stop()
// stops it all, in the reverse order.
// startCommandService is what a `cairn` command starts when no daemon runs: the same Daemon and
// SyncApi in the command's own process, holding the profile lock, with no watcher, no control
// server and nothing running by itself. What only the live daemon needs is loaded only there.

import { controlPageLink } from '../../shared/api/index.js';
import type { WatcherKind } from '../engine/index.js';
import type { ControlServer } from './controlServer.js';
import { Daemon } from './daemon.js';
import type { DaemonOptions } from './daemon.js';
import { createDaemonSyncApi, syncApiErrorOf } from './engineSyncApi.js';
import type { DaemonSyncApi } from './engineSyncApi.js';

export type { WatcherKind };

export interface DaemonServiceOptions extends Omit<DaemonOptions, 'watch' | 'log' | 'live'> {
  /** The control API's port; 0 (the default) picks a free one. */
  readonly controlPort?: number;
  /** Which watcher; 'none' watches nothing (periodic rescans only). Default 'native'. */
  readonly watcher?: WatcherKind | 'none';
  /** A folder with the built UI, served at / on the control port. */
  readonly uiDir?: string;
  /** Shows a folder in the OS file manager (the desktop app's shell); see DaemonSyncApiOptions. */
  readonly openPath?: (absolutePath: string) => Promise<void>;
  readonly log?: (line: string) => void;
}

export interface DaemonService {
  readonly daemon: Daemon;
  readonly api: DaemonSyncApi;
  readonly control: ControlServer;
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** The control token (also in the profile, owner-only). */
  readonly token: string;
  /** The link that opens the UI in a browser with the token (controlPageLink). */
  readonly link: string;
  /** Which watcher runs, for the log. */
  readonly watcherDescription: string;
  stop(): Promise<void>;
}

/** Starts everything; throws ProfileLockedError when another process holds the profile. */
export async function startDaemonService(options: DaemonServiceOptions): Promise<DaemonService> {
  const log = options.log ?? defaultLog;
  const watcherKind = options.watcher ?? 'native';
  const [{ startControlServer }, { loadOrCreateControlToken, readLastControlPort, saveControlPort }, { createLibraryWatchFactory }] = await Promise.all([
    import('./controlServer.js'),
    import('./controlToken.js'),
    import('./libraryWatchFactory.js'),
  ]);
  const watchFactory = watcherKind === 'none' ? null : await createLibraryWatchFactory({ kind: watcherKind, log });
  const daemon = await Daemon.start({ ...options, watch: watchFactory?.watch ?? null, log });
  let api: DaemonSyncApi | undefined;
  let control: ControlServer | undefined;
  try {
    const token = await loadOrCreateControlToken(options.home);
    const serverApi = createDaemonSyncApi(daemon, { log, ...(options.openPath === undefined ? {} : { openPath: options.openPath }) });
    // Versions opened a day ago or more are no longer being looked at.
    void daemon.engine.removeOldOpenedVersions().catch((error: unknown) => log(`could not remove old opened versions: ${(error as Error).message}`));
    api = serverApi;
    const listen = (port: number) =>
      startControlServer({
        api: serverApi,
        token,
        port,
        ...(options.uiDir === undefined ? {} : { staticDir: options.uiDir }),
        onBug: (error) => log(`control API bug: ${(error as Error)?.stack ?? String(error)}`),
      });
    const asked = options.controlPort ?? 0;
    // Any port will do: the last one first, so pages opened from the printed link find us again.
    const last = asked === 0 ? await readLastControlPort(options.home) : null;
    control = last === null ? await listen(asked) : await listen(last).catch(() => listen(0));
    await saveControlPort(options.home, control.port).catch((error: unknown) => log(`could not remember the control port: ${(error as Error).message}`));
    await daemon.setControlUrl(control.url);
    const started = { api, control };
    let stopping: Promise<void> | null = null;
    return {
      daemon,
      api,
      control,
      url: control.url,
      token,
      link: controlPageLink(control.url, token),
      watcherDescription: watchFactory?.description ?? 'none (periodic rescans only)',
      stop() {
        stopping ??= (async () => {
          await started.control.close();
          started.api.close();
          await daemon.stop();
        })();
        return stopping;
      },
    };
  } catch (error) {
    await control?.close();
    api?.close();
    await daemon.stop();
    throw error;
  }
}

export interface CommandServiceOptions extends Omit<DaemonOptions, 'watch' | 'log' | 'live'> {
  readonly log?: (line: string) => void;
}

/** The SyncApi of one command, served in its own process; stop() ends it and frees the profile. */
export interface CommandService {
  readonly daemon: Daemon;
  readonly api: DaemonSyncApi;
  stop(): Promise<void>;
}

/**
 * Starts the Daemon for one command: it takes the profile lock (throws ProfileLockedError when
 * another process holds it) and hosts the libraries' runners, but watches nothing, listens to no
 * server events and starts no round by itself.
 */
export async function startCommandService(options: CommandServiceOptions): Promise<CommandService> {
  const log = options.log ?? defaultLog;
  let daemon: Daemon;
  try {
    daemon = await Daemon.start({ ...options, watch: null, live: false, oneShot: true, log });
  } catch (error) {
    // What the user must fix (a credentials file others can read, ...) is said as the API says it.
    throw syncApiErrorOf(error);
  }
  const api = createDaemonSyncApi(daemon, { log });
  let stopping: Promise<void> | null = null;
  return {
    daemon,
    api,
    stop() {
      stopping ??= (async () => {
        api.close();
        await daemon.stop();
      })();
      return stopping;
    },
  };
}

function defaultLog(line: string): void {
  process.stderr.write(`${line}\n`);
}
