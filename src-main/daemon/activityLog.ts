// The activity list the UI shows: the uploads, downloads, deletions, moves, conflicts and
// problems of this device, newest first. It is kept in the profile (activity.sqlite, see
// src-main/engine/indexStore/activityStore.ts for why it is a database of its own), so it survives a
// restart, and it is bounded: once it holds more than its capacity plus a batch, the oldest lines
// go in one statement, down to the capacity. The server's history is where the full record lives.
//
// A round's lines are written in one transaction after the round, so a round of 10,000 files
// costs one write of 10,000 rows (tens of milliseconds) and no fsync.

import type { ActivityEntry } from '../../shared/api/index.js';
import { activityEntrySchema } from '../../shared/api/index.js';
import { openActivityStore } from '../engine/index.js';
import type { ActivityStore } from '../engine/index.js';

/** The profile file that holds the activity list. */
export const ACTIVITY_FILE = 'activity.sqlite';
/** Lines kept (at least; up to a trim batch more until the next trim). */
export const ACTIVITY_CAPACITY = 10_000;

/** An entry before the log numbers and stamps it. */
export type ActivityDraft = ActivityEntry extends infer Entry
  ? Entry extends ActivityEntry
    ? Omit<Entry, 'activityId' | 'at' | 'libraryId' | 'libraryName'>
    : never
  : never;

export interface ActivityPage {
  readonly entries: ActivityEntry[];
  readonly hasMore: boolean;
}

export interface ActivityLogOptions {
  /** Lines kept; default ACTIVITY_CAPACITY. */
  readonly capacity?: number;
  /** Lines beyond the capacity tolerated before the oldest are deleted; default a tenth of it. */
  readonly trimBatch?: number;
  readonly now?: () => number;
  /** Where trouble with the file is reported (the log then runs in memory). */
  readonly log?: (line: string) => void;
}

export class ActivityLog {
  /** Lines in the store, counted here so that appending needs no query. */
  private count: number;
  private closed = false;
  private readonly capacity: number;
  private readonly trimBatch: number;
  private readonly now: () => number;

  private constructor(
    private readonly store: ActivityStore,
    options: ActivityLogOptions,
  ) {
    this.capacity = Math.max(1, options.capacity ?? ACTIVITY_CAPACITY);
    this.trimBatch = Math.max(1, options.trimBatch ?? Math.ceil(this.capacity / 10));
    this.now = options.now ?? Date.now;
    this.count = store.count();
  }

  /**
   * Opens the activity list kept in `file` (':memory:' for one that lasts as long as the log).
   * A file that cannot be opened (damaged, or written by a newer Cairn) is left as it is and
   * reported; the list is then kept in memory only: activity is never worth stopping the sync.
   */
  static open(file: string, options: ActivityLogOptions = {}): ActivityLog {
    let store: ActivityStore;
    try {
      store = openActivityStore(file);
    } catch (error) {
      if (file === ':memory:') throw error;
      options.log?.(`the activity list in ${file} cannot be opened (${(error as Error).message}); this session keeps it in memory only`);
      store = openActivityStore(':memory:');
    }
    return new ActivityLog(store, options);
  }

  /** Where the lines are kept (':memory:' when the file could not be used). */
  get file(): string {
    return this.store.file;
  }

  /** Numbers, stamps and keeps the drafts of one library; returns the entries as kept. */
  append(library: { readonly libraryId: string; readonly name: string }, drafts: readonly ActivityDraft[]): ActivityEntry[] {
    if (this.closed || drafts.length === 0) return [];
    const at = this.now();
    const ids = this.store.append(
      drafts.map((draft) => {
        const { kind, ...details } = draft;
        return { libraryId: library.libraryId, libraryName: library.name, at, kind, details };
      }),
    );
    this.count += ids.length;
    if (this.count > this.capacity + this.trimBatch) {
      this.store.keepNewest(this.capacity);
      this.count = this.capacity;
    }
    // Object.assign, not `{ ...draft, activityId, ... }`: V8 gives each object spread and then
    // extended a map of its own, ~20 µs an entry (0.2 s of a 10,000-file first sync), against ~1 µs.
    return drafts.map((draft, position) => Object.assign({}, draft, { activityId: ids[position]!, at, libraryId: library.libraryId, libraryName: library.name }) as ActivityEntry);
  }

  /**
   * Newest first: entries of one library (or all) older than `before`, at most `limit`. A line
   * that no longer reads as an entry (written by another version, or damaged) is skipped.
   */
  page(options: { readonly libraryId?: string; readonly before?: number; readonly limit: number }): ActivityPage {
    const entries: ActivityEntry[] = [];
    if (this.closed) return { entries, hasMore: false };
    const rows = this.store.newestFirst({
      ...(options.libraryId === undefined ? {} : { libraryId: options.libraryId }),
      ...(options.before === undefined ? {} : { before: options.before }),
    });
    for (const row of rows) {
      const details = typeof row.details === 'object' && row.details !== null ? row.details : {};
      const parsed = activityEntrySchema.safeParse({ ...details, kind: row.kind, activityId: row.activityId, at: row.at, libraryId: row.libraryId, libraryName: row.libraryName });
      if (!parsed.success) continue;
      if (entries.length === options.limit) return { entries, hasMore: true };
      entries.push(parsed.data);
    }
    return { entries, hasMore: false };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.store.close();
  }
}
