// Builds the UI with the project's own vite.config.ts into a folder of the caller's choosing,
// so the tests serve exactly what `vite build` ships. It runs as its own process with
// NODE_ENV=production: inside vitest (NODE_ENV=test) the bundle would get React's development
// build instead.

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { REPOSITORY_ROOT } from './chromium.js';

const VITE_CLI = path.join(path.dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js');

export async function buildUi(outDir: string): Promise<void> {
  const args = [VITE_CLI, 'build', '--config', path.join(REPOSITORY_ROOT, 'vite.config.ts'), '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'];
  const child = spawn(process.execPath, args, { cwd: REPOSITORY_ROOT, env: { ...process.env, NODE_ENV: 'production' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`vite build failed (exit ${code}):\n${output}`);
}
