#!/usr/bin/env node
// The cairn-server command; the code lives in src-server/main.ts, compiled to dist/ by `npm run build`.
// `cairn-server --version` is answered here, from package.json, without loading the server.
import { readFileSync } from 'node:fs';

const argv = process.argv.slice(2);
if (argv.length === 1 && argv[0] === '--version') {
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else {
  // Loading the server's modules is a burst of objects that stay: with a frugal heap, it does not
  // grow the young generation for the rest of the process (see src-server/heapTuning.ts).
  const { withFrugalHeap } = await import('../dist/src-server/heapTuning.js');
  const { main } = await withFrugalHeap(() => import('../dist/src-server/main.js'));
  process.exitCode = await main(argv);
}
