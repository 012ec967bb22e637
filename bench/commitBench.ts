// Commit throughput of the server: W writers commit small changes as fast as the server answers,
// for a fixed time, against 1, 2 or 4 `cairn-server serve` processes on one scale-out backend
// (PostgreSQL + S3), or against one embedded server as the baseline. Each request goes to the
// next instance in turn, so commits of one library arrive through every instance at once and
// contend for the library's commit lock exactly as behind a load balancer.
//
// A commit puts one new file made of one chunk the library holds already (uploaded before the
// timing), so the figure is the commit path alone: authentication, the library lock, the base
// revision checks, the chunk presence check, the version and head rows, the announcement.
// Afterwards fsck checks every library's feed (head = versions = greatest rev: no gap) and every
// chunk, so a figure is only reported for commits that all landed whole.

import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { buildPath, routes } from '../shared/protocol/index.js';
import { fsck } from '../src-server/maintenance/fsck.js';
import { openEmbeddedStores } from '../src-server/server.js';
import { openScaleOutStores } from '../src-server/storage/scaleOutStores.js';
import type { ScaleOutTarget } from '../src-server/storage/scaleOutStores.js';
import { closeStores } from '../src-server/storage/stores.js';
import type { Stores } from '../src-server/storage/stores.js';
import { addUser } from '../src-server/users.js';
import { backendFlags, destroyScaleOutTarget, freshScaleOutTarget } from './scaleOutBackend.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface CommitBenchOptions {
  /** The scale-out services (a fresh schema and bucket is made in them); the embedded backend when absent. */
  readonly scaleOut?: { readonly postgres: string; readonly s3: string };
  /** Server processes (the embedded backend takes one). */
  readonly instances: number;
  readonly writers: number;
  /** All writers commit to one library (contending for its lock), or each to its own. */
  readonly sharedLibrary: boolean;
  readonly seconds: number;
  readonly log?: (line: string) => void;
}

export interface CommitBenchFigures {
  readonly backend: 'embedded' | 'scale-out';
  readonly instances: number;
  readonly writers: number;
  readonly sharedLibrary: boolean;
  readonly commits: number;
  readonly seconds: number;
  readonly commitsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Commits the server refused or failed (none expected). */
  readonly failures: number;
  /** fsck problems afterwards (none expected). */
  readonly problems: number;
}

interface Instance {
  readonly child: ChildProcessWithoutNullStreams;
  readonly url: string;
  readonly exited: Promise<unknown>;
}

function startInstance(flags: readonly string[]): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src-server/main.ts', 'serve', ...flags, '--listen', '127.0.0.1:0', '--gc-hours', '0'], { cwd: root, env: process.env });
  const exited = new Promise((resolve) => child.on('close', resolve));
  let stderr = '';
  // Request logs are one JSON line per request: keep only the start for error messages.
  child.stderr.on('data', (data: Buffer) => {
    if (stderr.length < 10_000) stderr += data.toString();
  });
  return new Promise((resolve, reject) => {
    let stdout = '';
    child.stdout.on('data', (data: Buffer) => {
      stdout += data.toString();
      const match = /^listening on (\S+)\n/.exec(stdout);
      if (match !== null) resolve({ child, url: match[1]!, exited });
    });
    void exited.then((code) => reject(new Error(`cairn-server serve exited with ${String(code)}: ${stderr}`)));
  });
}

async function call(url: string, method: string, token: string | null, body: unknown, contentType = 'application/json'): Promise<Response> {
  return fetch(url, {
    method,
    headers: { 'content-type': contentType, ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    body: body instanceof Uint8Array ? new Uint8Array(body) : JSON.stringify(body),
  });
}

async function ok<Body>(response: Promise<Response>): Promise<Body> {
  const answer = await response;
  if (!answer.ok) throw new Error(`${answer.url}: ${answer.status} ${await answer.text()}`);
  return (await answer.json()) as Body;
}

function percentile(sorted: readonly number[], share: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)]!;
}

export async function runCommitBench(options: CommitBenchOptions): Promise<CommitBenchFigures> {
  const log = options.log ?? (() => {});
  if (options.scaleOut === undefined && options.instances !== 1) throw new RangeError('the embedded backend runs one instance');
  const target: ScaleOutTarget | null = options.scaleOut === undefined ? null : freshScaleOutTarget(options.scaleOut.postgres, options.scaleOut.s3, 'cairn_bench');
  const dataDir = target === null ? await mkdtemp(path.join(os.tmpdir(), 'cairn-bench-commits-')) : null;
  const flags = target === null ? ['--data', dataDir!] : backendFlags(target);
  const openStores = (): Promise<Stores> => (target === null ? openEmbeddedStores(dataDir!) : openScaleOutStores(target, { listen: false }));
  const password = randomBytes(18).toString('base64url');
  const instances: Instance[] = [];
  try {
    const setup = await openStores();
    try {
      await addUser(setup.metadata, 'bench', password);
    } finally {
      await closeStores(setup);
    }
    for (let index = 0; index < options.instances; index++) instances.push(await startInstance(flags));
    const urls = instances.map((instance) => instance.url);
    log(`commits: ${options.instances} instance(s) on ${target === null ? 'the embedded backend' : 'PostgreSQL + S3'}, ${options.writers} writers, ${options.sharedLibrary ? 'one library' : 'a library each'}`);

    const login = await ok<{ token: string }>(call(`${urls[0]}${routes.login.path}`, 'POST', null, { user: 'bench', password, deviceName: 'commit bench' }));
    const token = login.token;
    const chunk = randomBytes(4096);
    const chunkId = createHash('sha256').update(chunk).digest('hex');
    const file = {
      size: chunk.length,
      mtimeMs: 1_700_000_000_000,
      executable: false,
      chunks: [{ id: chunkId, size: chunk.length }],
      contentHash: createHash('sha256').update(Buffer.from(chunkId, 'hex')).digest('hex'),
    };
    const libraryCount = options.sharedLibrary ? 1 : options.writers;
    const libraries: string[] = [];
    for (let index = 0; index < libraryCount; index++) {
      const { id } = await ok<{ id: string }>(call(`${urls[0]}${routes.createLibrary.path}`, 'POST', token, { name: `Commits ${index}` }));
      await ok(call(`${urls[0]}${buildPath(routes.putChunk, { libraryId: id, chunkId })}`, 'PUT', token, chunk, 'application/octet-stream'));
      libraries.push(id);
    }

    let next = 0;
    let failures = 0;
    const commitOnce = async (writer: number, name: string): Promise<number> => {
      const url = urls[next++ % urls.length]!;
      const libraryId = libraries[writer % libraries.length]!;
      const start = performance.now();
      const answer = await call(`${url}${buildPath(routes.commit, { libraryId })}`, 'POST', token, { changes: [{ op: 'put', path: name, baseRev: null, ...file }] });
      await answer.arrayBuffer();
      if (!answer.ok) failures += 1;
      return performance.now() - start;
    };
    // Warm-up: connections, prepared plans, JIT.
    await Promise.all(Array.from({ length: options.writers }, async (_, writer) => {
      for (let index = 0; index < 5; index++) await commitOnce(writer, `warm-up/w${writer}-${index}.txt`);
    }));
    failures = 0;

    const latencies: number[] = [];
    const started = performance.now();
    const deadline = started + options.seconds * 1000;
    await Promise.all(Array.from({ length: options.writers }, async (_, writer) => {
      for (let index = 0; performance.now() < deadline; index++) latencies.push(await commitOnce(writer, `w${writer}/f${index}.txt`));
    }));
    const seconds = (performance.now() - started) / 1000;

    const check = await openStores();
    let problems: number;
    try {
      problems = (await fsck(check, { repair: false })).problems.length;
    } finally {
      await closeStores(check);
    }
    latencies.sort((a, b) => a - b);
    const round = (value: number): number => Math.round(value * 10) / 10;
    return {
      backend: target === null ? 'embedded' : 'scale-out',
      instances: options.instances,
      writers: options.writers,
      sharedLibrary: options.sharedLibrary,
      commits: latencies.length,
      seconds: round(seconds),
      commitsPerSecond: Math.round(latencies.length / seconds),
      p50Ms: round(percentile(latencies, 0.5)),
      p99Ms: round(percentile(latencies, 0.99)),
      maxMs: round(latencies.at(-1) ?? 0),
      failures,
      problems,
    };
  } finally {
    for (const instance of instances) instance.child.kill('SIGTERM');
    await Promise.all(instances.map((instance) => instance.exited));
    if (target !== null) await destroyScaleOutTarget(target);
    if (dataDir !== null) await rm(dataDir, { recursive: true, force: true });
  }
}
