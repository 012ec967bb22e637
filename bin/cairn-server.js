#!/usr/bin/env node
// The cairn-server command; the code lives in src-server/main.ts, compiled to dist/ by `npm run build`.
import { main } from '../dist/src-server/main.js';

process.exitCode = await main(process.argv.slice(2));
