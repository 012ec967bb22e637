// The worker pool runs chunkFile on worker threads with the same results as in-process, brings
// per-file trouble back as typed errors, and leaves no thread behind when closed.

import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChunkFileError,
  ChunkerPoolClosed,
  chunkFile,
  createChunkerPool,
  defaultPoolSize,
} from '../../../src-main/engine/chunker/index.js';
import type { ChunkerPool } from '../../../src-main/engine/chunker/index.js';
import { DEFAULT_CHUNKING } from '../../../shared/model.js';
import type { ChunkingParams } from '../../../shared/model.js';
import { seededBytes } from './seededBytes.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const SMALL_RABIN: ChunkingParams = { algorithm: 'rabin', minSize: 4 * KiB, avgSize: 16 * KiB, maxSize: 64 * KiB };

let folder = '';
const files: { path: string; params: ChunkingParams }[] = [];

beforeAll(() => {
  folder = mkdtempSync(path.join(tmpdir(), 'cairn-chunker-pool-'));
  const specs = [
    { length: 0, params: DEFAULT_CHUNKING },
    { length: 100, params: DEFAULT_CHUNKING },
    { length: 5 * MiB + 1, params: DEFAULT_CHUNKING },
    { length: 2 * MiB, params: SMALL_RABIN },
    { length: 3 * MiB, params: DEFAULT_CHUNKING },
  ];
  specs.forEach(({ length, params }, index) => {
    const filePath = path.join(folder, `file ${index}.bin`);
    writeFileSync(filePath, seededBytes(length, 90 + index));
    files.push({ path: filePath, params });
  });
});

afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

describe('defaultPoolSize', () => {
  it('starts one worker per two cores (each cuts on one and hashes on another), one to two of them', async () => {
    expect(defaultPoolSize(1)).toBe(1);
    expect(defaultPoolSize(2)).toBe(1);
    expect(defaultPoolSize(3)).toBe(1);
    expect(defaultPoolSize(4)).toBe(2);
    expect(defaultPoolSize(64)).toBe(2);
    const made = createChunkerPool();
    expect(made.size).toBe(defaultPoolSize());
    await made.close();
  });
});

describe('createChunkerPool', () => {
  let pool: ChunkerPool | undefined;
  afterAll(async () => {
    await pool?.close();
  });

  it('runs jobs on at most `size` workers, with the results of chunkFile', async () => {
    pool = createChunkerPool({ size: 2 });
    expect(pool.size).toBe(2);
    expect(pool.runningWorkers).toBe(0);
    const running = files.map((file) => pool!.chunkFile(file.path, file.params));
    expect(pool.runningWorkers).toBe(2);
    const results = await Promise.all(running);
    for (const [index, file] of files.entries()) {
      const expected = await chunkFile(file.path, file.params);
      expect(results[index]).toEqual(expected);
    }
  });

  it('transfers kept bytes back', async () => {
    const file = files[1]!;
    const result = await pool!.chunkFile(file.path, file.params, { keepBytesUpTo: 1000 });
    expect(result.bytes).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(result.bytes!).equals(seededBytes(100, 91))).toBe(true);
  });

  it('brings per-file trouble back as a ChunkFileError', async () => {
    const error: unknown = await pool!.chunkFile(path.join(folder, 'missing.bin'), DEFAULT_CHUNKING).catch((rejection: unknown) => rejection);
    expect(error).toBeInstanceOf(ChunkFileError);
    expect((error as ChunkFileError).problem).toBe('not-found');
    expect((error as ChunkFileError).code).toBe('ENOENT');
    expect((error as ChunkFileError).path).toBe(path.join(folder, 'missing.bin'));
  });

  it('refuses bad parameters before starting a job', async () => {
    await expect(pool!.chunkFile(files[0]!.path, { ...DEFAULT_CHUNKING, minSize: 1 })).rejects.toThrow(RangeError);
  });

  it('closes with no worker left, rejecting what was still queued', async () => {
    const closing = createChunkerPool({ size: 1 });
    const first = closing.chunkFile(files[2]!.path, DEFAULT_CHUNKING).catch((rejection: unknown) => rejection);
    const queued = closing.chunkFile(files[4]!.path, DEFAULT_CHUNKING).catch((rejection: unknown) => rejection);
    expect(closing.runningWorkers).toBe(1);
    await closing.close();
    expect(closing.runningWorkers).toBe(0);
    expect(await queued).toBeInstanceOf(ChunkerPoolClosed);
    // The running job either finished before the worker stopped or was rejected as closed.
    const firstOutcome = await first;
    expect(firstOutcome instanceof ChunkerPoolClosed || (firstOutcome as { size?: number }).size === 5 * MiB + 1).toBe(true);
    await expect(closing.chunkFile(files[0]!.path, DEFAULT_CHUNKING)).rejects.toBeInstanceOf(ChunkerPoolClosed);
    await closing.close();
  });

  // Each worker holds tens of MiB; a round's upload and download must not carry them.
  it.skipIf(process.platform !== 'linux')('stops workers idle for idleStopMs, threads and all, and starts them again for the next job', async () => {
    const threadCount = (): number => readdirSync('/proc/self/task').length;
    const idle = createChunkerPool({ size: 2, idleStopMs: 400 });
    try {
      await Promise.all([idle.chunkFile(files[2]!.path, DEFAULT_CHUNKING), idle.chunkFile(files[4]!.path, DEFAULT_CHUNKING)]);
      expect(idle.runningWorkers).toBe(2);
      const busyThreads = threadCount();
      // Busy workers are not stopped: a job started halfway through the idle time keeps one
      // running for at least that half after the other stops (its own idle time starts anew when
      // the job ends), a window much wider than the poll's interval.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const busy = idle.chunkFile(files[2]!.path, DEFAULT_CHUNKING);
      await expect.poll(() => idle.runningWorkers, { timeout: 5000, interval: 10 }).toBe(1);
      expect((await busy).size).toBe(5 * MiB + 1);
      await expect.poll(() => idle.runningWorkers, { timeout: 5000 }).toBe(0);
      // Both workers and their hashing threads are gone.
      await expect.poll(threadCount, { timeout: 5000 }).toBeLessThanOrEqual(busyThreads - 4);
      const again = await idle.chunkFile(files[4]!.path, files[4]!.params);
      expect(again.chunks).toEqual((await chunkFile(files[4]!.path, files[4]!.params)).chunks);
    } finally {
      await idle.close();
    }
  });

  // The OS's own list of this process's threads: the pool's workers and their hashing threads
  // must all be gone once close() resolves.
  it.skipIf(process.platform !== 'linux')('leaves no thread behind once closed', async () => {
    const threadCount = (): number => readdirSync('/proc/self/task').length;
    await stat(folder); // Node's own thread pool exists from the first asynchronous file call.
    const before = threadCount();
    const closing = createChunkerPool({ size: 2 });
    await Promise.all([closing.chunkFile(files[2]!.path, DEFAULT_CHUNKING), closing.chunkFile(files[4]!.path, DEFAULT_CHUNKING)]);
    expect(threadCount()).toBeGreaterThanOrEqual(before + 4);
    await closing.close();
    // At most as many as before: threads an earlier test started may still be ending meanwhile.
    expect(threadCount()).toBeLessThanOrEqual(before);
  });
});
