// Handlers of chunk routes. Every uploaded chunk's SHA-256 is checked before anything of the
// request is stored (a batch's frames as they arrive, see frameBody.ts; a single chunk here);
// every chunk read back is checked again before it is sent, so a damaged file on disk is an
// error, never data. One exception: a batch download by the library's owner whose client says
// it checks every chunk itself (CLIENT_VERIFIES_HEADER) is sent as stored, since the client
// hashes the same bytes on arrival; a chunk failing that check is asked for again without the
// header, and this side's check then finds and records the damage. Only the owner: damage that
// pointed a chunk at other bytes would show a member bytes of the owner's other libraries.

import type { ChunkId } from '../shared/model.js';
import { CHUNK_ID_PATTERN } from '../shared/model.js';
import { chunkIdOf } from '../shared/node/contentHash.js';
import { CLIENT_VERIFIES_HEADER, FRAMES_CONTENT_TYPE, encodeFrameHeader } from '../shared/protocol/index.js';
import type { Frame, Routes } from '../shared/protocol/index.js';
import { ApiError } from './apiError.js';
import { recordDamagedChunk } from './chunkDamage.js';
import { CoalescedWriter, startStream } from './httpIo.js';
import { noteTransferBuffers } from './memoryReclaim.js';
import type { Handler, ServerServices } from './router.js';
import { DamagedChunkError } from './storage/chunkStore.js';
import type { LibraryAccess } from './storage/metadataStore.js';

function checkChunkId(raw: string): ChunkId {
  if (!CHUNK_ID_PATTERN.test(raw)) throw new ApiError('bad-request', 'a chunk id is the lowercase hex SHA-256 of the chunk (64 characters)');
  return raw;
}

/** Stores and links chunks whose bytes were verified against their ids. */
export async function storeChunks(services: ServerServices, library: LibraryAccess, frames: readonly Frame[]): Promise<number> {
  const unique = new Map<ChunkId, Frame>();
  for (const frame of frames) unique.set(frame.id, frame);
  const chunks = [...unique.values()];
  // The bytes are durable before the library claims them, so a crash in between leaves at
  // worst an unlinked chunk file, never a link to nothing. A member's upload is written whole
  // even where the owner holds the chunks elsewhere: a faster answer would tell the member
  // that the owner stores those bytes in a library the member cannot see. The owner's own
  // uploads skip what they hold (they know what they store).
  await services.chunkStore.put(library.ownerId, chunks, { writeAll: library.role !== 'owner' });
  await services.store.chunks.link(
    library.id,
    chunks.map((chunk) => ({ id: chunk.id, size: chunk.bytes.length })),
  );
  return chunks.length;
}

/**
 * Reads a chunk the library holds, verifying its bytes. A chunk that is absent, unreadable or
 * wrong is recorded as damaged (see chunkDamage.ts) and answered as missing, so the client can
 * upload it again if it has it. `verify: false` leaves out the hash (only for a client that
 * checks it, see the top): an absent or unreadable chunk is still recorded.
 */
export async function readChunk(services: ServerServices, library: LibraryAccess, id: ChunkId, verify = true): Promise<Uint8Array> {
  let damage: string;
  try {
    const bytes = await services.chunkStore.get(library.ownerId, id);
    if (bytes !== null && (!verify || chunkIdOf(bytes) === id)) return bytes;
    damage = bytes === null ? 'linked but absent from the chunk store' : 'the stored bytes do not hash to the id';
  } catch (error) {
    if (!(error instanceof DamagedChunkError)) throw error;
    damage = error.message;
  }
  console.error(`cairn-server: chunk ${id} of library ${library.id} is damaged (${damage}); it now counts as missing until uploaded again`);
  await recordDamagedChunk(services.store, services.chunkStore, library.ownerId, id, damage);
  throw new ApiError('not-found', `chunk ${id} is damaged on the server and counts as missing until a client uploads it again`, { missing: [id] });
}

/** Downloads hold at most about this many chunk bytes read ahead of the response. */
const READ_AHEAD_BYTES = 4 * 1024 * 1024;
/** Most chunk reads running at once for one download. */
const MAX_READ_AHEAD = 16;

/** How many chunks of this library fit in the read-ahead budget (at least one). */
function readAheadFor(library: LibraryAccess): number {
  return Math.max(1, Math.min(MAX_READ_AHEAD, Math.floor(READ_AHEAD_BYTES / library.chunking.maxSize)));
}

/**
 * Reads items in order with up to `window` reads in flight, handing the results back in
 * order. Reads run ahead of the consumer only within the window, so memory stays bounded
 * however slowly the consumer goes.
 */
export class ReadAhead<Item, Result> {
  private readonly pending: Promise<Result>[] = [];
  private started = 0;
  private stopped = false;

  constructor(
    private readonly items: readonly Item[],
    private readonly window: number,
    private readonly read: (item: Item) => Promise<Result>,
  ) {
    this.fill();
  }

  /** The next item's result, in order; throws that read's error. */
  async next(): Promise<Result> {
    const result = this.pending.shift();
    if (result === undefined) throw new Error('ReadAhead.next() called past the last item');
    this.fill();
    return result;
  }

  /** Starts no further reads; reads in flight finish and their results are dropped. */
  stop(): void {
    this.stopped = true;
  }

  private fill(): void {
    while (!this.stopped && this.pending.length < this.window && this.started < this.items.length) {
      const read = this.read(this.items[this.started++]!);
      // A read may fail before its turn comes; its error is thrown by next(), not reported
      // as unhandled in the meantime.
      read.catch(() => {});
      this.pending.push(read);
    }
  }
}

export async function requirePresent(services: ServerServices, library: LibraryAccess, ids: readonly ChunkId[]): Promise<void> {
  const missing = await services.store.chunks.missing(library.id, ids);
  if (missing.length > 0) {
    throw new ApiError('not-found', `${missing.length} of the requested chunks are not in this library`, { missing });
  }
}

type ChunkHandlerName = 'missingChunks' | 'uploadChunks' | 'downloadChunks' | 'putChunk' | 'getChunk';

export const chunkHandlers: { readonly [Name in ChunkHandlerName]: Handler<Routes[Name]> } = {
  async missingChunks({ services, library, body }) {
    return { missing: await services.store.chunks.missing(library.id, body.ids) };
  },

  async uploadChunks({ services, library, body }) {
    const { chunkStore } = services;
    if (chunkStore.ingest === undefined) return { stored: await storeChunks(services, library, await body.collect()) };
    // The store writes the body as it arrives and makes it durable before the library claims
    // its chunks, as storeChunks does. Every chunk is written, whoever uploads (see storeChunks).
    const sizes = new Map<ChunkId, number>();
    for (const chunk of await chunkStore.ingest(library.ownerId, body)) sizes.set(chunk.id, chunk.size);
    await services.store.chunks.link(
      library.id,
      [...sizes].map(([id, size]) => ({ id, size })),
    );
    return { stored: sizes.size };
  },

  async putChunk({ services, library, params, body }) {
    const id = checkChunkId(params.chunkId);
    if (chunkIdOf(body) !== id) {
      throw new ApiError('hash-mismatch', `the bytes sent for chunk ${id} do not hash to its id; nothing was stored`, { chunkId: id });
    }
    return { stored: await storeChunks(services, library, [{ id, bytes: body }]) };
  },

  async getChunk({ services, library, params }) {
    const id = checkChunkId(params.chunkId);
    await requirePresent(services, library, [id]);
    return readChunk(services, library, id);
  },

  async downloadChunks({ services, library, body, request, response }) {
    const ids = [...new Set(body.ids)];
    await requirePresent(services, library, ids);
    services.chunkStore.prefetch?.(library.ownerId, ids);
    const verify = !(library.role === 'owner' && request.headers[CLIENT_VERIFIES_HEADER] === '1');
    const reads = new ReadAhead(ids, readAheadFor(library), (id) => readChunk(services, library, id, verify));
    // Wait for the first chunk before answering, so a damaged store still gets a clean error
    // when it can; later damage ends the stream early, which the client detects.
    let bytes = ids.length > 0 ? await reads.next() : null;
    startStream(response, FRAMES_CONTENT_TYPE);
    const output = new CoalescedWriter(response);
    try {
      for (let index = 0; index < ids.length; index++) {
        await output.write(encodeFrameHeader(ids[index]!, bytes!.length));
        await output.write(bytes!);
        noteTransferBuffers(bytes!.length);
        bytes = index + 1 < ids.length ? await reads.next() : null;
      }
      await output.flush();
    } catch (error) {
      // The frames gathered so far are whole and verified: send them before the stream ends
      // early, so the client keeps what it received (a client that left gets nothing anyway).
      await output.flush().catch(() => {});
      throw error;
    } finally {
      reads.stop();
    }
    response.end();
    return 'streamed';
  },
};
