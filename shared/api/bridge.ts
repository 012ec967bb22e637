// The desktop app's bridge: what the Electron preload exposes to the renderer (as
// `window.cairn`), and the SyncApi transport built on it. The preload stays tiny and knows only
// channel names; the main process validates every request against the contract, and the
// renderer validates every answer and event (createSyncApi), so the bridge itself moves untyped
// values. Errors cross IPC as an envelope because Electron flattens a rejected invoke into a
// message string, which would lose the error code the UI depends on.

import { z } from 'zod';
import type { ApiErrorBody } from './errors.js';
import { SyncApiError, apiErrorBodySchema, apiErrorFromBody } from './errors.js';
import type { SyncApiTransport } from './createSyncApi.js';
import type { SyncApiChannel, OperationName } from './operations.js';
import { syncApiChannel } from './operations.js';
import type { Unsubscribe } from './events.js';

/** The name of the global the preload defines in the renderer (`window.cairn`). */
export const BRIDGE_GLOBAL = 'cairn';

/** What an IPC handler answers: the value, or the error body. */
export type BridgeEnvelope = { readonly ok: true; readonly value: unknown } | ({ readonly ok: false } & ApiErrorBody);

export const bridgeEnvelopeSchema = z.union([
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false) }).extend(apiErrorBodySchema.shape),
]);

/** The preload's surface. Nothing else of Electron or Node reaches the page. */
export interface CairnBridge {
  /** Calls one operation; resolves with a BridgeEnvelope (never rejects for an API error). */
  invoke(channel: SyncApiChannel, request: unknown): Promise<unknown>;
  /** Delivers raw SyncEvents pushed by the main process until the returned function is called. */
  onEvent(listener: (event: unknown) => void): Unsubscribe;
}

/** Wraps a handler's outcome for the trip over IPC. */
export function okEnvelope(value: unknown): BridgeEnvelope {
  return { ok: true, value };
}

export function errorEnvelope(body: ApiErrorBody): BridgeEnvelope {
  return { ok: false, ...body };
}

/** A SyncApiTransport over the preload's bridge; pass it to createSyncApi. */
export function createBridgeTransport(bridge: CairnBridge): SyncApiTransport {
  return {
    async call(name: OperationName, request: unknown): Promise<unknown> {
      let raw: unknown;
      try {
        raw = await bridge.invoke(syncApiChannel(name), request);
      } catch (error) {
        throw new SyncApiError('unavailable', `the Cairn service did not answer ${name}: ${(error as Error)?.message ?? String(error)}`);
      }
      const envelope = bridgeEnvelopeSchema.safeParse(raw);
      if (!envelope.success) throw new SyncApiError('internal', `the answer to ${name} is not a bridge envelope`);
      if (envelope.data.ok) return envelope.data.value;
      throw apiErrorFromBody({ error: envelope.data.error }, null);
    },
    subscribe(listener: (event: unknown) => void): Unsubscribe {
      return bridge.onEvent(listener);
    },
  };
}
