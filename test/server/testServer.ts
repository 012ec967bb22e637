// A real server on 127.0.0.1 with a temporary data folder, plus a small client that builds
// requests from the shared route table and validates every answer with the shared schemas:
// a 2xx answer against the route's response schema, any other against the error body schema.

import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildPath, buildQuery, errorBodySchema, routes } from '../../shared/protocol/index.js';
import type { ErrorBody, PathParams, RouteDefinition, RouteQuery, RouteRequest, RouteResponse } from '../../shared/protocol/index.js';
import type { ChunkRef } from '../../shared/model.js';
import { chunkIdOf, contentHashOf } from '../../shared/node/contentHash.js';
import { openEmbeddedStores, startServer } from '../../src-server/server.js';
import type { RunningServer, ServerOptions, Stores } from '../../src-server/server.js';
import { addUser } from '../../src-server/users.js';
import type { ScryptCost } from '../../src-server/passwordHash.js';

/** Cheap scrypt for test users, so logins take milliseconds; production uses the default cost. */
export const TEST_SCRYPT_COST: ScryptCost = { log2N: 10, r: 8, p: 1 };
export const TEST_PASSWORD = 'correct horse battery staple';

export type Answer<Value> =
  | { readonly ok: true; readonly status: number; readonly body: Value; readonly headers: Headers }
  | { readonly ok: false; readonly status: number; readonly body: ErrorBody; readonly headers: Headers };

export interface CallOptions<Route extends RouteDefinition> {
  readonly params?: PathParams<Route['path']>;
  readonly query?: RouteQuery<Route>;
  readonly body?: RouteRequest<Route>;
  readonly token?: string;
}

export interface TestServer {
  readonly dataDir: string;
  readonly stores: Stores;
  readonly server: RunningServer;
  readonly url: string;
  addUser(name: string, admin?: boolean): Promise<void>;
  /** Logs in and returns the token. */
  login(name: string, deviceName?: string): Promise<string>;
  call<Route extends RouteDefinition>(route: Route, options?: CallOptions<Route>): Promise<Answer<RouteResponse<Route>>>;
  /** Like call, but fails the test unless the answer is 2xx, and returns the body. */
  ok<Route extends RouteDefinition>(route: Route, options?: CallOptions<Route>): Promise<RouteResponse<Route>>;
  /** A raw request to a path under the server, for inputs the typed client cannot express. */
  raw(pathAndQuery: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

/** A server on the embedded backend in a temporary folder, or on the stores given (which it then closes). */
export async function startTestServer(options: Omit<ServerOptions, 'dataDir' | 'host' | 'port'> = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cairn-server-test-'));
  const stores = options.stores ?? (await openEmbeddedStores(dataDir));
  const server = await startServer({ ...options, stores, host: '127.0.0.1', port: 0 });

  const raw = (pathAndQuery: string, init?: RequestInit) => fetch(`${server.url}${pathAndQuery}`, init);

  async function call<Route extends RouteDefinition>(route: Route, callOptions: CallOptions<Route> = {}): Promise<Answer<RouteResponse<Route>>> {
    const params = (callOptions.params ?? {}) as PathParams<Route['path']>;
    const query = callOptions.query === undefined ? '' : buildQuery(callOptions.query as Record<string, string | number | undefined>);
    const headers: Record<string, string> = {};
    if (callOptions.token !== undefined) headers.authorization = `Bearer ${callOptions.token}`;
    let body: string | undefined;
    if (callOptions.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(callOptions.body);
    }
    const response = await raw(`${buildPath(route, params)}${query}`, { method: route.method, headers, body });
    const json: unknown = await response.json();
    if (response.ok) {
      if (route.response.kind !== 'json') throw new Error('call() is for JSON routes');
      return { ok: true, status: response.status, body: route.response.schema.parse(json) as RouteResponse<Route>, headers: response.headers };
    }
    return { ok: false, status: response.status, body: errorBodySchema.parse(json), headers: response.headers };
  }

  const testServer: TestServer = {
    dataDir,
    stores,
    server,
    url: server.url,
    async addUser(name, admin = false) {
      await addUser(stores.metadata, name, TEST_PASSWORD, { admin, cost: TEST_SCRYPT_COST });
    },
    async login(name, deviceName = `${name}-device`) {
      return (await testServer.ok(routes.login, { body: { user: name, password: TEST_PASSWORD, deviceName } })).token;
    },
    call,
    async ok(route, callOptions) {
      const answer = await call(route, callOptions);
      if (!answer.ok) throw new Error(`${route.method} ${route.path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      return answer.body;
    },
    raw,
    async stop() {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return testServer;
}

/** Test content: deterministic bytes from a seed. */
export function bytesOf(seed: string, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let block = createHash('sha256').update(seed).digest();
  for (let offset = 0; offset < size; offset += block.length) {
    bytes.set(block.subarray(0, Math.min(block.length, size - offset)), offset);
    block = createHash('sha256').update(block).digest();
  }
  return bytes;
}

export { chunkIdOf, contentHashOf };

/** A file's chunk: bytes, id and ref. */
export function makeChunk(seed: string, size = 100): { bytes: Uint8Array; id: string; ref: ChunkRef } {
  const bytes = bytesOf(seed, size);
  const id = chunkIdOf(bytes);
  return { bytes, id, ref: { id, size } };
}

/** The fields of a put change for a file made of these chunks. */
export function fileOf(chunks: readonly ChunkRef[]): { size: number; mtimeMs: number; executable: boolean; chunks: ChunkRef[]; contentHash: string } {
  return {
    size: chunks.reduce((sum, chunk) => sum + chunk.size, 0),
    mtimeMs: 1_700_000_000_000,
    executable: false,
    chunks: [...chunks],
    contentHash: contentHashOf(chunks),
  };
}

/** Uploads one chunk with PUT. */
export async function putChunk(server: TestServer, token: string, libraryId: string, chunk: { bytes: Uint8Array; id: string }): Promise<Response> {
  return server.raw(buildPath(routes.putChunk, { libraryId, chunkId: chunk.id }), {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
    body: chunk.bytes as Uint8Array<ArrayBuffer>,
  });
}
