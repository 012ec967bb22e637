// Versions opened to be looked at: each written into its own private folder under the profile
// (`opened-versions/`, owner-only), from verified chunks, atomically, and made read-only, so the
// OS's app can show it while nothing written there is ever mistaken for the library's file.
// Folders older than a day are removed whenever another version is opened (and at start).

import { chmod, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { contentHashOf } from '../../../shared/node/contentHash.js';
import type { LibraryPath } from '../../../shared/paths.js';
import type { Entry } from '../../../shared/protocol/index.js';
import type { Index, LibraryRecord } from '../indexStore/index.js';
import { writeFileAtomic } from '../localfs/index.js';
import { versionFileName } from '../planner/index.js';
import type { ServerClient } from '../remote/serverClient.js';
import { ChunkSource } from '../sync/chunkSource.js';
import { UserError } from '../userError.js';

export const OPENED_VERSIONS_FOLDER = 'opened-versions';
/** How long an opened version is kept: long enough to look at it, short enough not to pile up. */
export const OPENED_VERSION_LIFETIME_MS = 24 * 60 * 60 * 1000;

export interface ExportVersionInput {
  readonly home: string;
  readonly index: Index;
  readonly client: ServerClient;
  readonly library: LibraryRecord;
  readonly path: LibraryPath;
  readonly version: Entry;
  readonly now?: number;
}

/** Writes the version into a new private folder and answers the file's absolute path. */
export async function exportVersion(input: ExportVersionInput): Promise<string> {
  const { version, library } = input;
  if (version.deleted || version.kind !== 'file') throw new UserError(`version ${version.rev} of ${input.path} is not a file`, 'invalid');
  if (contentHashOf(version.chunks) !== version.contentHash || version.chunks.reduce((sum, chunk) => sum + chunk.size, 0) !== version.size) {
    throw new Error(`the server's chunk list of ${input.path} version ${version.rev} does not match its content ${version.contentHash}`);
  }
  const base = path.join(input.home, OPENED_VERSIONS_FOLDER);
  await mkdir(base, { recursive: true, mode: 0o700 });
  await removeOldOpenedVersions(input.home, input.now ?? Date.now());
  const folder = await mkdtemp(path.join(base, 'v-'));
  const name = versionFileName(input.path, new Date(version.committedAt)) as LibraryPath;
  const source = new ChunkSource(input.client, library.libraryId, library.localRoot, input.index.local.iterate(library.libraryId), [version.chunks]);
  try {
    const result = await writeFileAtomic(folder, name, source.read(version.chunks, true, name), { mtimeMs: version.mtimeMs, executable: false, expect: { kind: 'absent' } });
    if (result.status !== 'written') throw new Error(`the opened version ${path.join(folder, name)} could not be written (${result.status})`);
  } finally {
    await source.close();
  }
  const file = path.join(folder, name);
  await chmod(file, 0o400);
  return file;
}

/** Removes opened versions older than OPENED_VERSION_LIFETIME_MS. Best effort. */
export async function removeOldOpenedVersions(home: string, now: number): Promise<void> {
  const base = path.join(home, OPENED_VERSIONS_FOLDER);
  const names = await readdir(base).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith('v-')) continue;
    const folder = path.join(base, name);
    const made = await stat(folder).catch(() => undefined);
    if (made !== undefined && now - made.mtimeMs > OPENED_VERSION_LIFETIME_MS) await rm(folder, { recursive: true, force: true }).catch(() => undefined);
  }
}
