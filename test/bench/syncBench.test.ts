// Smoke test of the sync benchmark at tiny sizes: the machinery runs end to end (server, byte
// counters, two clients, every step), B's folder matches A's after each step (runSyncBench checks that
// itself and throws otherwise), and the figures say what the steps did. Nothing here depends
// on how fast the machine is.

import { beforeAll, describe, expect, it } from 'vitest';
import { runSyncBench } from '../../bench/syncBench.js';
import type { SyncBenchFigures } from '../../bench/syncBench.js';

const FILE_BYTES = 4 * 1024 * 1024;
const SMALL_FILES = 100;

let figures: SyncBenchFigures;
beforeAll(async () => {
  figures = await runSyncBench({ largeFileBytes: FILE_BYTES, smallFiles: SMALL_FILES, serverInProcess: true });
}, 120_000);

function large(): NonNullable<SyncBenchFigures['largeFile']> {
  if (figures.largeFile === undefined) throw new Error('the large-file steps did not run');
  return figures.largeFile;
}

function many(): NonNullable<SyncBenchFigures['manyFiles']> {
  if (figures.manyFiles === undefined) throw new Error('the many-files steps did not run');
  return figures.manyFiles;
}

const cases: readonly { readonly name: string; readonly check: () => void }[] = [
  {
    name: 'the first sync of the large file sends and fetches every byte once',
    check: () => {
      expect(large().firstSync.up.uploadedBytes).toBe(FILE_BYTES);
      expect(large().firstSync.down.downloadedBytes).toBe(FILE_BYTES);
      expect(large().firstSync.down.downloadedFiles).toBe(1);
    },
  },
  {
    name: 'the wire counts hold at least the chunk bytes, plus the HTTP around them',
    check: () => {
      expect(large().firstSync.up.wire.sent).toBeGreaterThan(FILE_BYTES);
      expect(large().firstSync.down.wire.received).toBeGreaterThan(FILE_BYTES);
    },
  },
  {
    name: 'the server chunk store is timed: the first upload stores chunks',
    check: () => {
      expect(large().firstSync.up.chunksStored).toBeGreaterThan(0);
      expect(large().firstSync.down.chunksStored).toBe(0);
    },
  },
  {
    name: 'an insert into the large file sends a few chunks, not the file',
    check: () => {
      const { up, down } = large().insert;
      expect(up.uploadedBytes).toBeGreaterThan(0);
      expect(up.uploadedBytes).toBeLessThan(FILE_BYTES / 4);
      expect(down.downloadedBytes).toBeLessThan(FILE_BYTES / 4);
      expect(down.reusedBytes + down.downloadedBytes).toBeGreaterThanOrEqual(FILE_BYTES);
    },
  },
  {
    name: 'the small files all travel up and down',
    check: () => {
      expect(many().files).toBe(SMALL_FILES);
      expect(many().firstSync.up.uploadedFiles).toBe(SMALL_FILES);
      expect(many().firstSync.down.downloadedFiles).toBe(SMALL_FILES);
      expect(many().firstSync.up.uploadedBytes).toBe(many().bytes);
    },
  },
  {
    name: 'a round with nothing changed moves no file and no chunk',
    check: () => {
      const step = many().unchanged;
      expect(step.uploadedFiles + step.downloadedFiles).toBe(0);
      expect(step.uploadedBytes + step.downloadedBytes).toBe(0);
      expect(step.wire.sent).toBeGreaterThan(0);
    },
  },
  {
    name: 'a folder rename is a move on both sides, with no content sent again',
    check: () => {
      const { up, down, files } = many().rename;
      expect(files).toBe(SMALL_FILES / 10);
      expect(up.movedRemote).toBeGreaterThanOrEqual(1);
      expect(down.movedLocal).toBeGreaterThanOrEqual(1);
      expect(up.uploadedBytes + down.downloadedBytes).toBe(0);
    },
  },
  {
    name: 'every step reports its duration and at least one phase',
    check: () => {
      const steps = [large().firstSync.up, large().firstSync.down, large().insert.up, large().insert.down, many().unchanged, many().rename.up, many().rename.down];
      for (const step of steps) {
        expect(step.seconds).toBeGreaterThan(0);
        expect(Object.keys(step.phases).length).toBeGreaterThan(0);
      }
    },
  },
];

describe('sync benchmark at tiny sizes', () => {
  it.each(cases)('$name', ({ check }) => check());
});
