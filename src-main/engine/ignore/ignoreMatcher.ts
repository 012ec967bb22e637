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
}

/** Answers a matcher gives before it builds its `ignore` instances again (see isIgnored). */
const ANSWERS_PER_BUILD = 10_000;

/**
 * Builds the matcher for a library from its `.cairnignore` text (undefined when the file does
 * not exist). User rules are case-sensitive, like git's default and like LibraryPath itself:
 * every device must ignore exactly the same paths, whatever its disk, or one device would
 * upload what another one hides.
 */
export function createIgnoreMatcher(ignoreFileText: string | undefined): IgnoreMatcher {
  // Without user rules (the common case), only the built-in ones apply: one name test per
  // segment, some fifty times faster than the package, which a round asks about every path of
  // the library in its scan and again in its plan.
  if (!hasRules(ignoreFileText)) return { isIgnored: (path) => path.split('/').some((name) => BUILT_IN_NAME.test(name)) };
  const build = () => ({
    builtIn: ignore({ ignorecase: true }).add(BUILT_IN_IGNORE_RULES),
    user: ignore({ ignorecase: false }).add(ignoreFileText ?? ''),
  });
  let matchers = build();
  let answers = 0;
  return {
    isIgnored(path, isDirectory) {
      // The `ignore` package keeps the answer for every path (and folder above it) it was asked
      // about, for as long as it lives: 25 MB for a library of 100,000 files. Built again from
      // the rules every so often, its memory stays bounded, for a few microseconds per build.
      if (++answers > ANSWERS_PER_BUILD) {
        matchers = build();
        answers = 1;
      }
      // The `ignore` package tells folders from files by a trailing '/'.
      const subject = isDirectory ? `${path}/` : path;
      return matchers.builtIn.ignores(subject) || matchers.user.ignores(subject);
    },
  };
}

/**
 * The built-in rules as one test of a single name, matched as the `ignore` package matches them
 * (case-insensitively; '*' any run of characters within the name). Each rule is a glob of one
 * name with '*' its only wildcard, so it matches a file or folder of that name at any depth,
 * and a path is ignored when any of its names matches (an ignored folder hides what is below).
 */
const BUILT_IN_NAME = new RegExp(
  `^(?:${BUILT_IN_IGNORE_RULES.map((rule) => {
    if (/[/?[\]\\!]/.test(rule)) throw new Error(`built-in ignore rule ${rule} is not a plain glob of one name`);
    return rule
      .split('*')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^/]*');
  }).join('|')})$`,
  'i',
);

/** Whether a rules file text holds any rule: lines that are empty or comments are none. */
function hasRules(text: string | undefined): boolean {
  if (text === undefined) return false;
  return text.split('\n').some((line) => {
    const content = line.endsWith('\r') ? line.slice(0, -1) : line;
    return content !== '' && !content.startsWith('#');
  });
}
