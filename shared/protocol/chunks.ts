// Chunks: content-addressed pieces of files. A chunk is present for a library once it was
// uploaded to that library or referenced by one of its commits; "missing" answers per library,
// so it never reveals what else the owner stores.

import { z } from 'zod';
import { PROTOCOL_LIMITS, chunkIdSchema } from './common.js';

export const chunkIdsRequestSchema = z.strictObject({
  ids: z.array(chunkIdSchema).max(PROTOCOL_LIMITS.maxIdsPerRequest),
});
export type ChunkIdsRequest = z.input<typeof chunkIdsRequestSchema>;

/** The requested ids the library lacks, in request order, without duplicates. */
export const missingChunksResponseSchema = z.object({ missing: z.array(chunkIdSchema) });
export type MissingChunksResponse = z.output<typeof missingChunksResponseSchema>;

/** Answer to an upload: how many chunks of the request are now present for the library. */
export const uploadChunksResponseSchema = z.object({ stored: z.int().min(0) });
export type UploadChunksResponse = z.output<typeof uploadChunksResponseSchema>;

/** Content type of single chunk bodies. */
export const CHUNK_CONTENT_TYPE = 'application/octet-stream';

/** Content type of batched chunk bodies (see frames.ts). */
export const FRAMES_CONTENT_TYPE = 'application/vnd.cairn.chunk-frames';
