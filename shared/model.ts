// Content model shared by the client and the server.

/** Lowercase hex SHA-256 of a chunk's bytes (64 characters). */
export type ChunkId = string;

/** One chunk of a file, in order. */
export interface ChunkRef {
  readonly id: ChunkId;
  readonly size: number;
}

/**
 * A file's content identity: lowercase hex SHA-256 over the concatenated raw 32-byte chunk
 * ids, in order (the SHA-256 of zero bytes for an empty file). Two files with the same
 * contentHash have the same bytes, given the same chunking parameters, which are fixed per
 * library.
 */
export type ContentHash = string;

/** Chunking parameters, fixed per library at creation so all its clients cut the same bounds. */
export interface ChunkingParams {
  readonly algorithm: 'fastcdc' | 'rabin';
  readonly minSize: number;
  readonly avgSize: number;
  readonly maxSize: number;
}

/**
 * The default for new libraries. A 128 KiB average keeps a small edit in a large file to
 * about one chunk on the wire (the benchmark target is under 283 KiB for a 10-byte insert),
 * while a 512 MiB file still needs only about 4,000 chunks.
 */
export const DEFAULT_CHUNKING: ChunkingParams = {
  algorithm: 'fastcdc',
  minSize: 32 * 1024,
  avgSize: 128 * 1024,
  maxSize: 512 * 1024,
};

/** Hard bounds any library's parameters must respect (the server refuses others). */
export const CHUNK_SIZE_LIMITS = { min: 1024, max: 8 * 1024 * 1024 } as const;

export const CHUNK_ID_PATTERN = /^[0-9a-f]{64}$/;
