// A round that finds nothing to do (see Round.planIsEmpty in syncLibrary.ts): when its pull read
// nothing, its scan changed nothing and the index holds every path settled, the pass ends
// without planning. Everything the planner or the round would still act on forces the plan.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LibraryPath } from '../../shared/paths.js';
import * as planner from '../../src-main/engine/planner/index.js';
import { startHarness } from './harness.js';
import type { Harness, TestClient } from './harness.js';

// Counts the plans rounds make (the real planner runs).
vi.mock('../../src-main/engine/planner/index.js', async (importOriginal) => {
  const original = await importOriginal<typeof planner>();
  return { ...original, planLibrary: vi.fn(original.planLibrary) };
});
const plans = (): number => vi.mocked(planner.planLibrary).mock.calls.length;

let harness: Harness;
let laptop: TestClient;
let desktop: TestClient;
beforeEach(async () => {
  harness = await startHarness();
  laptop = await harness.client('laptop', { user: 'alice', libraryName: 'Noop' });
  desktop = await harness.client('desktop', { user: 'alice', libraryName: 'Noop' });
  await laptop.write('a/one.txt', 'one');
  await laptop.write('a/b/two.txt', 'two two');
  await laptop.write('three.txt', 'three');
  await laptop.sync();
  await desktop.sync();
  await laptop.sync();
  vi.mocked(planner.planLibrary).mockClear();
});
afterEach(async () => {
  await laptop.close();
  await desktop.close();
  await harness.stop();
});

const moved = (summary: Awaited<ReturnType<TestClient['sync']>>): number =>
  summary.uploadedFiles + summary.downloadedFiles + summary.movedLocal + summary.movedRemote + summary.deletedLocal + summary.deletedRemote;

describe('a round with nothing to do', () => {
  it('does not plan when nothing changed anywhere', async () => {
    const summary = await laptop.sync();
    expect(summary.passes).toBe(1);
    expect(moved(summary)).toBe(0);
    expect(plans()).toBe(0);
    await desktop.sync();
    expect(plans()).toBe(0);
  });

  it('plans for a change on disk, and for one on the server', async () => {
    await laptop.write('a/one.txt', 'one, edited');
    expect((await laptop.sync()).uploadedFiles).toBe(1);
    expect(plans()).toBeGreaterThan(0);
    vi.mocked(planner.planLibrary).mockClear();
    expect((await desktop.sync()).downloadedFiles).toBe(1);
    expect(plans()).toBeGreaterThan(0);
    expect(await desktop.read('a/one.txt')).toBe('one, edited');
  });

  it('plans the work an earlier round left in the index (a base behind the server, a file not uploaded)', async () => {
    // A round that ended after its pull and before recording the base: the base lags the server's rev.
    const rev = laptop.withIndex((index) => index.remote.get(laptop.libraryId, 'three.txt' as LibraryPath)!.rev);
    laptop.withIndex((index) => {
      const base = index.synced.get(laptop.libraryId, 'three.txt' as LibraryPath)!;
      index.synced.put(laptop.libraryId, { ...base, rev: rev - 1 });
    });
    await laptop.sync();
    expect(plans()).toBe(1);
    expect(laptop.withIndex((index) => index.synced.get(laptop.libraryId, 'three.txt' as LibraryPath)!.rev)).toBe(rev);

    // A file the scan recorded whose upload never happened (the base forgets it): uploaded by a round that scans nothing new.
    vi.mocked(planner.planLibrary).mockClear();
    laptop.withIndex((index) => index.synced.delete(laptop.libraryId, 'a/b/two.txt' as LibraryPath));
    await laptop.sync();
    expect(plans()).toBeGreaterThan(0);
    expect(laptop.withIndex((index) => index.synced.get(laptop.libraryId, 'a/b/two.txt' as LibraryPath))).toBeDefined();
    vi.mocked(planner.planLibrary).mockClear();
    await laptop.sync();
    expect(plans()).toBe(0);
  });

  it('plans while an earlier round left a problem that only a plan or its execution clears', async () => {
    laptop.withIndex((index) =>
      index.problems.replace(laptop.libraryId, { kinds: ['unsafe-path'] }, [{ kind: 'unsafe-path', path: 'a' as LibraryPath, name: '', message: 'test' }], Date.now()),
    );
    await laptop.sync();
    expect(plans()).toBe(1);
    expect(laptop.engine.problems(laptop.libraryId).filter((problem) => problem.kind === 'unsafe-path')).toEqual([]);
    vi.mocked(planner.planLibrary).mockClear();
    await laptop.sync();
    expect(plans()).toBe(0);
  });
});
