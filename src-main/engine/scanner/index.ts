// The scanner: walks a library folder and produces its local state.
export { FILE_CHANGED_ERROR_NAME, isFileChangedError } from './hashFile.js';
export type { HashFile, HashedFile } from './hashFile.js';
export { diskMatchesRecord } from './diskMatchesRecord.js';
export type { LocalSignature, RecordedState } from './diskMatchesRecord.js';
export { LibraryRootError } from './libraryRootError.js';
export type { LibraryRootProblem } from './libraryRootError.js';
export { SCAN_PROBLEM_KINDS, loadIgnoreMatcher, sameLocalEntry, scanLibrary } from './scanLibrary.js';
export type { ScanOptions, ScanResult, ScanStats } from './scanLibrary.js';
export type { ScanProblem, ScanProblemKind } from './scanProblem.js';
