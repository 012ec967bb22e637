// The change feed, and the two ways to wait for its next change (long-poll and server-sent
// events).

import { z } from 'zod';
import { PROTOCOL_LIMITS, chunkIdSchema, idSchema, pageSizeSchema, queryIntegerSchema, sequenceSchema } from './common.js';
import { entrySchema } from './entries.js';

export const changesQuerySchema = z.strictObject({
  /** The cursor: entries with rev > after are returned. 0 reads from the beginning. */
  after: queryIntegerSchema.default(0),
  limit: pageSizeSchema.default(PROTOCOL_LIMITS.defaultPageSize),
});
export type ChangesQuery = z.input<typeof changesQuerySchema>;

/**
 * The latest version of every path changed after the cursor, ordered by rev. A path changed
 * several times appears once, with its latest version. `cursor` is the rev of the last entry
 * returned (or `after` when none was); read again with after=cursor while hasMore.
 */
export const changesResponseSchema = z.object({
  entries: z.array(entrySchema),
  cursor: sequenceSchema,
  headSeq: sequenceSchema,
  hasMore: z.boolean(),
  /**
   * On the last page only, when the server holds some of the library's chunks damaged (up to
   * PROTOCOL_LIMITS.maxIdsPerRequest): a client with one of them in an unchanged synced file
   * uploads it again, which repairs it for every device. Older servers never send it.
   */
  damagedChunks: z.array(chunkIdSchema).max(PROTOCOL_LIMITS.maxIdsPerRequest).optional(),
});
export type ChangesResponse = z.output<typeof changesResponseSchema>;

export const waitQuerySchema = z.strictObject({
  after: queryIntegerSchema,
  /** How long to wait at most; capped at PROTOCOL_LIMITS.maxWaitMs. */
  timeoutMs: queryIntegerSchema.pipe(z.int().max(PROTOCOL_LIMITS.maxWaitMs)).default(30_000),
});
export type WaitQuery = z.input<typeof waitQuerySchema>;

/** Sent as soon as headSeq > after, or at the timeout with the unchanged headSeq. */
export const waitResponseSchema = z.object({ headSeq: sequenceSchema });
export type WaitResponse = z.output<typeof waitResponseSchema>;

/**
 * The data of one server-sent event on `GET /api/v1/events` (each event is one `data:` line of
 * JSON; a comment line `:` is a heartbeat). Events concern only libraries the caller can see.
 *
 * - `ready`: first event of every connection, with the head of every visible library. Read the
 *   feeds after it arrives, so no commit can fall between reading and listening.
 * - `commit`: a commit raised the library's head to headSeq.
 * - `library`: the library was created, renamed, deleted, restored, or its members changed
 *   (which may mean the caller gained or lost it): re-read the library list.
 */
export const serverEventSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('ready'),
    heads: z.array(z.object({ libraryId: idSchema, headSeq: sequenceSchema })),
  }),
  z.object({ kind: z.literal('commit'), libraryId: idSchema, headSeq: sequenceSchema }),
  z.object({ kind: z.literal('library'), libraryId: idSchema }),
]);
export type ServerEvent = z.output<typeof serverEventSchema>;

/** The server sends a heartbeat comment this often, so proxies and clients see a live stream. */
export const EVENTS_HEARTBEAT_MS = 15_000;
