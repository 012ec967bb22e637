// Desktop notifications announce what became worse since the last status, once.

import { describe, expect, it } from 'vitest';
import type { SyncStatus } from '../../shared/api/index.js';
import { APP_MESSAGES } from '../../src-main/electron/appMessages.js';
import { notificationsBetween } from '../../src-main/electron/desktopNotifications.js';
import type { DesktopNotification } from '../../src-main/electron/desktopNotifications.js';
import { STATES, library, status } from './statusFixtures.js';

const english = APP_MESSAGES.en;
const calm = status([library('Documents', STATES.upToDate), library('Photos', STATES.upToDate)]);

describe('notificationsBetween', () => {
  it.each<[string, SyncStatus | null, SyncStatus, Pick<DesktopNotification, 'libraryId' | 'kind' | 'title' | 'body'>[]]>([
    ['nothing at the first status, whatever it holds', null, status([library('Documents', STATES.error, { conflicts: 3 })]), []],
    ['nothing when nothing got worse', calm, status([library('Documents', STATES.syncing), library('Photos', STATES.upToDate)]), []],
    [
      'new conflicts, counted',
      status([library('Documents', STATES.attention, { conflicts: 1 })]),
      status([library('Documents', STATES.attention, { conflicts: 3 })]),
      [{ libraryId: 'library-documents', kind: 'conflicts', title: 'Conflict in “Documents”', body: 'Both versions of 2 files were kept. Open Cairn to choose.' }],
    ],
    ['nothing when conflicts were resolved', status([library('Documents', STATES.attention, { conflicts: 3 })]), calm, []],
    [
      'new problems',
      calm,
      status([library('Documents', STATES.attention, { problems: 1 }), library('Photos', STATES.upToDate)]),
      [{ libraryId: 'library-documents', kind: 'problems', title: 'Some files in “Documents” could not be synced', body: '1 file needs your attention. Open Cairn to see why.' }],
    ],
    [
      'a failed round, said by its reason (the service’s English text stays out)',
      calm,
      status([library('Documents', STATES.upToDate), library('Photos', { ...STATES.error, reason: 'local' })]),
      [{ libraryId: 'library-photos', kind: 'error', title: 'Syncing “Photos” failed', body: 'A file or folder on this computer could not be written or read (a full disk, or missing permission).' }],
    ],
    ['the same failure again', status([library('Documents', STATES.error)]), status([library('Documents', { ...STATES.error, at: STATES.error.at + 60_000 })]), []],
    [
      'a different failure',
      status([library('Documents', STATES.error)]),
      status([library('Documents', { ...STATES.error, message: 'permission denied' })]),
      [{ libraryId: 'library-documents', kind: 'error', title: 'Syncing “Documents” failed', body: 'The last sync did not finish. Nothing was lost; Cairn tries again.' }],
    ],
    [
      'a circuit breaker',
      calm,
      status([library('Documents', STATES.massDelete), library('Photos', STATES.upToDate)]),
      [{ libraryId: 'library-documents', kind: 'breaker', title: '“Documents” was paused to protect your files', body: english.breakerBodies['mass-delete'] }],
    ],
    ['a pause by the user', calm, status([library('Documents', STATES.pausedByUser), library('Photos', STATES.allPaused)]), []],
    [
      'a new library that arrives with conflicts',
      status([]),
      status([library('Shared', STATES.attention, { conflicts: 1 })]),
      [{ libraryId: 'library-shared', kind: 'conflicts', title: 'Conflict in “Shared”', body: 'Both versions of 1 file were kept. Open Cairn to choose.' }],
    ],
    ['nothing once logged out', status([library('Documents', STATES.upToDate)]), status([library('Documents', STATES.error)], { loggedIn: false }), []],
  ])('%s', (_name, previous, current, expected) => {
    expect(notificationsBetween(previous, current, english)).toEqual(expected);
  });

  it('speaks the language it is given', () => {
    const [notification] = notificationsBetween(calm, status([library('Documents', STATES.rootMissing)]), APP_MESSAGES['zh-CN']);
    expect(notification).toEqual({
      libraryId: 'library-documents',
      kind: 'breaker',
      title: '为保护您的文件，已暂停“Documents”',
      body: APP_MESSAGES['zh-CN'].breakerBodies['root-missing'],
    });
  });
});
