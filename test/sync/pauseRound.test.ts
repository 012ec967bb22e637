// A round stopped by a pause (its abort signal): it ends as 'paused' wherever it was, never as
// an error, and what it had not done yet is simply left for the next round, which does it.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHarness } from './harness.js';
import type { Harness, TestClient } from './harness.js';

let harness: Harness;
let laptop: TestClient;
let desktop: TestClient;

beforeEach(async () => {
  harness = await startHarness();
  laptop = await harness.client('laptop');
  desktop = await harness.client('desktop');
});
afterEach(async () => {
  await harness.stop();
});

describe('a round stopped by a pause', () => {
  it.each([
    ['before it starts', 'pulling'],
    ['while it scans', 'scanning'],
  ])('ends as paused %s, uploads nothing, and the next round does the work', async (_name, phase) => {
    for (let index = 0; index < 200; index++) await laptop.write(`notes/${index}.txt`, `note ${index}\n`);
    const pause = new AbortController();
    const [summary] = await laptop.engine.syncNow({
      signal: pause.signal,
      onProgress: (progress) => {
        if (progress.phase === phase) pause.abort();
      },
    });
    expect(summary).toMatchObject({ outcome: 'paused', pauseReason: 'user', error: null, uploadedFiles: 0 });
    await desktop.sync();
    expect(await desktop.tree()).toEqual({});
    // Resumed: everything goes up.
    await laptop.sync();
    await desktop.sync();
    expect(Object.keys(await desktop.tree())).toHaveLength(201);
  });
});
