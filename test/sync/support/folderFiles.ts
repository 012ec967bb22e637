// Asynchronous facts about the files in a folder tree (sizes, inodes, content hashes), for tests
// that watch a folder while another process writes into it.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { isTempFileName } from '../../../src-main/engine/localfs/index.js';

export interface FileFacts {
  readonly size: number;
  readonly inode: number;
  readonly mtimeMs: number;
}

/**
 * Every regular file below `root`, by '/'-separated relative path. A file or folder that vanishes
 * while it is listed (another process is working in the tree) is left out, not an error.
 */
export async function listFiles(root: string): Promise<Map<string, FileFacts>> {
  const files = new Map<string, FileFacts>();
  const walk = async (folder: string, prefix: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const entry of entries) {
      const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      const absolute = path.join(folder, entry.name);
      if (entry.isDirectory()) {
        await walk(absolute, relative);
      } else if (entry.isFile()) {
        try {
          const stats = await lstat(absolute);
          files.set(relative, { size: stats.size, inode: stats.ino, mtimeMs: stats.mtimeMs });
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
      }
    }
  };
  await walk(root, '');
  return files;
}

/** SHA-256 of a file's content, hex; undefined when the file vanished meanwhile. */
export async function hashFile(file: string): Promise<string | undefined> {
  const hash = createHash('sha256');
  try {
    for await (const piece of createReadStream(file)) hash.update(piece as Buffer);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return hash.digest('hex');
}

/** Every file below `root` with the SHA-256 of its content, sorted by path. */
export async function hashTree(root: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const relative of [...(await listFiles(root)).keys()].sort()) {
    const digest = await hashFile(path.join(root, relative));
    if (digest !== undefined) result[relative] = digest;
  }
  return result;
}

/** True when one of the names in a relative path is one of Cairn's temp files. */
export function isTempPath(relative: string): boolean {
  return relative.split('/').some(isTempFileName);
}
