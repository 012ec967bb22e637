// The activity list the UI shows: the most recent uploads, downloads, deletions, moves,
// conflicts and problems of this device, newest first. It is a bounded ring in memory: the
// daemon keeps the last ACTIVITY_CAPACITY entries and forgets older ones (and all of them when
// it restarts); the server's history is where the full record lives.

import type { ActivityEntry } from '../../shared/api/index.js';

export const ACTIVITY_CAPACITY = 2_000;

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

export class ActivityLog {
  /** Oldest first; activityIds increase along it. */
  private readonly entries: ActivityEntry[] = [];
  private nextId = 1;

  constructor(
    private readonly capacity = ACTIVITY_CAPACITY,
    private readonly now: () => number = Date.now,
  ) {}

  /** Numbers, stamps and keeps the drafts of one library; returns the entries as kept. */
  append(library: { readonly libraryId: string; readonly name: string }, drafts: readonly ActivityDraft[]): ActivityEntry[] {
    const at = this.now();
    const added = drafts.map((draft) => ({ ...draft, activityId: this.nextId++, at, libraryId: library.libraryId, libraryName: library.name }) as ActivityEntry);
    this.entries.push(...added);
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
    return added;
  }

  /** Newest first: entries of one library (or all) older than `before`, at most `limit`. */
  page(options: { readonly libraryId?: string; readonly before?: number; readonly limit: number }): ActivityPage {
    const page: ActivityEntry[] = [];
    for (let position = this.entries.length - 1; position >= 0; position--) {
      const entry = this.entries[position]!;
      if (options.before !== undefined && entry.activityId >= options.before) continue;
      if (options.libraryId !== undefined && entry.libraryId !== options.libraryId) continue;
      if (page.length === options.limit) return { entries: page, hasMore: true };
      page.push(entry);
    }
    return { entries: page, hasMore: false };
  }
}
