// The rows both SQL metadata stores read, and the one mapping from a row to its record. The
// tables have the same columns in SQLite and PostgreSQL; only the drivers' types differ: a
// boolean is 0/1 from SQLite and true/false from PostgreSQL, a library's chunking is JSON text
// from SQLite and parsed jsonb from PostgreSQL.

import type { ChunkingParams, ChunkRef } from '../../shared/model.js';
import type { LibraryPath } from '../../shared/paths.js';
import type { Entry, LibraryRole } from '../../shared/protocol/index.js';
import type { LibraryAccess, LibraryConflictRecord, TokenRecord, UserRecord } from './metadataStore.js';

/** A SQL boolean as a driver returns it. */
export type SqlFlag = number | boolean;

const isSet = (flag: SqlFlag): boolean => flag === true || flag === 1;

export interface UserRow {
  id: string;
  name: string;
  admin: SqlFlag;
  password_hash: string;
  created_at: number;
  removed_at: number | null;
  /** The storage quota in bytes; null: no limit. */
  quota_bytes: number | string | null;
}

export interface TokenRow {
  id: string;
  user_id: string;
  device_name: string;
  created_at: number;
  last_used_at: number;
}

export interface LibraryRow {
  id: string;
  name: string;
  owner_id: string;
  owner_name: string;
  chunking: ChunkingParams | string;
  head_seq: number;
  created_at: number;
  deleted_at: number | null;
  live_bytes: number | string;
  role: LibraryRole;
}

export interface VersionRow {
  rev: number;
  path: string;
  kind: 'file' | 'dir';
  deleted: SqlFlag;
  size: number;
  mtime_ms: number;
  executable: SqlFlag;
  content_hash: string;
  chunks: Buffer;
  moved_from: string | null;
  moved_to: string | null;
  device: string;
  user_name: string;
  committed_at: number;
}

/** The columns of a version row, from `versions v`. */
export const VERSION_COLUMNS =
  'v.rev, v.path, v.kind, v.deleted, v.size, v.mtime_ms, v.executable, v.content_hash, v.chunks, v.moved_from, v.moved_to, v.device, v.user_name, v.committed_at';

const CHUNK_REF_BYTES = 36;

/** Chunk lists are stored as 36 bytes per chunk: the raw 32-byte id and a 4-byte big-endian size. */
export function encodeChunkList(chunks: readonly ChunkRef[]): Buffer {
  const buffer = Buffer.alloc(chunks.length * CHUNK_REF_BYTES);
  chunks.forEach((chunk, index) => {
    buffer.write(chunk.id, index * CHUNK_REF_BYTES, 32, 'hex');
    buffer.writeUInt32BE(chunk.size, index * CHUNK_REF_BYTES + 32);
  });
  return buffer;
}

export function decodeChunkList(buffer: Buffer): ChunkRef[] {
  const chunks: ChunkRef[] = [];
  for (let offset = 0; offset + CHUNK_REF_BYTES <= buffer.length; offset += CHUNK_REF_BYTES) {
    chunks.push({ id: buffer.toString('hex', offset, offset + 32), size: buffer.readUInt32BE(offset + 32) });
  }
  return chunks;
}

export function toEntry(row: VersionRow): Entry {
  const entry: Entry = {
    path: row.path as LibraryPath,
    kind: row.kind,
    deleted: isSet(row.deleted),
    rev: row.rev,
    size: row.size,
    mtimeMs: row.mtime_ms,
    executable: isSet(row.executable),
    chunks: decodeChunkList(row.chunks),
    contentHash: row.content_hash,
    device: row.device,
    userName: row.user_name,
    committedAt: row.committed_at,
  };
  return {
    ...entry,
    ...(row.moved_from === null ? {} : { movedFrom: row.moved_from as LibraryPath }),
    ...(row.moved_to === null ? {} : { movedTo: row.moved_to as LibraryPath }),
  };
}

export function toUser(row: UserRow): UserRecord {
  return {
    id: row.id,
    name: row.name,
    admin: isSet(row.admin),
    passwordHash: row.password_hash,
    createdAt: row.created_at,
    removedAt: row.removed_at,
    quotaBytes: row.quota_bytes === null ? null : Number(row.quota_bytes),
  };
}

export function toToken(row: TokenRow): TokenRecord {
  return { id: row.id, userId: row.user_id, deviceName: row.device_name, createdAt: row.created_at, lastUsedAt: row.last_used_at };
}

export function toLibrary(row: LibraryRow): LibraryAccess {
  return {
    id: row.id,
    name: row.name,
    ownerId: row.owner_id,
    ownerName: row.owner_name,
    chunking: typeof row.chunking === 'string' ? (JSON.parse(row.chunking) as ChunkingParams) : row.chunking,
    headSeq: row.head_seq,
    createdAt: row.created_at,
    deletedAt: row.deleted_at,
    liveBytes: Number(row.live_bytes),
    role: row.role,
  };
}

/** A conflict of a library; PostgreSQL's bigint columns may come back as text. */
export interface ConflictRow {
  id: number | string;
  library_id: string;
  path: string;
  conflict_path: string;
  remote_rev: number | string | null;
  base_rev: number | string | null;
  device: string;
  user_name: string;
  created_at: number | string;
  resolved_at: number | string | null;
}

export function toConflict(row: ConflictRow): LibraryConflictRecord {
  return {
    id: Number(row.id),
    libraryId: row.library_id,
    path: row.path as LibraryPath,
    conflictPath: row.conflict_path as LibraryPath,
    remoteRev: row.remote_rev === null ? null : Number(row.remote_rev),
    baseRev: row.base_rev === null ? null : Number(row.base_rev),
    device: row.device,
    userName: row.user_name,
    createdAt: Number(row.created_at),
    resolvedAt: row.resolved_at === null ? null : Number(row.resolved_at),
  };
}
