// A second thread that computes SHA-256 for the chunker, so that cutting (on the calling
// thread) and hashing (here) run on two cores at once. Chunk bytes are shared, not copied: the
// caller reads the file into a SharedArrayBuffer ring and sends only chunk offsets.
//
// Why not WebCrypto's digest on Node's thread pool? It must copy each chunk, and measured
// here that copy (a fresh allocation per chunk) cost the cutting thread about as much as
// hashing inline would have, which left nothing to gain from the second core.

import type { Worker } from 'node:worker_threads';
import type { HashRequest, HashResponse } from './hashingMessages.js';
import { startWorkerThread } from './workerThread.js';

interface PendingBatch {
  readonly resolve: (digests: Uint8Array) => void;
  readonly reject: (error: unknown) => void;
}

export class HashingThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, PendingBatch>();
  private nextBatch = 1;
  private closed = false;

  /**
   * Hashes chunks held in `ring` (see HashRequest) and resolves with their raw digests, 32
   * bytes each, in order. The ring's bytes for these chunks must not change until it resolves.
   */
  hash(ring: SharedArrayBuffer, ranges: readonly number[]): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new Error('The hashing thread was closed.'));
    const worker = this.running();
    const batch = this.nextBatch++;
    return new Promise<Uint8Array>((resolve, reject) => {
      this.pending.set(batch, { resolve, reject });
      worker.ref();
      const request: HashRequest = { batch, ring, ranges };
      worker.postMessage(request);
    });
  }

  /**
   * Starts the thread now, if it is not running, so that a first hash() soon after does not
   * wait for it to load. It does not keep the process alive while idle.
   */
  start(): void {
    if (!this.closed) this.running();
  }

  /** Stops the thread; pending batches are rejected. Safe to call more than once. */
  async close(): Promise<void> {
    this.closed = true;
    await this.worker?.terminate();
  }

  /** The worker, started on first use and again after it died. */
  private running(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = startWorkerThread('hashingWorker');
    worker.unref();
    worker.on('message', (response: HashResponse) => {
      const batch = this.pending.get(response.batch);
      if (batch === undefined) return;
      this.pending.delete(response.batch);
      if (this.pending.size === 0) worker.unref();
      switch (response.kind) {
        case 'hashed':
          batch.resolve(response.digests);
          return;
        case 'failed': {
          const error = new Error(`Hashing thread failed: ${response.message}`);
          if (response.stack !== undefined) error.stack = response.stack;
          batch.reject(error);
          return;
        }
        default:
          missingResponse(response);
      }
    });
    worker.on('error', (error) => this.failAll(error));
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = undefined;
      this.failAll(new Error(`The hashing thread stopped (exit code ${code}).`));
    });
    this.worker = worker;
    return worker;
  }

  private failAll(error: unknown): void {
    for (const batch of this.pending.values()) batch.reject(error);
    this.pending.clear();
  }
}

function missingResponse(response: never): never {
  throw new Error(`Unknown hashing worker response ${JSON.stringify(response)}.`);
}
