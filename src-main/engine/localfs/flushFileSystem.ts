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

import type { ChildProcess, spawn } from 'node:child_process';
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

/**
 * Runs `sync -f` for a folder through one small shell kept for the purpose (SyncHelper), not a
 * child process of our own per group: Node forks the whole process for each child, which on a
 * first download of 10,000 small files (20 groups, a process of ~150 MiB) cost ~8 ms of the
 * main thread each; the shell forks only itself.
 */
async function runSync(program: string, folder: string): Promise<'done' | 'missing' | 'failed'> {
  let helper = helpers.get(program);
  if (helper === undefined || helper.closed) {
    // Loaded on first use: node:child_process costs every `cairn` command ~10 ms of start-up,
    // and most never write a group of files.
    const { spawn: spawnChild } = await import('node:child_process');
    helper = helpers.get(program);
    if (helper === undefined || helper.closed) {
      helper = new SyncHelper(program, spawnChild);
      helpers.set(program, helper);
    }
  }
  return helper.run(folder);
}

/** The shells of this process, by the `sync` they run. */
const helpers = new Map<string, SyncHelper>();

/**
 * The shell's loop: each line is a folder's path written as octal escapes (so any byte, a
 * newline included, passes), answered by a line with `sync -f`'s exit status (127: not found).
 */
const HELPER_SCRIPT = 'while IFS= read -r line; do p=$(printf \'%bx\' "$line"); "$1" -f -- "${p%x}" </dev/null >/dev/null 2>&1; echo $?; done';

/** A helper shell with no request for this long ends (a daemon syncs now and then). */
const HELPER_IDLE_MS = 2_000;
const SYNC_TIMEOUT_MS = 60_000;

/** `sh -c HELPER_SCRIPT sh PROGRAM`: runs `PROGRAM -f -- FOLDER` per request, one at a time, in order. */
export class SyncHelper {
  /** Set once the shell ended or was stopped: the next request starts a new one. */
  closed = false;
  /** How many shells this class started in this process (a figure the tests check). */
  static started = 0;
  private readonly child: ChildProcess;
  private readonly waiting: ((status: number | null) => void)[] = [];
  private output = '';
  private idle: NodeJS.Timeout | undefined;

  constructor(program: string, spawnChild: typeof spawn) {
    SyncHelper.started += 1;
    this.child = spawnChild('/bin/sh', ['-c', HELPER_SCRIPT, 'sh', program], { stdio: ['pipe', 'pipe', 'ignore'], windowsHide: true });
    // The shell never keeps this process alive: at its exit the shell reads the end of its input and ends too.
    this.child.unref();
    for (const stream of [this.child.stdin, this.child.stdout] as const) (stream as unknown as { unref?: () => void } | null)?.unref?.();
    this.child.stdout?.setEncoding('latin1');
    this.child.stdout?.on('data', (text: string) => {
      this.output += text;
      let end;
      while ((end = this.output.indexOf('\n')) >= 0) {
        const status = Number(this.output.slice(0, end));
        this.output = this.output.slice(end + 1);
        this.waiting.shift()?.(Number.isInteger(status) ? status : null);
      }
    });
    this.child.stdin?.on('error', () => this.stop());
    this.child.on('error', () => this.stop());
    this.child.on('exit', () => this.stop());
  }

  run(folder: string): Promise<'done' | 'missing' | 'failed'> {
    if (this.closed) return Promise.resolve('failed');
    clearTimeout(this.idle);
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.stop(), SYNC_TIMEOUT_MS);
      this.waiting.push((status) => {
        clearTimeout(timer);
        if (this.waiting.length === 0 && !this.closed) this.idle = setTimeout(() => this.stop(), HELPER_IDLE_MS).unref();
        resolve(status === 0 ? 'done' : status === 127 ? 'missing' : 'failed');
      });
      this.child.stdin?.write(`${octalEscaped(folder)}\n`);
    });
  }

  /** Ends the shell; requests still waiting count as failed. */
  stop(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.idle);
    this.child.stdin?.end();
    if (this.child.exitCode === null) this.child.kill();
    for (const resolve of this.waiting.splice(0)) resolve(null);
  }
}

/** Every byte of the path's UTF-8 as `\0NNN`, which the shell's printf %b turns back into the byte. */
function octalEscaped(text: string): string {
  let escaped = '';
  for (const byte of Buffer.from(text, 'utf8')) escaped += `\\0${byte.toString(8).padStart(3, '0')}`;
  return escaped;
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
