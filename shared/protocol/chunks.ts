// Chunks: content-addressed pieces of files. A chunk is present for a library once it was
// uploaded to that library or referenced by one of its commits; "missing" answers per library,
// so it never reveals what else the owner stores.

import { z } from 'zod';
import { PROTOCOL_LIMITS, chunkIdSchema } from './common.js';

/**
 * A request header ('1') by which a client says it checks every downloaded chunk against its id
 * itself (every Cairn client does): a server that knows it may then send a chunk download's
 * stored bytes without hashing them first, since the same bytes would be hashed twice. A
 * chunk that fails the client's check is asked for again without the header, so the server
 * hashes it, finds the damage and records it (see the server's chunk handlers). An older
 * server ignores the header and hashes as before.
 */
export const CLIENT_VERIFIES_HEADER = 'x-cairn-client-verifies';

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
