// The pure parts of the daemon's API, as tables of named cases: the honest library state, the
// error mapping, the folder listing for selective sync, activity lines derived from committed
// versions, and the bandwidth limiter's pacing.

import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ApiErrorCode, LibraryState } from '../../shared/api/index.js';
import { SyncApiError } from '../../shared/api/index.js';
import type { Entry } from '../../shared/protocol/index.js';
import { BandwidthLimiter } from '../../src-main/daemon/bandwidthLimiter.js';
import type { DaemonLibraryStatus } from '../../src-main/daemon/daemon.js';
import { syncApiErrorOf } from '../../src-main/daemon/engineSyncApi.js';
import { libraryStateOf } from '../../src-main/daemon/syncViews.js';
import { listRemoteFolder } from '../../src-main/daemon/remoteFolders.js';
import { draftsOf } from '../../src-main/daemon/roundRecorder.js';
import { UserError } from '../../src-main/engine/engine.js';
import { RemoteError } from '../../src-main/engine/remote/remoteError.js';

afterEach(() => {
  vi.useRealTimers();
});

const NOW = 1_800_000_000_000;

const idle: DaemonLibraryStatus = {
  libraryId: 'library-0001',
  name: 'Documents',
  localRoot: '/home/ann/Documents',
  selection: null,
  pause: null,
  lastSyncAt: NOW - 1_000,
  lastError: null,
  openConflicts: 0,
  problems: [],
  autoMerge: false,
  role: 'owner',
  owner: 'ann',
  accountId: 'a0123456789abcdef',
  signedIn: true,
  activity: 'idle',
  activitySince: NOW - 500,
  busy: false,
  retryAt: null,
  progress: null,
  bytesPerSecond: null,
  roundError: null,
};

type StateContext = Parameters<typeof libraryStateOf>[1];
const online: StateContext = { allPausedSince: null, loggedIn: true, connection: { state: 'online', since: NOW - 60_000 } };

describe('libraryStateOf: never up to date while work is pending', () => {
  const cases: readonly (readonly [string, Partial<DaemonLibraryStatus>, Partial<StateContext> | null, LibraryState])[] = [
    ['an idle library in sync', {}, null, { kind: 'up-to-date' }],
    ['a round queued', { busy: true }, null, { kind: 'pending', reason: 'round-queued' }],
    ['never synced', { lastSyncAt: null }, null, { kind: 'pending', reason: 'never-synced' }],
    ['open conflicts', { openConflicts: 2 }, null, { kind: 'needs-attention' }],
    [
      'a problem',
      { problems: [{ libraryId: 'library-0001', kind: 'symlink', path: '', name: '', message: 'a symlink', firstSeenAt: NOW, lastSeenAt: NOW, dismissedAt: null }] },
      null,
      { kind: 'needs-attention' },
    ],
    [
      'a dismissed problem (understood: a deliberate symlink)',
      { problems: [{ libraryId: 'library-0001', kind: 'symlink', path: '', name: '', message: 'a symlink', firstSeenAt: NOW, lastSeenAt: NOW, dismissedAt: NOW }] },
      null,
      { kind: 'up-to-date' },
    ],
    ['paused by the user', { pause: { reason: 'user', since: NOW - 5 } }, null, { kind: 'paused', reason: 'user', since: NOW - 5 }],
    ['paused by a circuit breaker', { pause: { reason: 'mass-delete', since: NOW - 5 } }, null, { kind: 'paused', reason: 'mass-delete', since: NOW - 5 }],
    ['everything paused', {}, { allPausedSince: NOW - 9 }, { kind: 'paused', reason: 'all-paused', since: NOW - 9 }],
    ['paused while the round in flight stops', { inRound: true, pause: { reason: 'user', since: NOW - 5 } }, null, { kind: 'paused', reason: 'user', since: NOW - 5, stopping: true }],
    ['everything paused while a round stops', { inRound: true }, { allPausedSince: NOW - 9 }, { kind: 'paused', reason: 'all-paused', since: NOW - 9, stopping: true }],
    ['signed out (its own account)', {}, { loggedIn: false }, { kind: 'signed-out' }],
    ['the event stream is down', {}, { connection: { state: 'offline', since: NOW - 3 } }, { kind: 'offline', since: NOW - 3, retryAt: null }],
    [
      'a round waiting to retry an absent server',
      { activity: 'offline', busy: true, retryAt: NOW + 800 },
      null,
      { kind: 'offline', since: NOW - 500, retryAt: NOW + 800 },
    ],
    [
      'a round that failed on a revoked token',
      { activity: 'error', busy: true, roundError: { code: 'unauthorized', message: 'token revoked', at: NOW - 7 } },
      null,
      { kind: 'error', message: 'token revoked', at: NOW - 7, action: 'needs-user', reason: 'not-logged-in' },
    ],
    [
      'a round that failed on a server error',
      { activity: 'error', busy: true, roundError: { code: 'internal', message: 'oops', at: NOW - 7 } },
      null,
      { kind: 'error', message: 'oops', at: NOW - 7, action: 'retry-later', reason: 'server-error' },
    ],
    ['the last round failed before a restart', { lastError: { message: 'disk full', at: NOW - 8 } }, null, { kind: 'error', message: 'disk full', at: NOW - 8, action: 'retry-later', reason: 'unknown' }],
    [
      'scanning',
      { activity: 'scanning', busy: true, progress: { libraryId: 'library-0001', phase: 'scanning', filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0 } },
      null,
      { kind: 'scanning', progress: { filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0, bytesPerSecond: null, secondsLeft: null } },
    ],
    [
      'uploading at a measured rate',
      {
        activity: 'syncing',
        busy: true,
        progress: { libraryId: 'library-0001', phase: 'uploading', filesDone: 1, filesTotal: 4, bytesDone: 1000, bytesTotal: 5000 },
        bytesPerSecond: 500,
      },
      null,
      { kind: 'syncing', phase: 'uploading', progress: { filesDone: 1, filesTotal: 4, bytesDone: 1000, bytesTotal: 5000, bytesPerSecond: 500, secondsLeft: 8 } },
    ],
    ['a pause wins over a running round', { activity: 'syncing', busy: true, pause: { reason: 'user', since: NOW } }, null, { kind: 'paused', reason: 'user', since: NOW }],
  ];
  for (const [name, status, context, expected] of cases) {
    it(name, () => {
      expect(libraryStateOf({ ...idle, ...status }, { ...online, ...context })).toEqual(expected);
    });
  }
});

describe('syncApiErrorOf: one code per kind of failure', () => {
  const cases: readonly (readonly [string, unknown, 'login' | 'operation', ApiErrorCode])[] = [
    ['a wrong password at login', new RemoteError('unauthorized', 'no', 401), 'login', 'wrong-password'],
    ['a revoked token later', new RemoteError('unauthorized', 'no', 401), 'operation', 'not-logged-in'],
    ['nothing listening', new RemoteError('unavailable', 'refused', null, undefined, 'unreachable'), 'login', 'unreachable'],
    ['a timeout', new RemoteError('unavailable', 'slow', null, undefined, 'timeout'), 'operation', 'unreachable'],
    ['a refused certificate', new RemoteError('unavailable', 'bad cert', null, undefined, 'certificate'), 'login', 'certificate'],
    ['something else answering', new RemoteError('not-found', 'html', 404, undefined, 'not-cairn'), 'login', 'not-cairn-server'],
    ['a name taken on the server', new RemoteError('conflict', 'taken', 409), 'operation', 'conflict'],
    ['too many logins', new RemoteError('rate-limited', 'slow down', 429), 'login', 'rate-limited'],
    ['a read-only library', new RemoteError('forbidden', 'read-only', 403), 'operation', 'forbidden'],
    ['an engine user error', new UserError('no such library', 'not-found'), 'operation', 'not-found'],
    ['an overlapping folder', new UserError('overlaps', 'conflict'), 'operation', 'conflict'],
    ['a bad selection path', new UserError('bad path'), 'operation', 'invalid-argument'],
    ['not logged in', new UserError('log in', 'not-logged-in'), 'operation', 'not-logged-in'],
    ['a folder that cannot be created', Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }), 'operation', 'invalid-argument'],
  ];
  for (const [name, error, during, code] of cases) {
    it(name, () => {
      const mapped = syncApiErrorOf(error, during);
      expect(mapped).toBeInstanceOf(SyncApiError);
      expect((mapped as SyncApiError).code).toBe(code);
    });
  }

  it('passes a bug through untouched, for the control server to log', () => {
    const bug = new TypeError('undefined is not a function');
    expect(syncApiErrorOf(bug)).toBe(bug);
  });
});

function entry(path: string, fields: Partial<Omit<Entry, 'movedFrom' | 'movedTo'>> & { movedFrom?: string; movedTo?: string } = {}): Entry {
  return {
    path,
    kind: 'file',
    deleted: false,
    rev: 1,
    size: 1,
    mtimeMs: NOW,
    executable: false,
    chunks: [],
    contentHash: '0'.repeat(64),
    device: 'laptop',
    userName: 'ann',
    committedAt: NOW,
    ...fields,
  } as Entry;
}

describe('listRemoteFolder', () => {
  const entries = [
    entry('a', { kind: 'dir', size: 0 }),
    entry('a/one.txt', { size: 10 }),
    entry('a/b', { kind: 'dir', size: 0 }),
    entry('a/b/two.txt', { size: 20 }),
    entry('a/c', { kind: 'dir', size: 0 }),
    entry('empty', { kind: 'dir', size: 0 }),
    entry('root.txt', { size: 5 }),
    entry('gone.txt', { size: 99, deleted: true }),
  ];
  const cases = [
    [
      'the root',
      '',
      {
        folders: [
          { path: 'a', name: 'a', fileCount: 2, totalBytes: 30, hasSubfolders: true },
          { path: 'empty', name: 'empty', fileCount: 0, totalBytes: 0, hasSubfolders: false },
        ],
        fileCount: 1,
        totalBytes: 5,
      },
    ],
    [
      'a folder with an empty subfolder',
      'a',
      {
        folders: [
          { path: 'a/b', name: 'b', fileCount: 1, totalBytes: 20, hasSubfolders: false },
          { path: 'a/c', name: 'c', fileCount: 0, totalBytes: 0, hasSubfolders: false },
        ],
        fileCount: 1,
        totalBytes: 10,
      },
    ],
    ['an empty folder', 'empty', { folders: [], fileCount: 0, totalBytes: 0 }],
  ] as const;
  for (const [name, folder, expected] of cases) {
    it(name, () => {
      expect(listRemoteFolder('library-0001', folder as never, entries)).toEqual({ libraryId: 'library-0001', path: folder, ...expected });
    });
  }
});

describe('draftsOf: activity lines from committed versions', () => {
  const cases = [
    ['a file put is an upload from here', [entry('a.txt', { size: 7 })], 'server', [{ kind: 'uploaded', path: 'a.txt', size: 7 }]],
    ['and a download there', [entry('a.txt', { size: 7 })], 'this-device', [{ kind: 'downloaded', path: 'a.txt', size: 7 }]],
    ['folders made are not listed', [entry('docs', { kind: 'dir' })], 'server', []],
    ['a deletion', [entry('a.txt', { deleted: true })], 'this-device', [{ kind: 'deleted', path: 'a.txt', side: 'this-device' }]],
    [
      'a move is one line, not a deletion and a creation',
      [entry('old.txt', { deleted: true, movedTo: 'new.txt' }), entry('new.txt', { movedFrom: 'old.txt' })],
      'server',
      [{ kind: 'moved', from: 'old.txt', to: 'new.txt', side: 'server' }],
    ],
    [
      'a moved folder is one line for its whole subtree',
      [entry('x', { kind: 'dir', movedFrom: 'w' }), entry('x/1.txt', { movedFrom: 'w/1.txt' }), entry('x/sub/2.txt', { movedFrom: 'w/sub/2.txt' }), entry('x/sub', { kind: 'dir', movedFrom: 'w/sub' })],
      'this-device',
      [{ kind: 'moved', from: 'w', to: 'x', side: 'this-device' }],
    ],
    [
      'a deleted folder is one line for its whole subtree',
      [entry('d/1.txt', { deleted: true }), entry('d/e/2.txt', { deleted: true }), entry('d/e', { kind: 'dir', deleted: true }), entry('d', { kind: 'dir', deleted: true })],
      'server',
      [{ kind: 'deleted', path: 'd', side: 'server' }],
    ],
  ] as const;
  for (const [name, entries, side, expected] of cases) {
    it(name, () => {
      expect(draftsOf(entries as readonly Entry[], side)).toEqual(expected);
    });
  }
});

describe('BandwidthLimiter', () => {
  async function settledWithin(promise: Promise<void>, milliseconds: number): Promise<boolean> {
    let settled = false;
    void promise.then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(milliseconds);
    return settled;
  }

  it('lets a short burst through, then holds to the limit', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const limiter = new BandwidthLimiter(1000);
    expect(await settledWithin(limiter.take(200), 0)).toBe(true);
    // 1,000 more bytes at 1,000 B/s: due one second after the burst allowance ran out.
    const next = limiter.take(1000);
    expect(await settledWithin(next, 900)).toBe(false);
    expect(await settledWithin(next, 100)).toBe(true);
  });

  it('does nothing without a limit, and releases every waiter when closed', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    expect(await settledWithin(new BandwidthLimiter(null).take(10_000_000), 0)).toBe(true);
    const limiter = new BandwidthLimiter(1024);
    const waiting = limiter.take(1024 * 1024);
    expect(await settledWithin(waiting, 10)).toBe(false);
    limiter.close();
    expect(await settledWithin(waiting, 0)).toBe(true);
  });
});
