// Libraries, members and authorization between four users: the owner, a read-write member, a
// read-only member and a stranger.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CHUNKING } from '../../shared/model.js';
import { FRAMES_CONTENT_TYPE, buildPath, encodeFrames, routes } from '../../shared/protocol/index.js';
import { fileOf, makeChunk, putChunk, startTestServer } from './testServer.js';
import type { TestServer } from './testServer.js';

let server: TestServer;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  server = await startTestServer();
  for (const name of ['alice', 'bob', 'carol', 'dave', 'erin']) {
    await server.addUser(name);
    tokens[name] = await server.login(name);
  }
});
afterAll(async () => server.stop());

describe('library lifecycle', () => {
  it('creates a library with default chunking and lists it for its owner only', async () => {
    const created = await server.call(routes.createLibrary, { token: tokens.alice, body: { name: 'Photos' } });
    expect(created.status).toBe(201);
    expect(created.ok && created.body).toMatchObject({ name: 'Photos', owner: 'alice', role: 'owner', chunking: DEFAULT_CHUNKING, headSeq: 0, deletedAt: null });
    const id = created.ok ? created.body.id : '';
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect((await server.ok(routes.listLibraries, { token: tokens.alice })).libraries.map((library) => library.id)).toContain(id);
    expect((await server.ok(routes.listLibraries, { token: tokens.dave })).libraries.map((library) => library.id)).not.toContain(id);
  });

  it('fixes the chunking parameters given at creation', async () => {
    const chunking = { algorithm: 'rabin', minSize: 2048, avgSize: 8192, maxSize: 65536 } as const;
    const library = await server.ok(routes.createLibrary, { token: tokens.alice, body: { name: 'Rabin', chunking } });
    expect((await server.ok(routes.getLibrary, { token: tokens.alice, params: { libraryId: library.id } })).chunking).toEqual(chunking);
  });

  it('refuses a second live library with the same name for one owner, not for another', async () => {
    await server.ok(routes.createLibrary, { token: tokens.alice, body: { name: 'Twice' } });
    const again = await server.call(routes.createLibrary, { token: tokens.alice, body: { name: 'Twice' } });
    expect(again.status).toBe(409);
    expect((await server.call(routes.createLibrary, { token: tokens.bob, body: { name: 'Twice' } })).status).toBe(201);
  });

  it('renames, refusing a name in use', async () => {
    const library = await server.ok(routes.createLibrary, { token: tokens.alice, body: { name: 'Old name' } });
    await server.ok(routes.createLibrary, { token: tokens.alice, body: { name: 'Taken' } });
    const renamed = await server.ok(routes.renameLibrary, { token: tokens.alice, params: { libraryId: library.id }, body: { name: '新名字' } });
    expect(renamed.name).toBe('新名字');
    const clash = await server.call(routes.renameLibrary, { token: tokens.alice, params: { libraryId: library.id }, body: { name: 'Taken' } });
    expect(clash.status).toBe(409);
  });

  it('moves a deleted library to the trash and restores it, keeping its content', async () => {
    const library = await server.ok(routes.createLibrary, { token: tokens.alice, body: { name: 'Trashable' } });
    const libraryId = library.id;
    await server.ok(routes.commit, { token: tokens.alice, params: { libraryId }, body: { changes: [{ op: 'mkdir', path: 'kept', baseRev: null }] } });
    const deleted = await server.ok(routes.deleteLibrary, { token: tokens.alice, params: { libraryId } });
    expect(deleted.deletedAt).not.toBeNull();
    expect((await server.ok(routes.listLibraries, { token: tokens.alice })).libraries.map((item) => item.id)).not.toContain(libraryId);
    expect((await server.ok(routes.listTrashedLibraries, { token: tokens.alice })).libraries.map((item) => item.id)).toContain(libraryId);
    for (const answer of [
      await server.call(routes.getLibrary, { token: tokens.alice, params: { libraryId } }),
      await server.call(routes.changes, { token: tokens.alice, params: { libraryId }, query: { after: 0 } }),
      await server.call(routes.commit, { token: tokens.alice, params: { libraryId }, body: { changes: [{ op: 'mkdir', path: 'x', baseRev: null }] } }),
    ]) {
      expect(answer.status).toBe(404);
    }
    // A new library may take the name meanwhile; restoring then needs a rename first.
    const usurper = await server.ok(routes.createLibrary, { token: tokens.alice, body: { name: 'Trashable' } });
    expect((await server.call(routes.restoreLibrary, { token: tokens.alice, params: { libraryId } })).status).toBe(409);
    await server.ok(routes.renameLibrary, { token: tokens.alice, params: { libraryId: usurper.id }, body: { name: 'Other' } });
    const restored = await server.ok(routes.restoreLibrary, { token: tokens.alice, params: { libraryId } });
    expect(restored).toMatchObject({ deletedAt: null, headSeq: 1 });
    expect((await server.ok(routes.snapshot, { token: tokens.alice, params: { libraryId } })).entries.map((entry) => entry.path)).toEqual(['kept']);
    expect((await server.call(routes.restoreLibrary, { token: tokens.alice, params: { libraryId } })).status).toBe(404);
  });
});

describe('members', () => {
  let libraryId: string;
  beforeAll(async () => {
    libraryId = (await server.ok(routes.createLibrary, { token: tokens.alice, body: { name: 'Members' } })).id;
  });

  it('shares read-write and read-only, listing the owner first', async () => {
    await server.ok(routes.setMember, { token: tokens.alice, params: { libraryId, userName: 'bob' }, body: { role: 'rw' } });
    const members = await server.ok(routes.setMember, { token: tokens.alice, params: { libraryId, userName: 'carol' }, body: { role: 'ro' } });
    expect(members.members.map((member) => [member.user, member.role])).toEqual([
      ['alice', 'owner'],
      ['bob', 'rw'],
      ['carol', 'ro'],
    ]);
    const seenByBob = (await server.ok(routes.listLibraries, { token: tokens.bob })).libraries.find((library) => library.id === libraryId);
    expect(seenByBob).toMatchObject({ role: 'rw', owner: 'alice' });
    expect((await server.ok(routes.listMembers, { token: tokens.carol, params: { libraryId } })).members).toHaveLength(3);
  });

  it('changes a role in place', async () => {
    await server.ok(routes.setMember, { token: tokens.alice, params: { libraryId, userName: 'erin' }, body: { role: 'ro' } });
    const members = await server.ok(routes.setMember, { token: tokens.alice, params: { libraryId, userName: 'erin' }, body: { role: 'rw' } });
    expect(members.members.find((member) => member.user === 'erin')?.role).toBe('rw');
  });

  it.each([
    ['an unknown user', 'zed', 404],
    ['an invalid user name', 'Not Valid', 400],
    ['the owner', 'alice', 400],
  ])('refuses to share with %s', async (_name, userName, status) => {
    const answer = await server.call(routes.setMember, { token: tokens.alice, params: { libraryId, userName }, body: { role: 'rw' } });
    expect(answer.status).toBe(status);
  });

  it('lets a member leave, and only the owner remove others', async () => {
    expect((await server.call(routes.removeMember, { token: tokens.carol, params: { libraryId, userName: 'erin' } })).status).toBe(403);
    await server.ok(routes.removeMember, { token: tokens.erin, params: { libraryId, userName: 'erin' } });
    expect((await server.call(routes.getLibrary, { token: tokens.erin, params: { libraryId } })).status).toBe(404);
    expect((await server.call(routes.removeMember, { token: tokens.alice, params: { libraryId, userName: 'erin' } })).status).toBe(404);
    expect((await server.call(routes.removeMember, { token: tokens.alice, params: { libraryId, userName: 'alice' } })).status).toBe(400);
  });
});

describe('authorization', () => {
  let libraryId: string;
  const chunk = makeChunk('authorization');
  const file = fileOf([chunk.ref]);

  beforeAll(async () => {
    libraryId = (await server.ok(routes.createLibrary, { token: tokens.alice, body: { name: 'Guarded' } })).id;
    await server.ok(routes.setMember, { token: tokens.alice, params: { libraryId, userName: 'bob' }, body: { role: 'rw' } });
    await server.ok(routes.setMember, { token: tokens.alice, params: { libraryId, userName: 'carol' }, body: { role: 'ro' } });
    expect((await putChunk(server, tokens.alice!, libraryId, chunk)).status).toBe(200);
    await server.ok(routes.commit, { token: tokens.alice, params: { libraryId }, body: { changes: [{ op: 'put', path: 'f', baseRev: null, ...file }] } });
  });

  const headOf = async (path: string) => (await server.ok(routes.history, { token: tokens.alice, params: { libraryId }, query: { path } })).versions[0]?.rev ?? null;
  const authorized = (token: string) => ({ authorization: `Bearer ${token}` });

  /** Each route once, as a function of the caller's token, answering the HTTP status. */
  const operations: Record<string, (token: string) => Promise<number>> = {
    getLibrary: async (token) => (await server.call(routes.getLibrary, { token, params: { libraryId } })).status,
    renameLibrary: async (token) => (await server.call(routes.renameLibrary, { token, params: { libraryId }, body: { name: 'Guarded' } })).status,
    listMembers: async (token) => (await server.call(routes.listMembers, { token, params: { libraryId } })).status,
    setMember: async (token) => (await server.call(routes.setMember, { token, params: { libraryId, userName: 'carol' }, body: { role: 'ro' } })).status,
    changes: async (token) => (await server.call(routes.changes, { token, params: { libraryId }, query: { after: 0 } })).status,
    waitForChanges: async (token) => (await server.call(routes.waitForChanges, { token, params: { libraryId }, query: { after: 0, timeoutMs: 0 } })).status,
    missingChunks: async (token) => (await server.call(routes.missingChunks, { token, params: { libraryId }, body: { ids: [chunk.id] } })).status,
    putChunk: async (token) => (await putChunk(server, token, libraryId, chunk)).status,
    uploadChunks: async (token) =>
      (
        await server.raw(buildPath(routes.uploadChunks, { libraryId }), {
          method: 'POST',
          headers: { ...authorized(token), 'content-type': FRAMES_CONTENT_TYPE },
          body: encodeFrames([chunk]) as Uint8Array<ArrayBuffer>,
        })
      ).status,
    getChunk: async (token) => (await server.raw(buildPath(routes.getChunk, { libraryId, chunkId: chunk.id }), { headers: authorized(token) })).status,
    downloadChunks: async (token) =>
      (
        await server.raw(buildPath(routes.downloadChunks, { libraryId }), {
          method: 'POST',
          headers: { ...authorized(token), 'content-type': 'application/json' },
          body: JSON.stringify({ ids: [chunk.id] }),
        })
      ).status,
    commit: async (token) =>
      (await server.call(routes.commit, { token, params: { libraryId }, body: { changes: [{ op: 'put', path: 'f', baseRev: await headOf('f'), ...file }] } })).status,
    history: async (token) => (await server.call(routes.history, { token, params: { libraryId }, query: { path: 'f' } })).status,
    trash: async (token) => (await server.call(routes.trash, { token, params: { libraryId } })).status,
    restore: async (token) => {
      const rev = (await headOf('f'))!;
      return (await server.call(routes.restore, { token, params: { libraryId }, body: { path: 'f', rev, baseRev: rev } })).status;
    },
    snapshot: async (token) => (await server.call(routes.snapshot, { token, params: { libraryId } })).status,
  };

  const read = { alice: 200, bob: 200, carol: 200, dave: 404 };
  const write = { alice: 200, bob: 200, carol: 403, dave: 404 };
  const owner = { alice: 200, bob: 403, carol: 403, dave: 404 };
  const expected: Record<keyof typeof operations, Record<'alice' | 'bob' | 'carol' | 'dave', number>> = {
    getLibrary: read,
    renameLibrary: owner,
    listMembers: read,
    setMember: owner,
    changes: read,
    waitForChanges: read,
    missingChunks: read,
    putChunk: write,
    uploadChunks: write,
    getChunk: read,
    downloadChunks: read,
    commit: write,
    history: read,
    trash: read,
    restore: write,
    snapshot: read,
  };

  const table = Object.entries(expected).flatMap(([operation, statuses]) =>
    Object.entries(statuses).map(([user, status]) => [operation, user, status] as const),
  );

  it.each(table)('%s by %s answers %i', async (operation, user, status) => {
    expect(await operations[operation]!(tokens[user]!)).toBe(status);
  });

  it('answers 404 for a stranger exactly as for a library that does not exist', async () => {
    const hidden = await server.raw(buildPath(routes.getLibrary, { libraryId }), { headers: authorized(tokens.dave!) });
    const absent = await server.raw(buildPath(routes.getLibrary, { libraryId: '0'.repeat(32) }), { headers: authorized(tokens.dave!) });
    expect([hidden.status, await hidden.json()]).toEqual([absent.status, await absent.json()]);
  });

  it('lets only the owner delete and see the trashed library', async () => {
    for (const user of ['bob', 'carol']) {
      expect((await server.call(routes.deleteLibrary, { token: tokens[user], params: { libraryId } })).status).toBe(403);
    }
    expect((await server.call(routes.deleteLibrary, { token: tokens.dave, params: { libraryId } })).status).toBe(404);
    await server.ok(routes.deleteLibrary, { token: tokens.alice, params: { libraryId } });
    expect((await server.ok(routes.listTrashedLibraries, { token: tokens.bob })).libraries).toEqual([]);
    expect((await server.call(routes.restoreLibrary, { token: tokens.bob, params: { libraryId } })).status).toBe(403);
    expect((await server.call(routes.getLibrary, { token: tokens.bob, params: { libraryId } })).status).toBe(404);
    await server.ok(routes.restoreLibrary, { token: tokens.alice, params: { libraryId } });
    expect((await server.call(routes.getLibrary, { token: tokens.bob, params: { libraryId } })).status).toBe(200);
  });
});
