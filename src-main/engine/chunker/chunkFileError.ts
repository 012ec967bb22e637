// Per-file trouble while chunking or re-reading a file. These are expected events on a live
// disk (a file being written, removed or locked while we read it), so they are data for the
// scanner and the UI, never crashes. Every other error escaping the chunker is a bug.

export type ChunkFileProblem =
  /** The file's size, times or identity changed between the start and the end of the read. */
  | 'changed-while-reading'
  /** The path no longer names a file (ENOENT, ENOTDIR, ELOOP). */
  | 'not-found'
  /** The OS refused to let us read it (EACCES, EPERM). */
  | 'access-denied'
  /**
   * Another program holds the file locked (EBUSY, typically on Windows), or the system is out
   * of file handles for the moment (EMFILE, ENFILE, EAGAIN).
   */
  | 'busy'
  /** The path is a folder, device, FIFO or socket, not a regular file. */
  | 'not-a-regular-file'
  /** Any other operating-system error while reading (EIO, ENXIO, ...). */
  | 'read-failed';

/** What the caller should do about a problem. */
export type ChunkFileAction =
  /** Try the same file again after a delay (the file is in use or the system is busy). */
  | 'retry-later'
  /** Forget the old observation: the next scan will see what the path is now. */
  | 'rescan'
  /** Show it to the user; nothing changes until they act (permissions, disk trouble). */
  | 'needs-user';

export function actionFor(problem: ChunkFileProblem): ChunkFileAction {
  switch (problem) {
    case 'changed-while-reading':
    case 'busy':
      return 'retry-later';
    case 'not-found':
    case 'not-a-regular-file':
      return 'rescan';
    case 'access-denied':
    case 'read-failed':
      return 'needs-user';
    default:
      return missingProblem(problem);
  }
}

function missingProblem(problem: never): never {
  throw new RangeError(`Unknown chunk-file problem ${JSON.stringify(problem)}.`);
}

export class ChunkFileError extends Error {
  readonly problem: ChunkFileProblem;
  readonly path: string;
  /**
   * An operating-system error code, where Node's own fs errors keep theirs, so that code which
   * sorts errors by `code` (such as the scanner) treats both alike: the code the OS gave, or
   * for 'not-a-regular-file' the one reading it would give ('EISDIR' for a folder, 'EINVAL'
   * otherwise). Undefined only for FileChangedWhileReading, which its name identifies.
   */
  readonly code: string | undefined;

  constructor(problem: ChunkFileProblem, path: string, detail: string, code: string | undefined) {
    super(`${path}: ${detail}`);
    this.name = 'ChunkFileError';
    this.problem = problem;
    this.path = path;
    this.code = code;
  }

  get action(): ChunkFileAction {
    return actionFor(this.problem);
  }
}

/** The file changed while it was read: its chunks describe no version of it. Retry later. */
export class FileChangedWhileReading extends ChunkFileError {
  constructor(path: string, detail: string) {
    super('changed-while-reading', path, detail, undefined);
    this.name = 'FileChangedWhileReading';
  }
}

const problemsBySystemCode: Readonly<Record<string, ChunkFileProblem>> = {
  ENOENT: 'not-found',
  ENOTDIR: 'not-found',
  ELOOP: 'not-found',
  EACCES: 'access-denied',
  EPERM: 'access-denied',
  EBUSY: 'busy',
  EMFILE: 'busy',
  ENFILE: 'busy',
  EAGAIN: 'busy',
  EISDIR: 'not-a-regular-file',
};

/**
 * Maps an error from node:fs about `path` to a ChunkFileError. Errors without an OS error code
 * are bugs and are returned unchanged, for the caller to rethrow.
 */
export function toChunkFileError(error: unknown, path: string): unknown {
  if (error instanceof ChunkFileError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (!(error instanceof Error) || typeof code !== 'string' || !/^E[A-Z0-9]+$/.test(code)) return error;
  const problem = problemsBySystemCode[code] ?? 'read-failed';
  return new ChunkFileError(problem, path, error.message, code);
}

/** Rebuilds an error sent across a thread boundary as plain data (see chunkerWorker). */
export function chunkFileErrorFromData(data: {
  problem: ChunkFileProblem;
  path: string;
  message: string;
  code: string | undefined;
}): ChunkFileError {
  const detail = data.message.startsWith(`${data.path}: `) ? data.message.slice(data.path.length + 2) : data.message;
  return data.problem === 'changed-while-reading'
    ? new FileChangedWhileReading(data.path, detail)
    : new ChunkFileError(data.problem, data.path, detail, data.code);
}
