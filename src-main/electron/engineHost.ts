// The engine host: the daemon (engine, watcher, control API for the CLI) run inside the desktop
// app's utility process, so hashing and disk walks never stall the window. Plain Node: it talks
// to main only through a HostPort (Electron's parentPort in the app, a child-process channel in
// tests) with the messages of hostProtocol.ts, and asks main for the keychain and the file
// manager, which only Electron's main process has.

import path from 'node:path';
import type { SyncEvent } from '../../shared/api/index.js';
import { SyncApiError, errorEnvelope, invalidArgumentError, invokeOperation, isOperationName, okEnvelope, syncApiOperations, toApiErrorBody } from '../../shared/api/index.js';
import { startDaemonService } from '../daemon/daemonService.js';
import type { DaemonService } from '../daemon/daemonService.js';
import { ProfileLockedError } from '../profile/profileLock.js';
import { ENCRYPTED_CREDENTIALS_FILE, encryptedSecretStore } from './encryptedSecretStore.js';
import { hostRequestAnswerSchemas, mainToHostSchema } from './hostProtocol.js';
import type { HostArguments, HostRequestMethod, HostRequests, HostToMainMessage } from './hostProtocol.js';

/** The host's end of the channel to main. */
export interface HostPort {
  post(message: HostToMainMessage): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Main went away (the channel closed); the host stops. */
  onDisconnect(listener: () => void): void;
}

/** The credentials file name the engine uses by default (the CLI's plain file). */
const PLAIN_CREDENTIALS_FILE = 'credentials';

/**
 * Runs the engine until main says stop or goes away. Resolves with the exit code: 0 after a
 * clean stop, 1 when the engine could not start (a 'failed' message said why).
 */
export async function runEngineHost(port: HostPort, options: HostArguments): Promise<number> {
  const log = (line: string) => port.post({ type: 'log', line });
  let nextRequestId = 1;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void; method: HostRequestMethod }>();
  let service: DaemonService | null = null;
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  let stopping: Promise<void> | null = null;

  const requestMain = <Method extends HostRequestMethod>(method: Method, argument: string): Promise<HostRequests[Method]['answer']> =>
    new Promise((resolve, reject) => {
      const id = nextRequestId++;
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject, method });
      port.post({ type: 'request', id, method, argument });
    });

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      for (const request of pending.values()) request.reject(new Error('the engine is stopping'));
      pending.clear();
      try {
        await service?.stop();
      } finally {
        port.post({ type: 'stopped' });
        finish(0);
      }
    })();
    return stopping;
  };

  const answerCall = async (id: number, name: string, request: unknown): Promise<void> => {
    if (service === null || stopping !== null) {
      port.post({ type: 'answer', id, envelope: errorEnvelope(toApiErrorBody(new SyncApiError('unavailable', 'the sync engine is not running'))) });
      return;
    }
    if (!isOperationName(name)) {
      port.post({ type: 'answer', id, envelope: errorEnvelope(toApiErrorBody(new SyncApiError('invalid-argument', `unknown operation ${name}`))) });
      return;
    }
    const parsed = syncApiOperations[name].request.safeParse(request);
    if (!parsed.success) {
      port.post({ type: 'answer', id, envelope: errorEnvelope(toApiErrorBody(invalidArgumentError(`${name} request`, parsed.error))) });
      return;
    }
    try {
      port.post({ type: 'answer', id, envelope: okEnvelope(await invokeOperation(service.api, name, parsed.data)) });
    } catch (error) {
      if (!(error instanceof SyncApiError)) log(`bug in ${name}: ${(error as Error)?.stack ?? String(error)}`);
      port.post({ type: 'answer', id, envelope: errorEnvelope(toApiErrorBody(error)) });
    }
  };

  port.onMessage((raw) => {
    const parsed = mainToHostSchema.safeParse(raw);
    if (!parsed.success) {
      log(`ignored a message from main that is not one of ours: ${parsed.error.message}`);
      return;
    }
    const message = parsed.data;
    switch (message.type) {
      case 'call':
        void answerCall(message.id, message.name, message.request);
        return;
      case 'reply': {
        const request = pending.get(message.id);
        if (request === undefined) return;
        pending.delete(message.id);
        if (!message.ok) {
          request.reject(new Error(message.message));
          return;
        }
        const answer = hostRequestAnswerSchemas[request.method].safeParse(message.value);
        if (answer.success) request.resolve(answer.data);
        else request.reject(new Error(`main answered ${request.method} with something unexpected`));
        return;
      }
      case 'stop':
        void stop();
        return;
      default:
        message satisfies never;
    }
  });
  port.onDisconnect(() => void stop());

  const secretStore =
    options.secrets === 'safe-storage'
      ? encryptedSecretStore({
          file: path.join(options.home, ENCRYPTED_CREDENTIALS_FILE),
          plainFile: path.join(options.home, PLAIN_CREDENTIALS_FILE),
          cipher: { encrypt: (plain) => requestMain('encrypt', plain), decrypt: (cipherText) => requestMain('decrypt', cipherText) },
          log,
        })
      : undefined;

  try {
    const started = await startDaemonService({
      home: options.home,
      ...(secretStore === undefined ? {} : { secretStore }),
      openPath: async (absolutePath) => {
        await requestMain('openPath', absolutePath);
      },
      log,
    });
    if (stopping !== null) {
      // Main asked to stop while the engine was starting.
      await started.stop();
      return finished;
    }
    service = started;
  } catch (error) {
    const locked = error instanceof ProfileLockedError;
    port.post({ type: 'failed', reason: locked ? 'profile-locked' : 'error', message: (error as Error)?.message ?? String(error) });
    if (!locked) log(`the engine could not start: ${(error as Error)?.stack ?? String(error)}`);
    return 1;
  }

  // Subscribe before reading the status, so that nothing happens between the two unseen; the
  // status then opens the stream like the control API's does.
  const publish = (event: SyncEvent) => port.post({ type: 'event', event });
  service.api.subscribe(publish);
  port.post({ type: 'ready', controlUrl: service.url });
  log(`engine running on profile ${options.home}; watching with ${service.watcherDescription}; control API ${service.url}`);
  try {
    publish({ kind: 'statusChanged', status: await service.api.getStatus({}) });
  } catch (error) {
    log(`could not read the first status: ${(error as Error)?.message ?? String(error)}`);
  }
  return finished;
}
