// Bundles the compiled `cairn` command (dist/src-main/cli/main.js and everything it imports,
// zod included) into one file, dist/cli/cairn.cjs, which bin/cairn.js loads. Node 20 resolves,
// reads and links each ES module separately: the ~230 modules of a `cairn sync now` cost more to
// load than to run. Native and optional packages stay outside (better-sqlite3, the watchers),
// and so does what the compiled code requires at run time (rabin-wasm); undici's two parts
// the server client imports by path (src-main/engine/remote/undiciCore.ts) are bundled, so
// that the code cache covers them too.
// Each bundled module keeps its own import.meta.url (the URL of its compiled file in dist/), so
// what it finds beside itself (the chunker's worker threads, the UI's files) is found as before.
// The bundle is CommonJS, so that it can be run as a vm.Script with V8's code cache, which this
// script makes beside it (dist/cli/cairn.cjs.cache; see src-main/cli/bundleLoader.ts).
// Run by `npm run build`, after tsc.

import { build, transform } from 'esbuild';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outfile = path.join(root, 'dist/cli/cairn.cjs');
/** The bundle's own URL, set by its first line (a CommonJS module has no import.meta). */
const BUNDLE_URL = '__cairnBundleUrl';

const EXTERNAL = ['better-sqlite3', '@parcel/watcher', 'chokidar', 'pg', 'electron', 'rabin-wasm', 'tsx'];
/** The function the loader passes in for import() of an outside package (see bundleLoader.ts). */
const IMPORT = '__cairnImport';
const externalImport = new RegExp(`\\bimport\\((["'])(${EXTERNAL.map((name) => name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})\\1\\)`, 'g');

/**
 * In each bundled file of dist/: replaces import.meta.url with that file's own URL, relative to
 * the bundle's, and import() of an outside package with the loader's import function (a
 * vm.Script has no module loader of its own for import()).
 */
const distRewrites = {
  name: 'dist-rewrites',
  setup(builder) {
    builder.onLoad({ filter: /[\\/]dist[\\/].*\.js$/ }, async (args) => {
      const source = (await readFile(args.path, 'utf8')).replace(externalImport, (_match, quote, name) => `${IMPORT}(${quote}${name}${quote})`);
      if (!source.includes('import.meta.url')) return { contents: source, loader: 'js' };
      const relative = path.relative(path.dirname(outfile), args.path).split(path.sep).join('/');
      return { contents: source.replaceAll('import.meta.url', `new URL(${JSON.stringify(relative)}, ${BUNDLE_URL}).href`), loader: 'js' };
    });
  },
};

/**
 * zod's index of its ~40 message locales (a quarter of the bundle) is only reached through
 * `z.locales`, which Cairn never uses; its schemas import the English messages themselves.
 * The bundle gets an index holding English only.
 */
const englishZodLocalesOnly = {
  name: 'english-zod-locales-only',
  setup(builder) {
    builder.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => {
      if (!/[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)) return undefined;
      return { path: path.join(path.dirname(args.importer), '../locales/en.js'), namespace: 'zod-locales' };
    });
    builder.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      resolveDir: path.dirname(args.path),
      loader: 'js',
    }));
  },
};

await build({
  entryPoints: [path.join(root, 'dist/src-main/cli/main.js')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Strict, as the ES modules it was made of were.
  banner: { js: `'use strict';\nconst ${BUNDLE_URL} = require('node:url').pathToFileURL(__filename).href;` },
  external: EXTERNAL,
  plugins: [distRewrites, englishZodLocalesOnly],
  logLevel: 'warning',
  legalComments: 'none',
});

/**
 * V8 keeps a script holding any character beyond Latin-1 at two bytes per character: 1.2 MB more
 * memory for this bundle. esbuild escapes such characters in strings, but keeps comments (here
 * a few dashes and ellipses) as they are: those comment lines are escaped here. The code must be
 * the same afterwards (esbuild prints both alike once it dropped the comments and whitespace), or the
 * bundle stays as it was.
 */
async function latin1Comments(file) {
  const text = await readFile(file, 'utf8');
  const commentLine = /^\s*(?:\/\/|\/\*|\*)/;
  const escaped = text
    .split('\n')
    .map((line) => (commentLine.test(line) ? line.replace(/[\u0100-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`) : line))
    .join('\n');
  if (escaped === text) return;
  const code = async (source) => (await transform(source, { format: 'cjs', platform: 'node', target: 'node20', legalComments: 'none', minifyWhitespace: true })).code;
  if ((await code(escaped)) !== (await code(text))) {
    console.warn('bundleCli: escaping comments would change the code; the bundle keeps its characters beyond Latin-1');
    return;
  }
  await writeFile(file, escaped);
}

await latin1Comments(outfile);

/** V8's code cache of the bundle, written whole or not at all. */
const { bundleCachePath, produceBundleCache } = await import(pathToFileURL(path.join(root, 'dist/src-main/cli/bundleLoader.js')).href);
const cachePath = bundleCachePath(outfile);
await writeFile(`${cachePath}.tmp`, produceBundleCache(outfile));
await rename(`${cachePath}.tmp`, cachePath);
// The ES module bundle of earlier builds.
await rm(path.join(root, 'dist/cli/cairn.js'), { force: true });
