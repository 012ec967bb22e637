// Compact storage of a file's content identity. A chunk list is a BLOB of 36-byte records,
// each the raw 32-byte chunk id followed by the chunk size as a big-endian uint32: a 512 MiB
// file (about 4,000 chunks) takes 144 KB instead of about 300 KB of JSON, and decoding needs no
// parser. Entry rows store one "content" BLOB: the raw 32-byte content hash followed by the
// chunk records, because one column per row instead of two makes loading 100,000 entries
// noticeably faster. The index reads the BLOB back as hex text (see openIndex.ts), so decoding
// is slicing that text.

import type { ChunkRef, ContentHash } from '../../../shared/model.js';

export const CHUNK_RECORD_BYTES = 36;
const HASH_BYTES = 32;

export function encodeHash(hash: ContentHash): Buffer {
  const blob = Buffer.allocUnsafe(HASH_BYTES);
  writeHash(blob, hash, 0, 'content hash');
  return blob;
}

/**
 * Writes 64 hex characters as 32 bytes. Buffer.write stops silently at the first character that
 * is not hex, so the byte count it returns is the check (cheaper than a regular expression on
 * 100,000 rows). Upper-case hex is accepted and reads back in lower case: the same bytes.
 */
function writeHash(target: Buffer, hex: string, offset: number, what: string): void {
  if (hex.length !== HASH_BYTES * 2 || target.write(hex, offset, HASH_BYTES, 'hex') !== HASH_BYTES) {
    throw new TypeError(`not a ${what}: ${JSON.stringify(hex)}`);
  }
}

/** A file's content hash and chunks as one BLOB: 32 hash bytes, then the chunk records. */
export function encodeContent(hash: ContentHash, chunks: readonly ChunkRef[]): Buffer {
  const blob = Buffer.allocUnsafe(HASH_BYTES + chunks.length * CHUNK_RECORD_BYTES);
  writeHash(blob, hash, 0, 'content hash');
  let offset = HASH_BYTES;
  for (const chunk of chunks) {
    writeHash(blob, chunk.id, offset, 'chunk id');
    blob.writeUInt32BE(chunk.size, offset + HASH_BYTES);
    offset += CHUNK_RECORD_BYTES;
  }
  return blob;
}

/**
 * The same, from the content BLOB as lower-case hex text (how the index reads it, see
 * openIndex.ts). The hash and the chunk ids are slices of that text.
 */
export function decodeContentHex(hex: string): { contentHash: ContentHash; chunks: ChunkRef[] } {
  const hashChars = HASH_BYTES * 2;
  const recordChars = CHUNK_RECORD_BYTES * 2;
  if (hex.length < hashChars || (hex.length - hashChars) % recordChars !== 0) {
    throw new Error(`corrupt content record in the index (${hex.length / 2} bytes); delete the profile's index to rebuild it`);
  }
  const chunks: ChunkRef[] = new Array((hex.length - hashChars) / recordChars);
  for (let i = 0, offset = hashChars; offset < hex.length; i++, offset += recordChars) {
    chunks[i] = { id: hex.slice(offset, offset + hashChars), size: Number.parseInt(hex.slice(offset + hashChars, offset + recordChars), 16) };
  }
  return { contentHash: hex.slice(0, hashChars), chunks };
}
