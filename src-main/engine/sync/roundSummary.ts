// What one sync round of one library did, for the CLI's --json output, the UI and the tests.

import { emptyRoundSummary } from '../../../shared/api/views.js';
import type { LibraryPath } from '../../../shared/paths.js';

export interface RoundProblem {
  readonly path: string;
  readonly kind: string;
  readonly message: string;
}

export type RoundOutcome =
  /** The round completed: everything that could be synced is (conflicts included). */
  | 'synced'
  /** The library is paused (by the user, or by a circuit breaker: see pauseReason). */
  | 'paused'
  /** The round stopped on an error; `error` says which. Nothing was lost; the next round retries. */
  | 'error';

export interface RoundSummary {
  readonly libraryId: string;
  readonly name: string;
  outcome: RoundOutcome;
  pauseReason: string | null;
  error: { readonly code: string; readonly message: string } | null;
  uploadedFiles: number;
  /** Chunk bytes actually sent (chunks the server already had are not counted). */
  uploadedBytes: number;
  downloadedFiles: number;
  /** Chunk bytes actually fetched from the server (chunks reused from local files are not). */
  downloadedBytes: number;
  /** Chunk bytes taken from files already on this disk instead of the server. */
  reusedBytes: number;
  deletedLocal: number;
  deletedRemote: number;
  movedLocal: number;
  movedRemote: number;
  /** Folders created on this disk or on the server. */
  foldersCreated: number;
  conflicts: LibraryPath[];
  /** Conflicts resolved automatically by a clean merge after the round (the library allows it). */
  autoMerged: { readonly path: LibraryPath; readonly conflictPath: LibraryPath | null }[];
  problems: RoundProblem[];
  /** How many plan-execute passes the round needed until nothing was left. */
  passes: number;
  /**
   * Set when the server refused files because the library owner's storage is full (the
   * owner's usage and quota then): those files are `quota-exceeded` problems, kept here.
   */
  storageFull: { readonly usedBytes: number; readonly quotaBytes: number } | null;
}

export function emptySummary(libraryId: string, name: string): RoundSummary {
  return emptyRoundSummary(libraryId, name);
}

/**
 * Progress of a running round, for a terminal progress line or the UI: what it is doing, and
 * the files it uploads or downloads, in every pass so far, with their bytes (see
 * roundTransfers.ts). Reported at each change of phase and as bytes move; bytesDone never
 * passes bytesTotal and never goes back within a round.
 */
export interface RoundProgress {
  readonly libraryId: string;
  readonly phase: 'pulling' | 'scanning' | 'uploading' | 'downloading' | 'committing' | 'applying';
  readonly filesDone: number;
  readonly filesTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

/**
 * Progress of one file's transfer in a round. For an upload, bytesDone counts the file's chunks
 * the server has already and those handed to the upload stream (which runs at most two 4 MiB
 * requests ahead of the server's answers); for a download, the bytes written (a resumed
 * download starts at what its partial file held). A transfer that completes ends with one event
 * where bytesDone equals bytesTotal: for a download once the file is in place, for an upload
 * once its last chunk is handed over (the round commits the file later). A transfer given up
 * (the file changed meanwhile) just stops reporting; the round's end says what happened.
 */
export interface FileProgress {
  readonly libraryId: string;
  readonly path: LibraryPath;
  readonly direction: 'upload' | 'download';
  readonly bytesDone: number;
  readonly bytesTotal: number;
}
