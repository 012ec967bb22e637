// V8's heap and compiler settings for a one-shot `cairn` command (one process per command, as
// in `cairn sync now`), set by the launcher (bin/cairn.js) before the command's code runs.
//
// With V8's defaults a `sync now` that finds nothing to do in a library of 10,000 files peaked
// at ~135 MiB resident (`node -e 0`: 40 MiB), for two reasons, both measured there:
//   - undici's HTTP parser, llhttp, is WebAssembly. Its one large function soon became "hot"
//     and V8 compiled it again with its optimizing compiler (TurboFan), on a background thread
//     that took ~35 MiB of compiler memory for a moment, and CPU time, in every process (after
//     ~5 requests). A thousandfold tiering budget leaves llhttp on the baseline compiler
//     (Liftoff) for about 2,000 requests, more than a command that has little to do makes; the
//     Rabin chunker's wasm chunks 64 MiB in the same CPU time either way.
//   - Loading a library's local state (its entries outlive many young collections) doubled the
//     young generation up to 16 MiB per semi-space, 32 MiB resident until the process ended.
//     With a growth factor of 1 it stays at its first size: the survivors are promoted a little
//     earlier, for no measurable CPU on these commands. A round that transfers many files or
//     bytes (a first sync) allocates much short-lived memory meanwhile, where a larger young
//     generation saves CPU: the command gives V8 its default growth back once its round is seen
//     transferring that much (`roundTransfers`).
// Both flags are read by V8 while it runs (at each young collection; when it compiles a wasm
// module), so they take effect when set at run time. They are set only after the bundle was
// compiled with its code cache: V8 rejects a cache made under other flags (bundleLoader.ts).
// `cairn daemon` runs for days, serving many requests: it puts V8's defaults back.
// They are set only under the V8 they were measured with (Node 20's): V8 reports a flag it does
// not know on standard error, and another V8 may tier and size its heap otherwise.

import v8 from 'node:v8';

/** V8's defaults for the flags below (Node 20, V8 11.3). */
const DEFAULT_GROWTH = '--semi-space-growth-factor=2';
const DEFAULT_WASM_BUDGET = '--wasm-tiering-budget=1800000';

/** The flags of a one-shot command. */
export const ONE_SHOT_V8_FLAGS = ['--semi-space-growth-factor=1', '--wasm-tiering-budget=1800000000'] as const;

/** A round transferring at least this many files or bytes gets V8's default young generation. */
export const LARGE_TRANSFER = { files: 1_000, bytes: 64 * 1024 * 1024 } as const;

/** The launcher's handle on the settings: which the command itself may change as it goes. */
export interface OneShotHeap {
  /** The command's round is transferring files (its totals so far): a large transfer ends the frugal young generation. */
  roundTransfers(totals: { readonly filesTotal: number; readonly bytesTotal: number }): void;
  /** The young generation may grow again, as V8 grows it by default. */
  endFrugalYoungGeneration(): void;
  /** A long-running command (the daemon): V8's defaults, all of them. */
  restoreDefaults(): void;
}

/** The V8 (major version) these settings and their defaults were measured with. */
const MEASURED_V8_MAJOR = 11;

/** Sets the one-shot flags (under the V8 they were measured with) and returns the handle that undoes them. */
export function startOneShotHeap(setFlags: (flag: string) => void = v8.setFlagsFromString, v8Version: string = process.versions.v8): OneShotHeap {
  const measured = Number.parseInt(v8Version, 10) === MEASURED_V8_MAJOR;
  if (measured) for (const flag of ONE_SHOT_V8_FLAGS) setFlags(flag);
  let frugalYoung = measured;
  let frugalWasm = measured;
  return {
    roundTransfers(totals) {
      if (totals.filesTotal >= LARGE_TRANSFER.files || totals.bytesTotal >= LARGE_TRANSFER.bytes) this.endFrugalYoungGeneration();
    },
    endFrugalYoungGeneration() {
      if (!frugalYoung) return;
      frugalYoung = false;
      setFlags(DEFAULT_GROWTH);
    },
    restoreDefaults() {
      this.endFrugalYoungGeneration();
      if (!frugalWasm) return;
      frugalWasm = false;
      setFlags(DEFAULT_WASM_BUDGET);
    },
  };
}
