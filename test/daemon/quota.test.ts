// A full storage through the daemon: the library view says so with the owner's figures, the
// refused file is a quota-exceeded problem, the SyncApi's library list gives sizes and the
// user's storage, and the daemon uploads the file by itself once the quota is raised (no change
// on disk, no server event: the runner's recheck), without retrying in a tight loop meanwhile.

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startDaemonService } from '../../src-main/daemon/daemonService.js';
import type { DaemonService } from '../../src-main/daemon/daemonService.js';
import { eventually } from '../support/eventually.js';
import { PASSWORD, startHarness } from '../sync/harness.js';
import type { Harness } from '../sync/harness.js';

let harness: Harness;
let service: DaemonService;
let root: string;
let libraryId: string;
let rounds = 0;

async function setQuota(quotaBytes: number | null): Promise<void> {
  const alice = await harness.stores.metadata.users.byName('alice');
  await harness.stores.metadata.users.setQuota(alice!.id, quotaBytes);
}

beforeEach(async () => {
  harness = await startHarness();
  libraryId = await harness.createLibrary('alice', 'Documents');
  root = path.join(harness.base, 'documents');
  await mkdir(root, { recursive: true });
  await writeFile(path.join(root, 'notes.txt'), 'n'.repeat(400));
  service = await startDaemonService({ home: path.join(harness.base, 'home'), deviceName: 'laptop', watcher: 'none', quotaRecheckMs: 300, log: () => undefined });
  rounds = 0;
  service.api.subscribe((event) => {
    if (event.kind === 'roundFinished') rounds += 1;
  });
  await service.api.login({ serverUrl: harness.server.url, user: 'alice', password: PASSWORD });
  await service.api.addLibrary({ libraryId, localRoot: root, selection: null });
  await eventually(async () => expect((await service.api.getStatus({})).libraries[0]?.state.kind).toBe('up-to-date'), 20_000);
});
afterEach(async () => {
  await service.stop();
  await harness.stop();
});

it('lists sizes and storage, shows a full storage, and uploads by itself once the quota is raised', async () => {
  await setQuota(1000);
  expect(await service.api.listRemoteLibraries({})).toMatchObject({
    libraries: [{ libraryId, name: 'Documents', sizeBytes: 400 }],
    storage: { usedBytes: 400, quotaBytes: 1000 },
  });

  await writeFile(path.join(root, 'big.bin'), 'b'.repeat(800));
  await service.api.syncNow({ libraryId });
  await eventually(async () => {
    const [library] = (await service.api.getStatus({})).libraries;
    expect(library?.storageFull).toEqual({ usedBytes: 400, quotaBytes: 1000 });
    expect(library?.state.kind).toBe('needs-attention');
  }, 20_000);
  const { problems } = await service.api.listProblems({ libraryId });
  expect(problems.map((problem) => [problem.path, problem.kind])).toEqual([['big.bin', 'quota-exceeded']]);

  // Waiting for space: a recheck every 300 ms here, not a loop.
  const before = rounds;
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  expect(rounds - before).toBeLessThanOrEqual(5);

  await setQuota(5000);
  await eventually(async () => {
    const [library] = (await service.api.getStatus({})).libraries;
    expect(library?.state.kind).toBe('up-to-date');
    expect(library?.storageFull ?? null).toBeNull();
  }, 20_000);
  expect((await service.api.listProblems({ libraryId })).problems).toEqual([]);
  expect((await service.api.listRemoteLibraries({})).storage).toEqual({ usedBytes: 1200, quotaBytes: 5000 });
});

it('answers storage-full with the figures when a restore would pass the quota', async () => {
  await writeFile(path.join(root, 'notes.txt'), '');
  await service.api.syncNow({ libraryId });
  await eventually(async () => expect((await service.api.listRemoteLibraries({})).storage?.usedBytes).toBe(0), 20_000);
  await writeFile(path.join(root, 'other.txt'), 'o'.repeat(300));
  await service.api.syncNow({ libraryId });
  await eventually(async () => expect((await service.api.listRemoteLibraries({})).storage?.usedBytes).toBe(300), 20_000);
  await setQuota(500);
  const refused = await service.api.restoreVersion({ libraryId, path: 'notes.txt' as never, rev: 1 }).then(
    () => null,
    (error: unknown) => error as { code: string; details: unknown },
  );
  expect(refused?.code).toBe('storage-full');
  expect(refused?.details).toEqual({ usedBytes: 300, quotaBytes: 500, addedBytes: 400 });
});
