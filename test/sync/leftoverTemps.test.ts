// Temp files a crash left in a library are removed by the first round of a process. A round that
// scans the whole folder removes them as its scan meets them, instead of walking the folder a
// second time; a partial download younger than a day stays for its resume; folders the user's
// ignore rules hide, and rounds that scan only some paths, get the walk of its own.

import { utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LibraryPath } from '../../shared/paths.js';
import * as cleanup from '../../src-main/engine/localfs/cleanupTempFiles.js';
import { Engine } from '../../src-main/engine/engine.js';
import { startHarness } from './harness.js';
import type { Harness, TestClient } from './harness.js';

// Counts the walks of cleanupTempFiles (the real one runs).
vi.mock('../../src-main/engine/localfs/cleanupTempFiles.js', async (importOriginal) => {
  const original = await importOriginal<typeof cleanup>();
  return { ...original, cleanupTempFiles: vi.fn(original.cleanupTempFiles) };
});
const walks = (): number => vi.mocked(cleanup.cleanupTempFiles).mock.calls.length;

const DAY_MS = 24 * 60 * 60_000;

let harness: Harness;
let laptop: TestClient;
beforeEach(async () => {
  harness = await startHarness();
  laptop = await harness.client('laptop');
  await laptop.write('a/one.txt', 'one');
  await laptop.write('keep/two.txt', 'two');
  await laptop.sync();
});
afterEach(async () => {
  await harness.stop();
});

/** Leaves what a crash of a download leaves: a temp file, an old partial file and a young one. */
async function crashLeftovers(folder: string): Promise<{ temp: string; oldPartial: string; youngPartial: string }> {
  const temp = `${folder}/.cairn-tmp-0123456789abcdef`;
  const oldPartial = `${folder}/.cairn-tmp-part-${'a'.repeat(32)}`;
  const youngPartial = `${folder}/.cairn-tmp-part-${'b'.repeat(32)}`;
  for (const file of [temp, oldPartial, youngPartial]) await laptop.write(file, 'half a download');
  const old = new Date(Date.now() - 2 * DAY_MS);
  await utimes(path.join(laptop.root, oldPartial), old, old);
  return { temp, oldPartial, youngPartial };
}

/** The same profile opened again, as the next `cairn` process would. */
async function nextProcess(): Promise<Engine> {
  await laptop.close();
  return Engine.open({ home: laptop.home, deviceName: 'laptop', oneShot: true });
}

describe('temp files a crash left', () => {
  it('are removed by the scan of the first round, without a walk of their own, and a young partial download stays', async () => {
    const { temp, oldPartial, youngPartial } = await crashLeftovers('a');
    const engine = await nextProcess();
    try {
      vi.mocked(cleanup.cleanupTempFiles).mockClear();
      const [summary] = await engine.syncNow();
      expect(summary?.outcome).toBe('synced');
      expect(walks()).toBe(0);
      expect(await laptop.exists(temp)).toBe(false);
      expect(await laptop.exists(oldPartial)).toBe(false);
      expect(await laptop.exists(youngPartial)).toBe(true);
      // Nothing of them reached the server, and the library's files are untouched.
      expect(summary?.uploadedFiles).toBe(0);
      expect(await laptop.read('a/one.txt')).toBe('one');
      // Later rounds of the same process leave the young partial file alone as well.
      await writeFile(path.join(laptop.root, 'a', '.cairn-tmp-fedcba9876543210'), 'a write of this process');
      await engine.syncNow();
      expect(await laptop.exists('a/.cairn-tmp-fedcba9876543210')).toBe(true);
    } finally {
      await engine.close();
    }
  });

  it('in a folder the user’s ignore rules hide are removed by a walk', async () => {
    await laptop.write('.cairnignore', 'keep/\n');
    await laptop.sync();
    const { temp } = await crashLeftovers('keep');
    const engine = await nextProcess();
    try {
      vi.mocked(cleanup.cleanupTempFiles).mockClear();
      await engine.syncNow();
      expect(walks()).toBe(1);
      expect(await laptop.exists(temp)).toBe(false);
    } finally {
      await engine.close();
    }
  });

  it('are removed by a walk first when the first round scans only some paths', async () => {
    const { temp } = await crashLeftovers('a');
    const engine = await nextProcess();
    try {
      vi.mocked(cleanup.cleanupTempFiles).mockClear();
      await engine.syncNow({ scope: ['keep/two.txt' as LibraryPath] });
      expect(walks()).toBe(1);
      expect(await laptop.exists(temp)).toBe(false);
    } finally {
      await engine.close();
    }
  });

  it('are removed by a later round when the first one did not scan (its server could not be reached)', async () => {
    const { temp } = await crashLeftovers('a');
    const engine = await nextProcess();
    try {
      await harness.server.close();
      const [failed] = await engine.syncNow();
      expect(failed?.outcome).toBe('error');
      expect(await laptop.exists(temp)).toBe(true);
      await harness.restartServer();
      vi.mocked(cleanup.cleanupTempFiles).mockClear();
      const [summary] = await engine.syncNow();
      expect(summary?.outcome).toBe('synced');
      expect(await laptop.exists(temp)).toBe(false);
      expect(walks()).toBe(0);
    } finally {
      await engine.close();
    }
  });
});
