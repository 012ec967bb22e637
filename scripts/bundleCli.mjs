// Bundles the compiled `cairn` command (dist/src-main/cli/main.js and everything it imports,
// zod included) into one file, dist/cli/cairn.js, which bin/cairn.js loads. Node 20 resolves,
// reads and links each ES module separately: the ~230 modules of a `cairn sync now` cost more to
// load than to run. Native and optional packages stay outside (better-sqlite3, the watchers),
// and so does what the compiled code requires at run time (undici's parts, rabin-wasm).
// Each bundled module keeps its own import.meta.url (the URL of its compiled file in dist/), so
// what it finds beside itself (the chunker's worker threads, the UI's files) is found as before.
// Run by `npm run build`, after tsc.

import { build, transform } from 'esbuild';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outfile = path.join(root, 'dist/cli/cairn.js');

/** Replaces import.meta.url in each bundled file of dist/ with that file's own URL, relative to the bundle. */
const ownImportMetaUrl = {
  name: 'own-import-meta-url',
  setup(builder) {
    builder.onLoad({ filter: /[\\/]dist[\\/].*\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return { contents: source, loader: 'js' };
      const relative = path.relative(path.dirname(outfile), args.path).split(path.sep).join('/');
      return { contents: source.replaceAll('import.meta.url', `new URL(${JSON.stringify(relative)}, import.meta.url).href`), loader: 'js' };
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
  format: 'esm',
  target: 'node20',
  external: ['better-sqlite3', '@parcel/watcher', 'chokidar', 'pg', 'electron', 'undici', 'rabin-wasm', 'tsx'],
  plugins: [ownImportMetaUrl, englishZodLocalesOnly],
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
  const code = async (source) => (await transform(source, { format: 'esm', platform: 'node', target: 'node20', legalComments: 'none', minifyWhitespace: true })).code;
  if ((await code(escaped)) !== (await code(text))) {
    console.warn('bundleCli: escaping comments would change the code; the bundle keeps its characters beyond Latin-1');
    return;
  }
  await writeFile(file, escaped);
}

await latin1Comments(outfile);
