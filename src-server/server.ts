// The server's composition root: opens the data folder, builds the services, serves HTTP and
// returns the one way to stop it all. Stopping stops accepting connections, ends waiting
// requests (long-polls answer with the current head, event streams end), lets requests in
// flight finish (a commit is one transaction either way), then closes the stores.

import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EVENTS_HEARTBEAT_MS, PROTOCOL_LIMITS } from '../shared/protocol/index.js';
import { authHandlers } from './authHandlers.js';
import { chunkHandlers } from './chunkHandlers.js';
import { chunkPatchHandlers } from './chunkPatchHandlers.js';
import { conflictHandlers } from './conflictHandlers.js';
import { entryHandlers } from './entryHandlers.js';
import { eventsHandler } from './eventsHandler.js';
import { libraryHandlers } from './libraryHandlers.js';
import { DEFAULT_LOGIN_LIMITS, LoginLimiter } from './loginLimiter.js';
import type { LoginLimiterOptions } from './loginLimiter.js';
import { silentLogger } from './log.js';
import type { Logger } from './log.js';
import { InProcessNotifier } from './notifier.js';
import type { Notifier } from './notifier.js';
import { parseTrustedProxies } from './clientAddress.js';
import { prepareOwnerOnlyDatabase } from './ownerOnlyFiles.js';
import { handleRequest } from './router.js';
import type { Handlers, ServerServices } from './router.js';
import { FsChunkStore } from './storage/fsChunkStore.js';
import { openSqliteMetadataStore } from './storage/sqliteMetadataStore.js';
import { closeStores } from './storage/stores.js';
import type { Stores } from './storage/stores.js';

export type { Stores } from './storage/stores.js';

export const handlers: Handlers = {
  ...authHandlers,
  ...libraryHandlers,
  ...chunkHandlers,
  ...chunkPatchHandlers,
  ...entryHandlers,
  ...conflictHandlers,
  events: eventsHandler,
};

/** The embedded backend's layout inside the data folder. */
export function dataPaths(dataDir: string): { readonly metadata: string; readonly chunks: string } {
  return { metadata: path.join(dataDir, 'metadata.sqlite'), chunks: path.join(dataDir, 'chunks') };
}

/** Opens (creating if needed) the embedded SQLite + folder backend in a data folder. */
export async function openEmbeddedStores(dataDir: string): Promise<Stores> {
  const paths = dataPaths(dataDir);
  await mkdir(paths.chunks, { recursive: true, mode: 0o700 });
  const chunks = await FsChunkStore.open(paths.chunks);
  try {
    prepareOwnerOnlyDatabase(paths.metadata);
    return { metadata: openSqliteMetadataStore(paths.metadata), chunks };
  } catch (error) {
    await chunks.close();
    throw error;
  }
}

/** The version in package.json, found from this file in the source tree and in dist/. */
function readServerVersion(): string {
  let folder = path.dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 4; depth++) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(folder, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'cairn' && typeof manifest.version === 'string') return manifest.version;
    } catch {
      // Not here; look one folder up.
    }
    folder = path.dirname(folder);
  }
  return 'unknown';
}

export interface ServerOptions {
  /** The data folder of the embedded backend; ignored when `stores` is given. */
  readonly dataDir?: string;
  /** Other backends (a test, or PostgreSQL + S3); the server closes them when it stops. */
  readonly stores?: Stores;
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Defaults to the stores' notifier (shared by instances), else one within this process. */
  readonly notifier?: Notifier;
  /** Request and lifecycle logs; none by default. */
  readonly log?: Logger;
  readonly loginLimits?: Partial<LoginLimiterOptions>;
  /** Reverse proxies (IP addresses) whose X-Forwarded-For names the client; none by default. */
  readonly trustedProxies?: readonly string[];
  /** How the server bounds connections and slow senders; see DEFAULT_CONNECTION_LIMITS. */
  readonly connectionLimits?: Partial<ConnectionLimits>;
  /** Defaults to EVENTS_HEARTBEAT_MS (15 s). */
  readonly eventsHeartbeatMs?: number;
  /** Serve and announce the chunk patch routes (default true); false answers like a server before them. */
  readonly chunkPatches?: boolean;
}

export interface ConnectionLimits {
  /** Most connections open at once; further ones are closed as they arrive. */
  readonly maxConnections: number;
  /** A connection must complete a request's headers within this time (also before its first byte). */
  readonly headersTimeoutMs: number;
  /** A body on a route without a token (login) must arrive whole within this time. */
  readonly anonymousBodyTimeoutMs: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  maxConnections: 1024,
  headersTimeoutMs: 20_000,
  anonymousBodyTimeoutMs: PROTOCOL_LIMITS.anonymousBodyTimeoutMs,
};

export interface RunningServer {
  /** http://HOST:PORT with the real port. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

function formatUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  if (options.stores === undefined && options.dataDir === undefined) throw new TypeError('startServer needs a dataDir or stores');
  const trustedProxies = parseTrustedProxies(options.trustedProxies ?? []);
  const limits = { ...DEFAULT_CONNECTION_LIMITS, ...options.connectionLimits };
  const stores = options.stores ?? (await openEmbeddedStores(options.dataDir!));
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? silentLogger;

  const shutdownHooks = new Set<() => void>();
  let stopping = false;
  const services: ServerServices = {
    store: stores.metadata,
    chunkStore: stores.chunks,
    notifier: options.notifier ?? stores.notifier ?? new InProcessNotifier(),
    loginLimiter: new LoginLimiter({ ...DEFAULT_LOGIN_LIMITS, ...options.loginLimits }),
    serverVersion: readServerVersion(),
    eventsHeartbeatMs: options.eventsHeartbeatMs ?? EVENTS_HEARTBEAT_MS,
    anonymousBodyTimeoutMs: limits.anonymousBodyTimeoutMs,
    trustedProxies,
    chunkPatches: options.chunkPatches ?? true,
    async readiness() {
      if (stopping) return ['the server is stopping'];
      return (await stores.checkReady?.()) ?? [];
    },
    onShutdown(end) {
      // A request that starts waiting while the server stops is ended at once.
      if (stopping) {
        queueMicrotask(end);
        return () => {};
      }
      shutdownHooks.add(end);
      return () => shutdownHooks.delete(end);
    },
  };

  let inFlight = 0;
  let drained: (() => void) | null = null;
  const sockets = new Set<Socket>();
  // requestTimeout bounds receiving a request (a 64 MiB upload on a slow link), not answering
  // it, so long-polls and event streams are not cut by it. Slow senders are bounded three
  // ways: headers (and a connection's first byte) within headersTimeoutMs, an anonymous body
  // within anonymousBodyTimeoutMs (router), any body within requestTimeout; and at most
  // maxConnections connections are open at once.
  const serverOptions = {
    keepAliveTimeout: 5_000,
    requestTimeout: Math.max(5 * 60_000, limits.headersTimeoutMs),
    headersTimeout: limits.headersTimeoutMs,
    connectionsCheckingInterval: Math.min(limits.headersTimeoutMs, 5_000),
  };
  const server = createServer(serverOptions, (request, response) => {
    // The connection's idle timer (see 'connection' below) ends once a request has come.
    request.socket.setTimeout(0);
    inFlight++;
    const started = performance.now();
    if (stopping) response.setHeader('Connection', 'close');
    void handleRequest(services, handlers, request, response).finally(() => {
      const finished = () => {
        inFlight--;
        // The path without its query (which may hold library paths); never a header (tokens).
        const target = request.url ?? '/';
        log('info', 'request', {
          method: request.method,
          path: target.split('?', 1)[0],
          status: response.statusCode,
          ms: Math.round(performance.now() - started),
        });
        if (inFlight === 0) drained?.();
      };
      if (response.writableFinished || response.destroyed) finished();
      else response.once('close', finished);
    });
  });
  server.maxConnections = limits.maxConnections;
  server.on('connection', (socket) => {
    // Node's headersTimeout starts with a request's first byte: a connection that sends
    // nothing at all is closed by this timer instead (a timed-out socket is destroyed).
    socket.setTimeout(limits.headersTimeoutMs);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  let address: AddressInfo;
  try {
    address = await listen(server, host, options.port ?? 8080);
  } catch (error) {
    await closeStores(stores);
    throw error;
  }
  log('info', 'listening', { url: formatUrl(address.address, address.port) });

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      stopping = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const end of [...shutdownHooks]) end();
      server.closeIdleConnections();
      if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
      for (const socket of sockets) socket.destroy();
      await stopped;
      await closeStores(stores);
      log('info', 'stopped');
    })();
    return closing;
  };

  return { url: formatUrl(address.address, address.port), host: address.address, port: address.port, close };
}
