// Buffers for the chunks of a streamed (large) download, used again once their bytes are in
// the file. Each chunk arrives in a buffer of its own and waits, with the rest of its request,
// until the writer reaches it: ~16 MiB ahead, long enough to outlive two young collections. So
// every chunk of a 512 MiB file ended up in V8's old generation, and the external memory they
// held set off a full collection every ~12 MiB: 30 to 50 of them per 512 MiB, as much main
// thread time as hashing the chunks. Used again, the same few dozen buffers carry the file.
//
// A buffer goes back to the pool only when nothing can read it any more: it is counted once
// for the request that brought it (until the reader has passed that request's chunks) and
// once per time it was handed to the writer (until the writer says its bytes reached the file).
// A buffer never released (an error, a writer that does not release) is simply left to the
// garbage collector: a missed release costs memory, never bytes.

/** Lengths are rounded up to a size class: a quarter of the next lower power of two at most. */
function sizeClass(length: number): number {
  if (length <= 4096) return 4096;
  const step = 2 ** Math.floor(Math.log2(length)) / 4;
  return Math.ceil(length / step) * step;
}

export class FramePool {
  /** Free buffers by size class. */
  private readonly free = new Map<number, ArrayBuffer[]>();
  /** Buffers handed out, with how many holders each has. */
  private readonly holders = new Map<ArrayBufferLike, number>();
  private freeBytes = 0;
  /** Buffers taken from the free lists rather than allocated (what the pool saved). */
  reused = 0;
  /** Buffers allocated. */
  allocated = 0;

  /** `maxFreeBytes`: free buffers beyond this are left to the garbage collector. */
  constructor(private readonly maxFreeBytes: number) {}

  /** A buffer of `length` bytes (contents undefined) with one holder: the request it arrives in. */
  take(length: number): Uint8Array {
    const size = sizeClass(length);
    let buffer = this.free.get(size)?.pop();
    if (buffer !== undefined) {
      this.freeBytes -= size;
      this.reused += 1;
    } else {
      // Not zero-filled: the frame decoder fills every byte or the frame is dropped.
      const bytes = Buffer.allocUnsafeSlow(size);
      buffer = bytes.buffer as ArrayBuffer;
      this.allocated += 1;
    }
    this.holders.set(buffer, 1);
    return new Uint8Array(buffer, 0, length);
  }

  /** One more holder of `bytes`' buffer (a writer it is handed to); nothing for a buffer not from this pool. */
  hold(bytes: Uint8Array): void {
    const count = this.holders.get(bytes.buffer);
    if (count !== undefined) this.holders.set(bytes.buffer, count + 1);
  }

  /** One holder of `bytes`' buffer is done with it; the last one gives it back. Nothing for a buffer not from this pool. */
  release(bytes: Uint8Array): void {
    const buffer = bytes.buffer;
    const count = this.holders.get(buffer);
    if (count === undefined) return;
    if (count > 1) {
      this.holders.set(buffer, count - 1);
      return;
    }
    this.holders.delete(buffer);
    const size = buffer.byteLength;
    if (this.freeBytes + size > this.maxFreeBytes) return;
    const list = this.free.get(size);
    if (list === undefined) this.free.set(size, [buffer as ArrayBuffer]);
    else list.push(buffer as ArrayBuffer);
    this.freeBytes += size;
  }
}
