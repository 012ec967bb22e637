// Integration harness for the client engine: a real cairn-server on 127.0.0.1 with a temporary
// data folder, and any number of clients, each with its own profile folder and library folder.
// Everything it starts, `stop()` stops; everything it creates lives under one temp folder.
//
// With `{ backend: 'scale-out' }` the server is two instances on one PostgreSQL schema and one
// S3 bucket (test/support/scaleOutServices.ts) behind a proxy that sends each request to the
// next instance in turn, so every client's rounds span both instances.

import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ChunkingParams } from '../../shared/model.js';
import { routes } from '../../shared/protocol/index.js';
import { Engine } from '../../src-main/engine/engine.js';
import type { ResolutionRound } from '../../src-main/engine/engine.js';
import { openIndex } from '../../src-main/engine/indexStore/index.js';
import type { Index } from '../../src-main/engine/indexStore/index.js';
import type { ServerClient } from '../../src-main/engine/remote/serverClient.js';
import type { RoundSummary } from '../../src-main/engine/sync/roundSummary.js';
import { openEmbeddedStores, startServer } from '../../src-server/server.js';
import type { RunningServer, ServerOptions, Stores } from '../../src-server/server.js';
import { addUser } from '../../src-server/users.js';
import { createScaleOutHarness } from '../support/scaleOutServices.js';
import { startRoundRobinProxy } from './support/roundRobinProxy.js';
import type { RoundRobinProxy } from './support/roundRobinProxy.js';

export const PASSWORD = 'correct horse battery staple';
const TEST_COST = { log2N: 10, r: 8, p: 1 };

/** Small chunks so that tests exercise many chunks with little data. */
export const SMALL_CHUNKING: ChunkingParams = { algorithm: 'fastcdc', minSize: 2048, avgSize: 8192, maxSize: 32768 };

export interface TestClient {
  readonly name: string;
  readonly engine: Engine;
  readonly root: string;
  readonly home: string;
  readonly libraryId: string;
  /** Runs `sync now` for every library and fails the test on an error outcome. */
  sync(): Promise<RoundSummary>;
  /** Runs `sync now` and returns the summary whatever the outcome. */
  syncRaw(): Promise<RoundSummary>;
  write(relative: string, content: string | Uint8Array): Promise<void>;
  read(relative: string): Promise<string>;
  exists(relative: string): Promise<boolean>;
  /** Every file below the root (relative paths with '/', sorted) with its content as text. */
  tree(): Promise<Record<string, string>>;
  /** The rounds a conflict resolution runs: this client's own, without automatic merges. */
  readonly resolutionRound: ResolutionRound;
  /**
   * Runs `work` on a second connection to the client's index, for a test that reads or spoils
   * what the engine keeps (the engine's own is private to it).
   */
  withIndex<T>(work: (index: Index) => T): T;
  close(): Promise<void>;
}

export interface Harness {
  readonly base: string;
  server: RunningServer;
  readonly dataDir: string;
  stores: Stores;
  addUser(name: string): Promise<void>;
  /**
   * A logged-in client syncing `libraryName` (created by the first client that asks), or the
   * library `libraryId` (one shared with the user).
   */
  /** `oneShot`: the engine of a one-shot command (synchronous file-system calls where it may). */
  client(name: string, options?: { user?: string; libraryName?: string; libraryId?: string; only?: string[]; maxDeletes?: number; serverUrl?: string; oneShot?: boolean }): Promise<TestClient>;
  createLibrary(user: string, name: string, chunking?: ChunkingParams): Promise<string>;
  /** Stops the server (clients stay open) and starts it again on the same port. */
  restartServer(): Promise<void>;
  /** The instances and their proxy, with the scale-out backend. */
  readonly scaleOut: { readonly instances: readonly RunningServer[]; readonly proxy: RoundRobinProxy } | null;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  readonly backend?: 'embedded' | 'scale-out';
  /** Options of the embedded backend's server (a server without chunk patches, a request log). */
  readonly server?: Pick<ServerOptions, 'chunkPatches' | 'log'>;
}

/** Two instances on one scale-out backend behind a round-robin proxy, presented as one server. */
async function startScaleOutServer(): Promise<{ stores: Stores; server: RunningServer; instances: RunningServer[]; proxy: RoundRobinProxy }> {
  const target = await createScaleOutHarness();
  const instances: RunningServer[] = [];
  try {
    for (let index = 0; index < 2; index++) instances.push(await startServer({ stores: await target.open({ listen: true }), host: '127.0.0.1', port: 0 }));
    const stores = await target.open();
    const proxy = await startRoundRobinProxy(instances);
    const port = Number(new URL(proxy.url).port);
    const server: RunningServer = {
      url: proxy.url,
      host: '127.0.0.1',
      port,
      async close() {
        await proxy.close();
        for (const instance of instances) await instance.close();
        await stores.metadata.close();
        await stores.chunks.close();
        await target.destroy();
      },
    };
    return { stores, server, instances, proxy };
  } catch (error) {
    for (const instance of instances) await instance.close();
    await target.destroy();
    throw error;
  }
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const base = await mkdtemp(path.join(os.tmpdir(), 'cairn-sync-test-'));
  const dataDir = path.join(base, 'server');
  const scaleOut = options.backend === 'scale-out' ? await startScaleOutServer() : null;
  let stores = scaleOut?.stores ?? (await openEmbeddedStores(dataDir));
  let server = scaleOut?.server ?? (await startServer({ ...options.server, stores, host: '127.0.0.1', port: 0 }));
  const clients: TestClient[] = [];
  const users = new Set<string>();
  const libraries = new Map<string, string>();

  const harness: Harness = {
    base,
    dataDir,
    get server() {
      return server;
    },
    set server(value) {
      server = value;
    },
    get stores() {
      return stores;
    },
    set stores(value) {
      stores = value;
    },
    async addUser(name) {
      if (users.has(name)) return;
      await addUser(stores.metadata, name, PASSWORD, { cost: TEST_COST });
      users.add(name);
    },
    async createLibrary(user, name, chunking = SMALL_CHUNKING) {
      const engine = await Engine.open({ home: path.join(base, `admin-${user}`), deviceName: 'admin' });
      try {
        await harness.addUser(user);
        await engine.login(server.url, user, PASSWORD);
        const library = await (await engine.server()).call(routes.createLibrary, { body: { name, chunking } });
        libraries.set(`${user}/${name}`, library.id);
        return library.id;
      } finally {
        await engine.close();
      }
    },
    async client(name, options = {}) {
      const user = options.user ?? 'alice';
      const libraryName = options.libraryName ?? 'Documents';
      await harness.addUser(user);
      let libraryId = options.libraryId ?? libraries.get(`${user}/${libraryName}`);
      if (libraryId === undefined) libraryId = await harness.createLibrary(user, libraryName);
      const home = path.join(base, `home-${name}`);
      const root = path.join(base, `folder-${name}`);
      await mkdir(root, { recursive: true });
      const engine = await Engine.open({
        home,
        deviceName: name,
        ...(options.maxDeletes === undefined ? {} : { maxDeletes: options.maxDeletes }),
        ...(options.oneShot === true ? { oneShot: true } : {}),
      });
      await engine.login(options.serverUrl ?? server.url, user, PASSWORD);
      const record = await engine.addSync(libraryId, root, options.only ?? []);
      const client: TestClient = {
        name,
        engine,
        root: record.localRoot,
        home,
        libraryId,
        async syncRaw() {
          const [summary] = await engine.syncNow();
          if (summary === undefined) throw new Error('no library synced');
          return summary;
        },
        async sync() {
          const summary = await client.syncRaw();
          if (summary.outcome !== 'synced') throw new Error(`${name}: sync ${summary.outcome}: ${JSON.stringify(summary.error ?? summary.pauseReason)} ${JSON.stringify(summary.problems)}`);
          return summary;
        },
        async write(relative, content) {
          const file = path.join(record.localRoot, relative);
          await mkdir(path.dirname(file), { recursive: true });
          await writeFile(file, content);
        },
        read: (relative) => readFile(path.join(record.localRoot, relative), 'utf8'),
        async exists(relative) {
          try {
            await stat(path.join(record.localRoot, relative));
            return true;
          } catch {
            return false;
          }
        },
        tree: () => readTree(record.localRoot),
        resolutionRound: (id) => engine.syncNow({ only: id, autoMerge: false }),
        withIndex(work) {
          const index = openIndex(path.join(home, 'index.sqlite'));
          try {
            return work(index);
          } finally {
            index.close();
          }
        },
        close: () => engine.close(),
      };
      clients.push(client);
      return client;
    },
    scaleOut: scaleOut === null ? null : { instances: scaleOut.instances, proxy: scaleOut.proxy },
    async restartServer() {
      if (scaleOut !== null) throw new Error('restartServer is for the embedded backend');
      const port = server.port;
      await server.close();
      stores = await openEmbeddedStores(dataDir);
      server = await startServer({ ...options.server, stores, host: '127.0.0.1', port });
    },
    async stop() {
      for (const client of clients) await client.close().catch(() => undefined);
      await server.close().catch(() => undefined);
      await rm(base, { recursive: true, force: true });
    },
  };
  return harness;
}

/**
 * Runs `action` once, just before the client's next commit request is sent (another device
 * committing, or the user editing, while a round commits). The answer says whether it ran.
 */
export async function beforeNextCommit(client: TestClient, action: () => Promise<unknown>): Promise<{ readonly ran: boolean }> {
  const probe = await beforeCommits(client, 1, action);
  return {
    get ran() {
      return probe.ran > 0;
    },
  };
}

/** Runs `action` just before each of the client's next `times` commit requests; `ran` counts them. */
export async function beforeCommits(client: TestClient, times: number, action: () => Promise<unknown>): Promise<{ readonly ran: number }> {
  const server: ServerClient = await client.engine.server();
  const call = server.call.bind(server);
  const probe = { ran: 0 };
  server.call = (async (route, options) => {
    if ((route as unknown) === routes.commit && probe.ran < times) {
      probe.ran += 1;
      await action();
    }
    return call(route, options as never);
  }) as ServerClient['call'];
  return probe;
}

/** Every file below `root` with its content as text, keyed by '/'-separated relative path. */
export async function readTree(root: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  async function walk(folder: string, prefix: string): Promise<void> {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) {
        result[`${relative}/`] = '';
        await walk(path.join(folder, entry.name), relative);
      } else if (entry.isFile()) {
        result[relative] = await readFile(path.join(folder, entry.name), 'utf8');
      }
    }
  }
  await walk(root, '');
  return Object.fromEntries(Object.entries(result).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
