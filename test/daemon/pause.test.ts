// Pause stops the transfer in flight: the round's requests are aborted, so the server receives
// nothing more once the library says it is paused (beyond what the OS had already taken into
// its socket buffers), and until then it says "pausing" (paused, stopping), never plain
// "paused" while the round still runs. What arrived is kept: after resuming,
// the upload sends less than the whole file again, and a large download goes on from its
// partial file. Per library and for all libraries at once. Real daemons, a real server, and a
// throttling proxy between them that counts the bytes.

import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LibraryState } from '../../shared/api/index.js';
import { startDaemonService } from '../../src-main/daemon/daemonService.js';
import type { DaemonService } from '../../src-main/daemon/daemonService.js';
import { isPartialFileName } from '../../src-main/engine/localfs/index.js';
import { eventually } from '../support/eventually.js';
import { PASSWORD, startHarness } from '../sync/harness.js';
import type { Harness } from '../sync/harness.js';
import { startThrottlingProxy } from '../sync/support/throttlingProxy.js';
import type { ThrottlingProxy } from '../sync/support/throttlingProxy.js';

const MiB = 1024 * 1024;
const FILE_BYTES = 32 * MiB;
/** What the OS may still hold of a request when it is aborted (socket buffers), and one upload batch. */
const IN_THE_PIPES = 6 * MiB;
const RATE = 4 * MiB;

let harness: Harness;
let proxy: ThrottlingProxy;
const services: DaemonService[] = [];

beforeEach(async () => {
  harness = await startHarness();
  proxy = await startThrottlingProxy({ host: '127.0.0.1', port: harness.server.port }, { bytesPerSecond: RATE });
});
afterEach(async () => {
  for (const service of services.splice(0)) await service.stop().catch(() => undefined);
  await proxy.close();
  await harness.stop();
});

/** A daemon (no watcher: rounds run when asked) syncing Documents into its own folder, through the proxy. */
async function daemonFor(name: string, libraryId: string): Promise<{ service: DaemonService; root: string }> {
  const home = path.join(harness.base, `daemon-${name}`);
  const root = path.join(harness.base, `daemon-folder-${name}`);
  await mkdir(root, { recursive: true });
  const service = await startDaemonService({ home, deviceName: name, watcher: 'none', retryBaseMs: 50, retryMaxMs: 500, log: () => undefined });
  services.push(service);
  await service.api.login({ serverUrl: proxy.url, user: 'alice', password: PASSWORD });
  await service.api.addLibrary({ libraryId, localRoot: root, selection: null });
  await eventually(async () => expect((await service.api.getStatus({})).libraries[0]?.state.kind).toBe('up-to-date'), 20_000);
  return { service, root };
}

async function stateOf(service: DaemonService): Promise<LibraryState> {
  return (await service.api.getStatus({})).libraries[0]!.state;
}

/** Waits until the library is paused and no longer stopping. */
async function waitStopped(service: DaemonService): Promise<void> {
  await eventually(async () => {
    const state = await stateOf(service);
    expect(state.kind).toBe('paused');
    expect(state.kind === 'paused' && state.stopping === true).toBe(false);
  }, 10_000);
}

/**
 * The bytes the partial file of a download in `folder` holds (0 before it exists). The proxy's
 * count says what left the server, which on a loaded machine may run well ahead of what the
 * daemon has written: what the resumed download can keep is what is here.
 */
async function partialBytes(folder: string): Promise<number> {
  const partial = (await readdir(folder)).find(isPartialFileName);
  if (partial === undefined) return 0;
  return (await stat(path.join(folder, partial)).catch(() => ({ size: 0 }))).size;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The count once it stopped growing (nothing more for a second). */
async function settled(bytes: () => number): Promise<number> {
  for (;;) {
    const seen = bytes();
    await sleep(1_000);
    if (bytes() === seen) return seen;
  }
}

describe('pause', () => {
  it('stops an upload in flight, says "pausing" until it has stopped, and resumes from what arrived', async () => {
    const seed = await harness.client('seed');
    const libraryId = seed.libraryId;
    await seed.close();
    const { service, root } = await daemonFor('uploader', libraryId);
    const content = randomBytes(FILE_BYTES);
    await writeFile(path.join(root, 'big.bin'), content);
    const before = proxy.upstreamBytes();
    await service.api.syncNow({ libraryId });
    // More than one upload batch (4 MiB) has gone up, far from all of it.
    await eventually(() => expect(proxy.upstreamBytes() - before).toBeGreaterThan(6 * MiB), 20_000);

    const paused = await service.api.pauseLibrary({ libraryId });
    // The transfer is still stopping: the library says so rather than "paused".
    expect(paused.state).toMatchObject({ kind: 'paused', reason: 'user', stopping: true });
    const atPause = proxy.upstreamBytes();
    await waitStopped(service);
    // Nothing more left this computer but what the OS had already taken before the pause.
    const atStop = await settled(() => proxy.upstreamBytes());
    expect(atStop - atPause).toBeLessThan(IN_THE_PIPES);
    expect(atStop - before).toBeLessThan(FILE_BYTES / 2);

    await service.api.resumeLibrary({ libraryId });
    await eventually(async () => expect((await stateOf(service)).kind).toBe('up-to-date'), 30_000);
    // Resumed from what arrived: less than the whole file went up again.
    expect(proxy.upstreamBytes() - atStop).toBeLessThan(FILE_BYTES - 3 * MiB);
    const check = await harness.client('check');
    await check.sync();
    expect(Buffer.compare(await readFile(path.join(check.root, 'big.bin')), content)).toBe(0);
  }, 90_000);

  it('pausing everything stops a download in flight, which goes on from its partial file', async () => {
    const seed = await harness.client('seed');
    const libraryId = seed.libraryId;
    const { service, root } = await daemonFor('downloader', libraryId);
    const content = randomBytes(FILE_BYTES);
    await seed.write('big.bin', content);
    await seed.sync();
    const before = proxy.downstreamBytes();
    await service.api.syncNow({ libraryId });
    // More than 6 MiB is in the partial file here, far from all of it.
    await eventually(async () => expect(await partialBytes(root)).toBeGreaterThan(6 * MiB), 20_000);

    const status = await service.api.pauseAll({});
    expect(status.libraries[0]?.state).toMatchObject({ kind: 'paused', reason: 'all-paused', stopping: true });
    const atPause = proxy.downstreamBytes();
    await waitStopped(service);
    const atStop = await settled(() => proxy.downstreamBytes());
    expect(atStop - atPause).toBeLessThan(IN_THE_PIPES);
    expect(atStop - before).toBeLessThan(FILE_BYTES / 2);
    await expect(readFile(path.join(root, 'big.bin'))).rejects.toThrow();

    await service.api.resumeAll({});
    await eventually(async () => expect((await stateOf(service)).kind).toBe('up-to-date'), 30_000);
    expect(proxy.downstreamBytes() - atStop).toBeLessThan(FILE_BYTES - 3 * MiB);
    expect(Buffer.compare(await readFile(path.join(root, 'big.bin')), content)).toBe(0);
    await rm(path.join(root, 'big.bin'));
  }, 90_000);
});
