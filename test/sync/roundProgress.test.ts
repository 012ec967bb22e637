// The round's progress: its figures cover every upload and download of the round (not one
// phase's, nor the last small file's), move while a large file's bytes move, never pass their
// totals and never go back. Regression: a round downloading a 3 MiB file beside small ones
// reported "0 B of 8 B" (the last small file started) until it ended.

import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RoundTransfers } from '../../src-main/engine/sync/roundTransfers.js';
import type { TalliedFile, TransferTally } from '../../src-main/engine/sync/roundTransfers.js';
import type { RoundProgress } from '../../src-main/engine/sync/roundSummary.js';
import { startHarness } from './harness.js';
import type { Harness } from './harness.js';

const MiB = 1024 * 1024;

describe('RoundTransfers', () => {
  type Step = readonly ['plan', number] | readonly ['add' | 'finish' | 'drop', number, number?];
  const cases: readonly { readonly name: string; readonly steps: readonly Step[]; readonly expected: TransferTally; readonly reports: number }[] = [
    {
      name: 'planned files count in the totals at once, without a report',
      steps: [['plan', 100], ['plan', 50]],
      expected: { filesDone: 0, filesTotal: 2, bytesDone: 0, bytesTotal: 150 },
      reports: 0,
    },
    {
      name: 'bytes moved count as they move; a finished file counts whole',
      steps: [['plan', 100], ['plan', 50], ['add', 0, 30], ['add', 1, 50], ['finish', 1]],
      expected: { filesDone: 1, filesTotal: 2, bytesDone: 80, bytesTotal: 150 },
      reports: 3,
    },
    {
      name: 'finishing fills in the bytes not reported one by one (a file whose chunks the server has)',
      steps: [['plan', 100], ['finish', 0]],
      expected: { filesDone: 1, filesTotal: 1, bytesDone: 100, bytesTotal: 100 },
      reports: 1,
    },
    {
      name: 'a file never counts more bytes than its size',
      steps: [['plan', 100], ['add', 0, 70], ['add', 0, 70], ['add', 0, 5]],
      expected: { filesDone: 0, filesTotal: 1, bytesDone: 100, bytesTotal: 100 },
      reports: 2,
    },
    {
      name: 'a dropped file keeps what it moved and takes the rest off the totals',
      steps: [['plan', 100], ['plan', 50], ['add', 0, 40], ['drop', 0]],
      expected: { filesDone: 0, filesTotal: 1, bytesDone: 40, bytesTotal: 90 },
      reports: 2,
    },
    {
      name: 'a settled file ignores everything after',
      steps: [['plan', 100], ['finish', 0], ['drop', 0], ['add', 0, 10], ['finish', 0]],
      expected: { filesDone: 1, filesTotal: 1, bytesDone: 100, bytesTotal: 100 },
      reports: 1,
    },
    {
      name: 'a later pass adds to the totals of the earlier one',
      steps: [['plan', 10], ['finish', 0], ['plan', 20], ['add', 1, 5]],
      expected: { filesDone: 1, filesTotal: 2, bytesDone: 15, bytesTotal: 30 },
      reports: 2,
    },
  ];
  for (const { name, steps, expected, reports } of cases) {
    it(name, () => {
      const seen: TransferTally[] = [];
      const transfers: RoundTransfers = new RoundTransfers(() => seen.push(transfers.tally));
      const files: TalliedFile[] = [];
      for (const step of steps) {
        if (step[0] === 'plan') {
          files.push(transfers.plan(step[1]));
          continue;
        }
        const file = files[step[1]]!;
        if (step[0] === 'add') file.add(step[2] ?? 0);
        else if (step[0] === 'finish') file.finish();
        else file.drop();
      }
      expect(transfers.tally).toEqual(expected);
      expect(seen).toHaveLength(reports);
      for (const [index, tally] of seen.entries()) {
        expect(tally.bytesDone).toBeLessThanOrEqual(tally.bytesTotal);
        expect(tally.filesDone).toBeLessThanOrEqual(tally.filesTotal);
        if (index > 0) expect(tally.bytesDone).toBeGreaterThanOrEqual(seen[index - 1]!.bytesDone);
      }
    });
  }

  it('plans each file as a small object of one shape, its methods shared (a first sync holds thousands to the end of the round)', () => {
    const transfers = new RoundTransfers();
    const files = Array.from({ length: 3 }, (_, index) => transfers.plan(index * 10));
    for (const file of files) {
      expect(Object.getPrototypeOf(file)).toBe(Object.getPrototypeOf(files[0]));
      // Own properties are data only: no closure or getter per file.
      for (const key of Reflect.ownKeys(file)) {
        const own = Object.getOwnPropertyDescriptor(file, key)!;
        expect(own.get).toBeUndefined();
        expect(typeof own.value).not.toBe('function');
      }
    }
    files[1]!.finish();
    expect(files.map((file) => file.settled)).toEqual([false, true, false]);
  });
});

describe('round progress', () => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness();
  });
  afterEach(async () => {
    await harness.stop();
  });

  /** Checks what every round's progress must hold, and returns the reports of its transfers. */
  function checkReports(name: string, reports: readonly RoundProgress[]): RoundProgress[] {
    expect(reports.length, name).toBeGreaterThan(0);
    for (const [index, report] of reports.entries()) {
      expect(report.bytesDone, name).toBeLessThanOrEqual(report.bytesTotal);
      expect(report.filesDone, name).toBeLessThanOrEqual(report.filesTotal);
      const before = reports[index - 1];
      if (before !== undefined) {
        expect(report.bytesDone, name).toBeGreaterThanOrEqual(before.bytesDone);
        expect(report.filesDone, name).toBeGreaterThanOrEqual(before.filesDone);
      }
    }
    return reports.filter((report) => report.phase === 'uploading' || report.phase === 'downloading');
  }

  it('covers every transfer of the round and rises while a large file moves, up and down', async () => {
    const alice = await harness.client('alice');
    const bob = await harness.client('bob');
    await alice.sync();
    await bob.sync();
    const big = randomBytes(3 * MiB);
    await alice.write('Photos/big.bin', big);
    await alice.write('notes.txt', 'eight B!');
    await alice.write('todo.txt', 'a few more bytes');
    const aliceBytes = big.length + 8 + 16;

    const up: RoundProgress[] = [];
    const [uploaded] = await alice.engine.syncNow({ onProgress: (progress) => up.push(progress) });
    expect(uploaded?.outcome).toBe('synced');
    const upTransfers = checkReports('upload', up);
    expect(upTransfers.every((report) => report.phase === 'uploading' && report.filesTotal === 3 && report.bytesTotal === aliceBytes)).toBe(true);
    expect(upTransfers.some((report) => report.bytesDone > 0 && report.bytesDone < big.length)).toBe(true);
    expect(up.at(-1)).toMatchObject({ filesDone: 3, filesTotal: 3, bytesDone: aliceBytes, bytesTotal: aliceBytes });

    // Bob downloads Alice's three files and uploads one of his own in the same round.
    await bob.write('mine.txt', 'from bob');
    const down: RoundProgress[] = [];
    const [downloaded] = await bob.engine.syncNow({ onProgress: (progress) => down.push(progress) });
    expect(downloaded?.outcome).toBe('synced');
    const downTransfers = checkReports('download', down);
    const roundBytes = aliceBytes + 8;
    for (const report of downTransfers) expect(report).toMatchObject({ filesTotal: 4, bytesTotal: roundBytes });
    const downloading = downTransfers.filter((report) => report.phase === 'downloading');
    expect(downloading.some((report) => report.bytesDone > 8 && report.bytesDone < roundBytes - 24)).toBe(true);
    expect(new Set(downloading.map((report) => report.bytesDone)).size).toBeGreaterThan(2);
    expect(down.at(-1)).toMatchObject({ filesDone: 4, filesTotal: 4, bytesDone: roundBytes, bytesTotal: roundBytes });
    expect((await readFile(path.join(bob.root, 'Photos/big.bin'))).equals(big)).toBe(true);
  });
});
