// Commit: a batch of path changes, each with the revision it was based on. Changes apply in
// order in one transaction; a change whose base is no longer current comes back as a conflict
// with the current entry, and the others apply.

import { z } from 'zod';
import {
  PROTOCOL_LIMITS,
  byteSizeSchema,
  chunkRefSchema,
  contentHashSchema,
  libraryPathSchema,
  revisionSchema,
  sequenceSchema,
} from './common.js';
import { entrySchema } from './entries.js';

/**
 * baseRev null means "I believe the path does not exist" (it never existed, or its latest
 * version is deleted). A number must equal the path's latest rev, deleted or not.
 */
export const putChangeSchema = z.strictObject({
  op: z.literal('put'),
  path: libraryPathSchema,
  baseRev: revisionSchema.nullable(),
  size: byteSizeSchema,
  mtimeMs: z.number(),
  executable: z.boolean(),
  chunks: z.array(chunkRefSchema),
  /** SHA-256 over the concatenated raw chunk ids; the server recomputes it and refuses a mismatch. */
  contentHash: contentHashSchema,
});

export const mkdirChangeSchema = z.strictObject({
  op: z.literal('mkdir'),
  path: libraryPathSchema,
  baseRev: revisionSchema.nullable(),
});

export const deleteChangeSchema = z.strictObject({
  op: z.literal('delete'),
  path: libraryPathSchema,
  baseRev: revisionSchema,
});

/** Moves a file, or a folder with its whole subtree. */
export const moveChangeSchema = z.strictObject({
  op: z.literal('move'),
  from: libraryPathSchema,
  to: libraryPathSchema,
  /** The latest rev of `from`. */
  baseRev: revisionSchema,
  /** The latest rev of `to` (a live file there is replaced), or null if `to` does not exist. */
  toBaseRev: revisionSchema.nullable(),
});

export const changeSchema = z.discriminatedUnion('op', [putChangeSchema, mkdirChangeSchema, deleteChangeSchema, moveChangeSchema]);
export type Change = z.output<typeof changeSchema>;
export type ChangeInput = z.input<typeof changeSchema>;
export type PutChange = z.output<typeof putChangeSchema>;
export type MkdirChange = z.output<typeof mkdirChangeSchema>;
export type DeleteChange = z.output<typeof deleteChangeSchema>;
export type MoveChange = z.output<typeof moveChangeSchema>;

export const commitRequestSchema = z.strictObject({
  /** Overrides the device name recorded on the versions (defaults to the token's device name). */
  device: z.string().min(1).max(PROTOCOL_LIMITS.maxDeviceNameLength).optional(),
  changes: z.array(changeSchema).min(1).max(PROTOCOL_LIMITS.maxChangesPerCommit),
});
export type CommitRequest = z.input<typeof commitRequestSchema>;

/**
 * Why a change was not applied.
 * - stale-base: baseRev is not the path's latest rev (null while the path is live, or a number
 *   that is not its latest rev); `current` is the path's latest version.
 * - not-found: a delete or move names a path whose latest version is deleted.
 * - type-clash: a put onto a live folder, a mkdir onto a live file, or a move onto a live
 *   folder or of a folder onto a live file.
 * - parent-is-file: an ancestor of the path is a live file; `current` is that file.
 * - not-empty: a folder to delete still has live children; `current` is one of them.
 * - stale-target: the move target is live with a rev other than toBaseRev (or toBaseRev is a
 *   number that is not the target's latest rev); `current` is the target's latest version.
 * - invalid-move: a folder moved into itself or below itself, or onto its own path.
 */
export const conflictReasonSchema = z.enum([
  'stale-base',
  'not-found',
  'type-clash',
  'parent-is-file',
  'not-empty',
  'stale-target',
  'invalid-move',
]);
export type ConflictReason = z.output<typeof conflictReasonSchema>;

export const changeResultSchema = z.discriminatedUnion('status', [
  z.object({
    index: z.int().min(0),
    status: z.literal('applied'),
    /** The version this change produced at its path (for a move: at the new path). */
    entry: entrySchema,
  }),
  z.object({
    index: z.int().min(0),
    status: z.literal('conflict'),
    reason: conflictReasonSchema,
    current: entrySchema.nullable(),
  }),
]);
export type ChangeResult = z.output<typeof changeResultSchema>;

/**
 * One result per change, in request order. Implied versions (parent folders created on the
 * way, the subtree of a moved folder, the deleted versions a move leaves behind) are not
 * listed here; they reach every client through the change feed like any other change.
 */
export const commitResponseSchema = z.object({
  headSeq: sequenceSchema,
  results: z.array(changeResultSchema),
});
export type CommitResponse = z.output<typeof commitResponseSchema>;
