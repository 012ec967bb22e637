// Hands out conflict-copy names that collide with nothing: no path of any of the three states
// (before or after move detection) and no name handed out earlier in the same plan, compared
// case-folded so the copy is safe on a disk that folds case too.

import { caseFoldKey } from '../../../shared/paths.js';
import type { LibraryPath } from '../../../shared/paths.js';
import { conflictName } from './conflictName.js';
import type { PlanInput } from './planAction.js';
import type { PlanViews, SkipRules } from './planViews.js';

/** More candidates than this for one path means something is badly wrong; give up on it. */
const MAX_CONFLICT_COUNTER = 10_000;

export class ConflictNamer {
  private taken: Set<string> | undefined;

  constructor(
    private readonly input: PlanInput,
    private readonly views: PlanViews,
    private readonly skip: SkipRules,
  ) {}

  /** A free conflict-copy path for `path`, or undefined when the free name would be out of sync. */
  allocate(path: LibraryPath): LibraryPath | undefined {
    const taken = this.takenKeys();
    for (let counter = 1; counter <= MAX_CONFLICT_COUNTER; counter++) {
      const candidate = conflictName(path, this.input.deviceName, this.input.now, counter);
      const key = caseFoldKey(candidate);
      if (taken.has(key)) continue;
      if (this.skip.isSkipped(candidate)) return undefined;
      taken.add(key);
      return candidate;
    }
    return undefined;
  }

  /** Built on the first conflict only: most plans have none. */
  private takenKeys(): Set<string> {
    if (this.taken === undefined) {
      this.taken = new Set<string>();
      const maps: ReadonlyMap<LibraryPath, unknown>[] = [
        this.input.synced,
        this.input.local,
        this.input.remote,
        this.views.synced,
        this.views.local,
        this.views.remote,
      ];
      for (const map of maps) for (const path of map.keys()) this.taken.add(caseFoldKey(path));
    }
    return this.taken;
  }
}
