// Live-sync benchmark: how soon a saved file appears on the other device, and what the daemon
// costs in memory while it keeps a large library in sync. Targets (design brief, section 7): a
// saved file appears on the other client in under 1 s median (Syncthing waits 10 s by default);
// the whole daemon under 200 MB while watching 100,000 files.
//
//   node --import tsx bench/latency.ts [--saves N] [--files N] [--daemon-js FILE] [--json]
//
// --daemon-js runs the memory measurement on a compiled CLI (dist/src-main/cli/main.js) instead
// of the TypeScript sources through tsx, whose loader adds about 35 MB to any process.
//
// Latency: a Cairn server and two daemons (A and B, real native watcher, default settings) in
// this process on 127.0.0.1. Each save writes a file in A's folder (alternately a new file and
// an edit of the previous one) and is timed until B's copy has exactly the saved content;
// the next save starts once it has. B's folder is polled every 2 ms.
//
// Memory: a library of N small files is created and synced once by an engine in this process;
// then `cairn daemon` runs as a child process on that profile, rescans the library at start,
// watches it, and is sampled (VmRSS from /proc): right when it is up to date, and after a minute
// of idling, by when V8 has collected the garbage the start-up round left (it does so only once
// the process is idle, after about 30 s); and its peak (VmHWM). Linux only.
//
// MB is 10^6 bytes.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { routes } from '../shared/protocol/index.js';
import { createControlApi, findRunningDaemon } from '../src-main/cli/controlClient.js';
import { startDaemonService } from '../src-main/daemon/daemonService.js';
import type { DaemonService } from '../src-main/daemon/daemonService.js';
import { libraryStateOf } from '../src-main/daemon/syncViews.js';
import { Engine } from '../src-main/engine/engine.js';
import { openEmbeddedStores, startServer } from '../src-server/server.js';
import type { RunningServer } from '../src-server/server.js';
import { addUser } from '../src-server/users.js';

const MB = 1e6;
/** How long the daemon idles before its steady memory is read. */
const IDLE_MS = 60_000;
const USER = 'bench';
const PASSWORD = 'a benchmark password';
const REPOSITORY_ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

export interface LatencyFigures {
  readonly saves: number;
  /** From the end of the write in A's folder to the complete file in B's folder, in ms. */
  readonly median: number;
  readonly p95: number;
  readonly max: number;
}

export interface DaemonMemoryFigures {
  readonly files: number;
  /** Resident memory of the daemon watching the library, after a minute of idling. */
  readonly rssMB: number;
  /** Resident memory right when the library was up to date (the start-up round's garbage included). */
  readonly rssAtUpToDateMB: number;
  /** Highest resident memory of the daemon's life, start-up rescan included. */
  readonly peakRssMB: number;
  /** From spawning `cairn daemon` to its library being up to date. */
  readonly upToDateMs: number;
  /** CPU time (user + system) the daemon used during the idle minute, as a share of one core, in percent. */
  readonly idleCpuPercent: number;
}

interface BenchWorld {
  readonly base: string;
  readonly server: RunningServer;
  /** A logged-in profile syncing `libraryId` into `root` (created if needed). */
  profile(name: string, libraryId: string): Promise<{ home: string; root: string }>;
  createLibrary(name: string): Promise<string>;
  close(): Promise<void>;
}

async function startWorld(): Promise<BenchWorld> {
  const base = await realpath(await mkdtemp(path.join(os.tmpdir(), 'cairn-bench-live-')));
  const stores = await openEmbeddedStores(path.join(base, 'server'));
  await addUser(stores.metadata, USER, PASSWORD, { cost: { log2N: 10, r: 8, p: 1 } });
  const server = await startServer({ stores, host: '127.0.0.1', port: 0 });
  return {
    base,
    server,
    async createLibrary(name) {
      const engine = await Engine.open({ home: path.join(base, 'admin'), deviceName: 'admin' });
      try {
        await engine.login(server.url, USER, PASSWORD);
        return (await (await engine.server()).call(routes.createLibrary, { body: { name } })).id;
      } finally {
        await engine.close();
      }
    },
    async profile(name, libraryId) {
      const home = path.join(base, `home-${name}`);
      const root = path.join(base, `folder-${name}`);
      await mkdir(root, { recursive: true });
      const engine = await Engine.open({ home, deviceName: name });
      try {
        await engine.login(server.url, USER, PASSWORD);
        const record = await engine.addSync(libraryId, root);
        return { home, root: record.localRoot };
      } finally {
        await engine.close();
      }
    },
    async close() {
      await server.close();
      await rm(base, { recursive: true, force: true });
    },
  };
}

async function waitFor(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 120_000, intervalMs = 20): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

async function contentIs(file: string, expected: Buffer): Promise<boolean> {
  try {
    return (await readFile(file)).equals(expected);
  } catch {
    return false;
  }
}

function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

/** Times `saves` saves from daemon A's folder to daemon B's. */
export async function runLatencyBench(options: { readonly saves?: number; readonly log?: (line: string) => void } = {}): Promise<LatencyFigures> {
  const saves = options.saves ?? 50;
  const log = options.log ?? (() => undefined);
  const world = await startWorld();
  const services: DaemonService[] = [];
  try {
    const libraryId = await world.createLibrary('Latency');
    const a = await world.profile('device-a', libraryId);
    const b = await world.profile('device-b', libraryId);
    for (const [name, profile] of [['device-a', a], ['device-b', b]] as const) {
      services.push(await startDaemonService({ home: profile.home, deviceName: name, watcher: 'native', log: (line) => log(`${name}: ${line}`) }));
    }
    await waitFor(() => services.every((service) => service.daemon.isOnline && service.daemon.status().every((library) => ['pending', 'up-to-date'].includes(libraryStateOf(library, service.daemon.stateContext(library)).kind) && !library.busy)), 'both daemons to be ready');
    const timings: number[] = [];
    for (let save = 0; save < saves; save++) {
      // Even saves create a file, odd ones edit the file the previous save created.
      const name = `save-${Math.floor(save / 2)}.txt`;
      const content = Buffer.concat([Buffer.from(`save ${save}\n`), randomBytes(2048)]);
      await writeFile(path.join(a.root, name), content);
      const saved = performance.now();
      await waitFor(() => contentIs(path.join(b.root, name), content), `save ${save} to arrive`, 60_000, 2);
      timings.push(performance.now() - saved);
    }
    const sorted = [...timings].sort((x, y) => x - y);
    return { saves, median: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), max: sorted.at(-1) ?? Number.NaN };
  } finally {
    for (const service of services) await service.stop();
    await world.close();
  }
}

async function createSmallFiles(root: string, files: number): Promise<void> {
  const perFolder = 100;
  for (let first = 0; first < files; first += perFolder * 8) {
    await Promise.all(
      Array.from({ length: 8 }, async (_, offset) => {
        const start = first + offset * perFolder;
        if (start >= files) return;
        const folder = path.join(root, `d${String(start / perFolder).padStart(4, '0')}`);
        await mkdir(folder, { recursive: true });
        const writes: Promise<void>[] = [];
        for (let i = start; i < Math.min(files, start + perFolder); i++) writes.push(writeFile(path.join(folder, `f${String(i).padStart(6, '0')}.txt`), `file ${i}\n`));
        await Promise.all(writes);
      }),
    );
  }
}

/** CPU time (user + system) a process has used so far, in seconds (Linux). */
async function cpuSecondsOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; the fields after it are plain numbers.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15, in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** VmRSS and VmHWM of a process, in bytes (Linux). */
async function memoryOf(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kilobytes = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kilobytes('VmRSS'), peak: kilobytes('VmHWM') };
}

/** The memory of a `cairn daemon` process keeping a library of `files` small files in sync. */
export async function runDaemonMemoryBench(
  options: { readonly files?: number; readonly log?: (line: string) => void; /** A compiled main.js to run instead of the sources. */ readonly daemonJs?: string } = {},
): Promise<DaemonMemoryFigures> {
  const files = options.files ?? 100_000;
  const log = options.log ?? (() => undefined);
  if (process.platform !== 'linux') throw new Error('the memory benchmark reads /proc: Linux only');
  const world = await startWorld();
  let child: ReturnType<typeof spawn> | undefined;
  try {
    const libraryId = await world.createLibrary('Memory');
    const device = await world.profile('device-m', libraryId);
    log(`creating ${files.toLocaleString('en')} files`);
    await createSmallFiles(device.root, files);
    log('first sync (in this process)');
    const engine = await Engine.open({ home: device.home });
    try {
      const [summary] = await engine.syncNow();
      if (summary?.outcome !== 'synced') throw new Error(`the first sync ended ${summary?.outcome}: ${JSON.stringify(summary?.error)}`);
    } finally {
      await engine.close();
    }
    log('starting `cairn daemon`');
    const started = performance.now();
    const entry = options.daemonJs === undefined ? ['--import', 'tsx', 'src-main/cli/main.ts'] : [path.resolve(options.daemonJs)];
    child = spawn(process.execPath, [...entry, '--home', device.home, 'daemon', '--watcher', 'native'], {
      cwd: REPOSITORY_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const pid = child.pid!;
    let output = '';
    child.stdout!.setEncoding('utf8').on('data', (text: string) => (output += text));
    await waitFor(() => /^control: /m.test(output), 'the daemon to start');
    const connection = await findRunningDaemon(device.home);
    if (connection === null) throw new Error('the daemon published no control API');
    const api = createControlApi(connection);
    try {
      await waitFor(async () => (await api.getStatus({})).libraries[0]?.state.kind === 'up-to-date', 'the library to be up to date', 30 * 60_000, 200);
    } finally {
      api.close();
    }
    const upToDateMs = performance.now() - started;
    const atUpToDate = await memoryOf(pid);
    log(`up to date; RSS ${(atUpToDate.rss / MB).toFixed(0)} MB; idling for a minute`);
    const cpuBefore = await cpuSecondsOf(pid);
    const idleStarted = performance.now();
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const memory = await memoryOf(pid);
    const idleCpuPercent = ((await cpuSecondsOf(pid)) - cpuBefore) / ((performance.now() - idleStarted) / 1000) * 100;
    return { files, rssMB: memory.rss / MB, rssAtUpToDateMB: atUpToDate.rss / MB, peakRssMB: memory.peak / MB, upToDateMs, idleCpuPercent };
  } finally {
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('close', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await world.close();
  }
}

async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: { saves: { type: 'string' }, files: { type: 'string' }, 'daemon-js': { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  const saves = Number(values.saves ?? 50);
  const files = values.files === undefined ? 0 : Number(values.files);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const latency = await runLatencyBench({ saves, log });
  const daemonJs = values['daemon-js'];
  const memory = files > 0 ? await runDaemonMemoryBench({ files, log, ...(daemonJs === undefined ? {} : { daemonJs }) }) : null;
  if (values.json) {
    console.log(JSON.stringify({ latency, memory }, undefined, 2));
    return;
  }
  console.log(`save -> appears on the other device (${latency.saves} saves): median ${latency.median.toFixed(0)} ms, p95 ${latency.p95.toFixed(0)} ms, max ${latency.max.toFixed(0)} ms (target: median < 1000 ms)`);
  if (memory !== null) {
    console.log(
      `cairn daemon keeping ${memory.files.toLocaleString('en')} files in sync: RSS ${memory.rssMB.toFixed(0)} MB after a minute idle, ${memory.rssAtUpToDateMB.toFixed(0)} MB when up to date, peak ${memory.peakRssMB.toFixed(0)} MB; idle CPU ${memory.idleCpuPercent.toFixed(1)} % of a core; up to date ${(memory.upToDateMs / 1000).toFixed(1)} s after start (target: <= 200 MB)`,
    );
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exitCode = 1;
  });
}
