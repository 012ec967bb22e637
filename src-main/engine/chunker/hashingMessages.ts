// The contract between HashingThread (the chunker's side) and hashingWorker: the one place that
// says what crosses that thread boundary.

/**
 * Hash these chunks of the stream held in `ring`. Stream byte at offset o sits at ring index
 * o % ring.byteLength, so a chunk may wrap around the ring's end. `ranges` holds each chunk's
 * start and end stream offsets, flattened: [start0, end0, start1, end1, ...].
 */
export interface HashRequest {
  readonly batch: number;
  readonly ring: SharedArrayBuffer;
  readonly ranges: readonly number[];
}

export type HashResponse =
  /** The raw 32-byte SHA-256 digests of the request's chunks, concatenated in order. */
  | { readonly kind: 'hashed'; readonly batch: number; readonly digests: Uint8Array }
  /** A bug in the hashing worker. */
  | { readonly kind: 'failed'; readonly batch: number; readonly message: string; readonly stack: string | undefined };
