// Storage on the command line: `cairn library list` gives each library's size on the server and
// the account's storage, and `cairn status` the same with the files a full storage holds back.

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { runCairn } from '../support/runCairn.js';
import { PASSWORD, startHarness } from '../sync/harness.js';
import type { Harness } from '../sync/harness.js';

let harness: Harness;
let home: string;
let folder: string;

async function ok(args: readonly string[], stdin = ''): Promise<string> {
  const run = await runCairn(home, args, stdin);
  expect(run.code, `cairn ${args.join(' ')}: ${run.stderr}`).toBe(0);
  return run.stdout;
}

beforeEach(async () => {
  harness = await startHarness();
  await harness.createLibrary('alice', 'Documents');
  home = path.join(harness.base, 'home');
  folder = path.join(harness.base, 'documents');
  await mkdir(folder, { recursive: true });
  await writeFile(path.join(folder, 'notes.txt'), 'n'.repeat(3000));
  await ok(['login', harness.server.url, '--user', 'alice'], `${PASSWORD}\n`);
  await ok(['sync', 'add', 'Documents', folder]);
  await ok(['sync', 'now']);
});
afterEach(async () => {
  await harness.stop();
});

it('lists sizes on the server and the storage, and shows a full storage in status', async () => {
  expect(await ok(['library', 'list'])).toMatch(/ Documents {2}\(owner\) {2}2\.9 KiB on the server {2}-> .*documents\nstorage: 2\.9 KiB used, no quota\n$/);
  const alice = await harness.stores.metadata.users.byName('alice');
  await harness.stores.metadata.users.setQuota(alice!.id, 4096);
  expect(await ok(['library', 'list'])).toMatch(/\nstorage: 2\.9 KiB of 4\.0 KiB used \(73%\)\n$/);

  await writeFile(path.join(folder, 'big.bin'), 'b'.repeat(2000));
  await ok(['sync', 'now']);
  const status = await ok(['status']);
  expect(status).toMatch(/Documents {2}needs-attention .* {2}2\.9 KiB on the server\n/);
  expect(status).toContain("problem: big.bin quota-exceeded: big.bin: not uploaded: the library owner's storage on the server is full (2.9 KiB of 4.0 KiB).");
  expect(status).toMatch(/\nstorage: 2\.9 KiB of 4\.0 KiB used \(73%\)$/m);
});
