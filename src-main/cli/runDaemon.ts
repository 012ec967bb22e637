// `cairn daemon`: keeps every synced library of the profile in sync until SIGINT or SIGTERM, and
// serves the local control API. Its standard output is for scripts: exactly one line
// `control: http://127.0.0.1:PORT` once everything is ready, then the browser link
// `open: http://127.0.0.1:PORT/#token=...`. Logs go to standard error.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startDaemonService } from '../daemon/daemonService.js';
import type { WatcherKind } from '../daemon/daemonService.js';
import { ProfileLockedError } from '../profile/profileLock.js';

export interface RunDaemonOptions {
  readonly home: string;
  readonly deviceName?: string;
  readonly controlPort: number;
  readonly watcher: WatcherKind | 'none';
  /** The built UI to serve at the control URL; default: the package's dist-renderer/ when built. */
  readonly uiDir?: string;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Stops the daemon (tests); without it SIGINT and SIGTERM do. */
  readonly stop?: AbortSignal;
}

const WATCHER_KINDS: readonly (WatcherKind | 'none')[] = ['native', 'chokidar', 'polling', 'none'];

export function parseWatcherKind(value: string | undefined): WatcherKind | 'none' | null {
  if (value === undefined) return 'native';
  return (WATCHER_KINDS as readonly string[]).includes(value) ? (value as WatcherKind | 'none') : null;
}

/**
 * The package's built UI (`npm run build` writes dist-renderer/ at the package root), found from
 * this module both as source (src-main/cli/) and compiled (dist/src-main/cli/); null when the UI
 * was not built.
 */
export function defaultUiDir(): string | null {
  for (const relative of ['../../dist-renderer', '../../../dist-renderer']) {
    const candidate = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(`${candidate}/index.html`)) return candidate;
  }
  return null;
}

/** Runs the daemon until it is told to stop; resolves with the exit code. */
export async function runDaemon(options: RunDaemonOptions): Promise<number> {
  const uiDir = options.uiDir ?? defaultUiDir() ?? undefined;
  let service;
  try {
    service = await startDaemonService({
      home: options.home,
      ...(options.deviceName === undefined ? {} : { deviceName: options.deviceName }),
      controlPort: options.controlPort,
      watcher: options.watcher,
      ...(uiDir === undefined ? {} : { uiDir }),
      log: (line) => options.err(`cairn daemon: ${line}`),
    });
  } catch (error) {
    if (error instanceof ProfileLockedError) {
      options.err(`cairn daemon: ${error.message}`);
      return 1;
    }
    throw error;
  }
  options.err(`cairn daemon: profile ${options.home}; watching with ${service.watcherDescription}`);
  options.out(`control: ${service.url}`);
  if (uiDir === undefined) options.err('cairn daemon: no built UI found (run `npm run build`); serving the control API only');
  options.out(`open: ${service.link}`);

  const reason = await waitForStop(options.stop);
  options.err(`cairn daemon: stopping (${reason})`);
  await service.stop();
  return 0;
}

/** Resolves with what asked the daemon to stop: a signal, or the caller's AbortSignal. */
function waitForStop(stop: AbortSignal | undefined): Promise<string> {
  return new Promise<string>((resolve) => {
    const finish = (reason: string) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      stop?.removeEventListener('abort', onAbort);
      resolve(reason);
    };
    const onSignal = (signal: NodeJS.Signals) => finish(signal);
    const onAbort = () => finish('stop requested');
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    if (stop?.aborted) finish('stop requested');
    else stop?.addEventListener('abort', onAbort, { once: true });
  });
}
