// `cairn` commands while a daemon runs on the profile: they go through its control API instead
// of opening the index themselves, show the daemon's live state, and the daemon does the work.

import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDaemonService } from '../../src-main/daemon/daemonService.js';
import type { DaemonService } from '../../src-main/daemon/daemonService.js';
import { PASSWORD, startHarness } from '../sync/harness.js';
import type { Harness } from '../sync/harness.js';
import { eventually } from '../support/eventually.js';
import { runCairn } from '../support/runCairn.js';
import type { CliRun } from '../support/runCairn.js';

let harness: Harness;
let service: DaemonService | undefined;
let home: string;
let root: string;

beforeEach(async () => {
  harness = await startHarness();
  const client = await harness.client('alice');
  await client.close();
  home = client.home;
  root = client.root;
  service = await startDaemonService({ home, deviceName: 'alice', watcher: 'none', retryBaseMs: 50, retryMaxMs: 500, log: () => undefined });
});
afterEach(async () => {
  await service?.stop();
  service = undefined;
  await harness.stop();
});

function cairn(args: readonly string[], stdin = ''): Promise<CliRun> {
  return runCairn(home, args, stdin);
}

describe('the CLI with a daemon running', () => {
  it('pauses, resumes and syncs through the daemon, and shows its state', async () => {
    const now = await cairn(['sync', 'now']);
    expect(now).toMatchObject({ code: 0, stdout: 'Documents: up to date\n', stderr: '' });

    expect((await cairn(['sync', 'pause', 'Documents'])).stdout).toBe('"Documents" paused\n');
    const paused = await cairn(['status']);
    expect(paused.stdout).toMatch(/a daemon is running/);
    expect(paused.stdout).toMatch(/Documents {2}paused/);
    expect(service!.daemon.status()[0]?.pause?.reason).toBe('user');
    const refused = await cairn(['sync', 'now', 'Documents']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/is paused \(user\)/);

    expect((await cairn(['sync', 'resume', root])).stdout).toBe('"Documents" resumed\n');
    await writeFile(path.join(root, 'new.txt'), 'through the daemon');
    expect((await cairn(['sync', 'now'])).code).toBe(0);
    const json = JSON.parse((await cairn(['--json', 'status'])).stdout) as { libraries: { state: { kind: string } }[] };
    expect(json.libraries[0]?.state.kind).toBe('up-to-date');
    // A round's activity is written just after the round ends.
    await eventually(async () => expect((await service!.api.getActivity({})).entries).toContainEqual(expect.objectContaining({ kind: 'uploaded', path: 'new.txt' })));

    expect((await cairn(['conflicts'])).stdout).toBe('no open conflicts\n');
    expect((await cairn(['sync', 'select', 'Documents', 'docs/'])).stdout).toBe('"Documents": syncing only docs\n');
    expect((await cairn(['sync', 'select', 'Documents'])).stdout).toBe('"Documents": syncing everything\n');
  });

  it('adds and removes libraries, logs in and restores through the daemon', async () => {
    const created = await cairn(['library', 'create', 'Photos']);
    expect(created.code).toBe(0);
    const photosRoot = path.join(harness.base, 'photos');
    const added = await cairn(['sync', 'add', 'Photos', photosRoot]);
    expect(added.stdout).toMatch(/syncing "Photos" into .*photos; the running daemon syncs it now/);
    expect((await cairn(['library', 'list'])).stdout).toMatch(/Photos {2}\(owner\) {2}0 B on the server {2}-> .*photos/);
    expect((await cairn(['sync', 'remove', 'Photos'])).stdout).toMatch(/stopped syncing "Photos"/);
    expect(service!.daemon.status().map((library) => library.name)).toEqual(['Documents']);

    const wrong = await cairn(['login', harness.server.url, '--user', 'alice'], 'not the password\n');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/refused this user name and password/);
    const login = await cairn(['login', harness.server.url, '--user', 'alice'], `${PASSWORD}\n`);
    expect(login.code).toBe(0);
    expect(login.stdout).toMatch(/the running daemon syncs with it/);

    await writeFile(path.join(root, 'story.txt'), 'first draft');
    expect((await cairn(['sync', 'now'])).code).toBe(0);
    await writeFile(path.join(root, 'story.txt'), 'second draft');
    expect((await cairn(['sync', 'now'])).code).toBe(0);
    const restored = await cairn(['restore', path.join(root, 'story.txt')]);
    expect(restored.code).toBe(0);
    expect(restored.stdout).toMatch(/the daemon brings it here/);
    expect((await cairn(['sync', 'now'])).code).toBe(0);
    expect(await readFile(path.join(root, 'story.txt'), 'utf8')).toBe('first draft');
  });
});
