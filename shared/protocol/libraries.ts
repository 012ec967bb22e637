// Libraries: server-side sync roots, owned by one user and shareable read-write or read-only.

import { z } from 'zod';
import {
  PROTOCOL_LIMITS,
  chunkingParamsSchema,
  idSchema,
  remoteTextSchema,
  sequenceSchema,
  timestampSchema,
  userNameSchema,
} from './common.js';
import { isWellFormedUnicode } from '../paths.js';

/** What the calling user may do in a library. */
export const libraryRoleSchema = z.enum(['owner', 'rw', 'ro']);
export type LibraryRole = z.output<typeof libraryRoleSchema>;

/** Roles that can be granted to another user. */
export const memberRoleSchema = z.enum(['rw', 'ro']);
export type MemberRole = z.output<typeof memberRoleSchema>;

/** A library name: trimmed, 1-200 characters, no control characters, NFC. */
export const libraryNameSchema = z
  .string()
  .min(1)
  .max(PROTOCOL_LIMITS.maxLibraryNameLength)
  // eslint-disable-next-line no-control-regex
  .refine((name) => !/[\u0000-\u001f\u007f]/.test(name), 'library names cannot contain control characters')
  .refine((name) => name.trim() === name, 'library names cannot start or end with white space')
  .refine(isWellFormedUnicode, 'library names must be well-formed Unicode (no lone surrogate)')
  .refine((name) => name.normalize('NFC') === name, 'library names must be NFC-normalized');

export const librarySchema = z.object({
  id: idSchema,
  name: remoteTextSchema,
  ownerId: idSchema,
  owner: userNameSchema,
  /** The calling user's role. */
  role: libraryRoleSchema,
  /** Fixed at creation; every client of the library must cut chunks with these parameters. */
  chunking: chunkingParamsSchema,
  /** The library's sequence: the rev of its latest committed change, 0 before the first. */
  headSeq: sequenceSchema,
  createdAt: timestampSchema,
  /** Set while the library is in the trash. */
  deletedAt: timestampSchema.nullable(),
  /** The sizes of the library's current files: what it counts against its owner's quota. Absent from older servers. */
  sizeBytes: z.int().min(0).optional(),
  // Lets a round skip listing the library's conflicts when none is open (absent from older servers):
  /** How many conflicts of the library are open on the server; only `getLibrary` answers it. */
  openConflicts: z.int().min(0).optional(),
});
export type Library = z.output<typeof librarySchema>;

/**
 * A user's storage: the sizes of the current files of the live libraries they own (history,
 * deleted files and libraries in the trash do not count), and their quota (null: no limit).
 */
export const storageUsageSchema = z.object({
  usedBytes: z.int().min(0),
  quotaBytes: z.int().min(0).nullable(),
});
export type StorageUsage = z.output<typeof storageUsageSchema>;

export const createLibraryRequestSchema = z.strictObject({
  name: libraryNameSchema,
  /** Defaults to DEFAULT_CHUNKING from shared/model.ts. */
  chunking: chunkingParamsSchema.optional(),
});
export type CreateLibraryRequest = z.input<typeof createLibraryRequestSchema>;

export const renameLibraryRequestSchema = z.strictObject({ name: libraryNameSchema });
export type RenameLibraryRequest = z.input<typeof renameLibraryRequestSchema>;

export const libraryListResponseSchema = z.object({
  libraries: z.array(librarySchema),
  /** The caller's own storage. Absent from older servers. */
  storage: storageUsageSchema.optional(),
});
export type LibraryListResponse = z.output<typeof libraryListResponseSchema>;

export const memberSchema = z.object({
  userId: idSchema,
  user: userNameSchema,
  role: libraryRoleSchema,
});
export type Member = z.output<typeof memberSchema>;

/** The owner first, then the other members by name. */
export const memberListResponseSchema = z.object({ members: z.array(memberSchema) });
export type MemberListResponse = z.output<typeof memberListResponseSchema>;

export const setMemberRequestSchema = z.strictObject({ role: memberRoleSchema });
export type SetMemberRequest = z.input<typeof setMemberRequestSchema>;
