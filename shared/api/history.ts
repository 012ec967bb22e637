// Version history as the UI shows it beyond the version list (views.ts): a preview of one
// version's content, and the library's trash (deleted paths a restore brings back).

import { z } from 'zod';
import { byteSizeSchema, libraryPathSchema, revisionSchema, timestampSchema } from '../protocol/common.js';
import { previewImageSchema } from './conflictDetails.js';

/** Largest text version previewed (bytes); larger ones show size and hash only. */
export const MAX_PREVIEW_TEXT_BYTES = 1024 * 1024;

/**
 * What one version of a file holds, as far as a preview goes: 'text' (UTF-8, no NUL, at most
 * MAX_PREVIEW_TEXT_BYTES), 'image' (png, jpeg, gif or webp sniffed from the bytes, at most
 * MAX_PREVIEW_IMAGE_BYTES), 'binary' (anything else: size and hash only), or 'none' (the
 * version is a folder or a deletion).
 */
export const versionPreviewSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('text'), text: z.string() }),
  z.object({ kind: z.literal('image'), image: previewImageSchema }),
  z.object({ kind: z.literal('binary'), reason: z.enum(['not-text', 'too-large']) }),
  z.object({ kind: z.literal('none'), reason: z.enum(['folder', 'deleted']) }),
]);
export type VersionPreview = z.output<typeof versionPreviewSchema>;

/** A deleted path in the library's trash; restoring it brings back version `lastLiveRev`. */
export const trashItemViewSchema = z.object({
  path: libraryPathSchema,
  kind: z.enum(['file', 'dir']),
  /** The size of the version a restore brings back. */
  size: byteSizeSchema,
  lastLiveRev: revisionSchema,
  deletedAt: timestampSchema,
  deletedBy: z.string(),
  deletedOn: z.string(),
});
export type TrashItemView = z.output<typeof trashItemViewSchema>;
