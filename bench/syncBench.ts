// Sync benchmarks: two clients (A and B, each an Engine with its own profile and folder) and a
// real server, all on 127.0.0.1. Each step times one `syncNow` of one library on one client
// and records the bytes on the server's connections during it, the round's own summary, the
// server's time in its chunk store, and a breakdown of the round by the phases it reported.
//
// Every library uses DEFAULT_CHUNKING. Before any timed step both clients run a warm-up round
// (their chunker workers and HTTP connections start there), as a running daemon would have.
// After each download step B's folder is compared byte for byte with A's, so a figure is only
// reported for a sync that really happened.

import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_CHUNKING } from '../shared/model.js';
import { routes } from '../shared/protocol/index.js';
import { Engine } from '../src-main/engine/engine.js';
import type { RoundProgress, RoundSummary } from '../src-main/engine/sync/roundSummary.js';
import { expectSameTree, groupName, insertBytes, writeRandomFile, writeSmallFiles } from './benchFiles.js';
import { startBenchServer, startBenchServerProcess } from './benchServer.js';
import type { BenchServer, WireBytes } from './benchServer.js';

const MiB = 1024 * 1024;

export interface SyncBenchOptions {
  /** Size of the large random file; 512 MiB by default. */
  readonly largeFileBytes?: number;
  /** Where the 10 bytes are inserted; 1 MiB by default. */
  readonly insertOffset?: number;
  /** Number of small files (a multiple of 100: 10 groups of 10 folders); 10,000 by default. */
  readonly smallFiles?: number;
  /** Total bytes of the small files; 83 MiB by default (scaled down with their number). */
  readonly smallFilesBytes?: number;
  /** Which groups of steps to run; all by default. */
  readonly largeFile?: boolean;
  readonly manyFiles?: boolean;
  /** The scale-out backend's flags (a fresh schema and bucket); the embedded backend by default. */
  readonly scaleOut?: { readonly metadata: string; readonly chunks: string };
  /** Runs the server in this process instead of a child process (the smoke test does). */
  readonly serverInProcess?: boolean;
  /** Extra node flags for the server process, e.g. ['--cpu-prof', '--cpu-prof-dir=DIR']. */
  readonly serverExecArgv?: readonly string[];
  /** Progress lines; silent by default. */
  readonly log?: (line: string) => void;
}

/** One timed `syncNow` of one library on one client. */
export interface StepFigures {
  readonly seconds: number;
  /** Bytes on the server's connections during the step, both directions. */
  readonly wire: WireBytes;
  readonly uploadedFiles: number;
  /** Chunk bytes the round reports as sent. */
  readonly uploadedBytes: number;
  readonly downloadedFiles: number;
  /** Chunk bytes the round reports as fetched. */
  readonly downloadedBytes: number;
  /** Chunk bytes taken from local files instead of the server. */
  readonly reusedBytes: number;
  readonly movedRemote: number;
  readonly movedLocal: number;
  readonly passes: number;
  /** Milliseconds the server spent storing chunks (put) and reading them (get) in the step. */
  readonly chunkStorePutMs: number;
  readonly chunkStoreGetMs: number;
  /** Chunks handed to the chunk store's put (some may have existed already). */
  readonly chunksStored: number;
  /**
   * Milliseconds per reported phase: from a phase's first progress event to the next event of
   * another phase (planning and local moves report none, so they count in the phase before).
   */
  readonly phases: Readonly<Partial<Record<RoundProgress['phase'], number>>>;
}

export interface UpDown {
  readonly up: StepFigures;
  readonly down: StepFigures;
}

export interface SyncBenchFigures {
  readonly largeFile?: {
    readonly fileBytes: number;
    readonly firstSync: UpDown;
    readonly insert: UpDown & { readonly insertedBytes: number; readonly offset: number };
  };
  readonly manyFiles?: {
    readonly files: number;
    readonly bytes: number;
    readonly firstSync: UpDown;
    readonly unchanged: StepFigures;
    readonly rename: UpDown & { readonly files: number };
  };
}

interface BenchClient {
  readonly name: string;
  readonly engine: Engine;
  /** Folder of each library on this client, by library id. */
  readonly roots: Map<string, string>;
}

export async function runSyncBench(options: SyncBenchOptions = {}): Promise<SyncBenchFigures> {
  const log = options.log ?? (() => undefined);
  const largeFileBytes = options.largeFileBytes ?? 512 * MiB;
  const insertOffset = options.insertOffset ?? MiB;
  const smallFiles = options.smallFiles ?? 10_000;
  if (!Number.isInteger(smallFiles) || smallFiles < 100 || smallFiles % 100 !== 0) {
    throw new RangeError(`the number of small files must be a positive multiple of 100 (10 groups of 10 folders), not ${smallFiles}`);
  }
  if (insertOffset > largeFileBytes) throw new RangeError(`the insert offset ${insertOffset} lies beyond the ${largeFileBytes}-byte file`);
  const smallFilesBytes = options.smallFilesBytes ?? Math.round((83 * MiB * smallFiles) / 10_000);
  const smallFileBytes = Math.max(1, Math.round(smallFilesBytes / smallFiles));

  const base = await mkdtemp(path.join(os.tmpdir(), 'cairn-bench-sync-'));
  const scratch = path.join(base, 'scratch');
  await mkdir(scratch);
  const serverData = path.join(base, 'server');
  const clients: BenchClient[] = [];
  let server: BenchServer | undefined;
  try {
    const backend = options.scaleOut ?? { dataDir: serverData };
    server = options.serverInProcess
      ? await startBenchServer(backend)
      : await startBenchServerProcess(backend, options.serverExecArgv === undefined ? {} : { execArgv: options.serverExecArgv });
    const running = server;
    log(`server on ${running.url}, data in ${'dataDir' in backend ? backend.dataDir : `${backend.metadata} and ${backend.chunks}`}`);

    const a = await openClient(base, 'a', running);
    clients.push(a);
    const b = await openClient(base, 'b', running);
    clients.push(b);
    const createLibrary = async (name: string): Promise<string> => {
      const library = await (await a.engine.server()).call(routes.createLibrary, { body: { name, chunking: DEFAULT_CHUNKING } });
      for (const client of clients) {
        const root = path.join(base, `folder-${client.name}`, name);
        const record = await client.engine.addSync(library.id, root);
        client.roots.set(library.id, record.localRoot);
      }
      return library.id;
    };
    const step = (client: BenchClient, libraryId: string): Promise<StepFigures> => measureStep(client, libraryId, running);

    // Warm-up: each client chunks one file and talks to the server once before any timing.
    const warmUp = await createLibrary('Warm-up');
    await writeFile(path.join(a.roots.get(warmUp)!, 'a.txt'), 'warm-up file written on A\n');
    await writeFile(path.join(b.roots.get(warmUp)!, 'b.txt'), 'warm-up file written on B\n');
    await step(a, warmUp);
    await step(b, warmUp);
    await step(a, warmUp);
    await expectSameTree(a.roots.get(warmUp)!, b.roots.get(warmUp)!);

    const figures: { -readonly [Key in keyof SyncBenchFigures]: SyncBenchFigures[Key] } = {};

    if (options.largeFile ?? true) {
      const libraryId = await createLibrary('Large file');
      const aRoot = a.roots.get(libraryId)!;
      const bRoot = b.roots.get(libraryId)!;
      const filePath = path.join(aRoot, 'large.bin');
      log(`writing ${(largeFileBytes / MiB).toFixed(0)} MiB of random bytes`);
      await writeRandomFile(filePath, largeFileBytes);

      log('large file, first sync: A up');
      const firstUp = await step(a, libraryId);
      log(`  ${describe(firstUp)}`);
      log('large file, first sync: B down');
      const firstDown = await step(b, libraryId);
      log(`  ${describe(firstDown)}`);
      await expectSameTree(aRoot, bRoot);

      const inserted = randomBytes(10);
      await insertBytes(filePath, insertOffset, inserted, scratch);
      log(`large file, ${inserted.length} bytes inserted at ${insertOffset}: A up`);
      const insertUp = await step(a, libraryId);
      log(`  ${describe(insertUp)}`);
      log('large file, insert: B down');
      const insertDown = await step(b, libraryId);
      log(`  ${describe(insertDown)}`);
      await expectSameTree(aRoot, bRoot);

      figures.largeFile = {
        fileBytes: largeFileBytes,
        firstSync: { up: firstUp, down: firstDown },
        insert: { up: insertUp, down: insertDown, insertedBytes: inserted.length, offset: insertOffset },
      };
      // The large file is not needed any more; freeing the disk and page cache helps what follows.
      await rm(aRoot, { recursive: true, force: true });
      await rm(bRoot, { recursive: true, force: true });
    }

    if (options.manyFiles ?? true) {
      const libraryId = await createLibrary('Many files');
      const aRoot = a.roots.get(libraryId)!;
      const bRoot = b.roots.get(libraryId)!;
      const layout = { groups: 10, foldersPerGroup: 10, filesPerFolder: smallFiles / 100, fileBytes: smallFileBytes };
      log(`writing ${smallFiles} files of ${smallFileBytes} bytes in ${layout.groups * layout.foldersPerGroup} folders`);
      const bytes = await writeSmallFiles(aRoot, layout);

      log(`${smallFiles} files, first sync: A up`);
      const firstUp = await step(a, libraryId);
      log(`  ${describe(firstUp)}`);
      log(`${smallFiles} files, first sync: B down`);
      const firstDown = await step(b, libraryId);
      log(`  ${describe(firstDown)}`);
      await expectSameTree(aRoot, bRoot);

      log(`${smallFiles} files, nothing changed: A`);
      const unchanged = await step(a, libraryId);
      log(`  ${describe(unchanged)}`);

      const renamedFiles = layout.foldersPerGroup * layout.filesPerFolder;
      await rename(path.join(aRoot, groupName(3)), path.join(aRoot, `${groupName(3)} renamed`));
      log(`rename of a folder holding ${renamedFiles} files: A up`);
      const renameUp = await step(a, libraryId);
      log(`  ${describe(renameUp)}`);
      log('rename: B down');
      const renameDown = await step(b, libraryId);
      log(`  ${describe(renameDown)}`);
      await expectSameTree(aRoot, bRoot);

      figures.manyFiles = {
        files: smallFiles,
        bytes,
        firstSync: { up: firstUp, down: firstDown },
        unchanged,
        rename: { up: renameUp, down: renameDown, files: renamedFiles },
      };
    }
    return figures;
  } finally {
    for (const client of clients) await client.engine.close().catch(() => undefined);
    await server?.close().catch(() => undefined);
    await rm(base, { recursive: true, force: true });
  }
}

async function openClient(base: string, name: string, server: BenchServer): Promise<BenchClient> {
  const engine = await Engine.open({ home: path.join(base, `home-${name}`), deviceName: `bench-${name}` });
  try {
    await engine.login(server.url, server.user, server.password);
  } catch (error) {
    await engine.close();
    throw error;
  }
  return { name, engine, roots: new Map() };
}

async function measureStep(client: BenchClient, libraryId: string, server: BenchServer): Promise<StepFigures> {
  const before = await server.counters();
  const phases: Partial<Record<RoundProgress['phase'], number>> = {};
  let phase: RoundProgress['phase'] | null = null;
  let phaseStart = 0;
  const closePhase = (now: number): void => {
    if (phase !== null) phases[phase] = (phases[phase] ?? 0) + (now - phaseStart);
  };
  const start = performance.now();
  const [summary] = await client.engine.syncNow({
    only: libraryId,
    onProgress: (progress) => {
      if (progress.phase === phase) return;
      const now = performance.now();
      closePhase(now);
      phase = progress.phase;
      phaseStart = now;
    },
  });
  const end = performance.now();
  closePhase(end);
  const after = await server.counters();
  checkSynced(client.name, summary);
  const rounded: Partial<Record<RoundProgress['phase'], number>> = {};
  for (const [name, milliseconds] of Object.entries(phases)) rounded[name as RoundProgress['phase']] = Math.round(milliseconds);
  return {
    seconds: (end - start) / 1000,
    wire: { sent: after.sent - before.sent, received: after.received - before.received },
    uploadedFiles: summary.uploadedFiles,
    uploadedBytes: summary.uploadedBytes,
    downloadedFiles: summary.downloadedFiles,
    downloadedBytes: summary.downloadedBytes,
    reusedBytes: summary.reusedBytes,
    movedRemote: summary.movedRemote,
    movedLocal: summary.movedLocal,
    passes: summary.passes,
    chunkStorePutMs: Math.round(after.chunkStore.putMs - before.chunkStore.putMs),
    chunkStoreGetMs: Math.round(after.chunkStore.getMs - before.chunkStore.getMs),
    chunksStored: after.chunkStore.putChunks - before.chunkStore.putChunks,
    phases: rounded,
  };
}

function checkSynced(client: string, summary: RoundSummary | undefined): asserts summary is RoundSummary {
  if (summary === undefined) throw new Error(`client ${client}: syncNow returned no round; is the library synced there?`);
  if (summary.outcome !== 'synced' || summary.problems.length > 0) {
    throw new Error(
      `client ${client}: the round ended ${summary.outcome} (${JSON.stringify(summary.error ?? summary.pauseReason)}), problems ${JSON.stringify(summary.problems)}; the figures would mean nothing`,
    );
  }
}

/** One line about a step, for progress output. */
export function describe(step: StepFigures): string {
  const phases = Object.entries(step.phases)
    .map(([name, milliseconds]) => `${name} ${milliseconds} ms`)
    .join(', ');
  return (
    `${step.seconds.toFixed(3)} s, wire ${step.wire.sent} B sent / ${step.wire.received} B received, ` +
    `chunks ${step.uploadedBytes} B up / ${step.downloadedBytes} B down / ${step.reusedBytes} B reused, ` +
    `files ${step.uploadedFiles} up / ${step.downloadedFiles} down, moves ${step.movedRemote} remote / ${step.movedLocal} local, ` +
    `${step.passes} passes (${phases}); server chunk store: put ${step.chunksStored} chunks in ${step.chunkStorePutMs} ms, get ${step.chunkStoreGetMs} ms`
  );
}
