// Per-file transfer progress of a round, thinned out for its listeners: each file reports at
// most once per interval while it moves, and exactly once more when it completes.
//
// Files under FILE_PROGRESS_MIN_BYTES report nothing at all. Over any usual link such a file
// moves in a few milliseconds, so a progress bar for it would flash by unread, and a first sync
// of 10,000 small files would otherwise raise 10,000 events (each crossing the control API as
// JSON) for nothing a user could see. The round's own progress, and the activity list once the
// round ends, already account for them.

import type { LibraryPath } from '../../../shared/paths.js';
import type { FileProgress } from './roundSummary.js';

/** Smallest file whose transfer is reported per file. */
export const FILE_PROGRESS_MIN_BYTES = 1024 * 1024;
/** Least time between two reports of one file before it completes: at most four a second. */
export const FILE_PROGRESS_INTERVAL_MS = 250;

/** The transfer of one file; see FileProgressMeter.start. */
export interface FileTransfer {
  /** False when nothing about this transfer is reported (a small file, or nobody listens). */
  readonly reported: boolean;
  /** `bytes` more of the file moved. Reported unless the last report is too recent. */
  add(bytes: number): void;
  /** The transfer completed: reports bytesDone = bytesTotal, once. */
  finish(): void;
}

const SILENT: FileTransfer = { reported: false, add: () => undefined, finish: () => undefined };

export class FileProgressMeter {
  constructor(
    private readonly libraryId: string,
    private readonly listener: ((progress: FileProgress) => void) | undefined,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * A transfer of `bytesTotal` bytes at `path` that starts with `bytesDone` of them already in
   * place (chunks the server has, a partial download kept). It reports nothing until bytes
   * move or it finishes, so a transfer refused before its first byte raises no event.
   */
  start(path: LibraryPath, direction: FileProgress['direction'], bytesTotal: number, bytesDone = 0): FileTransfer {
    const listener = this.listener;
    if (listener === undefined || bytesTotal < FILE_PROGRESS_MIN_BYTES) return SILENT;
    const libraryId = this.libraryId;
    const now = this.now;
    let done = Math.min(bytesDone, bytesTotal);
    let reportedAt = Number.NEGATIVE_INFINITY;
    let finished = false;
    const report = (bytes: number): void => {
      reportedAt = now();
      listener({ libraryId, path, direction, bytesDone: bytes, bytesTotal });
    };
    return {
      reported: true,
      add(bytes) {
        if (finished) return;
        done = Math.min(done + bytes, bytesTotal);
        // Until finish(), a report never claims the whole file: its last bytes are not in place yet.
        if (done < bytesTotal && now() - reportedAt >= FILE_PROGRESS_INTERVAL_MS) report(done);
      },
      finish() {
        if (finished) return;
        finished = true;
        done = bytesTotal;
        report(bytesTotal);
      },
    };
  }
}
