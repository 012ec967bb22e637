// What the conflict dialog needs beyond the conflict list: both versions of one conflict (and
// their common ancestor when known) with their metadata, a preview that fits the content, the
// version tokens a resolution must echo, and the shapes of merged and batch resolutions.
//
// The text preview carries the merge library's own data (shared/merge): a DiffView and a
// MergeResult, validated here, so the UI can render a merge with the user's choices
// (renderMerge) or with markers (renderWithMarkers) exactly as the engine will.

import { z } from 'zod';
import type { ConflictChoice, DiffView, MergeResult } from '../merge/index.js';
import { byteSizeSchema, libraryPathSchema, timestampSchema } from '../protocol/common.js';
import { apiErrorCodeSchema } from './errors.js';
import { conflictViewSchema } from './views.js';

/** Most conflicts one resolveConflicts call may name. */
export const MAX_BATCH_CONFLICTS = 1000;
/** Most choices a merged resolution may carry (one per conflicting region). */
export const MAX_MERGE_CHOICES = 100_000;
/** Largest image shown in a preview (each side); larger ones show size and hash only. */
export const MAX_PREVIEW_IMAGE_BYTES = 10 * 1024 * 1024;

const conflictIdSchema = z.int().min(1);

// ---- the merge library's data -------------------------------------------------------------------

const lineTerminatorSchema = z.enum(['\n', '\r\n', '\r']);
const textLineSchema = z.object({ text: z.string(), terminator: z.union([lineTerminatorSchema, z.literal('')]) });
const lineSpanSchema = z.object({ start: z.int().min(0), end: z.int().min(0) });
const regionSpansSchema = z.object({ base: lineSpanSchema, mine: lineSpanSchema, theirs: lineSpanSchema });

export const mergeRegionSchema = z.union([
  z.object({ kind: z.enum(['stable', 'mine', 'theirs', 'both']), lines: z.array(textLineSchema), spans: regionSpansSchema }),
  z.object({
    kind: z.literal('conflict'),
    index: z.int().min(0),
    base: z.array(textLineSchema),
    mine: z.array(textLineSchema),
    theirs: z.array(textLineSchema),
    spans: regionSpansSchema,
  }),
]);

/** A three-way merge (see MergeResult in shared/merge): "mine" is local, "theirs" remote. */
export const mergeResultSchema = z.object({
  regions: z.array(mergeRegionSchema),
  clean: z.boolean(),
  counts: z.object({ stable: z.int().min(0), mine: z.int().min(0), theirs: z.int().min(0), both: z.int().min(0), conflict: z.int().min(0) }),
  bom: z.boolean(),
  lineTerminator: lineTerminatorSchema.nullable(),
  joinTerminator: lineTerminatorSchema,
  minimal: z.boolean(),
});

const lineEndingStyleSchema = z.enum(['lf', 'crlf', 'cr', 'mixed', 'none']);
const diffSideFormatSchema = z.object({ lineEndings: lineEndingStyleSchema, bom: z.boolean() });
const diffRowSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('context'), oldLine: z.int().min(1), newLine: z.int().min(1), text: z.string(), noFinalNewline: z.boolean() }),
  z.object({ kind: z.literal('delete'), oldLine: z.int().min(1), newLine: z.null(), text: z.string(), noFinalNewline: z.boolean() }),
  z.object({ kind: z.literal('insert'), oldLine: z.null(), newLine: z.int().min(1), text: z.string(), noFinalNewline: z.boolean() }),
  z.object({ kind: z.literal('collapsed'), oldLine: z.int().min(1), newLine: z.int().min(1), count: z.int().min(1) }),
]);

/** A line diff (see DiffView in shared/merge). */
export const diffViewSchema = z.object({
  rows: z.array(diffRowSchema),
  added: z.int().min(0),
  removed: z.int().min(0),
  identical: z.boolean(),
  minimal: z.boolean(),
  old: diffSideFormatSchema,
  new: diffSideFormatSchema,
});

export type MergeResultView = z.output<typeof mergeResultSchema>;
export type DiffViewData = z.output<typeof diffViewSchema>;

/** The merge library's read-only result as the contract's data: the same structure, typed for zod. */
export function mergeResultView(result: MergeResult): MergeResultView {
  return result as MergeResultView;
}

export function diffViewData(view: DiffView): DiffViewData {
  return view as DiffViewData;
}

/** How one conflicting region of a merge is resolved (see ConflictChoice in shared/merge). */
export const conflictChoiceSchema = z.enum(['mine', 'theirs', 'mine-then-theirs', 'theirs-then-mine', 'base']);

// The schemas above must describe exactly the merge library's types, so that a validated
// preview can go straight back into renderMerge and renderWithMarkers.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const mergeResultMatches: Same<z.output<typeof mergeResultSchema>, DeepMutable<MergeResult>> = true;
const diffViewMatches: Same<z.output<typeof diffViewSchema>, DeepMutable<DiffView>> = true;
const choiceMatches: Same<z.output<typeof conflictChoiceSchema>, ConflictChoice> = true;
void [mergeResultMatches, diffViewMatches, choiceMatches];
type DeepMutable<T> = T extends string | number | boolean | null | undefined
  ? T
  : T extends readonly (infer Item)[]
    ? DeepMutable<Item>[]
    : { -readonly [Key in keyof T]: DeepMutable<T[Key]> };

// ---- one conflict in detail ---------------------------------------------------------------------

/**
 * Names one exact state of a file on disk (content, size, time, inode). A merged resolution
 * must echo the tokens of the preview it was decided on; any change to either file since makes
 * it fail with 'conflict', and the dialog shows the new state instead.
 */
export const versionTokenSchema = z.string().min(1).max(512);
export const versionTokensSchema = z.strictObject({ local: versionTokenSchema, remote: versionTokenSchema });
export type VersionTokens = z.output<typeof versionTokensSchema>;

/**
 * One version of the conflicting path. 'local' is this device's version, kept in the conflict
 * copy; 'remote' is the server's, under the name; 'base' is the version both started from, as
 * the server's history holds it. kind 'missing': nothing is there (any more).
 */
export const conflictVersionSchema = z.object({
  path: libraryPathSchema,
  kind: z.enum(['file', 'dir', 'missing']),
  size: byteSizeSchema.nullable(),
  mtimeMs: z.number().nullable(),
  /** The file's content hash (SHA-256 over its chunk ids, as `cairn history` shows it). */
  contentHash: z.string().nullable(),
  /** Who made this version, when known (null also when the file changed since the conflict). */
  device: z.string().nullable(),
  user: z.string().nullable(),
  /** Its revision on the server, when it is one of the server's versions. */
  rev: z.int().min(1).nullable(),
  /** When the server recorded it (the base only). */
  committedAt: timestampSchema.nullable(),
  /** For the files on disk: echo it when resolving (see versionTokenSchema). Null for the base. */
  versionToken: versionTokenSchema.nullable(),
});
export type ConflictVersion = z.output<typeof conflictVersionSchema>;

export const previewImageSchema = z.object({
  mimeType: z.enum(['image/png', 'image/jpeg', 'image/gif', 'image/webp']),
  /** A data: URL of the image bytes, with the type sniffed from the bytes (never the name). */
  dataUrl: z.string().startsWith('data:image/'),
});
export type PreviewImage = z.output<typeof previewImageSchema>;

/**
 * The preview that fits the content. 'text': every version decodes as text (UTF-8, no NUL, at
 * most MAX_TEXT_BYTES); `diff` goes from the local version (old) to the remote one (new), and
 * `merge` is the three-way merge when the base is available as text, else null. 'image': each
 * side as a picture when it is a supported image no larger than MAX_PREVIEW_IMAGE_BYTES, else
 * null. 'binary': size and hash only. 'none': a side is a folder or missing.
 */
export const conflictPreviewSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('text'), diff: diffViewSchema, merge: mergeResultSchema.nullable() }),
  z.object({ kind: z.literal('image'), local: previewImageSchema.nullable(), remote: previewImageSchema.nullable() }),
  z.object({ kind: z.literal('binary'), reason: z.enum(['not-text', 'too-large']) }),
  z.object({ kind: z.literal('none'), reason: z.enum(['folder', 'missing']) }),
]);
export type ConflictPreview = z.output<typeof conflictPreviewSchema>;

/**
 * Whether the base could be used: 'available' (read from the server's history), 'unknown'
 * (no common version: both sides created the path), 'unavailable' (no longer in the history,
 * a folder, or too large to read for a preview).
 */
export const baseStatusSchema = z.enum(['available', 'unknown', 'unavailable']);

export const conflictDetailsSchema = z.object({
  conflict: conflictViewSchema,
  local: conflictVersionSchema,
  remote: conflictVersionSchema,
  base: conflictVersionSchema.nullable(),
  baseStatus: baseStatusSchema,
  preview: conflictPreviewSchema,
});
export type ConflictDetails = z.output<typeof conflictDetailsSchema>;

// ---- resolving ----------------------------------------------------------------------------------

/**
 * keep 'local', 'remote' or 'both' as before; `versions`, when given, must still match the
 * files (else 'conflict'). keep 'merged' applies the three-way merge of the files on disk and
 * the base, recomputed by the service: `versions` must match, and `choices` holds one choice
 * per conflicting region in order (none for a clean merge). It is refused with 'conflict' when
 * a file changed, and with 'invalid-argument' for binaries, an unknown base, or choices that
 * do not fit the merge.
 */
export const resolveConflictRequestSchema = z.discriminatedUnion('keep', [
  z.strictObject({ conflictId: conflictIdSchema, keep: z.enum(['local', 'remote', 'both']), versions: versionTokensSchema.optional() }),
  z.strictObject({
    conflictId: conflictIdSchema,
    keep: z.literal('merged'),
    versions: versionTokensSchema,
    choices: z.array(conflictChoiceSchema).max(MAX_MERGE_CHOICES),
  }),
]);
export type ResolveConflictRequest = z.output<typeof resolveConflictRequestSchema>;

/**
 * "Apply this choice to all similar conflicts": one keep choice for many conflicts. Each is
 * resolved on its own; one failing does not stop the others. keep 'merged' resolves only
 * conflicts whose merge is clean (nothing to choose), without version tokens: the merge is
 * computed from the files as they are at that moment, and written only if they do not change
 * meanwhile.
 */
export const resolveConflictsRequestSchema = z.strictObject({
  conflictIds: z.array(conflictIdSchema).min(1).max(MAX_BATCH_CONFLICTS),
  keep: z.enum(['local', 'remote', 'both', 'merged']),
});

export const conflictOutcomeSchema = z.discriminatedUnion('outcome', [
  /** `conflict` is the conflict as it was. */
  z.object({ conflictId: conflictIdSchema, outcome: z.literal('resolved'), conflict: conflictViewSchema }),
  z.object({ conflictId: conflictIdSchema, outcome: z.literal('failed'), error: z.object({ code: apiErrorCodeSchema, message: z.string() }) }),
]);
export type ConflictOutcome = z.output<typeof conflictOutcomeSchema>;

/** One outcome per conflict asked for, in the order asked. */
export const resolveConflictsResponseSchema = z.object({ results: z.array(conflictOutcomeSchema) });
