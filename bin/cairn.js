#!/usr/bin/env node
// The `cairn` command. The TypeScript sources are compiled into dist/ by `npm run build`
// (run automatically by `npm ci` and `npm install`).
import { main } from '../dist/src-main/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
