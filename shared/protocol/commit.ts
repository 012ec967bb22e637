// Commit: a batch of path changes, each with the revision it was based on. Changes apply in
// order in one transaction; a change whose base is no longer current comes back as a conflict
// with the current entry, and the others apply.

import { z } from 'zod';
import {
  PROTOCOL_LIMITS,
  byteSizeSchema,
  chunkRefSchema,
  contentHashSchema,
  deviceNameSchema,
  libraryPathSchema,
  mtimeSchema,
  revisionSchema,
  sequenceSchema,
} from './common.js';
import { entrySchema } from './entries.js';
import { CHUNK_EDIT_LIMITS, chunkEditSchema } from './chunkEdits.js';

/**
 * baseRev null means "I believe the path does not exist" (it never existed, or its latest
 * version is deleted). A number must equal the path's latest rev, deleted or not.
 */
export const putChangeSchema = z.strictObject({
  op: z.literal('put'),
  path: libraryPathSchema,
  baseRev: revisionSchema.nullable(),
  size: byteSizeSchema,
  mtimeMs: mtimeSchema,
  executable: z.boolean(),
  chunks: z.array(chunkRefSchema),
  /** SHA-256 over the concatenated raw chunk ids; the server recomputes it and refuses a mismatch. */
  contentHash: contentHashSchema,
});

/** What one commit may make the server write beyond its own changes. */
export const COMMIT_LIMITS = {
  /**
   * Most parent folders one commit creates because its changes need them (its own mkdir
   * changes are changes, not implied). Deep paths cost a few bytes per folder to send.
   */
  maxImpliedFoldersPerCommit: 10_000,
} as const;

/**
 * A put as a commit request may send it: with the whole chunk list (`chunks`), or with
 * `chunkEdits`, splices turning the chunk list of version `baseRev` of the same path into the
 * new one (so a small edit of a large file costs a few refs, not the whole list). Exactly one
 * of the two; `chunkEdits` needs a number baseRev. The server rebuilds the whole list and
 * checks it exactly like a sent one; handlers and storage only ever see `PutChange`.
 */
export const commitPutSchema = z
  .strictObject({
    ...putChangeSchema.shape,
    chunks: z.array(chunkRefSchema).optional(),
    chunkEdits: z.array(chunkEditSchema).max(CHUNK_EDIT_LIMITS.maxEditsPerPut).optional(),
  })
  .superRefine((put, context) => {
    if ((put.chunks === undefined) === (put.chunkEdits === undefined)) {
      context.addIssue({ code: 'custom', message: 'a put carries exactly one of chunks and chunkEdits', path: ['chunks'] });
      return;
    }
    if (put.chunkEdits === undefined) return;
    if (put.baseRev === null) {
      context.addIssue({ code: 'custom', message: 'chunkEdits need a number baseRev (the version they edit)', path: ['baseRev'] });
    }
    const inserted = put.chunkEdits.reduce((sum, edit) => sum + edit.insert.length, 0);
    if (inserted > CHUNK_EDIT_LIMITS.maxInsertedChunksPerPut) {
      context.addIssue({ code: 'custom', message: `chunkEdits insert more than ${CHUNK_EDIT_LIMITS.maxInsertedChunksPerPut} chunks`, path: ['chunkEdits'] });
    }
  });
export type CommitPut = z.output<typeof commitPutSchema>;

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

/** A change as a commit request sends it: a put may carry chunkEdits instead of chunks. */
export const commitChangeSchema = z.discriminatedUnion('op', [commitPutSchema, mkdirChangeSchema, deleteChangeSchema, moveChangeSchema]);
export type CommitChange = z.output<typeof commitChangeSchema>;
export type CommitChangeInput = z.input<typeof commitChangeSchema>;

export const commitRequestSchema = z.strictObject({
  /** Overrides the device name recorded on the versions (defaults to the token's device name). */
  device: deviceNameSchema.optional(),
  changes: z.array(commitChangeSchema).min(1).max(PROTOCOL_LIMITS.maxChangesPerCommit),
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
  // Own-commit feed skip: every version after listedAfter up to headSeq is an applied result here (older servers omit it).
  listedAfter: sequenceSchema.optional(),
});
export type CommitResponse = z.output<typeof commitResponseSchema>;
