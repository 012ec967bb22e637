// A one-shot command's round that finds the disk as the index recorded it (see
// Round.diskAsRecorded in syncLibrary.ts and scanner/diskMatchesRecord.ts): settled, nothing
// pulled, every recorded path with its recorded stats. It ends without a scan (the local state
// is not loaded); any change on either side, and a daemon's rounds, scan as always.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as scanner from '../../src-main/engine/scanner/index.js';
import { startHarness } from './harness.js';
import type { Harness, TestClient } from './harness.js';

// Counts the scans rounds make (the real scanner runs).
vi.mock('../../src-main/engine/scanner/index.js', async (importOriginal) => {
  const original = await importOriginal<typeof scanner>();
  return { ...original, scanLibrary: vi.fn(original.scanLibrary) };
});
const scans = (): number => vi.mocked(scanner.scanLibrary).mock.calls.length;

let harness: Harness;
let laptop: TestClient;
let desktop: TestClient;
beforeEach(async () => {
  harness = await startHarness();
  laptop = await harness.client('laptop', { user: 'alice', libraryName: 'Quick', oneShot: true });
  desktop = await harness.client('desktop', { user: 'alice', libraryName: 'Quick', oneShot: true });
  await laptop.write('a/one.txt', 'one');
  await laptop.write('a/b/two.txt', 'two two');
  await laptop.write('three.txt', 'three');
  await laptop.sync();
  await desktop.sync();
  await laptop.sync();
  await desktop.sync();
  vi.mocked(scanner.scanLibrary).mockClear();
});
afterEach(async () => {
  await laptop.close();
  await desktop.close();
  await harness.stop();
});

describe('a one-shot round over a disk as recorded', () => {
  it('ends without a scan when nothing changed anywhere', async () => {
    const summary = await laptop.sync();
    expect(summary).toMatchObject({ outcome: 'synced', passes: 1, uploadedFiles: 0, downloadedFiles: 0 });
    await desktop.sync();
    expect(scans()).toBe(0);
  });

  it('scans for a change on disk, and the other side for what it pulled', async () => {
    await laptop.write('a/one.txt', 'one, edited');
    expect((await laptop.sync()).uploadedFiles).toBe(1);
    expect(scans()).toBeGreaterThan(0);
    vi.mocked(scanner.scanLibrary).mockClear();
    expect((await desktop.sync()).downloadedFiles).toBe(1);
    expect(scans()).toBeGreaterThan(0);
    expect(await desktop.read('a/one.txt')).toBe('one, edited');
    // And both are back to rounds without a scan.
    vi.mocked(scanner.scanLibrary).mockClear();
    await laptop.sync();
    await desktop.sync();
    expect(scans()).toBe(0);
  });

  it('scans for a new file in a new folder, and syncs it', async () => {
    await laptop.write('c/new.txt', 'new');
    await laptop.sync();
    expect(scans()).toBeGreaterThan(0);
    await desktop.sync();
    expect(await desktop.read('c/new.txt')).toBe('new');
  });
});

describe('a daemon round', () => {
  it('scans even when nothing changed (its event loop stays free of synchronous walks)', async () => {
    const daemon = await harness.client('tablet', { user: 'alice', libraryName: 'Quick' });
    try {
      await daemon.sync();
      await daemon.sync();
      vi.mocked(scanner.scanLibrary).mockClear();
      await daemon.sync();
      expect(scans()).toBe(1);
    } finally {
      await daemon.close();
    }
  });
});
