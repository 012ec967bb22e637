// Which paths of a library Cairn leaves alone. A pure function of the library root's
// `.cairnignore` text (gitignore syntax, matched by the `ignore` package) plus built-in rules
// for temp and lock files that are always ignored.
//
// Ignored means "not ours": an ignored path is neither uploaded nor downloaded nor deleted. The
// planner must therefore apply the same matcher to the remote and synced states too, so that a
// rule added later makes a path disappear from all three states at once instead of looking
// like a local deletion.

import ignore from 'ignore';
import type { LibraryPath } from '../../../shared/paths.js';
import { TEMP_FILE_PREFIX } from '../localfs/tempFileName.js';

/** The name of the rules file, read only at the library root (nested files are not supported). */
export const IGNORE_FILE_NAME = '.cairnignore';

/**
 * Rules that apply whatever `.cairnignore` says: editors' and office suites' lock and swap
 * files, OS folder metadata, and Cairn's own temp files. They are matched case-insensitively,
 * because they come from tools on case-insensitive systems (Windows writes `THUMBS.DB` too),
 * and a `!` rule in `.cairnignore` cannot re-include them.
 *
 * There is no `.cairn/` rule: Cairn keeps no metadata inside libraries (the index lives in the
 * client profile), so a user folder of that name syncs like any other.
 */
export const BUILT_IN_IGNORE_RULES: readonly string[] = [
  '~$*', // Microsoft Office owner files
  '.~lock.*#', // LibreOffice lock files
  '*.tmp',
  '*.swp', // vim swap files
  '*.swx',
  '.DS_Store',
  'Thumbs.db',
  'desktop.ini',
  `${TEMP_FILE_PREFIX}*`,
];

export interface IgnoreMatcher {
  /**
   * True when `path` is ignored, by a built-in rule, by a `.cairnignore` rule or because a
   * folder above it is ignored. `isDirectory` must be true for folders: rules ending in '/'
   * match folders only.
   */
  isIgnored(path: LibraryPath, isDirectory: boolean): boolean;
  /**
   * The same answer for a path whose folder this matcher found not ignored (the scan asks it
   * about each name it lists in a folder it entered): the built-in rules are matched against
   * the last name only, since none of the folder's names matched them.
   */
  isIgnoredInFolder(path: LibraryPath, isDirectory: boolean): boolean;
  /** True when a `.cairnignore` holds rules (the built-in ones aside). */
  readonly userRules?: boolean;
}

/** Answers a matcher gives before it builds its `ignore` instance again (see isIgnored). */
const ANSWERS_PER_BUILD = 10_000;

/**
 * The built-in rules as one case-insensitive expression on a single name. None of them holds a
 * '/' (test/engine/ignore checks it, and that this answers as the `ignore` package does), so
 * each matches a name at any depth, and whatever is below a matched folder is ignored too: a
 * path is ignored by them when one of its names matches. About twenty times cheaper than the
 * `ignore` package, which every scanned, remote and synced path of every round goes through.
 */
const BUILT_IN_NAME = new RegExp(`^(?:${BUILT_IN_IGNORE_RULES.map((rule) => rule.split('*').map(escapeRegExp).join('[^/]*')).join('|')})$`, 'i');

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}

/** True when a name of `path` matches a built-in rule. */
function builtInIgnores(path: string): boolean {
  let start = 0;
  for (;;) {
    const end = path.indexOf('/', start);
    if (BUILT_IN_NAME.test(end === -1 ? path.slice(start) : path.slice(start, end))) return true;
    if (end === -1) return false;
    start = end + 1;
  }
}

/** True when the last name of `path` matches a built-in rule. */
function builtInIgnoresName(path: string): boolean {
  return BUILT_IN_NAME.test(path.slice(path.lastIndexOf('/') + 1));
}

/** True when gitignore text holds a rule: a line that is neither blank nor a comment. */
function holdsRules(text: string | undefined): text is string {
  return text !== undefined && text.split(/\r?\n/).some((line) => line.trim() !== '' && !line.startsWith('#'));
}

/**
 * Builds the matcher for a library from its `.cairnignore` text (undefined when the file does
 * not exist). User rules are case-sensitive, like git's default and like LibraryPath itself:
 * every device must ignore exactly the same paths, whatever its disk, or one device would
 * upload what another one hides.
 */
export function createIgnoreMatcher(ignoreFileText: string | undefined): IgnoreMatcher {
  if (!holdsRules(ignoreFileText)) return { isIgnored: (path) => builtInIgnores(path), isIgnoredInFolder: (path) => builtInIgnoresName(path) };
  const build = () => ignore({ ignorecase: false }).add(ignoreFileText);
  let user = build();
  let answers = 0;
  const userIgnores = (path: LibraryPath, isDirectory: boolean): boolean => {
    // The `ignore` package keeps the answer for every path (and folder above it) it was asked
    // about, for as long as it lives: 25 MB for a library of 100,000 files. Built again from
    // the rules every so often, its memory stays bounded, for a few microseconds per build.
    if (++answers > ANSWERS_PER_BUILD) {
      user = build();
      answers = 1;
    }
    // The `ignore` package tells folders from files by a trailing '/'.
    return user.ignores(isDirectory ? `${path}/` : path);
  };
  return {
    userRules: true,
    isIgnored: (path, isDirectory) => builtInIgnores(path) || userIgnores(path, isDirectory),
    isIgnoredInFolder: (path, isDirectory) => builtInIgnoresName(path) || userIgnores(path, isDirectory),
  };
}
