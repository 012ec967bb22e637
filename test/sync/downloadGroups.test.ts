// Small downloads are written in groups whose chunks are kept in two arenas used in turn (see
// ChunkSource.request): a group never passes its byte bound unless it is one file, and once the
// groups are over the arenas are let go before the large files stream in their own windows.

import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChunkSource } from '../../src-main/engine/sync/chunkSource.js';
import { DOWNLOAD_GROUP_BYTES, DOWNLOAD_GROUP_FILES, downloadGroups } from '../../src-main/engine/sync/syncLibrary.js';
import { harnessPerTest } from './backends.js';
import type { Harness } from './harness.js';

const MiB = 1024 * 1024;

describe('downloadGroups', () => {
  it('never lets a group of several files pass the byte bound, and keeps the order', () => {
    const sizes = [6 * MiB, 6 * MiB, 7 * MiB, 1, 2, 20 * MiB, 3 * MiB, 16 * MiB, 1];
    const groups = downloadGroups(sizes, (size) => size);
    expect(groups.flat()).toEqual(sizes);
    for (const group of groups) {
      const bytes = group.reduce((sum, size) => sum + size, 0);
      if (group.length > 1) expect(bytes).toBeLessThanOrEqual(DOWNLOAD_GROUP_BYTES);
    }
    // 6 + 6 MiB fit; 7 more would pass 16 MiB, so it starts the next group.
    expect(groups[0]).toEqual([6 * MiB, 6 * MiB]);
    expect(groups).toEqual([[6 * MiB, 6 * MiB], [7 * MiB, 1, 2], [20 * MiB], [3 * MiB], [16 * MiB], [1]]);
  });

  it('cuts groups at the file bound too', () => {
    const groups = downloadGroups(Array.from({ length: DOWNLOAD_GROUP_FILES * 2 + 1 }, () => 10), (size) => size);
    expect(groups.map((group) => group.length)).toEqual([DOWNLOAD_GROUP_FILES, DOWNLOAD_GROUP_FILES, 1]);
    expect(downloadGroups([], (size: number) => size)).toEqual([]);
  });
});

describe('group arenas in a round', () => {
  let harness: Harness;
  harnessPerTest('embedded', (started) => {
    harness = started;
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('are let go before the large files are read', async () => {
    const alice = await harness.client('alice');
    const bob = await harness.client('bob');
    for (let i = 0; i < 20; i++) await alice.write(`small/f${i}.bin`, randomBytes(3000 + i));
    await alice.write('large.bin', randomBytes(8 * MiB + 1));
    await alice.sync();

    const ended = vi.spyOn(ChunkSource.prototype, 'endGroups');
    const arenaBytesAtStreamedRead: number[] = [];
    const read = ChunkSource.prototype.read;
    vi.spyOn(ChunkSource.prototype, 'read').mockImplementation(function (this: ChunkSource, ...args: Parameters<ChunkSource['read']>) {
      if (args[1]) arenaBytesAtStreamedRead.push(this.arenaBytes);
      return read.apply(this, args);
    });
    const summary = await bob.sync();
    expect(summary.downloadedFiles).toBe(21);
    expect(await bob.tree()).toEqual(await alice.tree());
    expect(ended).toHaveBeenCalledTimes(1);
    // The small files' groups held arena blocks; none is left when the large file streams.
    expect(arenaBytesAtStreamedRead).toEqual([0]);
  }, 60_000);
});
