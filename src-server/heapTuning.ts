// How the server's JavaScript heap grows while it handles a request that lists thousands of
// versions (a 10,000-file commit, a feed page of 5,000 entries). Such a request keeps many
// objects alive at once for a short while; with V8's defaults that doubled the young generation
// up to 16 MiB per semi-space (twice that resident, never given back) and let the old
// generation grow several times its live size before collecting: the server's resident memory
// on a 10,000-file first sync went from 65 to 155 MiB.
//
// While at least one such request runs, two of V8's tuning flags, which it reads at every
// collection, are changed: the young generation keeps its size (growth factor 1, so a burst is
// scavenged more often instead of in a larger space), and after a full collection the old
// generation may grow by half of what is live before the next one. On a 10,000-file first
// sync that kept the server near 105 MiB instead of 155; the feed costs some 9% more CPU (20%
// would save 6 MiB more there for 20% more CPU). Set for the whole process, they cost chunk
// transfers (which promote many short-lived buffers) some 20% more server CPU in extra full
// collections, so they are set only around these requests and put back after.

import v8 from 'node:v8';

/** The flags while a version-listing request runs, and V8's defaults put back after. */
export const FRUGAL_HEAP_FLAGS = ['--semi-space-growth-factor=1', '--heap-growing-percent=50'] as const;
export const DEFAULT_HEAP_FLAGS = ['--semi-space-growth-factor=2', '--heap-growing-percent=0'] as const;

let running = 0;
let entered = 0;

function setFlags(flags: readonly string[]): void {
  for (const flag of flags) v8.setFlagsFromString(flag);
}

/** Runs `work` with the frugal heap flags set (for as long as any such work runs). */
export async function withFrugalHeap<T>(work: () => Promise<T>): Promise<T> {
  entered += 1;
  if (running++ === 0) setFlags(FRUGAL_HEAP_FLAGS);
  try {
    return await work();
  } finally {
    if (--running === 0) setFlags(DEFAULT_HEAP_FLAGS);
  }
}

/** How many times work was run with frugal heap flags (for tests), and how many run now. */
export function frugalHeapCounts(): { entered: number; running: number } {
  return { entered, running };
}
