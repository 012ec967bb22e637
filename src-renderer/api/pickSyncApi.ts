// The one place that knows which transport the UI runs on: inside the desktop app the preload
// defines `window.cairn` (Electron IPC); in a plain browser the page was served by the daemon,
// whose control API is on the same origin, and the page holds its control token (taken from
// the daemon's link: controlToken.ts). Everything else sees only a SyncApi.

import type { CairnBridge, SyncApi } from '../../shared/api/index.js';
import { BRIDGE_GLOBAL, createBridgeTransport, createSyncApi } from '../../shared/api/index.js';
import { takeControlToken } from './controlToken.js';
import type { TokenPage } from './controlToken.js';
import { createHttpSyncApi } from './httpSyncApi.js';
import type { HttpSyncApiOptions } from './httpSyncApi.js';

export type Transport = 'bridge' | 'http';

function isCairnBridge(value: unknown): value is CairnBridge {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<Record<keyof CairnBridge, unknown>>;
  return typeof candidate.invoke === 'function' && typeof candidate.onEvent === 'function';
}

export interface PickedSyncApi {
  readonly api: SyncApi;
  readonly transport: Transport;
}

export interface PickSyncApiOptions {
  /** Where the preload puts the bridge: the page's global object. */
  readonly scope: object;
  readonly http?: HttpSyncApiOptions;
  readonly onBug?: (error: Error) => void;
}

export function pickSyncApi(options: PickSyncApiOptions): PickedSyncApi {
  const onBug = options.onBug ?? ((error: Error) => console.error('Cairn: sync API contract violation', error));
  const bridge: unknown = (options.scope as Record<string, unknown>)[BRIDGE_GLOBAL];
  if (isCairnBridge(bridge)) return { api: createSyncApi(createBridgeTransport(bridge), { onBug }), transport: 'bridge' };
  const token = isTokenPage(options.scope) ? takeControlToken(options.scope) : undefined;
  return { api: createHttpSyncApi('', { onBug, ...(token === undefined ? {} : { token }), ...options.http }), transport: 'http' };
}

function isTokenPage(scope: object): scope is TokenPage {
  const candidate = scope as Partial<Record<keyof TokenPage, unknown>>;
  return typeof candidate.location === 'object' && candidate.location !== null && typeof candidate.history === 'object' && candidate.history !== null;
}
