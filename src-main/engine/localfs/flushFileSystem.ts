// One step that writes out everything dirty on the file system holding a folder, for a group
// of freshly written temp files: Linux's syncfs(2), through coreutils' `sync -f` (Node has no
// binding for it). On ext4 a fsync per small file is a journal commit each (0.15-0.6 ms on a
// virtio disk, and creates made meanwhile wait for those commits); one syncfs writes the whole
// group's data and commits the journal once, after which each file's own fsync finds nothing
// left to write.
//
// It is only ever a way to make the files' own fsyncs cheap, never a replacement for them:
// the caller still fsyncs every file afterwards, so durability and the report of a write
// error never depend on what syncfs does on a given kernel or file system (mount points below
// the root, FUSE, network file systems, kernels before 5.8 whose syncfs hid write errors).

import { readFile } from 'node:fs/promises';

export interface BulkFlush {
  /** False where there is no bulk step (or it failed before): callers fsync each file at once. */
  readonly available: boolean;
  /**
   * Asks the file system holding `folder` to write out everything dirty, in one step. Resolves
   * true when it did, false when it did not (the caller's per-file fsyncs do all the work
   * then); never rejects. `groupBytes` is what the caller just wrote.
   */
  run(folder: string, groupBytes: number): Promise<boolean>;
}

/** Where Debian, Fedora, Arch and Alpine keep coreutils' (or busybox's) `sync`; never looked up on PATH. */
const SYNC_PROGRAMS = ['/usr/bin/sync', '/bin/sync'];

/**
 * Dirty data of others (a large copy going on) that a syncfs would have to write out too,
 * beyond which the group's files are fsynced one by one instead: a syncfs waits for all of it,
 * a file's fsync on ext4 mostly for its own.
 */
const OTHERS_DIRTY_LIMIT = 64 * 1024 * 1024;

/**
 * syncfs through `sync -f` (see the file's comment). `programs`: where to find `sync`, tried
 * in order; one that is missing is skipped, one that fails makes the step unavailable from
 * then on (the files' fsyncs do the work). `meminfo` reads /proc/meminfo.
 */
export class SyncfsFlush implements BulkFlush {
  available: boolean;

  constructor(
    private readonly programs: readonly string[] = SYNC_PROGRAMS,
    private readonly meminfo: () => Promise<string> = () => readFile('/proc/meminfo', 'latin1'),
    platform: NodeJS.Platform = process.platform,
  ) {
    this.available = platform === 'linux';
  }

  async run(folder: string, groupBytes: number): Promise<boolean> {
    if (!this.available) return false;
    const dirty = parseDirtyBytes(await this.meminfo().catch(() => ''));
    if (dirty === undefined || dirty > groupBytes + OTHERS_DIRTY_LIMIT) return false;
    for (const program of this.programs) {
      const outcome = await runSync(program, folder);
      if (outcome === 'done') return true;
      if (outcome === 'failed') break;
    }
    this.available = false;
    return false;
  }
}

/**
 * The bulk step of this process: syncfs on Linux, none elsewhere (macOS has no syncfs, and
 * Windows no such call).
 */
export const fileSystemFlush: BulkFlush = new SyncfsFlush();

async function runSync(program: string, folder: string): Promise<'done' | 'missing' | 'failed'> {
  // Loaded on first use: node:child_process costs every `cairn` command ~10 ms of start-up,
  // and most never write a group of files.
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => {
    execFile(program, ['-f', '--', folder], { timeout: 60_000, windowsHide: true }, (error) => {
      if (error === null) resolve('done');
      else resolve((error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'failed');
    });
  });
}

/** Dirty and under-writeback page-cache bytes of the whole system from /proc/meminfo's text, or undefined. */
export function parseDirtyBytes(meminfo: string): number | undefined {
  let total = 0;
  let found = 0;
  for (const match of meminfo.matchAll(/^(Dirty|Writeback):\s+(\d+) kB$/gm)) {
    total += Number(match[2]) * 1024;
    found += 1;
  }
  return found === 2 ? total : undefined;
}
