// What happens to a stored chunk whose bytes fail verification (a flipped bit, a cut or lost
// pack). Nobody ever receives wrong bytes: readers verify every chunk. Beyond that, the damage
// must be repairable: the chunk store sets the copy aside (so the next upload of the same bytes
// is stored, not skipped as a duplicate), and every library of the owner reports the chunk
// missing (so a client that still has the file uploads it again, and a commit naming it asks
// for it first). Used by the chunk routes when a read fails, and by fsck.

import type { ChunkId } from '../shared/model.js';
import type { ChunkStore } from './storage/chunkStore.js';
import type { MetadataStore } from './storage/metadataStore.js';

/**
 * Records a damaged chunk in both stores. The chunk store goes first: if the process dies in
 * between, the chunk is linked but absent, which the next read treats as damage again.
 */
export async function recordDamagedChunk(store: MetadataStore, chunkStore: ChunkStore, ownerId: string, id: ChunkId, reason: string): Promise<void> {
  await chunkStore.quarantine(ownerId, id, reason);
  await store.chunks.markDamaged(ownerId, [id]);
}
