// The benchmark's data: large random files written in pieces (never held whole in memory),
// a small edit that shifts every later byte, many small random files in nested folders, and a
// digest of a folder tree to prove that what arrived is what was sent.

import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

const PIECE = 4 * 1024 * 1024;

/** Writes `size` random bytes to a new file, 4 MiB at a time. */
export async function writeRandomFile(filePath: string, size: number): Promise<void> {
  const piece = new Uint8Array(Math.min(PIECE, Math.max(size, 1)));
  const handle = await open(filePath, 'wx');
  try {
    for (let offset = 0; offset < size; offset += piece.length) {
      const length = Math.min(piece.length, size - offset);
      // randomFillSync fills at most 2^31-1 bytes per call; 64 KiB keeps each call short.
      for (let filled = 0; filled < length; filled += 65536) randomFillSync(piece, filled, Math.min(65536, length - filled));
      await handle.write(piece, 0, length);
    }
  } finally {
    await handle.close();
  }
}

/**
 * Inserts `bytes` at `offset` of a file the way an editor saves: a new file is written in
 * `scratchFolder` (on the same file system, outside the library) and renamed over the old one.
 */
export async function insertBytes(filePath: string, offset: number, bytes: Uint8Array, scratchFolder: string): Promise<void> {
  const temporary = path.join(scratchFolder, `${path.basename(filePath)}.edited`);
  const source = await open(filePath, 'r');
  try {
    const target = await open(temporary, 'wx');
    try {
      const buffer = new Uint8Array(PIECE);
      let position = 0;
      let inserted = false;
      for (;;) {
        if (!inserted && position === offset) {
          await target.write(bytes);
          inserted = true;
        }
        const wanted = inserted ? buffer.length : Math.min(buffer.length, offset - position);
        const { bytesRead } = await source.read(buffer, 0, wanted, position);
        if (bytesRead === 0) break;
        await target.write(buffer, 0, bytesRead);
        position += bytesRead;
      }
      if (!inserted) throw new RangeError(`cannot insert at ${offset}: ${filePath} holds only ${position} bytes`);
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
  await rename(temporary, filePath);
}

/** Where the small files go: `groups` top folders, each with `foldersPerGroup` folders of files. */
export interface SmallFileLayout {
  readonly groups: number;
  readonly foldersPerGroup: number;
  readonly filesPerFolder: number;
  readonly fileBytes: number;
}

export function groupName(group: number): string {
  return `group-${String(group).padStart(2, '0')}`;
}

/** Writes the small files below `root` and returns how many bytes they hold in total. */
export async function writeSmallFiles(root: string, layout: SmallFileLayout): Promise<number> {
  let total = 0;
  for (let group = 0; group < layout.groups; group++) {
    for (let folder = 0; folder < layout.foldersPerGroup; folder++) {
      const folderPath = path.join(root, groupName(group), `folder-${String(folder).padStart(2, '0')}`);
      await mkdir(folderPath, { recursive: true });
      // One random block per folder, sliced per file, keeps generation cheap and every file
      // distinct (no two files share a chunk, so deduplication cannot flatter the figures).
      const block = randomBytes(layout.fileBytes * layout.filesPerFolder);
      for (let file = 0; file < layout.filesPerFolder; file++) {
        const content = block.subarray(file * layout.fileBytes, (file + 1) * layout.fileBytes);
        await writeFile(path.join(folderPath, `file-${String(file).padStart(4, '0')}.bin`), content, { flag: 'wx' });
        total += content.length;
      }
    }
  }
  return total;
}

/** Every file below `root` ('/'-separated relative path) with its size and SHA-256. */
export async function digestTree(root: string): Promise<Map<string, string>> {
  const digests = new Map<string, string>();
  async function walk(folder: string, prefix: string): Promise<void> {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      const absolute = path.join(folder, entry.name);
      if (entry.isDirectory()) await walk(absolute, relative);
      else if (entry.isFile()) digests.set(relative, await digestFile(absolute));
      else digests.set(relative, 'not a regular file');
    }
  }
  await walk(root, '');
  return digests;
}

async function digestFile(filePath: string): Promise<string> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const piece of createReadStream(filePath, { highWaterMark: PIECE })) {
    hash.update(piece as Buffer);
    size += (piece as Buffer).length;
  }
  return `${size}:${hash.digest('hex')}`;
}

/** Throws, naming the first difference, unless both trees hold the same files and bytes. */
export async function expectSameTree(expectedRoot: string, actualRoot: string): Promise<number> {
  const [expected, actual] = await Promise.all([digestTree(expectedRoot), digestTree(actualRoot)]);
  for (const [relative, digest] of expected) {
    const other = actual.get(relative);
    if (other === undefined) throw new Error(`sync check failed: ${relative} is missing in ${actualRoot}`);
    if (other !== digest) throw new Error(`sync check failed: ${relative} differs in ${actualRoot} (${other} instead of ${digest})`);
  }
  for (const relative of actual.keys()) {
    if (!expected.has(relative)) throw new Error(`sync check failed: ${relative} is in ${actualRoot} but not in ${expectedRoot}`);
  }
  return expected.size;
}
