#!/usr/bin/env node
// The `cairn` command. The TypeScript sources are compiled into dist/ by `npm run build`
// (run automatically by `npm ci` and `npm install`), which also bundles the command into one
// file, dist/cli/cairn.cjs (scripts/bundleCli.mjs): loading it is much faster than loading the
// ~230 modules it holds one by one, and it is run with the V8 code cache the build made beside
// it (src-main/cli/bundleLoader.ts). Without the bundle, with one older than the compiled
// modules (tsc ran again since), the modules are loaded.
// `cairn --version` is answered here, from package.json, without loading the engine.
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
if (argv.length === 1 && argv[0] === '--version') {
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else {
  const bundle = fileURLToPath(new URL('../dist/cli/cairn.cjs', import.meta.url));
  const modules = new URL('../dist/src-main/cli/main.js', import.meta.url);
  const bundled = statSync(bundle, { throwIfNoEntry: false });
  const compiled = statSync(modules, { throwIfNoEntry: false });
  const fresh = bundled !== undefined && (compiled === undefined || bundled.mtimeMs >= compiled.mtimeMs);
  // V8's settings for a one-shot command (src-main/cli/oneShotHeap.ts), set before the command's
  // code runs, and once the bundle is compiled with its cache (set before, they would spoil it).
  const [{ startOneShotHeap }, loader] = await Promise.all([import('../dist/src-main/cli/oneShotHeap.js'), fresh ? import('../dist/src-main/cli/bundleLoader.js') : undefined]);
  let heap;
  const start = () => {
    heap = startOneShotHeap();
  };
  let main;
  if (loader !== undefined) {
    ({ main } = loader.loadBundle(bundle, { beforeRun: start }).exports);
  } else {
    start();
    ({ main } = await import(modules.href));
  }
  process.exitCode = await main(argv, { heap });
}
