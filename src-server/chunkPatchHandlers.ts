// Handlers of the chunk patch routes (see shared/protocol/chunkPatches.ts). Every chunk named
// here, a base included, must be present for the library, exactly as for a chunk download, and
// is read (and verified) through the same readChunk. Work per request is bounded: at most
// CHUNK_PATCH_LIMITS.maxPairsPerRequest chunk pairs are read one pair at a time, and an upload
// rebuilds at most maxRebuiltBytesPerUpload bytes, each chunk checked against its id before it
// is stored.

import type { ChunkId } from '../shared/model.js';
import { CHUNK_SIZE_LIMITS } from '../shared/model.js';
import { chunkIdOf } from '../shared/node/contentHash.js';
import { signatureOf } from '../shared/node/chunkPatchSignatures.js';
import {
  CHUNK_PATCH_LIMITS,
  ChunkPatchError,
  FRAMES_CONTENT_TYPE,
  PATCH_BASE_ID_BYTES,
  applyPatch,
  bytesToHex,
  decodePatch,
  encodeFrameHeader,
  prefixSuffixPatch,
} from '../shared/protocol/index.js';
import type { Frame, Routes } from '../shared/protocol/index.js';
import { ApiError } from './apiError.js';
import { ReadAhead, readChunk, requirePresent, storeChunks } from './chunkHandlers.js';
import { CoalescedWriter, startStream } from './httpIo.js';
import type { Handler, ServerServices } from './router.js';
import type { LibraryAccess } from './storage/metadataStore.js';
import type { ServerResponse } from 'node:http';

/**
 * Reads chunks of the library for one request (see readChunk), refusing to go on past
 * CHUNK_PATCH_LIMITS.maxReadBytesPerRequest in all (plus the reads under way then, at most
 * WINDOW chunks): a small request cannot make the server read without bound.
 */
class BoundedReads {
  private read = 0;

  constructor(
    private readonly services: ServerServices,
    private readonly library: LibraryAccess,
  ) {}

  async chunk(id: ChunkId): Promise<Uint8Array> {
    // Checked before and after: with a few reads at once, at most those few go past the limit.
    this.check();
    const bytes = await readChunk(this.services, this.library, id);
    this.read += bytes.length;
    this.check();
    return bytes;
  }

  private check(): void {
    if (this.read > CHUNK_PATCH_LIMITS.maxReadBytesPerRequest) {
      throw new ApiError('payload-too-large', `a patch request reads at most ${CHUNK_PATCH_LIMITS.maxReadBytesPerRequest} bytes of chunks; ask for the rest in another request`);
    }
  }

  /** A base for a patch upload; null when it is absent or damaged (the chunk is then sent whole). */
  async base(id: ChunkId): Promise<Uint8Array | null> {
    try {
      return await this.chunk(id);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'not-found') return null;
      throw error;
    }
  }
}

/** Items worked on at once (each holding a chunk or two in memory). */
const WINDOW = 8;

/**
 * Streams one frame per item, in order. The first is computed before the answer starts, so a
 * missing or damaged chunk still gets a clean error; a later failure ends the stream early,
 * which the client detects.
 */
async function streamFrames<Item>(response: ServerResponse, items: readonly Item[], frameOf: (item: Item) => Promise<Frame>): Promise<'streamed'> {
  const frames = new ReadAhead(items, WINDOW, frameOf);
  try {
    let frame = items.length > 0 ? await frames.next() : null;
    startStream(response, FRAMES_CONTENT_TYPE);
    const output = new CoalescedWriter(response);
    try {
      for (let index = 0; index < items.length; index++) {
        await output.write(encodeFrameHeader(frame!.id, frame!.bytes.length));
        await output.write(frame!.bytes);
        frame = index + 1 < items.length ? await frames.next() : null;
      }
      await output.flush();
    } catch (error) {
      await output.flush().catch(() => {});
      throw error;
    }
  } finally {
    frames.stop();
  }
  response.end();
  return 'streamed';
}

type ChunkPatchHandlerName = 'chunkPatches' | 'chunkSignatures' | 'uploadChunkPatches';

export const chunkPatchHandlers: { readonly [Name in ChunkPatchHandlerName]: Handler<Routes[Name]> } = {
  async chunkPatches({ services, library, body, response }) {
    const pairs = body.pairs;
    const ids = [...new Set(pairs.flatMap((pair) => [pair.id, pair.baseId]))];
    await requirePresent(services, library, ids);
    services.chunkStore.prefetch?.(library.ownerId, ids);
    const reads = new BoundedReads(services, library);
    return streamFrames(response, pairs, async (pair) => {
      const target = await reads.chunk(pair.id);
      const base = await reads.chunk(pair.baseId);
      return { id: pair.id, bytes: prefixSuffixPatch(base, target) };
    });
  },

  async chunkSignatures({ services, library, body, response }) {
    const ids = body.ids;
    await requirePresent(services, library, [...new Set(ids)]);
    services.chunkStore.prefetch?.(library.ownerId, [...new Set(ids)]);
    const reads = new BoundedReads(services, library);
    return streamFrames(response, ids, async (id) => ({ id, bytes: signatureOf(await reads.chunk(id)) }));
  },

  async uploadChunkPatches({ services, library, body }) {
    const maxChunkBytes = Math.min(library.chunking.maxSize, CHUNK_SIZE_LIMITS.max);
    const baseOf = (frame: Frame): ChunkId => bytesToHex(frame.bytes.subarray(0, PATCH_BASE_ID_BYTES));
    // A base the library does not hold is refused like a chunk download of it would be.
    const absent = new Set(await services.store.chunks.missing(library.id, [...new Set(body.map(baseOf))]));
    const rebuilt: Frame[] = [];
    const rejected: ChunkId[] = [];
    let rebuiltBytes = 0;
    const reads = new BoundedReads(services, library);
    const present = [...new Set(body.map(baseOf))].filter((id) => !absent.has(id));
    services.chunkStore.prefetch?.(library.ownerId, present);
    const bases = new ReadAhead(body, WINDOW, (frame) => (absent.has(baseOf(frame)) ? Promise.resolve(null) : reads.base(baseOf(frame))));
    try {
      for (const frame of body) {
        const patch = frame.bytes.subarray(PATCH_BASE_ID_BYTES);
        const base = await bases.next();
        if (base === null) {
          rejected.push(frame.id);
          continue;
        }
        let bytes: Uint8Array;
        try {
          const { length } = decodePatch(patch, base.length, maxChunkBytes);
          if (rebuiltBytes + length > CHUNK_PATCH_LIMITS.maxRebuiltBytesPerUpload) {
            throw new ApiError('payload-too-large', `a patch upload rebuilds at most ${CHUNK_PATCH_LIMITS.maxRebuiltBytesPerUpload} bytes; send the rest in another request`);
          }
          bytes = applyPatch(base, patch, maxChunkBytes);
        } catch (error) {
          if (!(error instanceof ChunkPatchError)) throw error;
          rejected.push(frame.id);
          continue;
        }
        // The rebuilt chunk is stored only if it is the chunk its id names.
        if (chunkIdOf(bytes) !== frame.id) {
          rejected.push(frame.id);
          continue;
        }
        rebuiltBytes += bytes.length;
        rebuilt.push({ id: frame.id, bytes });
      }
    } finally {
      bases.stop();
    }
    const stored = rebuilt.length === 0 ? 0 : await storeChunks(services, library, rebuilt);
    return { stored, rejected };
  },
};
