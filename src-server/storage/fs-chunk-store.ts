// The embedded chunk store: one file per chunk under <root>/<ownerId>/<ab>/<cd>/<id>, where ab
// and cd are the first two bytes of the id in hex (65,536 folders per owner at most, so no
// folder grows huge). A chunk is written to a temporary file in its final folder, fsynced,
// renamed into place and the folder fsynced, so a crash leaves either the whole chunk or none.
// The only module that touches chunk files.

import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { CHUNK_ID_PATTERN } from '../../shared/model.js';
import type { ChunkId } from '../../shared/model.js';
import type { ChunkStore, StoredChunk } from './chunk-store.js';

/** Temporary files end with this; a leftover one (after a crash) is never read as a chunk. */
export const TEMPORARY_SUFFIX = '.partial';

/** How many chunk files are written and fsynced at once; concurrent fsyncs share journal commits. */
const WRITE_CONCURRENCY = 16;

const OWNER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

async function fsyncFolder(folder: string): Promise<void> {
  // Windows cannot open a folder for fsync; NTFS journals renames itself.
  if (process.platform === 'win32') return;
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

/** Runs `work` over the items with at most `limit` running at once. */
async function forEachLimited<Item>(items: readonly Item[], limit: number, work: (item: Item) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(workers);
}

/** Shard folders known to exist are remembered, up to this many, to save a mkdir per chunk. */
const MAX_KNOWN_FOLDERS = 200_000;

export class FsChunkStore implements ChunkStore {
  private readonly knownFolders = new Set<string>();

  constructor(private readonly root: string) {}

  private chunkPath(ownerId: string, id: ChunkId): string {
    // Both parts come from the server's own records, but a path is built from them, so check.
    if (!OWNER_ID_PATTERN.test(ownerId)) throw new TypeError(`not an owner id: ${ownerId}`);
    if (!CHUNK_ID_PATTERN.test(id)) throw new TypeError(`not a chunk id: ${id}`);
    return path.join(this.root, ownerId, id.slice(0, 2), id.slice(2, 4), id);
  }

  async has(ownerId: string, id: ChunkId): Promise<boolean> {
    try {
      await stat(this.chunkPath(ownerId, id));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async put(ownerId: string, chunks: readonly StoredChunk[]): Promise<void> {
    const unique = new Map<ChunkId, StoredChunk>();
    for (const chunk of chunks) unique.set(chunk.id, chunk);
    const pending: { target: string; temporary: string }[] = [];
    try {
      // Phase 1: every new chunk into a fsynced temporary file beside its final name.
      await forEachLimited([...unique.values()], WRITE_CONCURRENCY, async (chunk) => {
        const target = this.chunkPath(ownerId, chunk.id);
        if (await this.has(ownerId, chunk.id)) return;
        await this.makeFolders(path.dirname(target));
        const temporary = `${target}.${randomBytes(6).toString('hex')}${TEMPORARY_SUFFIX}`;
        pending.push({ target, temporary });
        const handle = await open(temporary, 'wx');
        try {
          await handle.writeFile(chunk.bytes);
          await handle.sync();
        } finally {
          await handle.close();
        }
      });
      // Phase 2: rename into place. Two uploads of one chunk may race; both temporary files
      // hold the same verified bytes, so whichever rename lands last replaces an identical file.
      for (const file of pending) await rename(file.temporary, file.target);
    } catch (error) {
      await Promise.all(pending.map((file) => rm(file.temporary, { force: true })));
      throw error;
    }
    // Phase 3: make the renames durable, once per folder.
    const folders = new Set(pending.map((file) => path.dirname(file.target)));
    await forEachLimited([...folders], WRITE_CONCURRENCY, fsyncFolder);
  }

  async get(ownerId: string, id: ChunkId): Promise<Uint8Array | null> {
    try {
      const bytes = await readFile(this.chunkPath(ownerId, id));
      // A plain Uint8Array view of the Buffer, as the interface promises (no copy).
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async close(): Promise<void> {}

  /** Creates a shard folder and its missing parents, fsyncing each folder whose entries changed. */
  private async makeFolders(folder: string): Promise<void> {
    if (this.knownFolders.has(folder)) return;
    const first = await mkdir(folder, { recursive: true });
    if (this.knownFolders.size < MAX_KNOWN_FOLDERS) this.knownFolders.add(folder);
    if (first === undefined) return;
    // mkdir returns the first (topmost) folder it created. The new entries live in that
    // folder's parent and in each created folder but the deepest one.
    let current = path.dirname(folder);
    while (current.length >= first.length) {
      await fsyncFolder(current);
      current = path.dirname(current);
    }
    await fsyncFolder(path.dirname(first));
  }
}
