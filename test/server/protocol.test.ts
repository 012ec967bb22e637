// The shared protocol on its own: frames, error mappings, path templates and schemas.

import { describe, expect, it } from 'vitest';
import {
  ERROR_CODES,
  FrameDecoder,
  FrameFormatError,
  buildPath,
  buildQuery,
  changeSchema,
  changesQuerySchema,
  chunkingParamsSchema,
  decodeFrames,
  encodeFrames,
  errorAction,
  errorCodeForStatus,
  errorStatus,
  libraryNameSchema,
  libraryPathSchema,
  matchPath,
  routes,
} from '../../shared/protocol/index.js';
import type { ErrorAction, ErrorCode } from '../../shared/protocol/index.js';
import { bytesOf, chunkIdOf } from './testServer.js';

const frames = [0, 1, 35, 36, 37, 1000].map((size, index) => {
  const bytes = bytesOf(`frame-${index}`, size);
  return { id: chunkIdOf(bytes), bytes };
});

describe('chunk frames', () => {
  it('round-trips whole bodies', () => {
    const body = encodeFrames(frames);
    expect(body.length).toBe(frames.reduce((sum, frame) => sum + 36 + frame.bytes.length, 0));
    expect(decodeFrames(body, 10_000)).toEqual(frames);
  });

  it.each([1, 2, 3, 7, 36, 37, 100, 4096])('decodes a body pushed in slices of %i bytes', (sliceSize) => {
    const body = encodeFrames(frames);
    const decoder = new FrameDecoder(10_000);
    const decoded = [];
    for (let offset = 0; offset < body.length; offset += sliceSize) decoded.push(...decoder.push(body.subarray(offset, offset + sliceSize)));
    decoder.finish();
    expect(decoded).toEqual(frames);
  });

  it('writes the id raw and the length big-endian', () => {
    const body = encodeFrames([{ id: 'ab'.repeat(32), bytes: new Uint8Array([9, 8]) }]);
    expect([...body.subarray(0, 2)]).toEqual([0xab, 0xab]);
    expect([...body.subarray(32, 38)]).toEqual([0, 0, 0, 2, 9, 8]);
  });

  it.each([
    ['a body that stops inside a header', (body: Uint8Array) => body.subarray(0, 20)],
    ['a body that stops inside the bytes', (body: Uint8Array) => body.subarray(0, body.length - 1)],
  ])('refuses %s', (_name, cut) => {
    expect(() => decodeFrames(cut(encodeFrames([frames[5]!])), 10_000)).toThrow(FrameFormatError);
  });

  it('fills frame buffers from an allocator that does not zero them, handing out only whole frames', () => {
    const body = encodeFrames(frames);
    let allocations = 0;
    // Buffers full of leftovers, as Buffer.allocUnsafeSlow may give.
    const decoder = new FrameDecoder(10_000, (length) => {
      allocations += 1;
      return new Uint8Array(length).fill(0xa5);
    });
    const decoded = [];
    for (let offset = 0; offset < body.length - 1; offset += 3) decoded.push(...decoder.push(body.subarray(offset, Math.min(offset + 3, body.length - 1))));
    // The last frame lacks its last byte: it is not handed out.
    expect(decoded).toEqual(frames.slice(0, -1));
    decoded.push(...decoder.push(body.subarray(body.length - 1)));
    decoder.finish();
    expect(decoded).toEqual(frames);
    expect(allocations).toBe(frames.length);
  });

  it('refuses a frame longer than the limit before buffering it', () => {
    expect(() => new FrameDecoder(999).push(encodeFrames([frames[5]!]).subarray(0, 36))).toThrow(/more than the limit/);
  });
});

describe('error codes', () => {
  const expected: Record<ErrorCode, [number, ErrorAction]> = {
    'bad-request': [400, 'fatal'],
    unauthorized: [401, 'needs-user'],
    forbidden: [403, 'needs-user'],
    'not-found': [404, 'needs-user'],
    'method-not-allowed': [405, 'fatal'],
    conflict: [409, 'retry-now'],
    'payload-too-large': [413, 'fatal'],
    'unsupported-media-type': [415, 'fatal'],
    'rate-limited': [429, 'retry-later'],
    'missing-chunks': [400, 'retry-now'],
    'hash-mismatch': [400, 'retry-now'],
    'quota-exceeded': [507, 'needs-user'],
    unavailable: [503, 'retry-later'],
    internal: [500, 'retry-later'],
  };

  it.each(ERROR_CODES.map((code) => [code, ...expected[code]] as const))('%s is HTTP %i and means %s', (code, status, action) => {
    expect(errorStatus(code)).toBe(status);
    expect(errorAction(code)).toBe(action);
  });

  it.each([
    [400, 'bad-request'],
    [401, 'unauthorized'],
    [404, 'not-found'],
    [429, 'rate-limited'],
    [500, 'internal'],
    [502, 'unavailable'],
    [504, 'unavailable'],
    [418, 'bad-request'],
  ] as const)('a bare status %i is taken as %s', (status, code) => {
    expect(errorCodeForStatus(status)).toBe(code);
  });
});

describe('route table', () => {
  it('fills and matches path templates, escaping parameters', () => {
    const filled = buildPath(routes.setMember, { libraryId: 'abc12345', userName: 'a b/c' });
    expect(filled).toBe('/api/v1/libraries/abc12345/members/a%20b%2Fc');
    expect(matchPath(routes.setMember.path, filled)).toEqual({ libraryId: 'abc12345', userName: 'a b/c' });
    expect(matchPath(routes.setMember.path, '/api/v1/libraries/abc12345/members')).toBeNull();
    expect(matchPath(routes.getLibrary.path, '/api/v1/libraries/%E0%A4%A')).toBeNull();
  });

  it('builds query strings without undefined values', () => {
    expect(buildQuery({ after: 3, limit: undefined, path: 'a b' })).toBe('?after=3&path=a%20b');
    expect(buildQuery({})).toBe('');
  });

  it('has one route per method and path', () => {
    const keys = Object.values(routes).map((route) => `${route.method} ${route.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('puts every route under /api/v1 and only the health probes and login without a token', () => {
    for (const route of Object.values(routes)) expect(route.path.startsWith('/api/v1/')).toBe(true);
    expect(Object.entries(routes).filter(([, route]) => route.auth === 'none').map(([name]) => name)).toEqual(['health', 'live', 'login']);
  });
});

describe('schemas', () => {
  it.each([
    ['a/b.txt', true],
    ['中文/文件.txt', true],
    ['../x', false],
    ['a/../x', false],
    ['/etc/passwd', false],
    ['C:/x', false],
    ['a\\b', false],
    ['a\u0000b', false],
    ['e\u0301', false],
    ['a//b', false],
    ['a/', false],
    ['', false],
  ])('library path %j valid: %s', (path, valid) => {
    expect(libraryPathSchema.safeParse(path).success).toBe(valid);
  });

  it.each([
    ['the default', { algorithm: 'fastcdc', minSize: 32768, avgSize: 131072, maxSize: 524288 }, true],
    ['rabin', { algorithm: 'rabin', minSize: 1024, avgSize: 1024, maxSize: 1024 }, true],
    ['an unknown algorithm', { algorithm: 'zip', minSize: 1024, avgSize: 2048, maxSize: 4096 }, false],
    ['sizes out of order', { algorithm: 'fastcdc', minSize: 8192, avgSize: 4096, maxSize: 16384 }, false],
    ['a minimum below the limit', { algorithm: 'fastcdc', minSize: 512, avgSize: 4096, maxSize: 16384 }, false],
    ['a maximum above the limit', { algorithm: 'fastcdc', minSize: 1024, avgSize: 4096, maxSize: 16 * 1024 * 1024 }, false],
    ['fractional sizes', { algorithm: 'fastcdc', minSize: 1024.5, avgSize: 4096, maxSize: 16384 }, false],
  ])('chunking params: %s', (_name, params, valid) => {
    expect(chunkingParamsSchema.safeParse(params).success).toBe(valid);
  });

  it.each([
    ['a plain name', 'Documents', true],
    ['Chinese', '文档', true],
    ['empty', '', false],
    ['padded', ' Docs', false],
    ['a control character', 'Do\ncs', false],
  ])('library name: %s', (_name, name, valid) => {
    expect(libraryNameSchema.safeParse(name).success).toBe(valid);
  });

  it('parses query integers from strings and numbers, refusing anything else', () => {
    expect(changesQuerySchema.parse({ after: '12' })).toEqual({ after: 12, limit: 1000 });
    expect(changesQuerySchema.parse({ after: 12, limit: 5 })).toEqual({ after: 12, limit: 5 });
    for (const after of ['-1', '1.5', '1e3', '0x10', ' 1', '']) expect(changesQuerySchema.safeParse({ after }).success).toBe(false);
    expect(changesQuerySchema.safeParse({ after: '1', limit: '0' }).success).toBe(false);
    expect(changesQuerySchema.safeParse({ after: '1', extra: '1' }).success).toBe(false);
  });

  it('refuses unknown fields and wrong types in changes', () => {
    expect(changeSchema.safeParse({ op: 'mkdir', path: 'a', baseRev: null }).success).toBe(true);
    expect(changeSchema.safeParse({ op: 'mkdir', path: 'a', baseRev: null, extra: 1 }).success).toBe(false);
    expect(changeSchema.safeParse({ op: 'delete', path: 'a', baseRev: null }).success).toBe(false);
    expect(changeSchema.safeParse({ op: 'mkdir', path: 'a', baseRev: '1' }).success).toBe(false);
    expect(changeSchema.safeParse({ op: 'chmod', path: 'a' }).success).toBe(false);
  });
});
