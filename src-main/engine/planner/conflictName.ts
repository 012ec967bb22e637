// Conflict-copy names: `dir/name (conflict <device> YYYY-MM-DD HHMMSS).ext`.
//
// The time is UTC, so the same inputs give the same name on every machine and in every test.
// The extension is the last `.suffix` of the name; a leading dot does not start one
// (`.bashrc` has none) and neither does a trailing dot. A counter, when the plain name is
// taken, goes inside the parentheses: `name (conflict laptop 2024-05-06 070809 2).txt`.

import { MAX_NAME_BYTES, baseName, joinPath, parentPath, utf8Length } from '../../../shared/paths.js';
import type { LibraryPath } from '../../../shared/paths.js';

/** Longest device name kept in a conflict name, in code points. */
export const MAX_DEVICE_NAME_LENGTH = 40;

const FALLBACK_DEVICE_NAME = 'unknown device';

/**
 * Turns a device name into text that is safe inside one path segment on every OS: separators,
 * characters Windows forbids, control characters and parentheses (which delimit the conflict
 * marker) become '-', whitespace runs become one space, and leading or trailing spaces and dots
 * are dropped. An empty result becomes 'unknown device'.
 */
export function sanitizeDeviceName(deviceName: string): string {
  const replaced = deviceName
    .normalize('NFC')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f/\\:*?"<>|()]/g, '-')
    .replace(/\s+/g, ' ')
    .replace(/^[\s.]+|[\s.]+$/g, '');
  const limited = Array.from(replaced).slice(0, MAX_DEVICE_NAME_LENGTH).join('').replace(/[\s.]+$/, '');
  return limited.length > 0 ? limited : FALLBACK_DEVICE_NAME;
}

/** Splits a file name into its stem and its extension (with the dot, or '' for none). */
export function splitExtension(name: string): { stem: string; extension: string } {
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || dot === name.length - 1) return { stem: name, extension: '' };
  return { stem: name.slice(0, dot), extension: name.slice(dot) };
}

function twoDigits(value: number): string {
  return value.toString().padStart(2, '0');
}

/** `YYYY-MM-DD HHMMSS` in UTC. */
export function formatConflictTime(now: Date): string {
  const date = `${now.getUTCFullYear()}-${twoDigits(now.getUTCMonth() + 1)}-${twoDigits(now.getUTCDate())}`;
  const time = `${twoDigits(now.getUTCHours())}${twoDigits(now.getUTCMinutes())}${twoDigits(now.getUTCSeconds())}`;
  return `${date} ${time}`;
}

/**
 * The conflict-copy path for `path`, beside it in the same folder. `counter` above 1 is added
 * to make the name unique. When the name would exceed MAX_NAME_BYTES the stem is shortened,
 * never the marker or the extension.
 */
export function conflictName(path: LibraryPath, deviceName: string, now: Date, counter = 1): LibraryPath {
  return nameWithMarker(path, ` (conflict ${sanitizeDeviceName(deviceName)} ${formatConflictTime(now)}${counter > 1 ? ` ${counter}` : ''})`);
}

/** `YYYY-MM-DD HH.MM` in UTC. */
export function formatRestoredTime(at: Date): string {
  const date = `${at.getUTCFullYear()}-${twoDigits(at.getUTCMonth() + 1)}-${twoDigits(at.getUTCDate())}`;
  return `${date} ${twoDigits(at.getUTCHours())}.${twoDigits(at.getUTCMinutes())}`;
}

/**
 * The path of a version restored as a copy beside `path`: `name (restored YYYY-MM-DD HH.MM).ext`,
 * the time being when that version was made (UTC); `counter` above 1 makes it unique. Long
 * names are shortened as conflictName shortens them.
 */
export function restoredCopyName(path: LibraryPath, versionTime: Date, counter = 1): LibraryPath {
  return nameWithMarker(path, ` (restored ${formatRestoredTime(versionTime)}${counter > 1 ? ` ${counter}` : ''})`);
}

/** The name a version of `path` is opened under (a private copy): `name (version YYYY-MM-DD HH.MM).ext`. */
export function versionFileName(path: LibraryPath, versionTime: Date): string {
  return baseName(nameWithMarker(path, ` (version ${formatRestoredTime(versionTime)})`));
}

/** `path` with `marker` between its stem and its extension, within MAX_NAME_BYTES. */
function nameWithMarker(path: LibraryPath, marker: string): LibraryPath {
  const split = splitExtension(baseName(path));
  // An extension too long to keep beside the marker is treated as part of the stem.
  const keepsExtension = utf8Length(marker) + utf8Length(split.extension) < MAX_NAME_BYTES;
  const stem = keepsExtension ? split.stem : baseName(path);
  const extension = keepsExtension ? split.extension : '';
  const budget = MAX_NAME_BYTES - utf8Length(marker) - utf8Length(extension);
  const stemCharacters = Array.from(stem);
  while (stemCharacters.length > 0 && utf8Length(stemCharacters.join('')) > budget) stemCharacters.pop();
  return joinPath(parentPath(path), `${stemCharacters.join('')}${marker}${extension}`);
}
