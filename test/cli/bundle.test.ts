// The bundled `cairn` command (dist/cli/cairn.js, made by scripts/bundleCli.mjs in `npm run
// build`), which bin/cairn.js loads: it runs a command, and every file its modules find beside
// themselves (the chunker's worker threads, ...) is where the bundle looks for it. Without a
// build it is skipped on a developer's machine and fails in CI, which always builds first.

import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcess } from '../support/runProcess.js';

const repository = path.resolve(import.meta.dirname, '../..');
const bundle = path.join(repository, 'dist/cli/cairn.js');
const skip = !existsSync(bundle) && process.env.CI !== 'true';
if (skip) console.warn('bundled command check skipped: dist/cli/cairn.js missing (run `npm run build`; CI always runs it)');

let home: string;

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'cairn-bundle-test-'));
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

describe.skipIf(skip)('the bundled cairn command', () => {
  it('runs a command through the SyncApi of a service it starts', async () => {
    const script = `const { main } = await import(${JSON.stringify(pathToFileURL(bundle).href)}); process.exitCode = await main(['--home', ${JSON.stringify(home)}, '--json', 'status']);`;
    const result = await runProcess(process.execPath, ['--input-type=module', '-e', script]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ account: null, accounts: [], libraries: [] });
  });

  it('finds every file its modules look for beside themselves', async () => {
    const source = await readFile(bundle, 'utf8');
    const targets = [...source.matchAll(/new URL\("([^"]+)", import\.meta\.url\)/g)].map((match) => fileURLToPath(new URL(match[1] as string, pathToFileURL(bundle))));
    // The chunker's workers are started from the folder of workerThread.js.
    expect(targets.some((target) => target.endsWith(path.join('chunker', 'workerThread.js')))).toBe(true);
    for (const target of targets) expect(existsSync(target), target).toBe(true);
    expect(existsSync(path.join(repository, 'dist/src-main/engine/chunker/chunkerWorker.js'))).toBe(true);
  });

  it('holds no character beyond Latin-1, so V8 keeps its source at one byte per character', async () => {
    const source = await readFile(bundle, 'utf8');
    expect([...source.matchAll(/[\u0100-\uffff]/g)].map((match) => match[0])).toEqual([]);
  });
});
