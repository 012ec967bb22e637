// Puts that send chunkEdits (splices of the base version's chunk list) instead of the whole
// list: the server rebuilds the list from exactly version baseRev and checks it like a sent one.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChunkRef } from '../../shared/model.js';
import { commitChangeSchema, routes } from '../../shared/protocol/index.js';
import type { ChunkEdit, CommitChangeInput, Entry } from '../../shared/protocol/index.js';
import { applyChunkEdits } from '../../shared/protocol/index.js';
import { contentHashOf, fileOf, makeChunk, putChunk, startTestServer } from './testServer.js';
import type { TestServer } from './testServer.js';

let server: TestServer;
let token: string;

const chunks = ['a', 'b', 'c', 'd', 'e', 'f'].map((seed, index) => makeChunk(`edit-${seed}`, 100 + index));
const [a, b, c, d, e, f] = chunks.map((chunk) => chunk.ref) as [ChunkRef, ChunkRef, ChunkRef, ChunkRef, ChunkRef, ChunkRef];
const absent = makeChunk('edit-never-uploaded');

beforeAll(async () => {
  server = await startTestServer();
  await server.addUser('alice');
  token = await server.login('alice');
});
afterAll(async () => server.stop());

let libraryCount = 0;
async function newLibrary(): Promise<string> {
  const library = await server.ok(routes.createLibrary, { token, body: { name: `edits-${++libraryCount}` } });
  for (const chunk of chunks) expect((await putChunk(server, token, library.id, chunk)).status).toBe(200);
  return library.id;
}

/** A put sending `edits` against `baseRev`, claiming the file `result` (its size and hash). */
function editPut(path: string, baseRev: number | null, edits: ChunkEdit[], result: readonly ChunkRef[]): CommitChangeInput {
  const { chunks: _whole, ...file } = fileOf(result);
  return { op: 'put', path, baseRev, ...file, chunkEdits: edits };
}

async function commit(libraryId: string, changes: CommitChangeInput[]) {
  return server.call(routes.commit, { token, params: { libraryId }, body: { changes } });
}

async function committed(libraryId: string, changes: CommitChangeInput[]) {
  return server.ok(routes.commit, { token, params: { libraryId }, body: { changes } });
}

async function history(libraryId: string, path: string): Promise<Entry[]> {
  return (await server.ok(routes.history, { token, params: { libraryId }, query: { path } })).versions;
}

/** A library with file `f` = [a, b, c, d]; returns its id and the file's rev. */
async function withFile(): Promise<{ libraryId: string; rev: number }> {
  const libraryId = await newLibrary();
  const answer = await committed(libraryId, [{ op: 'put', path: 'f', baseRev: null, ...fileOf([a, b, c, d]) }]);
  const result = answer.results[0];
  if (result?.status !== 'applied') throw new Error('setup put did not apply');
  return { libraryId, rev: result.entry.rev };
}

describe('applyChunkEdits', () => {
  const naive = (base: readonly ChunkRef[], edits: readonly ChunkEdit[]) => {
    const list = [...base];
    for (const edit of edits) list.splice(edit.at, edit.remove, ...edit.insert);
    return list;
  };

  it('equals applying the splices one after another', () => {
    const base = [a, b, c, d, e];
    const cases: ChunkEdit[][] = [
      [],
      [{ at: 0, remove: 0, insert: [f] }],
      [{ at: 5, remove: 0, insert: [f, f] }],
      [{ at: 0, remove: 5, insert: [] }],
      [{ at: 1, remove: 2, insert: [f] }, { at: 2, remove: 1, insert: [a, a] }],
      [{ at: 0, remove: 1, insert: [] }, { at: 0, remove: 0, insert: [c] }, { at: 1, remove: 0, insert: [d] }, { at: 5, remove: 1, insert: [b] }],
    ];
    for (const edits of cases) expect(applyChunkEdits(base, edits, 'x')).toEqual(naive(base, edits));
  });

  it('refuses splices past the end, overlapping or out of order', () => {
    const base = [a, b, c];
    expect(() => applyChunkEdits(base, [{ at: 4, remove: 0, insert: [] }], 'x')).toThrow(/past the end/);
    expect(() => applyChunkEdits(base, [{ at: 2, remove: 2, insert: [] }], 'x')).toThrow(/past the end/);
    expect(() => applyChunkEdits(base, [{ at: 1, remove: 0, insert: [d] }, { at: 4, remove: 1, insert: [] }], 'x')).toThrow(/past the end/);
    expect(() => applyChunkEdits(base, [{ at: 2, remove: 0, insert: [] }, { at: 1, remove: 0, insert: [] }], 'x')).toThrow(/in list order/);
    expect(() => applyChunkEdits(base, [{ at: 1, remove: 0, insert: [d, e] }, { at: 2, remove: 1, insert: [] }], 'x')).toThrow(/in list order/);
  });
});

describe('the put schema', () => {
  const base = { op: 'put', path: 'f', baseRev: 3, ...fileOf([a]) };
  it('takes exactly one of chunks and chunkEdits, and chunkEdits only with a number baseRev', () => {
    const { chunks: whole, ...noList } = base;
    expect(commitChangeSchema.safeParse(base).success).toBe(true);
    expect(commitChangeSchema.safeParse({ ...noList, chunkEdits: [] }).success).toBe(true);
    expect(commitChangeSchema.safeParse({ ...noList, chunks: whole, chunkEdits: [] }).success).toBe(false);
    expect(commitChangeSchema.safeParse(noList).success).toBe(false);
    expect(commitChangeSchema.safeParse({ ...noList, baseRev: null, chunkEdits: [] }).success).toBe(false);
  });

  it('refuses malformed or oversized splices', () => {
    const { chunks: _whole, ...noList } = base;
    const edit = { at: 0, remove: 0, insert: [a] };
    expect(commitChangeSchema.safeParse({ ...noList, chunkEdits: [{ ...edit, at: -1 }] }).success).toBe(false);
    expect(commitChangeSchema.safeParse({ ...noList, chunkEdits: [{ ...edit, remove: 1.5 }] }).success).toBe(false);
    expect(commitChangeSchema.safeParse({ ...noList, chunkEdits: [{ ...edit, extra: 1 }] }).success).toBe(false);
    expect(commitChangeSchema.safeParse({ ...noList, chunkEdits: Array.from({ length: 1001 }, () => edit) }).success).toBe(false);
    const many = Array.from({ length: 60_000 }, () => a);
    expect(commitChangeSchema.safeParse({ ...noList, chunkEdits: [{ ...edit, insert: many }, { ...edit, at: 60_000, insert: many }] }).success).toBe(false);
  });
});

describe('commits with chunkEdits', () => {
  it('rebuild the list from the base version and store it whole', async () => {
    const { libraryId, rev } = await withFile();
    const result = [a, e, f, d];
    const answer = await committed(libraryId, [editPut('f', rev, [{ at: 1, remove: 2, insert: [e, f] }], result)]);
    const applied = answer.results[0];
    expect(applied?.status).toBe('applied');
    if (applied?.status !== 'applied') return;
    expect(applied.entry.chunks).toEqual(result);
    expect(applied.entry.contentHash).toBe(contentHashOf(result));
    expect(applied.entry.size).toBe(result.reduce((sum, chunk) => sum + chunk.size, 0));
    const versions = await history(libraryId, 'f');
    expect(versions.find((version) => version.rev === applied.entry.rev)?.chunks).toEqual(result);
    // An empty list of splices keeps the content (a metadata-only change).
    const again = await committed(libraryId, [{ ...editPut('f', applied.entry.rev, [], result), executable: true } as CommitChangeInput]);
    expect(again.results[0]?.status).toBe('applied');
    if (again.results[0]?.status === 'applied') expect(again.results[0].entry).toMatchObject({ chunks: result, executable: true });
  });

  it('apply several splices in order, next to whole-list puts', async () => {
    const { libraryId, rev } = await withFile();
    const result = [f, a, b, e, d, c];
    const answer = await committed(libraryId, [
      { op: 'put', path: 'g', baseRev: null, ...fileOf([b]) },
      editPut('f', rev, [{ at: 0, remove: 0, insert: [f] }, { at: 3, remove: 1, insert: [e] }, { at: 5, remove: 0, insert: [c] }], result),
    ]);
    expect(answer.results.map((item) => item.status)).toEqual(['applied', 'applied']);
    const put = answer.results[1];
    if (put?.status === 'applied') expect(put.entry.chunks).toEqual(result);
  });

  it('against a rev that is no longer the latest are a stale-base conflict', async () => {
    const { libraryId, rev } = await withFile();
    const newer = await committed(libraryId, [{ op: 'put', path: 'f', baseRev: rev, ...fileOf([e]) }]);
    const answer = await committed(libraryId, [editPut('f', rev, [{ at: 0, remove: 1, insert: [f] }], [f, b, c, d])]);
    const result = answer.results[0];
    expect(result?.status).toBe('conflict');
    if (result?.status !== 'conflict') return;
    expect(result.reason).toBe('stale-base');
    const current = newer.results[0];
    if (current?.status === 'applied') expect(result.current?.rev).toBe(current.entry.rev);
    expect((await history(libraryId, 'f')).length).toBe(2);
  });

  const refusals: { name: string; changes: (rev: number) => CommitChangeInput[]; code: string; message: RegExp }[] = [
    {
      name: 'a splice past the end of the base list',
      changes: (rev) => [editPut('f', rev, [{ at: 3, remove: 2, insert: [] }], [a, b, c])],
      code: 'bad-request',
      message: /past the end/,
    },
    {
      name: 'splices out of order',
      changes: (rev) => [editPut('f', rev, [{ at: 2, remove: 0, insert: [e] }, { at: 0, remove: 1, insert: [] }], [b, e, c, d])],
      code: 'bad-request',
      message: /in list order/,
    },
    {
      name: 'a base rev that is not a version of the path',
      changes: (rev) => [editPut('f', rev + 100, [], [a, b, c, d])],
      code: 'bad-request',
      message: /send the whole chunk list/,
    },
    {
      name: 'a base rev of another path',
      changes: (rev) => [editPut('other', rev, [], [a, b, c, d])],
      code: 'bad-request',
      message: /send the whole chunk list/,
    },
    {
      name: 'a content hash that does not match the rebuilt list',
      changes: (rev) => [{ ...editPut('f', rev, [{ at: 0, remove: 1, insert: [e] }], [e, b, c, d]), contentHash: contentHashOf([a, b, c, d]) } as CommitChangeInput],
      code: 'bad-request',
      message: /contentHash/,
    },
    {
      name: 'a size that is not the sum of the rebuilt list',
      changes: (rev) => [{ ...editPut('f', rev, [{ at: 0, remove: 1, insert: [e] }], [e, b, c, d]), size: 1 } as CommitChangeInput],
      code: 'bad-request',
      message: /sum of its chunk sizes/,
    },
    {
      name: 'an inserted chunk the library lacks',
      changes: (rev) => [editPut('f', rev, [{ at: 4, remove: 0, insert: [absent.ref] }], [a, b, c, d, absent.ref])],
      code: 'missing-chunks',
      message: /upload them/,
    },
    {
      name: 'an inserted chunk with the wrong size',
      changes: (rev) => [editPut('f', rev, [{ at: 4, remove: 0, insert: [{ id: e.id, size: e.size + 1 }] }], [a, b, c, d, { id: e.id, size: e.size + 1 }])],
      code: 'bad-request',
      message: /nothing was committed/,
    },
    {
      name: 'both chunks and chunkEdits',
      changes: (rev) => [{ ...editPut('f', rev, [], [a, b, c, d]), chunks: [a, b, c, d] } as CommitChangeInput],
      code: 'bad-request',
      message: /exactly one of chunks and chunkEdits/,
    },
    {
      name: 'chunkEdits with a null baseRev',
      changes: () => [editPut('new', null, [], [])],
      code: 'bad-request',
      message: /number baseRev/,
    },
  ];

  it.each(refusals)('refuse the whole commit with $name', async ({ changes, code, message }) => {
    const { libraryId, rev } = await withFile();
    const before = await server.ok(routes.getLibrary, { token, params: { libraryId } });
    const answer = await commit(libraryId, [{ op: 'mkdir', path: 'ok', baseRev: null }, ...changes(rev)]);
    expect(answer.ok).toBe(false);
    if (answer.ok) return;
    expect(answer.body.error.code).toBe(code);
    expect(answer.body.error.message).toMatch(message);
    if (code === 'missing-chunks') expect(answer.body.error.details).toEqual({ missing: [absent.id] });
    expect((await server.ok(routes.getLibrary, { token, params: { libraryId } })).headSeq).toBe(before.headSeq);
  });

  it('refuse a base version that is a deletion', async () => {
    const { libraryId, rev } = await withFile();
    const deleted = await committed(libraryId, [{ op: 'delete', path: 'f', baseRev: rev }]);
    const tombstone = deleted.results[0];
    if (tombstone?.status !== 'applied') throw new Error('delete did not apply');
    const answer = await commit(libraryId, [editPut('f', tombstone.entry.rev, [], [a, b, c, d])]);
    expect(answer.ok).toBe(false);
    if (!answer.ok) expect(answer.body.error.message).toMatch(/to be a file/);
  });
});
