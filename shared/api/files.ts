// The library's file browser (one folder at a time): each row's name, size, time and its state
// on this computer, worked out from the index (the three states) and the folder on disk.

import { z } from 'zod';
import { byteSizeSchema, libraryPathSchema, timestampSchema } from '../protocol/common.js';
import { folderPathSchema, libraryIdSchema, localFolderSchema } from './views.js';

/** Rows of one page of a folder listing; a folder with more rows is read page by page. */
export const FILE_PAGE_SIZE = 200;

/**
 * What a path is on this computer:
 * - 'synced': here, on the server and in the merge base alike;
 * - 'upload': changed, added or deleted here, not yet on the server (or changed on disk since
 *   the last scan);
 * - 'download': changed on the server, not yet here;
 * - 'not-synced': on the server, outside this computer's selective sync;
 * - 'ignored': matched by the library's ignore rules (or always ignored), never synced;
 * - 'problem': a problem or an open conflict names it (see the Problems and Conflicts screens).
 */
export const fileStateSchema = z.enum(['synced', 'upload', 'download', 'not-synced', 'ignored', 'problem']);
export type FileState = z.output<typeof fileStateSchema>;

export const fileRowSchema = z.object({
  /** The last segment of `path`. */
  name: z.string(),
  path: libraryPathSchema,
  kind: z.enum(['file', 'dir']),
  /** Bytes of a file (here when it is here, else the server's); null for a folder. */
  size: byteSizeSchema.nullable(),
  /** When it was last modified (here when it is here, else as committed); null when unknown. */
  modifiedAt: timestampSchema.nullable(),
  state: fileStateSchema,
  /** Whether the path exists in the library's folder on this computer (Open, Show in folder). */
  onDisk: z.boolean(),
});
export type FileRow = z.output<typeof fileRowSchema>;

export const listFilesRequestSchema = z.strictObject({
  libraryId: libraryIdSchema,
  /** The folder ('' for the library's root). */
  path: folderPathSchema,
  /** From a previous page's nextCursor: the rows after it. */
  cursor: z.string().max(4096).optional(),
});

/** One page of a folder: folders first, then files, each by name (code points). */
export const fileListingSchema = z.object({
  path: folderPathSchema,
  rows: z.array(fileRowSchema),
  /** Rows in the whole folder. */
  total: z.int().min(0),
  /** Pass it as `cursor` for the next page; null on the last page. */
  nextCursor: z.string().nullable(),
});
export type FileListing = z.output<typeof fileListingSchema>;

/**
 * Restores a whole library as it was at a moment into a new or empty folder outside every
 * library (and the profile): nothing there is synced.
 */
export const restoreSnapshotRequestSchema = z.strictObject({
  libraryId: libraryIdSchema,
  /** The moment (ms since the epoch): the library as of the last change made at or before it. */
  at: timestampSchema,
  /** Made when missing; refused when not empty or in (or around) a library's folder. */
  target: localFolderSchema,
});

export const snapshotResultSchema = z.object({
  /** The library's sequence number the folder holds (0: it was empty then). */
  seq: z.int().min(0),
  /** The folder written to (its real path). */
  target: z.string(),
  files: z.int().min(0),
  folders: z.int().min(0),
  bytes: byteSizeSchema,
  /** Paths whose names this computer cannot hold: not written. */
  skipped: z.array(libraryPathSchema),
});
export type SnapshotResultView = z.output<typeof snapshotResultSchema>;
