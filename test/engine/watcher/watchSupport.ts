// Helpers for the watcher tests: a temp library folder and waiting for a condition by polling.

import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface WatchFolder {
  /** The real path of the library folder (a subfolder of the temp folder). */
  readonly root: string;
  /** The temp folder holding the root, for things outside the library. */
  readonly base: string;
  /** The absolute path of a '/'-separated path below the root. */
  at(relative: string): string;
  /** Writes a file below the root, creating its folders. */
  file(relative: string, contents?: string): Promise<void>;
  remove(): Promise<void>;
}

export async function makeWatchFolder(): Promise<WatchFolder> {
  const base = await realpath(await mkdtemp(path.join(os.tmpdir(), 'cairn-watch-')));
  const root = path.join(base, 'library');
  await mkdir(root);
  const at = (relative: string): string => path.join(root, ...relative.split('/'));
  return {
    root,
    base,
    at,
    async file(relative, contents = `contents of ${relative}`) {
      await mkdir(path.dirname(at(relative)), { recursive: true });
      await writeFile(at(relative), contents);
    },
    async remove() {
      await rm(base, { recursive: true, force: true });
    },
  };
}

/**
 * Polls `condition` until it holds. Generous by default: a watcher on a loaded machine may take
 * seconds to report, and the test is about whether it reports, not how fast.
 */
export async function waitFor(condition: () => boolean, describe: () => string, timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
