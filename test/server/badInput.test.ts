// Every kind of bad input named by the issue gets a clear error and changes nothing.

import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPath, errorBodySchema, routes } from '../../shared/protocol/index.js';
import { fileOf, makeChunk, putChunk, startTestServer } from './testServer.js';
import type { TestServer } from './testServer.js';

let server: TestServer;
let alice: string;
let bob: string;
let libraryId: string;
let bobsLibraryId: string;
const chunk = makeChunk('bad input');

beforeAll(async () => {
  server = await startTestServer();
  await server.addUser('alice');
  await server.addUser('bob');
  alice = await server.login('alice');
  bob = await server.login('bob');
  libraryId = (await server.ok(routes.createLibrary, { token: alice, body: { name: 'Target' } })).id;
  bobsLibraryId = (await server.ok(routes.createLibrary, { token: bob, body: { name: 'Bob' } })).id;
  await putChunk(server, alice, libraryId, chunk);
});
afterAll(async () => server.stop());

interface BadRequest {
  readonly name: string;
  readonly path: () => string;
  readonly init: () => RequestInit;
  readonly status: number;
  readonly code: string;
  /** The message must name the problem. */
  readonly message: RegExp;
}

const json = (body: string, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json', ...headers },
  body,
});
const commitPath = () => buildPath(routes.commit, { libraryId });
const commitOf = (change: Record<string, unknown>) => json(JSON.stringify({ changes: [change] }));
const mkdirAt = (path: string) => commitOf({ op: 'mkdir', path, baseRev: null });

const cases: BadRequest[] = [
  { name: 'malformed JSON', path: commitPath, init: () => json('{"changes": ['), status: 400, code: 'bad-request', message: /malformed JSON/ },
  { name: 'a wrong type', path: commitPath, init: () => commitOf({ op: 'mkdir', path: 'a', baseRev: 'one' }), status: 400, code: 'bad-request', message: /changes\.0\.baseRev/ },
  { name: 'an unknown field', path: commitPath, init: () => commitOf({ op: 'mkdir', path: 'a', baseRev: null, mode: 7 }), status: 400, code: 'bad-request', message: /mode/ },
  { name: 'an unknown operation', path: commitPath, init: () => commitOf({ op: 'chmod', path: 'a' }), status: 400, code: 'bad-request', message: /op/ },
  { name: 'a path with ..', path: commitPath, init: () => mkdirAt('a/../b'), status: 400, code: 'bad-request', message: /dot-segment/ },
  { name: 'an absolute path', path: commitPath, init: () => mkdirAt('/etc'), status: 400, code: 'bad-request', message: /absolute/ },
  { name: 'a drive-letter path', path: commitPath, init: () => mkdirAt('C:/Windows'), status: 400, code: 'bad-request', message: /absolute/ },
  { name: 'a path with NUL', path: commitPath, init: () => mkdirAt('a\u0000b'), status: 400, code: 'bad-request', message: /control-character/ },
  { name: 'a path with a backslash', path: commitPath, init: () => mkdirAt('a\\b'), status: 400, code: 'bad-request', message: /backslash/ },
  { name: 'a non-NFC name', path: commitPath, init: () => mkdirAt('cafe\u0301'), status: 400, code: 'bad-request', message: /not-nfc/ },
  { name: 'an empty segment', path: commitPath, init: () => mkdirAt('a//b'), status: 400, code: 'bad-request', message: /empty-segment/ },
  { name: 'a non-canonical move target', path: commitPath, init: () => commitOf({ op: 'move', from: 'a', to: '../a', baseRev: 1, toBaseRev: null }), status: 400, code: 'bad-request', message: /changes\.0\.to/ },
  {
    name: 'a non-canonical path in a query',
    path: () => `${buildPath(routes.history, { libraryId })}?path=${encodeURIComponent('../x')}`,
    init: () => ({ headers: { authorization: `Bearer ${alice}` } }),
    status: 400,
    code: 'bad-request',
    message: /query: path/,
  },
  {
    name: 'an unknown query parameter',
    path: () => `${buildPath(routes.changes, { libraryId })}?after=0&since=4`,
    init: () => ({ headers: { authorization: `Bearer ${alice}` } }),
    status: 400,
    code: 'bad-request',
    message: /since/,
  },
  {
    name: 'a query parameter on a route that takes none',
    path: () => `${buildPath(routes.getLibrary, { libraryId })}?expand=members`,
    init: () => ({ headers: { authorization: `Bearer ${alice}` } }),
    status: 400,
    code: 'bad-request',
    message: /takes no query parameters \(got expand\)/,
  },
  {
    name: 'a query parameter on health',
    path: () => `${routes.health.path}?verbose=1`,
    init: () => ({}),
    status: 400,
    code: 'bad-request',
    message: /verbose/,
  },
  {
    name: 'a repeated query parameter',
    path: () => `${buildPath(routes.changes, { libraryId })}?after=0&after=1`,
    init: () => ({ headers: { authorization: `Bearer ${alice}` } }),
    status: 400,
    code: 'bad-request',
    message: /twice/,
  },
  {
    name: 'a JSON body over 16 MiB',
    path: commitPath,
    init: () => json(JSON.stringify({ changes: [{ op: 'mkdir', path: 'x'.repeat(100), baseRev: null }], pad: 'x'.repeat(16 * 1024 * 1024) })),
    status: 413,
    code: 'payload-too-large',
    message: /limit/,
  },
  {
    name: 'a gzip body that inflates past 16 MiB',
    path: commitPath,
    init: () => ({ ...json(''), headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync(Buffer.from(`{"changes":[],"pad":"${'x'.repeat(17 * 1024 * 1024)}"}`)) }),
    status: 413,
    code: 'payload-too-large',
    message: /limit/,
  },
  {
    name: 'a body that is not gzip though it says so',
    path: commitPath,
    init: () => json('{"changes":[]}', { 'content-encoding': 'gzip' }),
    status: 400,
    code: 'bad-request',
    message: /gzip/,
  },
  { name: 'an unknown content encoding', path: commitPath, init: () => json('{}', { 'content-encoding': 'br' }), status: 415, code: 'unsupported-media-type', message: /br/ },
  { name: 'JSON sent as text', path: commitPath, init: () => json('{}', { 'content-type': 'text/plain' }), status: 415, code: 'unsupported-media-type', message: /application\/json/ },
  {
    name: 'an unknown library',
    path: () => buildPath(routes.commit, { libraryId: 'f'.repeat(32) }),
    init: () => mkdirAt('a'),
    status: 404,
    code: 'not-found',
    message: /no such library/,
  },
  {
    name: "another user's library",
    path: () => buildPath(routes.commit, { libraryId: bobsLibraryId }),
    init: () => mkdirAt('a'),
    status: 404,
    code: 'not-found',
    message: /no such library/,
  },
  {
    name: 'a chunk whose bytes do not match its id',
    path: () => buildPath(routes.putChunk, { libraryId, chunkId: makeChunk('claimed').id }),
    init: () => ({ method: 'PUT', headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/octet-stream' }, body: makeChunk('sent').bytes as Uint8Array<ArrayBuffer> }),
    status: 400,
    code: 'hash-mismatch',
    message: /do not hash/,
  },
  {
    name: 'a commit naming a missing chunk',
    path: commitPath,
    init: () => commitOf({ op: 'put', path: 'f', baseRev: null, ...fileOf([makeChunk('absent').ref]) }),
    status: 400,
    code: 'missing-chunks',
    message: /upload them/,
  },
  { name: 'an unknown route', path: () => '/api/v1/nothing', init: () => ({}), status: 404, code: 'not-found', message: /no route/ },
  { name: 'a wrong method', path: () => buildPath(routes.commit, { libraryId }), init: () => ({ method: 'GET', headers: { authorization: `Bearer ${alice}` } }), status: 405, code: 'method-not-allowed', message: /GET/ },
];

describe('bad input', () => {
  it.each(cases)('$name answers $status $code and changes nothing', async (badRequest) => {
    const before = await server.ok(routes.getLibrary, { token: alice, params: { libraryId } });
    const response = await server.raw(badRequest.path(), badRequest.init());
    expect(response.status).toBe(badRequest.status);
    const body = errorBodySchema.parse(await response.json());
    expect(body.error.code).toBe(badRequest.code);
    expect(body.error.message).toMatch(badRequest.message);
    const after = await server.ok(routes.getLibrary, { token: alice, params: { libraryId } });
    expect(after.headSeq).toBe(before.headSeq);
    expect((await server.ok(routes.getLibrary, { token: bob, params: { libraryId: bobsLibraryId } })).headSeq).toBe(0);
  });

  it('accepts a gzip-compressed JSON body', async () => {
    const body = gzipSync(Buffer.from(JSON.stringify({ changes: [{ op: 'mkdir', path: 'zipped', baseRev: null }] })));
    const response = await server.raw(commitPath(), { ...json(''), headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json', 'content-encoding': 'gzip' }, body });
    expect(response.status).toBe(200);
  });

  it('keeps serving after refusing an oversize body on a kept-alive connection', async () => {
    const oversize = cases.find((badRequest) => badRequest.code === 'payload-too-large')!;
    expect((await server.raw(oversize.path(), oversize.init())).status).toBe(413);
    expect((await server.call(routes.health)).status).toBe(200);
  });
});
