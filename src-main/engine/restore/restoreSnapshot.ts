// A whole library as it was at a moment, restored into a new, empty folder outside every
// library: the server's snapshot as of the last commit at or before that moment (snapshot
// route with `at`), each folder made and each file written by temp file, fsync and link
// (never replacing anything), its bytes from local files that hold its chunks (verified by hash
// as read) or from the server (verified by the client), its chunk list checked against its
// content hash and size first. Nothing in the target is synced: it is a plain folder.
//
// An interrupted restore continues where it stopped: the target carries a marker file
// (`.cairn-snapshot`, the library and the moment, written atomically) from the start until the
// last file is in place. A retry of the same library and moment accepts its own non-empty
// target, removes the temp files a crash left, keeps each file already there only when its
// bytes hash to the snapshot's chunks (and its time and mode match), and rewrites the rest
// atomically. Any other non-empty folder is refused.

import { constants } from 'node:fs';
import type { Stats } from 'node:fs';
import { lstat, mkdir, open, readFile, readdir, realpath, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { ChunkRef } from '../../../shared/model.js';
import { chunkIdOf, contentHashOf } from '../../../shared/node/contentHash.js';
import type { LibraryPath } from '../../../shared/paths.js';
import { PROTOCOL_LIMITS, routes } from '../../../shared/protocol/index.js';
import type { Entry } from '../../../shared/protocol/index.js';
import type { Index, LibraryRecord } from '../indexStore/index.js';
import { CheckedFolders, checkLocalPath, cleanupTempFiles, fsErrorCode, writeFileAtomic } from '../localfs/index.js';
import type { Expectation } from '../localfs/index.js';
import type { ServerClient } from '../remote/serverClient.js';
import { ChunkSource } from '../sync/chunkSource.js';
import { UserError } from '../userError.js';

/** Files at most this large are fetched in groups (one request for many); larger ones stream. */
const SMALL_FILE_BYTES = 1024 * 1024;
/** One group's bytes and files at most. */
const GROUP_BYTES = 8 * 1024 * 1024;
const GROUP_FILES = 500;
/** In the target while a restore is under way: which library and moment it holds (see the top). */
export const SNAPSHOT_MARKER = '.cairn-snapshot' as LibraryPath;

interface SnapshotMarker {
  readonly libraryId: string;
  readonly at: number;
}

export interface SnapshotProgress {
  readonly filesDone: number;
  readonly filesTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

export interface SnapshotResult {
  /** The library's sequence number the snapshot is of (0: the library was empty then). */
  readonly seq: number;
  /** The absolute folder written to. */
  readonly target: string;
  readonly files: number;
  readonly folders: number;
  readonly bytes: number;
  /** Paths whose names this computer cannot hold: not written. */
  readonly skipped: readonly LibraryPath[];
}

export interface RestoreSnapshotInput {
  readonly index: Index;
  readonly client: ServerClient;
  readonly library: LibraryRecord;
  /** The moment (ms since the epoch). */
  readonly at: number;
  /** Where to write: a new or empty folder outside every synced library. */
  readonly target: string;
  /** Folders the target must stay out of besides the libraries' (the profile). */
  readonly forbidden: readonly string[];
  readonly onProgress?: (progress: SnapshotProgress) => void;
}

export async function restoreSnapshot(input: RestoreSnapshotInput): Promise<SnapshotResult> {
  const { index, client, library } = input;
  const marker: SnapshotMarker = { libraryId: library.libraryId, at: input.at };
  const { target, resuming } = await prepareTarget(
    input.target,
    [...index.libraries.list().map((record) => ({ folder: record.localRoot, what: `the folder of library "${record.name}"` })), ...input.forbidden.map((folder) => ({ folder, what: 'the Cairn profile' }))],
    marker,
  );
  if (resuming) {
    // Temp files of writes the interruption cut short: never the only copy of anything.
    await cleanupTempFiles(target);
  } else {
    const written = await writeFileAtomic(target, SNAPSHOT_MARKER, once(Buffer.from(JSON.stringify(marker))), { mtimeMs: Date.now(), executable: false, expect: { kind: 'absent' } });
    if (written.status !== 'written') throw new UserError(`${path.join(target, SNAPSHOT_MARKER)} cannot be written`, 'conflict');
  }
  const entries = await snapshotAt(client, library.libraryId, input.at);
  const skipped: LibraryPath[] = [];
  const folders: Entry[] = [];
  const files: Entry[] = [];
  for (const entry of entries.entries) {
    // A library file named like the marker would be taken for it: not written either.
    if (!checkLocalPath(entry.path, process.platform).ok || entry.path === SNAPSHOT_MARKER) skipped.push(entry.path);
    else if (entry.kind === 'dir') folders.push(entry);
    else files.push(entry);
  }
  // A path below a skipped folder cannot be written either.
  const below = (entry: Entry) => skipped.some((folder) => entry.path.startsWith(`${folder}/`));
  for (const entry of files) {
    if (contentHashOf(entry.chunks) !== entry.contentHash || entry.chunks.reduce((sum, chunk) => sum + chunk.size, 0) !== entry.size) {
      throw new Error(`the server's chunk list of ${entry.path} (rev ${entry.rev}) does not match its content ${entry.contentHash}`);
    }
  }
  const progress = { filesDone: 0, filesTotal: files.length, bytesDone: 0, bytesTotal: files.reduce((sum, entry) => sum + entry.size, 0) };
  input.onProgress?.({ ...progress });

  const checked = new CheckedFolders(target);
  let madeFolders = 0;
  for (const folder of folders) {
    if (below(folder)) continue;
    const made = await checked.ensure(folder.path);
    if (made.status === 'blocked') throw new UserError(`${path.join(target, made.at)} appeared while the snapshot was written; it was left as it is`, 'conflict');
    if (made.status === 'unsafe') throw new UserError(`${path.join(target, folder.path)} cannot be made: ${made.message}`, 'conflict');
    madeFolders += 1;
  }
  // On a retry, what is already there: kept when verified, else replaced (expect: the file seen).
  const expected = new Map<Entry, Extract<Expectation, { kind: 'absent' | 'file' }>>();
  const toWrite: Entry[] = [];
  for (const entry of files) {
    if (below(entry)) continue;
    const found = resuming ? await alreadyThere(target, entry) : ({ kind: 'absent' } as const);
    if (found === 'good') {
      progress.filesDone += 1;
      progress.bytesDone += entry.size;
      continue;
    }
    expected.set(entry, found);
    toWrite.push(entry);
  }
  if (resuming) input.onProgress?.({ ...progress });
  const source = new ChunkSource(client, library.libraryId, library.localRoot, index.local.iterate(library.libraryId), toWrite.map((entry) => entry.chunks));
  try {
    for (const group of groups(toWrite)) {
      const streaming = group.length === 1 && group[0]!.size > SMALL_FILE_BYTES;
      if (!streaming) source.prefetch(group.flatMap((entry) => entry.chunks));
      for (const entry of group) {
        const result = await writeFileAtomic(target, entry.path, source.read(entry.chunks, streaming, entry.path), {
          mtimeMs: entry.mtimeMs,
          executable: entry.executable,
          expect: expected.get(entry) ?? { kind: 'absent' },
          folders: checked,
        });
        if (result.status === 'changed') throw new UserError(`${path.join(target, entry.path)} appeared while the snapshot was written; it was left as it is`, 'conflict');
        if (result.status !== 'written') throw new UserError(`${path.join(target, entry.path)} cannot be written: ${result.message}`, 'conflict');
        progress.filesDone += 1;
        progress.bytesDone += entry.size;
        input.onProgress?.({ ...progress });
      }
    }
  } finally {
    await source.close();
  }
  // Complete: the folder holds the library as it was, and nothing else of Cairn's.
  await unlink(path.join(target, SNAPSHOT_MARKER));
  return { seq: entries.seq, target, files: progress.filesDone, folders: madeFolders, bytes: progress.bytesDone, skipped };
}

/**
 * Checks and makes the target: an absolute path, new (made here), an empty folder or one an
 * interrupted restore of the same library and moment left (its marker says so), neither inside
 * nor around any of `forbidden`. Answers its real path, and whether it continues a restore.
 */
async function prepareTarget(
  raw: string,
  forbidden: readonly { readonly folder: string; readonly what: string }[],
  marker: SnapshotMarker,
): Promise<{ readonly target: string; readonly resuming: boolean }> {
  if (!path.isAbsolute(raw)) throw new UserError(`${raw} is not an absolute path: name the folder in full`, 'invalid');
  let resuming = false;
  const existing = await stat(raw).catch((error: unknown) => {
    if (fsErrorCode(error) === 'ENOENT') return undefined;
    throw error;
  });
  if (existing !== undefined) {
    if (!existing.isDirectory()) throw new UserError(`${raw} is not a folder`, 'conflict', { reason: 'snapshot-target', problem: 'not-folder' });
    resuming = (await readdir(raw)).length > 0;
    if (resuming && !(await holdsMarker(raw, marker))) throw new UserError(`${raw} is not empty (nor an interrupted restore of this library at this moment): pick a new or empty folder`, 'conflict', { reason: 'snapshot-target', problem: 'not-empty' });
  }
  // Checked before it is made, and again by its real path after.
  const check = async (folder: string) => {
    for (const other of forbidden) {
      const otherReal = await realpath(other.folder).catch(() => path.resolve(other.folder));
      if (folder === otherReal || folder.startsWith(otherReal + path.sep) || otherReal.startsWith(folder + path.sep)) {
        throw new UserError(`${folder} overlaps ${other.what} (${other.folder}): pick a folder outside it`, 'conflict', { reason: 'snapshot-target', problem: 'overlaps' });
      }
    }
  };
  await check(path.resolve(raw));
  await mkdir(raw, { recursive: true });
  const real = await realpath(raw);
  await check(real);
  return { target: real, resuming };
}

/** Whether `folder` holds the marker of a restore of this library and moment (a regular file, no link). */
async function holdsMarker(folder: string, marker: SnapshotMarker): Promise<boolean> {
  const file = path.join(folder, SNAPSHOT_MARKER);
  const stats = await lstat(file).catch(() => undefined);
  if (stats === undefined || !stats.isFile() || stats.size > 4096) return false;
  try {
    const found = JSON.parse(await readFile(file, 'utf8')) as unknown;
    return typeof found === 'object' && found !== null && (found as SnapshotMarker).libraryId === marker.libraryId && (found as SnapshotMarker).at === marker.at;
  } catch {
    return false;
  }
}

/**
 * On a retry, what is at an entry's place: nothing; a file whose bytes hash to exactly the
 * entry's chunks, with its time and mode ('good': kept); or another file, to be replaced if it
 * is still the one seen. Anything else (a folder, a link) is left as it is and stops the restore.
 */
async function alreadyThere(target: string, entry: Entry): Promise<'good' | Extract<Expectation, { kind: 'absent' | 'file' }>> {
  const absolute = path.join(target, entry.path);
  const stats = await lstat(absolute).catch((error: unknown) => {
    if (fsErrorCode(error) === 'ENOENT') return undefined;
    throw error;
  });
  if (stats === undefined) return { kind: 'absent' };
  if (!stats.isFile()) throw new UserError(`${absolute} is in the way of the snapshot's file; it was left as it is`, 'conflict');
  const seen = { kind: 'file', size: stats.size, mtimeMs: stats.mtimeMs, inode: stats.ino } as const;
  const modeMatches = process.platform === 'win32' || ((stats.mode & 0o100) !== 0) === entry.executable;
  if (!modeMatches || Math.abs(stats.mtimeMs - entry.mtimeMs) > 1) return seen;
  return (await holdsChunks(absolute, stats, entry.chunks, entry.size)) ? 'good' : seen;
}

/** Whether the file holds exactly `chunks`: each read and hashed, the size checked before and after. */
async function holdsChunks(absolute: string, stats: Stats, chunks: readonly ChunkRef[], size: number): Promise<boolean> {
  if (stats.size !== size) return false;
  const handle = await open(absolute, constants.O_RDONLY | (process.platform === 'win32' ? 0 : constants.O_NOFOLLOW));
  try {
    let position = 0;
    for (const chunk of chunks) {
      const bytes = Buffer.allocUnsafe(chunk.size);
      let read = 0;
      while (read < chunk.size) {
        const { bytesRead } = await handle.read(bytes, read, chunk.size - read, position + read);
        if (bytesRead === 0) return false;
        read += bytesRead;
      }
      if (chunkIdOf(bytes) !== chunk.id) return false;
      position += chunk.size;
    }
    const after = await handle.stat();
    return after.size === size && after.ino === stats.ino;
  } finally {
    await handle.close();
  }
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** Every live entry of the library as it was at `at`, and the sequence number that is. */
async function snapshotAt(client: ServerClient, libraryId: string, at: number): Promise<{ seq: number; entries: Entry[] }> {
  const entries: Entry[] = [];
  let seq: number | undefined;
  let after: LibraryPath | undefined;
  for (;;) {
    const page = await client.call(routes.snapshot, {
      params: { libraryId },
      query: { limit: PROTOCOL_LIMITS.maxPageSize, ...(seq === undefined ? { at } : { seq }), ...(after === undefined ? {} : { after }) },
    });
    seq = page.seq;
    entries.push(...page.entries);
    const last = page.entries.at(-1);
    if (!page.hasMore || last === undefined) return { seq, entries };
    after = last.path;
  }
}

/** Files in groups fetched together: small ones by GROUP_BYTES/GROUP_FILES, a large one alone. */
function* groups(files: readonly Entry[]): Generator<Entry[]> {
  let group: Entry[] = [];
  let bytes = 0;
  for (const entry of files) {
    if (entry.size > SMALL_FILE_BYTES) {
      if (group.length > 0) yield group;
      group = [];
      bytes = 0;
      yield [entry];
      continue;
    }
    if (group.length >= GROUP_FILES || bytes + entry.size > GROUP_BYTES) {
      yield group;
      group = [];
      bytes = 0;
    }
    group.push(entry);
    bytes += entry.size;
  }
  if (group.length > 0) yield group;
}
