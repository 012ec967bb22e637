// `npm run bench`: Cairn's benchmarks against the targets of the design brief (section 7), each
// figure printed beside its target and the best peer's figure.
//
//   npm run bench                 full sizes (512 MiB file, 10,000 files); several minutes
//   npm run bench -- --quick      64 MiB file, 1,000 files, smaller chunking runs
//   npm run bench -- --json       the figures as JSON on stdout (progress goes to stderr)
//   npm run bench -- --help       every option
//   npm run bench -- --metadata postgres://... --chunks s3://...
//                                 also the scale-out backend (PostgreSQL + S3, a fresh schema and
//                                 bucket in each): the first syncs beside the embedded backend's,
//                                 and commit throughput with 1, 2 and 4 server instances
//
// A trip from client A to client B is two hops (A to the server, the server to B), so the
// targets, which peers meet in one hop, are compared with the sum of both ("end to end").
// MB/s is 10^6 bytes per second; KiB is 1024 bytes.

import { parseArgs } from 'node:util';
import { runChunkingBench } from './chunking.js';
import type { ChunkingBenchFigures } from './chunking.js';
import { runDaemonMemoryBench, runLatencyBench } from './latency.js';
import type { DaemonMemoryFigures, LatencyFigures } from './latency.js';
import { runCommitBench } from './commitBench.js';
import type { CommitBenchFigures } from './commitBench.js';
import { backendFlags, destroyScaleOutTarget, freshScaleOutTarget } from './scaleOutBackend.js';
import { runSyncBench } from './syncBench.js';

const BENCH_PARTS = ['chunking', 'large', 'many', 'latency', 'memory', 'commits'] as const;
type BenchPart = (typeof BENCH_PARTS)[number];
import type { StepFigures, SyncBenchFigures, SyncBenchOptions, UpDown } from './syncBench.js';

const MiB = 1024 * 1024;
const KiB = 1024;

const FULL = { fileMiB: 512, files: 10_000, chunkingMiB: 512, rabinMiB: 64, repeat: 3 } as const;
const QUICK = { fileMiB: 64, files: 1_000, chunkingMiB: 64, rabinMiB: 16, repeat: 1 } as const;

const USAGE = `usage: npm run bench -- [options]
  --quick               64 MiB file, 1,000 files, 64/16 MiB chunking runs, 1 repeat
  --json                print the figures as JSON instead of tables
  --file-mib N          size of the large file (default 512)
  --files N             number of small files, a multiple of 100 (default 10000)
  --chunking-mib N      size of the fastcdc chunking file (default 512)
  --rabin-mib N         size of the rabin chunking file (default 64)
  --repeat N            runs per chunking figure (default 3)
  --skip LIST           comma-separated parts to leave out: chunking, large, many, latency, memory, commits
  --metadata URL        also bench the scale-out backend on this PostgreSQL (postgres://USER@HOST:PORT/DB;
  --chunks URL          password: PGPASSWORD) and S3 store ('s3://BUCKET?endpoint=...&region=...&forcePathStyle=true';
                        keys: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY): first syncs beside the embedded
                        backend, commits with 1, 2 and 4 instances; each run in its own schema and bucket
  --commit-seconds N    seconds per commit-throughput run (default 10; 5 with --quick)
  --server-in-process   run the server in this process (default: a child process)
  --server-cpu-prof DIR write a CPU profile of the server process into DIR
  --daemon-js FILE      measure the daemon's memory on a compiled CLI (dist/src-main/cli/main.js,
                        from npm run build) instead of the sources through tsx, whose loader adds
                        about 35 MB to the process
  --help                this text`;

interface RunOptions {
  readonly json: boolean;
  readonly fileBytes: number;
  readonly files: number;
  readonly chunkingBytes: number;
  readonly rabinBytes: number;
  readonly repeat: number;
  readonly skip: ReadonlySet<BenchPart>;
  readonly serverInProcess: boolean;
  readonly serverCpuProfileFolder: string | undefined;
  readonly daemonJs: string | undefined;
  readonly scaleOut: { readonly postgres: string; readonly s3: string } | undefined;
  readonly commitSeconds: number;
}

/** A mistake on the command line: shown with a pointer to --help, without a stack. */
class UsageError extends Error {
  override readonly name = 'UsageError';
}

function readOptions(argv: readonly string[]): RunOptions | 'help' {
  try {
    return parseOptions(argv);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    // parseArgs reports unknown or malformed flags with a TypeError.
    throw new UsageError((error as Error).message);
  }
}

function parseOptions(argv: readonly string[]): RunOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      'file-mib': { type: 'string' },
      files: { type: 'string' },
      'chunking-mib': { type: 'string' },
      'rabin-mib': { type: 'string' },
      repeat: { type: 'string' },
      skip: { type: 'string', default: '' },
      'server-in-process': { type: 'boolean', default: false },
      'server-cpu-prof': { type: 'string' },
      'daemon-js': { type: 'string' },
      metadata: { type: 'string' },
      chunks: { type: 'string' },
      'commit-seconds': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const sizes = values.quick ? QUICK : FULL;
  const skip = new Set<BenchPart>();
  for (const part of values.skip.split(',').filter((item) => item !== '')) {
    if (!(BENCH_PARTS as readonly string[]).includes(part)) throw new UsageError(`--skip takes ${BENCH_PARTS.join(', ')}, not ${JSON.stringify(part)}`);
    skip.add(part as BenchPart);
  }
  if ((values.metadata === undefined) !== (values.chunks === undefined)) throw new UsageError('the scale-out backend needs both --metadata and --chunks');
  const files = positive('--files', values.files, sizes.files);
  if (!Number.isInteger(files) || files % 100 !== 0) throw new UsageError(`--files takes a multiple of 100 (10 groups of 10 folders), not ${files}`);
  return {
    json: values.json,
    fileBytes: positive('--file-mib', values['file-mib'], sizes.fileMiB) * MiB,
    files,
    chunkingBytes: positive('--chunking-mib', values['chunking-mib'], sizes.chunkingMiB) * MiB,
    rabinBytes: positive('--rabin-mib', values['rabin-mib'], sizes.rabinMiB) * MiB,
    repeat: positive('--repeat', values.repeat, sizes.repeat),
    skip,
    serverInProcess: values['server-in-process'],
    serverCpuProfileFolder: values['server-cpu-prof'],
    daemonJs: values['daemon-js'],
    scaleOut: values.metadata === undefined || values.chunks === undefined ? undefined : { postgres: values.metadata, s3: values.chunks },
    commitSeconds: positive('--commit-seconds', values['commit-seconds'], values.quick ? 5 : 10),
  };
}

function positive(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${flag} takes a positive number, not ${JSON.stringify(text)}`);
  return value;
}

// ---- targets --------------------------------------------------------------------------------

type Verdict = 'meets' | 'misses' | 'not comparable';

interface Row {
  readonly work: string;
  readonly cairn: string;
  readonly target: string;
  readonly peer: string;
  readonly verdict: Verdict | '';
}

function verdict(comparable: boolean, met: boolean): Verdict {
  if (!comparable) return 'not comparable';
  return met ? 'meets' : 'misses';
}

function endToEndSeconds(pair: UpDown): number {
  return pair.up.seconds + pair.down.seconds;
}

function wireTotal(step: StepFigures): number {
  return step.wire.sent + step.wire.received;
}

function targetRows(options: RunOptions, chunking: ChunkingBenchFigures | undefined, sync: SyncBenchFigures): Row[] {
  const rows: Row[] = [];
  if (chunking !== undefined) {
    const pool = chunking.fastcdc.chunkFilePool;
    rows.push({
      work: `chunk + hash one ${mib(chunking.fastcdc.fileBytes)} file (fastcdc, worker pool)`,
      cairn: `${pool.medianMBps} MB/s median, ${pool.bestMBps} best`,
      target: '>= 1200 MB/s on 2 cores',
      peer: 'SHA-256 limit 1700 MB/s per core',
      verdict: verdict(true, pool.medianMBps >= 1200),
    });
    rows.push({
      work: `  same, rabin (${mib(chunking.rabin.fileBytes)})`,
      cairn: `${chunking.rabin.chunkFilePool.medianMBps} MB/s median`,
      target: '(no target)',
      peer: 'rabin-wasm limit 130 MB/s',
      verdict: '',
    });
  }
  const large = sync.largeFile;
  if (large !== undefined) {
    const full = large.fileBytes === FULL.fileMiB * MiB;
    const seconds = endToEndSeconds(large.firstSync);
    rows.push({
      work: `one ${mib(large.fileBytes)} file, first sync (end to end)`,
      cairn: `${seconds.toFixed(2)} s (A ${large.firstSync.up.seconds.toFixed(2)} + B ${large.firstSync.down.seconds.toFixed(2)})`,
      target: '<= 0.9 s',
      peer: 'rsync 0.9 s',
      verdict: verdict(full, seconds <= 0.9),
    });
    const insertSeconds = endToEndSeconds(large.insert);
    const insertWire = wireTotal(large.insert.up) + wireTotal(large.insert.down);
    rows.push({
      work: `${large.insert.insertedBytes} bytes inserted at ${mib(large.insert.offset)} (end to end)`,
      cairn: `${insertSeconds.toFixed(2)} s / ${kib(insertWire)} (A ${kib(wireTotal(large.insert.up))} + B ${kib(wireTotal(large.insert.down))})`,
      target: '<= 1 s and <= 283 KiB',
      peer: 'rsync 2.7 s / 292 KiB; Unison 283 KiB',
      verdict: verdict(full, insertSeconds <= 1 && insertWire <= 283 * KiB),
    });
  }
  const many = sync.manyFiles;
  if (many !== undefined) {
    const full = many.files === FULL.files;
    const seconds = endToEndSeconds(many.firstSync);
    rows.push({
      work: `${many.files} small files (${mib(many.bytes)}), first sync (end to end)`,
      cairn: `${seconds.toFixed(2)} s (A ${many.firstSync.up.seconds.toFixed(2)} + B ${many.firstSync.down.seconds.toFixed(2)})`,
      target: '<= 3.3 s',
      peer: 'rsync 3.3 s (Syncthing 24 s)',
      verdict: verdict(full, seconds <= 3.3),
    });
    const renameWire = wireTotal(many.rename.up) + wireTotal(many.rename.down);
    rows.push({
      work: `rename of a folder holding ${many.rename.files} files (end to end)`,
      cairn: `${kib(renameWire)} (A ${kib(wireTotal(many.rename.up))} + B ${kib(wireTotal(many.rename.down))}), ${endToEndSeconds(many.rename).toFixed(2)} s`,
      target: '<= 100 KiB',
      peer: 'Syncthing 239 KiB (rsync 8.6 MiB)',
      verdict: verdict(many.rename.files === 1_000, renameWire <= 100 * KiB),
    });
    rows.push({
      work: `nothing changed, ${many.files} files (A)`,
      cairn: `${many.unchanged.seconds.toFixed(3)} s / ${kib(wireTotal(many.unchanged))}`,
      target: '<= 0.2 s / 10 KiB',
      peer: 'Unison 0.2 s / 10 KiB',
      verdict: verdict(full, many.unchanged.seconds <= 0.2 && wireTotal(many.unchanged) <= 10 * KiB),
    });
  }
  return rows;
}

// ---- printing -------------------------------------------------------------------------------

function mib(bytes: number): string {
  return `${Number((bytes / MiB).toFixed(1))} MiB`;
}

function kib(bytes: number): string {
  return `${(bytes / KiB).toFixed(1)} KiB`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ').trimEnd();
  return [line(header), widths.map((width) => '-'.repeat(width)).join('-|-'), ...rows.map(line)].join('\n');
}

function stepRows(sync: SyncBenchFigures): string[][] {
  const rows: string[][] = [];
  const add = (name: string, step: StepFigures, bytes: number | null): void => {
    const phases = Object.entries(step.phases)
      .map(([phase, milliseconds]) => `${phase} ${milliseconds}`)
      .join(', ');
    rows.push([
      name,
      step.seconds.toFixed(3),
      bytes === null ? '' : (bytes / step.seconds / 1e6).toFixed(0),
      kib(step.wire.sent),
      kib(step.wire.received),
      kib(step.uploadedBytes),
      kib(step.downloadedBytes),
      kib(step.reusedBytes),
      String(step.passes),
      phases,
      `${step.chunkStorePutMs} / ${step.chunkStoreGetMs}`,
    ]);
  };
  const large = sync.largeFile;
  if (large !== undefined) {
    add('large file, first sync: A up', large.firstSync.up, large.fileBytes);
    add('large file, first sync: B down', large.firstSync.down, large.fileBytes);
    add('large file, insert: A up', large.insert.up, null);
    add('large file, insert: B down', large.insert.down, null);
  }
  const many = sync.manyFiles;
  if (many !== undefined) {
    add('small files, first sync: A up', many.firstSync.up, many.bytes);
    add('small files, first sync: B down', many.firstSync.down, many.bytes);
    add('small files, nothing changed: A', many.unchanged, null);
    add('rename folder: A up', many.rename.up, null);
    add('rename folder: B down', many.rename.down, null);
  }
  return rows;
}

function printTables(options: RunOptions, chunking: ChunkingBenchFigures | undefined, sync: SyncBenchFigures): void {
  const out = (text: string): void => void process.stdout.write(`${text}\n`);
  out('');
  out('Cairn against the targets of design.md section 7 (DEFAULT_CHUNKING: fastcdc 32/128/512 KiB)');
  out(table(['work', 'Cairn', 'target', 'best peer', 'verdict'], targetRows(options, chunking, sync).map((row) => [row.work, row.cairn, row.target, row.peer, row.verdict])));
  if (options.fileBytes !== FULL.fileMiB * MiB || options.files !== FULL.files) {
    out('(sizes differ from the full benchmark: rows with other sizes are "not comparable" with the targets)');
  }
  const steps = stepRows(sync);
  if (steps.length > 0) {
    out('');
    out("Each step: one syncNow on one client. Wire = bytes on the server's TCP connections (HTTP included); chunks = payload the round reports.");
    out('Phases in ms, from the progress events (planning and local moves count in the phase before them).');
    out(table(['step', 'seconds', 'MB/s', 'wire sent', 'wire received', 'chunks up', 'chunks down', 'reused', 'passes', 'phases (ms)', 'server store put / get (ms)'], steps));
  }
  if (chunking !== undefined) {
    out('');
    out(`Chunking (MB/s, best / median of ${options.repeat}); SHA-256 alone on one thread: ${chunking.sha256.bestMBps} / ${chunking.sha256.medianMBps}`);
    const algorithmRow = (figures: ChunkingBenchFigures['fastcdc']): string[] => [
      `${figures.params.algorithm} (${mib(figures.fileBytes)})`,
      `${figures.cut.bestMBps} / ${figures.cut.medianMBps}`,
      `${figures.chunkFileInProcess.bestMBps} / ${figures.chunkFileInProcess.medianMBps}`,
      `${figures.chunkFilePool.bestMBps} / ${figures.chunkFilePool.medianMBps}`,
      `${figures.chunks} chunks, ${kib(figures.averageChunkBytes)} average`,
    ];
    out(table(['algorithm', 'cut alone', 'chunkFile in process', 'chunkFile via pool', 'chunks'], [algorithmRow(chunking.fastcdc), algorithmRow(chunking.rabin)]));
  }
}

function printScaleOut(sync: SyncBenchFigures, scaleOut: SyncBenchFigures | undefined, commits: readonly CommitBenchFigures[]): void {
  const out = (text: string): void => void process.stdout.write(`${text}\n`);
  if (scaleOut !== undefined) {
    const rows: string[][] = [];
    const pair = (name: string, embedded: UpDown | undefined, scaled: UpDown | undefined): void => {
      if (embedded === undefined || scaled === undefined) return;
      const cell = (figures: UpDown): string => `${endToEndSeconds(figures).toFixed(2)} s (A ${figures.up.seconds.toFixed(2)} + B ${figures.down.seconds.toFixed(2)})`;
      rows.push([name, cell(embedded), cell(scaled)]);
    };
    pair(`one ${mib(sync.largeFile?.fileBytes ?? 0)} file, first sync`, sync.largeFile?.firstSync, scaleOut.largeFile?.firstSync);
    pair(`${sync.manyFiles?.files ?? 0} small files, first sync`, sync.manyFiles?.firstSync, scaleOut.manyFiles?.firstSync);
    pair('10 bytes inserted into the large file', sync.largeFile?.insert, scaleOut.largeFile?.insert);
    pair('rename of a folder', sync.manyFiles?.rename, scaleOut.manyFiles?.rename);
    out('');
    out('The same syncs (end to end) on both backends: one server process each');
    out(table(['work', 'embedded (SQLite + pack files)', 'scale-out (PostgreSQL + S3)'], rows));
  }
  if (commits.length > 0) {
    out('');
    out(`Commit throughput: ${commits[0]!.writers} writers, one new 1-chunk file per commit, requests spread over the instances in turn`);
    out(
      table(
        ['backend', 'instances', 'libraries', 'commits/s', 'p50 ms', 'p99 ms', 'max ms', 'commits', 'failed', 'fsck problems'],
        commits.map((run) => [
          run.backend,
          String(run.instances),
          run.sharedLibrary ? 'one shared' : 'one per writer',
          String(run.commitsPerSecond),
          String(run.p50Ms),
          String(run.p99Ms),
          String(run.maxMs),
          String(run.commits),
          String(run.failures),
          String(run.problems),
        ]),
      ),
    );
  }
}

// ---- main -----------------------------------------------------------------------------------

async function main(): Promise<void> {
  const options = readOptions(process.argv.slice(2));
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const started = Date.now();

  let chunking: ChunkingBenchFigures | undefined;
  if (!options.skip.has('chunking')) {
    log(`chunking: fastcdc on ${mib(options.chunkingBytes)}, rabin on ${mib(options.rabinBytes)}, ${options.repeat} runs each`);
    chunking = await runChunkingBench({ fastCdcBytes: options.chunkingBytes, rabinBytes: options.rabinBytes, repeat: options.repeat, log });
  }

  const syncOptions: SyncBenchOptions = {
    largeFileBytes: options.fileBytes,
    smallFiles: options.files,
    largeFile: !options.skip.has('large'),
    manyFiles: !options.skip.has('many'),
    serverInProcess: options.serverInProcess,
    ...(options.serverCpuProfileFolder === undefined ? {} : { serverExecArgv: ['--cpu-prof', `--cpu-prof-dir=${options.serverCpuProfileFolder}`] }),
    log,
  };
  const sync = options.skip.has('large') && options.skip.has('many') ? {} : await runSyncBench(syncOptions);
  let scaleOutSync: SyncBenchFigures | undefined;
  if (options.scaleOut !== undefined && !(options.skip.has('large') && options.skip.has('many'))) {
    const target = freshScaleOutTarget(options.scaleOut.postgres, options.scaleOut.s3, 'cairn_bench');
    const [, metadata, , chunks] = backendFlags(target);
    log('the same syncs on the scale-out backend (PostgreSQL + S3)');
    try {
      scaleOutSync = await runSyncBench({ ...syncOptions, scaleOut: { metadata: metadata!, chunks: chunks! } });
    } finally {
      await destroyScaleOutTarget(target);
    }
  }
  const commits: CommitBenchFigures[] = [];
  if (!options.skip.has('commits')) {
    for (const sharedLibrary of [false, true]) {
      const common = { writers: 8, sharedLibrary, seconds: options.commitSeconds, log };
      commits.push(await runCommitBench({ ...common, instances: 1 }));
      if (options.scaleOut !== undefined) for (const instances of [1, 2, 4]) commits.push(await runCommitBench({ ...common, instances, scaleOut: options.scaleOut }));
    }
  }
  // Live sync: a saved file reaching the other daemon, and a daemon's memory watching many files.
  const quick = options.files < 10_000;
  let latency: LatencyFigures | undefined;
  if (!options.skip.has('latency')) {
    log('latency: saves in one daemon\'s folder until complete in the other\'s');
    latency = await runLatencyBench({ saves: quick ? 20 : 50, log });
  }
  let memory: DaemonMemoryFigures | undefined;
  if (!options.skip.has('memory')) {
    const files = quick ? 10_000 : 100_000;
    log(`memory: \`cairn daemon\` watching ${files.toLocaleString('en')} files`);
    memory = await runDaemonMemoryBench({ files, log, ...(options.daemonJs === undefined ? {} : { daemonJs: options.daemonJs }) });
  }
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);

  if (options.json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          options: { ...options, skip: [...options.skip] },
          chunking: chunking ?? null,
          sync,
          scaleOutSync: scaleOutSync ?? null,
          commits,
          latency: latency ?? null,
          memory: memory ?? null,
          targets: targetRows(options, chunking, sync),
        },
        null,
        2,
      )}\n`,
    );
  } else {
    printTables(options, chunking, sync);
    printScaleOut(sync, scaleOutSync, commits);
    if (latency !== undefined) process.stdout.write(`\nlive sync: a saved file complete on the other daemon: ${JSON.stringify(latency)} (target: median under 1 s; Syncthing waits 10 s by default)\n`);
    if (memory !== undefined) process.stdout.write(`daemon memory while watching: ${JSON.stringify(memory)} (target: under 200 MB for 100,000 files)\n`);
  }
}

try {
  await main();
} catch (error) {
  if (error instanceof UsageError) {
    process.stderr.write(`${error.message}; see npm run bench -- --help\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  }
}
