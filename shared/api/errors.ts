// Errors across the SyncApi boundary (Electron IPC or the daemon's local control API). The code,
// never the message, is the contract: the UI picks its sentence and its action from the code.
// One function maps an error to its wire body (toApiErrorBody), one maps a wire body back to an
// error (apiErrorFromBody); apiErrorStatus gives the HTTP status of a code and apiErrorAction
// what the caller should do about it.

import { z } from 'zod';
import { errorEnvelopeSchema, validationDetailsSchema, validationIssues } from '../protocol/errors.js';
import type { ErrorAction, ValidationDetails } from '../protocol/errors.js';

export const API_ERROR_CODES = [
  /** No account on this device yet, or it was logged out: show the connect screen. */
  'not-logged-in',
  /** The Cairn server refused the user name or password. */
  'wrong-password',
  /** The Cairn server cannot be reached (offline, wrong address, refused, timed out). */
  'unreachable',
  /** Something answered at the address, but it is not a Cairn server. */
  'not-cairn-server',
  /** The Cairn server's TLS certificate was refused (expired, self-signed, wrong name). */
  'certificate',
  /** The Cairn server asks us to slow down (too many login attempts, for example). */
  'rate-limited',
  /** The library, conflict or folder named does not exist (any more). */
  'not-found',
  /** The request does not match the contract, or names something unusable (a relative folder). */
  'invalid-argument',
  /** The request clashes with the current state (already synced, overlapping folders, changed meanwhile). */
  'conflict',
  /** The caller may not do this: a read-only library, or a request from a foreign web origin. */
  'forbidden',
  /** The server refused to store more: the library owner's storage is full (details: usedBytes, quotaBytes). */
  'storage-full',
  /** The control API's token is missing or wrong: open the link the daemon printed again. */
  'unauthorized',
  /** The request body is larger than the control API accepts. */
  'payload-too-large',
  /** The sync service (the daemon or the app's main process) cannot be reached or is stopping. */
  'unavailable',
  /** A bug: the message says what failed; the details are in the service's log. */
  'internal',
] as const;

export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

export const apiErrorCodeSchema = z.enum(API_ERROR_CODES);

/**
 * Why connecting to a Cairn server failed, when it did (details.cause of a login's
 * `unreachable`, `not-cairn-server`, `certificate` error): the UI and `cairn login` name it.
 */
export const CONNECT_CAUSES = [
  /** Nothing listens at that port (connection refused). */
  'refused',
  /** The host name is unknown (DNS). */
  'dns',
  /** The server accepted the connection but did not answer in time. */
  'timeout',
  /** The connection was cut before an answer. */
  'reset',
  /** Any other network failure (no route to the host, network down). */
  'network',
  /** A web page (HTML) answered: a web server or a portal, not Cairn. */
  'html-page',
  /** Something else answered (JSON or text that is not Cairn's protocol). */
  'other-answer',
  /** The address has a path the server does not know (Cairn answers at its root). */
  'wrong-path',
  /** https:// was used, but the port speaks plain HTTP. */
  'https-to-http-port',
  /** http:// was used, but the port speaks HTTPS (TLS). */
  'http-to-https-port',
  /** The certificate is self-signed (or signed by an authority this computer does not trust). */
  'self-signed',
  /** The certificate has expired or is not valid yet. */
  'expired',
  /** The certificate was issued for another host name. */
  'wrong-name',
  /** Any other refused certificate. */
  'untrusted',
] as const;

export type ConnectCause = (typeof CONNECT_CAUSES)[number];

export const connectCauseSchema = z.enum(CONNECT_CAUSES);

/** The connect cause an error carries (details.cause), or null. */
export function connectCauseOf(error: { readonly details?: Readonly<Record<string, unknown>> | undefined }): ConnectCause | null {
  const parsed = connectCauseSchema.safeParse(error.details?.['cause']);
  return parsed.success ? parsed.data : null;
}

/** The body of every failed answer of the control API, and of a failed IPC call. */
export const apiErrorBodySchema = errorEnvelopeSchema<typeof API_ERROR_CODES>(apiErrorCodeSchema);
export type ApiErrorBody = z.output<typeof apiErrorBodySchema>;

/** details of `invalid-argument` from schema validation: where in the request, and what is wrong. */
export const apiValidationDetailsSchema = validationDetailsSchema;
export type ApiValidationDetails = ValidationDetails;

/** The one error type a SyncApi call rejects with, on both sides of the boundary. */
export class SyncApiError extends Error {
  override readonly name = 'SyncApiError';

  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> | undefined = undefined,
  ) {
    super(message);
  }

  /** What the caller should do about it (see apiErrorAction). */
  get action(): ErrorAction {
    return apiErrorAction(this.code);
  }
}

export function isSyncApiError(error: unknown): error is SyncApiError {
  return error instanceof SyncApiError;
}

function unhandledCode(code: never): never {
  throw new Error(`unhandled API error code: ${String(code)}`);
}

/** The one mapping from an error code to what the caller should do. */
export function apiErrorAction(code: ApiErrorCode): ErrorAction {
  switch (code) {
    case 'unreachable':
    case 'rate-limited':
    case 'unavailable':
    case 'internal':
      return 'retry-later';
    case 'not-logged-in':
    case 'wrong-password':
    case 'not-cairn-server':
    case 'certificate':
    case 'not-found':
    case 'conflict':
    case 'forbidden':
    case 'storage-full':
    case 'unauthorized':
      return 'needs-user';
    case 'invalid-argument':
    case 'payload-too-large':
      return 'fatal';
    default:
      return unhandledCode(code);
  }
}

/** The one mapping from an error code to the control API's HTTP status. */
export function apiErrorStatus(code: ApiErrorCode): number {
  switch (code) {
    case 'invalid-argument':
      return 400;
    case 'unauthorized':
      return 401;
    case 'forbidden':
      return 403;
    case 'not-found':
      return 404;
    case 'conflict':
      return 409;
    case 'payload-too-large':
      return 413;
    // The account problems are failures of a well-formed request that only the user can fix.
    case 'not-logged-in':
    case 'wrong-password':
    case 'not-cairn-server':
    case 'certificate':
      return 422;
    case 'rate-limited':
      return 429;
    case 'internal':
      return 500;
    // The Cairn server behind the daemon could not be reached: a gateway failure.
    case 'unreachable':
      return 502;
    case 'unavailable':
      return 503;
    case 'storage-full':
      return 507;
    default:
      return unhandledCode(code);
  }
}

/** The code assumed for a failed answer that carries no error body of ours (a status alone). */
function codeForStatus(status: number): ApiErrorCode {
  switch (status) {
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not-found';
    case 409:
      return 'conflict';
    case 413:
      return 'payload-too-large';
    case 429:
      return 'rate-limited';
    case 502:
      return 'unreachable';
    case 503:
      return 'unavailable';
    case 507:
      return 'storage-full';
    default:
      return status >= 500 ? 'internal' : 'invalid-argument';
  }
}

/**
 * Error to wire: the body that carries an error across the boundary. A SyncApiError keeps its
 * code; anything else is a bug and becomes `internal` (the caller logs the stack: it never
 * crosses the boundary).
 */
export function toApiErrorBody(error: unknown): ApiErrorBody {
  if (error instanceof SyncApiError) {
    return error.details === undefined
      ? { error: { code: error.code, message: error.message } }
      : { error: { code: error.code, message: error.message, details: { ...error.details } } };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { error: { code: 'internal', message: `internal error: ${message}` } };
}

/**
 * Wire to error: the SyncApiError for a failed answer. `body` is the parsed answer (or undefined
 * when it was not JSON); `status` is the HTTP status, or null for transports without one (IPC).
 */
export function apiErrorFromBody(body: unknown, status: number | null): SyncApiError {
  const parsed = apiErrorBodySchema.safeParse(body);
  if (parsed.success) return new SyncApiError(parsed.data.error.code, parsed.data.error.message, parsed.data.error.details);
  if (status === null) return new SyncApiError('internal', 'the sync service answered an error without a code');
  return new SyncApiError(codeForStatus(status), `the sync service answered HTTP ${status} without an error body`);
}

/** Flattens zod issues into `invalid-argument` details: where, and what is wrong. */
export function invalidArgumentError(what: string, error: z.ZodError): SyncApiError {
  const { details, summary } = validationIssues(error);
  return new SyncApiError('invalid-argument', `invalid ${what}${summary}`, details);
}
