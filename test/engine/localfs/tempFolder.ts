// A temp folder per test, removed afterwards, with small helpers to build fixtures in it.

import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface TempFolder {
  /** The library root used by the test (a subfolder, so 'outside' can sit beside it). */
  readonly root: string;
  /** A folder beside the root, outside the library. */
  readonly outside: string;
  /** Writes a file below the root, creating folders. */
  file(relative: string, contents?: string): Promise<string>;
  folder(relative: string): Promise<string>;
  /** All names below the root, recursively, '/'-separated and sorted. */
  list(): Promise<string[]>;
  remove(): Promise<void>;
}

export async function makeTempFolder(): Promise<TempFolder> {
  const base = await mkdtemp(path.join(os.tmpdir(), 'cairn-test-'));
  const root = path.join(base, 'library');
  const outside = path.join(base, 'outside');
  await mkdir(root);
  await mkdir(outside);
  return {
    root,
    outside,
    async file(relative, contents = `contents of ${relative}`) {
      const absolute = path.join(root, relative);
      await mkdir(path.dirname(absolute), { recursive: true });
      await writeFile(absolute, contents);
      return absolute;
    },
    async folder(relative) {
      const absolute = path.join(root, relative);
      await mkdir(absolute, { recursive: true });
      return absolute;
    },
    async list() {
      const names = await readdir(root, { recursive: true });
      return names.map((name) => name.split(path.sep).join('/')).sort();
    },
    async remove() {
      await rm(base, { recursive: true, force: true });
    },
  };
}
