// The SyncApi over the daemon's local control API, for the UI running in a plain browser (and
// for tests). Requests are POSTs of JSON carrying the control token as a Bearer header (the
// page took it from the daemon's link: see controlToken.ts); events arrive over a stream that
// is reopened with backoff whenever it drops. The stream is read with fetch rather than the
// browser's EventSource, which cannot send a header. Browser code only: fetch and the event
// source are injected or taken from the page.

import type { OperationName, SyncApi, SyncApiTransport, Unsubscribe } from '../../shared/api/index.js';
import { CONTROL_EVENTS_PATH, SyncApiError, apiErrorFromBody, controlApiPath, createSyncApi } from '../../shared/api/index.js';
import { ServerSentEventParser } from '../../shared/serverSentEvents.js';

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

/** The part of fetch the event stream uses: a GET whose body is read as a stream. */
export type StreamFetchLike = (
  url: string,
  init: { headers: Record<string, string>; signal: AbortSignal; credentials: 'same-origin'; cache: 'no-store' },
) => Promise<{ readonly ok: boolean; readonly body: ReadableStream<Uint8Array> | null }>;

/**
 * An EventSource over fetch, so the stream carries the same headers as the calls (the
 * browser's own EventSource sends no Authorization header). It opens on a 2xx answer, hands
 * on each event's data, and reports 'error' once when the stream fails or ends; close() stops
 * it without an 'error'.
 */
export function fetchEventSource(headers: Readonly<Record<string, string>>, fetchImplementation: StreamFetchLike): EventSourceConstructor {
  return class FetchEventSource implements EventSourceLike {
    private readonly listeners = new Map<string, ((event: EventLike) => void)[]>();
    private readonly stopped = new AbortController();

    constructor(url: string) {
      // Started after the constructor returns, so the caller's listeners are in place first.
      void Promise.resolve().then(() => this.run(url));
    }

    addEventListener(type: 'open' | 'message' | 'error', listener: (event: EventLike) => void): void {
      this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
    }

    close(): void {
      this.stopped.abort();
    }

    private emit(type: 'open' | 'message' | 'error', data?: string): void {
      if (this.stopped.signal.aborted) return;
      for (const listener of this.listeners.get(type) ?? []) listener(data === undefined ? { type } : { type, data });
    }

    private async run(url: string): Promise<void> {
      try {
        const answer = await fetchImplementation(url, {
          headers: { ...headers, Accept: 'text/event-stream' },
          signal: this.stopped.signal,
          credentials: 'same-origin',
          cache: 'no-store',
        });
        if (!answer.ok || answer.body === null) throw new Error('the event stream was refused');
        this.emit('open');
        const reader = answer.body.getReader();
        const decoder = new TextDecoder();
        const parser = new ServerSentEventParser();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          for (const data of parser.push(decoder.decode(value, { stream: true }))) this.emit('message', data);
        }
      } catch {
        // Reported below as the stream's end, like EventSource does.
      }
      this.emit('error');
    }
  };
}

export interface HttpSyncApiOptions {
  /** The daemon's control token, sent as a Bearer header; without it the daemon answers unauthorized. */
  readonly token?: string;
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
  const authorization: Record<string, string> = options.token === undefined ? {} : { Authorization: `Bearer ${options.token}` };
  const EventSourceImplementation: EventSourceConstructor | undefined =
    options.EventSource ?? (typeof globalThis.fetch === 'function' ? fetchEventSource(authorization, (url, init) => globalThis.fetch(url, init)) : undefined);
  const reconnect = options.reconnect ?? DEFAULT_RECONNECT;
  const onBug = options.onBug ?? (() => undefined);

  const call = async (name: OperationName, request: unknown): Promise<unknown> => {
    const url = `${root}${controlApiPath(name)}`;
    let answer: Awaited<ReturnType<FetchLike>>;
    let text: string;
    try {
      answer = await fetchImplementation(url, {
        method: 'POST',
        headers: { ...authorization, 'Content-Type': 'application/json', Accept: 'application/json' },
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
    if (EventSourceImplementation === undefined) throw new Error('no fetch or EventSource here: pass one in the options');
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
