// Loading the bundled `cairn` command (dist/cli/cairn.cjs) with V8's code cache.
//
// A one-shot command compiles the 1.3 MB bundle on every start: parsing it and then compiling
// each function as it is first called cost ~40-60 ms of a ~300 ms `sync now` that finds nothing
// to do. Node 20 has no compile cache for modules (module.enableCompileCache is Node 22), but a
// vm.Script takes V8's cached data. So the bundle is a CommonJS function body, and `npm run
// build` stores beside it the code of every one of its functions, compiled eagerly
// (produceBundleCache): a start then deserializes the compiled code instead of compiling.
//
// The cache is only ever an optimisation, and never trusted blindly:
//   - V8 checks its own version, the flags and the source's length, and rejects a cache that
//     does not fit (another Node, --max-old-space-size...): the bundle is then compiled as usual.
//   - V8's check does not cover the source's content, so the file also holds the SHA-256 of the
//     exact bundle it was made from, and of the cached bytes themselves: a rebuilt bundle of the
//     same length, or a damaged cache file, is ignored.
//   - Nothing is written at run time: the cache is made by the build, with the Node that built
//     it, in the folder of the bundle.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';

const MAGIC = Buffer.from('CAIRNV8\n', 'latin1');
const HASH_BYTES = 32;
const HEADER_BYTES = MAGIC.length + 2 * HASH_BYTES;

/** The cache file that belongs to a bundle. */
export function bundleCachePath(bundlePath: string): string {
  return `${bundlePath}.cache`;
}

function sha256(data: string | Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

/** The cache file's bytes for `data`, cached code of the bundle `source`. */
export function encodeBundleCache(source: string, data: Uint8Array): Buffer {
  return Buffer.concat([MAGIC, sha256(source), sha256(data), data]);
}

/** The cached code in `file` if it was made from exactly `source` and is whole; otherwise undefined. */
export function decodeBundleCache(source: string, file: Buffer): Buffer | undefined {
  if (file.length <= HEADER_BYTES || !file.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const data = file.subarray(HEADER_BYTES);
  if (!file.subarray(MAGIC.length, MAGIC.length + HASH_BYTES).equals(sha256(source))) return undefined;
  if (!file.subarray(MAGIC.length + HASH_BYTES, HEADER_BYTES).equals(sha256(data))) return undefined;
  return data;
}

function compile(bundlePath: string, source: string, cachedData: Buffer | undefined): vm.Script {
  // The bundle is CommonJS: its code runs as the body of the usual module function, with one
  // more argument, the import() of the packages it leaves outside (the build rewrites those
  // calls; a vm.Script has no module loader of its own, short of an experimental one).
  return new vm.Script(`(function (exports, require, module, __filename, __dirname, __cairnImport) {${source}\n})`, {
    filename: bundlePath,
    ...(cachedData === undefined ? {} : { cachedData }),
  });
}

/** import() of a package, resolved from dist/ as the bundle's own would be (bundleCli.mjs). */
function importPackage(specifier: string): Promise<unknown> {
  return import(specifier);
}

export interface LoadedBundle {
  readonly exports: Record<string, unknown>;
  /** What became of the cache: used, absent (or not made from this bundle), or rejected by V8. */
  readonly cache: 'used' | 'absent' | 'rejected';
}

export interface LoadOptions {
  /**
   * Called once the bundle is compiled and before its code runs: where V8 flags may be set
   * without spoiling the cache (V8 checks the cache against the flags as it compiles).
   */
  readonly beforeRun?: () => void;
}

/** Runs the bundle's module code and returns its exports, with the cache beside it when it fits. */
export function loadBundle(bundlePath: string, options: LoadOptions = {}): LoadedBundle {
  const source = readFileSync(bundlePath, 'utf8');
  let cachedData: Buffer | undefined;
  try {
    cachedData = decodeBundleCache(source, readFileSync(bundleCachePath(bundlePath)));
  } catch {
    cachedData = undefined;
  }
  const script = compile(bundlePath, source, cachedData);
  options.beforeRun?.();
  const module = { exports: {} as Record<string, unknown> };
  const body = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string, load: typeof importPackage) => void;
  body(module.exports, createRequire(pathToFileURL(bundlePath)), module, bundlePath, path.dirname(bundlePath), importPackage);
  return { exports: module.exports, cache: cachedData === undefined ? 'absent' : script.cachedDataRejected === true ? 'rejected' : 'used' };
}

/**
 * The cache file's bytes for the bundle: every function compiled now (V8 compiles a function on
 * its first call otherwise, and a cache made before running holds only the top level). The
 * eager compilation is switched on only for this compile and off again before the cache is
 * made, so the cache records the flags a command runs with.
 */
export function produceBundleCache(bundlePath: string): Buffer {
  const source = readFileSync(bundlePath, 'utf8');
  v8.setFlagsFromString('--no-lazy');
  let script: vm.Script;
  try {
    script = compile(bundlePath, source, undefined);
  } finally {
    v8.setFlagsFromString('--lazy');
  }
  return encodeBundleCache(source, script.createCachedData());
}
