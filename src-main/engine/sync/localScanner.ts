// What a sync round needs from a scan of the disk: the scanner with its file hasher bound.
// Tests of the round may wrap it (for example to change a file between the scan and a write).

import type { LibraryRootError, ScanOptions, ScanResult } from '../scanner/index.js';
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
}
