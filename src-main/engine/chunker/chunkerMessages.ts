// The contract between createChunkerPool (main side) and chunkerWorker (worker side): the one
// place that says what crosses the thread boundary. Errors cross as data, never as objects.

import type { ChunkingParams } from '../../../shared/model.js';
import type { ChunkedFile } from './chunkFile.js';
import type { ChunkFileProblem } from './chunkFileError.js';

export interface ChunkFileRequest {
  readonly kind: 'chunk-file';
  readonly job: number;
  readonly path: string;
  readonly params: ChunkingParams;
  readonly keepBytesUpTo: number | undefined;
  readonly readSize: number | undefined;
}

export type ChunkerRequest = ChunkFileRequest;

export type ChunkerResponse =
  /** The file was chunked; `result.bytes`, if any, arrives as a transferred buffer. */
  | { readonly kind: 'chunked'; readonly job: number; readonly result: ChunkedFile }
  /** Expected per-file trouble, rebuilt as a ChunkFileError on the main side. */
  | {
      readonly kind: 'file-problem';
      readonly job: number;
      readonly problem: ChunkFileProblem;
      readonly path: string;
      readonly message: string;
      readonly code: string | undefined;
    }
  /** A bug in the worker: rethrown on the main side with the worker's stack. */
  | { readonly kind: 'failed'; readonly job: number; readonly message: string; readonly stack: string | undefined };
