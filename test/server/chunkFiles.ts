// Reads the embedded chunk store's files directly, to check what is on disk: every copy of
// every chunk, in pack files and in loose files of the layout from before packs.

import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { PACK_MAGIC, PACK_SUFFIX } from '../../src-server/storage/fsChunkStore.js';

export interface StoredCopy {
  readonly owner: string;
  readonly id: string;
  /** The pack or loose file holding the copy. */
  readonly file: string;
  readonly kind: 'pack' | 'loose';
  /** Where the chunk's bytes start in the file (0 for a loose file). */
  readonly offset: number;
  readonly size: number;
}

/** Every file below `folder`, as full paths; none if the folder does not exist. */
export async function filesBelow(folder: string): Promise<string[]> {
  try {
    const entries = await readdir(folder, { recursive: true, withFileTypes: true });
    return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** The chunks of one pack file, decoded from its frames; throws if the file is not a whole pack. */
export function decodePack(file: string, bytes: Buffer, owner: string): StoredCopy[] {
  if (!bytes.subarray(0, PACK_MAGIC.length).equals(PACK_MAGIC)) throw new Error(`${file} does not start with the pack magic`);
  const copies: StoredCopy[] = [];
  let position = PACK_MAGIC.length;
  while (position < bytes.length) {
    if (position + 36 > bytes.length) throw new Error(`${file} ends inside a frame header`);
    const id = bytes.toString('hex', position, position + 32);
    const size = bytes.readUInt32BE(position + 32);
    const offset = position + 36;
    if (offset + size > bytes.length) throw new Error(`${file} ends inside chunk ${id}`);
    copies.push({ owner, id, file, kind: 'pack', offset, size });
    position = offset + size;
  }
  return copies;
}

/** Every copy of every chunk under the chunk folder, by owner, packs first. */
export async function storedCopies(chunksRoot: string): Promise<StoredCopy[]> {
  const copies: StoredCopy[] = [];
  for (const owner of await readdir(chunksRoot)) {
    if (owner.includes('.')) continue; // .temporary and the index database
    for (const file of await filesBelow(path.join(chunksRoot, owner))) {
      const relative = path.relative(path.join(chunksRoot, owner), file).split(path.sep);
      if (relative[0] === 'packs' && file.endsWith(PACK_SUFFIX)) {
        copies.push(...decodePack(file, await readFile(file), owner));
      } else if (relative.length === 3 && /^[0-9a-f]{64}$/.test(relative[2]!)) {
        copies.push({ owner, id: relative[2]!, file, kind: 'loose', offset: 0, size: (await readFile(file)).length });
      }
    }
  }
  return copies;
}
