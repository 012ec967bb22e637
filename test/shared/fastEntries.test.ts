// The fast path for the feed and the commit answer against the zod schemas it stands in for:
// on valid entries of every shape and on thousands of malformed ones, it accepts only what the
// schema accepts, with the same output, and whole answers parse to the same result or error.

import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CHUNK_SIZE_LIMITS } from '../../shared/model.js';
import { changesResponseSchema, commitResponseSchema, entrySchema } from '../../shared/protocol/index.js';
import { fastEntry, parseChangesAnswer, parseCommitAnswer } from '../../shared/protocol/fastEntries.js';
import { randomSource as random } from '../sync/support/seededRandom.js';
import { agrees, expectAgreementOnMalformations, mutate } from './support/fastPathAgreement.js';
import type { FastPathCase } from './support/fastPathAgreement.js';

const hex = (seed: number): string => seed.toString(16).padStart(2, '0').repeat(32);

const validEntries: Record<string, unknown>[] = [
  { path: 'a.txt', kind: 'file', deleted: false, rev: 1, size: 5, mtimeMs: 1_700_000_000_000.5, executable: false, chunks: [{ id: hex(1), size: 5000 }], contentHash: hex(2), device: 'laptop', userName: 'alice', committedAt: 1_700_000_000_000 },
  { path: 'docs/sub', kind: 'dir', deleted: false, rev: 7, size: 0, mtimeMs: 0, executable: false, chunks: [], contentHash: '', device: 'd', userName: 'u', committedAt: 0 },
  { path: '文件/名 1.bin', kind: 'file', deleted: true, rev: 9_007_199_254_740_991, size: 0, mtimeMs: -5, executable: true, chunks: [], contentHash: hex(3), device: 'evil\u001b[31m', userName: 'bob\u0007', committedAt: 3 },
  { path: 'n/f', kind: 'file', deleted: false, rev: 3, size: 10, mtimeMs: 1, executable: false, chunks: [{ id: hex(4), size: CHUNK_SIZE_LIMITS.max }, { id: hex(5), size: 1, extra: 'dropped' }], contentHash: hex(6), movedFrom: 'o/f', device: '', userName: '', committedAt: 1, unknownField: { nested: true } },
  { path: 'o/f', kind: 'file', deleted: true, rev: 4, size: 10, mtimeMs: 1, executable: false, chunks: [], contentHash: hex(6), movedTo: 'n/f', device: 'x', userName: 'y', committedAt: 2 },
];

const badValues: unknown[] = [
  undefined, null, true, 0, -0, -1, 1.5, 2 ** 53, Number.NaN, Infinity, -Infinity, '', 'x', '../up', 'a/../b', '/abs', 'C:/x', 'a\\b', 'a//b', './a',
  'a/', 'a/.', 'x\u0000y', '\ud800', hex(1).toUpperCase(), hex(1).slice(1), `${hex(1)}0`, [], [{}], {}, [{ id: hex(1), size: 0 }],
  [{ id: hex(1), size: CHUNK_SIZE_LIMITS.max + 1 }], [{ id: hex(1), size: 1.5 }], [{ id: 'zz', size: 5 }], [null], 'file', 'dir', 'folder',
  { baseRev: 1, edits: [] }, { moved: [], left: [] }, new Date(0), Object.create(null),
];

const keys = ['path', 'kind', 'deleted', 'rev', 'size', 'mtimeMs', 'executable', 'chunks', 'chunkDelta', 'contentHash', 'movedFrom', 'movedSubtree', 'movedTo', 'device', 'userName', 'committedAt', 'other'];

const check: FastPathCase = { fast: fastEntry, schema: entrySchema, valid: validEntries, keys, badValues };

describe('fast entry validation', () => {
  it('accepts every valid common-shape entry with the output zod gives', () => {
    for (const entry of validEntries) expect(agrees(check, entry)).toEqual({ fast: true, zod: true });
  });

  it('never accepts a value zod refuses, nor outputs other than zod, over single and random malformations', () => {
    expectAgreementOnMalformations(check);
  });

  it('declines the shapes it leaves to zod (chunk deltas, folded folder moves)', () => {
    const withDelta = { ...validEntries[0], chunks: [], chunkDelta: { baseRev: 1, edits: [] } };
    expect(fastEntry(withDelta)).toBeUndefined();
    expect(fastEntry({ ...validEntries[1], movedSubtree: { moved: [], left: [] } })).toBeUndefined();
  });

  it('parses whole feed pages and commit answers to the same result or the same error as their schemas', () => {
    const next = random(7);
    const answers: { feed: unknown; commit: unknown }[] = [];
    for (let i = 0; i < 600; i++) {
      const entries = validEntries.map((entry) => (next() < 0.1 ? mutate(check, entry, next) : entry));
      const feed: Record<string, unknown> = { entries, cursor: 9, headSeq: 9, hasMore: false, extra: 1 };
      if (next() < 0.2) feed.damagedChunks = next() < 0.5 ? [hex(1)] : ['bad'];
      if (next() < 0.1) feed.cursor = -1;
      if (next() < 0.05) feed.entries = 'nope';
      const results: unknown[] = entries.map((entry, index) => (next() < 0.2 ? { index, status: 'conflict', reason: 'stale-base', current: entry } : { index, status: 'applied', entry }));
      if (next() < 0.1) results.push({ index: -1, status: 'applied', entry: validEntries[0] });
      if (next() < 0.1) results.push({ index: 1, status: 'odd', entry: validEntries[0] });
      if (next() < 0.1) results.push(null);
      const commit: Record<string, unknown> = { headSeq: 9, results, ...(next() < 0.5 ? { listedAfter: next() < 0.8 ? 4 : -2 } : {}) };
      answers.push({ feed, commit });
    }
    let succeeded = 0;
    for (const { feed, commit } of answers) {
      for (const [fast, zod] of [
        [parseChangesAnswer(feed), changesResponseSchema.safeParse(feed)],
        [parseCommitAnswer(commit), commitResponseSchema.safeParse(commit)],
      ] as const) {
        expect(fast.success).toBe(zod.success);
        if (fast.success && zod.success) {
          succeeded += 1;
          expect(isDeepStrictEqual(fast.data, zod.data)).toBe(true);
        } else if (!fast.success && !zod.success) {
          expect(fast.error.message).toBe(zod.error.message);
        }
      }
    }
    expect(succeeded).toBeGreaterThan(200);
    expect(succeeded).toBeLessThan(1100);
  });
});
