// Resolving conflicts with real clients and a real server: the merge base a conflict records,
// the details a dialog shows (diff, three-way merge, base), every way of resolving (keep local,
// remote, both, a merge with or without choices, a batch), automatic merges, and that nothing
// is lost when a file changes after the preview or two devices resolve differently.

import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LibraryPath } from '../../shared/paths.js';
import { documentToString, renderMerge } from '../../shared/merge/index.js';
import type { ConflictRecord } from '../../src-main/engine/indexStore/index.js';
import { UserError } from '../../src-main/engine/userError.js';
import type { UserErrorReason } from '../../src-main/engine/userError.js';
import { startHarness } from './harness.js';
import type { Harness, TestClient } from './harness.js';

let harness: Harness;
let alice: TestClient;
let bob: TestClient;
beforeEach(async () => {
  harness = await startHarness();
  alice = await harness.client('alice');
  bob = await harness.client('bob');
});
afterEach(async () => {
  await harness.stop();
});

const BASE = 'one\ntwo\nthree\nfour\nfive\n';
const ALICE = 'ONE\ntwo\nthree\nfour\nfive\n';
const BOB = 'one\ntwo\nthree\nfour\nFIVE\n';
const MERGED = 'ONE\ntwo\nthree\nfour\nFIVE\n';

/** Both start from `base`; alice's edit reaches the server first, so bob gets the conflict. */
async function conflictOn(name: string, base: string | Uint8Array, aliceVersion: string | Uint8Array, bobVersion: string | Uint8Array): Promise<ConflictRecord> {
  await alice.write(name, base);
  await alice.sync();
  await bob.sync();
  await alice.write(name, aliceVersion);
  await bob.write(name, bobVersion);
  await alice.sync();
  const round = await bob.sync();
  expect(round.conflicts).toContain(name);
  const conflict = bob.engine.conflicts().find((candidate) => candidate.path === name);
  if (conflict === undefined) throw new Error(`no conflict recorded at ${name}`);
  return conflict;
}

async function reasonOf(work: Promise<unknown>): Promise<UserErrorReason> {
  try {
    await work;
  } catch (error) {
    if (error instanceof UserError) return error.reason;
    throw error;
  }
  throw new Error('it succeeded');
}

async function historyOf(client: TestClient, name: string) {
  return client.engine.history(client.libraryId, name as LibraryPath);
}

async function tokensOf(conflict: ConflictRecord) {
  const details = await bob.engine.conflictDetails(conflict.conflictId);
  return { local: details.local.versionToken!, remote: details.remote.versionToken! };
}

describe('conflict records', () => {
  it('an edit/edit conflict records its merge base and who made each side', async () => {
    await alice.write('doc.txt', BASE);
    await alice.sync();
    await bob.sync();
    const baseRev = (await historyOf(bob, 'doc.txt'))[0]!.rev;
    await alice.write('doc.txt', ALICE);
    await bob.write('doc.txt', BOB);
    await alice.sync();
    await bob.sync();
    const [conflict] = bob.engine.conflicts();
    const aliceRev = (await historyOf(bob, 'doc.txt'))[0]!.rev;
    expect(conflict).toMatchObject({
      path: 'doc.txt',
      base: { rev: baseRev, node: { kind: 'file', size: BASE.length } },
      local: { device: 'bob', user: 'alice' },
      // Filled in from the server's history after the round.
      remote: { device: 'alice', user: 'alice', rev: aliceRev },
      resolution: null,
    });
  });

  it('a create/create conflict has no base', async () => {
    await alice.write('new.txt', 'from alice\n');
    await bob.write('new.txt', 'from bob\n');
    await alice.sync();
    await bob.sync();
    const [conflict] = bob.engine.conflicts();
    expect(conflict).toMatchObject({ path: 'new.txt', base: null });
    const details = await bob.engine.conflictDetails(conflict!.conflictId);
    expect(details).toMatchObject({ baseStatus: 'unknown', base: null, conflict: { baseKnown: false, contentKind: 'text' } });
    expect(details.preview).toMatchObject({ kind: 'text', merge: null });
    expect(await reasonOf(bob.engine.resolveConflict(conflict!.conflictId, 'merged', { versions: await tokensOf(conflict!), choices: [] }, bob.resolutionRound))).toBe('invalid');
  });
});

describe('details and merged resolutions', () => {
  it('shows the diff, the merge and the base, applies a clean merge, and syncs it everywhere', async () => {
    const conflict = await conflictOn('doc.txt', BASE, ALICE, BOB);
    const details = await bob.engine.conflictDetails(conflict.conflictId);
    expect(details.conflict).toMatchObject({ path: 'doc.txt', baseKnown: true, contentKind: 'text', remote: { device: 'alice' } });
    expect(details.local).toMatchObject({ path: conflict.conflictPath, kind: 'file', size: BOB.length, device: 'bob' });
    expect(details.remote).toMatchObject({ path: 'doc.txt', kind: 'file', size: ALICE.length, device: 'alice', rev: conflict.remote.rev });
    expect(details.base).toMatchObject({ path: 'doc.txt', size: BASE.length, rev: conflict.base!.rev, device: 'alice', user: 'alice' });
    expect(details.baseStatus).toBe('available');
    if (details.preview.kind !== 'text' || details.preview.merge === null) throw new Error(`expected a text preview with a merge, got ${details.preview.kind}`);
    const { diff, merge } = details.preview;
    expect(diff.rows.filter((row) => row.kind === 'delete' || row.kind === 'insert').map((row) => [row.kind, 'text' in row ? row.text : ''])).toEqual([
      ['delete', 'one'],
      ['insert', 'ONE'],
      ['delete', 'FIVE'],
      ['insert', 'five'],
    ]);
    expect(merge.clean).toBe(true);
    expect(merge.regions.map((region) => region.kind)).toEqual(['theirs', 'stable', 'mine']);
    expect(documentToString(renderMerge(merge, []))).toBe(MERGED);

    await bob.engine.resolveConflict(conflict.conflictId, 'merged', { versions: { local: details.local.versionToken!, remote: details.remote.versionToken! }, choices: [] }, bob.resolutionRound);
    expect(await bob.tree()).toEqual({ 'doc.txt': MERGED });
    expect(bob.engine.conflicts()).toEqual([]);
    expect(bob.withIndex((index) => index.conflicts.get(conflict.conflictId))).toMatchObject({ resolution: 'merged' });
    await alice.sync();
    expect(await alice.tree()).toEqual({ 'doc.txt': MERGED });
    // Every version before the merge stays in the server's history.
    const contentsOf = (versions: { deleted: boolean; size: number }[]) => versions.filter((version) => !version.deleted).map((version) => version.size);
    expect(contentsOf(await historyOf(alice, 'doc.txt'))).toEqual([MERGED.length, ALICE.length, BASE.length]);
    const copy = await historyOf(alice, conflict.conflictPath!);
    expect(copy.map((version) => [version.deleted, version.size, version.device])).toEqual([
      [true, BOB.length, 'bob'],
      [false, BOB.length, 'bob'],
    ]);
  });

  it('refuses an overlapping merge without choices and applies it with them', async () => {
    const conflict = await conflictOn('list.md', 'a\nb\nc\n', 'a\nB by alice\nc\n', 'a\nB by bob\nc\n');
    const details = await bob.engine.conflictDetails(conflict.conflictId);
    if (details.preview.kind !== 'text' || details.preview.merge === null) throw new Error('expected a merge');
    const merge = details.preview.merge;
    expect(merge.clean).toBe(false);
    expect(merge.regions.find((region) => region.kind === 'conflict')).toMatchObject({
      base: [{ text: 'b', terminator: '\n' }],
      mine: [{ text: 'B by bob', terminator: '\n' }],
      theirs: [{ text: 'B by alice', terminator: '\n' }],
    });
    const versions = { local: details.local.versionToken!, remote: details.remote.versionToken! };
    expect(await reasonOf(bob.engine.resolveConflict(conflict.conflictId, 'merged', { versions, choices: [] }, bob.resolutionRound))).toBe('invalid');
    expect(await reasonOf(bob.engine.resolveConflict(conflict.conflictId, 'merged', { versions, choices: ['mine', 'theirs'] }, bob.resolutionRound))).toBe('invalid');
    expect(await reasonOf(bob.engine.resolveConflict(conflict.conflictId, 'merged', {}, bob.resolutionRound))).toBe('invalid');
    expect(Object.keys(await bob.tree())).toHaveLength(2);
    await bob.engine.resolveConflict(conflict.conflictId, 'merged', { versions, choices: ['theirs-then-mine'] }, bob.resolutionRound);
    expect(await bob.tree()).toEqual({ 'list.md': 'a\nB by alice\nB by bob\nc\n' });
    await alice.sync();
    expect(await alice.tree()).toEqual({ 'list.md': 'a\nB by alice\nB by bob\nc\n' });
  });

  it('refuses a merge when a file changed after the preview, and changes nothing', async () => {
    const conflict = await conflictOn('doc.txt', BASE, ALICE, BOB);
    const versions = await tokensOf(conflict);
    await bob.write(conflict.conflictPath!, `${BOB}saved again\n`);
    expect(await reasonOf(bob.engine.resolveConflict(conflict.conflictId, 'merged', { versions, choices: [] }, bob.resolutionRound))).toBe('conflict');
    expect(await bob.read('doc.txt')).toBe(ALICE);
    expect(await bob.read(conflict.conflictPath!)).toBe(`${BOB}saved again\n`);
    // The server's version changes after the preview: refused too.
    const fresh = await tokensOf(conflict);
    await alice.write('doc.txt', `${ALICE}alice again\n`);
    await alice.sync();
    expect(await reasonOf(bob.engine.resolveConflict(conflict.conflictId, 'merged', { versions: fresh, choices: [] }, bob.resolutionRound))).toBe('conflict');
    expect(await bob.read('doc.txt')).toBe(`${ALICE}alice again\n`);
    expect(bob.engine.conflicts()).toHaveLength(1);
    // Tokens guard the other choices too.
    expect(await reasonOf(bob.engine.resolveConflict(conflict.conflictId, 'remote', { versions: fresh }, bob.resolutionRound))).toBe('conflict');
    expect(await bob.read(conflict.conflictPath!)).toBe(`${BOB}saved again\n`);
  });

  it('never removes a version the server does not hold yet', async () => {
    const conflict = await conflictOn('doc.txt', BASE, ALICE, BOB);
    await bob.write(conflict.conflictPath!, `${BOB}more work\n`);
    // The server goes away: the edited copy cannot be uploaded before the resolution.
    await harness.server.close();
    expect(await reasonOf(bob.engine.resolveConflict(conflict.conflictId, 'remote', {}, bob.resolutionRound))).toBe('conflict');
    expect(await bob.read(conflict.conflictPath!)).toBe(`${BOB}more work\n`);
    expect(bob.engine.conflicts()).toHaveLength(1);
  });

  it('refuses to merge binaries and previews images as pictures', async () => {
    const binary = (fill: number) => Uint8Array.from([0, 1, 2, fill, 0, 0]);
    const data = await conflictOn('data.bin', binary(1), binary(2), binary(3));
    const details = await bob.engine.conflictDetails(data.conflictId);
    expect(details.conflict.contentKind).toBe('binary');
    expect(details.preview).toEqual({ kind: 'binary', reason: 'not-text' });
    expect(details.local.contentHash).toMatch(/^[0-9a-f]{64}$/);
    const versions = { local: details.local.versionToken!, remote: details.remote.versionToken! };
    expect(await reasonOf(bob.engine.resolveConflict(data.conflictId, 'merged', { versions, choices: [] }, bob.resolutionRound))).toBe('invalid');

    const png = (shade: number) => Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, shade]);
    const picture = await conflictOn('photo.png', png(1), png(2), png(3));
    const preview = (await bob.engine.conflictDetails(picture.conflictId)).preview;
    if (preview.kind !== 'image') throw new Error(`expected an image preview, got ${preview.kind}`);
    expect(preview.local).toEqual({ mimeType: 'image/png', dataUrl: `data:image/png;base64,${Buffer.from(png(3)).toString('base64')}` });
    expect(preview.remote?.dataUrl).toBe(`data:image/png;base64,${Buffer.from(png(2)).toString('base64')}`);
  });

  it.each([
    ['local', { 'doc.txt': BOB }],
    ['remote', { 'doc.txt': ALICE }],
    ['both', null],
  ] as const)('keep %s still works, guarded by version tokens', async (keep, expected) => {
    const conflict = await conflictOn('doc.txt', BASE, ALICE, BOB);
    await bob.engine.resolveConflict(conflict.conflictId, keep, { versions: await tokensOf(conflict) }, bob.resolutionRound);
    expect(bob.withIndex((index) => index.conflicts.get(conflict.conflictId))?.resolution).toBe(keep);
    const tree = await bob.tree();
    expect(tree).toEqual(expected ?? { 'doc.txt': ALICE, [conflict.conflictPath!]: BOB });
    await alice.sync();
    expect(await alice.tree()).toEqual(tree);
  });

  it('resolves a batch: each conflict on its own, a failure does not stop the others', async () => {
    const clean = await conflictOn('clean.txt', BASE, ALICE, BOB);
    const overlapping = await conflictOn('overlap.txt', 'x\n', 'x by alice\n', 'x by bob\n');
    const outcomes = await bob.engine.resolveConflicts([overlapping.conflictId, clean.conflictId, 999], 'merged', bob.resolutionRound);
    expect(outcomes.map((outcome) => [outcome.conflictId, outcome.outcome])).toEqual([
      [overlapping.conflictId, 'failed'],
      [clean.conflictId, 'resolved'],
      [999, 'failed'],
    ]);
    const failures = outcomes.flatMap((outcome) => (outcome.outcome === 'failed' ? [(outcome.error as UserError).reason] : []));
    expect(failures).toEqual(['invalid', 'not-found']);
    expect(await bob.read('clean.txt')).toBe(MERGED);
    expect(bob.engine.conflicts().map((conflict) => conflict.conflictId)).toEqual([overlapping.conflictId]);
    const [remaining] = await bob.engine.resolveConflicts([overlapping.conflictId], 'remote', bob.resolutionRound);
    expect(remaining?.outcome).toBe('resolved');
    await alice.sync();
    expect(await alice.tree()).toEqual({ 'clean.txt': MERGED, 'overlap.txt': 'x by alice\n' });
  });
});

describe('automatic merges', () => {
  it('merges a clean text conflict right after the round, keeping both versions in history', async () => {
    bob.engine.setAutoMerge(bob.root, true);
    await alice.write('doc.txt', BASE);
    await alice.sync();
    await bob.sync();
    await alice.write('doc.txt', ALICE);
    await bob.write('doc.txt', BOB);
    await alice.write('clash.txt', 'alice\n');
    await bob.write('clash.txt', 'bob\n');
    await alice.sync();
    const round = await bob.sync();
    expect(round.conflicts.sort()).toEqual(['clash.txt', 'doc.txt']);
    expect(round.autoMerged).toEqual([{ path: 'doc.txt', conflictPath: expect.stringMatching(/^doc \(conflict bob /) }]);
    const copyPath = round.autoMerged[0]!.conflictPath!;
    expect(await bob.read('doc.txt')).toBe(MERGED);
    expect(await bob.exists(copyPath)).toBe(false);
    // clash.txt has no base (created on both sides): it stays for the user.
    expect(bob.engine.conflicts().map((conflict) => conflict.path)).toEqual(['clash.txt']);
    const merged = bob.withIndex((index) => index.conflicts.list(bob.libraryId, { includeResolved: true })).find((conflict) => conflict.path === 'doc.txt');
    expect(merged?.resolution).toBe('auto-merged');
    await alice.sync();
    expect(await alice.read('doc.txt')).toBe(MERGED);
    expect(await alice.exists(copyPath)).toBe(false);
    const live = (await historyOf(alice, 'doc.txt')).filter((version) => !version.deleted).map((version) => [version.size, version.device]);
    expect(live).toEqual([
      [MERGED.length, 'bob'],
      [ALICE.length, 'alice'],
      [BASE.length, 'alice'],
    ]);
    const copy = (await historyOf(alice, copyPath)).map((version) => [version.deleted, version.size]);
    expect(copy).toEqual([
      [true, BOB.length],
      [false, BOB.length],
    ]);
  });

  it('leaves conflicts alone while the library does not allow it, and overlapping ones always', async () => {
    const plain = await conflictOn('doc.txt', BASE, ALICE, BOB);
    expect(bob.engine.conflicts().map((conflict) => conflict.conflictId)).toEqual([plain.conflictId]);
    const overlapping = await conflictOn('overlap.txt', 'x\n', 'x by alice\n', 'x by bob\n');
    // Allowing it later merges what is clean at the next round.
    bob.engine.setAutoMerge(bob.root, true);
    const round = await bob.sync();
    expect(round.autoMerged.map((merged) => merged.path)).toEqual(['doc.txt']);
    expect(bob.engine.conflicts().map((conflict) => conflict.conflictId)).toEqual([overlapping.conflictId]);
    expect((await bob.sync()).autoMerged).toEqual([]);
  });
});

describe('resolving is synced', () => {
  it('two devices resolving the same conflict differently lose nothing', async () => {
    const conflict = await conflictOn('doc.txt', BASE, ALICE, BOB);
    const copyPath = conflict.conflictPath!;
    await alice.sync();
    expect(await alice.read(copyPath)).toBe(BOB);
    // Alice settles it by hand (her own final text, the copy deleted) but has not synced yet.
    const ALICE_FINAL = 'alice decided\n';
    await alice.write('doc.txt', ALICE_FINAL);
    await rm(path.join(alice.root, copyPath));
    // Bob merges meanwhile, and his resolution reaches the server first.
    await bob.engine.resolveConflict(conflict.conflictId, 'merged', { versions: await tokensOf(conflict), choices: [] }, bob.resolutionRound);
    // Alice's edit now conflicts on the server: it becomes a conflict copy of its own.
    const round = await alice.sync();
    expect(round.conflicts).toEqual(['doc.txt']);
    await bob.sync();
    await alice.sync();
    const aliceTree = await alice.tree();
    expect(await bob.tree()).toEqual(aliceTree);
    expect(aliceTree['doc.txt']).toBe(MERGED);
    expect(Object.values(aliceTree).sort()).toEqual([ALICE_FINAL, MERGED].sort());
    // Every version anyone wrote is on the server.
    const sizes = (await historyOf(alice, 'doc.txt')).filter((version) => !version.deleted).map((version) => version.size);
    expect(sizes).toEqual([MERGED.length, ALICE.length, BASE.length]);
    expect((await historyOf(alice, copyPath)).some((version) => !version.deleted && version.size === BOB.length)).toBe(true);
  });
});
