// Rabin fingerprint chunking through the rabin-wasm package (an AssemblyScript port of
// datproject/rabin): a 64-byte sliding window, the package's fixed polynomial 0x3DA3358B4DC173,
// and a chunk ends after a byte once the chunk is at least minSize long and the fingerprint's
// low floor(log2(avgSize)) bits are clear, or when it reaches maxSize. Its mean chunk is thus
// about minSize + 2^floor(log2(avgSize)), capped by maxSize.
//
// The wasm object keeps its window and counters between calls, so feeding it a stream in any
// slicing yields the same lengths; this class only turns chunk lengths into stream offsets and
// manages the wasm memory it borrows.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ChunkingParams } from '../../../shared/model.js';
import { log2Floor } from './cutter.js';
import type { Cutter } from './cutter.js';

/** The sliding window of datproject/rabin, which rabin-wasm's own stream uses too. */
const WINDOW_SIZE = 64;

/**
 * Bytes handed to the wasm module per call. Each call copies its slice into wasm memory, so
 * this bounds that memory whatever the caller's slice size.
 */
const FEED_SIZE = 1 << 20;

/** The part of the @assemblyscript/loader module object that this file uses. */
interface RabinModule {
  readonly Int32Array_ID: number;
  readonly Uint8Array_ID: number;
  __allocArray(id: number, values: ArrayLike<number>): number;
  __retain(pointer: number): number;
  __release(pointer: number): void;
  __getInt32ArrayView(pointer: number): Int32Array;
  readonly Rabin: new (averageBits: number, minSize: number, maxSize: number, windowSize: number) => RabinState;
}

/** A wasm-side Rabin object; valueOf() is its pointer, which we must release. */
interface RabinState {
  valueOf(): number;
  fingerprint(buffer: number, lengths: number): number;
}

interface Loader {
  instantiateSync(source: Uint8Array, imports: object): RabinModule;
}

let rabinModule: RabinModule | undefined;

/**
 * Instantiates the package's wasm once per thread, synchronously so that createCutter can stay
 * synchronous. This does what rabin-wasm's own loader does, minus its needless promise; the
 * AssemblyScript loader is resolved from rabin-wasm's folder because it is that package's
 * dependency, not ours.
 */
function loadRabinModule(): RabinModule {
  if (rabinModule === undefined) {
    const entry = createRequire(import.meta.url).resolve('rabin-wasm');
    const loader = createRequire(entry)('@assemblyscript/loader') as Loader;
    const wasm = readFileSync(path.join(path.dirname(entry), '..', 'dist', 'rabin.wasm'));
    rabinModule = loader.instantiateSync(wasm, {});
  }
  return rabinModule;
}

export class RabinCutter implements Cutter {
  readonly params: ChunkingParams;
  private readonly averageBits: number;
  private state: RabinState | undefined;
  private streamPosition = 0;
  private lastCut = 0;

  /** Parameters must already have passed checkChunkingParams (createCutter does that). */
  constructor(params: ChunkingParams) {
    this.params = params;
    this.averageBits = log2Floor(params.avgSize);
  }

  get position(): number {
    return this.streamPosition;
  }

  push(bytes: Uint8Array): number[] {
    const cuts: number[] = [];
    for (let from = 0; from < bytes.length; from += FEED_SIZE) {
      const piece = bytes.subarray(from, Math.min(bytes.length, from + FEED_SIZE));
      for (const length of this.fingerprint(piece)) {
        this.lastCut += length;
        cuts.push(this.lastCut);
      }
    }
    this.streamPosition += bytes.length;
    return cuts;
  }

  finish(): number | undefined {
    const end = this.streamPosition > this.lastCut ? this.streamPosition : undefined;
    if (this.state !== undefined) {
      loadRabinModule().__release(this.state.valueOf());
      this.state = undefined;
    }
    this.streamPosition = 0;
    this.lastCut = 0;
    return end;
  }

  /** Lengths of the chunks that end inside `piece`, the first counting earlier bytes too. */
  private fingerprint(piece: Uint8Array): number[] {
    const wasm = loadRabinModule();
    this.state ??= new wasm.Rabin(this.averageBits, this.params.minSize, this.params.maxSize, WINDOW_SIZE);
    // A piece holds at most one cut per minSize bytes after its first one; the wasm writes the
    // lengths without bounds checks, so the array must have room for all of them, plus a zero
    // that marks their end.
    const capacity = Math.ceil(piece.length / this.params.minSize) + 1;
    const lengthsPointer = wasm.__retain(wasm.__allocArray(wasm.Int32Array_ID, new Int32Array(capacity)));
    const bytesPointer = wasm.__retain(wasm.__allocArray(wasm.Uint8Array_ID, piece));
    try {
      const resultPointer = this.state.fingerprint(bytesPointer, lengthsPointer);
      // The result is the lengths array itself, returned retained once more.
      const view = wasm.__getInt32ArrayView(resultPointer);
      const lengths: number[] = [];
      for (let index = 0; index < view.length && view[index] !== 0; index++) lengths.push(view[index]!);
      wasm.__release(resultPointer);
      return lengths;
    } finally {
      wasm.__release(bytesPointer);
      wasm.__release(lengthsPointer);
    }
  }
}
