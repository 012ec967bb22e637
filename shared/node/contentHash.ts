// Chunk ids and content hashes: the two identities Cairn gives to bytes. One definition each,
// used by the chunker, the scanner, the sync engine and the tests.

import { createHash } from 'node:crypto';
import { CHUNK_ID_PATTERN } from '../model.js';
import type { ChunkId, ChunkRef, ContentHash } from '../model.js';

/** A chunk's id: the lowercase hex SHA-256 of its bytes, computed on the calling thread. */
export function chunkIdOf(bytes: Uint8Array): ChunkId {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * A file's contentHash: the lowercase hex SHA-256 over its chunks' raw 32-byte ids, in order.
 * An empty file has no chunks, so its hash is the SHA-256 of zero bytes. Throws a TypeError on
 * a malformed id, which is a bug in the caller: decoding it as hex would silently drop bytes
 * and give a wrong hash.
 */
export function contentHashOf(chunks: readonly ChunkRef[]): ContentHash {
  const hash = createHash('sha256');
  for (const chunk of chunks) {
    if (!CHUNK_ID_PATTERN.test(chunk.id)) {
      throw new TypeError(`Not a chunk id (64 lowercase hex digits): ${JSON.stringify(chunk.id)}.`);
    }
    hash.update(Buffer.from(chunk.id, 'hex'));
  }
  return hash.digest('hex');
}
