#!/usr/bin/env node
// The `cairn` command. The TypeScript sources are compiled into dist/ by `npm run build`
// (run automatically by `npm ci` and `npm install`).
// `cairn --version` is answered here, from package.json, without loading the engine.
import { readFileSync } from 'node:fs';

const argv = process.argv.slice(2);
if (argv.length === 1 && argv[0] === '--version') {
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else {
  const { main } = await import('../dist/src-main/cli/main.js');
  process.exitCode = await main(argv);
}
