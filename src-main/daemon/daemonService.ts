// The whole headless daemon as one composition root: the Daemon with the real file watcher, a
// fresh control token in the profile, the control API (and optionally the UI's static files)
// on 127.0.0.1, and the control URL recorded in the profile lock for CLI commands. stop() stops
// it all, in the reverse order, and removes the token.

import { controlPageLink } from '../../shared/api/index.js';
import type { WatcherKind } from '../engine/watcher/index.js';
import { startControlServer } from './controlServer.js';
import type { ControlServer } from './controlServer.js';
import { createControlToken, deleteControlToken } from './controlToken.js';
import { Daemon } from './daemon.js';
import type { DaemonOptions } from './daemon.js';
import { createDaemonSyncApi } from './engineSyncApi.js';
import type { DaemonSyncApi } from './engineSyncApi.js';
import { createLibraryWatchFactory } from './libraryWatchFactory.js';

export interface DaemonServiceOptions extends Omit<DaemonOptions, 'watch' | 'log'> {
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

/** Starts everything; throws ProfileLockedError when another daemon holds the profile. */
export async function startDaemonService(options: DaemonServiceOptions): Promise<DaemonService> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const watcherKind = options.watcher ?? 'native';
  const watchFactory = watcherKind === 'none' ? null : await createLibraryWatchFactory({ kind: watcherKind, log });
  const daemon = await Daemon.start({ ...options, watch: watchFactory?.watch ?? null, log });
  let api: DaemonSyncApi | undefined;
  let control: ControlServer | undefined;
  try {
    const token = await createControlToken(options.home);
    api = createDaemonSyncApi(daemon, { log, ...(options.openPath === undefined ? {} : { openPath: options.openPath }) });
    control = await startControlServer({
      api,
      token,
      port: options.controlPort ?? 0,
      ...(options.uiDir === undefined ? {} : { staticDir: options.uiDir }),
      onBug: (error) => log(`control API bug: ${(error as Error)?.stack ?? String(error)}`),
    });
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
          await deleteControlToken(options.home);
        })();
        return stopping;
      },
    };
  } catch (error) {
    await control?.close();
    api?.close();
    await daemon.stop();
    await deleteControlToken(options.home).catch(() => undefined);
    throw error;
  }
}
