import type { ChunkRef, ChunkingParams, ContentHash } from '../../../shared/model.js';

/** What hashing one file yields: its chunks in order, its content hash and its size in bytes. */
export interface HashedFile {
  readonly chunks: readonly ChunkRef[];
  readonly contentHash: ContentHash;
  readonly size: number;
}

/**
 * The scanner's one dependency for reading file contents (the chunker implements it). It may
 * throw an error named 'FileChangedWhileReading' when it notices the file change under it; the
 * scanner also compares lstat before and after, so an implementation that does not notice is
 * still safe. Errors with an errno code (EACCES, EIO, ...) are per-file problems; any other
 * error is treated as a bug and ends the scan.
 */
export type HashFile = (absolutePath: string, params: ChunkingParams, sizeHint?: number) => Promise<HashedFile>;

/** The error name a HashFile implementation uses to say the file changed while it read it. */
export const FILE_CHANGED_ERROR_NAME = 'FileChangedWhileReading';

export function isFileChangedError(error: unknown): boolean {
  return error instanceof Error && error.name === FILE_CHANGED_ERROR_NAME;
}
