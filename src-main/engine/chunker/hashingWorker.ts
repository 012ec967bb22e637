// Worker-thread entry for HashingThread: SHA-256 of chunks straight out of shared memory, so
// the thread that cuts never copies or hashes a byte. Started only by HashingThread.

import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type { HashRequest, HashResponse } from './hashingMessages.js';

function hashChunks({ ring, ranges }: HashRequest): Uint8Array {
  const bytes = new Uint8Array(ring);
  const ringSize = bytes.length;
  const digests = new Uint8Array((ranges.length / 2) * 32);
  for (let index = 0; index * 2 < ranges.length; index++) {
    const start = ranges[index * 2]!;
    const end = ranges[index * 2 + 1]!;
    const hash = createHash('sha256');
    let from = start % ringSize;
    let remaining = end - start;
    if (from + remaining > ringSize) {
      hash.update(bytes.subarray(from));
      remaining -= ringSize - from;
      from = 0;
    }
    hash.update(bytes.subarray(from, from + remaining));
    digests.set(hash.digest(), index * 32);
  }
  return digests;
}

function serve(port: MessagePort): void {
  port.on('message', (request: HashRequest) => {
    let response: HashResponse;
    try {
      response = { kind: 'hashed', batch: request.batch, digests: hashChunks(request) };
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      response = { kind: 'failed', batch: request.batch, message: failure.message, stack: failure.stack };
    }
    port.postMessage(response, response.kind === 'hashed' ? [response.digests.buffer as ArrayBuffer] : []);
  });
}

if (parentPort === null) {
  throw new Error('hashingWorker runs only as a worker thread; use HashingThread.');
}
serve(parentPort);
