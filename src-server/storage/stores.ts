// What a backend hands the server: the two stores, and for backends shared by several server
// instances, the notifier that carries announcements between them and a readiness check.

import type { Notifier } from '../notifier.js';
import type { GarbageCollectionOptions, GarbageCollectionReport } from './scaleOutGarbageCollector.js';
import type { ChunkStore } from './chunkStore.js';
import type { MetadataStore } from './metadataStore.js';

export interface ClosableNotifier extends Notifier {
  close(): Promise<void>;
}

export interface Stores {
  readonly metadata: MetadataStore;
  readonly chunks: ChunkStore;
  /** Push across instances; without one the server announces within its own process. */
  readonly notifier?: ClosableNotifier;
  /**
   * Readiness: the parts of the backend that do not answer right now, in words an operator
   * can act on; empty when ready. Without it the backend is always ready (local files).
   */
  readonly checkReady?: () => Promise<string[]>;
  /** Reclaims what no version needs (scale-out backend; the embedded one keeps everything). */
  readonly collectGarbage?: (options: GarbageCollectionOptions) => Promise<GarbageCollectionReport>;
}

/** Closes everything the stores hold; each part is closed even if another fails. */
export async function closeStores(stores: Stores): Promise<void> {
  const results = await Promise.allSettled([stores.notifier?.close(), stores.metadata.close(), stores.chunks.close()]);
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}
