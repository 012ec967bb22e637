// Requests built to cost the server much more than they cost the sender, against a real server
// on 127.0.0.1: gzip amplification on the route anyone may call, chunk uploads of countless
// tiny frames, commits implying endless parent folders, out-of-range times and malformed
// Unicode in paths, slow senders and idle connections. Each is refused early and cheaply,
// and the server keeps serving.

import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { FRAMES_CONTENT_TYPE, MTIME_LIMITS, PROTOCOL_LIMITS, buildPath, encodeFrames, errorBodySchema, routes } from '../../shared/protocol/index.js';
import type { ConnectionLimits } from '../../src-server/server.js';
import { TEST_PASSWORD, fileOf, makeChunk, putChunk, startTestServer } from './testServer.js';
import type { TestServer } from './testServer.js';
import { eventually } from '../support/eventually.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function serverWith(connectionLimits: Partial<ConnectionLimits> = {}): Promise<{ target: TestServer; token: string; libraryId: string }> {
  const target = await startTestServer({ connectionLimits });
  server = target;
  await target.addUser('alice');
  const token = await target.login('alice');
  const libraryId = (await target.ok(routes.createLibrary, { token, body: { name: 'Target' } })).id;
  return { target, token, libraryId };
}

async function errorOf(response: Response): Promise<{ status: number; code: string; message: string }> {
  const body = errorBodySchema.parse(await response.json());
  return { status: response.status, code: body.error.code, message: body.error.message };
}

function postLogin(target: TestServer, body: Uint8Array | string, headers: Record<string, string> = {}): Promise<Response> {
  return target.raw(routes.login.path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: body as BodyInit });
}

describe('the route anyone may call takes a small body, uncompressed (item 2)', () => {
  it('refuses a gzip login body without inflating it', async () => {
    const { target } = await serverWith();
    // 16 KiB on the wire that would inflate to 16 MiB of JSON.
    const bomb = gzipSync(Buffer.from(`{"user":"alice","password":"${'x'.repeat(16 * 1024 * 1024 - 64)}","deviceName":"d"}`));
    expect(bomb.length).toBeLessThan(32 * 1024);
    expect(await errorOf(await postLogin(target, bomb, { 'content-encoding': 'gzip' }))).toMatchObject({ status: 415, code: 'unsupported-media-type' });
    expect((await target.call(routes.health)).status).toBe(200);
  });

  it('refuses a login body above the anonymous limit', async () => {
    const { target } = await serverWith();
    const oversize = JSON.stringify({ user: 'alice', password: TEST_PASSWORD, deviceName: 'd', pad: 'x'.repeat(PROTOCOL_LIMITS.maxAnonymousBodyBytes) });
    expect(await errorOf(await postLogin(target, oversize))).toMatchObject({ status: 413, code: 'payload-too-large' });
  });

  it('still takes the longest login there can be, every character escaped', async () => {
    const { target } = await serverWith();
    const escaped = (length: number) => '\\u0001'.repeat(length);
    const body = `{"user":"${escaped(256)}","password":"${escaped(PROTOCOL_LIMITS.maxPasswordLength)}","deviceName":"${'\\u00e9'.repeat(PROTOCOL_LIMITS.maxDeviceNameLength)}"}`;
    expect(body.length).toBeLessThanOrEqual(PROTOCOL_LIMITS.maxAnonymousBodyBytes);
    expect(await errorOf(await postLogin(target, body))).toMatchObject({ status: 401, code: 'unauthorized' });
  });
});

describe('batched chunk uploads stop at what a batch may hold (item 4)', () => {
  it('refuses an upload of more chunks than a batch may carry, compressed or not', async () => {
    const { target, token, libraryId } = await serverWith();
    const tiny = makeChunk('tiny', 1);
    const body = encodeFrames(Array.from({ length: PROTOCOL_LIMITS.maxChunksPerUpload + 1 }, () => ({ id: tiny.id, bytes: tiny.bytes })));
    for (const encoding of ['identity', 'gzip']) {
      const response = await target.raw(buildPath(routes.uploadChunks, { libraryId }), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': FRAMES_CONTENT_TYPE, 'content-encoding': encoding },
        body: (encoding === 'gzip' ? gzipSync(body) : body) as BodyInit,
      });
      expect(await errorOf(response)).toMatchObject({ status: 413, code: 'payload-too-large' });
    }
    expect((await target.ok(routes.missingChunks, { token, params: { libraryId }, body: { ids: [tiny.id] } })).missing).toEqual([tiny.id]);
  });

  it('refuses 64 KiB of gzip that inflates to 64 MiB of one-byte frames at the chunk limit, storing nothing', async () => {
    const { target, token, libraryId } = await serverWith();
    const tiny = makeChunk('one byte', 1);
    const frame = encodeFrames([{ id: tiny.id, bytes: tiny.bytes }]);
    const frames = Buffer.alloc(Math.floor(PROTOCOL_LIMITS.maxBatchBodyBytes / frame.length) * frame.length);
    for (let offset = 0; offset < frames.length; offset += frame.length) frames.set(frame, offset);
    const bomb = gzipSync(frames, { level: 9 });
    expect(bomb.length).toBeLessThan(256 * 1024);
    const response = await target.raw(buildPath(routes.uploadChunks, { libraryId }), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': FRAMES_CONTENT_TYPE, 'content-encoding': 'gzip' },
      body: bomb as BodyInit,
    });
    expect(await errorOf(response)).toMatchObject({ status: 413, code: 'payload-too-large' });
    expect((await target.ok(routes.missingChunks, { token, params: { libraryId }, body: { ids: [tiny.id] } })).missing).toEqual([tiny.id]);
  });

  it('still takes a full batch', async () => {
    const { target, token, libraryId } = await serverWith();
    const chunks = Array.from({ length: 300 }, (_, index) => makeChunk(`batch ${index}`, 2000));
    const response = await target.raw(buildPath(routes.uploadChunks, { libraryId }), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': FRAMES_CONTENT_TYPE, 'content-encoding': 'gzip' },
      body: gzipSync(encodeFrames(chunks.map((chunk) => ({ id: chunk.id, bytes: chunk.bytes })))) as BodyInit,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ stored: 300 });
  });
});

/** A path `depth` folders deep under `top`, within the path length limit. */
function deepPath(top: string, depth: number): string {
  return [top, ...Array.from({ length: depth - 1 }, () => 'a')].join('/');
}

describe('commits count implied parent folders (item 5)', () => {
  it('refuses a small commit implying more parent folders than a commit may create, creating none', async () => {
    const { target, token, libraryId } = await serverWith();
    // 20 changes of about 4 KiB each would create 40,000 folders on the way.
    const changes = Array.from({ length: 20 }, (_, index) => ({ op: 'mkdir' as const, path: deepPath(`t${index}`, 2000), baseRev: null }));
    const answer = await target.call(routes.commit, { token, params: { libraryId }, body: { changes } });
    expect(answer.ok).toBe(false);
    expect(!answer.ok && answer.body.error).toMatchObject({ code: 'bad-request', message: expect.stringMatching(/parent folders/) });
    expect((await target.ok(routes.getLibrary, { token, params: { libraryId } })).headSeq).toBe(0);
  });

  it('creates parents up to the limit', async () => {
    const { target, token, libraryId } = await serverWith();
    const answer = await target.ok(routes.commit, { token, params: { libraryId }, body: { changes: [{ op: 'mkdir', path: deepPath('deep', 2000), baseRev: null }] } });
    expect(answer.headSeq).toBe(2000);
  });
});

describe('times in a sane range (item 3)', () => {
  const cases: { name: string; mtimeMs: number; status: number }[] = [
    { name: 'the largest double', mtimeMs: 1e308, status: 400 },
    { name: 'the most negative double', mtimeMs: -1e308, status: 400 },
    { name: 'one past the last Date', mtimeMs: 8.64e15 + 1, status: 400 },
    { name: 'before 1970', mtimeMs: -1, status: 400 },
    { name: 'after the year 9999', mtimeMs: MTIME_LIMITS.maxMs + 1, status: 400 },
    { name: 'the epoch', mtimeMs: 0, status: 200 },
    { name: 'a fraction of a millisecond', mtimeMs: 1_700_000_000_000.5, status: 200 },
    { name: 'the last millisecond of the year 9999', mtimeMs: MTIME_LIMITS.maxMs, status: 200 },
  ];
  for (const testCase of cases) {
    it(`answers ${testCase.status} for an mtimeMs of ${testCase.name}`, async () => {
      const { target, token, libraryId } = await serverWith();
      const chunk = makeChunk('content');
      await putChunk(target, token, libraryId, chunk);
      const body = JSON.stringify({ changes: [{ op: 'put', path: 'f.txt', baseRev: null, ...fileOf([chunk.ref]), mtimeMs: testCase.mtimeMs }] });
      const response = await target.raw(buildPath(routes.commit, { libraryId }), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body.replace('"mtimeMs":1e+308', '"mtimeMs":1e308'),
      });
      expect(response.status).toBe(testCase.status);
      if (testCase.status !== 200) expect((await errorOf(response)).message).toMatch(/mtimeMs/);
    });
  }
});

describe('paths that are not well-formed Unicode (item 8)', () => {
  for (const path of ['ghost\ud800.txt', 'ghost\udfff.txt', 'a/\udc00\ud800/b', 'end\ud83d']) {
    it(`refuses ${JSON.stringify(path)} without committing anything`, async () => {
      const { target, token, libraryId } = await serverWith();
      const response = await target.raw(buildPath(routes.commit, { libraryId }), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ changes: [{ op: 'mkdir', path, baseRev: null }] }),
      });
      expect(await errorOf(response)).toMatchObject({ status: 400, code: 'bad-request', message: expect.stringMatching(/not-unicode/) });
      expect((await target.ok(routes.getLibrary, { token, params: { libraryId } })).headSeq).toBe(0);
    });
  }

  it('takes a path with a real pair of surrogates (an emoji)', async () => {
    const { target, token, libraryId } = await serverWith();
    const answer = await target.ok(routes.commit, { token, params: { libraryId }, body: { changes: [{ op: 'mkdir', path: 'photos \ud83d\udcf7', baseRev: null }] } });
    expect(answer.results[0]).toMatchObject({ status: 'applied', entry: { path: 'photos 📷' } });
  });
});

// ---- slow senders and idle connections (item 17) ----------------------------------------------

/** Opens a raw connection; resolves once connected. */
function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves with everything the server sent once it closes the connection. */
function whenClosed(socket: Socket): Promise<string> {
  let received = '';
  socket.on('data', (data: Buffer) => (received += data.toString('latin1')));
  socket.on('error', () => undefined);
  return new Promise((resolve) => socket.once('close', () => resolve(received)));
}

describe('slow senders and idle connections are cut off (item 17)', () => {
  it('closes a login whose body trickles in', async () => {
    const { target } = await serverWith({ anonymousBodyTimeoutMs: 300 });
    const socket = await openSocket(target.server.port);
    const closed = whenClosed(socket);
    socket.write(`POST ${routes.login.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n{"user":`);
    // One byte every 50 ms, far slower than any real client: the server must hang up.
    const trickle = setInterval(() => socket.writable && socket.write(' '), 50);
    try {
      await closed;
    } finally {
      clearInterval(trickle);
    }
    expect((await target.call(routes.health)).status).toBe(200);
  });

  it('answers a request refused before its body and closes the connection instead of draining a slow body', async () => {
    const { target, libraryId } = await serverWith();
    const socket = await openSocket(target.server.port);
    const closed = whenClosed(socket);
    socket.write(
      `POST ${buildPath(routes.commit, { libraryId })} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer forged\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"changes":`,
    );
    const trickle = setInterval(() => socket.writable && socket.write(' '), 50);
    try {
      expect(await closed).toMatch(/^HTTP\/1\.1 401 /);
    } finally {
      clearInterval(trickle);
    }
  });

  it('closes a connection that never sends a byte', async () => {
    const { target } = await serverWith({ headersTimeoutMs: 300 });
    const socket = await openSocket(target.server.port);
    expect(await whenClosed(socket)).toBe('');
  });

  it('closes connections beyond the cap as they arrive, and serves again once others left', async () => {
    const { target } = await serverWith({ maxConnections: 4 });
    // Eight connections held open at once: the server hangs up on those beyond the cap.
    const sockets = await Promise.all(Array.from({ length: 8 }, () => openSocket(target.server.port)));
    const closed = sockets.map((socket) => {
      let done = false;
      const received = whenClosed(socket).then((text) => {
        done = true;
        return text;
      });
      return { socket, received, isClosed: () => done };
    });
    await eventually(() => expect(closed.filter((entry) => entry.isClosed()).length).toBeGreaterThanOrEqual(4));
    const held = closed.filter((entry) => !entry.isClosed());
    expect(held.length).toBeLessThanOrEqual(4);
    for (const entry of closed.filter((item) => item.isClosed())) expect(await entry.received).toBe('');
    // The ones it kept are served.
    for (const entry of held) entry.socket.write(`GET ${routes.health.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    for (const entry of held) expect(await entry.received).toMatch(/^HTTP\/1\.1 200 /);
    await eventually(async () => expect((await target.call(routes.health)).status).toBe(200));
  });
});
