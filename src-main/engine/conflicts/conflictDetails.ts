// One conflict in detail, for the conflict dialog and `cairn resolve`: both versions as they are
// on disk now (with the tokens a resolution must echo), the merge base from the server's
// history when it is known, and a preview that fits the content (see shared/api's
// conflictDetailsSchema). Reading is all it does; nothing on disk or on the server changes,
// except that the remote side's author is recorded once the history names it.

import type { ConflictDetails, ConflictPreview, ConflictVersion, PreviewImage } from '../../../shared/api/index.js';
import { MAX_PREVIEW_IMAGE_BYTES, diffViewData, mergeResultView } from '../../../shared/api/index.js';
import { MAX_TEXT_BYTES, buildDiffView, decodeText, mergeThreeWay } from '../../../shared/merge/index.js';
import type { Entry } from '../../../shared/protocol/index.js';
import type { ConflictRecord, ConflictSide, Index, LibraryRecord } from '../indexStore/index.js';
import { isRemoteError } from '../remote/remoteError.js';
import type { ServerClient } from '../remote/serverClient.js';
import { contentKindOf, hasTextName, sniffImageType } from './contentKind.js';
import { conflictViewOf } from './conflictView.js';
import { downloadContent, findBaseEntry, historyOf, readDiskVersion } from './conflictVersions.js';
import type { ChunkFileFunction, DiskState } from './conflictVersions.js';

/** What reading conflicts needs from the engine. */
export interface ConflictReader {
  readonly index: Index;
  /** The server client (throws when not logged in). */
  readonly server: () => ServerClient;
  readonly chunkFile: ChunkFileFunction;
}

export async function conflictDetails(reader: ConflictReader, conflict: ConflictRecord, library: LibraryRecord): Promise<ConflictDetails> {
  const { index } = reader;
  const sizes = [conflict.local.node, conflict.remote.node].map((node) => (node?.kind === 'file' ? node.size : 0));
  const hint = contentKindOf(conflict.path, sizes);
  // Only what a preview can show is read into memory: text up to the merge's limit, images up
  // to the preview's; other files are identified by the last scan when it still holds.
  const bytesUpTo = hint === 'binary' ? 0 : hint === 'image' ? MAX_PREVIEW_IMAGE_BYTES : MAX_TEXT_BYTES;
  const read = (path: ConflictRecord['path']): Promise<DiskState> =>
    readDiskVersion(library.localRoot, path, { chunking: library.chunking, chunkFile: reader.chunkFile, scanned: index.local.get(library.libraryId, path), bytesUpTo });
  const local: DiskState = conflict.conflictPath === null ? { kind: 'absent', path: conflict.path } : await read(conflict.conflictPath);
  const remote = await read(conflict.path);

  // The server's history of the path names the base and the remote side's author. Offline,
  // the two files on disk still make a preview.
  let history: Entry[] | null = null;
  try {
    history = await historyOf(reader.server(), library.libraryId, conflict.path);
  } catch (error) {
    if (!isRemoteError(error)) throw error;
  }
  let current = conflict;
  if (history !== null && conflict.remote.device === null && conflict.remote.rev !== null) {
    current = recordRemoteAuthor(index, conflict, history) ?? conflict;
  }

  const baseEntry = current.base === null || history === null ? undefined : findBaseEntry(history, current.base);
  const expected = hint === 'image' ? 'image' : hint === 'binary' ? (hasTextName(conflict.path) ? 'too-large' : 'binary') : 'text';
  const preview = await previewOf(reader, library, local, remote, expected, baseEntry);
  // For text the base is only of use when it could be read and merged.
  const baseStatus: ConflictDetails['baseStatus'] =
    current.base === null ? 'unknown' : baseEntry === undefined || (preview.kind === 'text' && preview.merge === null) ? 'unavailable' : 'available';

  return {
    conflict: conflictViewOf(current, library.name),
    local: diskVersionView(local, current.local),
    remote: diskVersionView(remote, current.remote),
    base:
      baseEntry === undefined
        ? null
        : {
            path: baseEntry.path,
            kind: 'file',
            size: baseEntry.size,
            mtimeMs: baseEntry.mtimeMs,
            contentHash: baseEntry.contentHash,
            device: baseEntry.device,
            user: baseEntry.userName,
            rev: baseEntry.rev,
            committedAt: baseEntry.committedAt,
            versionToken: null,
          },
    baseStatus,
    preview,
  };
}

/**
 * Records who committed the remote side, from the history of its path, when the round that
 * found the conflict did not know. Returns the updated record, or undefined when the history
 * does not hold that revision.
 */
export function recordRemoteAuthor(index: Index, conflict: ConflictRecord, history: readonly Entry[]): ConflictRecord | undefined {
  const version = history.find((entry) => entry.rev === conflict.remote.rev);
  if (version === undefined) return undefined;
  const remote: ConflictSide = { ...conflict.remote, device: version.device, user: version.userName };
  index.conflicts.setRemote(conflict.conflictId, remote);
  return { ...conflict, remote };
}

/**
 * A version on disk for the view. Its author is the recorded side's only while the file still
 * holds that side's content: a file changed since the conflict was made by someone unknown.
 */
function diskVersionView(state: DiskState, recorded: ConflictSide): ConflictVersion {
  if (state.kind !== 'file') {
    return { path: state.path, kind: state.kind === 'dir' ? 'dir' : 'missing', size: null, mtimeMs: null, contentHash: null, device: null, user: null, rev: null, committedAt: null, versionToken: null };
  }
  const same = recorded.node?.kind === 'file' && recorded.node.contentHash === state.contentHash;
  return {
    path: state.path,
    kind: 'file',
    size: state.size,
    mtimeMs: state.mtimeMs,
    contentHash: state.contentHash,
    device: same ? recorded.device : null,
    user: same ? recorded.user : null,
    rev: same ? recorded.rev : null,
    committedAt: null,
    versionToken: state.token,
  };
}

async function previewOf(
  reader: ConflictReader,
  library: LibraryRecord,
  local: DiskState,
  remote: DiskState,
  expected: 'text' | 'image' | 'binary' | 'too-large',
  baseEntry: Entry | undefined,
): Promise<ConflictPreview> {
  if (local.kind !== 'file' || remote.kind !== 'file') {
    return { kind: 'none', reason: local.kind === 'dir' || remote.kind === 'dir' ? 'folder' : 'missing' };
  }
  if (expected === 'image') return { kind: 'image', local: imageOf(local.bytes), remote: imageOf(remote.bytes) };
  if (expected === 'binary') return { kind: 'binary', reason: 'not-text' };
  if (expected === 'too-large') return { kind: 'binary', reason: 'too-large' };
  if (local.bytes === null || remote.bytes === null) return { kind: 'binary', reason: 'too-large' };
  const mine = decodeText(local.bytes);
  const theirs = decodeText(remote.bytes);
  if (mine === null || theirs === null) {
    // A file the name did not give away may still be a picture.
    const localImage = imageOf(local.bytes);
    const remoteImage = imageOf(remote.bytes);
    if (localImage !== null || remoteImage !== null) return { kind: 'image', local: localImage, remote: remoteImage };
    return { kind: 'binary', reason: 'not-text' };
  }
  const diff = buildDiffView(mine, theirs);
  let merge = null;
  if (baseEntry !== undefined && baseEntry.size <= MAX_TEXT_BYTES) {
    let baseBytes: Uint8Array | null = null;
    try {
      baseBytes = await downloadContent(reader.server(), library.libraryId, baseEntry.chunks, baseEntry.contentHash, baseEntry.size);
    } catch (error) {
      if (!isRemoteError(error)) throw error;
    }
    const base = baseBytes === null ? null : decodeText(baseBytes);
    if (base !== null) merge = mergeThreeWay(base, mine, theirs);
  }
  return { kind: 'text', diff: diffViewData(diff), merge: merge === null ? null : mergeResultView(merge) };
}

function imageOf(bytes: Uint8Array | null): PreviewImage | null {
  if (bytes === null) return null;
  const mimeType = sniffImageType(bytes);
  if (mimeType === null) return null;
  return { mimeType, dataUrl: `data:${mimeType};base64,${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}` };
}

