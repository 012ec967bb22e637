// Errors from talking to a Cairn server. Every failure of a server call, whether the server
// answered with an error body, answered something we could not understand, or could not be
// reached at all, becomes one RemoteError carrying a protocol error code and what the caller
// should do about it. Callers switch on `code` or `action`, never on messages.

import { errorAction, errorBodySchema, errorCodeForStatus } from '../../../shared/protocol/index.js';
import type { ErrorAction, ErrorCode } from '../../../shared/protocol/index.js';
import type { ConnectCause } from '../../../shared/api/errors.js';

/**
 * Why the server could not be reached, when it could not (for clear messages in the UI);
 * 'too-long': it answered more than a client reads (see PROTOCOL_LIMITS.maxAnswerBytes).
 */
export type TransportProblem = 'unreachable' | 'timeout' | 'certificate' | 'not-cairn' | 'reset' | 'too-long';

export class RemoteError extends Error {
  override readonly name = 'RemoteError';
  readonly action: ErrorAction;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly status: number | null,
    readonly details: Readonly<Record<string, unknown>> | undefined = undefined,
    readonly transport: TransportProblem | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.action = errorAction(code);
  }
}

/** Which kind of failure a cause belongs to (the SyncApi error code it travels under). */
export type ConnectFailure = 'unreachable' | 'not-cairn-server' | 'certificate';

/** A failed attempt to connect to a server, with its cause named (see connectError.ts, which diagnoses it). */
export class ConnectError extends Error {
  override readonly name = 'ConnectError';

  constructor(
    readonly failure: ConnectFailure,
    readonly connectCause: ConnectCause,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isRemoteError(error: unknown): error is RemoteError {
  return error instanceof RemoteError;
}

/** Builds the error for a non-2xx answer from its status and (maybe) error body. */
export function errorFromAnswer(status: number, bodyText: string): RemoteError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    parsed = undefined;
  }
  const body = errorBodySchema.safeParse(parsed);
  if (body.success) {
    return new RemoteError(body.data.error.code, body.data.error.message, status, body.data.error.details);
  }
  const code = errorCodeForStatus(status);
  return new RemoteError(code, `the server answered HTTP ${status} without a Cairn error body`, status, { answer: answerKind(bodyText) }, status === 404 ? 'not-cairn' : null);
}

/** What kind of text a server answered that is not Cairn's (details.answer), to name a non-Cairn server. */
export type AnswerKind = 'html' | 'json' | 'other';

export function answerKind(text: string): AnswerKind {
  const start = text.trimStart().slice(0, 200).toLowerCase();
  // Any markup but XML: web servers' error pages are often bare fragments (`<h1>Not Found</h1>`).
  if (/^<[a-z!]/.test(start)) return 'html';
  if (start.startsWith('{') || start.startsWith('[')) return 'json';
  return 'other';
}

const CERTIFICATE_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_NOT_YET_VALID',
]);

/** Every `code` along an error's cause chain (undici wraps the system error). */
export function errorCodesOf(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);
const RESET_CODES = new Set(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'UND_ERR_CLOSED']);

/** Turns an error thrown by the HTTP layer (no answer at all) into a RemoteError. */
export function errorFromTransport(error: unknown, url: string): RemoteError {
  if (error instanceof RemoteError) return error;
  const codes = errorCodesOf(error);
  const code = codes.find((candidate) => CERTIFICATE_CODES.has(candidate)) ?? codes.find((c) => TIMEOUT_CODES.has(c)) ?? codes.find((c) => RESET_CODES.has(c)) ?? codes[codes.length - 1] ?? '';
  if (CERTIFICATE_CODES.has(code)) {
    return new RemoteError('unavailable', `the server's TLS certificate was refused (${code})`, null, undefined, 'certificate', { cause: error });
  }
  if (TIMEOUT_CODES.has(code)) {
    return new RemoteError('unavailable', `the server at ${url} did not answer in time`, null, undefined, 'timeout', { cause: error });
  }
  if (RESET_CODES.has(code)) {
    return new RemoteError('unavailable', `the connection to ${url} was cut`, null, undefined, 'reset', { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new RemoteError('unavailable', `cannot reach the server at ${url}: ${code || message}`, null, undefined, 'unreachable', { cause: error });
}
