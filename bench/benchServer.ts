// The server side of the sync benchmark: a real cairn-server (the embedded SQLite + chunk folder,
// or the scale-out PostgreSQL + S3 backend) on 127.0.0.1, one user, and counters of the bytes on its connections and of the time spent
// in its chunk store. It runs either in the calling
// process (the smoke test) or in a child process of its own (the benchmark), so that the
// server's work does not share one event loop with the clients it serves, as in a real setup.
//
//   child:  node --import tsx bench/benchServer.ts DATA_DIR   (started by startBenchServerProcess)
//           node --import tsx bench/benchServer.ts --metadata URL --chunks URL

import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { openEmbeddedStores, startServer } from '../src-server/server.js';
import { openScaleOutStores, scaleOutTarget } from '../src-server/storage/scaleOutStores.js';
import { closeStores } from '../src-server/storage/stores.js';
import type { RunningServer } from '../src-server/server.js';
import type { ChunkStore } from '../src-server/storage/chunkStore.js';
import { addUser } from '../src-server/users.js';
import { countServerSockets } from './socketCounter.js';
import type { WireBytes } from './socketCounter.js';

export type { WireBytes } from './socketCounter.js';

/** Time the server spent in its chunk store, to tell storage cost from protocol cost. */
export interface ChunkStoreTimes {
  readonly putCalls: number;
  readonly putChunks: number;
  readonly putMs: number;
  readonly getCalls: number;
  readonly getMs: number;
}

/** What the server side measured since it started; callers subtract two readings. */
export interface ServerCounters extends WireBytes {
  readonly chunkStore: ChunkStoreTimes;
}

export interface BenchServer {
  /** The server's URL, http://127.0.0.1:PORT. */
  readonly url: string;
  readonly user: string;
  readonly password: string;
  /** Bytes on the server's connections and time in its chunk store since the start. */
  counters(): Promise<ServerCounters>;
  close(): Promise<void>;
}

interface ServerAddress {
  readonly url: string;
  readonly user: string;
  readonly password: string;
}

/** Messages from the parent to the child. */
type ParentMessage = { readonly type: 'counters'; readonly requestId: number } | { readonly type: 'stop' };

/** Messages from the child to the parent. */
type ChildMessage =
  | ({ readonly type: 'ready' } & ServerAddress)
  | { readonly type: 'failed'; readonly message: string }
  | ({ readonly type: 'counters'; readonly requestId: number } & ServerCounters)
  | { readonly type: 'stopped' };

const USER = 'bench';

/** Where the server keeps its data: an embedded data folder, or the scale-out backend's flags. */
export type BenchBackend = { readonly dataDir: string } | { readonly metadata: string; readonly chunks: string };

function backendArgs(backend: BenchBackend): string[] {
  return 'dataDir' in backend ? [backend.dataDir] : ['--metadata', backend.metadata, '--chunks', backend.chunks];
}

function parseBackendArgs(args: readonly string[]): BenchBackend {
  if (args.length === 1) return { dataDir: args[0]! };
  if (args.length === 4 && args[0] === '--metadata' && args[2] === '--chunks') return { metadata: args[1]!, chunks: args[3]! };
  throw new Error('usage: node --import tsx bench/benchServer.ts DATA_DIR | --metadata URL --chunks URL (started by bench/run.ts)');
}

/**
 * Starts the server and its user in this process. The byte counts cover every server socket
 * of the process, so run one benchmark server per process.
 */
export async function startBenchServer(backend: BenchBackend): Promise<BenchServer> {
  const opened = 'dataDir' in backend ? await openEmbeddedStores(backend.dataDir) : await openScaleOutStores(scaleOutTarget(backend.metadata, backend.chunks)!, { listen: true });
  const timed = timeChunkStore(opened.chunks);
  const stores = { ...opened, chunks: timed.store };
  const password = randomBytes(18).toString('base64url');
  // The user is created before the server starts, so no admin request is needed; the default
  // scrypt cost applies (each client logs in once, outside any timed step).
  try {
    await addUser(stores.metadata, USER, password);
  } catch (error) {
    await closeStores(stores);
    throw error;
  }
  const sockets = countServerSockets();
  let server: RunningServer;
  try {
    server = await startServer({ stores, host: '127.0.0.1', port: 0 });
  } catch (error) {
    sockets.stop();
    throw error;
  }
  return {
    url: server.url,
    user: USER,
    password,
    counters: () => Promise.resolve({ ...sockets.counters(), chunkStore: { ...timed.times } }),
    async close() {
      await server.close();
      sockets.stop();
    },
  };
}

/** Starts the same in a child process and talks to it over the IPC channel. */
export async function startBenchServerProcess(backend: BenchBackend, options: { readonly execArgv?: readonly string[] } = {}): Promise<BenchServer> {
  const child = fork(fileURLToPath(import.meta.url), backendArgs(backend), {
    execArgv: ['--import', 'tsx', ...(options.execArgv ?? [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A server that dies mid-run fails the step that waits for its counters instead of hanging it.
  child.once('exit', (code, signal) => {
    for (const { reject } of waiting.values()) reject(new Error(`the benchmark server process ended (code ${code}, signal ${signal}); see its output above`));
    waiting.clear();
  });
  const waiting = new Map<number, { resolve: (counters: ServerCounters) => void; reject: (error: Error) => void }>();
  let nextRequestId = 1;
  let onStopped: (() => void) | null = null;

  const address = await new Promise<ServerAddress>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the benchmark server process exited with code ${code} before it was ready; see its output above`)));
    child.on('message', (raw) => {
      const message = raw as ChildMessage;
      switch (message.type) {
        case 'ready':
          resolve({ url: message.url, user: message.user, password: message.password });
          break;
        case 'failed':
          reject(new Error(`the benchmark server could not start: ${message.message}`));
          break;
        case 'counters':
          waiting.get(message.requestId)?.resolve({ sent: message.sent, received: message.received, chunkStore: message.chunkStore });
          waiting.delete(message.requestId);
          break;
        case 'stopped':
          onStopped?.();
          break;
        default:
          unhandledMessage(message);
      }
    });
  }).catch((error: unknown) => {
    child.kill();
    throw error;
  });

  const send = (message: ParentMessage): void => {
    child.send(message);
  };
  return {
    ...address,
    counters() {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.reject(new Error('the benchmark server process has ended'));
      return new Promise<ServerCounters>((resolve, reject) => {
        const requestId = nextRequestId++;
        waiting.set(requestId, { resolve, reject });
        send({ type: 'counters', requestId });
      });
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const stopped = new Promise<void>((resolve) => (onStopped = resolve));
      send({ type: 'stop' });
      await Promise.race([stopped, exited]);
      // Stopped, the process should end by itself; if something still holds it, end it.
      const timer = setTimeout(() => child.kill(), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The same store, with the time spent in put and get added up (calls may overlap). */
function timeChunkStore(store: ChunkStore): { readonly store: ChunkStore; readonly times: ChunkStoreTimes } {
  const times = { putCalls: 0, putChunks: 0, putMs: 0, getCalls: 0, getMs: 0 };
  const timedStore: ChunkStore = {
    has: (ownerId, id) => store.has(ownerId, id),
    async put(ownerId, chunks) {
      const start = performance.now();
      try {
        await store.put(ownerId, chunks);
      } finally {
        times.putCalls += 1;
        times.putChunks += chunks.length;
        times.putMs += performance.now() - start;
      }
    },
    async get(ownerId, id) {
      const start = performance.now();
      try {
        return await store.get(ownerId, id);
      } finally {
        times.getCalls += 1;
        times.getMs += performance.now() - start;
      }
    },
    ...(store.prefetch === undefined ? {} : { prefetch: (ownerId: string, ids: readonly string[]) => store.prefetch!(ownerId, ids) }),
    quarantine: (ownerId, id, reason) => store.quarantine(ownerId, id, reason),
    packs: () => store.packs(),
    readPack: (pack) => store.readPack(pack),
    close: () => store.close(),
  };
  return { store: timedStore, times };
}

function unhandledMessage(message: never): never {
  throw new Error(`unexpected message from the benchmark server: ${JSON.stringify(message)}`);
}

async function runChild(backend: BenchBackend): Promise<void> {
  const reply = (message: ChildMessage): void => {
    process.send?.(message);
  };
  let server: BenchServer;
  try {
    server = await startBenchServer(backend);
  } catch (error) {
    reply({ type: 'failed', message: (error as Error).message });
    process.exitCode = 1;
    process.disconnect?.();
    return;
  }
  process.on('message', (raw) => {
    const message = raw as ParentMessage;
    switch (message.type) {
      case 'counters':
        void server.counters().then((counters) => reply({ type: 'counters', requestId: message.requestId, ...counters }));
        break;
      case 'stop':
        void server.close().then(() => {
          reply({ type: 'stopped' });
          process.disconnect?.();
        });
        break;
      default:
        unhandledMessage(message);
    }
  });
  // A parent that dies without saying stop must not leave the server running.
  process.once('disconnect', () => void server.close());
  reply({ type: 'ready', url: server.url, user: server.user, password: server.password });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href && process.send !== undefined) {
  await runChild(parseBackendArgs(process.argv.slice(2)));
}
