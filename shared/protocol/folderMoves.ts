// A folder move in the change feed as one entry. Moving a folder of 1,000 files gives each
// file (and subfolder) a new version at its new path and leaves a deleted version at its old
// path: 2,000 entries in the feed, each repeating metadata the client already holds. A client
// that asks for it (FOLDER_MOVES_HEADER) gets them folded into the folder's own new version:
// for each moved version its relative path, its rev and the rev of the version it repeats (at
// the old path, which the client holds), and for each deleted version its relative path and
// rev. The client rebuilds the entries exactly; when it does not hold a version a fold names,
// it reads the same page again without folds.

import { z } from 'zod';
import { revisionSchema } from './common.js';

/** A request header by which a client says it understands `movedSubtree` in feed entries. */
export const FOLDER_MOVES_HEADER = 'x-cairn-folder-moves';

/** Most versions one folded folder move carries (each list). */
export const MOVED_SUBTREE_LIMIT = 200_000;

const relativePathSchema = z.string().min(1).max(4096);

export const movedSubtreeSchema = z.object({
  /** Versions the move created below the folder: [relative path, rev, rev of the version moved]. */
  moved: z.array(z.tuple([relativePathSchema, revisionSchema, revisionSchema])).max(MOVED_SUBTREE_LIMIT),
  /** Deleted versions the move left below the old folder (`movedFrom`): [relative path, rev]. */
  left: z.array(z.tuple([relativePathSchema, revisionSchema])).max(MOVED_SUBTREE_LIMIT),
});
export type MovedSubtree = z.output<typeof movedSubtreeSchema>;
