// The versions a conflict resolution works on: the two files on disk (the server's version
// under the name, this device's version in the conflict copy) and the merge base on the server.
//
// A version token names exactly one state of a file on disk: its content hash, size, mtime and
// inode. The preview hands them out and a resolution must echo them, so that a file that
// changed after the user looked at it (saved again, or replaced by a newer download) is never
// overwritten on the strength of an old preview.

import { lstat } from 'node:fs/promises';
import type { ChunkRef, ChunkingParams, ContentHash } from '../../../shared/model.js';
import type { LibraryPath } from '../../../shared/paths.js';
import { routes } from '../../../shared/protocol/index.js';
import type { Entry } from '../../../shared/protocol/index.js';
import type { ChunkedFile, PoolChunkFileOptions } from '../chunker/index.js';
import { ChunkFileError, contentHashOf } from '../chunker/index.js';
import type { ConflictBase } from '../indexStore/index.js';
import { fsErrorCode, resolveInRoot } from '../localfs/index.js';
import type { LocalEntry } from '../syncModel.js';
import type { ServerClient } from '../remote/serverClient.js';
import { UserError } from '../userError.js';

/** Chunks a file (on the engine's worker pool). */
export type ChunkFileFunction = (path: string, params: ChunkingParams, options?: PoolChunkFileOptions) => Promise<ChunkedFile>;

/** One file on disk as a resolution sees it. */
export interface DiskVersion {
  readonly kind: 'file';
  readonly path: LibraryPath;
  readonly contentHash: ContentHash;
  readonly size: number;
  readonly mtimeMs: number;
  readonly inode: number;
  readonly executable: boolean;
  readonly token: string;
  /** The bytes, when they were asked for and the file is no larger than the limit asked. */
  readonly bytes: Uint8Array | null;
}

export type DiskState = DiskVersion | { readonly kind: 'absent' | 'dir' | 'other'; readonly path: LibraryPath };

export function versionToken(version: { readonly contentHash: string; readonly size: number; readonly mtimeMs: number; readonly inode: number }): string {
  return `${version.contentHash}:${version.size}:${version.mtimeMs}:${version.inode}`;
}

/**
 * Reads what is at `path` now. A file whose stat matches the last scan (`scanned`) is not read
 * again unless its bytes are wanted: its content hash is the scan's, as the scanner itself
 * trusts it. With `bytesUpTo`, a file no larger is read and its bytes returned.
 */
export async function readDiskVersion(
  root: string,
  path: LibraryPath,
  options: {
    readonly chunking: ChunkingParams;
    readonly chunkFile: ChunkFileFunction;
    readonly scanned: LocalEntry | undefined;
    readonly bytesUpTo?: number;
  },
): Promise<DiskState> {
  // resolveInRoot refuses a path that reaches outside the library through a symlink.
  const absolute = await resolveInRoot(root, path);
  let stats;
  try {
    stats = await lstat(absolute);
  } catch (error) {
    if (fsErrorCode(error) === 'ENOENT') return { kind: 'absent', path };
    throw error;
  }
  if (stats.isDirectory()) return { kind: 'dir', path };
  if (!stats.isFile()) return { kind: 'other', path };
  const executable = (stats.mode & 0o100) !== 0;
  const scanned = options.scanned;
  const keep = options.bytesUpTo ?? 0;
  if (
    stats.size > keep &&
    scanned !== undefined &&
    scanned.node.kind === 'file' &&
    scanned.statSize === stats.size &&
    scanned.mtimeMs === stats.mtimeMs &&
    scanned.inode === stats.ino
  ) {
    const version = { contentHash: scanned.node.contentHash, size: stats.size, mtimeMs: stats.mtimeMs, inode: stats.ino };
    return { kind: 'file', path, ...version, executable, token: versionToken(version), bytes: null };
  }
  let chunked: ChunkedFile;
  try {
    chunked = await options.chunkFile(absolute, options.chunking, keep > 0 ? { keepBytesUpTo: keep } : {});
  } catch (error) {
    // A file being saved, removed or locked right now: the user looks again in a moment.
    if (error instanceof ChunkFileError) throw new UserError(`${path} cannot be read right now (${error.problem}); try again`, 'conflict');
    throw error;
  }
  const version = { contentHash: chunked.contentHash, size: chunked.size, mtimeMs: chunked.stat.mtimeMs, inode: chunked.stat.inode };
  const bytes = chunked.size === 0 ? new Uint8Array(0) : (chunked.bytes ?? null);
  return { kind: 'file', path, ...version, executable, token: versionToken(version), bytes: chunked.size <= keep ? bytes : null };
}

/** Every version of `path` on the server, newest first. */
export async function historyOf(client: ServerClient, libraryId: string, path: LibraryPath): Promise<Entry[]> {
  return (await client.call(routes.history, { params: { libraryId }, query: { path } })).versions;
}

/**
 * The merge base among the versions of its path: the one with its revision, or else one with
 * its content (a file moved with its folder keeps the revision of its old path). Undefined when
 * the history no longer holds it.
 */
export function findBaseEntry(versions: readonly Entry[], base: ConflictBase): Entry | undefined {
  if (base.node.kind !== 'file') return undefined;
  const contentHash = base.node.contentHash;
  const live = versions.filter((version) => !version.deleted && version.kind === 'file' && version.contentHash === contentHash);
  return live.find((version) => version.rev === base.rev) ?? live[0];
}

/** The bytes of a file version from the server, verified chunk by chunk and as a whole. */
export async function downloadContent(client: ServerClient, libraryId: string, chunks: readonly ChunkRef[], contentHash: ContentHash, size: number): Promise<Uint8Array> {
  if (contentHashOf(chunks) !== contentHash) throw new Error(`the server's chunk list does not match content ${contentHash}`);
  const received = new Map<string, Uint8Array>();
  // downloadChunks checks each chunk's bytes against its id and refuses anything not asked for.
  await client.downloadChunks(
    libraryId,
    chunks.map((chunk) => chunk.id),
    (frame) => {
      received.set(frame.id, frame.bytes);
    },
  );
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    const piece = received.get(chunk.id);
    if (piece === undefined || piece.length !== chunk.size || offset + piece.length > size) throw new Error(`chunk ${chunk.id} of content ${contentHash} did not arrive whole`);
    bytes.set(piece, offset);
    offset += piece.length;
  }
  if (offset !== size) throw new Error(`content ${contentHash} has ${offset} bytes, not ${size}`);
  return bytes;
}
