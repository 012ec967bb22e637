// `cairn sync automerge LIBRARY on|off`, run by the CLI's own engine and through a running
// daemon, against a real server and real folders: the switch is stored for the library, and a
// clean text conflict is then merged by the next round without anyone resolving it.

import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDaemonService } from '../../src-main/daemon/daemonService.js';
import type { DaemonService } from '../../src-main/daemon/daemonService.js';
import { eventually } from '../support/eventually.js';
import { startHarness } from '../sync/harness.js';
import type { Harness, TestClient } from '../sync/harness.js';
import { runCairn } from '../support/runCairn.js';

let harness: Harness;
let alice: TestClient;
let bob: TestClient;
let service: DaemonService | undefined;

beforeEach(async () => {
  harness = await startHarness();
  alice = await harness.client('alice');
  bob = await harness.client('bob');
});
afterEach(async () => {
  await service?.stop();
  service = undefined;
  await harness.stop();
});

const cairn = runCairn;

const BASE = 'a\nb\nc\nd\ne\n';
const ALICE = 'A\nb\nc\nd\ne\n';
const BOB = 'a\nb\nc\nd\nE\n';
const MERGED = 'A\nb\nc\nd\nE\n';

/** Both edit notes.md apart (a clean merge); alice's edit reaches the server first; bob's engine is closed for the CLI. */
async function editApart(): Promise<void> {
  await alice.write('notes.md', BASE);
  await alice.sync();
  await bob.sync();
  await alice.write('notes.md', ALICE);
  await bob.write('notes.md', BOB);
  await alice.sync();
  await bob.close();
}

async function autoMergeOf(home: string): Promise<boolean | undefined> {
  const status = JSON.parse((await cairn(home, ['--json', 'status'])).stdout) as { libraries: { autoMerge: boolean }[] };
  return status.libraries[0]?.autoMerge;
}

describe('cairn sync automerge', () => {
  it("switches it with the CLI's own engine, and the next round merges a clean conflict", async () => {
    await editApart();
    expect(await autoMergeOf(bob.home)).toBe(false);
    expect(await cairn(bob.home, ['sync', 'automerge', 'Documents', 'on'])).toEqual({
      code: 0,
      stdout: `"Documents": clean merges of text conflicts are applied by themselves after each round (the versions before stay in the server's history)\n`,
      stderr: '',
    });
    expect(await autoMergeOf(bob.home)).toBe(true);

    const round = await cairn(bob.home, ['--json', 'sync', 'now']);
    expect(round.code).toBe(0);
    expect(JSON.parse(round.stdout)).toMatchObject({ conflicts: ['notes.md'], autoMerged: [{ path: 'notes.md' }] });
    expect(await readdir(bob.root)).toEqual(['notes.md']);
    expect(await readFile(path.join(bob.root, 'notes.md'), 'utf8')).toBe(MERGED);
    await alice.sync();
    expect(await alice.tree()).toEqual({ 'notes.md': MERGED });

    expect((await cairn(bob.home, ['sync', 'automerge', bob.root, 'off'])).stdout).toBe('"Documents": conflicts wait for you (`cairn conflicts`, `cairn resolve`)\n');
    expect(await autoMergeOf(bob.home)).toBe(false);
  });

  it('refuses a switch other than on or off, a missing one, and a library not synced here', async () => {
    await bob.close();
    const cases = [
      { name: 'not on or off', args: ['sync', 'automerge', 'Documents', 'yes'], code: 2, stderr: 'sync automerge takes on or off, not "yes"' },
      { name: 'no switch', args: ['sync', 'automerge', 'Documents'], code: 2, stderr: 'missing LIBRARY and on|off' },
      { name: 'an unknown library', args: ['sync', 'automerge', 'Music', 'on'], code: 1, stderr: '"Music" is not synced on this device' },
    ];
    for (const { name, args, code, stderr } of cases) {
      const run = await cairn(bob.home, args);
      expect(run.code, name).toBe(code);
      expect(run.stderr, name).toContain(stderr);
    }
    expect(await autoMergeOf(bob.home)).toBe(false);
  });

  it('works the same through a running daemon', async () => {
    await editApart();
    service = await startDaemonService({ home: bob.home, deviceName: 'bob', watcher: 'none', retryBaseMs: 50, retryMaxMs: 500, log: () => undefined });
    // The daemon's first round already made the conflict (nothing merged it yet).
    await eventually(async () => expect((await cairn(bob.home, ['conflicts'])).stdout).toContain('notes.md  <->  notes (conflict bob'));
    const run = await cairn(bob.home, ['--json', 'sync', 'automerge', 'Documents', 'on']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toMatchObject({ name: 'Documents', autoMerge: true });
    expect(service.daemon.engine.libraries()[0]?.autoMerge).toBe(true);

    expect((await cairn(bob.home, ['sync', 'now'])).code).toBe(0);
    await eventually(async () => expect(await readdir(bob.root)).toEqual(['notes.md']));
    expect(await readFile(path.join(bob.root, 'notes.md'), 'utf8')).toBe(MERGED);
    expect((await cairn(bob.home, ['conflicts'])).stdout).toBe('no open conflicts\n');

    expect((await cairn(bob.home, ['sync', 'automerge', 'Documents', 'off'])).stdout).toBe('"Documents": conflicts wait for you (`cairn conflicts`, `cairn resolve`)\n');
    expect(service.daemon.engine.libraries()[0]?.autoMerge).toBe(false);
    const refused = await cairn(bob.home, ['sync', 'automerge', 'Documents', 'maybe']);
    expect(refused.code).toBe(2);
  });
});
