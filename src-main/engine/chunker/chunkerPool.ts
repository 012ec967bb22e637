// A small pool of worker threads that chunk files off the main thread.
//
// Each worker runs one chunkFile job at a time; inside it, a large file is cut on the worker's
// thread while its hashing thread hashes (see chunkWithHashingThread), so one large file already
// uses two cores: there is one worker per two cores (see defaultPoolSize). Workers start
// on first use, are unreferenced while idle (an idle pool never keeps the process alive), and
// a worker that dies is replaced on the next job.

import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { ChunkingParams } from '../../../shared/model.js';
import { checkChunkingParams } from './cutter.js';
import type { ChunkedFile, ChunkFileOptions } from './chunkFile.js';
import { chunkFileErrorFromData } from './chunkFileError.js';
import type { ChunkerRequest, ChunkerResponse } from './chunkerMessages.js';
import { startWorkerThread } from './workerThread.js';

export interface ChunkerPoolOptions {
  /** Number of worker threads; defaultPoolSize() by default. */
  readonly size?: number;
  /** A worker idle this long stops (IDLE_STOP_MS by default); the next job starts one again. */
  readonly idleStopMs?: number;
}

/**
 * Each worker (with the hashing thread it starts for large files) holds 20 to 30 MiB of its
 * own heap and buffers. Once a scan is over they are let go, so a round's upload and download
 * do not carry them; starting one again costs about 30 ms, little beside a scan that needs it.
 */
const IDLE_STOP_MS = 1000;

/**
 * Workers for a machine with `cores` cores: one per two cores, at most two, at least one. A
 * worker chunking a large file already keeps two threads busy (it cuts, its hashing thread
 * hashes), so a second worker on two cores only shares them, and costs its own pair of
 * isolates and buffers (~35 MiB of peak memory while a scan of large files runs). Measured on
 * two cores, the 1 GB mixed set (500 files of 1 KiB-20 MiB) scanned by one worker instead of
 * two: about 5% more wall time, 5% less CPU, peak RSS ~155 -> ~123 MiB for the scan alone.
 */
export function defaultPoolSize(cores: number = availableParallelism()): number {
  return Math.max(1, Math.min(2, Math.floor(cores / 2)));
}

/** chunkFile options that can cross to a worker (a callback cannot). */
export type PoolChunkFileOptions = Pick<ChunkFileOptions, 'keepBytesUpTo' | 'readSize'>;

export interface ChunkerPool {
  readonly size: number;
  /** Worker threads alive right now (started on demand; 0 once close() has resolved). */
  readonly runningWorkers: number;
  /** As chunkFile, run on a worker thread; jobs beyond the pool's size wait in order. */
  chunkFile(path: string, params: ChunkingParams, options?: PoolChunkFileOptions): Promise<ChunkedFile>;
  /** Rejects waiting and running jobs with ChunkerPoolClosed and stops every worker. */
  close(): Promise<void>;
}

/** The pool was closed before the job finished; the caller is shutting down, so drop the job. */
export class ChunkerPoolClosed extends Error {
  constructor() {
    super('The chunker pool was closed before this job finished.');
    this.name = 'ChunkerPoolClosed';
  }
}

interface Job {
  readonly request: ChunkerRequest;
  readonly resolve: (result: ChunkedFile) => void;
  readonly reject: (error: unknown) => void;
}

interface Slot {
  readonly worker: Worker;
  readonly exited: Promise<void>;
  job: Job | undefined;
  idleTimer: NodeJS.Timeout | undefined;
}

export function createChunkerPool(options: ChunkerPoolOptions = {}): ChunkerPool {
  const size = options.size ?? defaultPoolSize();
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`A chunker pool needs at least one worker, not ${size}.`);
  const idleStopMs = options.idleStopMs ?? IDLE_STOP_MS;

  const slots = new Set<Slot>();
  const queue: Job[] = [];
  let nextJob = 1;
  let closed = false;

  function dispatch(): void {
    while (queue.length > 0) {
      let slot = [...slots].find((candidate) => candidate.job === undefined);
      if (slot === undefined && slots.size < size) slot = startWorker();
      if (slot === undefined) return;
      const job = queue.shift()!;
      clearTimeout(slot.idleTimer);
      slot.idleTimer = undefined;
      slot.job = job;
      slot.worker.ref();
      slot.worker.postMessage(job.request);
    }
  }

  function startWorker(): Slot {
    const worker = startWorkerThread('chunkerWorker');
    let markExited: () => void = () => undefined;
    const slot: Slot = { worker, exited: new Promise((resolve) => (markExited = resolve)), job: undefined, idleTimer: undefined };
    slots.add(slot);

    worker.on('message', (response: ChunkerResponse) => {
      const job = slot.job;
      if (job === undefined || response.job !== job.request.job) return;
      slot.job = undefined;
      worker.unref();
      settle(job, response);
      dispatch();
      if (slot.job === undefined) stopWhenIdle(slot);
    });
    // An uncaught error in the worker is a bug; the worker exits right after it.
    worker.on('error', (error) => {
      slot.job?.reject(error);
      slot.job = undefined;
    });
    worker.on('exit', (code) => {
      clearTimeout(slot.idleTimer);
      slots.delete(slot);
      slot.job?.reject(closed ? new ChunkerPoolClosed() : new Error(`A chunker worker stopped unexpectedly (exit code ${code}).`));
      slot.job = undefined;
      markExited();
      if (!closed) dispatch();
    });
    return slot;
  }

  /** Stops the worker if it is still idle after idleStopMs; it leaves the pool at once then, so no job is given to it. */
  function stopWhenIdle(slot: Slot): void {
    clearTimeout(slot.idleTimer);
    slot.idleTimer = setTimeout(() => {
      slot.idleTimer = undefined;
      if (slot.job !== undefined || closed) return;
      slots.delete(slot);
      void slot.worker.terminate();
    }, idleStopMs);
    slot.idleTimer.unref();
  }

  function settle(job: Job, response: ChunkerResponse): void {
    switch (response.kind) {
      case 'chunked':
        job.resolve(response.result);
        return;
      case 'file-problem':
        job.reject(chunkFileErrorFromData(response));
        return;
      case 'failed': {
        const error = new Error(`Chunker worker failed: ${response.message}`);
        if (response.stack !== undefined) error.stack = response.stack;
        job.reject(error);
        return;
      }
      default:
        missingResponse(response);
    }
  }

  return {
    size,
    get runningWorkers() {
      return slots.size;
    },
    chunkFile(filePath, params, jobOptions = {}) {
      if (closed) return Promise.reject(new ChunkerPoolClosed());
      try {
        checkChunkingParams(params);
      } catch (error) {
        return Promise.reject(error);
      }
      return new Promise<ChunkedFile>((resolve, reject) => {
        const request: ChunkerRequest = {
          kind: 'chunk-file',
          job: nextJob++,
          path: filePath,
          params,
          keepBytesUpTo: jobOptions.keepBytesUpTo,
          readSize: jobOptions.readSize,
        };
        queue.push({ request, resolve, reject });
        dispatch();
      });
    },
    async close() {
      closed = true;
      for (const job of queue.splice(0)) job.reject(new ChunkerPoolClosed());
      const running = [...slots];
      await Promise.all(running.map((slot) => slot.worker.terminate()));
      await Promise.all(running.map((slot) => slot.exited));
    },
  };
}

function missingResponse(response: never): never {
  throw new Error(`Unknown chunker worker response ${JSON.stringify(response)}.`);
}
