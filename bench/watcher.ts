// Watcher benchmark: what watching a large library costs with each watcher kind, and how soon a
// write becomes a scan request. Target (design brief, section 7): the whole daemon under 200 MB
// while watching 100,000 files; peer figure: chokidar 5 alone about 850 MB.
//
//   node --import tsx bench/watcher.ts [--files N] [--kinds native,chokidar] [--chokidar-files N]
//                                      [--samples N] [--json]
//
// The library is N small files (default 100,000) in N/100 folders. Each watcher kind runs in its
// own child process, so that one kind's memory does not count for the next:
//
//   node --expose-gc --import tsx bench/watcher.ts --child <kind> --root DIR --files N --samples N
//
// Per kind it measures:
// - ready: from starting the watch to the watch being in place (chokidar walks the whole tree);
// - RSS growth: the child's resident memory after the watch is ready minus before it started,
//   both after a full garbage collection, and the peak RSS of the child over the whole run;
// - latency: from the start of a write to (raw) the watcher reporting it and (due) LibraryWatch
//   asking for a scan that covers it, with the daemon's default coalescing (150 ms quiet time).
//   One write at a time, each in a different folder, alternately modifying and creating a file.
//
// MB is 10^6 bytes.

import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parseLibraryPath } from '../shared/paths.js';
import {
  type ScanRequest,
  type WatchHandlers,
  type Watcher,
  type WatcherKind,
  createWatcher,
  scanRequestCovers,
  startLibraryWatch,
} from '../src-main/engine/watcher/index.js';

const MB = 1e6;
const FILES_PER_FOLDER = 100;

export interface WatcherBenchOptions {
  /** Files in the library; default 100,000, in files/100 folders. */
  readonly files?: number;
  /** Watcher kinds to measure; default native and chokidar. */
  readonly kinds?: readonly WatcherKind[];
  /**
   * Files for the chokidar and polling runs, which need far more memory and time; default the
   * same as `files`. A smaller figure is measured on a library of that size of its own.
   */
  readonly chokidarFiles?: number;
  /** Writes timed per kind; default 20. */
  readonly samples?: number;
  /** Progress lines; silent by default. */
  readonly log?: (line: string) => void;
}

export interface LatencyFigures {
  readonly samples: number;
  /** From the start of a write to the watcher's report of it. */
  readonly rawMedianMs: number;
  readonly rawMaxMs: number;
  /** From the start of a write to LibraryWatch asking for a scan covering it. */
  readonly dueMedianMs: number;
  readonly dueMaxMs: number;
}

export interface WatcherKindFigures {
  readonly kind: WatcherKind;
  readonly description: string;
  readonly files: number;
  readonly folders: number;
  readonly readyMs: number;
  /** RSS of the child before the watch started and once it was ready, after a full GC. */
  readonly rssBeforeMB: number;
  readonly rssReadyMB: number;
  readonly rssGrowthMB: number;
  /** Highest RSS the child reached, start-up and crawl included. */
  readonly peakRssMB: number;
  readonly heapUsedGrowthMB: number;
  readonly latency: LatencyFigures;
}

export interface WatcherBenchFigures {
  readonly kinds: readonly WatcherKindFigures[];
}

/** Creates the library, runs each kind in a child process and returns the figures. */
export async function runWatcherBench(options: WatcherBenchOptions = {}): Promise<WatcherBenchFigures> {
  const files = options.files ?? 100_000;
  const kinds = options.kinds ?? ['native', 'chokidar'];
  const chokidarFiles = Math.min(options.chokidarFiles ?? files, files);
  const samples = options.samples ?? 20;
  const log = options.log ?? (() => undefined);
  const base = await realpath(await mkdtemp(path.join(os.tmpdir(), 'cairn-bench-watcher-')));
  try {
    const libraries = new Map<number, string>();
    const libraryOf = async (count: number): Promise<string> => {
      const known = libraries.get(count);
      if (known !== undefined) return known;
      const root = path.join(base, `library-${String(count)}`);
      log(`creating ${count.toLocaleString('en')} files in ${Math.ceil(count / FILES_PER_FOLDER).toLocaleString('en')} folders`);
      const started = performance.now();
      await createLibrary(root, count);
      log(`  done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      libraries.set(count, root);
      return root;
    };
    const figures: WatcherKindFigures[] = [];
    for (const kind of kinds) {
      const count = kind === 'native' ? files : chokidarFiles;
      const root = await libraryOf(count);
      log(`${kind}: watching ${count.toLocaleString('en')} files`);
      const result = await runChild(kind, root, count, samples);
      log(`  ready in ${result.readyMs.toFixed(0)} ms, RSS +${result.rssGrowthMB.toFixed(0)} MB (peak ${result.peakRssMB.toFixed(0)} MB)`);
      figures.push(result);
    }
    return { kinds: figures };
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

/** `files` small files in folders of 100: d0000/f000000.txt and so on. */
async function createLibrary(root: string, files: number): Promise<void> {
  const folders = Math.ceil(files / FILES_PER_FOLDER);
  const folderNames = Array.from({ length: folders }, (_, i) => folderName(i));
  // Eight folders at a time: file creation is bound by the file system, not by concurrency.
  for (let first = 0; first < folders; first += 8) {
    await Promise.all(
      folderNames.slice(first, first + 8).map(async (name, offset) => {
        const folder = path.join(root, name);
        await mkdir(folder, { recursive: true });
        const start = (first + offset) * FILES_PER_FOLDER;
        const end = Math.min(files, start + FILES_PER_FOLDER);
        const writes: Promise<void>[] = [];
        for (let i = start; i < end; i++) writes.push(writeFile(path.join(folder, fileName(i)), `file ${String(i)}\n`));
        await Promise.all(writes);
      }),
    );
  }
}

function folderName(index: number): string {
  return `d${String(index).padStart(4, '0')}`;
}

function fileName(index: number): string {
  return `f${String(index).padStart(6, '0')}.txt`;
}

function runChild(kind: WatcherKind, root: string, files: number, samples: number): Promise<WatcherKindFigures> {
  const script = fileURLToPath(import.meta.url);
  const args = ['--expose-gc', '--import', 'tsx', script, '--child', kind, '--root', root, '--files', String(files), '--samples', String(samples)];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: path.dirname(path.dirname(script)), maxBuffer: 16 * MB, timeout: 30 * 60_000 }, (error, stdout, stderr) => {
      if (error !== null) {
        reject(new Error(`The ${kind} run failed: ${error.message}\n${stderr}`));
        return;
      }
      const line = stdout.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(line) as WatcherKindFigures);
      } catch {
        reject(new Error(`The ${kind} run printed no figures:\n${stdout}\n${stderr}`));
      }
    });
  });
}

/** The child: watches `root` with one kind and prints its figures as one JSON line. */
async function runChildMeasurement(kind: WatcherKind, root: string, files: number, samples: number): Promise<WatcherKindFigures> {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) throw new Error('Run the child with --expose-gc.');
  const watcher = await createWatcher(kind);
  // Raw reports are timed through a watcher that passes everything on and notes when each
  // sample's path was first reported.
  const rawSeenAt = new Map<string, number>();
  const timing: Watcher = {
    ...watcher,
    watch: (watchedRoot: string, handlers: WatchHandlers) =>
      watcher.watch(watchedRoot, {
        onChanges: (changes) => {
          const now = performance.now();
          for (const change of changes) if (!rawSeenAt.has(change.path)) rawSeenAt.set(change.path, now);
          handlers.onChanges(changes);
        },
        onTrouble: (trouble) => handlers.onTrouble(trouble),
      }),
  };
  const scans: { at: number; scan: ScanRequest }[] = [];

  collect();
  const before = process.memoryUsage();
  const started = performance.now();
  const watch = await startLibraryWatch({
    root,
    watcher: timing,
    onDue: (scan) => {
      scans.push({ at: performance.now(), scan });
    },
    onTrouble: (trouble) => process.stderr.write(`trouble: ${trouble.kind}\n`),
  });
  const readyMs = performance.now() - started;
  collect();
  const ready = process.memoryUsage();

  const folders = Math.ceil(files / FILES_PER_FOLDER);
  const raw: number[] = [];
  const due: number[] = [];
  try {
    for (let sample = 0; sample < samples; sample++) {
      // Spread over the tree: a different folder each time, far from the previous one.
      const folder = folderName((sample * 7919) % folders);
      const name = sample % 2 === 0 ? fileName(((sample * 7919) % folders) * FILES_PER_FOLDER) : `new-${String(sample)}.txt`;
      const relative = `${folder}/${name}`;
      const absolute = path.join(root, folder, name);
      const libraryPath = parseLibraryPath(relative);
      const scansBefore = scans.length;
      const writeStarted = performance.now();
      await writeFile(absolute, `sample ${String(sample)} at ${String(writeStarted)}\n`);
      const coveredAt = await waitUntil(() => scans.slice(scansBefore).find((entry) => scanRequestCovers(entry.scan, libraryPath))?.at, 30_000);
      const rawAt = rawSeenAt.get(absolute);
      rawSeenAt.clear();
      due.push(coveredAt - writeStarted);
      if (rawAt !== undefined) raw.push(rawAt - writeStarted);
      // Let the coalescer's minimum interval pass, so that each sample is a scan of its own.
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  } finally {
    await watch.close();
  }
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  return {
    kind: watcher.kind,
    description: watcher.description,
    files,
    folders,
    readyMs,
    rssBeforeMB: before.rss / MB,
    rssReadyMB: ready.rss / MB,
    rssGrowthMB: (ready.rss - before.rss) / MB,
    peakRssMB: peakRssBytes / MB,
    heapUsedGrowthMB: (ready.heapUsed - before.heapUsed) / MB,
    latency: {
      samples,
      rawMedianMs: median(raw),
      rawMaxMs: Math.max(...raw),
      dueMedianMs: median(due),
      dueMaxMs: Math.max(...due),
    },
  };
}

/** Polls until `value` returns a number, or fails after `timeoutMs`. */
async function waitUntil(value: () => number | undefined, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const found = value();
    if (found !== undefined) return found;
    if (performance.now() > deadline) throw new Error(`No scan request within ${timeoutMs} ms of a write.`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function printTable(figures: WatcherBenchFigures): void {
  const rows = figures.kinds.map((kind) => [
    kind.kind,
    kind.files.toLocaleString('en'),
    `${(kind.readyMs / 1000).toFixed(2)} s`,
    `${kind.rssGrowthMB.toFixed(0)} MB`,
    `${kind.rssReadyMB.toFixed(0)} MB`,
    `${kind.peakRssMB.toFixed(0)} MB`,
    `${kind.latency.rawMedianMs.toFixed(0)} / ${kind.latency.rawMaxMs.toFixed(0)} ms`,
    `${kind.latency.dueMedianMs.toFixed(0)} / ${kind.latency.dueMaxMs.toFixed(0)} ms`,
  ]);
  const header = ['kind', 'files', 'ready', 'RSS growth', 'RSS ready', 'peak RSS', 'raw median/max', 'due median/max'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] as string).length)));
  const line = (cells: readonly string[]): string => cells.map((cell, column) => cell.padEnd(widths[column] as number)).join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  console.log('target: the whole daemon under 200 MB watching 100,000 files (chokidar 5 alone: about 850 MB)');
}

function positiveInteger(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`--${name} takes a positive whole number, not ${JSON.stringify(raw)}`);
  return value;
}

function parseKind(raw: string): WatcherKind {
  if (raw === 'native' || raw === 'chokidar' || raw === 'polling') return raw;
  throw new Error(`Unknown watcher kind ${JSON.stringify(raw)}: use native, chokidar or polling.`);
}

async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      files: { type: 'string' },
      kinds: { type: 'string' },
      'chokidar-files': { type: 'string' },
      samples: { type: 'string' },
      json: { type: 'boolean', default: false },
      child: { type: 'string' },
      root: { type: 'string' },
    },
  });
  const files = positiveInteger(values.files, 100_000, 'files');
  const samples = positiveInteger(values.samples, 20, 'samples');
  if (values.child !== undefined) {
    if (values.root === undefined) throw new Error('--child needs --root');
    const figures = await runChildMeasurement(parseKind(values.child), values.root, files, samples);
    process.stdout.write(`${JSON.stringify(figures)}\n`);
    return;
  }
  const figures = await runWatcherBench({
    files,
    kinds: (values.kinds ?? 'native,chokidar').split(',').map(parseKind),
    chokidarFiles: positiveInteger(values['chokidar-files'], files, 'chokidar-files'),
    samples,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  if (values.json) console.log(JSON.stringify(figures, undefined, 2));
  else printTable(figures);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
