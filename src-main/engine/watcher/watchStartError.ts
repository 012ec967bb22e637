// Why a watch could not start, classified by what the caller should do about it.

import { stat } from 'node:fs/promises';
import { fsErrorCode } from '../localfs/fsErrorCode.js';

export type WatchStartProblem =
  /** The root does not exist (an unplugged disk, a moved folder). Retry once it is back. */
  | 'root-missing'
  /** The root is a file or something else that is not a folder. Needs the user. */
  | 'root-not-a-folder'
  /** The OS refused to let Cairn watch (permissions). Needs the user. */
  | 'unreadable'
  /**
   * The system's limit on watched folders or open files is reached (on Linux:
   * fs.inotify.max_user_watches). Needs the user, or a polling watcher meanwhile.
   */
  | 'watch-limit'
  /** Anything else, for example a folder removed while the watch was being set up. Retry later. */
  | 'failed';

/**
 * A watch could not start. The daemon keeps the library syncing by periodic rescans and shows
 * the message, which tells the user what to do.
 */
export class WatchStartError extends Error {
  override readonly name = 'WatchStartError';
  constructor(
    readonly reason: WatchStartProblem,
    readonly root: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(messageFor(reason, root, detail), options);
  }

  /** Whether starting the same watch again later may succeed without anyone doing anything. */
  get retryable(): boolean {
    return this.reason === 'root-missing' || this.reason === 'failed';
  }
}

function messageFor(reason: WatchStartProblem, root: string, detail: string): string {
  switch (reason) {
    case 'root-missing':
      return `Cairn cannot watch ${root}: the folder is missing. Connect its disk or choose its new location; Cairn tries again meanwhile.`;
    case 'root-not-a-folder':
      return `Cairn cannot watch ${root}: it is not a folder. Move the file away or choose another folder.`;
    case 'unreadable':
      return `Cairn may not watch ${root} or a folder in it (${detail}). Give your user access to it; until then changes there are found by periodic rescans only.`;
    case 'watch-limit':
      return `Cairn cannot watch ${root}: the system's limit on watched folders is reached (${detail}). On Linux raise it, for example with "sysctl fs.inotify.max_user_watches=524288"; until then changes are found by periodic rescans only.`;
    case 'failed':
      return `Cairn could not start watching ${root} (${detail}). It tries again shortly; meanwhile changes are found by periodic rescans.`;
    default:
      return reason satisfies never;
  }
}

/**
 * Checks that `root` is a folder before a watch starts, so that the common problems get a clear
 * reason instead of whatever the watcher library says about them.
 */
export async function checkWatchRoot(root: string): Promise<void> {
  try {
    const stats = await stat(root);
    if (!stats.isDirectory()) throw new WatchStartError('root-not-a-folder', root, 'not a folder');
  } catch (error) {
    if (error instanceof WatchStartError) throw error;
    const code = fsErrorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new WatchStartError('root-missing', root, code, { cause: error });
    if (code === 'EACCES' || code === 'EPERM') throw new WatchStartError('unreadable', root, code, { cause: error });
    throw new WatchStartError('failed', root, code ?? String(error), { cause: error });
  }
}

/**
 * Classifies an error a watcher library raised while starting. Native watchers report strerror
 * text rather than codes, so both are recognized.
 */
export function watchStartErrorFrom(error: unknown, root: string): WatchStartError {
  if (error instanceof WatchStartError) return error;
  const code = fsErrorCode(error);
  const text = error instanceof Error ? error.message : String(error);
  const detail = code ?? text;
  if (code === 'ENOSPC' || code === 'EMFILE' || code === 'ENFILE' || /no space left on device|too many open files/i.test(text)) {
    return new WatchStartError('watch-limit', root, detail, { cause: error });
  }
  if (code === 'EACCES' || code === 'EPERM' || /permission denied|operation not permitted/i.test(text)) {
    return new WatchStartError('unreadable', root, detail, { cause: error });
  }
  return new WatchStartError('failed', root, detail, { cause: error });
}
