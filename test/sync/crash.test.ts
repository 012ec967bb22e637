// Crash tests with the real command lines as child processes: `cairn sync now` killed with
// SIGKILL in the middle of an upload or a download and then run again, and `cairn-server` killed
// in the middle of a client's round and started again on the same data folder and port.
//
// Clients reach the server through a local proxy that counts and rate-limits the bytes. The
// kill moments are chosen from what the test observes (how much of a batch went up through the
// proxy, how many files appeared in the downloading client's folder) plus a seeded random
// delay, so each kill lands inside the transfer whatever the machine's speed. CAIRN_CRASH_SEED
// changes the delays. Nothing here asserts on time.

import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncStatus } from '../../shared/api/index.js';
import { routes } from '../../shared/protocol/index.js';
import { startCommandService } from '../../src-main/daemon/daemonService.js';
import { Engine } from '../../src-main/engine/engine.js';
import { PASSWORD } from './harness.js';
import { killWhen, run, runCairn, sleep, start, startServerProcess, waitWhileRunning } from './support/cliProcess.js';
import type { KillOutcome, ProcessResult, RunningProcess, ServerProcess } from './support/cliProcess.js';
import { hashFile, hashTree, isTempPath, listFiles } from './support/folderFiles.js';
import { SeededRandom } from './support/seededRandom.js';
import { startThrottlingProxy } from './support/throttlingProxy.js';
import type { ThrottlingProxy } from './support/throttlingProxy.js';

const USER = 'alice';
const MiB = 1024 * 1024;
const random = new SeededRandom(Number(process.env.CAIRN_CRASH_SEED ?? 20260501));

let base: string;
let dataDir: string;
let server: ServerProcess;
/** Clients reach the server through it: see support/throttlingProxy.ts for why. */
let proxy: ThrottlingProxy;
/** Slow enough that a kill lands inside a transfer of a few MiB, fast enough for the time budget. */
const PROXY_BYTES_PER_SECOND = 100 * MiB;

beforeAll(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'cairn-crash-test-'));
  dataDir = path.join(base, 'server');
  const added = await run('cairn-server', ['user', 'add', USER, '--data', dataDir], { stdin: `${PASSWORD}\n` });
  expect(added.code, added.stderr).toBe(0);
  server = await startServerProcess(dataDir);
  proxy = await startThrottlingProxy({ host: '127.0.0.1', port: server.port }, { bytesPerSecond: PROXY_BYTES_PER_SECOND });
});

afterAll(async () => {
  await proxy?.close();
  await server?.stop();
  if (base !== undefined) await rm(base, { recursive: true, force: true });
});

/**
 * Prepares a client profile without spawning the CLI (it would only add seconds): logs in,
 * creates the library or finds it, and starts syncing it into `folder`. The engine is closed
 * before any `cairn` process opens the same profile.
 */
async function prepareProfile(name: string, library: { readonly create: string } | { readonly id: string }, folder: string): Promise<{ home: string; libraryId: string }> {
  const home = path.join(base, `home-${name}`);
  const engine = await Engine.open({ home, deviceName: name });
  try {
    await engine.login(proxy.url, USER, PASSWORD);
    const found = 'create' in library ? await engine.createLibrary(library.create) : await engine.findRemoteLibrary(library.id);
    await engine.addSync(found.id, folder);
    return { home, libraryId: found.id };
  } finally {
    await engine.close();
  }
}

/** Writes `count` small files of random content and one large one under `folder/prefix`. */
async function writeBatch(folder: string, prefix: string, count: number, largeBytes: number): Promise<string[]> {
  const written: string[] = [];
  for (let position = 0; position < count; position++) {
    const relative = `${prefix}/group-${position % 10}/file-${position}.bin`;
    await mkdir(path.dirname(path.join(folder, relative)), { recursive: true });
    await writeFile(path.join(folder, relative), randomBytes(random.integer(1, 16 * 1024)));
    written.push(relative);
  }
  const large = `${prefix}/large.bin`;
  await writeFile(path.join(folder, large), randomBytes(largeBytes));
  written.push(large);
  return written;
}

/** How many bytes these files hold together. */
async function sizeOf(folder: string, files: readonly string[]): Promise<number> {
  const facts = await listFiles(folder);
  return files.reduce((sum, relative) => sum + (facts.get(relative)?.size ?? 0), 0);
}

function mebibytes(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

async function tempFiles(folder: string): Promise<string[]> {
  return [...(await listFiles(folder)).keys()].filter(isTempPath);
}

/**
 * The status `cairn status` prints, read through the service the CLI starts when no daemon runs
 * (in this process, to save two processes).
 */
async function statusOf(home: string): Promise<SyncStatus> {
  const service = await startCommandService({ home, log: () => undefined });
  try {
    return await service.api.getStatus({});
  } finally {
    await service.stop();
  }
}

/** A finished `cairn sync now --json`: exit 0 and every library synced. */
function expectSynced(result: ProcessResult, what: string): void {
  expect(result.code, `${what}: ${result.stderr}`).toBe(0);
  const summaries = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as { outcome: string });
  expect(summaries.map((summary) => summary.outcome)).toEqual(['synced']);
}

/** A killed run, or one that finished before the kill: that one must have succeeded. */
function expectKilledOrSynced(outcome: KillOutcome, what: string): void {
  if (outcome.kind === 'killed') expect(outcome.result.signal).toBe('SIGKILL');
  else expectSynced(outcome.result, what);
}

/** The server's history of every path, through the API (a fresh engine logged in). */
async function versionCounts(libraryId: string, paths: readonly string[]): Promise<Record<string, number>> {
  const engine = await Engine.open({ home: path.join(base, `home-history-${libraryId}`), deviceName: 'history' });
  try {
    await engine.login(server.url, USER, PASSWORD);
    const counts: Record<string, number> = {};
    for (const entryPath of paths) {
      const answer = await (await engine.server()).call(routes.history, { params: { libraryId }, query: { path: entryPath } });
      counts[entryPath] = answer.versions.length;
    }
    return counts;
  } finally {
    await engine.close();
  }
}

/**
 * Watches a folder that `cairn` downloads into, and records every file that is visible under
 * its final name without its full final content (a partial file must only ever exist under a
 * temp name), and every file that should not be there at all.
 */
class FinalNameWatch {
  readonly violations: string[] = [];
  private readonly verified = new Map<string, string>();

  constructor(
    private readonly folder: string,
    private readonly expected: Readonly<Record<string, { readonly size: number; readonly hash: string }>>,
  ) {}

  async check(): Promise<void> {
    for (const [relative, facts] of await listFiles(this.folder)) {
      if (isTempPath(relative)) continue;
      const expected = this.expected[relative];
      if (expected === undefined) {
        this.violations.push(`${relative} appeared but the source has no such file`);
        continue;
      }
      const identity = `${facts.inode}:${facts.mtimeMs}:${facts.size}`;
      if (this.verified.get(relative) === identity) continue;
      if (facts.size !== expected.size) {
        this.violations.push(`${relative} was visible with ${facts.size} of ${expected.size} bytes`);
        continue;
      }
      const hash = await hashFile(path.join(this.folder, relative));
      if (hash === undefined) continue;
      if (hash !== expected.hash) this.violations.push(`${relative} was visible with the right size but other content`);
      else this.verified.set(relative, identity);
    }
  }

  /** Checks again and again until the process exits, then once more. */
  async watch(running: RunningProcess): Promise<void> {
    while (!running.exited()) {
      await this.check();
      await sleep(20);
    }
    await this.check();
  }
}

async function expectedFiles(folder: string): Promise<Record<string, { size: number; hash: string }>> {
  const facts = await listFiles(folder);
  const hashes = await hashTree(folder);
  return Object.fromEntries(Object.entries(hashes).map(([relative, hash]) => [relative, { size: facts.get(relative)!.size, hash }]));
}

describe('a client killed with SIGKILL in the middle of a round', () => {
  let uploader: { home: string; folder: string; libraryId: string };
  let downloader: { home: string; folder: string };
  const kills: string[] = [];

  beforeAll(async () => {
    const uploadFolder = path.join(base, 'uploader');
    const downloadFolder = path.join(base, 'downloader');
    uploader = { folder: uploadFolder, ...(await prepareProfile('uploader', { create: 'killed clients' }, uploadFolder)) };
    downloader = { folder: downloadFolder, ...(await prepareProfile('downloader', { id: uploader.libraryId }, downloadFolder)) };
  });

  // Each batch adds new files (300 small files and a 64 MiB file in all, plus two 8 MiB files),
  // so that every kill interrupts real work. The uploader's run is killed when a share of the
  // batch's bytes went up (share 0: at its first request, while it pulls and scans); the
  // downloader's when a share of the batch's files arrived.
  const batches = [
    { name: 'batch 1', largeBytes: 64 * MiB, uploadShare: 0.3, downloadShare: 0, when: 'upload a third through the 64 MiB, download at its first file' },
    { name: 'batch 2', largeBytes: 8 * MiB, uploadShare: 0, downloadShare: 0.5, when: 'upload at its first request, download halfway' },
    { name: 'batch 3', largeBytes: 8 * MiB, uploadShare: 1, downloadShare: 0.9, when: 'upload about to commit, download near the end' },
  ] as const;

  it.each(batches)('$name: killed ($when), the next `sync now` repairs it on both sides', async ({ name, largeBytes, uploadShare, downloadShare }) => {
    const prefix = name.replace(' ', '-');
    const files = await writeBatch(uploader.folder, prefix, 100, largeBytes);

    // Upload, killed once enough of the batch's bytes went up.
    const bytesBefore = proxy.upstreamBytes();
    const batchBytes = await sizeOf(uploader.folder, files);
    const bytesWanted = Math.max(1, Math.floor(uploadShare * batchBytes));
    const upload = start('cairn', ['--home', uploader.home, '--json', 'sync', 'now']);
    const uploadKill = await killWhen(upload, () => proxy.upstreamBytes() - bytesBefore >= bytesWanted, { extraDelayMs: random.integer(0, 50), intervalMs: 10 });
    kills.push(`${name} upload: ${uploadKill.kind} after ${mebibytes(proxy.upstreamBytes() - bytesBefore)} of ${mebibytes(batchBytes)} went up`);
    expectKilledOrSynced(uploadKill, `${name}: the upload`);
    expectSynced(await runCairn(uploader.home, ['--json', 'sync', 'now']), `${name}: the upload after the kill`);
    expect(await tempFiles(uploader.folder)).toEqual([]);

    // Download, killed once enough of the batch's files arrived; meanwhile and during the
    // repair, no file may ever be visible under its real name without its full content.
    const expected = await expectedFiles(uploader.folder);
    const watch = new FinalNameWatch(downloader.folder, expected);
    const present = async (): Promise<number> => [...(await listFiles(downloader.folder)).keys()].filter((relative) => relative.startsWith(`${prefix}/`) && !isTempPath(relative)).length;
    const filesWanted = Math.max(1, Math.ceil(downloadShare * files.length));
    const download = start('cairn', ['--home', downloader.home, '--json', 'sync', 'now']);
    const [downloadKill] = await Promise.all([killWhen(download, async () => (await present()) >= filesWanted, { extraDelayMs: random.integer(0, 50) }), watch.watch(download)]);
    kills.push(`${name} download: ${downloadKill.kind} with ${await present()} of ${files.length} files present`);
    expectKilledOrSynced(downloadKill, `${name}: the download`);
    const repair = start('cairn', ['--home', downloader.home, '--json', 'sync', 'now']);
    await watch.watch(repair);
    expectSynced(await repair.finished, `${name}: the download after the kill`);
    expect(watch.violations).toEqual([]);

    expect(await hashTree(downloader.folder)).toEqual(Object.fromEntries(Object.entries(expected).map(([relative, { hash }]) => [relative, hash])));
    expect(await tempFiles(downloader.folder)).toEqual([]);
  });

  it('uploaded every file exactly once, and the status is honest afterwards', async () => {
    // At least one kill must have hit a running round, or this file tested nothing.
    expect(kills.filter((kill) => kill.includes(': killed')), kills.join('; ')).not.toEqual([]);
    const files = Object.keys(await hashTree(uploader.folder));
    expect(files.length).toBe(batches.length * 101);
    const counts = await versionCounts(uploader.libraryId, files);
    const uploadedTwice = Object.entries(counts).filter(([, count]) => count !== 1);
    expect(uploadedTwice).toEqual([]);
    for (const home of [uploader.home, downloader.home]) {
      expect((await statusOf(home)).libraries.map((library) => [library.state.kind, library.problemCount])).toEqual([['up-to-date', 0]]);
    }
  });
});

describe('the server killed with SIGKILL in the middle of a round', () => {
  it('the client fails with a clear message, and after a restart on the same data folder and port both clients converge', async () => {
    const uploadFolder = path.join(base, 'server-crash-uploader');
    const otherFolder = path.join(base, 'server-crash-other');
    const uploader = await prepareProfile('server-crash-uploader', { create: 'killed server' }, uploadFolder);
    const other = await prepareProfile('server-crash-other', { id: uploader.libraryId }, otherFolder);
    const files = await writeBatch(uploadFolder, 'work', 100, 32 * MiB);
    const bytesBefore = proxy.upstreamBytes();
    const bytesWanted = Math.max(1, Math.floor(0.3 * (await sizeOf(uploadFolder, files))));

    const round = start('cairn', ['--home', uploader.home, 'sync', 'now']);
    const midRound = await waitWhileRunning(round, () => proxy.upstreamBytes() - bytesBefore >= bytesWanted, 10);
    expect(midRound, 'the upload ended before the server could be killed').toBe(true);
    await server.kill();
    const failed = await round.finished;
    expect(failed.signal).toBeNull();
    expect(failed.code, failed.stdout + failed.stderr).toBe(1);
    expect(failed.stderr).toMatch(/^cairn: .*server/m);
    expect(failed.stderr).not.toMatch(/internal error|\n\s+at /);
    // Honest status: the failed round is recorded as an error, not as up to date.
    expect((await statusOf(uploader.home)).libraries.map((library) => library.state.kind)).toEqual(['error']);

    const port = server.port;
    server = await startServerProcess(dataDir, `127.0.0.1:${port}`);
    expect(server.port).toBe(port);
    expectSynced(await runCairn(uploader.home, ['--json', 'sync', 'now']), 'the upload after the server restart');
    expectSynced(await runCairn(other.home, ['--json', 'sync', 'now']), 'the other client');
    expect(await hashTree(otherFolder)).toEqual(await hashTree(uploadFolder));
    expect(await tempFiles(otherFolder)).toEqual([]);
    const counts = await versionCounts(uploader.libraryId, files);
    expect(Object.entries(counts).filter(([, count]) => count !== 1)).toEqual([]);
  });
});
