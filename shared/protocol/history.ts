// History: every version of a path, the trash, restoring a version, and snapshots of a whole
// library at a past sequence number.

import { z } from 'zod';
import {
  PROTOCOL_LIMITS,
  libraryPathSchema,
  pageSizeSchema,
  queryIntegerSchema,
  revisionSchema,
  sequenceSchema,
} from './common.js';
import { entrySchema } from './entries.js';

export const historyQuerySchema = z.strictObject({ path: libraryPathSchema });
export type HistoryQuery = z.input<typeof historyQuerySchema>;

/** Every version of the path, newest first (empty if the path never existed). */
export const historyResponseSchema = z.object({ versions: z.array(entrySchema) });
export type HistoryResponse = z.output<typeof historyResponseSchema>;

export const trashQuerySchema = z.strictObject({
  /** Paging: paths after this one (in the order of their UTF-8 bytes). */
  after: libraryPathSchema.optional(),
  limit: pageSizeSchema.default(PROTOCOL_LIMITS.defaultPageSize),
});
export type TrashQuery = z.input<typeof trashQuerySchema>;

/**
 * A deleted path: `deleted` is its latest (deleted) version, `lastLive` the version before it,
 * which is what a restore brings back. Paths moved elsewhere are not in the trash.
 */
export const trashItemSchema = z.object({
  path: libraryPathSchema,
  deleted: entrySchema,
  lastLive: entrySchema,
});
export type TrashItem = z.output<typeof trashItemSchema>;

export const trashResponseSchema = z.object({
  items: z.array(trashItemSchema),
  hasMore: z.boolean(),
});
export type TrashResponse = z.output<typeof trashResponseSchema>;

/**
 * Commits a new version of `path` equal to its version `rev` (which must be a live version).
 * baseRev follows the commit rules (null if the path does not exist now). Missing parent
 * folders are created. Restoring a folder that is not live also brings back the descendants
 * that were live just before the commit that deleted it, unless they exist again now.
 */
export const restoreRequestSchema = z.strictObject({
  path: libraryPathSchema,
  rev: revisionSchema,
  baseRev: revisionSchema.nullable(),
});
export type RestoreRequest = z.input<typeof restoreRequestSchema>;

export const snapshotQuerySchema = z.strictObject({
  /** The sequence number to look at; defaults to the library's head. */
  seq: queryIntegerSchema.optional(),
  /**
   * Instead of seq, a moment (ms since the epoch): the snapshot as of the last commit made at
   * or before it (seq 0, an empty library, when none was). The answer's seq says which.
   */
  at: queryIntegerSchema.optional(),
  after: libraryPathSchema.optional(),
  limit: pageSizeSchema.default(PROTOCOL_LIMITS.defaultPageSize),
});
export type SnapshotQuery = z.input<typeof snapshotQuerySchema>;

/** The live entries as of `seq`, ordered by the UTF-8 bytes of their paths, paged by path. */
export const snapshotResponseSchema = z.object({
  seq: sequenceSchema,
  entries: z.array(entrySchema),
  hasMore: z.boolean(),
});
export type SnapshotResponse = z.output<typeof snapshotResponseSchema>;
