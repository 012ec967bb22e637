// Canonical library paths. Every path that crosses a boundary (network, IPC, index) is a
// LibraryPath: relative to the library root, '/'-separated, NFC-normalized, with no empty,
// '.' or '..' segment, no NUL or other control character, no backslash, no lone surrogate
// (well-formed Unicode) and no leading or trailing '/'. The empty string is never a LibraryPath; the root is represented by ''
// only where a parent is asked for (see parentPath).

declare const libraryPathBrand: unique symbol;
/** A validated, canonical path inside a library. Build one only with `parseLibraryPath`. */
export type LibraryPath = string & { readonly [libraryPathBrand]: true };

/** Longest path in bytes of UTF-8 we accept, and longest single name. */
export const MAX_PATH_BYTES = 4096;
export const MAX_NAME_BYTES = 255;

export type PathProblem =
  | 'empty'
  | 'absolute'
  | 'backslash'
  | 'control-character'
  | 'not-unicode'
  | 'dot-segment'
  | 'empty-segment'
  | 'not-nfc'
  | 'too-long'
  | 'name-too-long';

export type PathCheck = { ok: true; path: LibraryPath } | { ok: false; problem: PathProblem };

/** UTF-8 length of a string, computed by hand: shared/ has neither TextEncoder nor Buffer. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/**
 * True when a string is well-formed UTF-16: every surrogate is half of a pair. A lone one has
 * no UTF-8 form, so storage and the wire would each replace it with U+FFFD, and two different
 * names would become one.
 */
export function isWellFormedUnicode(text: string): boolean {
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);
}

/**
 * Checks that `raw` is already canonical. Paths from the network must be canonical as sent:
 * we never silently rewrite them, because two different strings that normalize to one name
 * would otherwise collide.
 */
export function checkLibraryPath(raw: string): PathCheck {
  return PRINTABLE_ASCII_BUT_BACKSLASH.test(raw) ? checkAsciiPath(raw) : checkAnyPath(raw);
}

/** checkLibraryPath's checks for any string, in their order (the reference its shorter route for ASCII keeps to). */
export function checkAnyPath(raw: string): PathCheck {
  if (raw.length === 0) return { ok: false, problem: 'empty' };
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw)) return { ok: false, problem: 'absolute' };
  if (raw.includes('\\')) return { ok: false, problem: 'backslash' };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(raw)) return { ok: false, problem: 'control-character' };
  if (!isWellFormedUnicode(raw)) return { ok: false, problem: 'not-unicode' };
  if (raw.normalize('NFC') !== raw) return { ok: false, problem: 'not-nfc' };
  if (utf8Length(raw) > MAX_PATH_BYTES) return { ok: false, problem: 'too-long' };
  for (const segment of raw.split('/')) {
    if (segment.length === 0) return { ok: false, problem: 'empty-segment' };
    if (segment === '.' || segment === '..') return { ok: false, problem: 'dot-segment' };
    if (utf8Length(segment) > MAX_NAME_BYTES) return { ok: false, problem: 'name-too-long' };
  }
  return { ok: true, path: raw as LibraryPath };
}

/** Printable ASCII without backslash: no control character, well-formed, NFC, one byte a character. */
const PRINTABLE_ASCII_BUT_BACKSLASH = /^[\x20-\x5b\x5d-\x7e]*$/;

/**
 * The rest of checkLibraryPath for a path of PRINTABLE_ASCII_BUT_BACKSLASH (nearly every path
 * in a feed): the same checks in the same order, without those such a path always passes. The
 * feed of 10,000 entries spent ~80 ms checking paths on a fresh process, most of it on these.
 */
function checkAsciiPath(raw: string): PathCheck {
  if (raw.length === 0) return { ok: false, problem: 'empty' };
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw)) return { ok: false, problem: 'absolute' };
  if (raw.length > MAX_PATH_BYTES) return { ok: false, problem: 'too-long' };
  let start = 0;
  for (;;) {
    const slash = raw.indexOf('/', start);
    const end = slash < 0 ? raw.length : slash;
    const length = end - start;
    if (length === 0) return { ok: false, problem: 'empty-segment' };
    if (raw.charCodeAt(start) === 0x2e && (length === 1 || (length === 2 && raw.charCodeAt(start + 1) === 0x2e))) return { ok: false, problem: 'dot-segment' };
    if (length > MAX_NAME_BYTES) return { ok: false, problem: 'name-too-long' };
    if (slash < 0) return { ok: true, path: raw as LibraryPath };
    start = slash + 1;
  }
}

/** Parses a canonical path, throwing a TypeError naming the problem otherwise. */
export function parseLibraryPath(raw: string): LibraryPath {
  const result = checkLibraryPath(raw);
  if (!result.ok) throw new TypeError(`invalid library path (${result.problem}): ${JSON.stringify(raw)}`);
  return result.path;
}

export function isLibraryPath(raw: unknown): raw is LibraryPath {
  return typeof raw === 'string' && checkLibraryPath(raw).ok;
}

/**
 * Turns a path as the local OS spelled it (relative to the library root, with the OS
 * separator) into its canonical form: '/'-separated and NFC. The result is still checked.
 */
export function canonicalizeLocalPath(relative: string, separator: '/' | '\\'): PathCheck {
  const slashed = separator === '\\' ? relative.split('\\').join('/') : relative;
  return checkLibraryPath(slashed.normalize('NFC'));
}

/** The parent folder of a path, or '' for a top-level entry. */
export function parentPath(path: LibraryPath): LibraryPath | '' {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : (path.slice(0, slash) as LibraryPath);
}

/** The last segment of a path. */
export function baseName(path: LibraryPath): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Joins a folder (or the root, '') and a single name into a canonical path. */
export function joinPath(folder: LibraryPath | '', name: string): LibraryPath {
  return parseLibraryPath(folder === '' ? name : `${folder}/${name}`);
}

/** True if `path` is `ancestor` itself or lies below it. */
export function isSameOrBelow(path: LibraryPath, ancestor: LibraryPath): boolean {
  return path === ancestor || path.startsWith(`${ancestor}/`);
}

/** Every ancestor folder of a path, nearest last: 'a/b/c' -> ['a', 'a/b']. */
export function ancestorPaths(path: LibraryPath): LibraryPath[] {
  const segments = path.split('/');
  const result: LibraryPath[] = [];
  for (let i = 1; i < segments.length; i++) result.push(segments.slice(0, i).join('/') as LibraryPath);
  return result;
}

/**
 * Case-folded key used to detect names that would clash on a case-insensitive disk.
 * Two different paths with the same key cannot both exist on such a disk.
 */
export function caseFoldKey(path: LibraryPath): string {
  return path.normalize('NFC').toLowerCase();
}

/**
 * Moves `path` from below `from` to below `to` ('a/x' moved from 'a' to 'b' is 'b/x').
 * The caller guarantees isSameOrBelow(path, from).
 */
export function rebasePath(path: LibraryPath, from: LibraryPath, to: LibraryPath): LibraryPath {
  return (to + path.slice(from.length)) as LibraryPath;
}

/** Why a name typed for a file (a rename) would not sync to every computer; see checkPortableName. */
export type NameProblem = 'empty' | 'dot-name' | 'separator' | 'control-character' | 'windows-character' | 'windows-reserved' | 'trailing-dot-or-space' | 'too-long' | 'not-unicode';

/** Device names Windows reserves in every folder, with or without an extension ('nul.txt'). */
const WINDOWS_RESERVED_NAME = /^(con|prn|aux|nul|com[1-9¹²³]|lpt[1-9¹²³])(\.|$)/i;

/**
 * Checks a new name for one file or folder (a single segment, NFC as the caller made it) against
 * what every system Cairn syncs to accepts: a valid library path segment, and a name Windows can
 * hold too (no `<>:"|?*`, no reserved device name, no trailing dot or space), so a rename fixes
 * a name problem everywhere at once.
 */
export function checkPortableName(name: string): { ok: true } | { ok: false; problem: NameProblem } {
  if (name.length === 0) return { ok: false, problem: 'empty' };
  if (name === '.' || name === '..') return { ok: false, problem: 'dot-name' };
  if (name.includes('/') || name.includes('\\')) return { ok: false, problem: 'separator' };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return { ok: false, problem: 'control-character' };
  if (!isWellFormedUnicode(name)) return { ok: false, problem: 'not-unicode' };
  if (/[<>:"|?*]/.test(name)) return { ok: false, problem: 'windows-character' };
  if (WINDOWS_RESERVED_NAME.test(name)) return { ok: false, problem: 'windows-reserved' };
  if (name.endsWith('.') || name.endsWith(' ')) return { ok: false, problem: 'trailing-dot-or-space' };
  if (utf8Length(name) > MAX_NAME_BYTES) return { ok: false, problem: 'too-long' };
  return { ok: true };
}
