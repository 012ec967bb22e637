// Conflicts as library state: when a client keeps its version of a file as a conflict copy, it
// reports the conflict to the server, and every client of the library lists the open ones;
// resolving it on one computer closes it for all. A server without these routes answers 404,
// and clients then keep their conflicts to themselves, as before.

import { z } from 'zod';
import { deviceNameSchema, libraryPathSchema, remoteTextSchema, revisionSchema, timestampSchema, userNameSchema } from './common.js';

/** How a conflict was closed (the keep choice, or a clean merge the engine applied). */
export const conflictResolutionSchema = z.enum(['local', 'remote', 'both', 'merged', 'auto-merged']);
export type ConflictResolutionKind = z.output<typeof conflictResolutionSchema>;

/** One open conflict of a library. */
export const libraryConflictSchema = z.object({
  id: z.int().min(1),
  /** The path that keeps the server's version. */
  path: libraryPathSchema,
  /** Where the reporting device saved its own version (uploaded beside it). */
  conflictPath: libraryPathSchema,
  /** The version at `path` the copy lost to, and the merge base both started from, when known. */
  remoteRev: revisionSchema.nullable(),
  baseRev: revisionSchema.nullable(),
  /** The device and user whose version is the copy. */
  device: remoteTextSchema,
  userName: userNameSchema,
  createdAt: timestampSchema,
});
export type LibraryConflict = z.output<typeof libraryConflictSchema>;

/** The library's open conflicts, oldest first. */
export const libraryConflictListSchema = z.object({ conflicts: z.array(libraryConflictSchema) });
export type LibraryConflictList = z.output<typeof libraryConflictListSchema>;

/** Reports a conflict; reporting the same path and copy again answers the existing record. */
export const reportConflictRequestSchema = z.strictObject({
  path: libraryPathSchema,
  conflictPath: libraryPathSchema,
  remoteRev: revisionSchema.nullable(),
  baseRev: revisionSchema.nullable(),
  device: deviceNameSchema,
});
export type ReportConflictRequest = z.input<typeof reportConflictRequestSchema>;

/** Closes an open conflict (closing one already closed is not an error). */
export const resolveLibraryConflictRequestSchema = z.strictObject({ resolution: conflictResolutionSchema.nullable() });
export type ResolveLibraryConflictRequest = z.input<typeof resolveLibraryConflictRequestSchema>;
