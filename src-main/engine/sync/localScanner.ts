// What a sync round needs from a scan of the disk: the scanner with its file hasher bound.
// Tests of the round may wrap it (for example to change a file between the scan and a write).

import type { IgnoreMatcher } from '../ignore/index.js';
import type { LibraryRootError, RecordedState, ScanOptions, ScanResult } from '../scanner/index.js';
import type { EarlyUpload } from './earlyUpload.js';
import type { KeptChunks } from './keptChunks.js';

export type ScanRequest = Omit<ScanOptions, 'hashFile'> & {
  /** Where the scan leaves the chunks of the small files it reads, for the round's upload. */
  readonly keptChunks?: KeptChunks;
  /** Where the scan offers the chunks it kept, to be sent while it goes on (see EarlyUpload). */
  readonly earlyUpload?: EarlyUpload;
};

export type ScanOutcome =
  | { readonly status: 'scanned'; readonly result: ScanResult }
  /** The library folder is missing, not a folder or unreadable: a circuit breaker, never "all deleted". */
  | { readonly status: 'root-problem'; readonly error: LibraryRootError };

export interface LocalScanner {
  scan(request: ScanRequest): Promise<ScanOutcome>;
  /**
   * Whether a scan of the whole library would find exactly `recorded` (see diskMatchesRecord),
   * with the ignore rules it read; null when it would find anything else or cannot tell. Only
   * a scanner that may block its thread has it (a one-shot command's).
   */
  matchesRecord?(request: { readonly root: string; readonly recorded: RecordedState }): Promise<{ readonly ignore: IgnoreMatcher } | null>;
}
