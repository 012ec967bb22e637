// The client's local index (SQLite): the only module that imports better-sqlite3.
export { IndexTooNewError, MIGRATIONS, SCHEMA_VERSION } from './migrations.js';
export type { Migration } from './migrations.js';
export { UnknownLibraryError, openIndex } from './openIndex.js';
export type { EntryTable, Index, SharedContent } from './openIndex.js';
export type {
  ConflictBase,
  ConflictRecord,
  ConflictResolution,
  ConflictSide,
  LibraryId,
  LibraryRecord,
  AccountRecord,
  NewAccount,
  LibraryState,
  LibraryUpdate,
  NewConflict,
  NewConflictSide,
  NewLibrary,
  PendingCommit,
  ProblemInput,
  ProblemKind,
  ProblemRecord,
  ProblemKey,
  ProblemScope,
  ProfileSettingKey,
  ProfileSettings,
} from './indexRecords.js';
