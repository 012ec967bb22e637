// Commit rules over real HTTP: a table of named cases, each in a fresh library, plus the
// refusals that stop a whole commit.

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { commitRequestSchema, routes } from '../../shared/protocol/index.js';
import type { ChangeInput, ConflictReason, Entry } from '../../shared/protocol/index.js';
import { fileOf, makeChunk, putChunk, startTestServer } from './testServer.js';
import type { TestServer } from './testServer.js';

let server: TestServer;
let token: string;

const chunkA = makeChunk('a');
const chunkB = makeChunk('b', 2000);
const fileA = fileOf([chunkA.ref]);
const fileAB = fileOf([chunkA.ref, chunkB.ref]);

beforeAll(async () => {
  server = await startTestServer();
  await server.addUser('alice');
  token = await server.login('alice');
});
afterAll(async () => server.stop());

let libraryCount = 0;
async function newLibrary(): Promise<string> {
  const library = await server.ok(routes.createLibrary, { token, body: { name: `commit-${++libraryCount}` } });
  for (const chunk of [chunkA, chunkB]) expect((await putChunk(server, token, library.id, chunk)).status).toBe(200);
  return library.id;
}

async function heads(libraryId: string): Promise<Map<string, Entry>> {
  const feed = await server.ok(routes.changes, { token, params: { libraryId }, query: { after: 0 } });
  return new Map(feed.entries.map((entry) => [entry.path, entry]));
}

async function livePaths(libraryId: string): Promise<string[]> {
  return (await server.ok(routes.snapshot, { token, params: { libraryId } })).entries.map((entry) => entry.path);
}

/** Looks up the latest rev of a path after the setup; fails the case if there is none. */
type Revs = (path: string) => number;

interface CommitCase {
  readonly name: string;
  /** Commits run before the one under test; every change in them must apply. */
  readonly setup: readonly ((rev: Revs) => ChangeInput[])[];
  readonly changes: (rev: Revs) => ChangeInput[];
  readonly expected: readonly ('applied' | ConflictReason)[];
  /** The live paths afterwards, in snapshot order. */
  readonly live: readonly string[];
}

const put = (path: string, baseRev: number | null, file = fileA): ChangeInput => ({ op: 'put', path, baseRev, ...file });
const mkdir = (path: string, baseRev: number | null = null): ChangeInput => ({ op: 'mkdir', path, baseRev });
const remove = (path: string, baseRev: number): ChangeInput => ({ op: 'delete', path, baseRev });
const move = (from: string, to: string, baseRev: number, toBaseRev: number | null = null): ChangeInput => ({ op: 'move', from, to, baseRev, toBaseRev });

const cases: CommitCase[] = [
  { name: 'put of a new file with baseRev null applies', setup: [], changes: () => [put('f', null)], expected: ['applied'], live: ['f'] },
  {
    name: 'put with the current rev as base applies',
    setup: [() => [put('f', null)]],
    changes: (rev) => [put('f', rev('f'), fileAB)],
    expected: ['applied'],
    live: ['f'],
  },
  {
    name: 'put with baseRev null over a live file is stale-base',
    setup: [() => [put('f', null)]],
    changes: () => [put('f', null, fileAB)],
    expected: ['stale-base'],
    live: ['f'],
  },
  {
    name: 'put with an older rev as base is stale-base',
    setup: [() => [put('f', null)], (rev) => [put('f', rev('f'), fileAB)]],
    changes: (rev) => [put('f', rev('f') - 1)],
    expected: ['stale-base'],
    live: ['f'],
  },
  {
    name: 'put with baseRev null over a deleted file applies',
    setup: [() => [put('f', null)], (rev) => [remove('f', rev('f'))]],
    changes: () => [put('f', null)],
    expected: ['applied'],
    live: ['f'],
  },
  {
    name: 'put with the deleted version as base applies',
    setup: [() => [put('f', null)], (rev) => [remove('f', rev('f'))]],
    changes: (rev) => [put('f', rev('f'))],
    expected: ['applied'],
    live: ['f'],
  },
  {
    name: 'put over a live folder is a type clash',
    setup: [() => [mkdir('d')]],
    changes: (rev) => [put('d', rev('d'))],
    expected: ['type-clash'],
    live: ['d'],
  },
  {
    name: 'mkdir over a live file is a type clash',
    setup: [() => [put('f', null)]],
    changes: (rev) => [mkdir('f', rev('f'))],
    expected: ['type-clash'],
    live: ['f'],
  },
  {
    name: 'mkdir with baseRev null over a live folder is stale-base',
    setup: [() => [mkdir('d')]],
    changes: () => [mkdir('d')],
    expected: ['stale-base'],
    live: ['d'],
  },
  {
    name: 'put creates missing parent folders',
    setup: [],
    changes: () => [put('a/b/f', null)],
    expected: ['applied'],
    live: ['a', 'a/b', 'a/b/f'],
  },
  {
    name: 'put below a live file is parent-is-file',
    setup: [() => [put('f', null)]],
    changes: () => [put('f/g', null)],
    expected: ['parent-is-file'],
    live: ['f'],
  },
  {
    name: 'delete with the current rev applies',
    setup: [() => [put('f', null)]],
    changes: (rev) => [remove('f', rev('f'))],
    expected: ['applied'],
    live: [],
  },
  {
    name: 'delete with an older rev is stale-base',
    setup: [() => [put('f', null)], (rev) => [put('f', rev('f'), fileAB)]],
    changes: (rev) => [remove('f', rev('f') - 1)],
    expected: ['stale-base'],
    live: ['f'],
  },
  {
    name: 'delete of a path never seen is stale-base',
    setup: [],
    changes: () => [remove('ghost', 1)],
    expected: ['stale-base'],
    live: [],
  },
  {
    name: 'delete of an already deleted path is not-found',
    setup: [() => [put('f', null)], (rev) => [remove('f', rev('f'))]],
    changes: (rev) => [remove('f', rev('f'))],
    expected: ['not-found'],
    live: [],
  },
  {
    name: 'delete of a folder with a live child is not-empty',
    setup: [() => [put('d/f', null)]],
    changes: (rev) => [remove('d', rev('d'))],
    expected: ['not-empty'],
    live: ['d', 'd/f'],
  },
  {
    name: 'delete of a folder whose children were deleted earlier in the commit applies',
    setup: [() => [put('d/e/f', null), put('d/g', null)]],
    changes: (rev) => [remove('d/e/f', rev('d/e/f')), remove('d/e', rev('d/e')), remove('d/g', rev('d/g')), remove('d', rev('d'))],
    expected: ['applied', 'applied', 'applied', 'applied'],
    live: [],
  },
  {
    name: 'delete of a folder keeps a child another client added meanwhile',
    setup: [() => [put('d/mine', null)], () => [put('d/theirs', null)]],
    changes: (rev) => [remove('d/mine', rev('d/mine')), remove('d', rev('d'))],
    expected: ['applied', 'not-empty'],
    live: ['d', 'd/theirs'],
  },
  {
    name: 'move of a file applies',
    setup: [() => [put('f', null)]],
    changes: (rev) => [move('f', 'g', rev('f'))],
    expected: ['applied'],
    live: ['g'],
  },
  {
    name: 'move of a folder moves its subtree and creates missing parents',
    setup: [() => [put('d/e/f', null), put('d/g', null)]],
    changes: (rev) => [move('d', 'x/y', rev('d'))],
    expected: ['applied'],
    live: ['x', 'x/y', 'x/y/e', 'x/y/e/f', 'x/y/g'],
  },
  {
    name: 'move onto a live file with its rev as toBaseRev replaces it',
    setup: [() => [put('f', null), put('g', null, fileAB)]],
    changes: (rev) => [move('f', 'g', rev('f'), rev('g'))],
    expected: ['applied'],
    live: ['g'],
  },
  {
    name: 'move onto a live file with toBaseRev null is stale-target',
    setup: [() => [put('f', null), put('g', null)]],
    changes: (rev) => [move('f', 'g', rev('f'))],
    expected: ['stale-target'],
    live: ['f', 'g'],
  },
  {
    name: 'move of a file onto a live folder is a type clash',
    setup: [() => [put('f', null), mkdir('d')]],
    changes: (rev) => [move('f', 'd', rev('f'), rev('d'))],
    expected: ['type-clash'],
    live: ['d', 'f'],
  },
  {
    name: 'move of a folder into itself is invalid',
    setup: [() => [mkdir('d')]],
    changes: (rev) => [move('d', 'd/e', rev('d'))],
    expected: ['invalid-move'],
    live: ['d'],
  },
  {
    name: 'move with a stale base is stale-base',
    setup: [() => [put('f', null)], (rev) => [put('f', rev('f'), fileAB)]],
    changes: (rev) => [move('f', 'g', rev('f') - 1)],
    expected: ['stale-base'],
    live: ['f'],
  },
  {
    name: 'move of a deleted path is not-found',
    setup: [() => [put('f', null)], (rev) => [remove('f', rev('f'))]],
    changes: (rev) => [move('f', 'g', rev('f'))],
    expected: ['not-found'],
    live: [],
  },
  {
    name: 'move below a live file is parent-is-file',
    setup: [() => [put('f', null), put('g', null)]],
    changes: (rev) => [move('f', 'g/f', rev('f'))],
    expected: ['parent-is-file'],
    live: ['f', 'g'],
  },
  {
    name: 'a conflict does not stop the other changes of the commit',
    setup: [() => [put('f', null)]],
    changes: () => [put('new', null), put('f', null, fileAB), mkdir('dir')],
    expected: ['applied', 'stale-base', 'applied'],
    live: ['dir', 'f', 'new'],
  },
  {
    name: 'changes apply in order within a commit',
    setup: [],
    changes: () => [mkdir('d'), put('d/f', null), put('d/f', null, fileAB), remove('d', 1)],
    expected: ['applied', 'applied', 'stale-base', 'not-empty'],
    live: ['d', 'd/f'],
  },
];

describe('commit conflict rules', () => {
  it.each(cases)('$name', async (testCase) => {
    const libraryId = await newLibrary();
    let known = new Map<string, Entry>();
    const rev: Revs = (path) => {
      const entry = known.get(path);
      if (entry === undefined) throw new Error(`the setup never created ${path}`);
      return entry.rev;
    };
    for (const step of testCase.setup) {
      const result = await server.ok(routes.commit, { token, params: { libraryId }, body: { changes: step(rev) } });
      expect(result.results.map((change) => change.status)).toEqual(result.results.map(() => 'applied'));
      known = await heads(libraryId);
    }
    const before = await server.ok(routes.getLibrary, { token, params: { libraryId } });
    const result = await server.ok(routes.commit, { token, params: { libraryId }, body: { changes: testCase.changes(rev) } });
    expect(result.results.map((change) => (change.status === 'applied' ? 'applied' : change.reason))).toEqual(testCase.expected);
    expect(result.results.map((change) => change.index)).toEqual(testCase.expected.map((_, index) => index));
    expect(await livePaths(libraryId)).toEqual(testCase.live);

    // Every new version took the next value of the sequence, and the feed holds all of them.
    const feed = await server.ok(routes.changes, { token, params: { libraryId }, query: { after: before.headSeq } });
    expect(feed.headSeq).toBe(result.headSeq);
    const created = (await server.ok(routes.changes, { token, params: { libraryId }, query: { after: 0 } })).entries.filter(
      (entry) => entry.rev > before.headSeq,
    );
    expect(created.length).toBe(feed.entries.length);
    for (const change of result.results) {
      if (change.status === 'conflict') continue;
      expect(change.entry.rev).toBeGreaterThan(before.headSeq);
      expect(change.entry.rev).toBeLessThanOrEqual(result.headSeq);
    }
  });

  it('reports the current entry with a conflict', async () => {
    const libraryId = await newLibrary();
    const first = await server.ok(routes.commit, { token, params: { libraryId }, body: { changes: [put('f', null)] } });
    const conflict = await server.ok(routes.commit, { token, params: { libraryId }, body: { changes: [put('f', null, fileAB)] } });
    const result = conflict.results[0]!;
    expect(result.status).toBe('conflict');
    if (result.status !== 'conflict') return;
    expect(result.current).toEqual(first.results[0]!.status === 'applied' ? first.results[0]!.entry : null);
    expect(conflict.headSeq).toBe(first.headSeq);
  });

  it('says a commit answer lists every version it wrote (listedAfter) only when it does', async () => {
    const libraryId = await newLibrary();
    const whole = await server.ok(routes.commit, { token, params: { libraryId }, body: { changes: [mkdir('d'), put('d/f', null), put('g', null)] } });
    expect(whole.listedAfter).toBe(0);
    expect(whole.headSeq).toBe(3);
    // A conflict writes nothing: the applied ones are still the whole range.
    const some = await server.ok(routes.commit, { token, params: { libraryId }, body: { changes: [put('g', null), put('h', null)] } });
    expect(some.results.map((result) => result.status)).toEqual(['conflict', 'applied']);
    expect(some.listedAfter).toBe(3);
    expect(some.headSeq).toBe(4);
    // The listed range is exactly what the feed holds after it.
    const feed = await server.ok(routes.changes, { token, params: { libraryId }, query: { after: 3 } });
    expect(feed.entries).toEqual([some.results[1]!.status === 'applied' ? some.results[1]!.entry : null]);
    // A parent folder created on the way (rev 5) is a version the answer does not list: only
    // what follows it is, so a client whose cursor is the head before (4) reads the feed.
    const implied = await server.ok(routes.commit, { token, params: { libraryId }, body: { changes: [put('p/q', null)] } });
    expect(implied.headSeq).toBe(6);
    expect(implied.listedAfter).toBe(5);
    // A move leaves a deleted version behind at its old path, not listed either.
    const moved = await server.ok(routes.commit, { token, params: { libraryId }, body: { changes: [move('h', 'k', 4)] } });
    expect(moved.listedAfter).toBeUndefined();
    // Nothing applied: nothing to skip.
    const none = await server.ok(routes.commit, { token, params: { libraryId }, body: { changes: [put('g', null)] } });
    expect(none.listedAfter).toBeUndefined();
  });

  it('records moves on both paths and moves a subtree parents first, deletions children first', async () => {
    const libraryId = await newLibrary();
    await server.ok(routes.commit, { token, params: { libraryId }, body: { changes: [put('d/e/f', null)] } });
    const base = (await heads(libraryId)).get('d')!.rev;
    const before = (await server.ok(routes.getLibrary, { token, params: { libraryId } })).headSeq;
    const result = await server.ok(routes.commit, { token, params: { libraryId }, body: { device: 'renamer', changes: [move('d', 'n', base)] } });
    const feed = await server.ok(routes.changes, { token, params: { libraryId }, query: { after: before } });
    expect(feed.entries.map((entry) => [entry.path, entry.deleted, entry.movedFrom ?? entry.movedTo])).toEqual([
      ['n', false, 'd'],
      ['n/e', false, 'd/e'],
      ['n/e/f', false, 'd/e/f'],
      ['d/e/f', true, 'n/e/f'],
      ['d/e', true, 'n/e'],
      ['d', true, 'n'],
    ]);
    expect(feed.entries.every((entry) => entry.device === 'renamer' && entry.userName === 'alice')).toBe(true);
    const moved = feed.entries.find((entry) => entry.path === 'n/e/f')!;
    expect(moved.contentHash).toBe(fileA.contentHash);
    expect(moved.chunks).toEqual(fileA.chunks);
    expect(result.results[0]).toMatchObject({ status: 'applied', entry: { path: 'n', movedFrom: 'd' } });
  });

  it('stores files with their metadata exactly', async () => {
    const libraryId = await newLibrary();
    const change = { op: 'put', path: '文件 1.txt', baseRev: null, ...fileAB, mtimeMs: 1_700_000_000_123.5, executable: true } as const;
    const result = await server.ok(routes.commit, { token, params: { libraryId }, body: { changes: [change] } });
    expect(result.results[0]).toMatchObject({
      status: 'applied',
      entry: { path: '文件 1.txt', kind: 'file', deleted: false, size: 2100, mtimeMs: 1_700_000_000_123.5, executable: true, chunks: fileAB.chunks, contentHash: fileAB.contentHash },
    });
  });
});

describe('commit refusals change nothing', () => {
  let libraryId: string;
  beforeAll(async () => {
    libraryId = await newLibrary();
  });

  const unknown = makeChunk('never uploaded');
  const refusals: { name: string; changes: () => ChangeInput[]; code: string; message: RegExp }[] = [
    {
      name: 'a chunk the library lacks',
      changes: () => [put('ok', null), put('bad', null, fileOf([chunkA.ref, unknown.ref]))],
      code: 'missing-chunks',
      message: /upload them/,
    },
    {
      name: 'a size that is not the sum of the chunk sizes',
      changes: () => [put('ok', null), put('bad', null, { ...fileA, size: 99 })],
      code: 'bad-request',
      message: /sum of its chunk sizes/,
    },
    {
      name: 'a content hash that does not match the chunk list',
      changes: () => [put('ok', null), put('bad', null, { ...fileAB, contentHash: fileA.contentHash })],
      code: 'bad-request',
      message: /contentHash/,
    },
    {
      name: 'a chunk size that differs from the stored chunk',
      changes: () => [put('ok', null), put('bad', null, fileOf([{ id: chunkA.id, size: 101 }]))],
      code: 'bad-request',
      message: /is 100 bytes/,
    },
    { name: 'an empty commit', changes: () => [], code: 'bad-request', message: /changes/ },
  ];

  it.each(refusals)('refuses a commit with $name', async ({ changes, code, message }) => {
    const before = await server.ok(routes.getLibrary, { token, params: { libraryId } });
    const answer = await server.call(routes.commit, { token, params: { libraryId }, body: { changes: changes() } });
    expect(answer.ok).toBe(false);
    if (answer.ok) return;
    expect(answer.body.error.code).toBe(code);
    expect(answer.body.error.message).toMatch(message);
    if (code === 'missing-chunks') expect(answer.body.error.details).toEqual({ missing: [unknown.id] });
    expect((await server.ok(routes.getLibrary, { token, params: { libraryId } })).headSeq).toBe(before.headSeq);
  });

  it('refuses more changes than the limit', async () => {
    const changes = Array.from({ length: 10_001 }, (_, index) => mkdir(`d${index}`));
    const answer = await server.call(routes.commit, { token, params: { libraryId }, body: { changes } });
    expect(answer.status).toBe(400);
  });
});

describe('commit request validation', () => {
  it('validates a commit of plain changes by the fast path, and one it cannot decide by the schema', async () => {
    const libraryId = await newLibrary();
    const parse = vi.spyOn(commitRequestSchema, 'safeParse');
    try {
      const plain = await server.ok(routes.commit, { token, params: { libraryId }, body: { device: ' pc ', changes: [mkdir('d'), put('d/f', null)] } });
      expect(plain.results.map((result) => result.status)).toEqual(['applied', 'applied']);
      if (plain.results[1]?.status === 'applied') expect(plain.results[1].entry.device).toBe('pc');
      expect(parse).not.toHaveBeenCalled();
      const refused = await server.call(routes.commit, { token, params: { libraryId }, body: { changes: [{ ...mkdir('e'), extra: 1 } as unknown as ChangeInput] } });
      expect(refused.status).toBe(400);
      expect(parse).toHaveBeenCalledTimes(1);
    } finally {
      parse.mockRestore();
    }
  });
});
