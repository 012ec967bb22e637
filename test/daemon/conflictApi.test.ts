// The conflict operations of a running daemon, over its real control API, against a real
// server: the conflict list's new facts, details with diff and merge, merged and batch
// resolutions, and automatic merges reported in the activity list.

import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Harness, TestClient } from '../sync/harness.js';
import { eventually } from '../support/eventually.js';
import { codeOf, roundOf, startDaemonTestBed } from './daemonTestBed.js';
import type { DaemonTestBed, SyncedApiClient } from './daemonTestBed.js';

let bed: DaemonTestBed;
let harness: Harness;

beforeEach(async () => {
  bed = await startDaemonTestBed();
  harness = bed.harness;
});
afterEach(async () => {
  await bed.stop();
});

type DaemonClient = SyncedApiClient;

/** A daemon (watching nothing: rounds run when asked) on a profile syncing "Documents". */
const daemonFor = (name: string): Promise<DaemonClient> => bed.syncedApi(name);

/** Both sides start from `base`; bob commits first, so the daemon's device gets the conflict. */
async function conflictFor(daemon: DaemonClient, bob: TestClient, name: string, base: string, bobVersion: string, daemonVersion: string): Promise<void> {
  await writeFile(path.join(daemon.root, name), base);
  await roundOf(daemon.api, daemon.libraryId);
  await bob.sync();
  await bob.write(name, bobVersion);
  await bob.sync();
  await writeFile(path.join(daemon.root, name), daemonVersion);
  await roundOf(daemon.api, daemon.libraryId);
}

describe('conflicts through the daemon', () => {
  it('lists, details and merges a conflict, with and without choices, and in a batch', async () => {
    const alice = await daemonFor('alice');
    const bob = await harness.client('bob');
    await conflictFor(alice, bob, 'notes.md', 'a\nb\nc\nd\ne\n', 'A\nb\nc\nd\ne\n', 'a\nb\nc\nd\nE\n');
    await conflictFor(alice, bob, 'todo.txt', 'x\n', 'x by bob\n', 'x by alice\n');

    const { conflicts } = await alice.api.listConflicts({ libraryId: alice.libraryId });
    const notes = conflicts.find((conflict) => conflict.path === 'notes.md')!;
    const todo = conflicts.find((conflict) => conflict.path === 'todo.txt')!;
    expect(notes).toMatchObject({ baseKnown: true, contentKind: 'text', local: { device: 'alice', user: 'alice' }, remote: { device: 'bob', user: 'alice' } });

    const details = await alice.api.getConflictDetails({ conflictId: todo.conflictId });
    expect(details.base).toMatchObject({ size: 2, device: 'alice' });
    if (details.preview.kind !== 'text' || details.preview.merge === null) throw new Error('expected a merge');
    expect(details.preview.merge.counts.conflict).toBe(1);
    const versions = { local: details.local.versionToken!, remote: details.remote.versionToken! };
    expect(await codeOf(alice.api.resolveConflict({ conflictId: todo.conflictId, keep: 'merged', versions, choices: [] }))).toBe('invalid-argument');
    expect(await codeOf(alice.api.resolveConflict({ conflictId: todo.conflictId, keep: 'merged', versions: { ...versions, remote: 'stale' }, choices: ['mine'] }))).toBe('conflict');
    expect(await alice.api.resolveConflict({ conflictId: todo.conflictId, keep: 'merged', versions, choices: ['mine-then-theirs'] })).toEqual(todo);
    expect(await readFile(path.join(alice.root, 'todo.txt'), 'utf8')).toBe('x by alice\nx by bob\n');

    const { results } = await alice.api.resolveConflicts({ conflictIds: [notes.conflictId, todo.conflictId], keep: 'merged' });
    expect(results).toEqual([
      { conflictId: notes.conflictId, outcome: 'resolved', conflict: notes },
      { conflictId: todo.conflictId, outcome: 'failed', error: { code: 'not-found', message: expect.any(String) } },
    ]);
    expect(await readFile(path.join(alice.root, 'notes.md'), 'utf8')).toBe('A\nb\nc\nd\nE\n');
    expect((await readdir(alice.root)).sort()).toEqual(['notes.md', 'todo.txt']);
    await eventually(() => expect(alice.events.some((event) => event.kind === 'conflictsChanged' && event.conflicts.length === 0)).toBe(true));
    await bob.sync();
    expect(await bob.tree()).toEqual({ 'notes.md': 'A\nb\nc\nd\nE\n', 'todo.txt': 'x by alice\nx by bob\n' });
  });

  it('merges clean conflicts by itself once allowed, and says so in the activity list', async () => {
    const alice = await daemonFor('alice');
    const bob = await harness.client('bob');
    const view = await alice.api.setAutoMerge({ libraryId: alice.libraryId, autoMerge: true });
    expect(view.autoMerge).toBe(true);
    expect((await alice.api.getStatus({})).libraries[0]?.autoMerge).toBe(true);
    await conflictFor(alice, bob, 'notes.md', 'a\nb\nc\nd\ne\n', 'A\nb\nc\nd\ne\n', 'a\nb\nc\nd\nE\n');
    await eventually(async () => {
      const { entries } = await alice.api.getActivity({ libraryId: alice.libraryId });
      expect(entries).toContainEqual(expect.objectContaining({ kind: 'conflict-merged', path: 'notes.md' }));
    });
    expect(alice.events).toContainEqual(expect.objectContaining({ kind: 'activityAdded', entry: expect.objectContaining({ kind: 'conflict-merged', path: 'notes.md' }) }));
    expect((await alice.api.listConflicts({})).conflicts).toEqual([]);
    expect(await readdir(alice.root)).toEqual(['notes.md']);
    expect(await readFile(path.join(alice.root, 'notes.md'), 'utf8')).toBe('A\nb\nc\nd\nE\n');
    await bob.sync();
    expect(await bob.tree()).toEqual({ 'notes.md': 'A\nb\nc\nd\nE\n' });
    await eventually(async () => expect((await alice.api.getStatus({})).libraries[0]?.state.kind).toBe('up-to-date'));
  });
});
