// Safe local file operations: the one owner of node:fs writes into a library.
export { checkLocalName, checkLocalPath } from './checkLocalName.js';
export type { LocalNameCheck, LocalNameProblem } from './checkLocalName.js';
export { cleanupTempFiles } from './cleanupTempFiles.js';
export type { CleanupResult } from './cleanupTempFiles.js';
export { deleteFileIfUnchanged, deleteFolderIfEmpty, isDisposableName } from './deleteIfUnchanged.js';
export type { DeleteFileResult, DeleteFolderResult } from './deleteIfUnchanged.js';
export { expectationFromLocalEntry, matchesExpectation, observe } from './expectation.js';
export type { Expectation, ObservedNode } from './expectation.js';
export { fsErrorCode } from './fsErrorCode.js';
export { mkdirSafe } from './mkdirSafe.js';
export type { MkdirResult } from './mkdirSafe.js';
export { moveIfUnchanged } from './moveIfUnchanged.js';
export type { MoveResult } from './moveIfUnchanged.js';
export { UnsafePathError, resolveInRoot } from './resolveInRoot.js';
export type { Refusal, UnsafePathReason } from './resolveInRoot.js';
export { PARTIAL_FILE_PREFIX, TEMP_FILE_PREFIX, isPartialFileName, isTempFileName, partialFileName } from './tempFileName.js';
export { withExecutable, writeFileAtomic } from './writeFileAtomic.js';
export type { WriteFileOptions, WriteFileResult } from './writeFileAtomic.js';
