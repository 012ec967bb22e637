// Garbage collection on a schedule, inside `cairn-server serve` on the scale-out backend. Every
// instance schedules it; the collector's advisory lock lets one run at a time, and an instance
// that finds it busy skips its turn. The first run waits between half and all of the interval,
// so instances started together do not all try at once, and a restart loop never collects in
// a loop. Stopping waits for a collection in progress (each of its steps is a transaction).

import type { Logger } from '../log.js';
import { DEFAULT_GC_OPTIONS, GarbageCollectionBusyError } from '../storage/scaleOutGarbageCollector.js';
import type { GarbageCollectionOptions, GarbageCollectionReport } from '../storage/scaleOutGarbageCollector.js';

export interface GarbageCollectionSchedule {
  stop(): Promise<void>;
}

export function scheduleGarbageCollection(
  collect: (options: GarbageCollectionOptions) => Promise<GarbageCollectionReport>,
  options: { readonly intervalMs: number; readonly log: Logger; readonly random?: () => number },
): GarbageCollectionSchedule {
  const random = options.random ?? Math.random;
  let stopped = false;
  let running: Promise<void> | null = null;
  let timer: NodeJS.Timeout;

  const run = async (): Promise<void> => {
    const started = Date.now();
    try {
      const report = await collect({ ...DEFAULT_GC_OPTIONS, now: started });
      options.log('info', 'garbage collected', { ...report, ms: Date.now() - started });
    } catch (error) {
      if (error instanceof GarbageCollectionBusyError) options.log('info', 'garbage collection skipped: another instance is collecting');
      else options.log('error', 'garbage collection failed', { error });
    }
  };
  const arm = (delay: number): void => {
    timer = setTimeout(() => {
      running = run().finally(() => {
        running = null;
        if (!stopped) arm(options.intervalMs);
      });
    }, delay);
    // A pending collection never keeps the process alive.
    timer.unref();
  };
  arm(options.intervalMs * (0.5 + random() / 2));

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
