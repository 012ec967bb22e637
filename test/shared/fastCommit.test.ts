// The server's fast path for commit requests against the zod schema it stands in for: on valid
// requests of every plain shape and on thousands of malformed ones, it accepts only what the
// schema accepts, with the same output; and the commit route takes it for a plain commit.

import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CHUNK_SIZE_LIMITS } from '../../shared/model.js';
import { MTIME_LIMITS, PROTOCOL_LIMITS, commitChangeSchema, commitRequestSchema } from '../../shared/protocol/index.js';
import { fastCommitChange, fastCommitRequest } from '../../shared/protocol/fastCommit.js';
import { randomSource as random } from '../sync/support/seededRandom.js';
import { agrees, expectAgreementOnMalformations, mutate } from './support/fastPathAgreement.js';
import type { FastPathCase } from './support/fastPathAgreement.js';

const hex = (seed: number): string => seed.toString(16).padStart(2, '0').repeat(32);

const validChanges: Record<string, unknown>[] = [
  { op: 'put', path: 'a.txt', baseRev: null, size: 5, mtimeMs: 1_700_000_000_000.5, executable: false, chunks: [{ id: hex(1), size: 5 }], contentHash: hex(2) },
  { op: 'put', path: '文件/名 1.bin', baseRev: 7, size: 0, mtimeMs: MTIME_LIMITS.maxMs, executable: true, chunks: [], contentHash: '' },
  { op: 'put', path: 'n/f', baseRev: 3, size: 10, mtimeMs: 0, executable: false, chunks: [{ id: hex(4), size: CHUNK_SIZE_LIMITS.max }, { id: hex(5), size: 1, extra: 'dropped' }], contentHash: hex(6) },
  { op: 'mkdir', path: 'docs/sub', baseRev: null },
  { op: 'mkdir', path: 'docs', baseRev: 9_007_199_254_740_991 },
  { op: 'delete', path: 'old', baseRev: 2 },
  { op: 'move', from: 'a', to: 'b/c', baseRev: 4, toBaseRev: null },
  { op: 'move', from: 'x', to: 'y', baseRev: 1, toBaseRev: 8 },
];

const badValues: unknown[] = [
  undefined, null, true, false, 0, -0, -1, 1.5, 2 ** 53, Number.NaN, Infinity, -Infinity, MTIME_LIMITS.maxMs + 1, '', 'x', ' x ', '../up', 'a/../b',
  '/abs', 'a\\b', 'a//b', './a', 'a/', 'x\u0000y', '\ud800', hex(1).toUpperCase(), hex(1).slice(1), `${hex(1)}0`, [], [{}], {},
  [{ id: hex(1), size: 0 }], [{ id: hex(1), size: CHUNK_SIZE_LIMITS.max + 1 }], [{ id: hex(1), size: 1.5 }], [{ id: 'zz', size: 5 }], [null],
  'put', 'mkdir', 'delete', 'move', 'rename', [{ at: 0, remove: 1, insert: [] }], new Date(0), Object.create(null),
];

const keys = ['op', 'path', 'from', 'to', 'baseRev', 'toBaseRev', 'size', 'mtimeMs', 'executable', 'chunks', 'chunkEdits', 'contentHash', 'other'];

const check: FastPathCase = { fast: fastCommitChange, schema: commitChangeSchema, valid: validChanges, keys, badValues };

describe('fast commit request validation', () => {
  it('accepts every valid plain change with the output zod gives', () => {
    for (const change of validChanges) expect(agrees(check, change)).toEqual({ fast: true, zod: true });
  });

  it('never accepts a change zod refuses, nor outputs other than zod, over single and random malformations', () => {
    expectAgreementOnMalformations(check);
  });

  it('declines a put with chunkEdits (zod decides it)', () => {
    const edited = { op: 'put', path: 'a', baseRev: 3, size: 5, mtimeMs: 1, executable: false, chunkEdits: [{ at: 0, remove: 1, insert: [{ id: hex(1), size: 5 }] }], contentHash: hex(2) };
    expect(commitChangeSchema.safeParse(edited).success).toBe(true);
    expect(fastCommitChange(edited)).toBeUndefined();
  });

  it('parses whole requests to the same output as the schema, and declines every request the schema refuses', () => {
    const next = random(11);
    let accepted = 0;
    let refused = 0;
    const requests: unknown[] = [];
    for (let i = 0; i < 800; i++) {
      const changes: unknown[] = validChanges.map((change) => (next() < 0.05 ? mutate(check, change, next) : change));
      const request: Record<string, unknown> = { changes };
      const roll = next();
      if (roll < 0.1) request.device = '  laptop  ';
      else if (roll < 0.15) request.device = badValues[Math.floor(next() * badValues.length)];
      else if (roll < 0.18) request.device = 'x'.repeat(PROTOCOL_LIMITS.maxDeviceNameLength + 1);
      else if (roll < 0.2) request.other = 1;
      else if (roll < 0.22) request.changes = [];
      else if (roll < 0.24) request.changes = 'nope';
      requests.push(request);
    }
    requests.push({ changes: new Array(PROTOCOL_LIMITS.maxChangesPerCommit + 1).fill(validChanges[3]) });
    requests.push({ changes: new Array(PROTOCOL_LIMITS.maxChangesPerCommit).fill(validChanges[3]) });
    requests.push(null, [], 'x', { device: 'd' });
    for (const request of requests) {
      const fast = fastCommitRequest(request);
      const zod = commitRequestSchema.safeParse(request);
      if (zod.success) accepted += 1;
      else refused += 1;
      if (fast !== undefined) {
        expect(zod.success).toBe(true);
        expect(isDeepStrictEqual(fast, zod.data)).toBe(true);
      }
    }
    expect(accepted).toBeGreaterThan(200);
    expect(refused).toBeGreaterThan(100);
  });

  it('takes the fast path for a request of plain changes, with the device name trimmed as the schema does', () => {
    const request = { device: '  laptop  ', changes: validChanges };
    const fast = fastCommitRequest(request);
    expect(fast).toBeDefined();
    expect(fast?.device).toBe('laptop');
    expect(isDeepStrictEqual(fast, commitRequestSchema.parse(request))).toBe(true);
  });

  it('keeps a change that already is exactly what the schema outputs, and copies one zod would strip', () => {
    const parsed = JSON.parse(JSON.stringify({ changes: validChanges })) as { changes: Record<string, unknown>[] };
    const fast = fastCommitRequest(parsed);
    expect(fast).toBeDefined();
    for (const [index, change] of parsed.changes.entries()) {
      const strips = index === 2; // a chunk with an extra key
      if (strips) expect(fast?.changes[index]).not.toBe(change);
      else expect(fast?.changes[index]).toBe(change);
    }
    expect(isDeepStrictEqual(fast, commitRequestSchema.parse(parsed))).toBe(true);
  });
});
