// Errors across the wire. Every non-2xx answer carries `{ error: { code, message, details? } }`
// with a code from one closed union. The code, not the message, is the contract: two functions
// below map a code to its HTTP status and to what the caller should do, and one maps a bare
// status back to a code (for answers without our body, from a proxy for example).

import { z } from 'zod';
import { chunkIdSchema, remoteTextSchema } from './common.js';

export const ERROR_CODES = [
  'bad-request',
  'unauthorized',
  'forbidden',
  'not-found',
  'method-not-allowed',
  'conflict',
  'payload-too-large',
  'unsupported-media-type',
  'rate-limited',
  'missing-chunks',
  'hash-mismatch',
  'quota-exceeded',
  'unavailable',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export const errorCodeSchema = z.enum(ERROR_CODES);

/**
 * The envelope of a failed answer, for a vocabulary of codes: `{ error: { code, message,
 * details? } }`. The server's protocol and the local SyncApi each have their own codes (what
 * their callers can do differs) but one envelope.
 */
export function errorEnvelopeSchema<const Codes extends readonly [string, ...string[]]>(codes: z.ZodEnum<{ [K in Codes[number]]: K }>) {
  return z.object({
    error: z.object({
      code: codes,
      /** Shown to people, in a terminal too: control characters arrive escaped (see remoteTextSchema). */
      message: remoteTextSchema,
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  });
}

export const errorBodySchema = errorEnvelopeSchema<typeof ERROR_CODES>(errorCodeSchema);
export type ErrorBody = z.output<typeof errorBodySchema>;

/** details of a refusal by schema validation (`bad-request` here, `invalid-argument` in SyncApi): where in the input, and what is wrong. */
export const validationDetailsSchema = z.object({
  issues: z.array(z.object({ path: z.string(), message: z.string() })),
});
export type ValidationDetails = z.output<typeof validationDetailsSchema>;

/** Flattens zod issues into validation details and a one-line summary of the first issue. */
export function validationIssues(error: z.ZodError): { readonly details: ValidationDetails; readonly summary: string } {
  const issues = error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
  const first = issues[0];
  const summary = first === undefined ? '' : `: ${first.path === '' ? '' : `${first.path}: `}${first.message}`;
  return { details: { issues }, summary };
}

/** details of `missing-chunks`: the ids the library does not have yet (upload them, then retry). */
export const missingChunksDetailsSchema = z.object({ missing: z.array(chunkIdSchema) });

/** details of `hash-mismatch`: the id whose bytes did not hash to it. */
export const hashMismatchDetailsSchema = z.object({ chunkId: z.string() });

/**
 * details of `quota-exceeded`: the library owner's usage and quota when the commit was refused,
 * and how many bytes it would have added (see shared/protocol/libraries.ts, storageUsageSchema).
 */
export const quotaExceededDetailsSchema = z.object({
  usedBytes: z.int().min(0),
  quotaBytes: z.int().min(0),
  addedBytes: z.int().min(0),
});
export type QuotaExceededDetails = z.output<typeof quotaExceededDetailsSchema>;

/** details of `rate-limited`: when to try again (also sent as the Retry-After header). */
export const rateLimitedDetailsSchema = z.object({ retryAfterSeconds: z.int().min(1) });

/** What a caller should do about an error. */
export type ErrorAction =
  /** A transient or self-repairable condition: repair (upload, re-read) and retry at once. */
  | 'retry-now'
  /** The server is busy, down or limiting us: retry after a delay (with backoff). */
  | 'retry-later'
  /** Only the user can fix it: log in again, regain access, pick another name. */
  | 'needs-user'
  /** A bug or an impossible request: retrying the same request cannot succeed. */
  | 'fatal';

function unhandledCode(code: never): never {
  throw new Error(`unhandled error code: ${String(code)}`);
}

/** The one mapping from an error code to what the caller should do. */
export function errorAction(code: ErrorCode): ErrorAction {
  switch (code) {
    case 'missing-chunks': // upload the listed chunks, then commit again
    case 'hash-mismatch': // the bytes changed in transit or on disk: re-read and upload again
    case 'conflict': // re-read the current state, then retry
      return 'retry-now';
    case 'rate-limited':
    case 'unavailable':
    case 'internal':
      return 'retry-later';
    case 'unauthorized': // the token was revoked or expired: log in again
    case 'forbidden': // read-only member, or not the owner
    case 'quota-exceeded': // the owner's storage is full: free space or raise the quota, then retry
    case 'not-found': // the library was deleted or unshared, or never visible to this user
      return 'needs-user';
    case 'bad-request':
    case 'method-not-allowed':
    case 'payload-too-large':
    case 'unsupported-media-type':
      return 'fatal';
    default:
      return unhandledCode(code);
  }
}

/** The one mapping from an error code to its HTTP status. */
export function errorStatus(code: ErrorCode): number {
  switch (code) {
    case 'bad-request':
    case 'missing-chunks':
    case 'hash-mismatch':
      return 400;
    case 'unauthorized':
      return 401;
    case 'forbidden':
      return 403;
    case 'not-found':
      return 404;
    case 'method-not-allowed':
      return 405;
    case 'conflict':
      return 409;
    case 'payload-too-large':
      return 413;
    case 'unsupported-media-type':
      return 415;
    case 'rate-limited':
      return 429;
    case 'internal':
      return 500;
    case 'unavailable':
      return 503;
    case 'quota-exceeded':
      return 507;
    default:
      return unhandledCode(code);
  }
}

/**
 * The code to assume for a non-2xx status whose body is not our error body (a reverse proxy's
 * 502 page, for example). Our own answers always carry the code; use it when present.
 */
export function errorCodeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
      return 'bad-request';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not-found';
    case 405:
      return 'method-not-allowed';
    case 409:
      return 'conflict';
    case 413:
      return 'payload-too-large';
    case 415:
      return 'unsupported-media-type';
    case 429:
      return 'rate-limited';
    case 500:
      return 'internal';
    case 507:
      return 'quota-exceeded';
    default:
      return status >= 500 ? 'unavailable' : 'bad-request';
  }
}

/** Builds an error body; used by the server, and by tests that check answers. */
export function errorBody(code: ErrorCode, message: string, details?: Record<string, unknown>): ErrorBody {
  return details === undefined ? { error: { code, message } } : { error: { code, message, details } };
}
