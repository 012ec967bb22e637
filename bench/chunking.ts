// Chunking benchmark: how fast one large file is cut, hashed, and chunked end to end through
// the worker pool. Target (design brief, section 7): chunk + hash one large file at >= 1.2 GB/s
// on 2 cores.
//
//   node --import tsx bench/chunking.ts [fastcdc MiB, default 512] [rabin MiB, default 64]
//
// MB/s here means 10^6 bytes per second. Files are written to a temporary folder and read back
// while still in the page cache, so this measures CPU work, not the disk. The machine is
// shared, so each figure is the best and the median of `repeat` runs, and on Linux the CPU time
// of every thread of this process is read from /proc to estimate what two idle cores would do.

import { createHash, randomFillSync } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chunkFile, createChunkerPool, createCutter } from '../src-main/engine/chunker/index.js';
import type { ChunkerPool } from '../src-main/engine/chunker/index.js';
import { DEFAULT_CHUNKING } from '../shared/model.js';
import type { ChunkingParams } from '../shared/model.js';

const MiB = 1024 * 1024;

export interface ChunkingBenchOptions {
  /** Size of the fastcdc test file; 512 MiB by default. */
  readonly fastCdcBytes?: number;
  /** Size of the rabin test file, smaller because rabin-wasm is slow; 64 MiB by default. */
  readonly rabinBytes?: number;
  /** Runs per figure; 3 by default. */
  readonly repeat?: number;
  /** Progress lines; silent by default. */
  readonly log?: (line: string) => void;
}

/** Throughput over the runs, in MB/s (10^6 bytes per second). */
export interface Throughput {
  /** Bytes over wall-clock time, best and median run. */
  readonly bestMBps: number;
  readonly medianMBps: number;
  /**
   * Linux only, best run: bytes over max(CPU time of the busiest thread, CPU time of all
   * threads / 2). Waiting for a core does not count as CPU time, so on a busy shared machine
   * this estimates what the same work would reach on two idle cores (one, for single-threaded
   * work). Contention still slows the CPU itself somewhat, so it errs low.
   */
  readonly twoIdleCoresEstimateMBps: number | undefined;
}

export interface AlgorithmFigures {
  readonly params: ChunkingParams;
  readonly fileBytes: number;
  /** The cutter alone on bytes in memory, one thread. */
  readonly cut: Throughput;
  /** chunkFile on the calling thread alone: reading, cutting and SHA-256 all here. */
  readonly chunkFileInProcess: Throughput;
  /** chunkFile through createChunkerPool, cutting and hashing on two threads: the scanner's path. */
  readonly chunkFilePool: Throughput;
  readonly chunks: number;
  readonly averageChunkBytes: number;
}

export interface ChunkingBenchFigures {
  /** SHA-256 (node:crypto) alone on one thread, over 128 KiB pieces. */
  readonly sha256: Throughput;
  readonly fastcdc: AlgorithmFigures;
  readonly rabin: AlgorithmFigures;
}

export async function runChunkingBench(options: ChunkingBenchOptions = {}): Promise<ChunkingBenchFigures> {
  const fastCdcBytes = options.fastCdcBytes ?? 512 * MiB;
  const rabinBytes = options.rabinBytes ?? 64 * MiB;
  const repeat = options.repeat ?? 3;
  const log = options.log ?? (() => undefined);

  const folder = await mkdtemp(path.join(tmpdir(), 'cairn-bench-chunking-'));
  const pool = createChunkerPool();
  try {
    const fastCdcFile = path.join(folder, 'fastcdc.bin');
    const rabinFile = path.join(folder, 'rabin.bin');
    log(`writing ${fastCdcBytes / MiB} MiB and ${rabinBytes / MiB} MiB of random bytes to ${folder}`);
    const fastCdcData = await writeRandomFile(fastCdcFile, fastCdcBytes);
    const rabinData = await writeRandomFile(rabinFile, rabinBytes);
    // Start the workers before timing anything.
    await pool.chunkFile(rabinFile, DEFAULT_CHUNKING);

    const sha256 = await measure(repeat, fastCdcBytes, () => {
      const piece = 128 * 1024;
      for (let offset = 0; offset < fastCdcData.length; offset += piece) {
        createHash('sha256').update(fastCdcData.subarray(offset, offset + piece)).digest();
      }
    });
    log(`sha256 alone: ${format(sha256)}`);

    const fastcdc = await measureAlgorithm(DEFAULT_CHUNKING, fastCdcFile, fastCdcData, pool, repeat, log);
    const rabin = await measureAlgorithm({ ...DEFAULT_CHUNKING, algorithm: 'rabin' }, rabinFile, rabinData, pool, repeat, log);
    return { sha256, fastcdc, rabin };
  } finally {
    await pool.close();
    await rm(folder, { recursive: true, force: true });
  }
}

async function measureAlgorithm(
  params: ChunkingParams,
  filePath: string,
  data: Uint8Array,
  pool: ChunkerPool,
  repeat: number,
  log: (line: string) => void,
): Promise<AlgorithmFigures> {
  const name = params.algorithm;
  const cut = await measure(repeat, data.length, () => {
    const cutter = createCutter(params);
    const slice = 4 * MiB;
    for (let offset = 0; offset < data.length; offset += slice) cutter.push(data.subarray(offset, offset + slice));
    cutter.finish();
  });
  log(`${name} cut alone: ${format(cut)}`);
  const chunkFileInProcess = await measure(repeat, data.length, () => chunkFile(filePath, params));
  log(`${name} chunkFile in process: ${format(chunkFileInProcess)}`);
  let chunks = 0;
  const chunkFilePool = await measure(repeat, data.length, async () => {
    chunks = (await pool.chunkFile(filePath, params)).chunks.length;
  });
  log(`${name} chunkFile through the pool: ${format(chunkFilePool)}`);
  const averageChunkBytes = Math.round(data.length / chunks);
  log(`${name}: ${chunks} chunks, ${(averageChunkBytes / 1024).toFixed(1)} KiB on average`);
  return { params, fileBytes: data.length, cut, chunkFileInProcess, chunkFilePool, chunks, averageChunkBytes };
}

async function measure(repeat: number, bytes: number, run: () => unknown): Promise<Throughput> {
  const rates: number[] = [];
  let estimate: number | undefined;
  for (let round = 0; round < repeat; round++) {
    const threadsBefore = threadCpuSeconds();
    const start = process.hrtime.bigint();
    await run();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const threadsAfter = threadCpuSeconds();
    rates.push(bytes / seconds / 1e6);
    if (threadsBefore !== undefined && threadsAfter !== undefined) {
      const used = [...threadsAfter].map(([thread, cpu]) => cpu - (threadsBefore.get(thread) ?? 0));
      const total = used.reduce((sum, cpu) => sum + cpu, 0);
      const critical = Math.max(...used, total / 2);
      if (critical > 0) estimate = Math.max(estimate ?? 0, bytes / critical / 1e6);
    }
  }
  rates.sort((left, right) => left - right);
  return {
    bestMBps: Math.round(rates[rates.length - 1]!),
    medianMBps: Math.round(rates[Math.floor(rates.length / 2)]!),
    twoIdleCoresEstimateMBps: estimate === undefined ? undefined : Math.round(estimate),
  };
}

/** CPU seconds used so far by each thread of this process, from /proc; undefined elsewhere. */
function threadCpuSeconds(): Map<string, number> | undefined {
  if (process.platform !== 'linux') return undefined;
  const clockTicksPerSecond = 100;
  const times = new Map<string, number>();
  for (const thread of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${thread}/stat`, 'utf8');
      // Fields after the command name, which is in parentheses and may hold spaces.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      times.set(thread, (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond);
    } catch {
      // The thread ended between listing and reading.
    }
  }
  return times;
}

function format({ bestMBps, medianMBps, twoIdleCoresEstimateMBps }: Throughput): string {
  const estimate = twoIdleCoresEstimateMBps === undefined ? '' : `, about ${twoIdleCoresEstimateMBps} MB/s on idle cores`;
  return `best ${bestMBps} MB/s, median ${medianMBps} MB/s${estimate}`;
}

/** Writes `size` random bytes in 4 MiB pieces and returns them. */
async function writeRandomFile(filePath: string, size: number): Promise<Uint8Array> {
  const data = new Uint8Array(size);
  const handle = await open(filePath, 'w');
  try {
    for (let offset = 0; offset < size; offset += 4 * MiB) {
      const piece = data.subarray(offset, Math.min(size, offset + 4 * MiB));
      for (let filled = 0; filled < piece.length; filled += 65536) randomFillSync(piece, filled, Math.min(65536, piece.length - filled));
      await handle.write(piece);
    }
  } finally {
    await handle.close();
  }
  return data;
}

function sizeArgument(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const mebibytes = Number(text);
  if (!Number.isFinite(mebibytes) || mebibytes <= 0) throw new RangeError(`Sizes are positive numbers of MiB, not ${JSON.stringify(text)}.`);
  return Math.round(mebibytes * MiB);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await runChunkingBench({
    fastCdcBytes: sizeArgument(process.argv[2], 512 * MiB),
    rabinBytes: sizeArgument(process.argv[3], 64 * MiB),
    log: (line) => console.log(line),
  });
  console.log(JSON.stringify(figures, null, 2));
}
