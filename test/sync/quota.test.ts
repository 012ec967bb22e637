// A library owner's storage quota, end to end through real clients and a real server (both
// backends): a round whose upload would pass the quota keeps the file here as a per-file
// problem, commits everything else (deletions, folders), keeps downloading, does not retry in a
// loop, and uploads the file once space is freed or the quota raised. The same rule holds for a
// member uploading into a shared library: the owner's storage counts.

import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { routes } from '../../shared/protocol/index.js';
import { RemoteError } from '../../src-main/engine/remote/remoteError.js';
import type { ServerClient } from '../../src-main/engine/remote/serverClient.js';
import { describeEachBackend, harnessPerTest } from './backends.js';
import type { Harness, TestClient } from './harness.js';

const bytes = (count: number, fill: string): string => fill.repeat(count);

describeEachBackend((backend) => {
  let harness: Harness;
  let laptop: TestClient;
  let desktop: TestClient;

  async function setQuota(user: string, quotaBytes: number | null): Promise<void> {
    const record = await harness.stores.metadata.users.byName(user);
    await harness.stores.metadata.users.setQuota(record!.id, quotaBytes);
  }

  async function usageOf(user: string) {
    return harness.stores.metadata.users.usage((await harness.stores.metadata.users.byName(user))!.id);
  }

  function problems(client: TestClient): { path: string; kind: string }[] {
    return client.engine.problems(client.libraryId).map((problem) => ({ path: problem.path, kind: problem.kind }));
  }

  harnessPerTest(backend, async (started) => {
    harness = started;
    laptop = await harness.client('laptop', { user: 'alice', libraryName: 'Quota' });
    desktop = await harness.client('desktop', { user: 'alice', libraryName: 'Quota' });
    await laptop.write('small.txt', bytes(300, 's'));
    await laptop.write('old.txt', bytes(200, 'o'));
    await laptop.sync();
    await desktop.sync();
    await setQuota('alice', 1000);
  });

  it('keeps a file beyond the quota here as a problem, commits the rest, keeps downloading, and uploads it once there is space', async () => {
    let commits = 0;
    let refusals = 0;
    const counting = (client: ServerClient): ServerClient =>
      new Proxy(client, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver) as unknown;
          if (property !== 'call' || typeof value !== 'function') return value;
          return async (route: { path: string }, ...rest: unknown[]) => {
            if (route === routes.commit) commits += 1;
            try {
              return await (value as (...args: unknown[]) => Promise<unknown>).call(target, route, ...rest);
            } catch (error) {
              if (error instanceof RemoteError && error.code === 'quota-exceeded') refusals += 1;
              throw error;
            }
          };
        },
      });

    // 500 bytes used of 1,000. This round adds 950 bytes and frees 400: refused whole; then
    // the deletion, the shrunk file and the folder are committed without the new file.
    await laptop.write('big.bin', bytes(950, 'b'));
    await rm(path.join(laptop.root, 'old.txt'));
    await laptop.write('small.txt', bytes(100, 's'));
    await mkdir(path.join(laptop.root, 'folder'));
    const [summary] = await laptop.engine.syncNow({ wrapClient: counting });
    expect(summary!.outcome).toBe('synced');
    // The owner's figures as the server gave them last (after the rest was committed).
    expect(summary!.storageFull).toEqual({ usedBytes: 100, quotaBytes: 1000 });
    expect(problems(laptop)).toEqual([{ path: 'big.bin', kind: 'quota-exceeded' }]);
    expect(laptop.engine.problems(laptop.libraryId)[0]!.message).toMatch(/big\.bin: not uploaded: the library owner's storage on the server is full \(100 B of 1000 B\)/);
    // Refused once per pass at most, never in a loop.
    expect(refusals).toBeLessThanOrEqual(2);
    expect(commits).toBeLessThanOrEqual(4);
    expect(await laptop.read('big.bin')).toBe(bytes(950, 'b'));
    await desktop.sync();
    expect(await desktop.tree()).toEqual({ 'folder/': '', 'small.txt': bytes(100, 's') });
    expect(await usageOf('alice')).toEqual({ usedBytes: 100, quotaBytes: 1000 });

    // Another device adds a file: the laptop downloads it while big.bin still waits (150 + 950 > 1000).
    await desktop.write('more.txt', bytes(50, 'm'));
    await desktop.sync();
    const [held] = await laptop.engine.syncNow();
    expect(held!.outcome).toBe('synced');
    expect(await laptop.read('more.txt')).toBe(bytes(50, 'm'));
    expect(problems(laptop)).toEqual([{ path: 'big.bin', kind: 'quota-exceeded' }]);

    // Space is freed elsewhere: the next round uploads the file (50 + 950 = 1000) and the problem goes.
    await desktop.write('small.txt', '');
    await desktop.sync();
    const [freed] = await laptop.engine.syncNow();
    expect(freed!.storageFull).toBeNull();
    expect(problems(laptop)).toEqual([]);
    await desktop.sync();
    expect(await desktop.read('big.bin')).toBe(bytes(950, 'b'));
    expect(await usageOf('alice')).toEqual({ usedBytes: 1000, quotaBytes: 1000 });
  });

  it('uploads by the next round once the quota is raised', async () => {
    await laptop.write('big.bin', bytes(900, 'b'));
    expect((await laptop.syncRaw()).storageFull).toEqual({ usedBytes: 500, quotaBytes: 1000 });
    await setQuota('alice', 2000);
    const summary = await laptop.sync();
    expect(summary.uploadedFiles).toBe(1);
    expect(problems(laptop)).toEqual([]);
  });

  it('counts a member’s uploads against the owner’s quota', async () => {
    await harness.addUser('bob');
    await (await laptop.engine.server()).call(routes.setMember, { params: { libraryId: laptop.libraryId, userName: 'bob' }, body: { role: 'rw' } });
    const bob = await harness.client('bob-pc', { user: 'bob', libraryId: laptop.libraryId });
    try {
      await bob.sync();
      await bob.write('from-bob.bin', bytes(600, 'x'));
      const summary = await bob.syncRaw();
      expect(summary.storageFull).toEqual({ usedBytes: 500, quotaBytes: 1000 });
      expect(problems(bob)).toEqual([{ path: 'from-bob.bin', kind: 'quota-exceeded' }]);
      const list = await (await bob.engine.server()).call(routes.listLibraries);
      // bob's own storage is his, not alice's; the library's size is what it holds.
      expect(list.storage).toEqual({ usedBytes: 0, quotaBytes: null });
      expect(list.libraries.find((library) => library.id === laptop.libraryId)?.sizeBytes).toBe(500);
    } finally {
      await bob.close();
    }
  });
});
