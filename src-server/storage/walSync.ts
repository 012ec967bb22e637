// Group commit for the server's SQLite files: a commit made with synchronous=NORMAL is written to
// the write-ahead log (the OS's cache) without an fsync, and the caller then awaits sync(), which
// fsyncs the log file on the thread pool. Once sync() resolves, every commit made before the call
// is durable, exactly as synchronous=FULL would have made it (in WAL mode FULL is one fsync of the
// log per commit), but the event loop never waits for the disk, and concurrent commits share one
// fsync: a call while an fsync is running waits for the next one, which starts when the running
// one ends and covers every commit made meanwhile.
//
// The caller notes each such commit (committed()), so a sync() with nothing new to make durable
// costs nothing, and one that an fsync already running covers joins it.
//
// SQLite itself still syncs what it must with NORMAL: the log before a checkpoint copies it into
// the database file, the database file after. The log is reopened by name for each fsync (an
// fsync flushes the file, whichever descriptor names it; SQLite locks the shared-memory file, not
// the log, so closing this descriptor drops no lock of its); if it is gone, SQLite checkpointed it
// into the database file, durably, and removed it.

import { fsCalls } from '../../shared/node/fsCalls.js';

export class WalSync {
  /** Commits noted so far (committed()), and how many of them an fsync made durable. */
  private commits = 0;
  private durableCommits = 0;
  /** The fsync running now, if any, and how many commits it covers. */
  private running: { readonly done: Promise<void>; readonly covers: number } | null = null;
  /** The fsync that starts when the running one ends, shared by everyone who asked meanwhile. */
  private next: Promise<void> | null = null;
  private fsyncs = 0;

  /** `databaseFile`: the SQLite file; its log is `${databaseFile}-wal`. */
  constructor(private readonly databaseFile: string) {}

  /** How many fsyncs this has run (for tests). */
  get fsyncCount(): number {
    return this.fsyncs;
  }

  /** Notes a commit made with synchronous=NORMAL, right after it returned. */
  committed(): void {
    this.commits += 1;
  }

  /**
   * Resolves once every commit noted before this call is durable (at once if they all are);
   * rejects if the fsync fails.
   */
  sync(): Promise<void> {
    const target = this.commits;
    if (this.durableCommits >= target) return Promise.resolve();
    if (this.running === null) return this.start();
    if (this.running.covers >= target) return this.running.done;
    // The running fsync started before the caller's commit: wait for the next one.
    if (this.next === null) {
      this.next = this.running.done
        .catch(() => {})
        .then(() => {
          this.next = null;
          return this.start();
        });
    }
    return this.next;
  }

  private start(): Promise<void> {
    const covers = this.commits;
    const done = this.fsyncLog().then(() => {
      this.durableCommits = Math.max(this.durableCommits, covers);
    });
    const running = {
      covers,
      done: done.finally(() => {
        if (this.running === running) this.running = null;
      }),
    };
    this.running = running;
    return running.done;
  }

  private async fsyncLog(): Promise<void> {
    this.fsyncs += 1;
    let fd: number;
    try {
      fd = await fsCalls.open(`${this.databaseFile}-wal`, 'r+');
    } catch (error) {
      // No log: its last connection closed, and closing checkpointed it into the database file
      // with the syncs NORMAL makes (the log before, the database file after), so every commit
      // is durable already. The database file itself is never opened here: closing a descriptor
      // of it would drop the POSIX locks SQLite holds on it.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    try {
      await fsCalls.fsync(fd);
    } finally {
      await fsCalls.close(fd);
    }
  }
}
