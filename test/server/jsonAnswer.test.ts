// JSON answers: a long answer is serialized a slice at a time (never one string of the whole
// answer) and still reaches the client as exactly JSON.stringify of the value, gzipped or not.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JSON_SLICE_ELEMENTS, jsonPieces, sendJson } from '../../src-server/httpIo.js';

const hex = (seed: number): string => (seed % 256).toString(16).padStart(2, '0').repeat(32);

/** A commit answer of `count` applied results, shaped as the server sends it. */
function bigAnswer(count: number): Record<string, unknown> {
  const results = Array.from({ length: count }, (_, index) => ({
    index,
    status: 'applied',
    entry: { path: `t/m/f${index}.bin`, kind: 'file', deleted: false, rev: index + 1, size: 5000, mtimeMs: 1_700_000_000_000, executable: false, chunks: [{ id: hex(index), size: 5000 }], contentHash: hex(index + 1), device: 'pc', userName: 'alice', committedAt: 1 },
  }));
  return { headSeq: count, results, listedAfter: 0 };
}

describe('jsonPieces', () => {
  it('concatenates to exactly JSON.stringify of the value', () => {
    const values: unknown[] = [
      bigAnswer(3),
      bigAnswer(JSON_SLICE_ELEMENTS),
      bigAnswer(JSON_SLICE_ELEMENTS + 1),
      bigAnswer(3 * JSON_SLICE_ELEMENTS + 7),
      { a: undefined, b: () => 1, c: [undefined, 1], d: new Date(0), e: 'x', long: Array.from({ length: 600 }, (_, i) => (i % 7 === 0 ? undefined : { i, s: '"\u2028' })) },
      { first: undefined, long: Array.from({ length: 300 }, (_, i) => i), last: undefined },
      { toJSON: () => ({ replaced: true }) },
      { entries: Object.assign(Array.from({ length: 400 }, (_, i) => i), { toJSON: () => 'array replaced' }) },
      [1, 2, 3],
      'text',
      42,
      null,
      {},
    ];
    for (const value of values) expect([...jsonPieces(value)].join('')).toBe(JSON.stringify(value));
  });

  it('never serializes a long answer as one piece: no piece is longer than a slice of its list', () => {
    const answer = bigAnswer(10_000);
    const whole = JSON.stringify(answer).length;
    const pieces = [...jsonPieces(answer)];
    const longest = Math.max(...pieces.map((piece) => piece.length));
    expect(pieces.length).toBeGreaterThan(10_000 / JSON_SLICE_ELEMENTS);
    expect(longest).toBeLessThan(whole / 20);
  });
});

describe('sendJson', () => {
  let server: http.Server;
  let url: string;
  const answers = new Map<string, unknown>([
    ['/big', bigAnswer(10_000)],
    ['/small', { ok: true }],
    ['/medium', bigAnswer(20)],
  ]);

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      void sendJson(request, response, 200, answers.get(request.url ?? ''));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** The raw answer, without the client undoing the gzip. */
  async function raw(path: string, gzip: boolean): Promise<{ encoding: string | undefined; length: number; text: string }> {
    return new Promise((resolve, reject) => {
      const request = http.get(`${url}${path}`, { headers: gzip ? { 'accept-encoding': 'gzip' } : {} }, (response) => {
        const parts: Buffer[] = [];
        response.on('data', (part: Buffer) => parts.push(part));
        response.on('end', () => {
          const body = Buffer.concat(parts);
          const encoding = response.headers['content-encoding'];
          expect(Number(response.headers['content-length'])).toBe(body.length);
          resolve({ encoding, length: body.length, text: (encoding === 'gzip' ? gunzipSync(body) : body).toString('utf8') });
        });
        response.on('error', reject);
      });
      request.on('error', reject);
    });
  }

  it.each(['/big', '/medium', '/small'])('answers %s as exactly its JSON, gzipped when asked and worth it, with its length', async (path) => {
    const expected = JSON.stringify(answers.get(path));
    const zipped = await raw(path, true);
    expect(zipped.text).toBe(expected);
    expect(zipped.encoding).toBe(path === '/small' ? undefined : 'gzip');
    const plain = await raw(path, false);
    expect(plain.encoding).toBeUndefined();
    expect(plain.text).toBe(expected);
  });
});
