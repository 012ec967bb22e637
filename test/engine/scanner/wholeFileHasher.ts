// A HashFile for tests: fixed-size chunks of the whole file, SHA-256 each, and the content hash
// over the raw chunk ids, as shared/model.ts defines it. It stands in for the real chunker, so
// the scanner's tests do not depend on it, and it counts its calls and its concurrency.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ChunkRef, ChunkingParams } from '../../../shared/model.js';
import type { HashFile, HashedFile } from '../../../src-main/engine/scanner/index.js';

export const TEST_CHUNK_SIZE = 4096;

export function hashBytes(bytes: Uint8Array): HashedFile {
  const chunks: ChunkRef[] = [];
  for (let offset = 0; offset < bytes.byteLength; offset += TEST_CHUNK_SIZE) {
    const piece = bytes.subarray(offset, Math.min(offset + TEST_CHUNK_SIZE, bytes.byteLength));
    chunks.push({ id: createHash('sha256').update(piece).digest('hex'), size: piece.byteLength });
  }
  const content = createHash('sha256');
  for (const chunk of chunks) content.update(Buffer.from(chunk.id, 'hex'));
  return { chunks, contentHash: content.digest('hex'), size: bytes.byteLength };
}

export interface CountingHasher {
  readonly hashFile: HashFile;
  /** Absolute paths hashed, in call order. */
  readonly calls: string[];
  /** The most calls that were in flight at once. */
  readonly maxInFlight: () => number;
}

/**
 * The hasher, counting calls. `during` runs after the file was read and before the result is
 * returned, which is where a test changes the file to simulate a write during the read.
 */
export function countingHasher(during?: (absolutePath: string, attempt: number) => Promise<void>): CountingHasher {
  const calls: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const hashFile: HashFile = async (absolutePath: string, _params: ChunkingParams) => {
    calls.push(absolutePath);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      const bytes = await readFile(absolutePath);
      // Yield once so that concurrent calls really overlap.
      await new Promise((resolve) => setImmediate(resolve));
      if (during !== undefined) await during(absolutePath, calls.filter((call) => call === absolutePath).length);
      return hashBytes(bytes);
    } finally {
      inFlight--;
    }
  };
  return { hashFile, calls, maxInFlight: () => maxInFlight };
}
