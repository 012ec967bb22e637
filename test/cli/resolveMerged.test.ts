// `cairn conflicts` and `cairn resolve --keep merged [--take mine|theirs]`, run by the CLI's own
// engine and through a running daemon, against a real server and real folders.

import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDaemonService } from '../../src-main/daemon/daemonService.js';
import type { DaemonService } from '../../src-main/daemon/daemonService.js';
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

/** Bob gets a conflict at `name` (alice's edit reached the server first); bob's engine is then closed for the CLI. */
async function conflictOn(name: string, base: string, aliceVersion: string, bobVersion: string): Promise<void> {
  await alice.write(name, base);
  await alice.sync();
  await bob.sync();
  await alice.write(name, aliceVersion);
  await bob.write(name, bobVersion);
  await alice.sync();
  expect((await bob.sync()).conflicts).toEqual([name]);
  await bob.close();
}

describe('cairn resolve --keep merged', () => {
  it('lists the conflict and applies a clean merge', async () => {
    await conflictOn('notes.md', 'a\nb\nc\nd\ne\n', 'A\nb\nc\nd\ne\n', 'a\nb\nc\nd\nE\n');
    const listed = await cairn(bob.home, ['conflicts']);
    expect(listed.stdout).toMatch(/^notes\.md {2}<-> {2}notes \(conflict bob .*\)\.md {2}\(.*; text, base known\)\n$/);
    const resolved = await cairn(bob.home, ['resolve', path.join(bob.root, 'notes.md'), '--keep', 'merged']);
    expect(resolved).toEqual({ code: 0, stdout: 'resolved notes.md (merged: a clean merge)\n', stderr: '' });
    expect(await readdir(bob.root)).toEqual(['notes.md']);
    expect(await readFile(path.join(bob.root, 'notes.md'), 'utf8')).toBe('A\nb\nc\nd\nE\n');
    await alice.sync();
    expect(await alice.tree()).toEqual({ 'notes.md': 'A\nb\nc\nd\nE\n' });
  });

  it('shows overlapping changes with markers and applies them with --take', async () => {
    await conflictOn('plan.txt', 'one\ntwo\nthree\n', 'one\nTWO (alice)\nthree\n', 'one\nTWO (bob)\nthree\n');
    const where = path.join(bob.root, 'plan.txt');
    const refused = await cairn(bob.home, ['resolve', where, '--keep', 'merged']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/^one\n<<<<<<< plan \(conflict bob .*\)\.txt \(this device\)\nTWO \(bob\)\n\|\|\|\|\|\|\| common version \(rev \d+\)\ntwo\n=======\nTWO \(alice\)\n>>>>>>> plan\.txt \(server\)\nthree\n\n$/);
    expect(refused.stderr).toContain('1 overlapping change(s)');
    expect(refused.stderr).toContain('--take mine');
    expect((await readdir(bob.root)).length).toBe(2);

    const usage = await cairn(bob.home, ['resolve', where, '--keep', 'local', '--take', 'mine']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--take goes with --keep merged');

    const resolved = await cairn(bob.home, ['--json', 'resolve', where, '--keep', 'merged', '--take', 'theirs']);
    expect(resolved.code).toBe(0);
    expect(JSON.parse(resolved.stdout)).toMatchObject({ keep: 'merged', overlapping: 1, take: 'theirs', resolved: { path: 'plan.txt' } });
    expect(await readdir(bob.root)).toEqual(['plan.txt']);
    expect(await readFile(where, 'utf8')).toBe('one\nTWO (alice)\nthree\n');
  });

  it('works the same through a running daemon', async () => {
    await conflictOn('plan.txt', 'one\ntwo\nthree\n', 'one\nTWO (alice)\nthree\n', 'one\nTWO (bob)\nthree\n');
    service = await startDaemonService({ home: bob.home, deviceName: 'bob', watcher: 'none', retryBaseMs: 50, retryMaxMs: 500, log: () => undefined });
    const where = path.join(bob.root, 'plan.txt');
    expect((await cairn(bob.home, ['conflicts'])).stdout).toContain('text, base known');
    const refused = await cairn(bob.home, ['resolve', where, '--keep', 'merged']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('<<<<<<< plan (conflict bob');
    const resolved = await cairn(bob.home, ['resolve', where, '--keep', 'merged', '--take', 'mine']);
    expect(resolved).toMatchObject({ code: 0, stderr: '' });
    expect(resolved.stdout).toContain('1 overlapping change(s) taken from mine');
    expect(await readFile(where, 'utf8')).toBe('one\nTWO (bob)\nthree\n');
    await alice.sync();
    expect(await alice.tree()).toEqual({ 'plan.txt': 'one\nTWO (bob)\nthree\n' });
  });
});
