// Builds a SyncApi on top of any transport that can carry a named request and a stream of
// events: the daemon's HTTP control API in a browser, Electron IPC in the desktop app. The
// transport moves untyped values; this module checks every answer and every event against
// the contract at the door, so nothing unchecked reaches the UI.

import type { SyncEvent, SyncEventListener, Unsubscribe } from './events.js';
import { syncEventSchema } from './events.js';
import { SyncApiError } from './errors.js';
import type { OperationName, SyncApi } from './operations.js';
import { OPERATION_NAMES, syncApiOperations } from './operations.js';

/** What a transport must do; both methods move raw values, createSyncApi validates them. */
export interface SyncApiTransport {
  /** Sends one request; resolves with the raw answer, rejects with a SyncApiError. */
  call(name: OperationName, request: unknown): Promise<unknown>;
  /** Delivers raw events in order until the returned function is called. */
  subscribe(listener: (event: unknown) => void): Unsubscribe;
}

export interface CreateSyncApiOptions {
  /**
   * Told about bugs on either side: an answer or event that breaks the contract, a listener
   * that threw, a transport that rejected with something other than a SyncApiError.
   */
  readonly onBug?: (error: Error) => void;
}

export function createSyncApi(transport: SyncApiTransport, options: CreateSyncApiOptions = {}): SyncApi {
  const onBug = options.onBug ?? (() => undefined);
  const methods: Record<string, (request: unknown) => Promise<unknown>> = {};

  for (const name of OPERATION_NAMES) {
    const schema = syncApiOperations[name].response;
    methods[name] = async (request: unknown) => {
      let raw: unknown;
      try {
        raw = await transport.call(name, request);
      } catch (error) {
        if (error instanceof SyncApiError) throw error;
        const bug = error instanceof Error ? error : new Error(String(error));
        onBug(bug);
        throw new SyncApiError('internal', `the ${name} call failed in its transport: ${bug.message}`);
      }
      const parsed = schema.safeParse(raw);
      if (!parsed.success) {
        const bug = new SyncApiError('internal', `the answer to ${name} does not match the contract: ${parsed.error.message}`);
        onBug(bug);
        throw bug;
      }
      return parsed.data;
    };
  }

  // One transport subscription serves every listener; it starts with the first listener and
  // stops with the last. A listener added while the stream is open hears events from then on
  // (it should read getStatus after subscribing).
  const subscriptions = new Set<{ readonly listener: SyncEventListener }>();
  let stopTransport: Unsubscribe | null = null;

  const deliver = (raw: unknown) => {
    const parsed = syncEventSchema.safeParse(raw);
    if (!parsed.success) {
      onBug(new Error(`an event does not match the contract and was dropped: ${parsed.error.message}`));
      return;
    }
    const event: SyncEvent = parsed.data;
    for (const subscription of [...subscriptions]) {
      try {
        subscription.listener(event);
      } catch (error) {
        onBug(error instanceof Error ? error : new Error(String(error)));
      }
    }
  };

  const subscribe = (listener: SyncEventListener): Unsubscribe => {
    const subscription = { listener };
    subscriptions.add(subscription);
    stopTransport ??= transport.subscribe(deliver);
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      subscriptions.delete(subscription);
      if (subscriptions.size === 0 && stopTransport !== null) {
        const stop = stopTransport;
        stopTransport = null;
        stop();
      }
    };
  };

  return { ...methods, subscribe } as unknown as SyncApi;
}
