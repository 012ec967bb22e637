// The only door from the renderer into main: one ipcMain handler per SyncApi operation. Each
// checks who is calling (the app's own window, its top frame, showing the app's index.html),
// validates the request against the operation's schema, calls the SyncApi and answers a bridge
// envelope, so that error codes survive the trip (a rejected invoke would arrive as a bare
// message). Events go the other way, to the window, on SYNC_EVENTS_CHANNEL.

import type { SyncApi, SyncApiMethods, Unsubscribe } from '../../shared/api/index.js';
import {
  OPERATION_NAMES,
  SYNC_EVENTS_CHANNEL,
  SyncApiError,
  errorEnvelope,
  invalidArgumentError,
  invokeOperation,
  okEnvelope,
  syncApiChannel,
  syncApiOperations,
  toApiErrorBody,
} from '../../shared/api/index.js';
import type { BridgeEnvelope } from '../../shared/api/index.js';

/** The part of an IpcMainInvokeEvent the checks read. */
export interface IpcSenderEvent {
  readonly sender: { readonly id: number };
  /** Null when the frame navigated away or was destroyed before the message was handled. */
  readonly senderFrame: { readonly url: string; readonly parent: unknown } | null;
}

/** The part of Electron's ipcMain used here. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcSenderEvent, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

/** Who may call: the app window's webContents (null while there is none) and its page. */
export interface TrustedRenderer {
  readonly webContentsId: number | null;
  /** The file:// URL of the app's index.html. */
  readonly indexUrl: string;
}

/** Why a sender is refused, or null when it is the app's own page. */
export function senderRefusal(event: IpcSenderEvent, trusted: TrustedRenderer): string | null {
  if (trusted.webContentsId === null || event.sender.id !== trusted.webContentsId) return 'the sender is not the Cairn window';
  const frame = event.senderFrame;
  if (frame === null) return 'the sending frame is gone';
  if (frame.parent !== null) return 'the sender is a sub-frame';
  if (withoutFragment(frame.url) !== withoutFragment(trusted.indexUrl)) return `the sending page is ${frame.url}, not the Cairn page`;
  return null;
}

/** The page may route with the URL's fragment; everything before it must match exactly. */
function withoutFragment(url: string): string {
  const hash = url.indexOf('#');
  return hash === -1 ? url : url.slice(0, hash);
}

export interface SyncApiHandlersOptions {
  readonly ipcMain: IpcMainLike;
  readonly api: SyncApiMethods;
  /** Operations main answers itself for its window (the folder dialog), never forwarded to the engine. */
  readonly local?: Partial<SyncApiMethods>;
  readonly trustedRenderer: () => TrustedRenderer;
  readonly log: (line: string) => void;
}

/** Answers one invoke; exported for the tests, which call it without Electron. */
export async function handleSyncApiCall(options: SyncApiHandlersOptions, name: (typeof OPERATION_NAMES)[number], event: IpcSenderEvent, args: readonly unknown[]): Promise<BridgeEnvelope> {
  const refusal = senderRefusal(event, options.trustedRenderer());
  if (refusal !== null) {
    options.log(`refused ${syncApiChannel(name)}: ${refusal}`);
    return errorEnvelope(toApiErrorBody(new SyncApiError('forbidden', `refused: ${refusal}`)));
  }
  if (args.length !== 1) {
    return errorEnvelope(toApiErrorBody(new SyncApiError('invalid-argument', `${name} takes exactly one request object, not ${args.length} arguments`)));
  }
  const parsed = syncApiOperations[name].request.safeParse(args[0]);
  if (!parsed.success) return errorEnvelope(toApiErrorBody(invalidArgumentError(`${name} request`, parsed.error)));
  try {
    const local = options.local?.[name];
    return okEnvelope(await invokeOperation(local === undefined ? options.api : ({ [name]: local } as unknown as SyncApiMethods), name, parsed.data));
  } catch (error) {
    if (!(error instanceof SyncApiError)) options.log(`bug in ${name}: ${(error as Error)?.stack ?? String(error)}`);
    return errorEnvelope(toApiErrorBody(error));
  }
}

/** Registers one handler per operation; the returned function removes them all. */
export function registerSyncApiHandlers(options: SyncApiHandlersOptions): Unsubscribe {
  for (const name of OPERATION_NAMES) {
    options.ipcMain.handle(syncApiChannel(name), (event, ...args) => handleSyncApiCall(options, name, event, args));
  }
  return () => {
    for (const name of OPERATION_NAMES) options.ipcMain.removeHandler(syncApiChannel(name));
  };
}

/** The part of a WebContents events are sent to. */
export interface EventTargetLike {
  send(channel: string, payload: unknown): void;
  isDestroyed(): boolean;
}

/** Forwards every SyncEvent to the window's page while there is one. */
export function forwardSyncEvents(api: Pick<SyncApi, 'subscribe'>, target: () => EventTargetLike | null): Unsubscribe {
  return api.subscribe((event) => {
    const contents = target();
    if (contents !== null && !contents.isDestroyed()) contents.send(SYNC_EVENTS_CHANNEL, event);
  });
}
