// A fast path for the server's validation of a commit request, the largest JSON body a client
// sends (10,000 changes on a first sync). zod spent ~130 ms and several copies of every change
// on it. A request whose changes all have a plain shape (put with a whole chunk list, mkdir,
// delete, move) is checked by hand against exactly the rules of commitRequestSchema and built as
// zod would output it (a change that already is exactly that is kept as it is, not copied: the
// values are JSON.parse's, plain data without getters); anything else (a put with chunkEdits, any doubt) returns undefined and the
// caller hands the whole request to the schema, which then decides and words the error. So the
// fast path only ever accepts what the schema accepts, with the same output, never more.

import { hasControlCharacters } from '../displayText.js';
import { CHUNK_ID_PATTERN, CHUNK_SIZE_LIMITS } from '../model.js';
import { checkLibraryPath, isWellFormedUnicode } from '../paths.js';
import type { LibraryPath } from '../paths.js';
import type { Change } from './commit.js';
import type { CommitChange } from './commit.js';
import { MTIME_LIMITS, PROTOCOL_LIMITS } from './common.js';
import { fastChunks } from './fastEntries.js';

const CONTENT_HASH_PATTERN = /^([0-9a-f]{64})?$/;

/** A plain object as JSON.parse makes them (anything else is left to zod). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  return Object.getPrototypeOf(value) === Object.prototype;
}

const isInt = (value: unknown, min: number): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= min;

const isPath = (value: unknown): value is LibraryPath => typeof value === 'string' && checkLibraryPath(value).ok;

/** `value` has exactly the keys `keys` (own, enumerable, none missing, none more). */
function hasExactly(value: Record<string, unknown>, keys: readonly string[]): boolean {
  let count = 0;
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) return false;
    count += 1;
  }
  if (count !== keys.length) return false;
  for (const key of keys) if (!Object.prototype.hasOwnProperty.call(value, key)) return false;
  return true;
}

/**
 * Whether `value` is a chunk list zod accepts and would output unchanged: plain objects of
 * exactly a valid id and size. Such a put is returned as it is, not copied (a first sync's
 * commit holds 10,000 of them).
 */
function exactChunks(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) {
    const chunk: unknown = value[i];
    if (!isPlainObject(chunk) || !hasExactly(chunk, CHUNK_KEYS)) return false;
    const { id, size } = chunk;
    if (typeof id !== 'string' || !CHUNK_ID_PATTERN.test(id) || !isInt(size, 1) || size > CHUNK_SIZE_LIMITS.max) return false;
  }
  return true;
}

const CHUNK_KEYS = ['id', 'size'] as const;
const PUT_KEYS = ['op', 'path', 'baseRev', 'size', 'mtimeMs', 'executable', 'chunks', 'contentHash'] as const;
const MKDIR_KEYS = ['op', 'path', 'baseRev'] as const;
const DELETE_KEYS = ['op', 'path', 'baseRev'] as const;
const MOVE_KEYS = ['op', 'from', 'to', 'baseRev', 'toBaseRev'] as const;

/** The change commitChangeSchema would output for `value`, when it has a plain shape and the schema accepts it. */
export function fastCommitChange(value: unknown): CommitChange | undefined {
  if (!isPlainObject(value)) return undefined;
  switch (value.op) {
    case 'put': {
      if (!hasExactly(value, PUT_KEYS)) return undefined;
      const { path, baseRev, size, mtimeMs, executable, contentHash } = value;
      if (!isPath(path) || !(baseRev === null || isInt(baseRev, 1)) || !isInt(size, 0)) return undefined;
      if (typeof mtimeMs !== 'number' || !Number.isFinite(mtimeMs) || mtimeMs < MTIME_LIMITS.minMs || mtimeMs > MTIME_LIMITS.maxMs) return undefined;
      if (typeof executable !== 'boolean' || typeof contentHash !== 'string' || !CONTENT_HASH_PATTERN.test(contentHash)) return undefined;
      if (exactChunks(value.chunks)) return value as CommitChange; // already exactly what zod outputs
      const chunks = fastChunks(value.chunks);
      if (chunks === undefined) return undefined;
      const put: Change = { op: 'put', path, baseRev, size, mtimeMs, executable, chunks, contentHash: contentHash as Extract<Change, { op: 'put' }>['contentHash'] };
      return put;
    }
    case 'mkdir': {
      if (!hasExactly(value, MKDIR_KEYS)) return undefined;
      const { path, baseRev } = value;
      if (!isPath(path) || !(baseRev === null || isInt(baseRev, 1))) return undefined;
      return value as CommitChange;
    }
    case 'delete': {
      if (!hasExactly(value, DELETE_KEYS)) return undefined;
      const { path, baseRev } = value;
      if (!isPath(path) || !isInt(baseRev, 1)) return undefined;
      return value as CommitChange;
    }
    case 'move': {
      if (!hasExactly(value, MOVE_KEYS)) return undefined;
      const { from, to, baseRev, toBaseRev } = value;
      if (!isPath(from) || !isPath(to) || !isInt(baseRev, 1) || !(toBaseRev === null || isInt(toBaseRev, 1))) return undefined;
      return value as CommitChange;
    }
    default:
      return undefined;
  }
}

/** deviceNameSchema's output for `value`, or undefined when it might refuse it. */
function fastDeviceName(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const name = value.trim();
  if (name.length < 1 || name.length > PROTOCOL_LIMITS.maxDeviceNameLength) return undefined;
  if (hasControlCharacters(name) || !isWellFormedUnicode(name)) return undefined;
  return name;
}

/**
 * What commitRequestSchema.parse(value) outputs, when every part of the request has a plain
 * shape and the schema accepts it; undefined otherwise (the caller then asks the schema).
 */
export function fastCommitRequest(value: unknown): { device?: string; changes: CommitChange[] } | undefined {
  if (!isPlainObject(value)) return undefined;
  let keys = 0;
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key) || (key !== 'changes' && key !== 'device')) return undefined;
    keys += 1;
  }
  const list = value.changes;
  if (!Array.isArray(list) || list.length < 1 || list.length > PROTOCOL_LIMITS.maxChangesPerCommit) return undefined;
  const changes = new Array<CommitChange>(list.length);
  for (let i = 0; i < list.length; i++) {
    const change = fastCommitChange(list[i]);
    if (change === undefined) return undefined;
    changes[i] = change;
  }
  if (!('device' in value)) return keys === 1 ? { changes } : undefined;
  const device = fastDeviceName(value.device);
  return device === undefined ? undefined : { device, changes };
}
