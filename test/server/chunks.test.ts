// Chunk routes: which are missing, upload and download (single and batched), verification,
// limits, and scoping per library and per owner.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { open } from 'node:fs/promises';
import { FRAMES_CONTENT_TYPE, FrameDecoder, buildPath, decodeFrames, encodeFrames, routes } from '../../shared/protocol/index.js';
import type { Frame } from '../../shared/protocol/index.js';
import { dataPaths } from '../../src-server/server.js';
import { filesBelow, storedCopies } from './chunkFiles.js';
import { makeChunk, putChunk, startTestServer } from './testServer.js';
import type { TestServer } from './testServer.js';

let server: TestServer;
let alice: string;
let bob: string;
let libraryId: string;
let aliceUserId: string;

beforeAll(async () => {
  server = await startTestServer();
  await server.addUser('alice');
  await server.addUser('bob');
  alice = await server.login('alice');
  bob = await server.login('bob');
  aliceUserId = (await server.ok(routes.me, { token: alice })).userId;
  const chunking = { algorithm: 'fastcdc', minSize: 1024, avgSize: 4096, maxSize: 16384 } as const;
  libraryId = (await server.ok(routes.createLibrary, { token: alice, body: { name: 'Chunks', chunking } })).id;
});
afterAll(async () => server.stop());

function upload(token: string, library: string, body: Uint8Array, contentType = FRAMES_CONTENT_TYPE): Promise<Response> {
  return server.raw(buildPath(routes.uploadChunks, { libraryId: library }), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
    body: body as Uint8Array<ArrayBuffer>,
  });
}

async function download(token: string, library: string, ids: string[]): Promise<Response> {
  return server.raw(buildPath(routes.downloadChunks, { libraryId: library }), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ids }),
  });
}

async function missing(token: string, library: string, ids: string[]): Promise<string[]> {
  return (await server.ok(routes.missingChunks, { token, params: { libraryId: library }, body: { ids } })).missing;
}

async function errorCode(response: Response): Promise<string> {
  return ((await response.json()) as { error: { code: string } }).error.code;
}

/** The owners whose folders hold a copy of the chunk, one entry per copy. */
async function copyOwners(id: string): Promise<string[]> {
  return (await storedCopies(dataPaths(server.dataDir).chunks)).filter((copy) => copy.id === id).map((copy) => copy.owner);
}

describe('single chunks', () => {
  it('uploads with PUT, then reports it present and serves its bytes', async () => {
    const chunk = makeChunk('single', 5000);
    expect(await missing(alice, libraryId, [chunk.id])).toEqual([chunk.id]);
    const response = await putChunk(server, alice, libraryId, chunk);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ stored: 1 });
    expect(await missing(alice, libraryId, [chunk.id])).toEqual([]);
    const fetched = await server.raw(buildPath(routes.getChunk, { libraryId, chunkId: chunk.id }), { headers: { authorization: `Bearer ${alice}` } });
    expect(fetched.headers.get('content-type')).toBe('application/octet-stream');
    expect(new Uint8Array(await fetched.arrayBuffer())).toEqual(chunk.bytes);
  });

  it('stores the chunk in a pack under its owner, with no temporary file left', async () => {
    const chunk = makeChunk('on disk', 3000);
    await putChunk(server, alice, libraryId, chunk);
    const copies = (await storedCopies(dataPaths(server.dataDir).chunks)).filter((copy) => copy.id === chunk.id);
    expect(copies).toMatchObject([{ owner: aliceUserId, kind: 'pack', size: 3000 }]);
    expect((await filesBelow(dataPaths(server.dataDir).chunks)).filter((file) => file.endsWith('.partial'))).toEqual([]);
  });

  it.each([
    ['bytes that do not hash to the id', () => ({ id: makeChunk('x').id, bytes: makeChunk('y').bytes }), 400, 'hash-mismatch'],
    ['an empty chunk', () => ({ id: makeChunk('x').id, bytes: new Uint8Array(0) }), 400, 'bad-request'],
    ['a chunk above the library maxSize', () => makeChunk('big', 16385), 413, 'payload-too-large'],
    ['a malformed chunk id', () => ({ id: 'ABC', bytes: makeChunk('x').bytes }), 400, 'bad-request'],
  ])('refuses %s and stores nothing', async (_name, build, status, code) => {
    const chunk = build();
    const response = await putChunk(server, alice, libraryId, chunk);
    expect(response.status).toBe(status);
    expect(await errorCode(response)).toBe(code);
    if (/^[0-9a-f]{64}$/.test(chunk.id)) expect(await missing(alice, libraryId, [chunk.id])).toEqual([chunk.id]);
  });

  it('refuses a chunk sent as another content type', async () => {
    const chunk = makeChunk('typed');
    const response = await server.raw(buildPath(routes.putChunk, { libraryId, chunkId: chunk.id }), {
      method: 'PUT',
      headers: { authorization: `Bearer ${alice}`, 'content-type': 'text/plain' },
      body: chunk.bytes as Uint8Array<ArrayBuffer>,
    });
    expect(response.status).toBe(415);
  });

  it('answers 404 for a chunk the library does not hold', async () => {
    const response = await server.raw(buildPath(routes.getChunk, { libraryId, chunkId: makeChunk('absent').id }), {
      headers: { authorization: `Bearer ${alice}` },
    });
    expect(response.status).toBe(404);
  });
});

describe('batched chunks', () => {
  const batch: Frame[] = Array.from({ length: 50 }, (_, index) => makeChunk(`batch-${index}`, 1000 + index * 100));

  it('uploads many chunks in one request and downloads them in the requested order', async () => {
    const response = await upload(alice, libraryId, encodeFrames(batch));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ stored: 50 });
    expect(await missing(alice, libraryId, batch.map((chunk) => chunk.id))).toEqual([]);
    const order = [...batch].reverse();
    const fetched = await download(alice, libraryId, order.map((chunk) => chunk.id));
    expect(fetched.status).toBe(200);
    expect(fetched.headers.get('content-type')).toBe(FRAMES_CONTENT_TYPE);
    const frames = decodeFrames(new Uint8Array(await fetched.arrayBuffer()), 16384);
    expect(frames.map((frame) => frame.id)).toEqual(order.map((chunk) => chunk.id));
    expect(frames.map((frame) => frame.bytes)).toEqual(order.map((chunk) => chunk.bytes));
  });

  it('sends a chunk asked for twice once, keeping the order of first mention', async () => {
    const [a, b, c] = [batch[3]!, batch[17]!, batch[40]!];
    const fetched = await download(alice, libraryId, [c.id, a.id, c.id, b.id, a.id]);
    const frames = decodeFrames(new Uint8Array(await fetched.arrayBuffer()), 16384);
    expect(frames.map((frame) => frame.id)).toEqual([c.id, a.id, b.id]);
    expect(frames.map((frame) => frame.bytes)).toEqual([c.bytes, a.bytes, b.bytes]);
  });

  it('answers the missing ids in request order without duplicates', async () => {
    const [a, b] = [makeChunk('m-a'), makeChunk('m-b')];
    expect(await missing(alice, libraryId, [b.id, batch[0]!.id, a.id, b.id])).toEqual([b.id, a.id]);
  });

  it('stores nothing of a batch when one chunk does not match its id', async () => {
    const good = makeChunk('good in bad batch');
    const bad = { id: makeChunk('claimed').id, bytes: makeChunk('actual').bytes };
    const response = await upload(alice, libraryId, encodeFrames([good, bad]));
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; details: unknown } };
    expect(body.error.code).toBe('hash-mismatch');
    expect(body.error.details).toEqual({ chunkId: bad.id });
    expect(await missing(alice, libraryId, [good.id, bad.id])).toEqual([good.id, bad.id]);
  });

  it.each([
    ['a body cut inside a frame', () => encodeFrames([makeChunk('cut')]).subarray(0, 50), 400],
    ['a frame above the library maxSize', () => encodeFrames([makeChunk('huge', 16385)]), 400],
  ])('refuses %s', async (_name, body, status) => {
    expect((await upload(alice, libraryId, body())).status).toBe(status);
  });

  it('refuses a batch sent as JSON', async () => {
    expect((await upload(alice, libraryId, encodeFrames([makeChunk('j')]), 'application/json')).status).toBe(415);
  });

  it('refuses a download naming a chunk the library lacks, listing it', async () => {
    const absent = makeChunk('not here').id;
    const response = await download(alice, libraryId, [batch[0]!.id, absent]);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { details: unknown } }).error.details).toEqual({ missing: [absent] });
  });

  it('refuses more than 10,000 ids at once', async () => {
    const ids = Array.from({ length: 10_001 }, () => batch[0]!.id);
    expect((await server.call(routes.missingChunks, { token: alice, params: { libraryId }, body: { ids } })).status).toBe(400);
    expect((await download(alice, libraryId, ids)).status).toBe(400);
  });
});

describe('damaged chunk store', () => {
  /** Uploads the chunks in one batch, then flips one byte of `damaged` where it is stored. */
  async function uploadAndDamage(chunks: Frame[], damaged: Frame): Promise<void> {
    expect((await upload(alice, libraryId, encodeFrames(chunks))).status).toBe(200);
    const [copy] = (await storedCopies(dataPaths(server.dataDir).chunks)).filter((candidate) => candidate.id === damaged.id);
    const handle = await open(copy!.file, 'r+');
    try {
      await handle.write(new Uint8Array([damaged.bytes[0]! ^ 0xff]), 0, 1, copy!.offset);
    } finally {
      await handle.close();
    }
  }

  it('answers the first chunk asked for as missing when it is damaged, sending no frame', async () => {
    const chunks = Array.from({ length: 3 }, (_, index) => makeChunk(`damaged first ${index}`, 2000));
    await uploadAndDamage(chunks, chunks[0]!);
    const response = await download(alice, libraryId, chunks.map((chunk) => chunk.id));
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 'not-found', details: { missing: [chunks[0]!.id] } } });
    expect(await missing(alice, libraryId, [chunks[0]!.id])).toEqual([chunks[0]!.id]);
  });

  it('ends the stream early after the last good frame when a later chunk is damaged', async () => {
    const chunks = Array.from({ length: 40 }, (_, index) => makeChunk(`damaged later ${index}`, 2000));
    await uploadAndDamage(chunks, chunks[30]!);
    const response = await download(alice, libraryId, chunks.map((chunk) => chunk.id));
    expect(response.status).toBe(200);
    const decoder = new FrameDecoder(16384);
    const received: string[] = [];
    await expect(
      (async () => {
        for await (const slice of response.body!) received.push(...decoder.push(slice).map((frame) => frame.id));
        decoder.finish();
      })(),
    ).rejects.toThrow();
    expect(received).toEqual(chunks.slice(0, 30).map((chunk) => chunk.id));
  });
});

describe('chunk scoping', () => {
  it('counts a chunk present only for the library it was uploaded to', async () => {
    const chunk = makeChunk('scoped');
    const other = (await server.ok(routes.createLibrary, { token: alice, body: { name: 'Second' } })).id;
    await putChunk(server, alice, libraryId, chunk);
    expect(await missing(alice, other, [chunk.id])).toEqual([chunk.id]);
    const fetched = await server.raw(buildPath(routes.getChunk, { libraryId: other, chunkId: chunk.id }), { headers: { authorization: `Bearer ${alice}` } });
    expect(fetched.status).toBe(404);
    // Uploading again links it; the owner's store keeps one copy.
    await putChunk(server, alice, other, chunk);
    expect(await missing(alice, other, [chunk.id])).toEqual([]);
    expect(await copyOwners(chunk.id)).toEqual([aliceUserId]);
  });

  it('never shares chunk files between owners', async () => {
    const chunk = makeChunk('two owners');
    const bobsLibrary = (await server.ok(routes.createLibrary, { token: bob, body: { name: 'Bob' } })).id;
    await putChunk(server, alice, libraryId, chunk);
    expect(await missing(bob, bobsLibrary, [chunk.id])).toEqual([chunk.id]);
    await putChunk(server, bob, bobsLibrary, chunk);
    const bobUserId = (await server.ok(routes.me, { token: bob })).userId;
    expect((await copyOwners(chunk.id)).sort()).toEqual([aliceUserId, bobUserId].sort());
  });

  it('stores a member upload under the owner of the library', async () => {
    const shared = (await server.ok(routes.createLibrary, { token: alice, body: { name: 'Shared chunks' } })).id;
    await server.ok(routes.setMember, { token: alice, params: { libraryId: shared, userName: 'bob' }, body: { role: 'rw' } });
    const chunk = makeChunk('member upload');
    expect((await putChunk(server, bob, shared, chunk)).status).toBe(200);
    expect(await copyOwners(chunk.id)).toEqual([aliceUserId]);
  });
});
