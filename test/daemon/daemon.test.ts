// The daemon keeps libraries in sync by itself: remote commits arrive by push, the profile is
// locked against a second daemon, pause holds changes back, and an absent server is retried.

import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Daemon } from '../../src-main/daemon/daemon.js';
import type { DaemonEvent } from '../../src-main/daemon/daemon.js';
import { libraryStateOf } from '../../src-main/daemon/syncViews.js';
import { ProfileLockedError } from '../../src-main/profile/profileLock.js';
import { startHarness } from '../sync/harness.js';
import type { Harness, TestClient } from '../sync/harness.js';
import { eventually } from '../support/eventually.js';

let harness: Harness;
const daemons: Daemon[] = [];
beforeEach(async () => {
  harness = await startHarness();
});
afterEach(async () => {
  for (const daemon of daemons.splice(0)) await daemon.stop();
  await harness.stop();
});

/** Sets a client up (login, library) with the harness, then hands its profile to a daemon. */
async function daemonFor(name: string): Promise<{ daemon: Daemon; root: string; client: TestClient }> {
  const client = await harness.client(name);
  await client.close();
  const daemon = await Daemon.start({ home: client.home, deviceName: name, watch: null, retryBaseMs: 50, retryMaxMs: 500, log: () => undefined });
  daemons.push(daemon);
  return { daemon, root: client.root, client };
}


/** The state the UI and the CLI would show for the daemon's first library. */
function stateOf(daemon: Daemon): string | undefined {
  const status = daemon.status()[0];
  return status === undefined ? undefined : libraryStateOf(status, daemon.stateContext(status)).kind;
}

describe('daemon', () => {
  it('pulls a remote commit by itself, pushed by the server', async () => {
    const alice = await daemonFor('alice');
    const bob = await daemonFor('bob');
    await eventually(() => expect(bob.daemon.isOnline).toBe(true));
    await writeFile(path.join(alice.root, 'pushed.txt'), 'arrives without sync now');
    await alice.daemon.syncNow();
    await eventually(async () => expect(await readFile(path.join(bob.root, 'pushed.txt'), 'utf8')).toBe('arrives without sync now'));
    await eventually(() => expect(stateOf(bob.daemon)).toBe('up-to-date'));
  });

  it('refuses a second daemon on the same profile', async () => {
    const alice = await daemonFor('alice');
    await expect(Daemon.start({ home: alice.client.home, watch: null, log: () => undefined })).rejects.toBeInstanceOf(ProfileLockedError);
  });

  it('holds changes back while paused and sends them on resume', async () => {
    const alice = await daemonFor('alice');
    const bob = await daemonFor('bob');
    alice.daemon.setPaused(alice.root, true);
    await writeFile(path.join(alice.root, 'held.txt'), 'held back');
    await alice.daemon.syncNow();
    expect(stateOf(alice.daemon)).toBe('paused');
    alice.daemon.setPaused(alice.root, false);
    await eventually(async () => expect(await readFile(path.join(bob.root, 'held.txt'), 'utf8')).toBe('held back'));
  });

  it('reports offline while the server is away and catches up when it returns', async () => {
    const alice = await daemonFor('alice');
    const bob = await daemonFor('bob');
    const events: DaemonEvent[] = [];
    alice.daemon.subscribe((event) => events.push(event));
    await eventually(() => expect(alice.daemon.isOnline).toBe(true));
    const port = harness.server.port;
    await harness.server.close();
    await writeFile(path.join(alice.root, 'offline.txt'), 'written while the server was away');
    void alice.daemon.syncNow();
    await eventually(() => expect(events.some((event) => event.kind === 'state' && event.state === 'offline')).toBe(true));
    expect(stateOf(alice.daemon)).not.toBe('up-to-date');
    await harness.restartServer();
    expect(harness.server.port).toBe(port);
    await eventually(async () => expect(await readFile(path.join(bob.root, 'offline.txt'), 'utf8')).toBe('written while the server was away'), 40_000);
  });
});
