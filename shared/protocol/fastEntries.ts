// A fast path for the two answers that list thousands of versions, the change feed and the
// commit answer: zod spent ~7x JSON.parse on them (160 ms for 10,000 entries on a cold
// process). Each entry of the common shape (no chunkDelta, no movedSubtree) is checked by hand
// against exactly the rules of entrySchema and built as zod would output it; anything else (an
// entry of another shape, any doubt, any error) sends the whole answer through its zod schema,
// which then decides and words the error. So the fast path can only ever accept what the schema
// accepts, with the same output, never more: paths are still checked by checkLibraryPath.

import { CHUNK_ID_PATTERN, CHUNK_SIZE_LIMITS } from '../model.js';
import type { ChunkRef } from '../model.js';
import { escapeControlCharacters } from '../displayText.js';
import { checkLibraryPath } from '../paths.js';
import type { LibraryPath } from '../paths.js';
import type { ChangesResponse } from './changes.js';
import { changesResponseSchema } from './changes.js';
import type { ChangeResult, CommitResponse } from './commit.js';
import { commitResponseSchema } from './commit.js';
import type { Entry } from './entries.js';

const CONTENT_HASH_PATTERN = /^([0-9a-f]{64})?$/;

/** A plain object as JSON.parse makes them (anything else is left to zod). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  return Object.getPrototypeOf(value) === Object.prototype;
}

const isInt = (value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;

const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

const isPath = (value: unknown): value is LibraryPath => typeof value === 'string' && checkLibraryPath(value).ok;

export function fastChunks(value: unknown): ChunkRef[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const chunks: ChunkRef[] = new Array<ChunkRef>(value.length);
  for (let i = 0; i < value.length; i++) {
    const chunk: unknown = value[i];
    if (!isPlainObject(chunk)) return undefined;
    const { id, size } = chunk;
    if (typeof id !== 'string' || !CHUNK_ID_PATTERN.test(id) || !isInt(size, 1, CHUNK_SIZE_LIMITS.max)) return undefined;
    chunks[i] = { id, size } as ChunkRef;
  }
  return chunks;
}

/**
 * The entry zod's entrySchema would output for `value`, when `value` has the common shape and
 * the schema accepts it; undefined otherwise (the caller then asks zod).
 */
export function fastEntry(value: unknown): Entry | undefined {
  if (!isPlainObject(value)) return undefined;
  // Shapes this path does not handle: left to zod (an absent key and a key set to undefined
  // are told apart here only by being both left to zod).
  if ('chunkDelta' in value || 'movedSubtree' in value) return undefined;
  const { path, kind, deleted, rev, size, mtimeMs, executable, contentHash, movedFrom, movedTo, device, userName, committedAt } = value;
  if (!isPath(path)) return undefined;
  if (kind !== 'file' && kind !== 'dir') return undefined;
  if (typeof deleted !== 'boolean' || typeof executable !== 'boolean') return undefined;
  if (!isInt(rev, 1) || !isInt(size, 0) || !isFiniteNumber(mtimeMs)) return undefined;
  if (typeof contentHash !== 'string' || !CONTENT_HASH_PATTERN.test(contentHash)) return undefined;
  if ('movedFrom' in value && !isPath(movedFrom)) return undefined;
  if ('movedTo' in value && !isPath(movedTo)) return undefined;
  if (typeof device !== 'string' || typeof userName !== 'string') return undefined;
  if (!isFiniteNumber(committedAt) || committedAt < 0) return undefined;
  const chunks = fastChunks(value.chunks);
  if (chunks === undefined) return undefined;
  const entry: Entry = {
    path,
    kind,
    deleted,
    rev,
    size,
    mtimeMs,
    executable,
    chunks,
    contentHash: contentHash as Entry['contentHash'],
    device: escapeControlCharacters(device),
    userName: escapeControlCharacters(userName),
    committedAt,
  };
  if ('movedFrom' in value) entry.movedFrom = movedFrom as LibraryPath;
  if ('movedTo' in value) entry.movedTo = movedTo as LibraryPath;
  return entry;
}

/** Every element through fastEntry, or undefined if one is not of the fast shape. */
function fastEntryList(value: unknown): Entry[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const entries: Entry[] = new Array<Entry>(value.length);
  for (let i = 0; i < value.length; i++) {
    const entry = fastEntry(value[i]);
    if (entry === undefined) return undefined;
    entries[i] = entry;
  }
  return entries;
}

type Parsed<T> = { success: true; data: T } | { success: false; error: { message: string } };

/** changesResponseSchema.safeParse(value), with the entries checked by the fast path when they all fit it. */
export function parseChangesAnswer(value: unknown): Parsed<ChangesResponse> {
  if (isPlainObject(value)) {
    const entries = fastEntryList(value.entries);
    if (entries !== undefined) {
      // The rest of the answer (cursor, heads, damaged chunks) by the schema itself.
      const rest = changesResponseSchema.safeParse({ ...value, entries: [] });
      if (rest.success) return { success: true, data: { ...rest.data, entries } };
    }
  }
  return changesResponseSchema.safeParse(value);
}

/** commitResponseSchema.safeParse(value), with the applied results' entries checked by the fast path when they all fit it. */
export function parseCommitAnswer(value: unknown): Parsed<CommitResponse> {
  if (isPlainObject(value) && Array.isArray(value.results)) {
    const results: unknown[] = value.results;
    const fast = new Map<number, ChangeResult>();
    let ok = true;
    for (let i = 0; i < results.length && ok; i++) {
      const result = results[i];
      if (!isPlainObject(result) || result.status !== 'applied') continue;
      const entry = fastEntry(result.entry);
      ok = entry !== undefined && isInt(result.index, 0);
      if (ok) fast.set(i, { index: result.index as number, status: 'applied', entry: entry! });
    }
    if (ok) {
      // The other results (conflicts) and the rest of the answer by the schema itself, in place.
      const rest = commitResponseSchema.safeParse({ ...value, results: results.filter((_, i) => !fast.has(i)) });
      if (rest.success) {
        let next = 0;
        const data = { ...rest.data, results: results.map((_, i) => fast.get(i) ?? rest.data.results[next++]!) };
        return { success: true, data };
      }
    }
  }
  return commitResponseSchema.safeParse(value);
}
