// The per-file progress of a round, thinned out: small files report nothing, a large one at most
// once per interval while it moves and exactly once more, at its full size, when it completes.
// A fake clock makes the throttling exact.

import { describe, expect, it } from 'vitest';
import type { LibraryPath } from '../../shared/paths.js';
import { FILE_PROGRESS_INTERVAL_MS, FILE_PROGRESS_MIN_BYTES, FileProgressMeter } from '../../src-main/engine/sync/fileProgressMeter.js';
import type { FileProgress } from '../../src-main/engine/sync/roundSummary.js';

const MiB = 1024 * 1024;
const BIG = 8 * MiB;

function meterWithClock(): { meter: FileProgressMeter; reports: FileProgress[]; advance: (ms: number) => void } {
  let now = 1_000;
  const reports: FileProgress[] = [];
  const meter = new FileProgressMeter('library-1', (progress) => reports.push(progress), () => now);
  return { meter, reports, advance: (ms) => (now += ms) };
}

const file = 'videos/holiday.mp4' as LibraryPath;

describe('FileProgressMeter', () => {
  const cases: readonly {
    readonly name: string;
    readonly size: number;
    readonly alreadyDone?: number;
    /** Bytes added, each after the given pause in ms. */
    readonly steps: readonly (readonly [pauseMs: number, bytes: number])[];
    readonly finish: boolean;
    readonly expected: readonly number[];
  }[] = [
    {
      name: 'a small file reports nothing, not even its completion',
      size: FILE_PROGRESS_MIN_BYTES - 1,
      steps: [[0, 100], [500, FILE_PROGRESS_MIN_BYTES - 101]],
      finish: true,
      expected: [],
    },
    {
      name: 'a large file reports its first bytes, then at most once per interval, then its completion',
      size: BIG,
      steps: [[0, MiB], [100, MiB], [100, MiB], [100, MiB], [100, MiB], [10, MiB], [260, MiB], [10, MiB]],
      finish: true,
      expected: [MiB, 4 * MiB, 7 * MiB, BIG],
    },
    {
      name: 'the last bytes are never reported as the whole file before it completes',
      size: BIG,
      steps: [[0, 4 * MiB], [1_000, 4 * MiB]],
      finish: true,
      expected: [4 * MiB, BIG],
    },
    {
      name: 'a transfer that is given up stops short of its size',
      size: BIG,
      steps: [[0, 2 * MiB], [1_000, 2 * MiB]],
      finish: false,
      expected: [2 * MiB, 4 * MiB],
    },
    {
      name: 'a resumed transfer starts from what is in place already',
      size: BIG,
      alreadyDone: 6 * MiB,
      steps: [[0, MiB], [1_000, MiB]],
      finish: true,
      expected: [7 * MiB, BIG],
    },
    {
      name: 'a file found whole (its chunks on the server already) reports its completion once',
      size: BIG,
      alreadyDone: BIG,
      steps: [],
      finish: true,
      expected: [BIG],
    },
    {
      name: 'a transfer refused before its first byte reports nothing',
      size: BIG,
      steps: [],
      finish: false,
      expected: [],
    },
  ];
  for (const testCase of cases) {
    it(testCase.name, () => {
      const { meter, reports, advance } = meterWithClock();
      const transfer = meter.start(file, 'download', testCase.size, testCase.alreadyDone ?? 0);
      for (const [pause, bytes] of testCase.steps) {
        advance(pause);
        transfer.add(bytes);
      }
      if (testCase.finish) {
        transfer.finish();
        transfer.finish();
        transfer.add(MiB);
      }
      expect(reports.map((report) => report.bytesDone)).toEqual(testCase.expected);
      for (const report of reports) expect(report).toEqual({ libraryId: 'library-1', path: file, direction: 'download', bytesDone: report.bytesDone, bytesTotal: testCase.size });
    });
  }

  it('throttles each file on its own', () => {
    const { meter, reports, advance } = meterWithClock();
    const first = meter.start('a.bin' as LibraryPath, 'upload', BIG);
    const second = meter.start('b.bin' as LibraryPath, 'upload', BIG);
    first.add(MiB);
    second.add(MiB);
    advance(FILE_PROGRESS_INTERVAL_MS - 1);
    first.add(MiB);
    second.add(MiB);
    advance(1);
    first.add(MiB);
    expect(reports.map((report) => [report.path, report.bytesDone])).toEqual([
      ['a.bin', MiB],
      ['b.bin', MiB],
      ['a.bin', 3 * MiB],
    ]);
  });

  it('costs nothing without a listener', () => {
    const meter = new FileProgressMeter('library-1', undefined);
    const transfer = meter.start(file, 'upload', BIG);
    expect(transfer.reported).toBe(false);
    transfer.add(BIG);
    transfer.finish();
  });
});
