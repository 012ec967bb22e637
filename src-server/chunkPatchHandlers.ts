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
import { readChunk, requirePresent, storeChunks } from './chunkHandlers.js';
import { CoalescedWriter, startStream } from './httpIo.js';
import type { Handler, ServerServices } from './router.js';
import type { LibraryAccess } from './storage/metadataStore.js';
import type { ServerResponse } from 'node:http';

/**
 * Reads chunks of the library for one request (see readChunk), refusing to read more than
 * CHUNK_PATCH_LIMITS.maxReadBytesPerRequest in all: a small request cannot make the server
 * read without bound.
 */
class BoundedReads {
  private read = 0;

  constructor(
    private readonly services: ServerServices,
    private readonly library: LibraryAccess,
  ) {}

  async chunk(id: ChunkId): Promise<Uint8Array> {
    if (this.read >= CHUNK_PATCH_LIMITS.maxReadBytesPerRequest) {
      throw new ApiError('payload-too-large', `a patch request reads at most ${CHUNK_PATCH_LIMITS.maxReadBytesPerRequest} bytes of chunks; ask for the rest in another request`);
    }
    const bytes = await readChunk(this.services, this.library, id);
    this.read += bytes.length;
    return bytes;
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

/**
 * Streams one frame per item, in order, computed one at a time (memory: one item's chunks).
 * The first is computed before the answer starts, so a missing or damaged chunk still gets a
 * clean error; a later failure ends the stream early, which the client detects.
 */
async function streamFrames<Item>(response: ServerResponse, items: readonly Item[], frameOf: (item: Item) => Promise<Frame>): Promise<'streamed'> {
  let next = items.length > 0 ? await frameOf(items[0]!) : null;
  startStream(response, FRAMES_CONTENT_TYPE);
  const output = new CoalescedWriter(response);
  try {
    for (let index = 0; index < items.length; index++) {
      await output.write(encodeFrameHeader(next!.id, next!.bytes.length));
      await output.write(next!.bytes);
      next = index + 1 < items.length ? await frameOf(items[index + 1]!) : null;
    }
    await output.flush();
  } catch (error) {
    await output.flush().catch(() => {});
    throw error;
  }
  response.end();
  return 'streamed';
}

type ChunkPatchHandlerName = 'chunkPatches' | 'chunkSignatures' | 'uploadChunkPatches';

export const chunkPatchHandlers: { readonly [Name in ChunkPatchHandlerName]: Handler<Routes[Name]> } = {
  async chunkPatches({ services, library, body, response }) {
    const pairs = body.pairs;
    await requirePresent(services, library, [...new Set(pairs.flatMap((pair) => [pair.id, pair.baseId]))]);
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
    for (const frame of body) {
      const baseId = baseOf(frame);
      const patch = frame.bytes.subarray(PATCH_BASE_ID_BYTES);
      const base = absent.has(baseId) ? null : await reads.base(baseId);
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
    const stored = rebuilt.length === 0 ? 0 : await storeChunks(services, library, rebuilt);
    return { stored, rejected };
  },
};
