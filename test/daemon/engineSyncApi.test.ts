// The SyncApi a daemon serves, operation by operation, over the real control API (HTTP on
// 127.0.0.1 with the token, through the CLI's client) against a real Cairn server: what each
// operation does to the profile and the disk, the events it raises, and the error codes it
// answers. The daemons here watch nothing; rounds run when the test asks for them.

import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiErrorCode, SyncApiError, SyncEvent } from '../../shared/api/index.js';
import type { LibraryPath } from '../../shared/paths.js';
import { PASSWORD } from '../sync/harness.js';
import type { Harness } from '../sync/harness.js';
import { eventually } from '../support/eventually.js';
import { codeOf, roundOf, startDaemonTestBed } from './daemonTestBed.js';
import type { ApiClient, DaemonTestBed, SyncedApiClient } from './daemonTestBed.js';

let bed: DaemonTestBed;
let harness: Harness;

beforeEach(async () => {
  bed = await startDaemonTestBed();
  harness = bed.harness;
});
afterEach(async () => {
  await bed.stop();
});

const startApi = (home: string, deviceName: string): Promise<ApiClient> => bed.startApi(home, deviceName);
const syncedApi = (name: string): Promise<SyncedApiClient> => bed.syncedApi(name);

describe('account', () => {
  it('logs in, answers each kind of failure with its code, and logs out', async () => {
    await harness.addUser('ann');
    const client = await startApi(path.join(harness.base, 'home-ann'), 'ann-laptop');
    const { api } = client;
    expect(await api.getStatus({})).toEqual({ account: null, accounts: [], allPaused: false, libraries: [] });
    expect(await codeOf(api.listRemoteLibraries({}))).toBe('not-logged-in');

    const foreign = createServer((_request, response) => response.writeHead(404, { 'Content-Type': 'text/html' }).end('<h1>nothing here</h1>'));
    await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
    const foreignUrl = `http://127.0.0.1:${(foreign.address() as AddressInfo).port}`;
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    try {
      const failures = [
        ['a wrong password', { serverUrl: harness.server.url, user: 'ann', password: 'not the password' }, 'wrong-password'],
        ['an unknown user', { serverUrl: harness.server.url, user: 'nobody', password: PASSWORD }, 'wrong-password'],
        ['nothing listening', { serverUrl: closedUrl, user: 'ann', password: PASSWORD }, 'unreachable'],
        ['a web server that is not Cairn', { serverUrl: foreignUrl, user: 'ann', password: PASSWORD }, 'not-cairn-server'],
      ] as const;
      for (const [name, request, code] of failures) expect(await codeOf(api.login(request)), name).toBe(code);
      // A connect failure names its cause (details.cause), for the Connect screen and `cairn login`.
      const causeOf = async (serverUrl: string): Promise<unknown> => ((await api.login({ serverUrl, user: 'ann', password: PASSWORD }).catch((error: unknown) => error)) as SyncApiError).details?.['cause'];
      expect(await causeOf(closedUrl)).toBe('refused');
      expect(await causeOf(foreignUrl)).toBe('html-page');
      expect(await causeOf(`${harness.server.url}/cairn`)).toBe('wrong-path');
    } finally {
      await new Promise<void>((resolve) => foreign.close(() => resolve()));
    }

    const account = await api.login({ serverUrl: harness.server.url, user: 'ann', password: PASSWORD, deviceName: 'ann-desk' });
    expect(account).toEqual({ accountId: expect.any(String), serverUrl: harness.server.url, user: 'ann', deviceName: 'ann-desk' });
    await eventually(() => expect(client.events.some((event) => event.kind === 'statusChanged' && event.status.account?.user === 'ann')).toBe(true));
    await eventually(() => expect(client.service.daemon.isOnline).toBe(true));

    expect(await api.logout({})).toEqual({ ok: true, stopped: [] });
    expect((await api.getStatus({})).account).toBeNull();
    // The account stays in the profile, signed out, until it logs in again.
    expect((await api.listAccounts({})).accounts).toEqual([
      { accountId: account.accountId, serverUrl: harness.server.url, user: 'ann', deviceName: 'ann-desk', signedIn: false, libraries: [] },
    ]);
  });
});

describe('restores', () => {
  it('restores a copy and a snapshot over the control API, reporting the snapshot\'s progress as events', async () => {
    const alice = await syncedApi('alice');
    const { api } = alice;
    await writeFile(path.join(alice.root, 'plan.txt'), 'first plan');
    await mkdir(path.join(alice.root, 'docs'));
    await writeFile(path.join(alice.root, 'docs', 'a.txt'), 'a');
    await roundOf(api, alice.libraryId);
    const moment = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 10));
    await writeFile(path.join(alice.root, 'plan.txt'), 'second plan');
    await roundOf(api, alice.libraryId);

    const { versions } = await api.getHistory({ libraryId: alice.libraryId, path: 'plan.txt' as LibraryPath });
    const copy = await api.restoreCopy({ libraryId: alice.libraryId, path: 'plan.txt' as LibraryPath, rev: versions.at(-1)!.rev });
    expect(await readFile(path.join(alice.root, copy.path), 'utf8')).toBe('first plan');

    const target = path.join(bed.harness.base, 'alice-as-it-was');
    const result = await api.restoreSnapshot({ libraryId: alice.libraryId, at: moment, target });
    expect(result).toMatchObject({ files: 2, folders: 1, bytes: 'first plan'.length + 1, skipped: [] });
    expect(await readFile(path.join(target, 'plan.txt'), 'utf8')).toBe('first plan');
    await eventually(() =>
      expect(alice.events).toContainEqual({ kind: 'snapshotProgressed', libraryId: alice.libraryId, target, filesDone: 2, filesTotal: 2, bytesDone: result.bytes, bytesTotal: result.bytes }),
    );
    const refused = await api.restoreSnapshot({ libraryId: alice.libraryId, at: moment, target }).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'conflict', details: { reason: 'snapshot-target', problem: 'not-empty' } });
  });
});

describe('libraries', () => {
  it('creates, adds, selects, lists the server folders of, and removes a library', async () => {
    const alice = await syncedApi('alice');
    const { api } = alice;
    for (const [name, size] of [['docs/a.txt', 10], ['docs/b.txt', 20], ['docs/deep/c.txt', 30], ['music/song.mp3', 40], ['top.txt', 5]] as const) {
      await mkdir(path.dirname(path.join(alice.root, name)), { recursive: true });
      await writeFile(path.join(alice.root, name), 'x'.repeat(size));
    }
    await mkdir(path.join(alice.root, 'empty'));
    await roundOf(api, alice.libraryId);

    expect(await api.getRemoteFolders({ libraryId: alice.libraryId })).toEqual({
      libraryId: alice.libraryId,
      path: '',
      folders: [
        { path: 'docs', name: 'docs', fileCount: 3, totalBytes: 60, hasSubfolders: true },
        { path: 'empty', name: 'empty', fileCount: 0, totalBytes: 0, hasSubfolders: false },
        { path: 'music', name: 'music', fileCount: 1, totalBytes: 40, hasSubfolders: false },
      ],
      fileCount: 1,
      totalBytes: 5,
    });
    expect(await api.getRemoteFolders({ libraryId: alice.libraryId, path: 'docs' as LibraryPath })).toMatchObject({
      path: 'docs',
      folders: [{ path: 'docs/deep', name: 'deep', fileCount: 1, totalBytes: 30, hasSubfolders: false }],
      fileCount: 2,
      totalBytes: 30,
    });
    expect(await api.getRemoteFolders({ libraryId: alice.libraryId, path: 'empty' as LibraryPath })).toMatchObject({ folders: [], fileCount: 0 });
    expect(await codeOf(api.getRemoteFolders({ libraryId: alice.libraryId, path: 'nowhere' as LibraryPath }))).toBe('not-found');

    // A second library, created and added through the API, selecting one folder.
    const created = await api.createLibrary({ name: 'Photos' });
    expect(created).toMatchObject({ name: 'Photos', owner: 'alice', role: 'owner', syncedTo: null });
    expect(await codeOf(api.createLibrary({ name: 'Photos' }))).toBe('conflict');
    const photosRoot = path.join(harness.base, 'photos-alice');
    const cases: readonly (readonly [string, { libraryId: string; localRoot: string; selection: LibraryPath[] | null }, ApiErrorCode])[] = [
      ['an unknown library', { libraryId: 'no-such-library-id', localRoot: photosRoot, selection: null }, 'not-found'],
      ['a library synced already', { libraryId: alice.libraryId, localRoot: photosRoot, selection: null }, 'conflict'],
      ['a folder inside another library', { libraryId: created.libraryId, localRoot: path.join(alice.root, 'docs'), selection: null }, 'conflict'],
      ['an empty selection', { libraryId: created.libraryId, localRoot: photosRoot, selection: [] }, 'invalid-argument'],
      ['a relative folder', { libraryId: created.libraryId, localRoot: 'photos', selection: null }, 'invalid-argument'],
    ];
    for (const [name, request, code] of cases) expect(await codeOf(api.addLibrary(request)), name).toBe(code);
    const added = await api.addLibrary({ libraryId: created.libraryId, localRoot: photosRoot, selection: ['2026' as LibraryPath] });
    expect(added).toMatchObject({ libraryId: created.libraryId, name: 'Photos', selection: ['2026'] });
    await eventually(() => expect(alice.events.some((event) => event.kind === 'statusChanged' && event.status.libraries.length === 2)).toBe(true));
    const listed = (await api.listRemoteLibraries({})).libraries.find((library) => library.libraryId === created.libraryId);
    expect(listed?.syncedTo).toBe(photosRoot);

    expect(await api.setSelection({ libraryId: created.libraryId, selection: null })).toMatchObject({ selection: null });
    const removed = await api.removeLibrary({ libraryId: created.libraryId });
    expect(removed).toEqual({ libraryId: created.libraryId, name: 'Photos', localRoot: photosRoot });
    expect((await api.getStatus({})).libraries.map((library) => library.libraryId)).toEqual([alice.libraryId]);
    expect(await codeOf(api.removeLibrary({ libraryId: created.libraryId }))).toBe('not-found');
  });

  it('reads and writes the ignore rules, and the next round honors them', async () => {
    const alice = await syncedApi('alice');
    const { api } = alice;
    expect(await api.getIgnoreRules({ libraryId: alice.libraryId })).toEqual({ libraryId: alice.libraryId, text: '' });
    expect(await api.setIgnoreRules({ libraryId: alice.libraryId, text: '*.log\nbuild/\n' })).toEqual({ libraryId: alice.libraryId, text: '*.log\nbuild/\n' });
    expect(await readFile(path.join(alice.root, '.cairnignore'), 'utf8')).toBe('*.log\nbuild/\n');
    expect((await api.getIgnoreRules({ libraryId: alice.libraryId })).text).toBe('*.log\nbuild/\n');
    await writeFile(path.join(alice.root, 'debug.log'), 'noise');
    await writeFile(path.join(alice.root, 'kept.txt'), 'signal');
    await roundOf(api, alice.libraryId);
    // A round's activity is written just after the round ends (it reads the ignore rules).
    await eventually(async () => {
      const uploaded = (await api.getActivity({ libraryId: alice.libraryId })).entries.flatMap((entry) => (entry.kind === 'uploaded' ? [entry.path] : []));
      expect(uploaded.sort()).toEqual(['.cairnignore', 'kept.txt']);
    });
    expect(await codeOf(api.getIgnoreRules({ libraryId: 'no-such-library-id' }))).toBe('not-found');
  });
});

describe('pause, conflicts, activity, preferences', () => {
  it('resolves a conflict by its id and tells the listeners', async () => {
    const alice = await syncedApi('alice');
    const bob = await harness.client('bob');
    await writeFile(path.join(alice.root, 'report.txt'), 'base');
    await roundOf(alice.api, alice.libraryId);
    await bob.sync();
    await bob.write('report.txt', 'bob edit');
    await bob.sync();
    await writeFile(path.join(alice.root, 'report.txt'), 'alice edit');
    await roundOf(alice.api, alice.libraryId);

    const { conflicts } = await alice.api.listConflicts({});
    expect(conflicts).toHaveLength(1);
    const conflict = conflicts[0]!;
    expect(conflict).toMatchObject({ libraryId: alice.libraryId, libraryName: 'Documents', path: 'report.txt', local: { kind: 'file', device: 'alice' } });
    expect((await alice.api.getStatus({})).libraries[0]?.state.kind).toBe('needs-attention');
    expect(alice.events.some((event) => event.kind === 'conflictsChanged' && event.conflicts.length === 1)).toBe(true);
    await eventually(async () =>
      expect((await alice.api.getActivity({})).entries).toContainEqual(expect.objectContaining({ kind: 'conflict-found', path: 'report.txt', conflictPath: conflict.conflictPath })),
    );

    expect(await alice.api.resolveConflict({ conflictId: conflict.conflictId, keep: 'local' })).toEqual(conflict);
    expect(await readFile(path.join(alice.root, 'report.txt'), 'utf8')).toBe('alice edit');
    expect(await readdir(alice.root)).toEqual(['report.txt']);
    expect((await alice.api.listConflicts({ libraryId: alice.libraryId })).conflicts).toEqual([]);
    await eventually(() => expect(alice.events.some((event) => event.kind === 'conflictsChanged' && event.conflicts.length === 0)).toBe(true));
    await eventually(async () => expect((await alice.api.getStatus({})).libraries[0]?.state.kind).toBe('up-to-date'));
    expect(await codeOf(alice.api.resolveConflict({ conflictId: conflict.conflictId, keep: 'local' }))).toBe('not-found');
  });

  it('pages the activity, keeps it and the preferences across restarts, and pauses for real', async () => {
    const alice = await syncedApi('alice');
    const { api } = alice;
    for (let number = 0; number < 5; number++) await writeFile(path.join(alice.root, `file-${number}.txt`), `file ${number}`);
    await roundOf(api, alice.libraryId);
    // A round's activity is written just after the round ends.
    await eventually(async () => expect((await api.getActivity({})).entries.filter((entry) => entry.kind === 'uploaded')).toHaveLength(5));
    const first = await api.getActivity({ limit: 3 });
    expect(first.entries).toHaveLength(3);
    expect(first.hasMore).toBe(true);
    const rest = await api.getActivity({ limit: 3, before: first.entries.at(-1)!.activityId });
    expect(rest).toMatchObject({ hasMore: false });
    const all = [...first.entries, ...rest.entries];
    expect(all.map((entry) => entry.activityId)).toEqual([...all.map((entry) => entry.activityId)].sort((a, b) => b - a));
    expect(all.filter((entry) => entry.kind === 'uploaded')).toHaveLength(5);

    expect(await api.getPreferences({})).toEqual({ language: 'en', startAtLogin: false, notifications: true, uploadLimit: null, downloadLimit: null, theme: 'system' });
    const changed = await api.setPreferences({ language: 'zh-CN', downloadLimit: 1024 * 1024 });
    expect(changed).toMatchObject({ language: 'zh-CN', downloadLimit: 1024 * 1024, notifications: true });
    await eventually(() => expect(alice.events).toContainEqual({ kind: 'preferencesChanged', preferences: changed }));
    expect(await codeOf(api.setPreferences({ uploadLimit: 10 }))).toBe('invalid-argument');

    const paused = await api.pauseLibrary({ libraryId: alice.libraryId });
    expect(paused.state).toMatchObject({ kind: 'paused', reason: 'user' });
    expect(await api.syncNow({ libraryId: alice.libraryId })).toEqual({ queued: [] });
    await api.pauseAll({});

    // A restart keeps the preferences, the library's pause and the global pause.
    alice.api.close();
    await alice.service.stop();
    const again = await startApi(alice.home, 'alice');
    expect(await again.api.getPreferences({})).toEqual(changed);
    expect((await again.api.getActivity({ libraryId: alice.libraryId, limit: 500 })).entries).toEqual(all);
    const status = await again.api.getStatus({});
    expect(status.allPaused).toBe(true);
    expect(status.libraries[0]?.state).toMatchObject({ kind: 'paused', reason: 'user' });
    await again.api.resumeLibrary({ libraryId: alice.libraryId });
    expect((await again.api.getStatus({})).libraries[0]?.state).toMatchObject({ kind: 'paused', reason: 'all-paused' });
    await again.api.resumeAll({});
    await eventually(async () => expect((await again.api.getStatus({})).libraries[0]?.state.kind).toBe('up-to-date'));

    expect(await again.api.openFolder({ libraryId: alice.libraryId, path: 'file-1.txt' as LibraryPath })).toEqual({ ok: true });
    expect(await codeOf(again.api.openFolder({ libraryId: alice.libraryId, path: 'missing.txt' as LibraryPath }))).toBe('not-found');
    // Opening a file, and which paths are here: a missing one is not, nor one through a symlink.
    expect(await again.api.openFile({ libraryId: alice.libraryId, path: 'file-1.txt' as LibraryPath })).toEqual({ ok: true });
    expect(await codeOf(again.api.openFile({ libraryId: alice.libraryId, path: 'missing.txt' as LibraryPath }))).toBe('not-found');
    const root = (await again.api.getStatus({})).libraries[0]!.localRoot;
    await symlink(os.tmpdir(), path.join(root, 'outside'));
    expect(await codeOf(again.api.openFile({ libraryId: alice.libraryId, path: 'outside/x' as LibraryPath }))).toBe('invalid-argument');
    expect(await again.api.checkLocalPaths({ libraryId: alice.libraryId, paths: ['file-1.txt', 'missing.txt', 'outside', 'outside/x'] as LibraryPath[] })).toEqual({
      found: [{ path: 'file-1.txt', kind: 'file' }],
    });
  });
});

/**
 * Two synced daemons paced at 4 MiB/s (alice up, bob down), so each direction of a 6 MiB file
 * takes over a second and reports several times; alice's folder gains video.bin (6 MiB) and
 * small.txt, not yet synced.
 */
async function pacedPairWithNewFiles(): Promise<{ alice: SyncedApiClient; bob: SyncedApiClient; big: Buffer }> {
  const alice = await syncedApi('alice');
  const bob = await syncedApi('bob');
  const limit = 4 * 1024 * 1024;
  await alice.api.setPreferences({ uploadLimit: limit });
  await bob.api.setPreferences({ downloadLimit: limit });
  const big = randomBytes(6 * 1024 * 1024);
  await writeFile(path.join(alice.root, 'video.bin'), big);
  await writeFile(path.join(alice.root, 'small.txt'), 'a few bytes');
  return { alice, bob, big };
}

describe('file progress', () => {
  it('reports a multi-MiB file going up from one device and down to another, rising to its size; small files not at all', async () => {
    const { alice, bob, big } = await pacedPairWithNewFiles();
    await roundOf(alice.api, alice.libraryId);
    await roundOf(bob.api, bob.libraryId);
    expect((await readFile(path.join(bob.root, 'video.bin'))).equals(big)).toBe(true);

    const cases = [
      ['alice', alice, 'upload'],
      ['bob', bob, 'download'],
    ] as const;
    for (const [name, client, direction] of cases) {
      const reportsOf = (file: string) =>
        client.events.flatMap((event) => (event.kind === 'fileProgressed' && event.path === file ? [event] : []));
      await eventually(() => expect(reportsOf('video.bin').at(-1)?.bytesDone, name).toBe(big.length));
      const reports = reportsOf('video.bin');
      expect(reports.length, name).toBeGreaterThan(2);
      for (const report of reports) expect(report, name).toEqual({ kind: 'fileProgressed', libraryId: client.libraryId, path: 'video.bin', direction, bytesDone: report.bytesDone, bytesTotal: big.length });
      const done = reports.map((report) => report.bytesDone);
      expect(done, name).toEqual([...done].sort((a, b) => a - b));
      expect(new Set(done).size, name).toBe(done.length);
      expect(done.filter((bytes) => bytes === big.length), name).toHaveLength(1);
      expect(reportsOf('small.txt'), name).toEqual([]);
    }
  });

  // Regression: the library's progress stayed at "0 B of 8 B" (the last small file started)
  // while a 3 MiB file downloaded, and was not published again until the round ended.
  it("publishes the library's round progress while a multi-MiB file moves: its totals cover the file, it rises, never past them", async () => {
    const { alice, bob, big } = await pacedPairWithNewFiles();
    const cases = [
      ['alice', alice, 'uploading'],
      ['bob', bob, 'downloading'],
    ] as const;
    for (const [name, client, phase] of cases) {
      const from = client.events.length;
      await roundOf(client.api, client.libraryId);
      // The event stream may trail the status answer: wait for the round's end on it too.
      const settled = (event: SyncEvent): boolean =>
        event.kind === 'libraryChanged' && event.library.libraryId === client.libraryId && ['up-to-date', 'needs-attention'].includes(event.library.state.kind);
      await eventually(() => expect(client.events.slice(from).some(settled), name).toBe(true));
      const progress = client.events.slice(from).flatMap((event) =>
        event.kind === 'libraryChanged' && event.library.libraryId === client.libraryId && event.library.state.kind === 'syncing' && event.library.state.phase === phase
          ? [event.library.state.progress]
          : [],
      );
      expect(progress.length, name).toBeGreaterThan(2);
      for (const [index, figures] of progress.entries()) {
        expect(figures.bytesTotal, name).toBeGreaterThanOrEqual(big.length);
        expect(figures.bytesDone, name).toBeLessThanOrEqual(figures.bytesTotal);
        expect(figures.filesTotal, name).toBeGreaterThanOrEqual(1);
        expect(figures.filesDone, name).toBeLessThanOrEqual(figures.filesTotal);
        if (index > 0) expect(figures.bytesDone, name).toBeGreaterThanOrEqual(progress[index - 1]!.bytesDone);
      }
      expect(new Set(progress.map((figures) => figures.bytesDone)).size, name).toBeGreaterThan(2);
      expect(progress.some((figures) => figures.bytesDone > 0 && figures.bytesDone < big.length), name).toBe(true);
    }
    expect((await readFile(path.join(bob.root, 'video.bin'))).equals(big)).toBe(true);
  });
});
