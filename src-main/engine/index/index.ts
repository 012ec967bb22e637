// The client's local index (SQLite): the only module that imports better-sqlite3.
export { IndexTooNewError, MIGRATIONS, SCHEMA_VERSION } from './migrations.js';
export type { Migration } from './migrations.js';
export { UnknownLibraryError, openIndex } from './openIndex.js';
export type { EntryTable, Index } from './openIndex.js';
export type {
  ConflictRecord,
  ConflictSide,
  LibraryId,
  LibraryRecord,
  LibraryState,
  LibraryUpdate,
  NewConflict,
  NewLibrary,
  PendingCommit,
  ProblemInput,
  ProblemKind,
  ProblemRecord,
  ProblemScope,
  ProfileSettingKey,
  ProfileSettings,
} from './indexRecords.js';
