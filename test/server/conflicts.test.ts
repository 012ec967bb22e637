// A library's conflicts on the server: reported by a writer, listed to every member, closed by
// any writer; strangers see nothing and read-only members cannot change them.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../shared/protocol/index.js';
import { startTestServer } from './testServer.js';
import type { TestServer } from './testServer.js';

let server: TestServer;
const tokens: Record<string, string> = {};
let libraryId: string;

beforeAll(async () => {
  server = await startTestServer();
  for (const name of ['alice', 'bob', 'carol', 'dave']) {
    await server.addUser(name);
    tokens[name] = await server.login(name);
  }
  libraryId = (await server.ok(routes.createLibrary, { token: tokens.alice, body: { name: 'Shared' } })).id;
  await server.ok(routes.setMember, { token: tokens.alice, params: { libraryId, userName: 'bob' }, body: { role: 'rw' } });
  await server.ok(routes.setMember, { token: tokens.alice, params: { libraryId, userName: 'carol' }, body: { role: 'ro' } });
});
afterAll(async () => server.stop());

const report = { path: 'a.txt', conflictPath: 'a (conflict laptop 2026-01-01 000000).txt', remoteRev: 3, baseRev: 2, device: 'laptop' };

describe('library conflicts', () => {
  it('records a reported conflict once and lists it to every member, not to strangers', async () => {
    const first = await server.ok(routes.reportConflict, { token: tokens.bob, params: { libraryId }, body: report });
    expect(first).toMatchObject({ ...report, userName: 'bob' });
    const again = await server.ok(routes.reportConflict, { token: tokens.alice, params: { libraryId }, body: report });
    expect(again.id).toBe(first.id);
    for (const user of ['alice', 'bob', 'carol']) {
      expect((await server.ok(routes.listLibraryConflicts, { token: tokens[user]!, params: { libraryId } })).conflicts.map((conflict) => conflict.id)).toEqual([first.id]);
    }
    expect((await server.call(routes.listLibraryConflicts, { token: tokens.dave, params: { libraryId } })).status).toBe(404);
    expect((await server.call(routes.reportConflict, { token: tokens.carol, params: { libraryId }, body: { ...report, path: 'b.txt' } })).status).toBe(403);
  });

  it('closes a conflict for everyone; read-only members and strangers cannot', async () => {
    const { id } = await server.ok(routes.reportConflict, { token: tokens.bob, params: { libraryId }, body: { ...report, path: 'c.txt', conflictPath: 'c (conflict laptop 2026-01-01 000000).txt' } });
    const params = { libraryId, conflictId: String(id) };
    expect((await server.call(routes.resolveLibraryConflict, { token: tokens.carol, params, body: { resolution: 'remote' } })).status).toBe(403);
    expect((await server.call(routes.resolveLibraryConflict, { token: tokens.dave, params, body: { resolution: 'remote' } })).status).toBe(404);
    await server.ok(routes.resolveLibraryConflict, { token: tokens.alice, params, body: { resolution: 'remote' } });
    // Closing it again is not an error.
    await server.ok(routes.resolveLibraryConflict, { token: tokens.bob, params, body: { resolution: null } });
    const open = await server.ok(routes.listLibraryConflicts, { token: tokens.carol, params: { libraryId } });
    expect(open.conflicts.map((conflict) => conflict.path)).not.toContain('c.txt');
    expect((await server.call(routes.resolveLibraryConflict, { token: tokens.alice, params: { libraryId, conflictId: 'x' }, body: { resolution: null } })).status).toBe(400);
  });
});
