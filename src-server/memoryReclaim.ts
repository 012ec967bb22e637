// Prompt reclaiming of the buffers chunk transfers leave behind. Every piece of an upload's body
// (Node's HTTP parser copies each one into a new buffer) and every chunk read for a download is
// a short-lived buffer outside the JavaScript heap; V8 frees them only when it collects their
// small handles, which it does once some 30 MiB of them piled up, and the allocator keeps most
// of that high-water mark resident. So after every RECLAIM_EVERY_BYTES moved, the server asks
// for a young-generation collection (a scavenge: well under a millisecond when, as here, what
// it finds is dead), which keeps the dead transfer buffers to a few MiB.

import v8 from 'node:v8';
import vm from 'node:vm';

/** Bytes of transfer buffers let die between two collections. */
export const RECLAIM_EVERY_BYTES = 8 * 1024 * 1024;

type Collect = (options: { type: 'minor' }) => void;

let collect: Collect | null | undefined;
let sinceCollection = 0;

/** V8's collector, exposed to a context of our own (the main context's globals are unchanged). */
function collector(): Collect | null {
  if (collect === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      const exposed: unknown = vm.runInNewContext('gc');
      collect = typeof exposed === 'function' ? (exposed as Collect) : null;
    } catch {
      collect = null;
    }
  }
  return collect;
}

/** Counts bytes of transfer buffers that are garbage once handled; collects now and then. */
export function noteTransferBuffers(bytes: number): void {
  sinceCollection += bytes;
  if (sinceCollection < RECLAIM_EVERY_BYTES) return;
  sinceCollection = 0;
  collector()?.({ type: 'minor' });
}
