import { describe, expect, it } from 'vitest';
import { createIgnoreMatcher } from '../../../src-main/engine/ignore/ignoreMatcher.js';
import { ChangeCoalescer, type ChangeCoalescerOptions, type ScanRequest, scanRequestCovers } from '../../../src-main/engine/watcher/changeCoalescer.js';
import type { RawChangeKind } from '../../../src-main/engine/watcher/watcher.js';
import { parseLibraryPath } from '../../../shared/paths.js';

// Events fed to the coalescer: a change of a relative path, or a rescan request for a folder.
type Input =
  | { readonly at: number; readonly path: string; readonly kind?: RawChangeKind; readonly isFolder?: boolean }
  | { readonly at: number; readonly rescan: string };

/** A released scan set (plain strings, to write the cases briefly) and when it was released. */
type Release = readonly [at: number, scan: readonly string[] | 'all'];

/**
 * Plays `inputs` through a coalescer the way LibraryWatch drives it: a timer set to the earliest
 * time the coalescer names, `due` called when it fires, events at a time recorded before a timer
 * firing at the same time.
 */
function play(inputs: readonly Input[], options: ChangeCoalescerOptions = {}): Release[] {
  const coalescer = new ChangeCoalescer(options);
  const sorted = [...inputs].sort((a, b) => a.at - b.at);
  const releases: Release[] = [];
  let timerAt: number | undefined;
  const schedule = (at: number | undefined): void => {
    if (at !== undefined && (timerAt === undefined || at < timerAt)) timerAt = at;
  };
  let next = 0;
  // Guards against a coalescer that never settles; every case here ends long before.
  for (let steps = 0; steps < 1_000_000; steps++) {
    const input = sorted[next];
    if (input !== undefined && (timerAt === undefined || input.at <= timerAt)) {
      next++;
      if ('rescan' in input) schedule(coalescer.recordRescan(input.rescan, input.at));
      else schedule(coalescer.recordChange({ path: input.path, kind: input.kind ?? 'update', ...(input.isFolder === undefined ? {} : { isFolder: input.isFolder }) }, input.at));
      continue;
    }
    if (timerAt === undefined) return releases;
    const now = timerAt;
    timerAt = undefined;
    const { scanPaths, nextWakeAt } = coalescer.due(now);
    if (scanPaths === 'all' || scanPaths.length > 0) releases.push([now, scanPaths]);
    schedule(nextWakeAt);
  }
  throw new Error('the coalescer did not settle');
}

/** One event per path, all at `at`. */
function burst(paths: readonly string[], at = 0): Input[] {
  return paths.map((path) => ({ at, path, kind: 'create' }));
}

/** Events for `path` every `step` ms from `from` to `to` inclusive. */
function stream(path: string, from: number, to: number, step = 100): Input[] {
  const inputs: Input[] = [];
  for (let at = from; at <= to; at += step) inputs.push({ at, path });
  return inputs;
}

function names(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`);
}

interface Case {
  readonly name: string;
  readonly inputs: readonly Input[];
  readonly options?: ChangeCoalescerOptions;
  readonly releases: readonly Release[];
}

const ignore = createIgnoreMatcher('build/\n*.log\n');

// Defaults: quiet 150 ms, max delay 1000 ms, min interval 250 ms, collapse above 50 children.
const timingCases: Case[] = [
  { name: 'one saved file is due after the quiet time', inputs: [{ at: 0, path: 'a.txt' }], releases: [[150, ['a.txt']]] },
  { name: 'writes to one file wait until it is quiet', inputs: stream('big.bin', 0, 300), releases: [[450, ['big.bin']]] },
  {
    name: 'a file written continuously is still scanned every max delay',
    inputs: stream('log.txt', 0, 2500),
    releases: [
      [1000, ['log.txt']],
      [2100, ['log.txt']],
      [2650, ['log.txt']],
    ],
  },
  {
    name: 'files saved close together are one scan',
    inputs: [
      { at: 0, path: 'a.txt' },
      { at: 50, path: 'b.txt' },
    ],
    releases: [[200, ['a.txt', 'b.txt']]],
  },
  {
    name: 'files saved apart are separate scans',
    inputs: [
      { at: 0, path: 'a.txt' },
      { at: 500, path: 'b.txt' },
    ],
    releases: [
      [150, ['a.txt']],
      [650, ['b.txt']],
    ],
  },
  {
    name: 'scan sets are at least the minimum interval apart',
    inputs: [
      { at: 0, path: 'a.txt' },
      { at: 160, path: 'b.txt' },
    ],
    releases: [
      [150, ['a.txt']],
      [400, ['b.txt']],
    ],
  },
  {
    name: 'a save made while another file is busy waits at most the max delay, and the busy file waits for the next set',
    inputs: [...stream('busy.log', 0, 1200), { at: 300, path: 'saved.txt' }],
    options: {},
    releases: [
      [1000, ['busy.log', 'saved.txt']],
      [1350, ['busy.log']],
    ],
  },
  {
    name: 'a path still being written is left for the next set when others are due',
    inputs: [{ at: 0, path: 'a.txt' }, ...stream('b.bin', 100, 1100)],
    releases: [
      [1000, ['a.txt']],
      [1250, ['b.bin']],
    ],
  },
  {
    name: 'a path below a released folder goes with it even if still busy',
    inputs: [...burst(names('docs/file', 60)), ...stream('docs/busy.bin', 100, 900), ...stream('docs/busy.bin', 1100, 2000)],
    releases: [
      [1000, ['docs']],
      [2100, ['docs/busy.bin']],
    ],
  },
  {
    name: 'custom timings: a busy path holds back the set until the max delay',
    inputs: [{ at: 0, path: 'a' }, ...stream('b', 0, 100, 10)],
    options: { quietMs: 20, maxDelayMs: 50, minIntervalMs: 0 },
    releases: [
      [50, ['a', 'b']],
      [110, ['b']],
    ],
  },
];

const collapseCases: Case[] = [
  { name: 'fifty files in a folder stay fifty paths', inputs: burst(names('docs/f', 50)), releases: [[150, names('docs/f', 50).sort()]] },
  { name: 'more than fifty files in a folder are that folder', inputs: burst(names('docs/f', 51)), releases: [[150, ['docs']]] },
  { name: 'a crowded subfolder is that subfolder only', inputs: [...burst(names('docs/x/f', 60)), { at: 0, path: 'docs/y.txt' }], releases: [[150, ['docs/x', 'docs/y.txt']]] },
  {
    name: 'many subfolders with one change each are their parent',
    inputs: burst(names('photos/', 60).map((folder) => `${folder}/img.jpg`)),
    releases: [[150, ['photos']]],
  },
  { name: 'more than fifty changed top-level names are everything', inputs: burst(names('top', 51)), releases: [[150, 'all']] },
  {
    name: 'more scan paths than the limit are everything',
    inputs: burst(names('a/', 11).map((folder) => `${folder}/x`)),
    options: { maxScanPaths: 10 },
    releases: [[150, 'all']],
  },
  {
    name: 'a folder and paths below it are the folder',
    inputs: [
      { at: 0, path: 'new', kind: 'create', isFolder: true },
      { at: 0, path: 'new/a.txt', kind: 'create' },
      { at: 0, path: 'new/sub/b.txt', kind: 'create' },
    ],
    releases: [[150, ['new']]],
  },
  {
    name: 'a rename is both names in one set',
    inputs: [
      { at: 0, path: 'old name.txt', kind: 'delete' },
      { at: 0, path: 'new name.txt', kind: 'create' },
    ],
    releases: [[150, ['new name.txt', 'old name.txt']]],
  },
];

const filterCases: Case[] = [
  {
    name: "Cairn's temp files are dropped, in any folder",
    inputs: [
      { at: 0, path: '.cairn-tmp-0123456789abcdef' },
      { at: 0, path: 'docs/.cairn-tmp-0123456789abcdef' },
      { at: 0, path: 'docs/.cairn-tmp-folder/inner.txt' },
    ],
    releases: [],
  },
  {
    name: 'ignored paths are dropped',
    inputs: [
      { at: 0, path: 'build/out.o' },
      { at: 0, path: 'build', isFolder: true },
      { at: 0, path: 'server.log' },
      { at: 0, path: 'docs/.DS_Store' },
      { at: 0, path: '~$report.docx' },
      { at: 0, path: 'kept.txt' },
    ],
    options: { ignore },
    releases: [[150, ['kept.txt']]],
  },
  {
    name: 'a path matching a folder-only rule is kept when the watcher did not say it is a folder',
    inputs: [{ at: 0, path: 'build' }],
    options: { ignore },
    releases: [[150, ['build']]],
  },
  {
    name: 'without ignore rules only temp files are dropped',
    inputs: [
      { at: 0, path: 'server.log' },
      { at: 0, path: '.cairn-tmp-0123456789abcdef' },
    ],
    releases: [[150, ['server.log']]],
  },
  { name: 'a change to .cairnignore is everything', inputs: [{ at: 0, path: '.cairnignore' }], releases: [[150, 'all']] },
  { name: 'a change of the root itself is everything', inputs: [{ at: 0, path: '', kind: 'delete' }], releases: [[150, 'all']] },
  { name: 'a name with a control character is a scan of its folder', inputs: [{ at: 0, path: 'docs/bad\u0001name.txt' }], releases: [[150, ['docs']]] },
  { name: 'a top-level name that cannot be a library path is everything', inputs: [{ at: 0, path: 'back\\slash.txt' }], releases: [[150, 'all']] },
  { name: 'a name inside a folder that cannot be a library path is a scan of the folder above', inputs: [{ at: 0, path: 'docs/bad\u0001folder/a.txt' }], releases: [[150, ['docs']]] },
  { name: 'a name longer than 255 bytes is a scan of its folder', inputs: [{ at: 0, path: `docs/${'x'.repeat(256)}` }], releases: [[150, ['docs']]] },
  { name: 'a name in NFD is scanned under its NFC form', inputs: [{ at: 0, path: 'cafe\u0301.txt' }], releases: [[150, ['caf\u00e9.txt']]] },
  {
    name: 'Windows separators become canonical paths',
    inputs: [{ at: 0, path: 'docs\\report.txt' }],
    options: { separator: '\\' },
    releases: [[150, ['docs/report.txt']]],
  },
];

const rescanCases: Case[] = [
  { name: 'a folder whose events were lost is scanned whole', inputs: [{ at: 0, rescan: 'docs' }], releases: [[150, ['docs']]] },
  { name: 'a rescan of the root is everything', inputs: [{ at: 0, rescan: '' }], releases: [[150, 'all']] },
  {
    name: 'everything waits for the whole library to be quiet',
    inputs: [{ at: 0, rescan: '' }, { at: 100, path: 'a.txt' }],
    releases: [[250, 'all']],
  },
  {
    name: 'everything waits at most the max delay',
    inputs: [{ at: 0, rescan: '' }, ...stream('busy.log', 100, 1500)],
    releases: [
      [1000, 'all'],
      [1650, ['busy.log']],
    ],
  },
  {
    name: 'everything covers the paths that waited before it',
    inputs: [
      { at: 0, path: 'a.txt' },
      { at: 100, rescan: '' },
    ],
    releases: [[250, 'all']],
  },
  {
    name: 'more waiting paths than the limit become everything',
    inputs: burst(names('a/', 101).map((folder) => `${folder}/x`)),
    options: { maxPendingPaths: 100 },
    releases: [[150, 'all']],
  },
];

describe('ChangeCoalescer', () => {
  for (const [group, cases] of [
    ['timing', timingCases],
    ['collapsing', collapseCases],
    ['filtering and naming', filterCases],
    ['rescans', rescanCases],
  ] as const) {
    describe(group, () => {
      it.each(cases.map((testCase) => [testCase.name, testCase] as const))('%s', (_name, testCase) => {
        expect(play(testCase.inputs, testCase.options)).toEqual(testCase.releases);
      });
    });
  }

  describe('a burst of 10,000 events', () => {
    // 10,000 files in 1,000 folders below 'photos', each created then updated: 20,000 events.
    const files = names('photos/', 1000).flatMap((folder) => names(`${folder}/img`, 10));

    it('arriving at once is one scan of the folder they are in', () => {
      const inputs: Input[] = files.flatMap((file) => [
        { at: 0, path: file, kind: 'create' as const },
        { at: 0, path: file, kind: 'update' as const },
      ]);
      expect(play(inputs)).toEqual([[150, ['photos']]]);
    });

    it('arriving over 100 ms is one scan', () => {
      const inputs: Input[] = files.map((file, i) => ({ at: i / 100, path: file, kind: 'create' }));
      const releases = play(inputs);
      expect(releases.map(([, scan]) => scan)).toEqual([['photos']]);
      // The quiet time after the last event, at 99.99 ms.
      expect(releases[0]?.[0]).toBeCloseTo(249.99);
    });

    it('arriving over 3 seconds is one scan per max delay', () => {
      const inputs: Input[] = files.map((file, i) => ({ at: (i * 3000) / files.length, path: file, kind: 'create' }));
      const releases = play(inputs);
      expect(releases.length).toBeLessThanOrEqual(4);
      expect(releases.every(([, scan]) => scan !== 'all' && scan.length === 1 && scan[0] === 'photos')).toBe(true);
    });

    it('spread over the top level is one scan of everything', () => {
      const inputs: Input[] = names('', 1000).flatMap((folder) => names(`${folder}/f`, 10)).map((file) => ({ at: 0, path: file, kind: 'create' }));
      expect(play(inputs)).toEqual([[150, 'all']]);
    });
  });

  describe('due', () => {
    it('says nothing is due before its time and when to come back', () => {
      const coalescer = new ChangeCoalescer();
      expect(coalescer.recordChange({ path: 'a.txt', kind: 'create' }, 1000)).toBe(1150);
      expect(coalescer.due(1100)).toEqual({ scanPaths: [], nextWakeAt: 1150 });
      expect(coalescer.due(1150)).toEqual({ scanPaths: ['a.txt'], nextWakeAt: undefined });
      expect(coalescer.due(5000)).toEqual({ scanPaths: [], nextWakeAt: undefined });
      expect(coalescer.waitingCount).toBe(0);
    });

    it('a dropped change asks for no wake-up', () => {
      const coalescer = new ChangeCoalescer();
      expect(coalescer.recordChange({ path: '.cairn-tmp-0123456789abcdef', kind: 'create' }, 0)).toBeUndefined();
      expect(coalescer.nextWakeAt()).toBeUndefined();
    });

    it('new ignore rules apply to later events', () => {
      const coalescer = new ChangeCoalescer();
      coalescer.setIgnore(ignore);
      expect(coalescer.recordChange({ path: 'server.log', kind: 'update' }, 0)).toBeUndefined();
      coalescer.setIgnore(undefined);
      expect(coalescer.recordChange({ path: 'server.log', kind: 'update' }, 0)).toBe(150);
    });
  });

  it.each([
    ['all covers anything', 'all', 'a/b', true],
    ['a folder covers itself', ['a'], 'a', true],
    ['a folder covers what is below it', ['a'], 'a/b/c', true],
    ['a folder does not cover a sibling with a longer name', ['a'], 'ab', false],
    ['a file does not cover its folder', ['a/b'], 'a', false],
  ] as const)('scanRequestCovers: %s', (_name, request, path, covered) => {
    const scan: ScanRequest = request === 'all' ? 'all' : request.map(parseLibraryPath);
    expect(scanRequestCovers(scan, parseLibraryPath(path))).toBe(covered);
  });
});
