// Writes a file into a library so that no instant exists at which a partly written file
// carries the real name: temp file in the same folder, fsync, re-check, rename, fsync folder.

import type { FileHandle } from 'node:fs/promises';
import { chmod, link, open, rename, truncate, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { LibraryPath } from '../../../shared/paths.js';
import { clampMtimeMs } from '../../../shared/protocol/index.js';
import { type Expectation, type ObservedNode, matchesExpectation, observe } from './expectation.js';
import { fsErrorCode, lstatIfPresent } from './fsErrorCode.js';
import { fsyncFolder } from '../../../shared/node/fsyncFolder.js';
import { CheckedFolders } from './checkedFolders.js';
import { type Refusal, refuseUnsafe } from './resolveInRoot.js';
import { newTempFileName, noteStrayTemp } from './tempFileName.js';

export interface WriteFileOptions {
  /** The modification time to give the file, in ms since the epoch. */
  readonly mtimeMs: number;
  readonly executable: boolean;
  /** What must be at the destination for the write to go ahead: nothing, or the file the scan saw. */
  readonly expect: Extract<Expectation, { kind: 'absent' | 'file' }>;
  /**
   * Resumable write of a large download: the temp file has this fixed name (see
   * partialFileName), its first `keepBytes` bytes (verified by the caller) are kept and the
   * source supplies the rest, and an interrupted write leaves the temp file for the next try.
   */
  readonly partial?: { readonly name: string; readonly keepBytes: number };
  /**
   * The round's checked folders: the destination's folder is confirmed with one lstat before
   * the write and one before the rename, instead of a walk of every ancestor each time (see
   * CheckedFolders). Without it, the whole chain is checked on each of the two looks.
   */
  readonly folders?: CheckedFolders;
  /**
   * False: the folder is not fsynced here; the caller fsyncs it once for many files (see
   * syncFolders) and must not record any of them as written before that.
   */
  readonly syncFolder?: boolean;
  /**
   * Called once for each piece of `source` when its bytes are in the file (written; not yet
   * fsynced), after which this function never reads it again: the source may then use its
   * memory for other bytes. Not called for pieces of a write that failed.
   */
  readonly release?: (piece: Uint8Array) => void;
}

export type WriteFileResult =
  /** The file is in place; inode, mtime and size are what the disk now holds (record them). */
  | { readonly status: 'written'; readonly inode: number; readonly mtimeMs: number; readonly size: number }
  /** The destination no longer matches `expect`; it was left untouched. Make a conflict. */
  | { readonly status: 'changed'; readonly found: ObservedNode }
  | Refusal;

/**
 * Writes `source` to `libraryPath` below `root`.
 *
 * Order, and why: the bytes go to `.cairn-tmp-<random>` in the destination's folder (same file
 * system, so the final rename is atomic); mode and mtime are set on the temp file and it is
 * fsynced, so the file appears under its real name already complete; then the destination is
 * re-checked against `expect` right before the rename, because the user may have saved it
 * while we downloaded. A new file (expect 'absent') is put in place with link(), which fails
 * instead of replacing a file that appeared after the re-check; file systems without hard
 * links fall back to rename. Finally the folder is fsynced so the new name survives a crash
 * (unless the caller does that for many files at once: `syncFolder`).
 *
 * The source is not read when the destination already differs from `expect` or the path is
 * refused; the caller closes it. If the source throws, the temp file is removed and the error
 * propagates. Missing parent folders are not created (use CheckedFolders.ensure first): ENOENT propagates.
 */
export async function writeFileAtomic(
  root: string,
  libraryPath: LibraryPath,
  source: AsyncIterable<Uint8Array>,
  options: WriteFileOptions,
): Promise<WriteFileResult> {
  return refuseUnsafe(async () => {
    const folders = options.folders ?? new CheckedFolders(root);
    const destination = await folders.locate(libraryPath);
    const before = await lstatIfPresent(destination);
    if (!matchesExpectation(options.expect, before)) return { status: 'changed', found: observe(before) } as const;

    const partial = options.partial;
    const temp = path.join(path.dirname(destination), partial?.name ?? newTempFileName());
    // A new file gets 0o666 or 0o777, which the kernel narrows by the umask (0o644 or 0o755
    // with the usual umask 022). A replaced file keeps its other mode bits (set below).
    const mode = options.executable ? 0o777 : 0o666;
    let handle: FileHandle | undefined;
    /** Past the write: an ENOENT now means the user moved or deleted the folder meanwhile. */
    let placing = false;
    if (partial !== undefined && partial.keepBytes > 0) {
      await truncate(temp, partial.keepBytes);
      handle = await open(temp, 'a', mode);
    } else {
      handle = await open(temp, partial === undefined ? 'wx' : 'w', mode);
    }
    const pending = new PendingWrites(options.release);
    try {
      for await (const piece of source) await pending.add(handle, piece);
      await pending.flush(handle);
      const wantedMode = before === undefined ? undefined : withExecutable(before.mode & 0o7777, options.executable);
      if (wantedMode !== undefined) await handle.chmod(wantedMode);
      // A time no Date holds (1e308) fails with EINVAL: the file gets the nearest one Cairn allows.
      await handle.utimes(new Date(), new Date(clampMtimeMs(options.mtimeMs)));
      await handle.sync();
      const written = await handle.stat();
      await handle.close();
      handle = undefined;
      placing = true;

      // The re-check: as late as possible, and the folder again, since it (or a folder above
      // it) could have been swapped for a symlink during a long download.
      await folders.locate(libraryPath);
      // A new file needs no look: link() below fails rather than replace what appeared.
      const now = options.expect.kind === 'absent' ? undefined : await lstatIfPresent(destination);
      if (!matchesExpectation(options.expect, now)) {
        await removeQuietly(temp);
        return { status: 'changed', found: observe(now) } as const;
      }
      if (now !== undefined && wantedMode !== undefined) {
        // A chmod between the first look and now changes no size, mtime or inode; keep it.
        const latestMode = withExecutable(now.mode & 0o7777, options.executable);
        if (latestMode !== wantedMode) await chmod(temp, latestMode);
      }

      if (options.expect.kind === 'absent') {
        const placed = await linkWithoutReplacing(temp, destination);
        if (placed === 'exists') {
          await removeQuietly(temp);
          return { status: 'changed', found: observe(await lstatIfPresent(destination)) } as const;
        }
        if (placed === 'linked') {
          await unlink(temp);
        } else {
          // No hard links on this file system: rename, right after a look that nothing is there.
          const found = await lstatIfPresent(destination);
          if (found !== undefined) {
            await removeQuietly(temp);
            return { status: 'changed', found: observe(found) } as const;
          }
          await rename(temp, destination);
        }
      } else {
        await rename(temp, destination);
      }
      if (options.syncFolder !== false) await fsyncFolder(path.dirname(destination));
      return { status: 'written', inode: written.ino, mtimeMs: written.mtimeMs, size: written.size } as const;
    } catch (error) {
      if (handle !== undefined) {
        // What reached the partial file is progress; the next attempt verifies and keeps it.
        if (partial !== undefined) await pending.flush(handle).catch(() => undefined);
        else await pending.idle();
        if (partial !== undefined) await handle.sync().catch(() => undefined);
        await handle.close().catch(() => undefined);
      }
      if (partial === undefined) await removeQuietly(temp);
      // The folder (with the temp file in it) was moved or deleted while we wrote: nothing is
      // replaced, and the next pass sees where things are now.
      if (placing && fsErrorCode(error) === 'ENOENT') {
        // A partial file that moved with the folder is no use for a resume here any more.
        if (partial !== undefined) noteStrayTemp(partial.name);
        return { status: 'changed', found: observe(await lstatIfPresent(destination)) } as const;
      }
      throw error;
    }
  });
}

/** Sets or clears the executable bits, keeping the others: x wherever r is granted, or no x. */
export function withExecutable(mode: number, executable: boolean): number {
  return executable ? mode | ((mode & 0o444) >> 2) : mode & ~0o111;
}

/**
 * Gives `from`'s file the name `to` unless `to` exists: link() never replaces. 'unsupported'
 * means this file system has no hard links (FAT, some network shares); the caller then renames,
 * having just checked that `to` is absent.
 */
export async function linkWithoutReplacing(from: string, to: string): Promise<'linked' | 'exists' | 'unsupported'> {
  try {
    await link(from, to);
    return 'linked';
  } catch (error) {
    const code = fsErrorCode(error);
    if (code === 'EEXIST') return 'exists';
    if (code !== undefined && LINK_UNSUPPORTED.has(code)) return 'unsupported';
    throw error;
  }
}

/** link() errors that mean "this file system has no hard links", not "something is there". */
export const LINK_UNSUPPORTED: ReadonlySet<string> = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK', 'EINVAL']);

/** Pieces gathered up to this many bytes are written with one call (writev): larger batches cost more memory and gained nothing measurable. */
const WRITE_BATCH_BYTES = 1024 * 1024;

/**
 * A large file's bytes are handed to the disk (fdatasync, not awaited) every time this many
 * more were written, while the rest is still being written: the disk writes the file as it
 * arrives instead of all of it at the final fsync, which otherwise waited for the whole file
 * (about a second for 512 MiB here; the kernel starts writing dirty pages on its own only past
 * a tenth of RAM). The final fsync still runs and still decides; these only start it early.
 */
export const EARLY_SYNC_BYTES = 32 * 1024 * 1024;

/**
 * The source's pieces (a large file's chunks, ~128 KiB each, or less) gathered and written about
 * a MiB at a time, one batch on its way while the next is gathered: each write is a round trip
 * to the thread pool (rebuilding a 512 MiB file made 11,000 of them), and the source's reads
 * and hashing overlap with the disk's work.
 */
class PendingWrites {
  private pieces: Uint8Array[] = [];
  private bytes = 0;
  /** The batch being written while the next one is gathered (one at a time, in order); never rejects. */
  private writing: Promise<void> = Promise.resolve();
  private failure: { readonly error: unknown } | null = null;
  /** Bytes written since the last early sync started (see EARLY_SYNC_BYTES). */
  private unsynced = 0;
  /** The early sync running, if any (one at a time); never rejects. */
  private syncing: Promise<void> | null = null;

  constructor(private readonly release?: (piece: Uint8Array) => void) {}

  async add(handle: FileHandle, piece: Uint8Array): Promise<void> {
    if (piece.byteLength === 0) return;
    this.pieces.push(piece);
    this.bytes += piece.byteLength;
    if (this.bytes < WRITE_BATCH_BYTES) return;
    // At most one batch on its way to the disk while the source produces the next.
    await this.settled();
    const written = this.bytes;
    const batch = this.take();
    this.writing = writeBatch(handle, batch).then(
      () => {
        this.released(batch);
        this.wrote(handle, written);
      },
      (error: unknown) => {
        this.failure = { error };
      },
    );
  }

  /** Writes everything gathered, and waits for the batch and early sync on their way. */
  async flush(handle: FileHandle): Promise<void> {
    await this.settled();
    const batch = this.take();
    await writeBatch(handle, batch);
    this.released(batch);
    await this.syncing;
    // A failed early sync may have taken the error the final fsync would otherwise report.
    if (this.failure !== null) throw this.failure.error;
  }

  /** Waits for the batch and early sync on their way, whatever their outcome. */
  async idle(): Promise<void> {
    await this.writing;
    await this.syncing;
  }

  /** The pieces of a batch written whole go back to the source (WriteFileOptions.release). */
  private released(batch: readonly Uint8Array[]): void {
    if (this.release !== undefined) for (const piece of batch) this.release(piece);
  }

  /** Starts an early sync once enough was written since the last one, unless one runs. */
  private wrote(handle: FileHandle, bytes: number): void {
    this.unsynced += bytes;
    if (this.unsynced < EARLY_SYNC_BYTES || this.syncing !== null) return;
    this.unsynced = 0;
    this.syncing = handle
      .datasync()
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => {
        this.syncing = null;
      });
  }

  /** Waits for the batch on its way; throws what its write threw. */
  private async settled(): Promise<void> {
    await this.writing;
    if (this.failure !== null) throw this.failure.error;
  }

  private take(): Uint8Array[] {
    const pieces = this.pieces;
    this.pieces = [];
    this.bytes = 0;
    return pieces;
  }
}

/** Writes the pieces at the file's position, retrying short writes. */
async function writeBatch(handle: FileHandle, batch: Uint8Array[]): Promise<void> {
  let pieces = batch;
  let left = pieces.reduce((sum, piece) => sum + piece.byteLength, 0);
  while (left > 0) {
    const { bytesWritten } = await handle.writev(pieces);
    left -= bytesWritten;
    if (left > 0) pieces = dropWritten(pieces, bytesWritten);
  }
}

/** What is left of `pieces` after their first `written` bytes. */
function dropWritten(pieces: readonly Uint8Array[], written: number): Uint8Array[] {
  const rest: Uint8Array[] = [];
  let skip = written;
  for (const piece of pieces) {
    if (skip >= piece.byteLength) {
      skip -= piece.byteLength;
      continue;
    }
    rest.push(skip > 0 ? piece.subarray(skip) : piece);
    skip = 0;
  }
  return rest;
}

export async function removeQuietly(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (error) {
    if (fsErrorCode(error) !== 'ENOENT') throw error;
    // Moved away with its folder: a later scan finds it by name.
    noteStrayTemp(path.basename(file));
  }
}
