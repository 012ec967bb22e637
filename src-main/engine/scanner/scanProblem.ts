import type { LibraryPath } from '../../../shared/paths.js';

/**
 * Per-file trouble a scan finds. None of it stops the scan, and none of it looks like a deletion:
 * a path with a problem keeps its previous local entry (if it had one) until a later scan can
 * read it properly.
 */
export type ScanProblemKind =
  /** A symlink: never followed, never synced. */
  | 'symlink'
  /** A FIFO, socket or device: never opened, never synced. */
  | 'special-file'
  /** The file or folder could not be read (permissions, I/O error). */
  | 'unreadable'
  /** The file kept changing while it was read; it is tried again next round. */
  | 'changing'
  /** The name cannot be made a canonical LibraryPath, or is not in the form Cairn can write back. */
  | 'invalid-name'
  /** Two names that a case-insensitive disk (or Unicode normalization) would make one. */
  | 'case-clash';

export interface ScanProblem {
  readonly kind: ScanProblemKind;
  /** The path concerned; for 'invalid-name', the folder holding the name ('' for the root). */
  readonly path: LibraryPath | '';
  /** For 'invalid-name', the name as the disk spells it; otherwise ''. */
  readonly name: string;
  /** A sentence for the user: what is wrong and what to do. */
  readonly message: string;
}
