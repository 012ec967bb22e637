// The daemon's own settings in the profile: the user's preferences (language, notifications,
// bandwidth limits, ...) and whether everything is paused. They live in one small JSON file
// beside the index, written atomically with owner-only permissions, because the index's
// settings keys are closed and these are not the index's business.

import path from 'node:path';
import { z } from 'zod';
import type { Preferences } from '../../shared/api/index.js';
import { preferencesSchema } from '../../shared/api/index.js';
import { readSecretFile, writeSecretFile } from '../profile/secretFile.js';

export const SETTINGS_FILE = 'settings.json';

export const DEFAULT_PREFERENCES: Preferences = {
  language: 'en',
  startAtLogin: false,
  notifications: true,
  uploadLimit: null,
  downloadLimit: null,
  theme: 'system',
};

export interface DaemonSettings {
  readonly preferences: Preferences;
  /** When the user paused every library, or null while not. */
  readonly allPausedSince: number | null;
}

const settingsFileSchema = z.object({
  // Each preference falls back to its default on its own, so a file from an older version with
  // fewer preferences, or one bad value, does not cost the user the others.
  preferences: z
    .object({
      language: preferencesSchema.shape.language.catch(DEFAULT_PREFERENCES.language),
      startAtLogin: preferencesSchema.shape.startAtLogin.catch(DEFAULT_PREFERENCES.startAtLogin),
      notifications: preferencesSchema.shape.notifications.catch(DEFAULT_PREFERENCES.notifications),
      uploadLimit: preferencesSchema.shape.uploadLimit.catch(DEFAULT_PREFERENCES.uploadLimit),
      downloadLimit: preferencesSchema.shape.downloadLimit.catch(DEFAULT_PREFERENCES.downloadLimit),
      theme: preferencesSchema.shape.theme.catch(DEFAULT_PREFERENCES.theme),
    })
    .catch({ ...DEFAULT_PREFERENCES }),
  allPausedSince: z.number().nullable().catch(null),
});

export function settingsPath(home: string): string {
  return path.join(home, SETTINGS_FILE);
}

/** Reads the settings; defaults when the file is missing or unreadable as JSON (reported through `onDamage`). */
export async function readDaemonSettings(home: string, onDamage: (message: string) => void = () => undefined): Promise<DaemonSettings> {
  const text = await readSecretFile(settingsPath(home));
  if (text === undefined) return { preferences: { ...DEFAULT_PREFERENCES }, allPausedSince: null };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    onDamage(`${settingsPath(home)} is not JSON (${(error as Error).message}); using the default settings`);
    return { preferences: { ...DEFAULT_PREFERENCES }, allPausedSince: null };
  }
  const parsed = settingsFileSchema.safeParse(raw);
  if (!parsed.success) {
    onDamage(`${settingsPath(home)} is damaged; using the default settings`);
    return { preferences: { ...DEFAULT_PREFERENCES }, allPausedSince: null };
  }
  return parsed.data;
}

export async function writeDaemonSettings(home: string, settings: DaemonSettings): Promise<void> {
  await writeSecretFile(settingsPath(home), `${JSON.stringify(settings, null, 2)}\n`);
}
