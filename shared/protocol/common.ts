// Building blocks shared by every area of the protocol: identifiers, paths, numbers and the
// limits both sides agree on. Request schemas are strict (an unknown field is a client bug and
// answers 400); response schemas strip unknown fields, so a newer server may add fields
// without breaking an older client.

import { z } from 'zod';
import { CHUNK_ID_PATTERN, CHUNK_SIZE_LIMITS } from '../model.js';
import type { ChunkId, ChunkRef, ChunkingParams, ContentHash } from '../model.js';
import { escapeControlCharacters, hasControlCharacters } from '../displayText.js';
import { checkLibraryPath, isWellFormedUnicode } from '../paths.js';
import type { LibraryPath } from '../paths.js';

/** Version of the wire protocol described in docs/protocol.md; /api/v1 is protocol 1. */
export const PROTOCOL_VERSION = 1;

/** Every route lives under this prefix. */
export const API_PREFIX = '/api/v1';

/** Limits the server enforces. Clients should stay below them rather than learn them by error. */
export const PROTOCOL_LIMITS = {
  /** Largest JSON request body, after decompression (a commit of a big file's chunk list). */
  maxJsonBodyBytes: 16 * 1024 * 1024,
  /**
   * Largest body of a route without a token (login), never compressed: the longest login
   * request with every character escaped fits. Anyone can send these, so they cost little.
   */
  maxAnonymousBodyBytes: 12 * 1024,
  /** A body without a token must arrive whole within this time (a slow sender is cut off). */
  anonymousBodyTimeoutMs: 10_000,
  /** Largest batched chunk upload body (frames), after decompression. */
  maxBatchBodyBytes: 64 * 1024 * 1024,
  /** Most chunks (frames) in one batched upload. */
  maxChunksPerUpload: 10_000,
  /** Most chunk ids in one "missing" or "download" request. */
  maxIdsPerRequest: 10_000,
  /**
   * Longest JSON answer a client reads, after decompression; answers listing versions (change
   * feed, commit, history, trash, snapshot) may be longer, for their chunk lists. A client
   * whose feed page would be longer asks for fewer entries.
   */
  maxAnswerBytes: 16 * 1024 * 1024,
  maxVersionsAnswerBytes: 256 * 1024 * 1024,
  /** Longest server-sent event a client reads. */
  maxEventBytes: 1024 * 1024,
  /** Most changes in one commit. */
  maxChangesPerCommit: 10_000,
  /** Longest a long-poll waits before answering with the unchanged head. */
  maxWaitMs: 60_000,
  /** Default and largest page of the change feed, trash and snapshots. */
  defaultPageSize: 1_000,
  maxPageSize: 5_000,
  /** Longest library name, device name and password accepted. */
  maxLibraryNameLength: 200,
  maxDeviceNameLength: 128,
  maxPasswordLength: 1024,
} as const;

/**
 * A device name: what a user calls one of their devices (shown in history and conflicts, to
 * other members of a library too, so nothing in it may steer a terminal).
 */
export const deviceNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(PROTOCOL_LIMITS.maxDeviceNameLength)
  .refine((name) => !hasControlCharacters(name), 'device names cannot contain control characters')
  .refine(isWellFormedUnicode, 'device names must be well-formed Unicode (no lone surrogate)');

/**
 * Free text in an answer that came from someone else (a device or library name, a message):
 * control characters arrive as visible escapes (see shared/displayText.ts), whatever the
 * server stored before it checked names, or sends.
 */
export const remoteTextSchema = z.string().transform(escapeControlCharacters);

/** Random, url-safe identifiers (users, libraries, devices). */
export const idSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'expected a url-safe id');

/**
 * User names: lowercase letters, digits and `._@-`, starting with a letter or digit. They
 * appear in URLs (members/:userName), so the alphabet is kept url-safe and unambiguous.
 */
export const USER_NAME_PATTERN = /^[a-z0-9][a-z0-9._@-]{0,63}$/;
export const userNameSchema = z
  .string()
  .regex(USER_NAME_PATTERN, 'user names are 1-64 characters of a-z, 0-9 and ._@- starting with a letter or digit');

/** A canonical library path (see shared/paths.ts). Non-canonical input is refused, never rewritten. */
export const libraryPathSchema = z
  .string()
  .superRefine((value, context) => {
    const check = checkLibraryPath(value);
    if (!check.ok) {
      context.addIssue({ code: 'custom', message: `not a canonical library path (${check.problem})`, params: { problem: check.problem } });
    }
  })
  .transform((value) => value as LibraryPath);

export const chunkIdSchema: z.ZodType<ChunkId, string> = z.string().regex(CHUNK_ID_PATTERN, 'expected a lowercase hex SHA-256 (64 characters)');

/** A file's content hash (64 lowercase hex characters); folders use ''. */
export const contentHashSchema: z.ZodType<ContentHash, string> = z.string().regex(/^([0-9a-f]{64})?$/, 'expected a lowercase hex SHA-256 or ""');

/** A library sequence number: 0 before the first commit, then 1, 2, 3 ... */
export const sequenceSchema = z.int().min(0);

/** A revision: the sequence number of the committed change that produced a version (>= 1). */
export const revisionSchema = z.int().min(1);

/** Milliseconds since the Unix epoch. */
export const timestampSchema = z.number().min(0);

/**
 * The file times a commit may carry: from the epoch to the last millisecond of the year 9999,
 * which every platform Cairn runs on can set on a file. A time outside made other clients fail
 * to write the file (EINVAL) and stopped their rounds.
 */
export const MTIME_LIMITS = { minMs: 0, maxMs: 253_402_300_799_999 } as const;

/** A file's modification time as a commit sends it. */
export const mtimeSchema = z.number().min(MTIME_LIMITS.minMs).max(MTIME_LIMITS.maxMs);

/**
 * A time brought into MTIME_LIMITS: what a client sets on a file and sends in a commit, so one
 * odd time (from an older server, or a file dated before 1970) never stops a round.
 */
export function clampMtimeMs(mtimeMs: number): number {
  if (Number.isNaN(mtimeMs)) return MTIME_LIMITS.minMs;
  return Math.min(Math.max(mtimeMs, MTIME_LIMITS.minMs), MTIME_LIMITS.maxMs);
}

export const byteSizeSchema = z.int().min(0);

export const chunkRefSchema: z.ZodType<ChunkRef, { id: string; size: number }> = z.object({
  id: chunkIdSchema,
  size: z.int().min(1).max(CHUNK_SIZE_LIMITS.max),
});

/** Chunking parameters; the server refuses anything outside CHUNK_SIZE_LIMITS or out of order. */
export const chunkingParamsSchema: z.ZodType<ChunkingParams, ChunkingParams> = z
  .strictObject({
    algorithm: z.enum(['fastcdc', 'rabin']),
    minSize: z.int().min(CHUNK_SIZE_LIMITS.min).max(CHUNK_SIZE_LIMITS.max),
    avgSize: z.int().min(CHUNK_SIZE_LIMITS.min).max(CHUNK_SIZE_LIMITS.max),
    maxSize: z.int().min(CHUNK_SIZE_LIMITS.min).max(CHUNK_SIZE_LIMITS.max),
  })
  .refine((params) => params.minSize <= params.avgSize && params.avgSize <= params.maxSize, {
    message: 'chunking sizes must satisfy minSize <= avgSize <= maxSize',
  });

/**
 * A non-negative integer in a query string. The client passes a number; the server receives
 * the decimal string and gets the number back (anything but plain decimal digits is refused).
 */
export const queryIntegerSchema = z
  .union([z.int().min(0), z.string().regex(/^(0|[1-9][0-9]{0,15})$/, 'expected a non-negative decimal integer')])
  .transform((value) => Number(value))
  .pipe(z.int().min(0));

/** A page size in a query string, 1..maxPageSize. */
export const pageSizeSchema = queryIntegerSchema.pipe(z.int().min(1).max(PROTOCOL_LIMITS.maxPageSize));

/** Answer of routes that only confirm success. */
export const okResponseSchema = z.object({ ok: z.literal(true) });
export type OkResponse = z.output<typeof okResponseSchema>;

/** Answer of `GET /api/v1/health`. */
export const healthResponseSchema = z.object({
  status: z.literal('ok'),
  protocolVersion: z.int(),
  serverVersion: z.string(),
});
export type HealthResponse = z.output<typeof healthResponseSchema>;
