// Entries: one version of one path. The change feed, history, trash and snapshots all speak
// in entries.

import { z } from 'zod';
import {
  byteSizeSchema,
  chunkRefSchema,
  contentHashSchema,
  libraryPathSchema,
  remoteTextSchema,
  revisionSchema,
  timestampSchema,
} from './common.js';
import { chunkDeltaSchema } from './chunkEdits.js';
import { movedSubtreeSchema } from './folderMoves.js';

export const entryKindSchema = z.enum(['file', 'dir']);
export type EntryKind = z.output<typeof entryKindSchema>;

/**
 * One version of one path. `rev` is the library sequence number of the committed change that
 * produced it, so it is unique within the library and orders all versions. A deleted version
 * records that the path stopped existing at `rev`; it repeats the metadata of the version it
 * deleted. Folders have no chunks, size 0, contentHash '' and executable false.
 */
export const entrySchema = z.object({
  path: libraryPathSchema,
  kind: entryKindSchema,
  deleted: z.boolean(),
  rev: revisionSchema,
  size: byteSizeSchema,
  mtimeMs: z.number(),
  executable: z.boolean(),
  chunks: z.array(chunkRefSchema),
  /**
   * Only for a client that sent CHUNK_DELTAS_HEADER, in the change feed and the commit answer:
   * the chunk list as splices of an earlier version's (`chunks` is then empty). See chunkEdits.ts.
   */
  chunkDelta: chunkDeltaSchema.optional(),
  contentHash: contentHashSchema,
  /** Set on the version a move created at its new path: the path it came from. */
  movedFrom: libraryPathSchema.optional(),
  /**
   * Only for a client that sent FOLDER_MOVES_HEADER, in the change feed, on the version a folder
   * move created at the folder's new path: the versions the move implied, folded (folderMoves.ts).
   */
  movedSubtree: movedSubtreeSchema.optional(),
  /** Set on the deleted version a move left at its old path: the path it went to. */
  movedTo: libraryPathSchema.optional(),
  /** The device name of the token that committed this version. */
  device: remoteTextSchema,
  userName: remoteTextSchema,
  committedAt: timestampSchema,
});
export type Entry = z.output<typeof entrySchema>;
