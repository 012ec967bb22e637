// Paces the bytes of one direction (uploads or downloads) to a limit in bytes per second, for
// every library of the daemon together. It is a virtual clock: each take(n) books n/limit
// seconds of the link after the previous booking and waits until its slot comes, so a burst of
// at most BURST_MS worth of bytes goes at once after an idle spell and the long-run rate never
// exceeds the limit. Without a limit take() returns at once.

/** An idle link may send this many milliseconds' worth of bytes at once. */
const BURST_MS = 250;

export class BandwidthLimiter {
  private bytesPerSecond: number | null;
  /** When (performance.now()) the bytes booked so far will have gone through the link. */
  private bookedUntil = Number.NEGATIVE_INFINITY;
  private readonly sleepers = new Set<{ readonly timer: NodeJS.Timeout; readonly wake: () => void }>();
  private closed = false;

  constructor(bytesPerSecond: number | null = null) {
    this.bytesPerSecond = bytesPerSecond;
  }

  get limit(): number | null {
    return this.bytesPerSecond;
  }

  /** A new limit (null: none) applies to bytes booked from now on. */
  setLimit(bytesPerSecond: number | null): void {
    this.bytesPerSecond = bytesPerSecond;
    this.bookedUntil = Number.NEGATIVE_INFINITY;
  }

  /** Waits until `bytes` more may go through the link. */
  async take(bytes: number): Promise<void> {
    const limit = this.bytesPerSecond;
    if (limit === null || this.closed || bytes <= 0) return;
    const now = performance.now();
    this.bookedUntil = Math.max(this.bookedUntil, now - BURST_MS) + (bytes * 1000) / limit;
    const wait = this.bookedUntil - now;
    if (wait <= 0) return;
    await new Promise<void>((resolve) => {
      const sleeper = {
        timer: setTimeout(() => {
          this.sleepers.delete(sleeper);
          resolve();
        }, wait),
        wake: resolve,
      };
      this.sleepers.add(sleeper);
    });
  }

  /** Releases every waiting transfer and stops pacing: the daemon is stopping. */
  close(): void {
    this.closed = true;
    for (const sleeper of this.sleepers) {
      clearTimeout(sleeper.timer);
      sleeper.wake();
    }
    this.sleepers.clear();
  }
}
