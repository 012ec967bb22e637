// The CLI's way to a running daemon: it finds the daemon through the profile lock (its pid and
// control URL) and the control token file, and speaks the SyncApi over the daemon's local control
// API with Node's fetch. createSyncApi (shared/api) checks every answer and event at the door.

import type { OperationName, SyncApi, SyncApiTransport, Unsubscribe } from '../../shared/api/index.js';
import { CONTROL_EVENTS_PATH, SyncApiError, apiErrorFromBody, controlApiPath, createSyncApi } from '../../shared/api/index.js';
import { readControlToken } from '../daemon/controlToken.js';
import { readLockHolder } from '../profile/profileLock.js';
import { ServerSentEventParser } from '../../shared/serverSentEvents.js';

export interface ControlConnection {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly token: string;
  /** The daemon's process id. */
  readonly pid: number;
}

/** How long a CLI command waits for a daemon that is starting to publish its control URL. */
const STARTING_WAIT_MS = 15_000;

/**
 * The running daemon of the profile, or null when none runs. A daemon that holds the profile but
 * has not published its control API yet (it is starting) is waited for; one that never does is
 * an error, since the CLI must not write the profile behind a live daemon's back.
 */
export async function findRunningDaemon(home: string, waitMs = STARTING_WAIT_MS): Promise<ControlConnection | null> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const holder = await readLockHolder(home);
    if (holder === null || holder.kind !== 'daemon') return null;
    if (holder.controlUrl !== null) {
      const token = await readControlToken(home);
      if (token !== undefined) return { url: holder.controlUrl, token, pid: holder.pid };
    }
    if (Date.now() > deadline) {
      throw new SyncApiError('unavailable', `a Cairn daemon (pid ${holder.pid}) holds this profile but does not answer; wait until it has started, or stop it`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** What a control API client must release: its event stream, if one is open. */
export interface ControlApi extends SyncApi {
  close(): void;
}

export function createControlApi(connection: ControlConnection, options: { readonly onBug?: (error: Error) => void } = {}): ControlApi {
  const streams = new Set<() => void>();
  const transport: SyncApiTransport = {
    async call(name: OperationName, request: unknown): Promise<unknown> {
      let status: number;
      let text: string;
      try {
        const answer = await fetch(`${connection.url}${controlApiPath(name)}`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${connection.token}`, 'Content-Type': 'application/json', Accept: 'application/json' },
          body: JSON.stringify(request),
        });
        status = answer.status;
        text = await answer.text();
      } catch (error) {
        throw new SyncApiError('unavailable', `the Cairn daemon at ${connection.url} cannot be reached (${(error as Error).message}); is it still running?`);
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      if (status < 200 || status > 299) throw apiErrorFromBody(body, status);
      if (body === undefined) throw new SyncApiError('internal', `the daemon's answer to ${name} is not JSON`);
      return body;
    },
    subscribe(listener: (event: unknown) => void): Unsubscribe {
      const stop = followEvents(connection, listener);
      streams.add(stop);
      return () => {
        streams.delete(stop);
        stop();
      };
    },
  };
  const api = createSyncApi(transport, options.onBug === undefined ? {} : { onBug: options.onBug });
  return Object.assign(api, {
    close() {
      for (const stop of [...streams]) stop();
      streams.clear();
    },
  });
}

/**
 * Reads the daemon's event stream, reopening it with a growing delay whenever it drops, and
 * reports the link itself as connectionChanged events (as the contract asks of a transport).
 */
function followEvents(connection: ControlConnection, listener: (event: unknown) => void): () => void {
  let stopped = false;
  let current: AbortController | null = null;
  let wake: (() => void) | null = null;
  void (async () => {
    let failures = 0;
    while (!stopped) {
      const abort = new AbortController();
      current = abort;
      let connected = false;
      try {
        const answer = await fetch(`${connection.url}${CONTROL_EVENTS_PATH}`, {
          headers: { Authorization: `Bearer ${connection.token}`, Accept: 'text/event-stream' },
          signal: abort.signal,
        });
        if (!answer.ok || answer.body === null) throw new Error(`HTTP ${answer.status}`);
        connected = true;
        failures = 0;
        listener({ kind: 'connectionChanged', connected: true });
        const decoder = new TextDecoder();
        const parser = new ServerSentEventParser();
        for await (const piece of answer.body) {
          for (const data of parser.push(decoder.decode(piece as Uint8Array, { stream: true }))) {
            try {
              listener(JSON.parse(data));
            } catch {
              // Not JSON: createSyncApi would drop it as a contract breach anyway.
            }
          }
        }
      } catch {
        // The stream failed or was stopped; the loop decides.
      }
      if (connected) listener({ kind: 'connectionChanged', connected: false });
      if (stopped) return;
      failures += 1;
      const delay = Math.min(10_000, 250 * 2 ** Math.min(failures, 6)) * (0.75 + Math.random() / 4);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  })();
  return () => {
    stopped = true;
    current?.abort();
    (wake as (() => void) | null)?.();
  };
}
