// Checks of what the user types, before anything is sent: the same schemas the service
// validates with (shared/api), so a form never accepts what the service would refuse. Each
// check answers a message key, or null when the value is fine.

import { localFolderSchema, serverUrlSchema } from '../../shared/api/index.js';
import { libraryNameSchema } from '../../shared/protocol/libraries.js';
import type { MessageKey } from '../i18n/en.js';

export function checkServerUrl(raw: string): MessageKey | null {
  const value = raw.trim();
  if (value === '') return 'connect.check.serverMissing';
  if (!/^https?:\/\//i.test(value)) return 'connect.check.serverScheme';
  return serverUrlSchema.safeParse(value).success ? null : 'connect.check.serverInvalid';
}

export function checkLocalFolder(raw: string): MessageKey | null {
  if (raw.trim() === '') return 'folder.check.missing';
  return localFolderSchema.safeParse(raw).success ? null : 'folder.check.notAbsolute';
}

export function checkLibraryName(raw: string): MessageKey | null {
  if (raw.trim() === '') return 'add.check.nameMissing';
  return libraryNameSchema.safeParse(raw.trim()).success ? null : 'add.check.nameInvalid';
}

/**
 * Where a new library's folder could go: beside the folders of the libraries already synced
 * (most people keep them together), named after the library. Empty when there is none to go by.
 */
export function suggestLocalFolder(existingRoots: readonly string[], libraryName: string): string {
  const first = existingRoots[0];
  if (first === undefined) return '';
  const separator = first.includes('\\') && !first.includes('/') ? '\\' : '/';
  const trimmed = first.length > 1 ? first.replace(/[\\/]+$/, '') : first;
  const cut = trimmed.lastIndexOf(separator);
  if (cut < 0) return '';
  const parent = cut === 0 ? separator : trimmed.slice(0, cut);
  // Characters no desktop accepts in a folder name become '_'.
  // eslint-disable-next-line no-control-regex
  const name = libraryName.trim().replace(/[\\/:*?"<>|\u0000-\u001f]/g, '_').replace(/^\.+$/, '_');
  if (name === '') return '';
  return parent.endsWith(separator) ? `${parent}${name}` : `${parent}${separator}${name}`;
}
