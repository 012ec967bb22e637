// The chunk patch routes: announced on every answer, served as patches of chunks the library
// holds, a patch upload stored only when it rebuilds the chunk its id names, bases checked
// against the library like chunk reads, and absent from a server that turns them off.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkIdOf } from '../../shared/node/contentHash.js';
import { patchFromSignature } from '../../shared/node/chunkPatchSignatures.js';
import {
  CHUNK_PATCHES_HEADER,
  FRAMES_CONTENT_TYPE,
  applyPatch,
  buildPath,
  decodeFrames,
  decodeSignature,
  encodeFrames,
  encodePatch,
  hexToBytes,
  routes,
} from '../../shared/protocol/index.js';
import { makeChunk, putChunk, startTestServer } from './testServer.js';
import type { TestServer } from './testServer.js';

let server: TestServer;
let alice: string;
let bob: string;
let libraryId: string;
let bobLibrary: string;

beforeAll(async () => {
  server = await startTestServer();
  await server.addUser('alice');
  await server.addUser('bob');
  alice = await server.login('alice');
  bob = await server.login('bob');
  const chunking = { algorithm: 'fastcdc', minSize: 1024, avgSize: 4096, maxSize: 65536 } as const;
  libraryId = (await server.ok(routes.createLibrary, { token: alice, body: { name: 'Patches', chunking } })).id;
  bobLibrary = (await server.ok(routes.createLibrary, { token: bob, body: { name: 'Bob', chunking } })).id;
});
afterAll(async () => server.stop());

function post(token: string, path: string, body: Uint8Array | string, contentType: string): Promise<Response> {
  return server.raw(path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, body: body as BodyInit });
}

/** A chunk and a copy of it with one byte changed. */
function editedPair(seed: string, size = 12_000): { base: ReturnType<typeof makeChunk>; next: { bytes: Uint8Array; id: string } } {
  const base = makeChunk(seed, size);
  const bytes = base.bytes.slice();
  bytes[size >> 1] = bytes[size >> 1]! ^ 0xff;
  return { base, next: { bytes, id: chunkIdOf(bytes) } };
}

async function signaturesOf(token: string, library: string, ids: string[]): Promise<Response> {
  return post(token, buildPath(routes.chunkSignatures, { libraryId: library }), JSON.stringify({ ids }), 'application/json');
}

function patchFrame(id: string, baseId: string, patch: Uint8Array): { id: string; bytes: Uint8Array } {
  const bytes = new Uint8Array(32 + patch.length);
  bytes.set(hexToBytes(baseId));
  bytes.set(patch, 32);
  return { id, bytes };
}

async function uploadPatches(token: string, library: string, frames: { id: string; bytes: Uint8Array }[]): Promise<Response> {
  return post(token, buildPath(routes.uploadChunkPatches, { libraryId: library }), encodeFrames(frames), FRAMES_CONTENT_TYPE);
}

async function missing(token: string, library: string, ids: string[]): Promise<string[]> {
  return (await server.ok(routes.missingChunks, { token, params: { libraryId: library }, body: { ids } })).missing;
}

describe('chunk patch routes', () => {
  it('are announced on the answers of a server that has them', async () => {
    const answer = await server.raw(buildPath(routes.listLibraries, {}), { headers: { authorization: `Bearer ${alice}` } });
    expect(answer.headers.get(CHUNK_PATCHES_HEADER)).toBe('1');
  });

  it('store an uploaded chunk rebuilt from the signatures of its base, and serve it as a patch', async () => {
    const { base, next } = editedPair('upload');
    expect((await putChunk(server, alice, libraryId, base)).status).toBe(200);
    const answer = await signaturesOf(alice, libraryId, [base.id]);
    expect(answer.status).toBe(200);
    const [frame] = decodeFrames(new Uint8Array(await answer.arrayBuffer()), 1 << 20);
    const patch = patchFromSignature(decodeSignature(frame!.bytes), next.bytes);
    expect(patch.length).toBeLessThan(1000);
    const stored = await uploadPatches(alice, libraryId, [patchFrame(next.id, base.id, patch)]);
    expect(await stored.json()).toEqual({ stored: 1, rejected: [] });
    expect(await missing(alice, libraryId, [next.id])).toEqual([]);

    // And back: the new chunk as a patch of the base.
    const download = await post(alice, buildPath(routes.chunkPatches, { libraryId }), JSON.stringify({ pairs: [{ id: next.id, baseId: base.id }] }), 'application/json');
    const [patchFrameBack] = decodeFrames(new Uint8Array(await download.arrayBuffer()), 1 << 20);
    expect(patchFrameBack!.bytes.length).toBeLessThan(16);
    expect(chunkIdOf(applyPatch(base.bytes, patchFrameBack!.bytes, 1 << 20))).toBe(next.id);
  });

  it('reject a forged patch, one of a base the library lacks and one that cannot be applied, storing none of them', async () => {
    const { base, next } = editedPair('forged');
    await putChunk(server, alice, libraryId, base);
    // Builds the base's bytes, not the chunk its id names.
    const forged = patchFrame(next.id, base.id, encodePatch([{ kind: 'copy', offset: 0, length: base.bytes.length }]));
    // Bob's chunk, which Alice's library does not hold: never a base there.
    const other = editedPair('bob only');
    await putChunk(server, bob, bobLibrary, other.base);
    const foreign = patchFrame(other.next.id, other.base.id, encodePatch([{ kind: 'copy', offset: 0, length: 100 }]));
    const outside = patchFrame(makeChunk('outside').id, base.id, encodePatch([{ kind: 'copy', offset: 0, length: base.bytes.length + 1 }]));
    const answer = await uploadPatches(alice, libraryId, [forged, foreign, outside]);
    expect(await answer.json()).toEqual({ stored: 0, rejected: [next.id, other.next.id, makeChunk('outside').id] });
    expect(await missing(alice, libraryId, [next.id, other.next.id])).toEqual([next.id, other.next.id]);
  });

  it('check every chunk named, bases included, against the library like a chunk read', async () => {
    const other = editedPair('bob private');
    await putChunk(server, bob, bobLibrary, other.base);
    const { base } = editedPair('alice own');
    await putChunk(server, alice, libraryId, base);
    const signatures = await signaturesOf(alice, libraryId, [other.base.id]);
    expect(signatures.status).toBe(404);
    const patch = await post(alice, buildPath(routes.chunkPatches, { libraryId }), JSON.stringify({ pairs: [{ id: base.id, baseId: other.base.id }] }), 'application/json');
    expect(patch.status).toBe(404);
    expect((await signaturesOf(bob, libraryId, [base.id])).status).toBe(404); // not a member
  });

  it('bound a request: too many pairs or patches are refused', async () => {
    const ids = Array.from({ length: 257 }, (_, i) => makeChunk(`many ${i}`).id);
    expect((await signaturesOf(alice, libraryId, ids)).status).toBe(400);
    const { base } = editedPair('bounded');
    await putChunk(server, alice, libraryId, base);
    const frames = Array.from({ length: 1025 }, (_, i) => patchFrame(makeChunk(`p ${i}`).id, base.id, encodePatch([{ kind: 'copy', offset: 0, length: 10 }])));
    expect((await uploadPatches(alice, libraryId, frames)).status).toBe(413);
  });
});

describe('the chunk bytes a patch request makes the server read', () => {
  it('are bounded: a request naming more is cut off', async () => {
    const chunking = { algorithm: 'fastcdc', minSize: 1024 * 1024, avgSize: 2 * 1024 * 1024, maxSize: 8 * 1024 * 1024 } as const;
    const library = (await server.ok(routes.createLibrary, { token: alice, body: { name: 'Big chunks', chunking } })).id;
    const big = makeChunk('big', 4 * 1024 * 1024);
    expect((await putChunk(server, alice, library, big)).status).toBe(200);
    // 20 reads of 4 MiB: more than the 64 MiB a request may read.
    const names = Array.from({ length: 20 }, () => big.id);
    const signatures = await signaturesOf(alice, library, names);
    expect(signatures.status).toBe(200);
    const received = await signatures.arrayBuffer().then(
      (body) => decodeFrames(new Uint8Array(body), 1 << 20).length,
      () => -1, // the stream was cut
    );
    expect(received).toBeLessThan(20);
    const frames = names.map((baseId, i) => patchFrame(makeChunk(`big ${i}`).id, baseId, encodePatch([{ kind: 'copy', offset: 0, length: 10 }])));
    expect((await uploadPatches(alice, library, frames)).status).toBe(413);
  });
});

describe('a server without chunk patches', () => {
  it('neither announces nor serves them', async () => {
    const old = await startTestServer({ chunkPatches: false });
    try {
      await old.addUser('carol');
      const carol = await old.login('carol');
      const library = (await old.ok(routes.createLibrary, { token: carol, body: { name: 'Old' } })).id;
      const answer = await old.raw(buildPath(routes.listLibraries, {}), { headers: { authorization: `Bearer ${carol}` } });
      expect(answer.headers.get(CHUNK_PATCHES_HEADER)).toBeNull();
      const signatures = await old.raw(buildPath(routes.chunkSignatures, { libraryId: library }), {
        method: 'POST',
        headers: { authorization: `Bearer ${carol}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ids: [] }),
      });
      expect(signatures.status).toBe(404);
    } finally {
      await old.stop();
    }
  });
});
