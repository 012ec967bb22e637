// The transfers of one round as one running tally, for the round's progress: every file that
// any pass of the round uploads or downloads, its bytes, and how many of them have moved.
//
// A file counts with its whole size, and bytes already in place (chunks the server has, a
// partial download kept from an interrupted round) count as moved from its start, as in the
// per-file progress (fileProgressMeter.ts), so the round's figures and a file's agree. Totals
// grow when a pass plans its transfers, before any of them starts, so a bar never jumps back
// within a pass. A file the round gives up (it changed meanwhile, or the pass stopped short)
// leaves the totals: what it moved stays counted and the rest is taken off, so bytesDone never
// goes back and never passes bytesTotal.

/** The round's transfers so far: files and bytes, done and in all. */
export interface TransferTally {
  readonly filesDone: number;
  readonly filesTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

/** One planned file transfer; see RoundTransfers.plan. */
export interface TalliedFile {
  /** `bytes` more of the file moved (counted up to the file's size, not beyond). */
  add(bytes: number): void;
  /** The file is transferred: all its bytes count as moved, and the file as done. */
  finish(): void;
  /** The round gives the file up: what moved stays counted, the rest leaves the totals. */
  drop(): void;
  /** True once finished or dropped; add, finish and drop do nothing afterwards. */
  readonly settled: boolean;
}

export class RoundTransfers {
  private filesDone = 0;
  private filesTotal = 0;
  private bytesDone = 0;
  private bytesTotal = 0;

  /**
   * `changed` runs after every change of the tally but a plan: a pass plans all its files at
   * once (thousands, for a first sync), and reports once itself when it has.
   */
  constructor(private readonly changed: () => void = () => undefined) {}

  get tally(): TransferTally {
    return { filesDone: this.filesDone, filesTotal: this.filesTotal, bytesDone: this.bytesDone, bytesTotal: this.bytesTotal };
  }

  /**
   * A file of `size` bytes the round is going to transfer; it counts in the totals from now.
   * Does not run `changed` (see the constructor).
   */
  plan(size: number): TalliedFile {
    const total = Math.max(0, size);
    let moved = 0;
    let settled = false;
    this.filesTotal += 1;
    this.bytesTotal += total;
    return {
      add: (bytes) => {
        if (settled) return;
        const more = Math.min(Math.max(0, bytes), total - moved);
        if (more === 0) return;
        moved += more;
        this.bytesDone += more;
        this.changed();
      },
      finish: () => {
        if (settled) return;
        settled = true;
        this.bytesDone += total - moved;
        moved = total;
        this.filesDone += 1;
        this.changed();
      },
      drop: () => {
        if (settled) return;
        settled = true;
        this.filesTotal -= 1;
        this.bytesTotal -= total - moved;
        this.changed();
      },
      get settled() {
        return settled;
      },
    };
  }
}
