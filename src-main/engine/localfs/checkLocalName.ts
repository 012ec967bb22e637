// Names the local OS cannot hold. Such a name arriving from the server is reported as a
// problem for that path (the rest of the library keeps syncing); it is never an exception.

import type { LibraryPath } from '../../../shared/paths.js';

export type LocalNameProblem =
  | 'empty'
  | 'dot-name'
  | 'separator'
  | 'control-character'
  | 'reserved-name'
  | 'illegal-character'
  | 'trailing-dot-or-space';

export type LocalNameCheck = { readonly ok: true } | { readonly ok: false; readonly problem: LocalNameProblem; readonly message: string };

/** Device names Windows reserves in every folder, with or without an extension ('nul.txt'). */
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[1-9¹²³]|lpt[1-9¹²³])(\.|$)/i;
const WINDOWS_ILLEGAL_CHARACTERS = /[<>:"|?*]/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f]/;

/**
 * Checks one name (a single path segment) against the rules of `platform`. On Windows that is
 * the reserved device names, `<>:"|?*`, control characters and a trailing dot or space (which
 * Windows silently strips, so the file would appear under another name). On macOS and Linux only
 * '/' and NUL are illegal, and canonical LibraryPaths already exclude both.
 */
export function checkLocalName(name: string, platform: NodeJS.Platform): LocalNameCheck {
  if (name.length === 0) return refuse('empty', 'The name is empty.');
  if (name === '.' || name === '..') return refuse('dot-name', `"${name}" cannot be a file name.`);
  if (name.includes('/') || name.includes('\0')) {
    return refuse('separator', `${JSON.stringify(name)} contains a path separator or NUL.`);
  }
  if (platform !== 'win32') return { ok: true };
  if (name.includes('\\')) return refuse('separator', `${JSON.stringify(name)} contains a backslash, a path separator on Windows.`);
  if (CONTROL_CHARACTERS.test(name)) {
    return refuse('control-character', `${JSON.stringify(name)} contains a control character, which Windows does not allow in names.`);
  }
  if (WINDOWS_ILLEGAL_CHARACTERS.test(name)) {
    return refuse('illegal-character', `"${name}" contains one of < > : " | ? *, which Windows does not allow in names. Rename it on another device.`);
  }
  if (WINDOWS_RESERVED.test(name)) {
    return refuse('reserved-name', `"${name}" is a device name reserved by Windows. Rename it on another device.`);
  }
  if (name.endsWith('.') || name.endsWith(' ')) {
    return refuse('trailing-dot-or-space', `"${name}" ends with a dot or a space, which Windows strips. Rename it on another device.`);
  }
  return { ok: true };
}

/** Checks every segment of a path; the first bad one is reported. */
export function checkLocalPath(path: LibraryPath, platform: NodeJS.Platform): LocalNameCheck {
  for (const segment of path.split('/')) {
    const check = checkLocalName(segment, platform);
    if (!check.ok) return check;
  }
  return { ok: true };
}

function refuse(problem: LocalNameProblem, message: string): LocalNameCheck {
  return { ok: false, problem, message };
}
