// Large files travel streamed, chunk by chunk: never whole in memory, and a small edit of a
// large file costs about one chunk on the wire in both directions.

import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { DEFAULT_CHUNKING } from '../../shared/model.js';
import { partialFileName } from '../../src-main/engine/localfs/index.js';
import { startHarness } from './harness.js';
import type { Harness } from './harness.js';

const SIZE = 256 * 1024 * 1024;
const MiB = 1024 * 1024;

let harness: Harness;
beforeEach(async () => {
  harness = await startHarness();
});
afterEach(async () => {
  await harness.stop();
});

async function writeRandomFile(file: string, size: number): Promise<void> {
  const handle = await open(file, 'w');
  const block = Buffer.alloc(4 * MiB);
  try {
    for (let written = 0; written < size; written += block.length) {
      randomFillSync(block);
      await handle.write(block, 0, Math.min(block.length, size - written));
    }
  } finally {
    await handle.close();
  }
}

async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const slice of createReadStream(file)) hash.update(slice as Buffer);
  return hash.digest('hex');
}

/** Samples the resident set size while `work` runs and returns the largest growth seen. */
async function peakGrowth<T>(work: () => Promise<T>): Promise<{ result: T; growth: number }> {
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, growth: peak - base };
  } finally {
    clearInterval(timer);
  }
}

it('syncs a 256 MiB file streamed, then a 10-byte insert as about one chunk', async () => {
  await harness.createLibrary('alice', 'Big', DEFAULT_CHUNKING);
  const alice = await harness.client('alice', { libraryName: 'Big' });
  const bob = await harness.client('bob', { libraryName: 'Big' });
  // Warm up both clients (worker threads, connections) so that only the transfer is measured.
  await alice.write('small.txt', 'warm-up');
  await alice.sync();
  await bob.sync();
  const source = path.join(alice.root, 'disk.img');
  await writeRandomFile(source, SIZE);

  const up = await peakGrowth(() => alice.sync());
  expect(up.result.uploadedBytes).toBe(SIZE);
  const down = await peakGrowth(() => bob.sync());
  expect(down.result.downloadedBytes).toBe(SIZE);
  expect(await sha256OfFile(path.join(bob.root, 'disk.img'))).toBe(await sha256OfFile(source));
  // Both sides ran in this process (and the server too): a file held whole in memory would
  // show as at least its size. Streaming holds a few batches of chunks; the margin above that
  // is garbage the collector has not returned yet (measured 90-160 MB here, depending on load).
  expect(up.growth).toBeLessThan(SIZE * 0.75);
  expect(down.growth).toBeLessThan(SIZE * 0.75);

  // Insert 10 bytes at 1 MiB: rewrite the file with the insertion.
  const original = await open(source, 'r');
  const edited = await open(`${source}.new`, 'w');
  const buffer = Buffer.alloc(4 * MiB);
  let offset = 0;
  for (;;) {
    const { bytesRead } = await original.read(buffer, 0, buffer.length, offset);
    if (bytesRead === 0) break;
    if (offset === 0) {
      await edited.write(buffer.subarray(0, MiB));
      await edited.write(Buffer.from('0123456789'));
      await edited.write(buffer.subarray(MiB, bytesRead));
    } else {
      await edited.write(buffer.subarray(0, bytesRead));
    }
    offset += bytesRead;
  }
  await original.close();
  await edited.close();
  await rename(`${source}.new`, source);

  const small = await alice.sync();
  expect(small.uploadedFiles).toBe(1);
  expect(small.uploadedBytes).toBeLessThanOrEqual(2 * DEFAULT_CHUNKING.maxSize);
  const smallDown = await bob.sync();
  expect(smallDown.downloadedBytes).toBeLessThanOrEqual(2 * DEFAULT_CHUNKING.maxSize);
  expect(smallDown.reusedBytes).toBeGreaterThan(SIZE - 2 * DEFAULT_CHUNKING.maxSize);
  expect(await sha256OfFile(path.join(bob.root, 'disk.img'))).toBe(await sha256OfFile(source));
}, 180_000);

it('resumes an interrupted large download without fetching again what arrived', async () => {
  await harness.createLibrary('alice', 'Resume', DEFAULT_CHUNKING);
  const alice = await harness.client('alice', { libraryName: 'Resume' });
  const bob = await harness.client('bob', { libraryName: 'Resume' });
  const size = 24 * MiB;
  await writeRandomFile(path.join(alice.root, 'video.mp4'), size);
  await alice.sync();
  // What an interrupted download leaves behind: the first part of the content, verified
  // chunk by chunk on resume, under the content's partial name.
  const remote = alice.withIndex((index) => index.remote.get(alice.libraryId, 'video.mp4' as never))!;
  expect(remote.node.kind).toBe('file');
  const contentHash = remote.node.kind === 'file' ? remote.node.contentHash : '';
  const whole = await readFile(path.join(alice.root, 'video.mp4'));
  const arrived = 10 * MiB;
  await writeFile(path.join(bob.root, partialFileName(contentHash)), whole.subarray(0, arrived));
  const round = await bob.sync();
  const keptBytes = round.reusedBytes;
  expect(keptBytes).toBeGreaterThan(arrived - DEFAULT_CHUNKING.maxSize);
  expect(keptBytes).toBeLessThanOrEqual(arrived);
  expect(round.downloadedBytes).toBe(size - keptBytes);
  expect(await sha256OfFile(path.join(bob.root, 'video.mp4'))).toBe(await sha256OfFile(path.join(alice.root, 'video.mp4')));
  expect(await bob.exists(partialFileName(contentHash))).toBe(false);
}, 120_000);
