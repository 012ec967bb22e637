// The SyncApi over the daemon's local control API, for the UI running in a plain browser (and
// for tests). Requests are POSTs of JSON with the browser's cookie (set by the daemon's printed
// link); events arrive over an EventSource that is reopened with backoff whenever it drops.
// Browser code only: fetch and EventSource are injected or taken from the page.

import type { OperationName, SyncApi, SyncApiTransport, Unsubscribe } from '../../shared/api/index.js';
import { CONTROL_EVENTS_PATH, SyncApiError, apiErrorFromBody, controlApiPath, createSyncApi } from '../../shared/api/index.js';

/** The part of fetch this client uses; the page's fetch and undici's both fit. */
export type FetchLike = (
  url: string,
  init: {
    method: 'POST';
    headers: Record<string, string>;
    body: string;
    credentials: 'same-origin';
  },
) => Promise<{ readonly ok: boolean; readonly status: number; text(): Promise<string> }>;

/** What an EventSource hands its listeners; for 'message' events, `data` is the text sent. */
export interface EventLike {
  readonly type?: string;
  readonly data?: unknown;
}

/** The part of EventSource this client uses; the page's and undici's both fit. */
export interface EventSourceLike {
  addEventListener(type: 'open' | 'message' | 'error', listener: (event: EventLike) => void): void;
  close(): void;
}
export type EventSourceConstructor = new (url: string) => EventSourceLike;

export interface ReconnectPolicy {
  /** Wait before the first reconnection attempt; doubled after each failure. */
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RECONNECT: ReconnectPolicy = { initialDelayMs: 500, maxDelayMs: 30_000 };

export interface HttpSyncApiOptions {
  readonly fetch?: FetchLike;
  readonly EventSource?: EventSourceConstructor;
  readonly reconnect?: ReconnectPolicy;
  /** Told about contract violations and listener failures (see createSyncApi). Default: console.error. */
  readonly onBug?: (error: Error) => void;
}

/**
 * A SyncApi talking to the daemon at baseUrl ('' for the page's own origin, which is how the UI
 * runs when the daemon serves it).
 */
export function createHttpSyncApi(baseUrl = '', options: HttpSyncApiOptions = {}): SyncApi {
  const onBug = options.onBug ?? ((error: Error) => console.error('Cairn: sync API contract violation', error));
  return createSyncApi(createHttpTransport(baseUrl, { ...options, onBug }), { onBug });
}

export function createHttpTransport(baseUrl: string, options: HttpSyncApiOptions = {}): SyncApiTransport {
  const root = baseUrl.replace(/\/+$/, '');
  const fetchImplementation: FetchLike = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  const EventSourceImplementation: EventSourceConstructor | undefined = options.EventSource ?? globalThis.EventSource;
  const reconnect = options.reconnect ?? DEFAULT_RECONNECT;
  const onBug = options.onBug ?? (() => undefined);

  const call = async (name: OperationName, request: unknown): Promise<unknown> => {
    const url = `${root}${controlApiPath(name)}`;
    let answer: Awaited<ReturnType<FetchLike>>;
    let text: string;
    try {
      answer = await fetchImplementation(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(request),
        credentials: 'same-origin',
      });
      text = await answer.text();
    } catch (error) {
      throw new SyncApiError('unavailable', `the Cairn service at ${root === '' ? 'this address' : root} cannot be reached: ${(error as Error).message}`);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!answer.ok) throw apiErrorFromBody(body, answer.status);
    if (body === undefined) throw new SyncApiError('internal', `the answer to ${name} is not JSON`);
    return body;
  };

  const subscribe = (listener: (event: unknown) => void): Unsubscribe => {
    if (EventSourceImplementation === undefined) throw new Error('no EventSource here: pass one in the options');
    const url = `${root}${CONTROL_EVENTS_PATH}`;
    let source: EventSourceLike | null = null;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let failures = 0;
    let connected = false;
    let stopped = false;

    // The browser's own EventSource retries at a fixed pace, and not at all after some errors;
    // this one is closed on any error and reopened after a growing delay instead.
    const open = () => {
      timer = null;
      if (stopped) return;
      const current = new EventSourceImplementation(url);
      source = current;
      current.addEventListener('open', () => {
        if (source !== current) return;
        failures = 0;
        connected = true;
        listener({ kind: 'connectionChanged', connected: true });
      });
      current.addEventListener('message', (message) => {
        if (source !== current) return;
        let event: unknown;
        try {
          event = JSON.parse(String(message.data));
        } catch {
          onBug(new Error('an event of the control API is not JSON; it was dropped'));
          return;
        }
        listener(event);
      });
      current.addEventListener('error', () => {
        if (source !== current) return;
        current.close();
        source = null;
        if (connected) {
          connected = false;
          listener({ kind: 'connectionChanged', connected: false });
        }
        if (stopped) return;
        const delay = Math.min(reconnect.maxDelayMs, reconnect.initialDelayMs * 2 ** Math.min(failures, 30));
        failures++;
        // Up to a quarter of jitter, so many pages do not all reconnect at the same instant.
        timer = setTimeout(open, delay * (1 + Math.random() / 4));
      });
    };
    open();

    return () => {
      if (stopped) return;
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      source?.close();
      source = null;
    };
  };

  return { call, subscribe };
}
