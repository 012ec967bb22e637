// The sentence the UI shows for each error code of the SyncApi: the code, never the message, is
// the contract, so every code has its own translated sentence. The service's message (English,
// technical) may follow it as a detail where it adds something.

import type { ApiErrorCode, ConnectCause } from '../../shared/api/index.js';
import { SyncApiError, connectCauseOf } from '../../shared/api/index.js';
import type { MessageKey } from '../i18n/en.js';
import type { MessageParams } from '../i18n/translate.js';

function unhandled(code: never): never {
  throw new Error(`unhandled error code: ${String(code)}`);
}

/** 'login': the connect screen's attempt; 'operation': anything else. */
export type ErrorContext = 'login' | 'operation';

export function errorMessageKey(code: ApiErrorCode, context: ErrorContext): MessageKey {
  switch (code) {
    case 'not-logged-in':
      return 'error.notLoggedIn';
    case 'wrong-password':
      return 'error.wrongPassword';
    case 'unreachable':
      return context === 'login' ? 'error.unreachable.login' : 'error.unreachable';
    case 'not-cairn-server':
      return 'error.notCairnServer';
    case 'certificate':
      return 'error.certificate';
    case 'rate-limited':
      return 'error.rateLimited';
    case 'not-found':
      return 'error.notFound';
    case 'invalid-argument':
      return context === 'login' ? 'error.invalidArgument.login' : 'error.invalidArgument';
    case 'conflict':
      return 'error.conflict';
    case 'forbidden':
      return 'error.forbidden';
    case 'storage-full':
      return 'error.storageFull';
    case 'unauthorized':
      return 'error.unauthorized';
    case 'payload-too-large':
      return 'error.payloadTooLarge';
    case 'unavailable':
      return 'error.unavailable';
    case 'internal':
      return 'error.internal';
    default:
      return unhandled(code);
  }
}

/** Whether the service's own message is worth showing under the sentence. */
export function showsDetail(code: ApiErrorCode): boolean {
  // The sentence of these says all there is; the rest benefit from the specifics (which folder
  // overlaps, what the network said, which field is invalid).
  return code !== 'wrong-password' && code !== 'not-logged-in' && code !== 'unauthorized';
}

/** What a SyncApi call rejected with, as a SyncApiError (it rejects only with those, but a UI bug may throw anything). */
export function toApiError(caught: unknown): SyncApiError {
  return caught instanceof SyncApiError ? caught : new SyncApiError('internal', caught instanceof Error ? caught.message : String(caught));
}

const CONNECT_CAUSE_KEYS: Readonly<Record<ConnectCause, MessageKey>> = {
  refused: 'connect.cause.refused',
  dns: 'connect.cause.dns',
  timeout: 'connect.cause.timeout',
  reset: 'connect.cause.reset',
  network: 'connect.cause.network',
  'html-page': 'connect.cause.htmlPage',
  'other-answer': 'connect.cause.otherAnswer',
  'wrong-path': 'connect.cause.wrongPath',
  'https-to-http-port': 'connect.cause.httpsToHttpPort',
  'http-to-https-port': 'connect.cause.httpToHttpsPort',
  'self-signed': 'connect.cause.selfSigned',
  expired: 'connect.cause.expired',
  'wrong-name': 'connect.cause.wrongName',
  untrusted: 'connect.cause.untrusted',
};

/**
 * The sentence naming why connecting to `serverUrl` failed, when the error carries a connect
 * cause (a login's unreachable, not-cairn-server or certificate error); null otherwise.
 */
export function connectCauseMessage(error: SyncApiError, serverUrl: string): { key: MessageKey; params: MessageParams } | null {
  const cause = connectCauseOf(error);
  if (cause === null) return null;
  let url: URL | null;
  try {
    url = new URL(serverUrl.trim());
  } catch {
    url = null;
  }
  const params = url === null ? { place: serverUrl, host: serverUrl, path: '/', origin: serverUrl } : { place: url.host, host: url.hostname, path: url.pathname, origin: url.origin };
  return { key: CONNECT_CAUSE_KEYS[cause], params };
}
