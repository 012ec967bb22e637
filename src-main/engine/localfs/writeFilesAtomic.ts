// Writes many files at once, each as safely as writeFileAtomic writes one, with the work they
// share done once: each folder is confirmed (one lstat) before its files are written and once
// more before their names are put in place, and fsynced once after all of them. On a disk
// where a system call costs tens of microseconds, a download of 10,000 small files was
// ~30 calls a file (an ancestor walk before and after each write, a mkdir, a folder fsync);
// here it is 8 a file (open, write, futimes, fsync, fstat, close, link, unlink) and a few a
// folder. The calls go through fsCalls: the same calls as fs/promises, about half the work on
// the main thread. In bulk, a caller that may block its thread for a moment (a one-shot
// command, not the daemon) has them made synchronously instead (`onThisThread`), all but the
// files' fsyncs: each is then a few microseconds of system call instead of a thread-pool round
// trip (10,000 small files: ~100,000 round trips, the main thread's largest cost). Never out
// of bulk, where each file's fsync commits the journal while the others are written: on ext4
// a create, link or utimes waits for a commit in flight, which on the main thread stalled a
// 10,000-file download by 5 s. In bulk the one commit is the flush's, and the files' fsyncs
// after it find nothing to commit; the caller may write the next group meanwhile (see
// `onWritten`), which measured faster than waiting for each group in turn.
//
// A group of many files is made durable in bulk before each file's fsync: all temp files are
// written, then one flushFileSystem (syncfs on Linux) writes the group's data and commits the
// journal once, then each file is fsynced (now cheap: nothing left to write; through the
// descriptor it was written through, kept open meanwhile), then the names are put in place. Where there is no bulk step the files' fsyncs do the work, as before.
//
// What a result promises is what writeFileAtomic promises: a 'written' file was complete and
// fsynced under its temp name before it got its real name, never replaced anything but the
// file `expect` names, and its name is durable (its folder was fsynced) when the call returns.

import type fs from 'node:fs';
import path from 'node:path';
import { parentPath, type LibraryPath } from '../../../shared/paths.js';
import type { CheckedFolders } from './checkedFolders.js';
import { type Expectation, matchesExpectation, observe } from './expectation.js';
import { type FileCalls, fsCalls as call, fsCallsOnThisThread } from '../../../shared/node/fsCalls.js';
import { fsErrorCode } from './fsErrorCode.js';
import { fsyncFolders } from '../../../shared/node/fsyncFolder.js';
import { type BulkFlush, fileSystemFlush } from './flushFileSystem.js';
import { newTempFileName } from './tempFileName.js';
import { LINK_UNSUPPORTED, type WriteFileResult, removeQuietly, withExecutable } from './writeFileAtomic.js';

export interface FileToWrite {
  readonly path: LibraryPath;
  /** The file's bytes; called once, when its turn comes, and never for a file refused before. */
  readonly source: () => AsyncIterable<Uint8Array>;
  /** The modification time to give the file, in ms since the epoch. */
  readonly mtimeMs: number;
  readonly executable: boolean;
  /** What must be at the destination for the write to go ahead: nothing, or the file the scan saw. */
  readonly expect: Extract<Expectation, { kind: 'absent' | 'file' }>;
}

export type BatchWriteResult =
  | WriteFileResult
  /** The file's folder is gone or is no longer a folder (the user moved things): nothing written. */
  | { readonly status: 'gone' }
  /** This disk refuses the file's name or the path's length (see PATH_REFUSED_CODES): nothing written. */
  | { readonly status: 'refused'; readonly error: unknown };

/**
 * Errors by which a file system refuses one path, not the whole write: a path too long below
 * this root, or a name it does not take (FAT and exFAT refuse ':' or '?' on Linux). The other
 * files of a batch are written all the same.
 */
export const PATH_REFUSED_CODES: ReadonlySet<string> = new Set(['ENAMETOOLONG', 'EINVAL', 'EILSEQ']);


/**
 * Fewest files in a batch for the bulk step: below it, a fsync each costs less than starting
 * `sync -f` (a process) and the files' fsyncs after it.
 */
export const BULK_FLUSH_MIN_FILES = 16;

/** A file written under its temp name, waiting for its real one. */
interface Prepared {
  readonly temp: string;
  readonly destination: string;
  readonly inode: number;
  readonly mtimeMs: number;
  readonly size: number;
  /** The mode a replaced file gets (its own, with the executable bits asked for); undefined for a new file. */
  readonly wantedMode: number | undefined;
  /** In bulk, the descriptor it was written through, kept open for its fsync (see HELD_DESCRIPTORS_MAX). */
  fd: number | undefined;
}

/**
 * In bulk, files written and waiting for their fsync keep the descriptor they were written
 * through, up to this many in the process at once (two groups may be in flight): an open and
 * a close fewer per file. Beyond it a file is closed and opened again for its fsync.
 */
export const HELD_DESCRIPTORS_MAX = 768;
let heldDescriptors = 0;

/** Closes a prepared file's held descriptor, if any; an error closing it is not the one that matters then. */
async function releaseQuietly(file: Prepared, calls: FileCalls): Promise<void> {
  const fd = file.fd;
  if (fd === undefined) return;
  file.fd = undefined;
  heldDescriptors -= 1;
  try {
    await calls.close(fd);
  } catch {
    // Nothing more to do with it.
  }
}

export interface WriteFilesOptions {
  /**
   * In bulk, make every call but the files' fsyncs synchronously on this thread (see the
   * file's comment): for a process that serves nothing else meanwhile.
   */
  readonly onThisThread?: boolean;
  /** Called once every file's bytes are written under its temp name (every source read), before the flush. */
  readonly onWritten?: () => void;
}

/**
 * Writes `files` (each path once) with at most `concurrency` being written at a time, and
 * answers one result per file, in order. Their folders must exist (CheckedFolders.ensure);
 * one that is gone answers 'gone' for its files. If a source throws, every temp file of the
 * batch is removed, nothing more is put in place, and the error propagates; files put in
 * place before that stay (they are complete), but were not fsynced into their folder, so the
 * caller must not record them.
 */
export async function writeFilesAtomic(
  folders: CheckedFolders,
  files: readonly FileToWrite[],
  concurrency: number,
  flush: BulkFlush = fileSystemFlush,
  options: WriteFilesOptions = {},
): Promise<BatchWriteResult[]> {
  const results = new Array<BatchWriteResult | undefined>(files.length);
  const prepared = new Array<Prepared | undefined>(files.length);
  const byFolder = new Map<LibraryPath | '', number[]>();
  files.forEach((file, index) => {
    const folder = parentPath(file.path);
    const members = byFolder.get(folder);
    if (members === undefined) byFolder.set(folder, [index]);
    else members.push(index);
  });

  // 1. Each folder confirmed once, right before its files are written.
  const folderAbsolute = new Map<LibraryPath | '', string>();
  for (const [folder, members] of byFolder) {
    const confirmed = await folders.confirm(folder);
    if (confirmed.status === 'confirmed') folderAbsolute.set(folder, confirmed.absolute);
    else for (const index of members) results[index] = confirmed;
  }

  // 2. The bytes of every file to its temp name, fsynced now, or in step 3.
  const inBulk = files.length >= BULK_FLUSH_MIN_FILES && flush.available;
  // In bulk the files' fsyncs come after the one journal commit of the flush (see above).
  const calls: FileCalls = inBulk && options.onThisThread === true ? fsCallsOnThisThread : call;
  const laneCount = Math.max(1, Math.min(concurrency, files.length));
  let failure: { readonly error: unknown } | undefined;
  let next = 0;
  const lanes = Array.from({ length: laneCount }, async () => {
    while (failure === undefined && next < files.length) {
      const index = next++;
      if (results[index] !== undefined) continue;
      const file = files[index]!;
      const folder = folderAbsolute.get(parentPath(file.path))!;
      try {
        const outcome = await prepare(file, path.join(folder, file.path.slice(file.path.lastIndexOf('/') + 1)), folder, inBulk, calls);
        if ('temp' in outcome) prepared[index] = outcome;
        else results[index] = outcome;
      } catch (error) {
        const code = fsErrorCode(error);
        // The folder was renamed, deleted or replaced by a file while we wrote into it.
        if (code === 'ENOENT' || code === 'ENOTDIR') results[index] = { status: 'gone' };
        else if (code !== undefined && PATH_REFUSED_CODES.has(code)) results[index] = { status: 'refused', error };
        else failure ??= { error };
      }
    }
  });
  await Promise.all(lanes);
  options.onWritten?.();

  // 3. In bulk: the group's data written out in one step, then each file fsynced, before any
  // name is put in place. The fsyncs are what make a file durable and report a write error
  // whatever the bulk step did (or where it is not available: then they do all the work).
  if (failure === undefined && inBulk) {
    const waiting = prepared.flatMap((file, index) => (file === undefined ? [] : [index]));
    if (waiting.length > 0) {
      const bytes = waiting.reduce((sum, index) => sum + prepared[index]!.size, 0);
      await flush.run(path.dirname(prepared[waiting[0]!]!.temp), bytes).catch(() => false);
    }
    let nextSync = 0;
    await Promise.all(
      Array.from({ length: laneCount }, async () => {
        while (failure === undefined && nextSync < waiting.length) {
          const index = waiting[nextSync++]!;
          try {
            await fsyncFile(prepared[index]!, calls);
          } catch (error) {
            const code = fsErrorCode(error);
            // The folder with the temp file in it was moved or deleted since the write.
            if (code === 'ENOENT' || code === 'ENOTDIR') {
              await removeQuietly(prepared[index]!.temp);
              prepared[index] = undefined;
              results[index] = { status: 'gone' };
            } else failure ??= { error };
          }
        }
      }),
    );
  }
  if (failure !== undefined) {
    await Promise.all(prepared.map(async (file) => (file === undefined ? undefined : (await releaseQuietly(file, calls), await removeQuietly(file.temp)))));
    throw failure.error;
  }

  // 4. Each folder confirmed again, as late as possible, then its files put in place.
  const placedIn = new Set<string>();
  try {
    for (const [folder, members] of byFolder) {
      const waiting = members.filter((index) => prepared[index] !== undefined);
      if (waiting.length === 0) continue;
      const confirmed = await folders.confirm(folder);
      for (const index of waiting) {
        const file = prepared[index]!;
        prepared[index] = undefined;
        if (confirmed.status !== 'confirmed') {
          await removeQuietly(file.temp);
          results[index] = confirmed;
          continue;
        }
        try {
          results[index] = await place(file, files[index]!, calls);
        } catch (error) {
          const code = fsErrorCode(error);
          // The folder (with the temp file in it) was moved or deleted since its confirmation,
          // or this disk does not take the file's name.
          if (code !== 'ENOENT' && (code === undefined || !PATH_REFUSED_CODES.has(code))) throw error;
          await removeQuietly(file.temp);
          results[index] = code === 'ENOENT' ? { status: 'gone' } : { status: 'refused', error };
        }
        if (results[index]!.status === 'written') placedIn.add(confirmed.absolute);
      }
    }
  } finally {
    await Promise.all(prepared.map((file) => (file === undefined ? undefined : removeQuietly(file.temp))));
  }

  // 5. One fsync per folder makes every new name durable.
  await fsyncFolders(placedIn);
  return results as BatchWriteResult[];
}

/**
 * fsyncs a written temp file through the descriptor it was written through, or, closed, through
 * a new one. That reports a write error of the file's data as the writing descriptor would:
 * Linux reports an error to every descriptor opened before it was reported to anyone, and only
 * a fsync of this file (nobody else's knows its random name) reports it.
 */
async function fsyncFile(prepared: Prepared, calls: FileCalls): Promise<void> {
  const held = prepared.fd;
  if (held !== undefined) {
    prepared.fd = undefined;
    heldDescriptors -= 1;
    try {
      await call.fsync(held);
    } finally {
      await calls.close(held);
    }
    return;
  }
  // Opening and closing a file to read it starts no journal handle: only the fsync is waited for off this thread.
  const fd = await calls.open(prepared.temp, 'r');
  try {
    await call.fsync(fd);
  } finally {
    await calls.close(fd);
  }
}

/** lstat through `calls`, undefined when nothing is there (an ancestor that is a file included). */
async function lstatIfPresent(absolutePath: string, calls: FileCalls): Promise<fs.Stats | undefined> {
  try {
    return await calls.lstat(absolutePath);
  } catch (error) {
    const code = fsErrorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/**
 * Writes one file's bytes to a new temp file beside `destination`, closed, and fsynced unless
 * `deferSync` (the batch does that later, see step 3).
 */
async function prepare(file: FileToWrite, destination: string, folder: string, deferSync: boolean, calls: FileCalls): Promise<Prepared | BatchWriteResult> {
  let before: fs.Stats | undefined;
  if (file.expect.kind === 'file') {
    // The source is not read for a file the user changed since the scan. A new file needs no
    // look: link() fails rather than replace what appeared.
    before = await lstatIfPresent(destination, calls);
    if (!matchesExpectation(file.expect, before)) return { status: 'changed', found: observe(before) };
  }
  const temp = path.join(folder, newTempFileName());
  // A new file gets 0o666 or 0o777, narrowed by the umask; a replaced file keeps its other mode bits.
  const fd = await calls.open(temp, 'wx', file.executable ? 0o777 : 0o666);
  let open = true;
  try {
    for await (const piece of file.source()) {
      let offset = 0;
      while (offset < piece.byteLength) offset += await calls.write(fd, piece, offset, piece.byteLength - offset);
    }
    const wantedMode = before === undefined ? undefined : withExecutable(before.mode & 0o7777, file.executable);
    if (wantedMode !== undefined) await calls.fchmod(fd, wantedMode);
    await calls.futimes(fd, new Date(), new Date(file.mtimeMs));
    if (!deferSync) await call.fsync(fd);
    const written = await calls.fstat(fd);
    const prepared = { temp, destination, inode: written.ino, mtimeMs: written.mtimeMs, size: written.size, wantedMode, fd: undefined as number | undefined };
    open = false;
    if (deferSync && heldDescriptors < HELD_DESCRIPTORS_MAX) {
      heldDescriptors += 1;
      prepared.fd = fd;
    } else {
      await calls.close(fd);
    }
    return prepared;
  } catch (error) {
    if (open) {
      try {
        await calls.close(fd);
      } catch {
        // The error that matters is the one being thrown.
      }
    }
    await removeQuietly(temp);
    throw error;
  }
}

/** Gives a prepared file its real name, if the destination is still what `file.expect` says. */
async function place(prepared: Prepared, file: FileToWrite, calls: FileCalls): Promise<WriteFileResult> {
  const { temp, destination } = prepared;
  const changed = async (): Promise<WriteFileResult> => {
    await removeQuietly(temp);
    return { status: 'changed', found: observe(await lstatIfPresent(destination, calls)) };
  };
  if (file.expect.kind === 'absent') {
    try {
      await calls.link(temp, destination);
      await calls.unlink(temp);
    } catch (error) {
      const code = fsErrorCode(error);
      if (code === 'EEXIST') return changed();
      if (code === undefined || !LINK_UNSUPPORTED.has(code)) throw error;
      // No hard links on this file system: rename, right after a look that nothing is there.
      if ((await lstatIfPresent(destination, calls)) !== undefined) return changed();
      await calls.rename(temp, destination);
    }
  } else {
    const now = await lstatIfPresent(destination, calls);
    if (!matchesExpectation(file.expect, now) || now === undefined) return changed();
    if (prepared.wantedMode !== undefined) {
      // A chmod between the first look and now changes no size, mtime or inode; keep it.
      const latestMode = withExecutable(now.mode & 0o7777, file.executable);
      if (latestMode !== prepared.wantedMode) await calls.chmod(temp, latestMode);
    }
    await calls.rename(temp, destination);
  }
  return { status: 'written', inode: prepared.inode, mtimeMs: prepared.mtimeMs, size: prepared.size };
}
