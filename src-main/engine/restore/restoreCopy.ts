// Restoring a version of a file beside it, as a new file: `name (restored YYYY-MM-DD HH.MM).ext`
// in the same folder, never replacing anything (a name that is taken, here or on the server,
// moves on to the next counter; a file that appears at the name during the write wins). The
// bytes come from local files that hold the version's chunks (verified by hash as read) and
// from the server for the rest (verified by the client), checked against the version's content
// hash and size first; the file is written by temp file, fsync and link. The next round uploads
// it like any new file (mostly a commit: the server has every chunk).

import { lstat } from 'node:fs/promises';
import type { Entry } from '../../../shared/protocol/index.js';
import type { LibraryPath } from '../../../shared/paths.js';
import { parentPath } from '../../../shared/paths.js';
import { contentHashOf } from '../../../shared/node/contentHash.js';
import type { Index, LibraryRecord } from '../indexStore/index.js';
import { fsErrorCode, resolveInRoot, writeFileAtomic } from '../localfs/index.js';
import { restoredCopyName } from '../planner/index.js';
import type { ServerClient } from '../remote/serverClient.js';
import { ChunkSource } from '../sync/chunkSource.js';
import { isInSelection } from '../sync/syncLibrary.js';
import { UserError } from '../userError.js';

/** Names tried before giving up (each taken one adds a counter). */
const MAX_ATTEMPTS = 100;

export interface RestoreCopyInput {
  readonly index: Index;
  readonly client: ServerClient;
  readonly library: LibraryRecord;
  /** The path whose version is restored (the copy goes beside it). */
  readonly path: LibraryPath;
  /** The version to restore: a live file version from the path's history. */
  readonly version: Entry;
}

/** Writes the copy and answers its path. */
export async function restoreCopy(input: RestoreCopyInput): Promise<LibraryPath> {
  const { index, client, library, version } = input;
  const libraryId = library.libraryId;
  if (version.deleted || version.kind !== 'file') throw new UserError(`version ${version.rev} of ${input.path} is not a file; only files can be restored as a copy`, 'invalid');
  if (contentHashOf(version.chunks) !== version.contentHash || version.chunks.reduce((sum, chunk) => sum + chunk.size, 0) !== version.size) {
    throw new Error(`the server's chunk list of ${input.path} version ${version.rev} does not match its content ${version.contentHash}`);
  }
  if (library.selection !== null && !isInSelection(input.path, library.selection)) {
    throw new UserError(`${input.path} is in a folder this computer does not sync; select it first`, 'invalid');
  }
  const folder = parentPath(input.path);
  if (folder !== '') {
    const stats = await lstat(await resolveInRoot(library.localRoot, folder)).catch(() => undefined);
    if (stats === undefined || !stats.isDirectory()) throw new UserError(`the folder ${folder} is not on this computer (any more)`, 'not-found');
  }
  const source = new ChunkSource(client, libraryId, library.localRoot, index.local.iterate(libraryId), [version.chunks]);
  try {
    for (let counter = 1; counter <= MAX_ATTEMPTS; counter++) {
      const target = restoredCopyName(input.path, new Date(version.committedAt), counter);
      if (index.remote.get(libraryId, target) !== undefined || index.local.get(libraryId, target) !== undefined || (await onDisk(library.localRoot, target))) continue;
      const result = await writeFileAtomic(library.localRoot, target, source.read(version.chunks, true, target), {
        mtimeMs: Date.now(),
        executable: version.executable,
        expect: { kind: 'absent' },
      });
      switch (result.status) {
        case 'written':
          return target;
        case 'changed':
          // Something appeared at the name while the bytes were written: it stays, try the next name.
          continue;
        default:
          throw new UserError(`${target} cannot be written: ${result.message}`, 'invalid');
      }
    }
  } finally {
    await source.close();
  }
  throw new UserError(`every name for a restored copy of ${input.path} is taken`, 'conflict');
}

async function onDisk(root: string, target: LibraryPath): Promise<boolean> {
  try {
    await lstat(await resolveInRoot(root, target));
    return true;
  } catch (error) {
    if (fsErrorCode(error) === 'ENOENT') return false;
    throw error;
  }
}
