// What the conflict dialog offers and sends: the ways out open for each kind of conflict (and
// why one is closed), requests that always carry the preview's version tokens, a merge that
// cannot be sent until every overlap is chosen, and which conflicts count as "similar".

import { describe, expect, it } from 'vitest';
import type { ConflictDetails, ConflictView, KeepChoice } from '../../shared/api/index.js';
import { MAX_BATCH_CONFLICTS, conflictDetailsSchema, conflictVersionSchema, conflictViewSchema, diffViewData, mergeResultView } from '../../shared/api/index.js';
import { buildDiffView, decodeText, mergeThreeWay } from '../../shared/merge/index.js';
import { batchRequests, canApplyToSimilar, resolutionOptions, resolveRequest, similarConflicts } from '../../src-renderer/conflicts/conflictResolution.js';
import { noChoices, withChoice } from '../../src-renderer/conflicts/mergeChoices.js';

const decode = (text: string) => decodeText(new TextEncoder().encode(text))!;

type ViewFields = Omit<Partial<ConflictView>, 'path' | 'conflictPath'> & { path?: string; conflictPath?: string | null };

/** A conflict as the service lists it (validated, so the paths are library paths). */
function conflictView(overrides: ViewFields = {}): ConflictView {
  return conflictViewSchema.parse({
    conflictId: 1,
    libraryId: 'lib-docs',
    libraryName: 'Documents',
    path: 'notes.txt',
    conflictPath: 'notes (conflict laptop 2026-01-02 030405).txt',
    local: { kind: 'file', size: 10, mtimeMs: 1, device: 'laptop', user: 'ann' },
    remote: { kind: 'file', size: 12, mtimeMs: 2, device: 'desktop', user: 'ann' },
    baseKnown: true,
    contentKind: 'text',
    createdAt: 1_700_000_000_000,
    ...overrides,
  });
}

const version = (path: string, token: string | null, kind: 'file' | 'dir' | 'missing' = 'file') =>
  conflictVersionSchema.parse({
  path,
  kind,
  size: kind === 'file' ? 10 : null,
  mtimeMs: kind === 'file' ? 1 : null,
  contentHash: kind === 'file' ? `hash-${token}` : null,
  device: null,
  user: null,
  rev: null,
  committedAt: null,
    versionToken: token,
  });

/** Details of a text conflict merged from these three versions (null base: none known). */
function textDetails(base: string | null, mine: string, theirs: string, overrides: Partial<ConflictDetails> = {}): ConflictDetails {
  const conflict = conflictView({ baseKnown: base !== null });
  const merge = base === null ? null : mergeThreeWay(decode(base), decode(mine), decode(theirs));
  const details: ConflictDetails = {
    conflict,
    local: version(conflict.conflictPath!, 'token-local'),
    remote: version(conflict.path, 'token-remote'),
    base: null,
    baseStatus: base === null ? 'unknown' : 'available',
    preview: { kind: 'text', diff: diffViewData(buildDiffView(decode(mine), decode(theirs))), merge: merge === null ? null : mergeResultView(merge) },
    ...overrides,
  };
  // The fixtures are what the service may answer.
  return conflictDetailsSchema.parse(details);
}

const CLEAN = ['a\nb\nc\nd\ne\n', 'A\nb\nc\nd\ne\n', 'a\nb\nc\nd\nE\n'] as const;
const OVERLAPPING = ['x\n', 'x by me\n', 'x by them\n'] as const;

function optionsOf(details: ConflictDetails): Record<string, string | null> {
  return Object.fromEntries(resolutionOptions(details).map((option) => [option.keep, option.unavailable]));
}

describe('the ways out', () => {
  it.each<{ name: string; details: () => ConflictDetails; expected: Record<string, string | null> }>([
    { name: 'text with a known base: all four', details: () => textDetails(...CLEAN), expected: { local: null, remote: null, both: null, merged: null } },
    { name: 'text created on both sides: no merge', details: () => textDetails(null, 'a\n', 'b\n'), expected: { local: null, remote: null, both: null, merged: 'base-unknown' } },
    {
      name: 'text whose base left the history: no merge',
      details: () => textDetails(...CLEAN, { baseStatus: 'unavailable', preview: { kind: 'text', diff: diffViewData(buildDiffView(decode('a\n'), decode('b\n'))), merge: null } }),
      expected: { local: null, remote: null, both: null, merged: 'base-unavailable' },
    },
    {
      name: 'an image: no merge offered at all',
      details: () => textDetails(...CLEAN, { preview: { kind: 'image', local: null, remote: null } }),
      expected: { local: null, remote: null, both: null },
    },
    {
      name: 'the copy is gone: only keep both',
      details: () => textDetails(...CLEAN, { local: version('notes (conflict laptop 2026-01-02 030405).txt', null, 'missing'), preview: { kind: 'none', reason: 'missing' } }),
      expected: { local: 'copy-missing', remote: 'copy-missing', both: null },
    },
    {
      name: 'a folder under the name: mine cannot replace it',
      details: () => textDetails(...CLEAN, { remote: version('notes.txt', null, 'dir'), preview: { kind: 'none', reason: 'folder' } }),
      expected: { local: 'name-not-file', remote: null, both: null },
    },
  ])('$name', ({ details, expected }) => {
    expect(optionsOf(details())).toEqual(expected);
  });

  it('without a conflict copy offers only to keep what is there', () => {
    const details = textDetails(...CLEAN);
    const withoutCopy = { ...details, conflict: { ...details.conflict, conflictPath: null } };
    expect(resolutionOptions(withoutCopy)).toEqual([{ keep: 'both', unavailable: null }]);
    expect(resolveRequest(withoutCopy, 'local', [])).toBeNull();
  });
});

describe('requests', () => {
  it.each<KeepChoice>(['local', 'remote', 'both'])('keep %s carries the preview’s version tokens', (keep) => {
    expect(resolveRequest(textDetails(...CLEAN), keep, [])).toEqual({ conflictId: 1, keep, versions: { local: 'token-local', remote: 'token-remote' } });
  });

  it('leaves the tokens out when a side has none to give (a missing copy)', () => {
    const details = textDetails(...CLEAN, { local: version('notes (conflict laptop 2026-01-02 030405).txt', null, 'missing'), preview: { kind: 'none', reason: 'missing' } });
    expect(resolveRequest(details, 'both', [])).toEqual({ conflictId: 1, keep: 'both' });
  });

  it('a clean merge is sent with no choices', () => {
    expect(resolveRequest(textDetails(...CLEAN), 'merged', [])).toEqual({ conflictId: 1, keep: 'merged', versions: { local: 'token-local', remote: 'token-remote' }, choices: [] });
  });

  it('a merge with an overlap waits for its choice', () => {
    const details = textDetails(...OVERLAPPING);
    const merge = details.preview.kind === 'text' ? details.preview.merge! : null;
    const none = noChoices(merge!);
    expect(resolveRequest(details, 'merged', none)).toBeNull();
    expect(resolveRequest(details, 'merged', withChoice(none, 0, 'theirs-then-mine'))).toEqual({
      conflictId: 1,
      keep: 'merged',
      versions: { local: 'token-local', remote: 'token-remote' },
      choices: ['theirs-then-mine'],
    });
  });

  it('never sends a closed way out', () => {
    expect(resolveRequest(textDetails(null, 'a\n', 'b\n'), 'merged', [])).toBeNull();
  });

  it('never sends choices that do not fit the merge', () => {
    expect(resolveRequest(textDetails(...OVERLAPPING), 'merged', ['mine', 'mine'])).toBeNull();
  });
});

describe('similar conflicts', () => {
  const target = conflictView({ conflictId: 1 });
  const cases: readonly { name: string; candidate: ConflictView; similar: boolean; similarForMerge: boolean }[] = [
    { name: 'another text conflict in the library', candidate: conflictView({ conflictId: 2, path: 'b.txt' }), similar: true, similarForMerge: true },
    { name: 'text without a known base', candidate: conflictView({ conflictId: 3, baseKnown: false }), similar: true, similarForMerge: false },
    { name: 'another library', candidate: conflictView({ conflictId: 4, libraryId: 'lib-photos' }), similar: false, similarForMerge: false },
    { name: 'an image', candidate: conflictView({ conflictId: 5, path: 'a.png', contentKind: 'image' }), similar: false, similarForMerge: false },
    {
      name: 'an edit against a deletion',
      candidate: conflictView({ conflictId: 6, remote: { kind: 'deleted', device: null, user: null }, contentKind: null, conflictPath: null }),
      similar: false,
      similarForMerge: false,
    },
    { name: 'the conflict itself', candidate: target, similar: false, similarForMerge: false },
  ];

  it.each(cases)('$name', ({ candidate, similar, similarForMerge }) => {
    expect(similarConflicts(target, [candidate], 'local').length).toBe(similar ? 1 : 0);
    expect(similarConflicts(target, [candidate], 'merged').length).toBe(similarForMerge ? 1 : 0);
  });

  it('images are similar to images', () => {
    const image = conflictView({ conflictId: 10, path: 'a.png', contentKind: 'image' });
    const other = conflictView({ conflictId: 11, path: 'b.jpg', contentKind: 'image' });
    expect(similarConflicts(image, [image, other, target], 'both')).toEqual([other]);
  });

  it('offers a batch merge only from a clean merge', () => {
    expect(canApplyToSimilar(textDetails(...CLEAN), 'merged')).toBe(true);
    expect(canApplyToSimilar(textDetails(...OVERLAPPING), 'merged')).toBe(false);
    expect(canApplyToSimilar(textDetails(...OVERLAPPING), 'remote')).toBe(true);
  });

  it('splits a large batch to fit the service’s limit', () => {
    const ids = Array.from({ length: MAX_BATCH_CONFLICTS * 2 + 1 }, (_, index) => index + 1);
    const requests = batchRequests(ids, 'remote');
    expect(requests.map((request) => request.conflictIds.length)).toEqual([MAX_BATCH_CONFLICTS, MAX_BATCH_CONFLICTS, 1]);
    expect(requests.flatMap((request) => request.conflictIds)).toEqual(ids);
    expect(requests.every((request) => request.keep === 'remote')).toBe(true);
    expect(batchRequests([], 'remote')).toEqual([]);
  });
});
