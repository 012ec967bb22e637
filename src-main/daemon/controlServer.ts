// The daemon's local control API: the SyncApi served on 127.0.0.1 as HTTP and server-sent
// events, plus (optionally) the built UI as static files, so the same React UI runs in a plain
// browser against a headless daemon, and the CLI can talk to a running one.
//
//   POST /api/<operation>   JSON request -> JSON response, or { error: { code, message } }
//   GET  /api/events        text/event-stream of SyncEvent, opened by a statusChanged
//   GET  /?token=<token>    redirects to /#token=<token> (links of earlier versions)
//   GET  /<file>            the UI's files, when a static folder is given
//
// Security: loopback only; every /api request carries the token as a Bearer header, compared in
// constant time. Never a cookie: cookies are not scoped by port, so every other page on
// 127.0.0.1 the user opens would receive it (and two daemons would overwrite each other's).
// The printed link carries the token in its URL fragment, which no server ever receives; the
// page keeps it for its own origin. A foreign Origin, a cross-site fetch or
// a Host other than 127.0.0.1/localhost on our port is refused (CSRF and DNS rebinding); request
// bodies are limited and must be JSON.

import { CONTROL_CONTENT_SECURITY_POLICY } from '../../shared/contentSecurityPolicy.js';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import type { OperationName, SyncApi, SyncEvent } from '../../shared/api/index.js';
import {
  CONTROL_EVENTS_PATH,
  SYNC_API_LIMITS,
  SyncApiError,
  apiErrorStatus,
  controlPageLink,
  invalidArgumentError,
  invokeOperation,
  operationForControlPath,
  syncApiOperations,
  syncEventSchema,
  toApiErrorBody,
} from '../../shared/api/index.js';
import { controlTokensEqual } from './controlToken.js';

/** The only address the control API listens on. */
export const CONTROL_HOST = '127.0.0.1';

/** A heartbeat comment keeps the event stream alive and finds clients that went away. */
export const CONTROL_EVENTS_HEARTBEAT_MS = 15_000;

/** An event stream whose client lets this much pile up unread is ended; it reconnects and resyncs. */
const MAX_UNREAD_EVENT_BYTES = 1024 * 1024;

/** A body over the limit is read and dropped so the answer arrives; past this many times the limit the connection is cut. */
const DRAIN_FACTOR = 16;

export interface ControlServerOptions {
  readonly api: SyncApi;
  /** Must be 127.0.0.1 (the default): the control API never listens on other interfaces. */
  readonly host?: string;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** The secret every /api request must carry (see controlToken.ts). */
  readonly token: string;
  /** A folder of static files (the built UI) served at /; nothing is served there without it. */
  readonly staticDir?: string;
  readonly heartbeatMs?: number;
  readonly maxRequestBytes?: number;
  /**
   * Told about bugs: an operation that threw something other than a SyncApiError, an answer or
   * event that breaks the contract. The caller logs them with their stack. Default: console.error.
   */
  readonly onBug?: (error: unknown) => void;
}

export interface ControlServer {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** Ends every event stream, waits for requests in flight, and stops listening. */
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Resource-Policy': 'same-origin',
} as const;


const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
};

export function contentTypeFor(fileName: string): string {
  return CONTENT_TYPES[path.extname(fileName).toLowerCase()] ?? 'application/octet-stream';
}

export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const host = options.host ?? CONTROL_HOST;
  if (host !== CONTROL_HOST) {
    throw new Error(`the control API listens on ${CONTROL_HOST} only (asked for ${host}): it must never be reachable from another machine`);
  }
  if (options.token.length < 32) throw new Error('the control token is too short: use createControlToken() from controlToken.ts');
  const staticRoot = options.staticDir === undefined ? null : await realpath(options.staticDir);
  if (staticRoot !== null && !(await stat(staticRoot)).isDirectory()) throw new Error(`${staticRoot} is not a folder`);

  const context: RequestContext = {
    api: options.api,
    token: options.token,
    staticRoot,
    heartbeatMs: options.heartbeatMs ?? CONTROL_EVENTS_HEARTBEAT_MS,
    maxRequestBytes: options.maxRequestBytes ?? SYNC_API_LIMITS.maxRequestBytes,
    onBug: options.onBug ?? ((error: unknown) => console.error('cairn daemon: control API bug', error)),
    allowedHosts: new Set(),
    allowedOrigins: new Set(),
    streams: new Set(),
    stopping: false,
  };

  let inFlight = 0;
  let drained: (() => void) | null = null;
  const sockets = new Set<Socket>();
  const server = createServer({ keepAliveTimeout: 5_000, requestTimeout: 60_000, headersTimeout: 20_000 }, (request, response) => {
    inFlight++;
    if (context.stopping) response.setHeader('Connection', 'close');
    void handleRequest(context, request, response)
      .catch((error: unknown) => {
        context.onBug(error);
        if (!response.headersSent) sendText(response, 500, 'internal error');
        else response.destroy();
      })
      .finally(() => {
        const finished = () => {
          inFlight--;
          if (inFlight === 0) drained?.();
        };
        if (response.writableFinished || response.destroyed) finished();
        else response.once('close', finished);
      });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  const address = await new Promise<AddressInfo>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
  const port = address.port;
  for (const name of [CONTROL_HOST, 'localhost']) {
    context.allowedHosts.add(`${name}:${port}`);
    context.allowedOrigins.add(`http://${name}:${port}`);
  }

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      context.stopping = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const finish of [...context.streams]) finish();
      server.closeIdleConnections();
      if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
      for (const socket of sockets) socket.destroy();
      await stopped;
    })();
    return closing;
  };

  return { url: `http://${CONTROL_HOST}:${port}`, port, close };
}

interface RequestContext {
  readonly api: SyncApi;
  readonly token: string;
  readonly staticRoot: string | null;
  readonly heartbeatMs: number;
  readonly maxRequestBytes: number;
  readonly onBug: (error: unknown) => void;
  /** `127.0.0.1:<port>` and `localhost:<port>`, filled once the port is known. */
  readonly allowedHosts: Set<string>;
  readonly allowedOrigins: Set<string>;
  /** Ends each open event stream. */
  readonly streams: Set<() => void>;
  stopping: boolean;
}

async function handleRequest(context: RequestContext, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const target = request.url ?? '';
  // Only origin-form targets ('/path?query'); a proxy-style absolute URL is not for us.
  if (!target.startsWith('/')) return sendText(response, 400, 'bad request target');
  const queryAt = target.indexOf('?');
  const pathname = queryAt === -1 ? target : target.slice(0, queryAt);
  const query = new URLSearchParams(queryAt === -1 ? '' : target.slice(queryAt + 1));
  const isApi = pathname === '/api' || pathname.startsWith('/api/');

  const refusal = refuseForeignRequest(context, request);
  if (refusal !== null) {
    return isApi ? sendApiError(response, new SyncApiError('forbidden', refusal)) : sendText(response, 403, refusal);
  }

  if (!isApi) return serveUi(context, request, response, pathname, query);

  if (!isAuthorized(context, request)) {
    return sendApiError(
      response,
      new SyncApiError('unauthorized', 'this request needs the control token: open the link `cairn daemon` printed, or send Authorization: Bearer <token>'),
      { 'WWW-Authenticate': 'Bearer realm="cairn"' },
    );
  }

  if (pathname === CONTROL_EVENTS_PATH) {
    if (request.method !== 'GET') return sendApiError(response, new SyncApiError('invalid-argument', `use GET for ${CONTROL_EVENTS_PATH}`), { Allow: 'GET' });
    return streamEvents(context, response);
  }

  const name = operationForControlPath(pathname);
  if (name === null) return sendApiError(response, new SyncApiError('not-found', `no operation at ${pathname}`));
  if (request.method !== 'POST') return sendApiError(response, new SyncApiError('invalid-argument', `use POST for ${pathname}`), { Allow: 'POST' });
  return answerOperation(context, request, response, name);
}

/**
 * Why a request must be refused whoever sends it, or null. A browser page from another origin
 * can make the user's browser send requests here (CSRF), and a hostile DNS name can point at
 * 127.0.0.1 (DNS rebinding); the Host, Origin and Sec-Fetch-Site headers expose both.
 */
function refuseForeignRequest(context: RequestContext, request: IncomingMessage): string | null {
  const host = request.headers.host?.toLowerCase();
  if (host === undefined || !context.allowedHosts.has(host)) return `requests must be addressed to ${[...context.allowedHosts].join(' or ')}`;
  const origin = request.headers.origin;
  if (origin !== undefined && !context.allowedOrigins.has(origin.toLowerCase())) return `requests from the web origin ${origin} are refused`;
  const site = request.headers['sec-fetch-site'];
  // 'none' is the user opening a link or typing the address; 'same-origin' is our own UI.
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `${site} requests are refused: open the daemon's link by pasting it into the address bar`;
  return null;
}

function bearerToken(request: IncomingMessage): string | null {
  const header = request.headers.authorization;
  if (header === undefined) return null;
  const match = /^Bearer +(\S+) *$/i.exec(header);
  return match?.[1] ?? null;
}

function isAuthorized(context: RequestContext, request: IncomingMessage): boolean {
  const presented = bearerToken(request);
  return presented !== null && controlTokensEqual(presented, context.token);
}

// ---- operations ---------------------------------------------------------------------------

async function answerOperation(context: RequestContext, request: IncomingMessage, response: ServerResponse, name: OperationName): Promise<void> {
  const mediaType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    response.setHeader('Connection', 'close');
    return sendApiError(response, new SyncApiError('invalid-argument', `send the request as application/json (got ${mediaType === '' ? 'no content type' : mediaType})`));
  }
  const body = await readBody(request, response, context.maxRequestBytes);
  switch (body.kind) {
    case 'aborted':
      return;
    case 'too-large':
      return sendApiError(response, new SyncApiError('payload-too-large', `the request is larger than ${context.maxRequestBytes} bytes`));
    case 'read':
      break;
    default:
      throw new Error(`unhandled body result: ${JSON.stringify(body satisfies never)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(body.body.toString('utf8'));
  } catch (error) {
    return sendApiError(response, new SyncApiError('invalid-argument', `the request is not JSON: ${(error as Error).message}`));
  }
  const definition = syncApiOperations[name];
  const parsed = definition.request.safeParse(value);
  if (!parsed.success) return sendApiError(response, invalidArgumentError(`${name} request`, parsed.error));

  let result: unknown;
  try {
    result = await invokeOperation(context.api, name, parsed.data);
  } catch (error) {
    if (!(error instanceof SyncApiError)) context.onBug(error);
    return sendApiError(response, error);
  }
  const checked = definition.response.safeParse(result);
  if (!checked.success) {
    const bug = new SyncApiError('internal', `the answer to ${name} broke the contract: ${checked.error.message}`);
    context.onBug(bug);
    return sendApiError(response, bug);
  }
  sendJson(response, 200, checked.data);
}

type BodyResult = { readonly kind: 'read'; readonly body: Buffer } | { readonly kind: 'too-large' } | { readonly kind: 'aborted' };

/**
 * Reads the whole body. An oversized body is read to its end and dropped (up to DRAIN_FACTOR
 * times the limit), so the client receives the answer instead of a reset connection; beyond
 * that the connection is cut. A client that goes away mid-body is no error of ours.
 */
async function readBody(request: IncomingMessage, response: ServerResponse, limit: number): Promise<BodyResult> {
  const parts: Buffer[] = [];
  let total = 0;
  try {
    for await (const part of request) {
      const buffer = part as Buffer;
      total += buffer.length;
      if (total > limit * DRAIN_FACTOR) {
        request.destroy();
        return { kind: 'aborted' };
      }
      if (total <= limit) parts.push(buffer);
    }
  } catch {
    request.destroy();
    return { kind: 'aborted' };
  }
  if (total > limit) {
    response.setHeader('Connection', 'close');
    return { kind: 'too-large' };
  }
  return { kind: 'read', body: Buffer.concat(parts, total) };
}

function sendJson(response: ServerResponse, status: number, value: unknown, headers: Readonly<Record<string, string>> = {}): void {
  if (response.headersSent || response.destroyed) return;
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    ...headers,
    'Cache-Control': 'no-store',
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(body.length),
  });
  response.end(body);
}

function sendApiError(response: ServerResponse, error: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const body = toApiErrorBody(error);
  sendJson(response, apiErrorStatus(body.error.code), body, headers);
}

function sendText(response: ServerResponse, status: number, text: string, headers: Readonly<Record<string, string>> = {}): void {
  if (response.headersSent || response.destroyed) return;
  const body = Buffer.from(`${text}\n`, 'utf8');
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    ...headers,
    'Cache-Control': 'no-store',
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(body.length),
  });
  response.end(body);
}

// ---- events -------------------------------------------------------------------------------

/**
 * Streams SyncEvents. The stream subscribes first and then sends the current status as its
 * first event, holding back what arrives meanwhile: since every event carries the whole new
 * value of what it concerns, applying the held-back events after the status still ends at
 * the truth, and nothing can fall between the status and the stream.
 */
function streamEvents(context: RequestContext, response: ServerResponse): void {
  let closed = false;
  let ready = false;
  const held: SyncEvent[] = [];

  const write = (text: string) => {
    if (closed || response.destroyed) return;
    response.write(text);
    // A client that stops reading must not make the daemon hold every event for it.
    if (response.writableLength > MAX_UNREAD_EVENT_BYTES) finish();
  };
  const send = (event: SyncEvent) => {
    const checked = syncEventSchema.safeParse(event);
    if (!checked.success) {
      context.onBug(new Error(`a ${event.kind} event broke the contract and was not sent: ${checked.error.message}`));
      return;
    }
    write(`data: ${JSON.stringify(checked.data)}\n\n`);
  };

  const unsubscribe = context.api.subscribe((event) => {
    if (ready) send(event);
    else held.push(event);
  });
  const heartbeat = setInterval(() => write(': heartbeat\n\n'), context.heartbeatMs);

  function finish(): void {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    unsubscribe();
    context.streams.delete(finish);
    response.end();
  }
  context.streams.add(finish);
  // The response closes when the client goes away (or the stream ends); that is the signal.
  response.once('close', finish);

  response.writeHead(200, {
    ...SECURITY_HEADERS,
    'Cache-Control': 'no-store',
    'Content-Type': 'text/event-stream; charset=utf-8',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  response.write(': connected\n\n');

  void context.api
    .getStatus({})
    .then(
      (status) => send({ kind: 'statusChanged', status }),
      (error: unknown) => {
        // Without a status the stream still carries events; the client reads the status itself.
        if (!(error instanceof SyncApiError)) context.onBug(error);
      },
    )
    .finally(() => {
      ready = true;
      for (const event of held.splice(0)) send(event);
    });
}

// ---- the UI -------------------------------------------------------------------------------

async function serveUi(context: RequestContext, request: IncomingMessage, response: ServerResponse, pathname: string, query: URLSearchParams): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return sendText(response, 405, 'only GET and HEAD are served here', { Allow: 'GET, HEAD' });

  const linkToken = query.get('token');
  if (pathname === '/' && linkToken !== null) {
    if (!controlTokensEqual(linkToken, context.token)) {
      return sendText(response, 401, 'This link is out of date: open the link the Cairn daemon printed when it last started.');
    }
    // A link of an earlier version: the token moves into the fragment, which the page takes
    // and keeps for its own origin (never a cookie: see the top of this file).
    response.writeHead(303, {
      ...SECURITY_HEADERS,
      'Cache-Control': 'no-store',
      Location: controlPageLink('', context.token),
      'Content-Length': '0',
    });
    response.end();
    return;
  }

  if (context.staticRoot === null) return sendText(response, 404, 'This daemon serves no UI; the API is at /api/.');
  const file = await resolveStaticFile(context.staticRoot, pathname);
  if (file === null) return sendText(response, 404, 'not found');

  const contentType = contentTypeFor(file.path);
  const headers: Record<string, string> = {
    ...SECURITY_HEADERS,
    'Cache-Control': 'no-cache',
    'Content-Type': contentType,
    'Content-Length': String(file.size),
  };
  if (contentType.startsWith('text/html')) headers['Content-Security-Policy'] = CONTROL_CONTENT_SECURITY_POLICY;
  response.writeHead(200, headers);
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  await new Promise<void>((resolve) => {
    const stream = createReadStream(file.path);
    stream.once('error', () => {
      response.destroy();
      resolve();
    });
    stream.once('end', resolve);
    response.once('close', () => {
      stream.destroy();
      resolve();
    });
    stream.pipe(response);
  });
}

/**
 * The file a URL path names inside the static folder, or null. Every decoded segment must be an
 * ordinary name (no '.', '..', separators, NUL, drive colons or leading dots), and the real
 * path, symlinks followed, must still lie inside the folder.
 */
export async function resolveStaticFile(root: string, pathname: string): Promise<{ path: string; size: number } | null> {
  const raw = pathname.endsWith('/') ? `${pathname}index.html` : pathname;
  const segments: string[] = [];
  for (const encoded of raw.split('/').slice(1)) {
    let segment: string;
    try {
      segment = decodeURIComponent(encoded);
    } catch {
      return null;
    }
    if (segment.length === 0 || segment.startsWith('.') || segment.includes('\u0000') || /[/\\:]/.test(segment)) return null;
    segments.push(segment);
  }
  if (segments.length === 0) return null;
  let real: string;
  try {
    real = await realpath(path.join(root, ...segments));
  } catch {
    return null;
  }
  if (!real.startsWith(root + path.sep)) return null;
  const info = await stat(real).catch(() => null);
  if (info === null || !info.isFile()) return null;
  return { path: real, size: info.size };
}
