import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIgnoreMatcher } from '../../../src-main/engine/ignore/ignoreMatcher.js';
import {
  type LibraryWatch,
  type LibraryWatchOptions,
  type LibraryWatchTrouble,
  type ScanRequest,
  WatchStartError,
  type WatcherKind,
  createWatcher,
  scanRequestCovers,
  startLibraryWatch,
} from '../../../src-main/engine/watcher/index.js';
import { parseLibraryPath } from '../../../shared/paths.js';
import { type WatchFolder, makeWatchFolder, waitFor } from './watchSupport.js';

/** Short timings, so that the tests do not wait for the daemon's defaults. */
const FAST = { quietMs: 50, maxDelayMs: 500, minIntervalMs: 50 } as const;

let folder: WatchFolder;
let watch: LibraryWatch | undefined;
let scans: ScanRequest[];
let troubles: LibraryWatchTrouble[];

beforeEach(async () => {
  folder = await makeWatchFolder();
  scans = [];
  troubles = [];
});
afterEach(async () => {
  await watch?.close();
  watch = undefined;
  await folder.remove();
});

async function start(kind: WatcherKind, options: Partial<LibraryWatchOptions> = {}): Promise<LibraryWatch> {
  watch = await startLibraryWatch({
    root: folder.root,
    watcher: await createWatcher(kind, { pollInterval: 100 }),
    onDue: (scan) => {
      scans.push(scan);
    },
    onTrouble: (trouble) => troubles.push(trouble),
    coalescing: FAST,
    ...options,
  });
  return watch;
}

const covered = (relative: string): boolean => scans.some((scan) => scanRequestCovers(scan, parseLibraryPath(relative)));
const describeScans = (): string => `scans so far: ${JSON.stringify(scans)}`;

describe.each(['native', 'chokidar'] as const)('LibraryWatch on the %s watcher', (kind) => {
  it('asks for a scan of a saved file by its library path', async () => {
    await folder.file('docs/keep.txt');
    await start(kind);
    await folder.file('docs/report.txt');
    await waitFor(() => covered('docs/report.txt'), describeScans);
    expect(scans.every((scan) => scan !== 'all')).toBe(true);
  });

  it('writes 1,000 files at once and asks for a few scans', async () => {
    // Timings generous enough that the burst is one quiet-separated group even on a slow machine.
    await start(kind, { coalescing: { quietMs: 1000, maxDelayMs: 30_000, minIntervalMs: 100 } });
    const files = Array.from({ length: 1000 }, (_, i) => `batch/${String(i % 10)}/file ${String(i)}.txt`);
    await Promise.all(Array.from({ length: 10 }, (_, i) => mkdir(folder.at(`batch/${String(i)}`), { recursive: true })));
    await Promise.all(files.map((file) => writeFile(folder.at(file), file)));
    await waitFor(() => files.every(covered), describeScans);
    expect(scans.length).toBeLessThanOrEqual(3);
    // Each scan names at most the ten folders (each crowded, so one path each), or everything.
    expect(scans.every((scan) => scan === 'all' || scan.length <= 10)).toBe(true);
  });

  it("never asks about Cairn's temp files or ignored paths", async () => {
    await start(kind, { ignore: createIgnoreMatcher('*.log\n') });
    await writeFile(folder.at('.cairn-tmp-0123456789abcdef'), 'partial');
    await writeFile(folder.at('noise.log'), 'noise');
    await rename(folder.at('.cairn-tmp-0123456789abcdef'), folder.at('final.txt'));
    await waitFor(() => covered('final.txt'), describeScans);
    expect(scans).toEqual([['final.txt']]);
  });

  it('asks for everything, then watches again, when the root is deleted and comes back', async () => {
    await folder.file('a.txt');
    await start(kind, { restartDelayMs: 100, maxRestartDelayMs: 400 });
    await rm(folder.root, { recursive: true });
    await waitFor(() => troubles.some((trouble) => trouble.kind === 'watch-stopped') && scans.includes('all'), () => `${JSON.stringify(troubles)} ${describeScans()}`);
    await waitFor(() => troubles.some((trouble) => trouble.kind === 'restart-failed'), () => JSON.stringify(troubles));
    await mkdir(folder.root);
    await waitFor(() => troubles.some((trouble) => trouble.kind === 'watch-restarted'), () => JSON.stringify(troubles));
    const failed = troubles.find((trouble) => trouble.kind === 'restart-failed');
    expect(failed?.kind === 'restart-failed' && failed.cause.reason).toBe('root-missing');
    // The new watch reports changes.
    scans.length = 0;
    await folder.file('back.txt');
    await waitFor(() => covered('back.txt'), describeScans);
  });
});

describe('LibraryWatch', () => {
  it('follows a symlinked root and names paths relative to it', async () => {
    const real = path.join(folder.base, 'real library');
    await mkdir(real);
    const link = path.join(folder.base, 'link to library');
    await symlink(real, link);
    watch = await startLibraryWatch({
      root: link,
      watcher: await createWatcher('native'),
      onDue: (scan) => {
        scans.push(scan);
      },
      coalescing: FAST,
    });
    expect(watch.root).toBe(real);
    await writeFile(path.join(link, 'through link.txt'), 'x');
    await waitFor(() => covered('through link.txt'), describeScans);
  });

  it('asks for nothing more while a scan runs, then for what changed meanwhile', async () => {
    let finishScan: () => void = () => undefined;
    await start('native', {
      onDue: (scan) => {
        scans.push(scan);
        return new Promise<void>((resolve) => {
          finishScan = resolve;
        });
      },
    });
    await folder.file('first.txt');
    await waitFor(() => covered('first.txt'), describeScans);
    await folder.file('second.txt');
    // The second change cannot be asked for while the first scan runs, however long we wait; it
    // is asked for once that scan is done.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(scans).toEqual([['first.txt']]);
    finishScan();
    await waitFor(() => covered('second.txt'), describeScans);
    finishScan();
  });

  it('close waits for a running scan and stops everything', async () => {
    let finishScan: () => void = () => undefined;
    await start('native', {
      onDue: (scan) => {
        scans.push(scan);
        return new Promise<void>((resolve) => {
          finishScan = resolve;
        });
      },
    });
    await folder.file('a.txt');
    await waitFor(() => scans.length === 1, describeScans);
    let closed = false;
    const closing = watch?.close().then(() => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closed).toBe(false);
    finishScan();
    await closing;
    expect(closed).toBe(true);
    watch?.requestScan('all');
    await folder.file('b.txt');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(scans).toEqual([['a.txt']]);
  });

  it('passes on a requested scan', async () => {
    await folder.file('docs/a.txt');
    const started = await start('native');
    started.requestScan(parseLibraryPath('docs'));
    await waitFor(() => scans.length > 0, describeScans);
    expect(scans).toEqual([['docs']]);
    started.requestScan('all');
    await waitFor(() => scans.length > 1, describeScans);
    expect(scans[1]).toBe('all');
  });

  it('reports a failing onDue as trouble and goes on', async () => {
    await start('native', {
      onDue: (scan) => {
        scans.push(scan);
        if (scans.length === 1) throw new Error('scan failed');
      },
    });
    await folder.file('a.txt');
    await waitFor(() => troubles.some((trouble) => trouble.kind === 'due-failed'), () => JSON.stringify(troubles));
    await folder.file('b.txt');
    await waitFor(() => covered('b.txt'), describeScans);
  });

  it('new ignore rules apply to later changes', async () => {
    const started = await start('native');
    started.setIgnore(createIgnoreMatcher('*.log\n'));
    await folder.file('noise.log');
    await folder.file('kept.txt');
    await waitFor(() => covered('kept.txt'), describeScans);
    expect(scans.some((scan) => scanRequestCovers(scan, parseLibraryPath('noise.log')))).toBe(false);
  });

  it('refuses a missing root with a reason', async () => {
    const error = await startLibraryWatch({ root: folder.at('missing'), watcher: await createWatcher('native'), onDue: () => undefined }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WatchStartError);
    expect((error as WatchStartError).reason).toBe('root-missing');
  });
});
