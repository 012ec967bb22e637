// The frugal heap around version-listing requests: inside it, a burst of surviving allocations
// (what a large commit or feed page makes) does not grow V8's young generation; after it, V8's
// default growth is back; and the router runs exactly the version-listing routes inside it.

import v8 from 'node:v8';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frugalHeapCounts, withFrugalHeap } from '../../src-server/heapTuning.js';
import { routes } from '../../shared/protocol/index.js';
import { startTestServer } from './testServer.js';
import type { TestServer } from './testServer.js';

const newSpaceBytes = (): number => v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;

/** Allocates and keeps a few tens of MiB of small objects. */
function burst(): number {
  const kept: { index: number; text: string; list: number[] }[] = [];
  for (let index = 0; index < 300_000; index++) kept.push({ index, text: `entry ${index}`, list: [index] });
  return kept.length;
}

describe('frugal heap', () => {
  it('keeps the young generation at its size through a burst inside, and lets it grow again after', async () => {
    const before = newSpaceBytes();
    expect(before).toBeGreaterThan(0);
    await withFrugalHeap(async () => {
      expect(frugalHeapCounts().running).toBe(1);
      expect(burst()).toBe(300_000);
      expect(newSpaceBytes()).toBeLessThanOrEqual(Math.max(before, 2 * 1024 * 1024));
    });
    expect(frugalHeapCounts().running).toBe(0);
    expect(burst()).toBe(300_000);
    expect(newSpaceBytes()).toBeGreaterThan(Math.max(before, 2 * 1024 * 1024));
  });

  it('counts overlapping work once each and ends with the last one, also when it fails', async () => {
    const start = frugalHeapCounts().entered;
    let release: () => void = () => {};
    const first = withFrugalHeap(() => new Promise<void>((resolve) => (release = resolve)));
    await expect(withFrugalHeap(async () => {
      expect(frugalHeapCounts().running).toBe(2);
      throw new Error('refused');
    })).rejects.toThrow('refused');
    expect(frugalHeapCounts().running).toBe(1);
    release();
    await first;
    expect(frugalHeapCounts()).toEqual({ entered: start + 2, running: 0 });
  });
});

describe('frugal heap in the router', () => {
  let server: TestServer;
  let token: string;
  beforeAll(async () => {
    server = await startTestServer();
    await server.addUser('alice');
    token = await server.login('alice');
  });
  afterAll(async () => server.stop());

  it('runs the feed and commits inside it, and other routes outside', async () => {
    const library = await server.ok(routes.createLibrary, { token, body: { name: 'frugal' } });
    const params = { libraryId: library.id };
    let entered = frugalHeapCounts().entered;
    await server.ok(routes.getLibrary, { token, params });
    expect(frugalHeapCounts().entered).toBe(entered);
    await server.ok(routes.changes, { token, params, query: { after: 0 } });
    expect(frugalHeapCounts().entered).toBe(++entered);
    await server.ok(routes.commit, { token, params, body: { changes: [{ op: 'mkdir', path: 'd', baseRev: null }] } });
    expect(frugalHeapCounts()).toEqual({ entered: entered + 1, running: 0 });
  });
});
