// The client side of the Cairn protocol, and the only module of the client that uses undici (through undiciCore.ts).
// Every call is derived from the shared route table; every JSON answer is validated with the
// route's schema before anyone sees it; every downloaded chunk is verified against its id.
// Failures of any kind surface as RemoteError (see remoteError.ts).

import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createGunzip, gzip } from 'node:zlib';
import { Agent, request } from './undiciCore.js';
import type { Dispatcher } from 'undici';
import {
  CHUNK_CONTENT_TYPE,
  CHUNK_DELTAS_HEADER,
  CHUNK_PATCHES_HEADER,
  CLIENT_VERIFIES_HEADER,
  CHUNK_PATCH_LIMITS,
  ChunkPatchError,
  FOLDER_MOVES_HEADER,
  PATCH_BASE_ID_BYTES,
  applyPatch,
  decodeSignature,
  hexToBytes,
  FRAME_HEADER_BYTES,
  FRAMES_CONTENT_TYPE,
  FrameDecoder,
  PROTOCOL_LIMITS,
  buildPath,
  buildQuery,
  encodeFrameHeader,
  routes,
  serverEventSchema,
} from '../../../shared/protocol/index.js';
import { boundedBatches } from '../../../shared/batches.js';
import { changesResponseSchema, commitResponseSchema } from '../../../shared/protocol/index.js';
import { parseChangesAnswer, parseCommitAnswer } from '../../../shared/protocol/fastEntries.js';
import type {
  Frame,
  PathParams,
  RouteDefinition,
  RouteQuery,
  RouteRequest,
  RouteResponse,
  ServerEvent,
  BlockSignature,
} from '../../../shared/protocol/index.js';
import { CHUNK_SIZE_LIMITS } from '../../../shared/model.js';
import { chunkIdOf } from '../../../shared/node/contentHash.js';
import { EventTooLongError, ServerSentEventParser } from '../../../shared/serverSentEvents.js';
import type { ChunkId } from '../../../shared/model.js';
import { RemoteError, answerKind, errorFromAnswer, errorFromTransport } from './remoteError.js';

export interface ServerClientOptions {
  /** The server's base URL, e.g. http://127.0.0.1:8080 (no /api/v1). */
  readonly baseUrl: string;
  /** The device token; absent only for health and login. */
  readonly token?: string;
  /** Parallel connections to the server (a few transfers in flight). */
  readonly connections?: number;
  /** How long to wait for an answer's headers, except for long-polls. */
  readonly timeoutMs?: number;
  /** Use chunk patches where the server announces them (default true). */
  readonly chunkPatches?: boolean;
}

type CallOptions<Route extends RouteDefinition> = {
  readonly params?: PathParams<Route['path']>;
  readonly query?: RouteQuery<Route>;
  readonly body?: RouteRequest<Route>;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
  /**
   * Ask for chunk lists as deltas (CHUNK_DELTAS_HEADER) in the change feed and the commit
   * answer: the caller then resolves `chunkDelta` entries (remoteEntries.resolveChunkDeltas).
   */
  readonly chunkDeltas?: boolean;
  /** Ask for folder moves folded (FOLDER_MOVES_HEADER) in the change feed: remoteEntries.unfoldFolderMoves. */
  readonly folderMoves?: boolean;
};

/** JSON request bodies at least this long are sent gzipped. */
const GZIP_REQUEST_BYTES = 16 * 1024;
const gzipAsync = promisify(gzip);

/** The largest total of chunk bytes we put in one batched upload request. */
const UPLOAD_BATCH_BYTES = 4 * 1024 * 1024;

/** Frame buffers of an answer are allocated without zero-filling (see FrameDecoder), each with its own memory. */
function allocateFrame(length: number): Uint8Array {
  const buffer = Buffer.allocUnsafeSlow(length);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, length);
}
/** An upload's batch buffers wait this long for the next upload (see spareUpload), then are let go. */
const UPLOAD_SPARE_IDLE_MS = 2000;
/** How many chunks we ask for in one batched download. */
const DOWNLOAD_BATCH_IDS = 256;

/** A request body: a string or bytes, or a stream (sent as it comes, never retried). */
type RequestBody = string | Uint8Array | AsyncIterable<Uint8Array>;

export class ServerClient {
  readonly baseUrl: string;
  private readonly dispatcher: Agent;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;
  /** Aborts every request of this client (see withSignal); unset on a plain client. */
  private abortSignal: AbortSignal | undefined;
  /** What the server announced on its answers (shared with the views withSignal makes). */
  private readonly announced = { chunkPatches: false };
  /** Whether to use what the server announces (false: behave as a client before chunk patches). */
  private readonly useChunkPatches: boolean;
  /**
   * The batch buffers of the last finished upload, taken by the next one (shared with the views
   * withSignal makes): a scan's early upload sends a batch every few MiB, each its own
   * uploadChunks call, and two new buffers of ~4.5 MiB a call were garbage faster than the
   * collector freed them. Let go after UPLOAD_SPARE_IDLE_MS without an upload.
   */
  private readonly spareUpload: { batches: UploadBatch[]; timer: NodeJS.Timeout | undefined } = { batches: [], timer: undefined };

  constructor(options: ServerClientOptions) {
    const url = new URL(options.baseUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`not an http(s) URL: ${options.baseUrl}`);
    this.baseUrl = url.origin + url.pathname.replace(/\/+$/, '');
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.useChunkPatches = options.chunkPatches ?? true;
    this.dispatcher = new Agent({
      connections: options.connections ?? 4,
      keepAliveTimeout: 30_000,
      connectTimeout: 10_000,
      headersTimeout: 0,
      bodyTimeout: 0,
    });
  }

  /** Closes the connection pool. In-flight requests are aborted. */
  async close(): Promise<void> {
    await this.dispatcher.destroy();
  }

  /**
   * This client, on the same connections, with every request it starts also aborted when
   * `signal` aborts: requests in flight end at once (a pause stops the transfer it interrupts
   * within moments, not when the transfer is done) and no new one starts.
   */
  withSignal(signal: AbortSignal): ServerClient {
    const view = Object.create(this) as ServerClient;
    view.abortSignal = this.abortSignal === undefined ? signal : AbortSignal.any([this.abortSignal, signal]);
    return view;
  }

  /** A client for the same server with a token (after login). */
  withToken(token: string): ServerClient {
    return new ServerClient({ baseUrl: this.baseUrl, token, timeoutMs: this.timeoutMs, chunkPatches: this.useChunkPatches });
  }

  /** Whether the server announced the chunk patch routes on an answer (CHUNK_PATCHES_HEADER) and this client uses them. */
  get chunkPatches(): boolean {
    return this.useChunkPatches && this.announced.chunkPatches;
  }

  /**
   * Calls a JSON route and returns its validated answer. A route whose answer is not JSON
   * (chunks, frames, events) has its own method below.
   */
  async call<Route extends RouteDefinition>(route: Route, options: CallOptions<Route> = {}): Promise<RouteResponse<Route>> {
    if (route.response.kind !== 'json') throw new TypeError(`${route.path} does not answer JSON`);
    const schema = route.response.schema;
    let payload: { body: string | Uint8Array; contentType: string; contentEncoding?: 'gzip' } | undefined;
    if (route.request.kind === 'json') {
      const json = JSON.stringify(options.body ?? {});
      // Large bodies (a commit's chunk lists) shrink by half or more; small ones are not worth it.
      payload = json.length >= GZIP_REQUEST_BYTES ? { body: await gzipAsync(json), contentType: 'application/json', contentEncoding: 'gzip' } : { body: json, contentType: 'application/json' };
    }
    const text = await this.send(route, options, payload, route.response.maxBytes);
    let parsed: unknown;
    const answerText = text.toString('utf8');
    try {
      parsed = JSON.parse(answerText);
    } catch (error) {
      throw new RemoteError('unavailable', `the server at ${this.baseUrl} did not answer JSON; is it a Cairn server?`, 200, { answer: answerKind(answerText) }, 'not-cairn', { cause: error });
    }
    // The answers listing thousands of versions: a checked fast path, zod for anything else.
    const result = schema === changesResponseSchema ? parseChangesAnswer(parsed) : schema === commitResponseSchema ? parseCommitAnswer(parsed) : schema.safeParse(parsed);
    if (!result.success) {
      throw new RemoteError('unavailable', `the server's answer to ${route.method} ${route.path} does not match the protocol: ${result.error.message}`, 200, { answer: 'json' }, 'not-cairn');
    }
    return result.data as RouteResponse<Route>;
  }

  /** Sends one request and returns the whole 2xx body (at most `maxBytes`), or throws a RemoteError. */
  private async send(
    route: RouteDefinition,
    options: { params?: unknown; query?: unknown; signal?: AbortSignal; timeoutMs?: number; chunkDeltas?: boolean; folderMoves?: boolean; clientVerifies?: boolean },
    payload: { body: RequestBody; contentType: string; contentEncoding?: 'gzip' } | undefined,
    maxBytes: number,
  ): Promise<Buffer> {
    const answer = await this.open(route, options, payload);
    const bytes = await this.readAnswer(route, answer, maxBytes);
    if (answer.statusCode < 200 || answer.statusCode > 299) throw errorFromAnswer(answer.statusCode, bytes.toString('utf8'));
    return bytes;
  }

  /**
   * Reads a whole answer, inflating it as it arrives when it is gzipped, and refuses it as soon
   * as it grows past `maxBytes` (compressed or not): a hostile or broken server can make the
   * client hold no more than that, whatever it sends.
   */
  private async readAnswer(route: RouteDefinition, answer: Dispatcher.ResponseData, maxBytes: number): Promise<Buffer> {
    const { statusCode, headers, body } = answer;
    const gzipped = headers['content-encoding'] === 'gzip';
    const parts: Buffer[] = [];
    let total = 0;
    const tooLong = (): RemoteError =>
      new RemoteError('unavailable', `the server's answer to ${route.method} ${route.path} is longer than the ${maxBytes} bytes a client reads`, statusCode, undefined, 'too-long');
    // An answer announced longer than the limit is refused before any of it is read.
    const declared = Number(headers['content-length'] ?? 0);
    if (declared > maxBytes) {
      body.destroy();
      throw tooLong();
    }
    const collect = async (source: AsyncIterable<Buffer>): Promise<void> => {
      for await (const part of source) {
        total += part.length;
        if (total > maxBytes) throw tooLong();
        parts.push(part);
      }
    };
    try {
      if (gzipped) {
        let received = 0;
        const counted = async function* (source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
          for await (const part of source) {
            received += part.length;
            if (received > maxBytes) throw tooLong();
            yield part;
          }
        };
        await pipeline(body, counted, createGunzip(), collect);
      } else {
        await collect(body);
      }
    } catch (error) {
      body.destroy();
      if (error instanceof RemoteError) throw error;
      if (isZlibError(error)) {
        throw new RemoteError('unavailable', `the server's compressed answer could not be read`, statusCode, undefined, 'not-cairn', { cause: error });
      }
      throw errorFromTransport(error, this.baseUrl);
    }
    return Buffer.concat(parts, total);
  }

  /** Starts a request and returns the raw answer (status and body stream). */
  private async open(
    route: RouteDefinition,
    options: { params?: unknown; query?: unknown; signal?: AbortSignal; timeoutMs?: number; chunkDeltas?: boolean; folderMoves?: boolean; clientVerifies?: boolean },
    payload?: { body: RequestBody; contentType: string; contentEncoding?: 'gzip' },
  ): Promise<Dispatcher.ResponseData> {
    const path = buildPath(route, (options.params ?? {}) as PathParams<string>);
    const query = options.query === undefined ? '' : buildQuery(options.query as Record<string, string | number | boolean | undefined>);
    const url = `${this.baseUrl}${path}${query}`;
    const headers: Record<string, string> = { accept: 'application/json', 'accept-encoding': 'gzip' };
    if (route.auth === 'token') {
      if (this.token === undefined) throw new RemoteError('unauthorized', 'not logged in', null);
      headers.authorization = `Bearer ${this.token}`;
    }
    if (payload !== undefined) headers['content-type'] = payload.contentType;
    if (payload?.contentEncoding !== undefined) headers['content-encoding'] = payload.contentEncoding;
    if (options.chunkDeltas === true) headers[CHUNK_DELTAS_HEADER] = '1';
    if (options.folderMoves === true) headers[FOLDER_MOVES_HEADER] = '1';
    if (options.clientVerifies === true) headers[CLIENT_VERIFIES_HEADER] = '1';
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    this.abortSignal?.throwIfAborted();
    const timeout = timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined;
    const callerSignals = [options.signal, this.abortSignal].filter((item): item is AbortSignal => item !== undefined);
    const caller = callerSignals.length <= 1 ? callerSignals[0] : AbortSignal.any(callerSignals);
    const signal = timeout && caller ? AbortSignal.any([timeout, caller]) : (timeout ?? caller);
    // A keep-alive connection the server has just closed fails at once with a reset; sending
    // the request again on a fresh connection is safe for every route but the ones that change
    // state without a precondition (a commit carries base revisions, so a replay conflicts
    // rather than applying twice, but login would mint a second token).
    const body = payload?.body;
    const retryable = body === undefined || typeof body !== 'object' || body instanceof Uint8Array;
    for (let attempt = 1; ; attempt++) {
      try {
        const answer = await request(url, {
          method: route.method,
          headers,
          body: body as Dispatcher.DispatchOptions['body'],
          dispatcher: this.dispatcher,
          signal,
        });
        // The latest answer decides: a server replaced by an older one is noticed at once.
        this.announced.chunkPatches = answer.headers[CHUNK_PATCHES_HEADER] === '1';
        return answer;
      } catch (error) {
        if (caller?.aborted) throw error;
        if (timeout?.aborted) throw new RemoteError('unavailable', `the server at ${this.baseUrl} did not answer within ${timeoutMs} ms`, null, undefined, 'timeout', { cause: error });
        const remote = errorFromTransport(error, this.baseUrl);
        if (remote.transport === 'reset' && attempt === 1 && retryable && route !== routes.login) continue;
        throw remote;
      }
    }
  }

  /** The RemoteError a non-2xx answer of a route without a JSON answer stands for (its body read within limits). */
  private async errorOf(route: RouteDefinition, answer: Dispatcher.ResponseData): Promise<RemoteError> {
    const bytes = await this.readAnswer(route, answer, PROTOCOL_LIMITS.maxAnswerBytes);
    return errorFromAnswer(answer.statusCode, bytes.toString('utf8'));
  }

  // ---- chunks ----------------------------------------------------------------------------

  /** The ids among `ids` that the library lacks (asked in batches the server accepts). */
  async missingChunks(libraryId: string, ids: readonly ChunkId[]): Promise<Set<ChunkId>> {
    const unique = [...new Set(ids)];
    const missing = new Set<ChunkId>();
    for (let start = 0; start < unique.length; start += PROTOCOL_LIMITS.maxIdsPerRequest) {
      const batch = unique.slice(start, start + PROTOCOL_LIMITS.maxIdsPerRequest);
      const answer = await this.call(routes.missingChunks, { params: { libraryId }, body: { ids: batch } });
      for (const id of answer.missing) missing.add(id);
    }
    return missing;
  }

  /**
   * Uploads chunks, many per request, with a second request in flight while the next batch is
   * read. `source` must yield chunks already verified against their ids (readChunk does: a
   * file that changed since it was hashed is never uploaded under the old id); the server
   * verifies every chunk again. Each frame's bytes are copied into the batch before the next
   * frame is asked for, so a source may reuse one buffer for all its frames.
   *
   * The batches are built in two buffers used in turn (one being filled, one being sent), so
   * the bytes held for uploading stay within about twice the batch size whatever the total,
   * and a large upload allocates no new buffer per batch (one per batch made the garbage
   * collector run a full collection every few MiB).
   */
  async uploadChunks(libraryId: string, source: AsyncIterable<Frame> | Iterable<Frame>): Promise<{ chunks: number; bytes: number }> {
    const spare = this.spareUpload;
    clearTimeout(spare.timer);
    // Uploads at once (rare) each get their own pair; the spare pair goes to one of them.
    const buffers = spare.batches.length === 2 ? spare.batches.splice(0) : [new UploadBatch(), new UploadBatch()];
    const result = await this.uploadBatches(libraryId, source, buffers);
    // Every request sending from them has finished. (After a failure a request may still be
    // reading one, so they are not kept then.)
    for (const buffer of buffers) buffer.clear();
    spare.batches = buffers;
    clearTimeout(spare.timer);
    spare.timer = setTimeout(() => {
      spare.batches = [];
    }, UPLOAD_SPARE_IDLE_MS).unref();
    return result;
  }

  private async uploadBatches(libraryId: string, source: AsyncIterable<Frame> | Iterable<Frame>, buffers: UploadBatch[]): Promise<{ chunks: number; bytes: number }> {
    let batch = buffers[0]!;
    let chunks = 0;
    let bytes = 0;
    let inFlight: Promise<unknown> | null = null;
    const flush = async (): Promise<void> => {
      if (batch.frames === 0) return;
      const sending = this.send(
        routes.uploadChunks,
        { params: { libraryId }, timeoutMs: 120_000 },
        { body: batch.body(), contentType: FRAMES_CONTENT_TYPE },
        routes.uploadChunks.response.maxBytes,
      );
      // Its failure is reported when it is awaited below, never as an unhandled rejection.
      sending.catch(() => undefined);
      // At most two requests at once: the previous one must finish before more is read, and
      // its buffer, no longer sent from, takes the next batch.
      const previous = inFlight;
      inFlight = sending;
      batch = batch === buffers[0] ? buffers[1]! : buffers[0]!;
      if (previous !== null) await previous;
      batch.clear();
    };
    for await (const frame of source) {
      this.abortSignal?.throwIfAborted();
      batch.add(frame);
      chunks += 1;
      bytes += frame.bytes.length;
      // The server takes at most maxChunksPerUpload frames a request: many tiny chunks need more requests.
      if (batch.chunkBytes >= UPLOAD_BATCH_BYTES || batch.frames >= PROTOCOL_LIMITS.maxChunksPerUpload) await flush();
    }
    await flush();
    if (inFlight !== null) await inFlight;
    return { chunks, bytes };
  }

  /** Uploads a single chunk. */
  async putChunk(libraryId: string, frame: Frame): Promise<void> {
    if (chunkIdOf(frame.bytes) !== frame.id) throw new ChunkMismatchError(frame.id);
    await this.send(routes.putChunk, { params: { libraryId, chunkId: frame.id } }, { body: frame.bytes, contentType: CHUNK_CONTENT_TYPE }, routes.putChunk.response.maxBytes);
  }

  /**
   * Downloads chunks in batches, verifying each against its id, and hands each to `onChunk`
   * as it arrives. A chunk whose bytes do not hash to its id is an error, never data.
   */
  /**
   * Downloads chunks, checking each against its id before handing it to `onChunk`. `allocate`
   * gives the buffer each chunk is read into (a pool's; by default a new one per chunk).
   */
  async downloadChunks(
    libraryId: string,
    ids: readonly ChunkId[],
    onChunk: (frame: Frame) => Promise<void> | void,
    allocate: (length: number) => Uint8Array = allocateFrame,
  ): Promise<number> {
    const unique = [...new Set(ids)];
    let bytes = 0;
    for (let start = 0; start < unique.length; start += DOWNLOAD_BATCH_IDS) {
      const batch = unique.slice(start, start + DOWNLOAD_BATCH_IDS);
      // The server may send the chunks as it stores them, unhashed (CLIENT_VERIFIES_HEADER):
      // one that fails the check here is never used, but asked for again below without the
      // header, so the server hashes it and records the damage (the answer is then an error).
      const failed: ChunkId[] = [];
      await this.framesOf(routes.downloadChunks, libraryId, { ids: batch }, batch, CHUNK_SIZE_LIMITS.max, async (frame) => {
        if (chunkIdOf(frame.bytes) !== frame.id) {
          failed.push(frame.id);
          return;
        }
        bytes += frame.bytes.length;
        await onChunk(frame);
      }, { gzip: false, clientVerifies: true, allocate });
      if (failed.length === 0) continue;
      await this.framesOf(routes.downloadChunks, libraryId, { ids: failed }, failed, CHUNK_SIZE_LIMITS.max, async (frame, statusCode) => {
        if (chunkIdOf(frame.bytes) !== frame.id) throw new RemoteError('hash-mismatch', `chunk ${frame.id} from the server does not match its hash`, statusCode);
        bytes += frame.bytes.length;
        await onChunk(frame);
      }, { gzip: false });
    }
    return bytes;
  }

  // ---- chunk patches (only where the server announced them: see chunkPatches) -----------------

  /**
   * Streams a frames answer of a JSON request, handing each frame to `onFrame` (awaited before
   * the next); throws a RemoteError when a frame was not asked for or the answer ends early.
   * Returns the bytes received. `gzip`: a long request body may go compressed (the patch
   * routes, which came with servers that read it).
   */
  private async framesOf(
    route: RouteDefinition,
    libraryId: string,
    body: unknown,
    ids: readonly ChunkId[],
    maxFrameBytes: number,
    onFrame: (frame: Frame, statusCode: number) => Promise<void> | void,
    options: { readonly gzip: boolean; readonly clientVerifies?: boolean; readonly allocate?: (length: number) => Uint8Array } = { gzip: true },
  ): Promise<number> {
    const wanted = new Set(ids);
    let received = 0;
    const json = JSON.stringify(body);
    // A hundred pairs of hex ids are about 15 KiB, which gzip halves.
    const payload = options.gzip && json.length >= GZIP_REQUEST_BYTES / 4 ? { body: await gzipAsync(json), contentType: 'application/json', contentEncoding: 'gzip' as const } : { body: json, contentType: 'application/json' };
    const answer = await this.open(route, { params: { libraryId }, timeoutMs: 120_000, clientVerifies: options.clientVerifies === true }, payload);
    const { statusCode } = answer;
    if (statusCode < 200 || statusCode > 299) throw await this.errorOf(route, answer);
    const decoder = new FrameDecoder(maxFrameBytes, options.allocate ?? allocateFrame);
    try {
      for await (const slice of answer.body) {
        received += (slice as Uint8Array).length;
        for (const frame of decoder.push(slice as Uint8Array)) {
          if (!wanted.delete(frame.id)) throw new RemoteError('internal', `the server sent chunk ${frame.id}, which was not asked for`, statusCode);
          await onFrame(frame, statusCode);
        }
      }
      decoder.finish();
    } catch (error) {
      answer.body.destroy();
      if (this.abortSignal?.aborted) throw this.abortSignal.reason;
      throw error instanceof RemoteError ? error : errorFromTransport(error, this.baseUrl);
    }
    if (wanted.size > 0) throw new RemoteError('internal', `the server did not send ${wanted.size} requested chunks`, statusCode);
    return received;
  }

  /**
   * Downloads chunks as patches of bases this device holds (each base's bytes already verified
   * against its id by the caller). Each rebuilt chunk is checked against its id before it is
   * handed to `onChunk`; a chunk whose patch does not rebuild it, or whose request failed, is
   * listed in `failed` for the caller to download whole. Returns the bytes received.
   */
  async downloadChunkPatches(
    libraryId: string,
    pairs: readonly { readonly id: ChunkId; readonly size: number; readonly base: Frame }[],
    onChunk: (frame: Frame) => Promise<void> | void,
  ): Promise<{ bytes: number; failed: ChunkId[] }> {
    const failed: ChunkId[] = [];
    let bytes = 0;
    const unique = [...new Map(pairs.map((pair) => [pair.id, pair])).values()];
    const batches = readBatches(unique, (pair) => pair.size + pair.base.bytes.length);
    for (let retried = false, batch = batches.shift(); batch !== undefined; batch = batches.shift()) {
      const baseOf = new Map(batch.map((pair) => [pair.id, pair.base.bytes]));
      const done = new Set<ChunkId>();
      const rebuilt: Frame[] = [];
      try {
        bytes += await this.framesOf(
          routes.chunkPatches,
          libraryId,
          { pairs: batch.map((pair) => ({ id: pair.id, baseId: pair.base.id })) },
          batch.map((pair) => pair.id),
          CHUNK_SIZE_LIMITS.max + 64,
          (frame) => {
            done.add(frame.id);
            let chunk: Uint8Array;
            try {
              chunk = applyPatch(baseOf.get(frame.id)!, frame.bytes, CHUNK_SIZE_LIMITS.max);
            } catch (error) {
              if (!(error instanceof ChunkPatchError)) throw error;
              failed.push(frame.id);
              return;
            }
            if (chunkIdOf(chunk) === frame.id) rebuilt.push({ id: frame.id, bytes: chunk });
            else failed.push(frame.id);
          },
        );
      } catch (error) {
        if (this.abortSignal?.aborted || !(error instanceof RemoteError)) throw error;
        // A chunk the library lacks (a base this device made, a damaged one) fails the request
        // before any frame: once, the others are asked again without it.
        const missing = error.code === 'not-found' && done.size === 0 ? error.details?.missing : undefined;
        if (!retried && Array.isArray(missing) && missing.length > 0) {
          retried = true;
          const absent = new Set(missing);
          const rest = batch.filter((pair) => !absent.has(pair.id) && !absent.has(pair.base.id));
          for (const pair of batch) if (absent.has(pair.id) || absent.has(pair.base.id)) failed.push(pair.id);
          if (rest.length > 0) batches.unshift(rest);
          continue;
        }
        for (const pair of batch) if (!done.has(pair.id)) failed.push(pair.id);
      }
      for (const frame of rebuilt) await onChunk(frame);
    }
    return { bytes, failed };
  }

  /** The block signatures of base chunks of the library (throws a RemoteError when it cannot have them). */
  async chunkSignatures(libraryId: string, bases: readonly { readonly id: ChunkId; readonly size: number }[]): Promise<{ signatures: Map<ChunkId, BlockSignature>; bytes: number }> {
    const signatures = new Map<ChunkId, BlockSignature>();
    const unique = [...new Map(bases.map((base) => [base.id, base])).values()];
    let bytes = 0;
    for (const batch of readBatches(unique, (base) => base.size)) {
      const ids = batch.map((base) => base.id);
      bytes += await this.framesOf(routes.chunkSignatures, libraryId, { ids }, ids, CHUNK_SIZE_LIMITS.max, (frame) => {
        try {
          signatures.set(frame.id, decodeSignature(frame.bytes));
        } catch (error) {
          if (!(error instanceof ChunkPatchError)) throw error;
          // Left out: that chunk is sent whole.
        }
      });
    }
    return { signatures, bytes };
  }

  /**
   * Uploads chunks as patches of bases the library holds (one request). The server rebuilds
   * each and stores it only if it hashes to its id; `rejected` lists the others, which the
   * caller sends whole.
   */
  async uploadChunkPatches(libraryId: string, patches: readonly { readonly id: ChunkId; readonly baseId: ChunkId; readonly patch: Uint8Array }[]): Promise<{ stored: number; rejected: ChunkId[]; bytes: number }> {
    let total = 0;
    for (const item of patches) total += FRAME_HEADER_BYTES + PATCH_BASE_ID_BYTES + item.patch.length;
    const body = new Uint8Array(total);
    let at = 0;
    for (const item of patches) {
      body.set(encodeFrameHeader(item.id, PATCH_BASE_ID_BYTES + item.patch.length), at);
      body.set(hexToBytes(item.baseId), at + FRAME_HEADER_BYTES);
      body.set(item.patch, at + FRAME_HEADER_BYTES + PATCH_BASE_ID_BYTES);
      at += FRAME_HEADER_BYTES + PATCH_BASE_ID_BYTES + item.patch.length;
    }
    const text = await this.send(routes.uploadChunkPatches, { params: { libraryId }, timeoutMs: 120_000 }, { body, contentType: FRAMES_CONTENT_TYPE }, routes.uploadChunkPatches.response.maxBytes);
    let json: unknown;
    try {
      json = JSON.parse(text.toString('utf8'));
    } catch (error) {
      throw new RemoteError('unavailable', `the server did not answer a patch upload with JSON`, 200, { answer: 'json' }, 'not-cairn', { cause: error });
    }
    const parsed = routes.uploadChunkPatches.response.schema.safeParse(json);
    if (!parsed.success) throw new RemoteError('unavailable', `the server's answer to a patch upload does not match the protocol: ${parsed.error.message}`, 200, { answer: 'json' }, 'not-cairn');
    return { ...parsed.data, bytes: total };
  }

  // ---- change notification -----------------------------------------------------------------

  /**
   * Opens the server-sent event stream and yields its events until `signal` aborts or the
   * connection ends (then the iteration ends; the caller reconnects with backoff).
   */
  async *events(signal: AbortSignal): AsyncGenerator<ServerEvent> {
    const answer = await this.open(routes.events, { signal, timeoutMs: 0 });
    const { statusCode, body } = answer;
    if (statusCode < 200 || statusCode > 299) throw await this.errorOf(routes.events, answer);
    const decoder = new TextDecoder();
    const parser = new ServerSentEventParser(PROTOCOL_LIMITS.maxEventBytes);
    try {
      for await (const slice of body) {
        for (const data of parser.push(decoder.decode(slice as Uint8Array, { stream: true }))) {
          const event = serverEventSchema.safeParse(JSON.parse(data));
          if (event.success) yield event.data;
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof EventTooLongError) throw new RemoteError('unavailable', `the server's event stream sent ${error.message}`, statusCode, undefined, 'too-long');
      throw errorFromTransport(error, this.baseUrl);
    } finally {
      body.destroy();
    }
  }
}

let uploadBufferAllocations = 0;

/** Upload batch buffers allocated by this process so far (a bound the tests check). */
export function uploadBufferAllocationCount(): number {
  return uploadBufferAllocations;
}

/**
 * One upload request's body, frames written one after another into a buffer that is kept for
 * the next batch once this one has been sent. It grows (rarely: a batch ends once it holds
 * UPLOAD_BATCH_BYTES) when a frame does not fit.
 */
class UploadBatch {
  frames = 0;
  chunkBytes = 0;
  private buffer: Uint8Array | undefined;
  private length = 0;

  add(frame: Frame): void {
    const needed = this.length + FRAME_HEADER_BYTES + frame.bytes.length;
    if (this.buffer === undefined || this.buffer.length < needed) {
      uploadBufferAllocations += 1;
      const grown = new Uint8Array(Math.max(needed, UPLOAD_BATCH_BYTES + CHUNK_SIZE_LIMITS.max / 8));
      if (this.buffer !== undefined) grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
    }
    this.buffer.set(encodeFrameHeader(frame.id, frame.bytes.length), this.length);
    this.buffer.set(frame.bytes, this.length + FRAME_HEADER_BYTES);
    this.length = needed;
    this.frames += 1;
    this.chunkBytes += frame.bytes.length;
  }

  /** The frames so far; valid until clear(). */
  body(): Uint8Array {
    return (this.buffer ?? new Uint8Array(0)).subarray(0, this.length);
  }

  clear(): void {
    this.frames = 0;
    this.chunkBytes = 0;
    this.length = 0;
  }
}

/**
 * Items in requests of at most CHUNK_PATCH_LIMITS.maxPairsPerRequest, each making the server
 * read at most maxReadBytesPerRequest chunk bytes (`reads` of an item: what it makes it read).
 */
function readBatches<Item>(items: readonly Item[], reads: (item: Item) => number): Item[][] {
  return boundedBatches(items, CHUNK_PATCH_LIMITS.maxPairsPerRequest, CHUNK_PATCH_LIMITS.maxReadBytesPerRequest, reads);
}

/** Whether zlib refused the bytes (Z_DATA_ERROR, Z_BUF_ERROR ...), rather than the connection failing. */
function isZlibError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}

/** A chunk's bytes no longer hash to the id they were listed under (the file changed). */
export class ChunkMismatchError extends Error {
  override readonly name = 'ChunkMismatchError';
  constructor(readonly chunkId: ChunkId) {
    super(`the bytes read for chunk ${chunkId} no longer match it; the file changed since it was scanned`);
  }
}
