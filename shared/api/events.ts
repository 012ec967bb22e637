// The events the sync service pushes to the UI, as one discriminated union. Events are facts
// in the past tense and carry the whole new value of what changed (a library's view, a
// library's conflict list), so applying them in order always ends at the service's state,
// and a client that missed some needs only the latest.

import { z } from 'zod';
import { byteSizeSchema, libraryPathSchema } from '../protocol/common.js';
import {
  activityEntrySchema,
  conflictViewSchema,
  libraryIdSchema,
  libraryViewSchema,
  preferencesSchema,
  problemViewSchema,
  roundSummaryViewSchema,
  syncStatusSchema,
} from './views.js';

export const syncEventSchema = z.discriminatedUnion('kind', [
  /**
   * The account, the set of libraries or the global pause changed; carries the whole status.
   * Every event stream also begins with one, so a client that (re)connects starts from the truth.
   */
  z.object({ kind: z.literal('statusChanged'), status: syncStatusSchema }),
  /** One library's view changed: its state, progress, last sync time or counts. */
  z.object({ kind: z.literal('libraryChanged'), library: libraryViewSchema }),
  /** Bytes of one file moved (sent at most a few times a second per file). */
  z.object({
    kind: z.literal('fileProgressed'),
    libraryId: libraryIdSchema,
    path: libraryPathSchema,
    direction: z.enum(['upload', 'download']),
    bytesDone: byteSizeSchema,
    bytesTotal: byteSizeSchema,
  }),
  /**
   * A round of a library ended, and this is what it did. The libraryChanged that follows says
   * whether more is queued.
   */
  z.object({ kind: z.literal('roundFinished'), summary: roundSummaryViewSchema }),
  /** A line was added to the activity list. */
  z.object({ kind: z.literal('activityAdded'), entry: activityEntrySchema }),
  /** A library's open conflicts changed; carries the whole new list (oldest first). */
  z.object({ kind: z.literal('conflictsChanged'), libraryId: libraryIdSchema, conflicts: z.array(conflictViewSchema) }),
  /** A library's problems changed; carries the whole new list. */
  z.object({ kind: z.literal('problemsChanged'), libraryId: libraryIdSchema, problems: z.array(problemViewSchema) }),
  z.object({ kind: z.literal('preferencesChanged'), preferences: preferencesSchema }),
  // Library snapshot into a new folder.
  /** How far a restoreSnapshot into `target` has come (a few a second, and at the end). */
  z.object({
    kind: z.literal('snapshotProgressed'),
    libraryId: libraryIdSchema,
    target: z.string(),
    filesDone: z.int().min(0),
    filesTotal: z.int().min(0),
    bytesDone: byteSizeSchema,
    bytesTotal: byteSizeSchema,
  }),
  /**
   * Raised by the client side of a transport, never by the service: the event stream was lost
   * (connected false) or restored (connected true). Events may have been missed in between;
   * the statusChanged that opens the restored stream repairs the status, and lists on screen
   * (conflicts, problems, activity) should be read again.
   */
  z.object({ kind: z.literal('connectionChanged'), connected: z.boolean() }),
]);
export type SyncEvent = z.output<typeof syncEventSchema>;
export type SyncEventKind = SyncEvent['kind'];

export type SyncEventListener = (event: SyncEvent) => void;

/** Stops what a subscribe started. Calling it again does nothing. */
export type Unsubscribe = () => void;
