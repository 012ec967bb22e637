// Starting this folder's worker threads, from TypeScript sources or from compiled JavaScript.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Starts the worker whose entry file is `entryName` beside this module, with the same
 * extension: .js in dist/, .ts when run from source under tsx or vitest. A .ts worker needs
 * tsx's loader, and Node 20 ignores `--import` in a worker's execArgv, so a two-line bootstrap
 * registers tsx's ESM hooks in the worker before importing the entry. tsx is found through its
 * own package manifest, resolved from here, so neither the current directory nor tsx's
 * internal layout matters.
 */
export function startWorkerThread(entryName: string): Worker {
  const extension = path.extname(fileURLToPath(import.meta.url));
  const entry = new URL(`./${entryName}${extension}`, import.meta.url);
  if (extension !== '.ts') return new Worker(entry);
  const bootstrap =
    `import(${JSON.stringify(tsxEsmApiUrl())})` +
    `.then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { eval: true });
}

function tsxEsmApiUrl(): string {
  const manifestPath = createRequire(import.meta.url).resolve('tsx/package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    exports?: { './esm/api'?: { import?: { default?: string } } };
  };
  const target = manifest.exports?.['./esm/api']?.import?.default;
  if (target === undefined) throw new Error(`Cannot find tsx's ESM API in ${manifestPath}; run the built JavaScript instead.`);
  return pathToFileURL(path.join(path.dirname(manifestPath), target)).href;
}
