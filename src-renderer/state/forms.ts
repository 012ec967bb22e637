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
