// Worker-thread entry for createChunkerPool: runs one chunkFile job at a time and answers with
// a ChunkerResponse. Large files are cut here and hashed on this worker's own HashingThread,
// started on the first large file and stopped with this worker. Started only by the pool.

import { parentPort } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { chunkFile } from './chunkFile.js';
import { ChunkFileError } from './chunkFileError.js';
import type { ChunkerRequest, ChunkerResponse } from './chunkerMessages.js';
import { HashingThread } from './hashingThread.js';

const hashingThread = new HashingThread();

function serve(port: MessagePort): void {
  port.on('message', (request: ChunkerRequest) => {
    void answer(request).then(({ response, transfer }) => port.postMessage(response, transfer));
  });
}

async function answer(request: ChunkerRequest): Promise<{ response: ChunkerResponse; transfer: ArrayBuffer[] }> {
  const { job } = request;
  try {
    const options = {
      hashingThread,
      ...(request.keepBytesUpTo === undefined ? {} : { keepBytesUpTo: request.keepBytesUpTo }),
      ...(request.readSize === undefined ? {} : { readSize: request.readSize }),
    };
    const result = await chunkFile(request.path, request.params, options);
    const transfer = result.bytes === undefined ? [] : [result.bytes.buffer as ArrayBuffer];
    return { response: { kind: 'chunked', job, result }, transfer };
  } catch (error) {
    if (error instanceof ChunkFileError) {
      const { problem, path, message, code } = error;
      return { response: { kind: 'file-problem', job, problem, path, message, code }, transfer: [] };
    }
    const failure = error instanceof Error ? error : new Error(String(error));
    return { response: { kind: 'failed', job, message: failure.message, stack: failure.stack }, transfer: [] };
  }
}

if (parentPort === null) {
  throw new Error('chunkerWorker runs only as a worker thread; use createChunkerPool.');
}
serve(parentPort);
