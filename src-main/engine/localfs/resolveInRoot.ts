// The only way from a LibraryPath to an absolute path on disk. It refuses anything that could
// reach outside the library root: a non-canonical path ('..', absolute, backslash), a name the
// OS cannot hold, or a symlink anywhere between the root and the target.

import path from 'node:path';
import { ancestorPaths, checkLibraryPath, type LibraryPath } from '../../../shared/paths.js';
import { checkLocalPath } from './checkLocalName.js';
import { lstatIfPresent } from './fsErrorCode.js';

export type UnsafePathReason =
  /** The path is not a canonical LibraryPath ('..', absolute, backslash, ...). */
  | 'not-canonical'
  /** A segment is a name the local OS cannot hold (see checkLocalName). */
  | 'illegal-local-name'
  /** The target or one of its folders is a symlink (or a Windows junction). */
  | 'symlink'
  /** One of the target's folders exists but is a file or a special file. */
  | 'not-a-folder';

/** An operation's answer when it refused to touch a path. `at` is the offending path. */
export interface Refusal {
  readonly status: 'unsafe';
  readonly reason: UnsafePathReason;
  readonly at: string;
  readonly message: string;
}

/**
 * Thrown by resolveInRoot. Operations turn it into a Refusal result; the engine reports it as a
 * problem for that path and goes on with the others.
 */
export class UnsafePathError extends Error {
  override readonly name = 'UnsafePathError';
  constructor(
    readonly reason: UnsafePathReason,
    readonly at: string,
    message: string,
  ) {
    super(message);
  }

  toRefusal(): Refusal {
    return { status: 'unsafe', reason: this.reason, at: this.at, message: this.message };
  }
}

/**
 * Resolves `libraryPath` below `root` (an absolute path) and lstats each existing folder from
 * the root down, and the target itself: a symlink anywhere in that chain is refused, because
 * following it could write outside the library. Missing folders are fine (there is nothing to
 * follow); the check stops at the first one. The root itself may be a symlink: the user chose it.
 *
 * This narrows but cannot close the window in which another process swaps a folder for a
 * symlink after the check (Node has no openat); every operation calls it again right before it
 * acts.
 */
export async function resolveInRoot(root: string, libraryPath: LibraryPath): Promise<string> {
  if (!path.isAbsolute(root)) throw new TypeError(`the library root must be an absolute path: ${JSON.stringify(root)}`);
  const check = checkLibraryPath(libraryPath);
  if (!check.ok) {
    throw new UnsafePathError('not-canonical', libraryPath, `Refused ${JSON.stringify(libraryPath)}: not a canonical library path (${check.problem}).`);
  }
  const localCheck = checkLocalPath(libraryPath, process.platform);
  if (!localCheck.ok) throw new UnsafePathError('illegal-local-name', libraryPath, localCheck.message);

  const base = path.resolve(root);
  for (const ancestor of ancestorPaths(libraryPath)) {
    const stats = await lstatIfPresent(absoluteOf(base, ancestor));
    if (stats === undefined) return absoluteOf(base, libraryPath);
    if (stats.isSymbolicLink()) {
      throw new UnsafePathError('symlink', ancestor, `Refused "${libraryPath}": its folder "${ancestor}" is a symlink, and Cairn never follows symlinks out of a library.`);
    }
    if (!stats.isDirectory()) {
      throw new UnsafePathError('not-a-folder', ancestor, `Refused "${libraryPath}": "${ancestor}" is a file, not a folder.`);
    }
  }
  const target = absoluteOf(base, libraryPath);
  const stats = await lstatIfPresent(target);
  if (stats?.isSymbolicLink()) {
    throw new UnsafePathError('symlink', libraryPath, `Refused "${libraryPath}": it is a symlink, and Cairn never follows or replaces symlinks.`);
  }
  return target;
}

/** Joins a canonical path onto an absolute root with the OS separator. No checks. */
export function absoluteOf(base: string, libraryPath: LibraryPath): string {
  return path.join(base, ...libraryPath.split('/'));
}

/** Runs `operation`, turning an UnsafePathError into a Refusal result. */
export async function refuseUnsafe<T>(operation: () => Promise<T>): Promise<T | Refusal> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof UnsafePathError) return error.toRefusal();
    throw error;
  }
}
