// Sending the chunks of small files while the scan is still reading the others.
//
// A first sync of many small files used to scan everything, then upload everything: the
// server sat idle through the scan and the client through the server's storing. Here the
// chunks the scan keeps (see KeptChunks) are offered as soon as their file is hashed; every
// BATCH_BYTES of them, the server is asked which it lacks and those are sent, one batch at a
// time, while the scan goes on. A chunk sent is let go from KeptChunks, so the bytes held stay
// near one batch instead of the whole library's.
//
// Nothing is committed here: these are the same uploads the round's upload step makes, made
// earlier. A chunk sent for a file the plan then does not upload (equal on the server, a
// conflict) is an unreferenced upload, which the server keeps for a while and collects like
// any upload whose commit never came. The round uses this only where everything it scans is
// meant for the server (a writable library with every folder selected). Any failure stops the
// early sending quietly: the upload step asks the server what it lacks, as it always does,
// and sends the rest from KeptChunks or the files, so an early failure costs time, never data.

import type { ChunkId, ChunkRef } from '../../../shared/model.js';
import type { ServerClient } from '../remote/serverClient.js';
import { pairWithBases } from './chunkPatching.js';
import type { KeptChunks } from './keptChunks.js';

/** Chunk bytes gathered before the server is asked about them and they are sent. */
const BATCH_BYTES = 4 * 1024 * 1024;

/** Per chunk offered, its id and size (its bytes stay in KeptChunks until sent). */
interface Offered {
  readonly id: ChunkId;
  readonly size: number;
}

export class EarlyUpload {
  /** Bytes of chunks sent to the server, for the round's summary. */
  sentBytes = 0;
  /**
   * Chunks the server holds for the library now (sent, or found there): the upload step need
   * not ask about them again. Should one be gone by the commit, the commit says so and the next
   * pass asks about every chunk.
   */
  readonly present = new Set<ChunkId>();
  private pending: Offered[] = [];
  private pendingBytes = 0;
  private inFlight: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly client: Pick<ServerClient, 'missingChunks' | 'uploadChunks'> & { readonly chunkPatches?: boolean },
    private readonly libraryId: string,
    private readonly kept: KeptChunks,
    private readonly batchBytes = BATCH_BYTES,
  ) {}

  /**
   * Offers chunks that KeptChunks holds. Resolves at once, or, when a full batch is waiting
   * while the previous one is still on its way, once that one is done: the scan then waits
   * instead of gathering more bytes than two batches.
   */
  async offer(chunks: readonly Offered[], previous?: readonly ChunkRef[]): Promise<void> {
    if (this.stopped) return;
    // A file edited since the previous scan: where the server takes chunk patches, the chunks
    // that replace its previous ones wait for the upload step, which sends them as patches.
    const patched = previous !== undefined && this.client.chunkPatches === true ? new Set(pairWithBases(previous, chunks).map((pair) => pair.chunk.id)) : null;
    for (const chunk of chunks) {
      if (!this.kept.has(chunk.id) || patched?.has(chunk.id) === true) continue;
      this.pending.push(chunk);
      this.pendingBytes += chunk.size;
    }
    if (this.pendingBytes < this.batchBytes) return;
    if (this.inFlight !== null) await this.inFlight;
    if (this.stopped || this.inFlight !== null || this.pendingBytes < this.batchBytes) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.inFlight = this.send(batch).finally(() => {
      this.inFlight = null;
    });
  }

  /**
   * Waits for the batch on its way, and sends no more; what was offered but not sent stays in
   * KeptChunks for the upload step.
   */
  async finish(): Promise<void> {
    this.stopped = true;
    this.pending = [];
    this.pendingBytes = 0;
    while (this.inFlight !== null) await this.inFlight;
  }

  private async send(batch: readonly Offered[]): Promise<void> {
    try {
      const missing = await this.client.missingChunks(this.libraryId, [...new Set(batch.map((chunk) => chunk.id))]);
      const frames: { id: ChunkId; bytes: Uint8Array }[] = [];
      for (const { id } of batch) {
        const bytes = missing.delete(id) ? this.kept.peek(id) : undefined;
        if (bytes !== undefined) frames.push({ id, bytes });
      }
      if (frames.length > 0) this.sentBytes += (await this.client.uploadChunks(this.libraryId, frames)).bytes;
      // On the server now (or already before): the upload step finds them present.
      for (const { id } of batch) {
        this.kept.take(id);
        this.present.add(id);
      }
    } catch {
      // The upload step asks again and sends what is missing.
      this.stopped = true;
    }
  }
}
