// History of a path, the trash, restoring versions, and snapshots of a library at a sequence.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../shared/protocol/index.js';
import type { ChangeInput } from '../../shared/protocol/index.js';
import { fileOf, makeChunk, putChunk, startTestServer } from './testServer.js';
import type { TestServer } from './testServer.js';

let server: TestServer;
let token: string;
const one = makeChunk('version one');
const two = makeChunk('version two', 300);
const fileOne = fileOf([one.ref]);
const fileTwo = fileOf([two.ref]);

beforeAll(async () => {
  server = await startTestServer();
  await server.addUser('alice');
  token = await server.login('alice');
});
afterAll(async () => server.stop());

async function newLibrary(name: string): Promise<string> {
  const libraryId = (await server.ok(routes.createLibrary, { token, body: { name } })).id;
  for (const chunk of [one, two]) await putChunk(server, token, libraryId, chunk);
  return libraryId;
}

async function commit(libraryId: string, changes: ChangeInput[]) {
  const result = await server.ok(routes.commit, { token, params: { libraryId }, body: { changes } });
  expect(result.results.every((change) => change.status === 'applied')).toBe(true);
  return result;
}

async function live(libraryId: string, seq?: number): Promise<string[]> {
  return (await server.ok(routes.snapshot, { token, params: { libraryId }, query: { seq } })).entries.map((entry) => entry.path);
}

describe('history', () => {
  it('lists every version of a path newest first', async () => {
    const libraryId = await newLibrary('History');
    await commit(libraryId, [{ op: 'put', path: 'f', baseRev: null, ...fileOne }]);
    await commit(libraryId, [{ op: 'put', path: 'f', baseRev: 1, ...fileTwo }]);
    await commit(libraryId, [{ op: 'delete', path: 'f', baseRev: 2 }]);
    const history = await server.ok(routes.history, { token, params: { libraryId }, query: { path: 'f' } });
    expect(history.versions.map((version) => [version.rev, version.deleted, version.contentHash])).toEqual([
      [3, true, fileTwo.contentHash],
      [2, false, fileTwo.contentHash],
      [1, false, fileOne.contentHash],
    ]);
    expect((await server.ok(routes.history, { token, params: { libraryId }, query: { path: 'never' } })).versions).toEqual([]);
  });
});

describe('trash and restore', () => {
  it('lists deleted paths with their last live version, but not moved ones', async () => {
    const libraryId = await newLibrary('Trash');
    await commit(libraryId, [
      { op: 'put', path: 'a', baseRev: null, ...fileOne },
      { op: 'put', path: 'b', baseRev: null, ...fileOne },
      { op: 'put', path: 'c', baseRev: null, ...fileOne },
    ]);
    await commit(libraryId, [{ op: 'put', path: 'a', baseRev: 1, ...fileTwo }]);
    await commit(libraryId, [
      { op: 'delete', path: 'a', baseRev: 4 },
      { op: 'delete', path: 'c', baseRev: 3 },
      { op: 'move', from: 'b', to: 'moved', baseRev: 2, toBaseRev: null },
    ]);
    const trash = await server.ok(routes.trash, { token, params: { libraryId } });
    expect(trash.items.map((item) => [item.path, item.deleted.rev, item.lastLive.rev, item.lastLive.contentHash])).toEqual([
      ['a', 5, 4, fileTwo.contentHash],
      ['c', 6, 3, fileOne.contentHash],
    ]);
    const paged = await server.ok(routes.trash, { token, params: { libraryId }, query: { limit: 1 } });
    expect([paged.items.map((item) => item.path), paged.hasMore]).toEqual([['a'], true]);
    const rest = await server.ok(routes.trash, { token, params: { libraryId }, query: { after: 'a', limit: 1 } });
    expect([rest.items.map((item) => item.path), rest.hasMore]).toEqual([['c'], false]);
  });

  it('restores an old version of a file as a new version, with its parents', async () => {
    const libraryId = await newLibrary('Restore file');
    await commit(libraryId, [{ op: 'put', path: 'docs/f', baseRev: null, ...fileOne }]);
    await commit(libraryId, [{ op: 'put', path: 'docs/f', baseRev: 2, ...fileTwo }]);
    await commit(libraryId, [{ op: 'delete', path: 'docs/f', baseRev: 3 }, { op: 'delete', path: 'docs', baseRev: 1 }]);
    const result = await server.ok(routes.restore, { token, params: { libraryId }, body: { path: 'docs/f', rev: 2, baseRev: 4 } });
    expect(result.results[0]).toMatchObject({ status: 'applied', entry: { path: 'docs/f', rev: 7, contentHash: fileOne.contentHash, deleted: false } });
    expect(await live(libraryId)).toEqual(['docs', 'docs/f']);
  });

  it('answers a conflict when the restore base is stale', async () => {
    const libraryId = await newLibrary('Restore conflict');
    await commit(libraryId, [{ op: 'put', path: 'f', baseRev: null, ...fileOne }]);
    await commit(libraryId, [{ op: 'put', path: 'f', baseRev: 1, ...fileTwo }]);
    const result = await server.ok(routes.restore, { token, params: { libraryId }, body: { path: 'f', rev: 1, baseRev: 1 } });
    expect(result.results[0]).toMatchObject({ status: 'conflict', reason: 'stale-base', current: { rev: 2 } });
  });

  it('restores a deleted folder with what it held before, keeping paths that exist again', async () => {
    const libraryId = await newLibrary('Restore folder');
    await commit(libraryId, [
      { op: 'put', path: 'd/x', baseRev: null, ...fileOne },
      { op: 'put', path: 'd/sub/y', baseRev: null, ...fileTwo },
    ]);
    // revs: d 1, d/x 2, d/sub 3, d/sub/y 4
    await commit(libraryId, [
      { op: 'delete', path: 'd/sub/y', baseRev: 4 },
      { op: 'delete', path: 'd/sub', baseRev: 3 },
      { op: 'delete', path: 'd/x', baseRev: 2 },
      { op: 'delete', path: 'd', baseRev: 1 },
    ]);
    // Someone puts a new d/x meanwhile (it recreates d too).
    await commit(libraryId, [{ op: 'put', path: 'd/x', baseRev: 7, ...fileTwo }]);
    await commit(libraryId, [{ op: 'delete', path: 'd/x', baseRev: 10 }]);
    await commit(libraryId, [{ op: 'put', path: 'd/x', baseRev: 11, ...fileTwo }]);
    const dHead = (await server.ok(routes.history, { token, params: { libraryId }, query: { path: 'd' } })).versions[0]!;
    expect(dHead.deleted).toBe(false);
    // Delete the folder again, then restore its first version.
    await commit(libraryId, [{ op: 'delete', path: 'd/x', baseRev: 12 }, { op: 'delete', path: 'd', baseRev: dHead.rev }]);
    const result = await server.ok(routes.restore, { token, params: { libraryId }, body: { path: 'd', rev: 1, baseRev: 14 } });
    expect(result.results.every((change) => change.status === 'applied')).toBe(true);
    // What d held just before the last deleting commit: only d/x with the newer content.
    const snapshot = await server.ok(routes.snapshot, { token, params: { libraryId } });
    expect(snapshot.entries.map((entry) => [entry.path, entry.contentHash])).toEqual([
      ['d', ''],
      ['d/x', fileTwo.contentHash],
    ]);
  });

  it.each([
    ['a version that does not exist', { path: 'f', rev: 99, baseRev: null }, 404],
    ['a deleted version', { path: 'f', rev: 2, baseRev: 2 }, 400],
    ['a non-canonical path', { path: './f', rev: 1, baseRev: null }, 400],
  ])('refuses to restore %s', async (_name, body, status) => {
    const libraryId = await newLibrary(`Restore refusal ${status} ${body.rev}`);
    await commit(libraryId, [{ op: 'put', path: 'f', baseRev: null, ...fileOne }]);
    await commit(libraryId, [{ op: 'delete', path: 'f', baseRev: 1 }]);
    expect((await server.call(routes.restore, { token, params: { libraryId }, body })).status).toBe(status);
  });
});

describe('snapshots', () => {
  it('shows the library as it was at any sequence number', async () => {
    const libraryId = await newLibrary('Snapshots');
    await commit(libraryId, [{ op: 'put', path: 'a/f', baseRev: null, ...fileOne }]); // a 1, a/f 2
    await commit(libraryId, [{ op: 'put', path: 'a/f', baseRev: 2, ...fileTwo }]); // 3
    await commit(libraryId, [{ op: 'move', from: 'a', to: 'b', baseRev: 1, toBaseRev: null }]); // b 4, b/f 5, a/f 6, a 7
    expect(await live(libraryId, 0)).toEqual([]);
    expect(await live(libraryId, 1)).toEqual(['a']);
    expect(await live(libraryId, 3)).toEqual(['a', 'a/f']);
    expect(await live(libraryId, 5)).toEqual(['a', 'a/f', 'b', 'b/f']);
    expect(await live(libraryId)).toEqual(['b', 'b/f']);
    const atTwo = await server.ok(routes.snapshot, { token, params: { libraryId }, query: { seq: 2 } });
    expect(atTwo.seq).toBe(2);
    expect(atTwo.entries.find((entry) => entry.path === 'a/f')?.contentHash).toBe(fileOne.contentHash);
  });

  it('pages by path', async () => {
    const libraryId = await newLibrary('Snapshot pages');
    const paths = ['a', 'a b', 'a/b', 'a-c', 'z', '中'];
    await commit(libraryId, paths.map((path): ChangeInput => ({ op: 'mkdir', path, baseRev: null })));
    const seen: string[] = [];
    let after: string | undefined;
    while (true) {
      const page = await server.ok(routes.snapshot, { token, params: { libraryId }, query: { after, limit: 2 } });
      seen.push(...page.entries.map((entry) => entry.path));
      if (!page.hasMore) break;
      after = page.entries.at(-1)!.path;
    }
    // Byte order of UTF-8: ' ' < '-' < '/' < 'z' < '中'.
    expect(seen).toEqual(['a', 'a b', 'a-c', 'a/b', 'z', '中']);
  });

  it('shows the library as it was at a moment', async () => {
    const libraryId = await newLibrary('Snapshot at a time');
    await commit(libraryId, [{ op: 'put', path: 'f', baseRev: null, ...fileOne }]); // 1
    const between = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await commit(libraryId, [{ op: 'put', path: 'f', baseRev: 1, ...fileTwo }, { op: 'mkdir', path: 'g', baseRev: null }]); // 2, 3
    const then = await server.ok(routes.snapshot, { token, params: { libraryId }, query: { at: between } });
    expect([then.seq, then.entries.map((entry) => [entry.path, entry.contentHash])]).toEqual([1, [['f', fileOne.contentHash]]]);
    const now = await server.ok(routes.snapshot, { token, params: { libraryId }, query: { at: Date.now() + 60_000 } });
    expect([now.seq, now.entries.map((entry) => entry.path)]).toEqual([3, ['f', 'g']]);
    expect((await server.ok(routes.snapshot, { token, params: { libraryId }, query: { at: 0 } })).entries).toEqual([]);
    expect((await server.call(routes.snapshot, { token, params: { libraryId }, query: { at: between, seq: 1 } })).status).toBe(400);
  });

  it('refuses a sequence number beyond the head', async () => {
    const libraryId = await newLibrary('Snapshot future');
    expect((await server.call(routes.snapshot, { token, params: { libraryId }, query: { seq: 1 } })).status).toBe(400);
  });
});
