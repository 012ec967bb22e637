// The router: turns the shared route table into request handling. For every request it
// matches the route, validates the query, authenticates the caller, checks their access to
// the library named in the path, reads and validates the body within its limit, and then
// calls the route's handler. Handlers therefore only ever see validated, authorized input
// (a frames body is handed over unread, and verified frame by frame as the handler reads it).

import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { CHUNK_SIZE_LIMITS } from '../shared/model.js';
import {
  CHUNK_CONTENT_TYPE,
  CHUNK_PATCHES_HEADER,
  CHUNK_PATCH_LIMITS,
  FRAMES_CONTENT_TYPE,
  FrameDecoder,
  FrameFormatError,
  PATCH_BASE_ID_BYTES,
  PROTOCOL_LIMITS,
  matchPath,
  routes,
} from '../shared/protocol/index.js';
import type { Frame, PathParams, RouteDefinition, RouteName, RouteResponse, Routes } from '../shared/protocol/index.js';
import { ApiError } from './apiError.js';
import { incomingFrames } from './frameBody.js';
import { withFrugalHeap } from './heapTuning.js';
import type { IncomingFrames } from './frameBody.js';
import { parseJson, readBody, readBodyPieces, requireContentType, sendBytes, sendError, sendJson, validationError } from './httpIo.js';
import type { BodyLimits } from './httpIo.js';
import type { LoginLimiter } from './loginLimiter.js';
import type { Notifier } from './notifier.js';
import type { ChunkStore } from './storage/chunkStore.js';
import type { LibraryAccess, MetadataStore } from './storage/metadataStore.js';

/** Everything handlers need; one per server. */
export interface ServerServices {
  readonly store: MetadataStore;
  readonly chunkStore: ChunkStore;
  readonly notifier: Notifier;
  readonly loginLimiter: LoginLimiter;
  readonly serverVersion: string;
  /** How often event streams send a heartbeat and re-check the caller's token. */
  readonly eventsHeartbeatMs: number;
  /** A body on a route without a token must arrive whole within this time. */
  readonly anonymousBodyTimeoutMs: number;
  /** Addresses of reverse proxies whose X-Forwarded-For names the client (see clientAddress.ts). */
  readonly trustedProxies: ReadonlySet<string>;
  /** What keeps the server from serving now (a backend that does not answer, stopping); empty when ready. */
  readiness(): Promise<string[]>;
  /** Registers a waiting request (long-poll, event stream) to be ended at shutdown; returns the unregister function. */
  onShutdown(end: () => void): () => void;
  /** Whether the chunk patch routes are served and announced (CHUNK_PATCHES_HEADER). */
  readonly chunkPatches: boolean;
}

/** The authenticated user and device of a request. */
export interface Caller {
  readonly userId: string;
  readonly userName: string;
  readonly admin: boolean;
  readonly deviceId: string;
  readonly deviceName: string;
  readonly tokenHash: Uint8Array;
}

type LibraryRouteName = {
  [Name in RouteName]: Routes[Name]['path'] extends `${string}:libraryId${string}` ? Name : never;
}[RouteName];

/**
 * What each library route requires of the caller. `read`: owner or any member. `write`: owner
 * or read-write member. `owner`: the owner. `trashed-owner`: the owner, on a trashed library.
 * Every route but restoreLibrary treats a trashed library as absent.
 */
export type LibraryAccessLevel = 'read' | 'write' | 'owner' | 'trashed-owner';

const libraryAccessLevels: Record<LibraryRouteName, LibraryAccessLevel> = {
  getLibrary: 'read',
  renameLibrary: 'owner',
  deleteLibrary: 'owner',
  restoreLibrary: 'trashed-owner',
  listMembers: 'read',
  setMember: 'owner',
  // The owner removes anyone; a member may remove only themself (checked by the handler).
  removeMember: 'read',
  changes: 'read',
  waitForChanges: 'read',
  missingChunks: 'read',
  uploadChunks: 'write',
  downloadChunks: 'read',
  putChunk: 'write',
  getChunk: 'read',
  commit: 'write',
  history: 'read',
  trash: 'read',
  restore: 'write',
  snapshot: 'read',
  listLibraryConflicts: 'read',
  reportConflict: 'write',
  resolveLibraryConflict: 'write',
  // Chunk patches: a base or new chunk is read exactly as a chunk download reads it.
  chunkPatches: 'read',
  chunkSignatures: 'read',
  uploadChunkPatches: 'write',
};

/** The routes a server without chunk patches (services.chunkPatches false) does not have. */
const CHUNK_PATCH_ROUTES: ReadonlySet<RouteName> = new Set(['chunkPatches', 'chunkSignatures', 'uploadChunkPatches']);

type QueryOf<Route extends RouteDefinition> = Route['query'] extends z.ZodType ? z.output<Route['query']> : undefined;

type BodyOf<Route extends RouteDefinition> = Route['request'] extends { kind: 'json'; schema: infer Schema extends z.ZodType }
  ? z.output<Schema>
  : Route['request'] extends { kind: 'chunk' }
    ? Uint8Array
    : Route['request'] extends { kind: 'frames' }
      ? IncomingFrames
      : Route['request'] extends { kind: 'patches' }
        ? Frame[]
        : undefined;

export interface HandlerContext<Route extends RouteDefinition> {
  readonly services: ServerServices;
  readonly params: PathParams<Route['path']>;
  readonly query: QueryOf<Route>;
  readonly body: BodyOf<Route>;
  /** Null only on routes without authentication. */
  readonly caller: Route['auth'] extends 'token' ? Caller : null;
  /** The library named by the path, as the caller sees it; null on other routes. */
  readonly library: Route['path'] extends `${string}:libraryId${string}` ? LibraryAccess : null;
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  /** Milliseconds since the epoch when the request arrived. */
  readonly now: number;
}

/** A JSON answer with a status other than 200. */
export class StatusResult<Value> {
  constructor(
    readonly status: number,
    readonly value: Value,
  ) {}
}

/** What a handler answers: the JSON value for JSON routes, the bytes for a chunk, or 'streamed'. */
export type HandlerResult<Route extends RouteDefinition> = Route['response'] extends { kind: 'json' }
  ? RouteResponse<Route> | StatusResult<RouteResponse<Route>>
  : Route['response'] extends { kind: 'chunk' }
    ? Uint8Array
    : 'streamed';

export type Handler<Route extends RouteDefinition> = (context: HandlerContext<Route>) => Promise<HandlerResult<Route>>;

export type Handlers = { readonly [Name in RouteName]: Handler<Routes[Name]> };

export const BEARER_PREFIX = 'Bearer ';

/** SHA-256 of a device token: the only form in which tokens are stored. */
export function hashToken(token: string): Uint8Array {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Last-used times are written at most this often per token, not on every request. */
const TOUCH_INTERVAL_MS = 60_000;

async function authenticate(services: ServerServices, request: IncomingMessage, now: number): Promise<Caller> {
  const header = request.headers.authorization;
  if (header === undefined || !header.startsWith(BEARER_PREFIX)) {
    throw new ApiError('unauthorized', 'log in first and send the device token as "Authorization: Bearer <token>"', undefined, {
      'WWW-Authenticate': 'Bearer',
    });
  }
  const tokenHash = hashToken(header.slice(BEARER_PREFIX.length).trim());
  const token = await services.store.tokens.findByHash(tokenHash);
  const user = token === null ? null : await services.store.users.byId(token.userId);
  if (token === null || user === null || user.removedAt !== null) {
    throw new ApiError('unauthorized', 'the device token is unknown or was revoked: log in again', undefined, { 'WWW-Authenticate': 'Bearer' });
  }
  if (now - token.lastUsedAt > TOUCH_INTERVAL_MS) await services.store.tokens.touch(token.id, now);
  return { userId: user.id, userName: user.name, admin: user.admin, deviceId: token.id, deviceName: token.deviceName, tokenHash };
}

async function authorizeLibrary(services: ServerServices, name: LibraryRouteName, libraryId: string, caller: Caller): Promise<LibraryAccess> {
  const library = await services.store.libraries.accessFor(libraryId, caller.userId);
  const level = libraryAccessLevels[name];
  // Absent, invisible and (for most routes) trashed libraries all answer the same 404, so
  // library ids cannot be probed.
  if (library === null || (library.deletedAt !== null) !== (level === 'trashed-owner')) {
    throw new ApiError('not-found', level === 'trashed-owner' ? 'no such library in your trash' : 'no such library');
  }
  switch (level) {
    case 'read':
      break;
    case 'write':
      if (library.role === 'ro') throw new ApiError('forbidden', 'you have read-only access to this library');
      break;
    case 'owner':
    case 'trashed-owner':
      if (library.role !== 'owner') throw new ApiError('forbidden', 'only the owner of the library can do this');
      break;
    default:
      throw new Error(`unhandled access level: ${String(level satisfies never)}`);
  }
  return library;
}

function parseQuery(schema: z.ZodType, search: URLSearchParams): unknown {
  const raw: Record<string, string> = {};
  for (const [name, value] of search) {
    if (name in raw) throw new ApiError('bad-request', `the query parameter ${name} is given twice`);
    raw[name] = value;
  }
  const result = schema.safeParse(raw);
  if (!result.success) throw validationError('query', result.error);
  return result.data;
}

/** A route without a query takes none: an unknown parameter is a client bug, answered 400. */
function refuseAnyQuery(search: URLSearchParams): undefined {
  const names = [...new Set(search.keys())];
  if (names.length > 0) throw new ApiError('bad-request', `this route takes no query parameters (got ${names.join(', ')})`);
  return undefined;
}

async function readRequestBody(
  route: RouteDefinition,
  request: IncomingMessage,
  response: ServerResponse,
  library: LibraryAccess | null,
  anonymousBodyTimeoutMs: number,
): Promise<unknown> {
  // Routes anyone may call (login) take a small body, uncompressed, arriving promptly: an
  // anonymous request must never cost the server much more than it cost the sender.
  const anonymous = route.auth === 'none';
  const limits = (maxBytes: number): BodyLimits =>
    anonymous
      ? { maxBytes: Math.min(maxBytes, PROTOCOL_LIMITS.maxAnonymousBodyBytes), gzip: false, deadlineMs: anonymousBodyTimeoutMs }
      : { maxBytes, gzip: true };
  const maxChunkBytes = Math.min(library?.chunking.maxSize ?? CHUNK_SIZE_LIMITS.max, CHUNK_SIZE_LIMITS.max);
  switch (route.request.kind) {
    case 'none':
      // Nothing is expected; whatever was sent is read and dropped so the connection stays usable.
      request.resume();
      return undefined;
    case 'json': {
      requireContentType(request, response, 'application/json');
      return parseJson(await readBody(request, response, limits(PROTOCOL_LIMITS.maxJsonBodyBytes)), route.request.schema);
    }
    case 'chunk': {
      requireContentType(request, response, CHUNK_CONTENT_TYPE);
      const bytes = await readBody(request, response, limits(maxChunkBytes));
      if (bytes.length === 0) throw new ApiError('bad-request', 'a chunk cannot be empty');
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    }
    case 'frames': {
      // Read by the handler, verified frame by frame as it arrives (see frameBody.ts).
      requireContentType(request, response, FRAMES_CONTENT_TYPE);
      return incomingFrames(request, response, limits(PROTOCOL_LIMITS.maxBatchBodyBytes), maxChunkBytes);
    }
    case 'patches': {
      requireContentType(request, response, FRAMES_CONTENT_TYPE);
      return readPatchFrames(request, response, limits(CHUNK_PATCH_LIMITS.maxUploadBodyBytes), maxChunkBytes);
    }
    default:
      throw new Error(`unhandled request kind: ${JSON.stringify(route.request satisfies never)}`);
  }
}

/**
 * Reads the frames of a patch upload: each a base id and a patch (see chunkPatches.ts), at most
 * CHUNK_PATCH_LIMITS.maxPatchesPerUpload of them, none longer than a chunk and its base id.
 * Nothing is verified here: the handler rebuilds each chunk and checks its hash.
 */
async function readPatchFrames(request: IncomingMessage, response: ServerResponse, limits: BodyLimits, maxChunkBytes: number): Promise<Frame[]> {
  const decoder = new FrameDecoder(maxChunkBytes + PATCH_BASE_ID_BYTES);
  const frames: Frame[] = [];
  try {
    await readBodyPieces(request, response, limits, (piece) => {
      for (const frame of decoder.push(new Uint8Array(piece.buffer, piece.byteOffset, piece.length))) {
        if (frame.bytes.length <= PATCH_BASE_ID_BYTES) throw new ApiError('bad-request', 'a patch frame holds a base id and a patch');
        if (frames.length >= CHUNK_PATCH_LIMITS.maxPatchesPerUpload) {
          throw new ApiError('payload-too-large', `a patch upload carries at most ${CHUNK_PATCH_LIMITS.maxPatchesPerUpload} patches; send the rest in another request`);
        }
        frames.push(frame);
      }
    });
    decoder.finish();
  } catch (error) {
    if (error instanceof FrameFormatError) throw new ApiError('bad-request', `malformed patch frames: ${error.message}`);
    throw error;
  }
  return frames;
}

interface MatchedRoute {
  readonly name: RouteName;
  readonly route: RouteDefinition;
  readonly params: Record<string, string>;
}

/** Routes with fewer parameters first, so /libraries/trash wins over /libraries/:libraryId. */
const orderedRoutes = (Object.entries(routes) as [RouteName, RouteDefinition][]).sort(
  ([, a], [, b]) => (a.path.match(/:/g)?.length ?? 0) - (b.path.match(/:/g)?.length ?? 0),
);

function matchRoute(method: string, pathname: string): MatchedRoute {
  let pathMatched = false;
  for (const [name, route] of orderedRoutes) {
    const params = matchPath(route.path, pathname);
    if (params === null) continue;
    pathMatched = true;
    if (route.method === method) return { name, route, params };
  }
  if (pathMatched) throw new ApiError('method-not-allowed', `${method} is not supported on ${pathname}`);
  throw new ApiError('not-found', `no route ${method} ${pathname}; see docs/protocol.md`);
}

/** Routes whose answers (and the commit's request) list many versions: handled with a frugal heap (heapTuning.ts). */
const VERSION_LISTING_ROUTES: ReadonlySet<RouteName> = new Set(['changes', 'commit', 'history', 'trash', 'restore', 'snapshot']);

/** Handles one request end to end; never throws. */
export async function handleRequest(services: ServerServices, handlers: Handlers, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const now = Date.now();
  try {
    // The request target is split by hand: new URL() would read '//host/...' as a host.
    const target = request.url ?? '/';
    const questionMark = target.indexOf('?');
    const pathname = questionMark < 0 ? target : target.slice(0, questionMark);
    const search = new URLSearchParams(questionMark < 0 ? '' : target.slice(questionMark + 1));
    if (services.chunkPatches) response.setHeader(CHUNK_PATCHES_HEADER, '1');
    const { name, route, params } = matchRoute(request.method ?? 'GET', pathname);
    if (!services.chunkPatches && CHUNK_PATCH_ROUTES.has(name)) throw new ApiError('not-found', `no route ${request.method ?? 'GET'} ${pathname}; see docs/protocol.md`);
    const query = route.query === null ? refuseAnyQuery(search) : parseQuery(route.query, search);
    const caller = route.auth === 'token' ? await authenticate(services, request, now) : null;
    const libraryId = params.libraryId;
    const library = libraryId === undefined || caller === null ? null : await authorizeLibrary(services, name as LibraryRouteName, libraryId, caller);
    const handle = async (): Promise<void> => {
      const body = await readRequestBody(route, request, response, library, services.anonymousBodyTimeoutMs);
      const context = { services, params, query, body, caller, library, request, response, now };
      const handler = handlers[name] as unknown as (context: unknown) => Promise<unknown>;
      const result = await handler(context);
      switch (route.response.kind) {
        case 'json': {
          if (result instanceof StatusResult) await sendJson(request, response, result.status, result.value);
          else await sendJson(request, response, 200, result);
          break;
        }
        case 'chunk':
          sendBytes(response, CHUNK_CONTENT_TYPE, result as Uint8Array);
          break;
        case 'frames':
        case 'events':
          break;
        default:
          throw new Error(`unhandled response kind: ${JSON.stringify(route.response satisfies never)}`);
      }
    };
    await (VERSION_LISTING_ROUTES.has(name) ? withFrugalHeap(handle) : handle());
  } catch (error) {
    await answerError(request, response, error);
  }
}

async function answerError(request: IncomingMessage, response: ServerResponse, error: unknown): Promise<void> {
  // A request refused before its body was read (a wrong token, an unknown route) is not kept
  // open while a slow sender trickles the rest in: the connection closes after the answer.
  if (!request.complete && !response.headersSent) response.setHeader('Connection', 'close');
  if (response.headersSent) {
    // A streamed answer failed halfway: the client sees the body end early, never a partial
    // frame taken for a whole one (frames carry their length).
    if (!(error instanceof ApiError)) console.error('cairn-server: streamed response failed', error);
    response.destroy();
    return;
  }
  if (error instanceof ApiError) {
    await sendError(request, response, error);
    return;
  }
  console.error('cairn-server: internal error', error);
  await sendError(request, response, new ApiError('internal', 'internal server error; the server logged the details'));
}
