// `cairn --version` and `cairn-server --version`: the package's version, exit 0, answered by
// the bin scripts themselves. They run here from a folder holding only the scripts and
// package.json, with no compiled code beside them: loading the engine or the server would fail.

import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcess } from '../support/runProcess.js';

const repository = path.resolve(import.meta.dirname, '../..');
let alone: string;
let version: string;

function run(script: string, args: readonly string[]): ReturnType<typeof runProcess> {
  return runProcess(process.execPath, [script, ...args]);
}

beforeAll(async () => {
  version = (JSON.parse(await readFile(path.join(repository, 'package.json'), 'utf8')) as { version: string }).version;
  alone = await mkdtemp(path.join(os.tmpdir(), 'cairn-version-test-'));
  await mkdir(path.join(alone, 'bin'));
  await copyFile(path.join(repository, 'package.json'), path.join(alone, 'package.json'));
  for (const script of ['cairn.js', 'cairn-server.js']) await copyFile(path.join(repository, 'bin', script), path.join(alone, 'bin', script));
});
afterAll(async () => {
  await rm(alone, { recursive: true, force: true });
});

describe('--version', () => {
  for (const script of ['cairn.js', 'cairn-server.js']) {
    it(`${script} prints the package version and exits 0 without loading the compiled code`, async () => {
      const result = await run(path.join(alone, 'bin', script), ['--version']);
      expect(result).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    });

    it(`${script} without --version does load the compiled code (so the test above proves something)`, async () => {
      const result = await run(path.join(alone, 'bin', script), ['--help']);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/ERR_MODULE_NOT_FOUND|Cannot find module/);
    });
  }
});
