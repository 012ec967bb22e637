// A member of a shared library must not learn what else its owner stores. "Missing" answers
// per library; and an upload must cost the same whether or not the owner holds the bytes in
// another library, or its answer time would tell (the owner's store skips chunks it holds).
// So a member's upload is written whole, like new content, while the owner's own uploads
// still skip what the owner holds. Measured here by what reaches the disk, never by timing.

import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../shared/protocol/index.js';
import { makeChunk, putChunk, startTestServer } from './testServer.js';
import type { TestServer } from './testServer.js';

let server: TestServer;
let alice: string;
let bob: string;
let aliceId: string;
let privateLibrary: string;
let sharedLibrary: string;

beforeAll(async () => {
  server = await startTestServer();
  await server.addUser('alice');
  await server.addUser('bob');
  alice = await server.login('alice');
  bob = await server.login('bob');
  aliceId = (await server.ok(routes.me, { token: alice })).userId;
  privateLibrary = (await server.ok(routes.createLibrary, { token: alice, body: { name: 'Private' } })).id;
  sharedLibrary = (await server.ok(routes.createLibrary, { token: alice, body: { name: 'Shared' } })).id;
  await server.ok(routes.setMember, { token: alice, params: { libraryId: sharedLibrary, userName: 'bob' }, body: { role: 'rw' } });
});
afterAll(async () => server.stop());

/** How many pack files the owner's chunk store holds: one per upload that wrote anything. */
async function packsOfAlice(): Promise<number> {
  const folder = path.join(server.dataDir, 'chunks', aliceId, 'packs');
  const files = await readdir(folder, { recursive: true }).catch(() => []);
  return files.filter((file) => String(file).endsWith('.pack')).length;
}

describe('uploads to a shared library (item 11)', () => {
  it('writes a member’s upload of bytes the owner holds elsewhere exactly like new bytes', async () => {
    const secret = makeChunk('what alice keeps in private');
    expect((await putChunk(server, alice, privateLibrary, secret)).status).toBe(200);
    const before = await packsOfAlice();
    expect((await putChunk(server, bob, sharedLibrary, secret)).status).toBe(200);
    expect(await packsOfAlice()).toBe(before + 1);
    // New bytes cost the member the same one pack.
    expect((await putChunk(server, bob, sharedLibrary, makeChunk('brand new'))).status).toBe(200);
    expect(await packsOfAlice()).toBe(before + 2);
    // And "missing" never told bob anything: the shared library lacked the chunk until he sent it.
    expect((await server.ok(routes.missingChunks, { token: bob, params: { libraryId: sharedLibrary }, body: { ids: [makeChunk('unsent').id] } })).missing).toHaveLength(1);
  });

  it('still skips, for the owner, the bytes the owner holds', async () => {
    const mine = makeChunk('alice uploads this twice');
    expect((await putChunk(server, alice, privateLibrary, mine)).status).toBe(200);
    const before = await packsOfAlice();
    expect((await putChunk(server, alice, sharedLibrary, mine)).status).toBe(200);
    expect(await packsOfAlice()).toBe(before);
  });

  it('serves the chunk a member wrote again, from either library', async () => {
    const chunk = makeChunk('written twice');
    await putChunk(server, alice, privateLibrary, chunk);
    await putChunk(server, bob, sharedLibrary, chunk);
    for (const [token, libraryId] of [[alice, privateLibrary], [bob, sharedLibrary]] as const) {
      const response = await server.raw(`/api/v1/libraries/${libraryId}/chunks/${chunk.id}`, { headers: { authorization: `Bearer ${token}` } });
      expect(Buffer.from(await response.arrayBuffer())).toEqual(Buffer.from(chunk.bytes));
    }
  });
});
