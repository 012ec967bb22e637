// The bundled `cairn` command (dist/cli/cairn.cjs, made by scripts/bundleCli.mjs in `npm run
// build`), which bin/cairn.js loads with the V8 code cache the build made beside it: it runs a
// command, the cache fits it, and every file its modules find beside themselves (the chunker's
// worker threads, ...) is where the bundle looks for it. Without a build it is skipped on a
// developer's machine and fails in CI, which always builds first. The loader's checks of the
// cache are tested on small bundles of their own.

import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleCachePath, decodeBundleCache, encodeBundleCache, loadBundle, produceBundleCache } from '../../src-main/cli/bundleLoader.js';
import { runProcess } from '../support/runProcess.js';

const repository = path.resolve(import.meta.dirname, '../..');
const bundle = path.join(repository, 'dist/cli/cairn.cjs');
const skip = !existsSync(bundle) && process.env.CI !== 'true';
if (skip) console.warn('bundled command check skipped: dist/cli/cairn.cjs missing (run `npm run build`; CI always runs it)');

let home: string;

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'cairn-bundle-test-'));
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

describe.skipIf(skip)('the bundled cairn command', () => {
  it('runs a command through the SyncApi of a service it starts, from bin/cairn.js', async () => {
    const result = await runProcess(process.execPath, [path.join(repository, 'bin/cairn.js'), '--home', home, '--json', 'status']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ account: null, accounts: [], libraries: [] });
  });

  it('is loaded with the code cache the build made for it', async () => {
    const script = `const { loadBundle } = await import(${JSON.stringify(pathToFileURL(path.join(repository, 'dist/src-main/cli/bundleLoader.js')).href)}); const loaded = loadBundle(${JSON.stringify(bundle)}); process.stdout.write(JSON.stringify({ cache: loaded.cache, main: typeof loaded.exports.main }));`;
    const result = await runProcess(process.execPath, ['--input-type=module', '-e', script]);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ cache: 'used', main: 'function' });
  });

  it.skipIf(Number.parseInt(process.versions.v8, 10) !== 11)("keeps its code cache with the one-shot command's V8 flags, set once it is compiled (before, they spoil it)", async () => {
    const distUrl = (file: string): string => JSON.stringify(pathToFileURL(path.join(repository, 'dist/src-main/cli', file)).href);
    const script = (early: boolean): string =>
      `const { loadBundle } = await import(${distUrl('bundleLoader.js')}); const { startOneShotHeap } = await import(${distUrl('oneShotHeap.js')});
       ${early ? 'startOneShotHeap();' : ''} const loaded = loadBundle(${JSON.stringify(bundle)}${early ? '' : ', { beforeRun: () => startOneShotHeap() }'});
       process.stdout.write(loaded.cache);`;
    const [late, early] = await Promise.all([runProcess(process.execPath, ['--input-type=module', '-e', script(false)]), runProcess(process.execPath, ['--input-type=module', '-e', script(true)])]);
    expect(late.stderr).toBe('');
    expect(late.stdout).toBe('used');
    expect(early.stdout).toBe('rejected');
  });

  it('finds every file its modules look for beside themselves', async () => {
    const source = await readFile(bundle, 'utf8');
    const targets = [...source.matchAll(/new URL\("([^"]+)", __cairnBundleUrl\)/g)].map((match) => fileURLToPath(new URL(match[1] as string, pathToFileURL(bundle))));
    // The chunker's workers are started from the folder of workerThread.js.
    expect(targets.some((target) => target.endsWith(path.join('chunker', 'workerThread.js')))).toBe(true);
    for (const target of targets) expect(existsSync(target), target).toBe(true);
    expect(existsSync(path.join(repository, 'dist/src-main/engine/chunker/chunkerWorker.js'))).toBe(true);
    expect(source).not.toContain('import.meta');
  });

  it('imports the packages it leaves outside through the loader (a vm.Script has no import() of its own)', async () => {
    const source = await readFile(bundle, 'utf8');
    expect(source).toContain('__cairnImport("chokidar")');
    expect(source).toContain('__cairnImport("@parcel/watcher")');
    expect(source).not.toMatch(/\bimport\(\s*["'](chokidar|@parcel\/watcher|better-sqlite3|pg|undici|rabin-wasm|electron|tsx)["']/);
  });

  it('holds no character beyond Latin-1, so V8 keeps its source at one byte per character', async () => {
    const source = await readFile(bundle, 'utf8');
    expect([...source.matchAll(/[\u0100-\uffff]/g)].map((match) => match[0])).toEqual([]);
  });
});

describe('the bundle loader', () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(path.join(os.tmpdir(), 'cairn-bundle-loader-test-'));
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  /** A bundle that exports what it was given, and imports a package through the loader. */
  async function writeBundle(name: string, value: string): Promise<string> {
    const file = path.join(folder, name);
    await writeFile(file, `'use strict';\nexports.value = ${JSON.stringify(value)};\nexports.file = __filename;\nexports.load = () => __cairnImport('zod').then((zod) => typeof zod.z.object);\n`);
    return file;
  }

  it('runs a bundle with its cache, without one, and imports packages from its module function', async () => {
    const file = await writeBundle('plain.cjs', 'plain');
    let loaded = loadBundle(file);
    expect(loaded.cache).toBe('absent');
    expect(loaded.exports.value).toBe('plain');
    expect(loaded.exports.file).toBe(file);
    expect(await (loaded.exports.load as () => Promise<string>)()).toBe('function');
    await writeFile(bundleCachePath(file), produceBundleCache(file));
    loaded = loadBundle(file);
    expect(loaded.cache).toBe('used');
    expect(loaded.exports.value).toBe('plain');
  });

  it('ignores a cache made from other source of the same length, or damaged, and runs the bundle it has', async () => {
    const file = await writeBundle('changed.cjs', 'before');
    const cache = produceBundleCache(file);
    const source = await readFile(file, 'utf8');
    expect(decodeBundleCache(source, cache)).toBeDefined();
    // Rebuilt: same length, other content. V8's own check (the length) would take the cache.
    await writeBundle('changed.cjs', 'after!');
    await writeFile(bundleCachePath(file), cache);
    const loaded = loadBundle(file);
    expect(loaded.cache).toBe('absent');
    expect(loaded.exports.value).toBe('after!');
    // One byte of the cached code changed, the file cut short, another format.
    const damaged = Buffer.from(cache);
    damaged.writeUInt8(damaged.readUInt8(damaged.length - 10) ^ 0xff, damaged.length - 10);
    expect(decodeBundleCache(source, damaged)).toBeUndefined();
    expect(decodeBundleCache(source, cache.subarray(0, 60))).toBeUndefined();
    expect(decodeBundleCache(source, Buffer.concat([Buffer.from('OTHERFMT'), cache.subarray(8)]))).toBeUndefined();
  });

  it('compiles the bundle anew when V8 rejects a whole cache that does not fit it', async () => {
    const file = await writeBundle('rejected.cjs', 'mine');
    const other = await writeBundle('other.cjs', 'some other bundle entirely, of another length');
    // A cache file that names this bundle's source but holds another script's code.
    const foreign = decodeBundleCache(await readFile(other, 'utf8'), produceBundleCache(other))!;
    await writeFile(bundleCachePath(file), encodeBundleCache(await readFile(file, 'utf8'), foreign));
    const loaded = loadBundle(file);
    expect(loaded.cache).toBe('rejected');
    expect(loaded.exports.value).toBe('mine');
  });
});
