// Reading request bodies and writing responses, with the limits and encodings of the protocol.
// The only module that touches node:zlib and raw request/response streams; the router and the
// handlers call it.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { once } from 'node:events';
import { createGunzip, createGzip, gzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { z } from 'zod';
import { commitRequestSchema, errorBody, errorStatus, validationIssues } from '../shared/protocol/index.js';
import { fastCommitRequest } from '../shared/protocol/fastCommit.js';
import { ApiError } from './apiError.js';

const gzipAsync = promisify(gzip);

/** JSON answers smaller than this are sent uncompressed; gzip would not pay for itself. */
const COMPRESS_FROM_BYTES = 1024;

/** Marks a response whose request body was not read to the end: the connection cannot be reused. */
function closeAfterResponse(response: ServerResponse): void {
  if (!response.headersSent) response.setHeader('Connection', 'close');
}

/** What a route accepts as its body. */
export interface BodyLimits {
  /** Most bytes, counted after decompression. */
  readonly maxBytes: number;
  /** Whether Content-Encoding: gzip is accepted (never on routes anyone may call). */
  readonly gzip: boolean;
  /** The whole body must arrive within this many milliseconds (routes without a token). */
  readonly deadlineMs?: number;
}

/**
 * Reads the body as it arrives, decompressing a gzip body as a stream, and hands each piece to
 * `onPiece` (which may throw to refuse the request). More than `maxBytes` after decompression
 * is refused with `payload-too-large` as soon as the limit is crossed, so no request makes
 * the server hold or inflate more than its limit, and no piece is bigger than what arrived.
 * A promise `onPiece` returns is awaited before the next piece is read, so a slow consumer
 * (a disk write) holds the sender back instead of piling up pieces in memory.
 * The one place where request bodies are read and their limits kept.
 */
export async function readBodyPieces(
  request: IncomingMessage,
  response: ServerResponse,
  limits: BodyLimits,
  onPiece: (piece: Buffer) => void | Promise<void>,
): Promise<void> {
  const encoding = (request.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity' && (encoding !== 'gzip' || !limits.gzip)) {
    closeAfterResponse(response);
    throw new ApiError('unsupported-media-type', `content encoding ${encoding} is not supported here; send ${limits.gzip ? 'identity or gzip' : 'the body uncompressed'}`);
  }
  const declared = request.headers['content-length'];
  if (declared !== undefined && Number(declared) > limits.maxBytes) {
    closeAfterResponse(response);
    throw new ApiError('payload-too-large', `the body is ${declared} bytes; the limit for this route is ${limits.maxBytes} bytes`);
  }
  const gunzip = encoding === 'gzip' ? createGunzip() : null;
  if (gunzip !== null) {
    // pipe() passes on data, not failures: a body cut off (or timed out) fails the gunzip too.
    request.once('error', (error) => gunzip.destroy(error));
    request.once('aborted', () => gunzip.destroy(new Error('the client went away')));
    request.pipe(gunzip);
  }
  const source: NodeJS.ReadableStream = gunzip ?? request;
  const deadline =
    limits.deadlineMs === undefined
      ? undefined
      : setTimeout(() => request.destroy(new ApiError('bad-request', `the body did not arrive within ${limits.deadlineMs} ms`)), limits.deadlineMs);
  let total = 0;
  try {
    for await (const part of source) {
      const piece = part as Buffer;
      total += piece.length;
      if (total > limits.maxBytes) throw new ApiError('payload-too-large', `the body exceeds the limit for this route (${limits.maxBytes} bytes)`);
      await onPiece(piece);
    }
  } catch (error) {
    closeAfterResponse(response);
    if (error instanceof ApiError) throw error;
    if (encoding === 'gzip') throw new ApiError('bad-request', 'the gzip body could not be decompressed');
    throw error;
  } finally {
    clearTimeout(deadline);
    // Nothing more is inflated from a refused body; the connection closes after the answer.
    if (gunzip !== null) {
      request.unpipe(gunzip);
      gunzip.destroy();
    }
  }
}

/** Reads the whole body within its limits (see readBodyPieces). */
export async function readBody(request: IncomingMessage, response: ServerResponse, limits: BodyLimits): Promise<Buffer> {
  const parts: Buffer[] = [];
  let total = 0;
  await readBodyPieces(request, response, limits, (piece) => {
    parts.push(piece);
    total += piece.length;
  });
  return Buffer.concat(parts, total);
}

/** Checks the Content-Type's media type (parameters such as charset are ignored). */
export function requireContentType(request: IncomingMessage, response: ServerResponse, expected: string): void {
  const mediaType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType !== expected) {
    closeAfterResponse(response);
    throw new ApiError('unsupported-media-type', `send this body as ${expected} (got ${mediaType === '' ? 'no content type' : mediaType})`);
  }
}

/** Flattens zod issues into the `bad-request` details: where, and what is wrong. */
export function validationError(what: string, error: z.ZodError): ApiError {
  const { details, summary } = validationIssues(error);
  return new ApiError('bad-request', `invalid ${what}${summary}`, details);
}

/**
 * Hand-written checks that stand in for a schema on the bodies they can decide, with exactly the
 * schema's verdict and output (see fastCommit.ts); on any other body they decline and the schema
 * decides.
 */
const FAST_PARSERS: ReadonlyMap<z.ZodType, (value: unknown) => unknown> = new Map<z.ZodType, (value: unknown) => unknown>([
  [commitRequestSchema, fastCommitRequest],
]);

/** Parses and validates a JSON body. */
export function parseJson<Schema extends z.ZodType>(body: Buffer, schema: Schema): z.output<Schema> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new ApiError('bad-request', `malformed JSON: ${(error as Error).message}`);
  }
  const fast = FAST_PARSERS.get(schema)?.(value);
  if (fast !== undefined) return fast as z.output<Schema>;
  const result = schema.safeParse(value);
  if (!result.success) throw validationError('request body', result.error);
  return result.data;
}

function acceptsGzip(request: IncomingMessage): boolean {
  const accepted = request.headers['accept-encoding'];
  if (typeof accepted !== 'string') return false;
  return accepted.split(',').some((part) => {
    const [coding, ...parameters] = part.split(';').map((piece) => piece.trim().toLowerCase());
    if (coding !== 'gzip') return false;
    const quality = parameters.find((parameter) => parameter.startsWith('q='));
    return quality === undefined || Number(quality.slice(2)) > 0;
  });
}

const COMMON_HEADERS = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' } as const;

/** An array property of an answer longer than this is serialized this many elements at a time. */
export const JSON_SLICE_ELEMENTS = 256;

/** JSON text is handed to gzip (or turned into bytes) in pieces of about this many characters. */
const JSON_BATCH_CHARS = 64 * 1024;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/**
 * The JSON text of `value` in pieces whose concatenation is exactly JSON.stringify(value): each
 * array property of a plain object longer than JSON_SLICE_ELEMENTS (the entries of a feed page,
 * the results of a commit) is serialized JSON_SLICE_ELEMENTS elements at a time. So an answer
 * listing 10,000 versions is never held as one string of megabytes, nor as its bytes.
 */
export function* jsonPieces(value: unknown): Generator<string> {
  if (!isPlainObject(value) || typeof value.toJSON === 'function') {
    const text = JSON.stringify(value) as string | undefined;
    if (text !== undefined) yield text;
    return;
  }
  let separator = '';
  yield '{';
  for (const key of Object.keys(value)) {
    const field = value[key];
    if (Array.isArray(field) && field.length > JSON_SLICE_ELEMENTS && !('toJSON' in field)) {
      yield `${separator}${JSON.stringify(key)}:[`;
      for (let start = 0; start < field.length; start += JSON_SLICE_ELEMENTS) {
        const slice = JSON.stringify(field.slice(start, start + JSON_SLICE_ELEMENTS));
        yield `${start === 0 ? '' : ','}${slice.slice(1, -1)}`;
      }
      yield ']';
    } else {
      const text = JSON.stringify(field) as string | undefined;
      if (text === undefined) continue;
      yield `${separator}${JSON.stringify(key)}:${text}`;
    }
    separator = ',';
  }
  yield '}';
}

/** The pieces of jsonPieces gathered into strings of about JSON_BATCH_CHARS. */
function* jsonBatches(value: unknown): Generator<string> {
  let batch = '';
  for (const piece of jsonPieces(value)) {
    batch += piece;
    if (batch.length >= JSON_BATCH_CHARS) {
      yield batch;
      batch = '';
    }
  }
  if (batch.length > 0) yield batch;
}

/** Gzips text arriving in pieces, holding only the compressed bytes. */
async function gzipPieces(first: string, rest: Iterator<string>): Promise<Buffer[]> {
  const stream = createGzip();
  const compressed: Buffer[] = [];
  stream.on('data', (data: Buffer) => compressed.push(data));
  const ended = once(stream, 'end');
  try {
    for (let piece: string | undefined = first; piece !== undefined; ) {
      if (!stream.write(piece)) await once(stream, 'drain');
      const next = rest.next();
      piece = next.done === true ? undefined : next.value;
    }
    stream.end();
    await ended;
  } finally {
    stream.destroy();
  }
  return compressed;
}

/**
 * Sends a JSON answer, gzipped when the client accepts it and it is worth it. A long answer is
 * serialized and compressed (or encoded) in batches (see jsonPieces): the server holds its
 * compressed bytes, never the whole text.
 */
export async function sendJson(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  value: unknown,
  headers: Readonly<Record<string, string>> = {},
): Promise<void> {
  const batches = jsonBatches(value);
  const first = batches.next();
  const firstText = first.done === true ? '' : first.value;
  const second = batches.next();
  let body: Buffer[];
  let compress: boolean;
  if (second.done === true) {
    // One batch: the whole answer is short.
    const text = Buffer.from(firstText, 'utf8');
    compress = text.length >= COMPRESS_FROM_BYTES && acceptsGzip(request);
    body = [compress ? await gzipAsync(text) : text];
  } else {
    compress = acceptsGzip(request);
    const rest: Iterator<string> = (function* () {
      yield second.value;
      yield* batches;
    })();
    if (compress) {
      body = await gzipPieces(firstText, rest);
    } else {
      body = [Buffer.from(firstText, 'utf8')];
      for (let next = rest.next(); next.done !== true; next = rest.next()) body.push(Buffer.from(next.value, 'utf8'));
    }
  }
  if (response.headersSent || response.destroyed) return;
  const length = body.reduce((sum, piece) => sum + piece.length, 0);
  response.writeHead(status, {
    ...COMMON_HEADERS,
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(length),
    Vary: 'Accept-Encoding',
    ...(compress ? { 'Content-Encoding': 'gzip' } : {}),
  });
  response.cork();
  for (let index = 0; index < body.length - 1; index++) response.write(body[index]);
  response.end(body.at(-1));
}

export async function sendError(request: IncomingMessage, response: ServerResponse, error: ApiError): Promise<void> {
  await sendJson(request, response, errorStatus(error.code), errorBody(error.code, error.message, error.details), error.headers);
}

export function sendBytes(response: ServerResponse, contentType: string, bytes: Uint8Array): void {
  response.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': contentType, 'Content-Length': String(bytes.length) });
  response.end(bytes);
}

/** Starts a streamed answer (frames, events); the caller writes the body. */
export function startStream(response: ServerResponse, contentType: string, headers: Readonly<Record<string, string>> = {}): void {
  response.writeHead(200, { ...COMMON_HEADERS, ...headers, 'Content-Type': contentType });
  response.flushHeaders();
}

/** Writes to a streamed answer, waiting while the client is slow to read. */
export async function writeStream(response: ServerResponse, data: Uint8Array | string): Promise<void> {
  if (response.destroyed) throw new Error('the client went away');
  if (response.write(data)) return;
  await new Promise<void>((resolve, reject) => {
    const cleanup = () => {
      response.off('drain', onDrain);
      response.off('close', onClose);
    };
    const onDrain = () => {
      cleanup();
      resolve();
    };
    const onClose = () => {
      cleanup();
      reject(new Error('the client went away'));
    };
    response.on('drain', onDrain);
    response.on('close', onClose);
  });
}

/** Pieces smaller than this are gathered before they are written; larger ones go out as they are. */
const COALESCE_BELOW_BYTES = 64 * 1024;
/** Gathered pieces are written once they add up to this much. */
const COALESCED_WRITE_BYTES = 256 * 1024;

/**
 * Writes a streamed answer in few large writes: small pieces (frame headers, small chunks) are
 * gathered into one write, so a download of thousands of small chunks does not cost two
 * socket writes per chunk. Large pieces are written without a copy.
 */
export class CoalescedWriter {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;

  constructor(private readonly response: ServerResponse) {}

  async write(piece: Uint8Array): Promise<void> {
    if (piece.length >= COALESCE_BELOW_BYTES) {
      await this.flush();
      await writeStream(this.response, piece);
      return;
    }
    this.pending.push(piece);
    this.pendingBytes += piece.length;
    if (this.pendingBytes >= COALESCED_WRITE_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    await writeStream(this.response, data);
  }
}
