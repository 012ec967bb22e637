// The daemon's control API end to end: the control server on 127.0.0.1:0 in front of the fake
// SyncApi, reached through the browser client (createHttpSyncApi over undici's fetch and
// EventSource) and through raw HTTP where the test needs exact headers.

import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Agent, EventSource as UndiciEventSource, fetch as undiciFetch } from 'undici';
import type { Dispatcher } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OperationName, SyncApi, SyncEvent } from '../../shared/api/index.js';
import { OPERATION_NAMES, SyncApiError, apiErrorBodySchema } from '../../shared/api/index.js';
import { parseLibraryPath } from '../../shared/paths.js';
import type { ControlServer } from '../../src-main/daemon/controlServer.js';
import { CONTROL_CONTENT_SECURITY_POLICY } from '../../shared/contentSecurityPolicy.js';
import { startControlServer } from '../../src-main/daemon/controlServer.js';
import { newControlToken } from '../../src-main/daemon/controlToken.js';
import { createHttpSyncApi } from '../../src-renderer/api/httpSyncApi.js';
import type { ReconnectPolicy } from '../../src-renderer/api/httpSyncApi.js';
import { FakeSyncApi } from './fakeSyncApi.js';

// ---- support --------------------------------------------------------------------------------

const SERVER_URL = 'https://cairn.example.com';
const PHOTOS = 'library-photos';
const TEAM = 'library-team';
const lp = parseLibraryPath;

function makeFake(): FakeSyncApi {
  return new FakeSyncApi({
    servers: [
      {
        url: SERVER_URL,
        kind: 'cairn',
        users: { ann: 'correct horse' },
        libraries: [
          {
            libraryId: PHOTOS,
            name: 'Photos',
            owner: 'ann',
            role: 'owner',
            files: [
              { path: lp('2024/a.jpg'), size: 100 },
              { path: lp('2024/trip/b.jpg'), size: 200 },
              { path: lp('readme.txt'), size: 5 },
            ],
          },
          { libraryId: TEAM, name: 'Team', owner: 'bob', role: 'ro', files: [{ path: lp('plan.md'), size: 7 }] },
        ],
      },
      { url: 'https://not-cairn.example.com', kind: 'not-cairn', users: {}, libraries: [] },
      { url: 'https://bad-certificate.example.com', kind: 'bad-certificate', users: {}, libraries: [] },
    ],
  });
}

/** Adds one header to every request a dispatcher sends (how the tests play a browser's cookie jar). */
function withHeader(headers: Dispatcher.DispatchOptions['headers'], name: string, value: string): Dispatcher.DispatchOptions['headers'] {
  if (headers === undefined || headers === null) return { [name]: value };
  if (Array.isArray(headers)) return [...(headers as string[]), name, value];
  if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') {
    return [...(headers as Iterable<[string, string | string[] | undefined]>), [name, value]];
  }
  return { ...(headers as Record<string, string | string[] | undefined>), [name]: value };
}

function agentSending(name: string, value: string): Dispatcher {
  return new Agent().compose((dispatch) => (options, handler) => dispatch({ ...options, headers: withHeader(options.headers, name, value) }, handler));
}

const FAST_RECONNECT: ReconnectPolicy = { initialDelayMs: 20, maxDelayMs: 200 };

/** The browser client over undici, sending `header` with every request and event stream. */
function httpClient(url: string, header: [string, string], bugs: Error[] = []): SyncApi {
  const dispatcher = agentSending(header[0], header[1]);
  class NodeEventSource extends UndiciEventSource {
    constructor(target: string) {
      super(target, { node: { dispatcher } });
    }
  }
  return createHttpSyncApi(url, {
    fetch: (target, init) => undiciFetch(target, { ...init, dispatcher }),
    EventSource: NodeEventSource,
    reconnect: FAST_RECONNECT,
    onBug: (error) => bugs.push(error),
  });
}

interface RawAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** One HTTP request with exactly these headers and this target (no normalization of `..`). */
function raw(port: number, options: { method?: string; path: string; headers?: Record<string, string>; body?: string; setHost?: boolean }): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: options.headers ?? {},
        setHost: options.setHost ?? true,
        agent: false,
      },
      (response) => {
        const parts: Buffer[] = [];
        response.on('data', (part: Buffer) => parts.push(part));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(parts).toString('utf8') }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

function errorCodeOf(answer: RawAnswer): string {
  return apiErrorBodySchema.parse(JSON.parse(answer.body)).error.code;
}

async function rejection(promise: Promise<unknown>): Promise<SyncApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SyncApiError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

/** Records a subscription's events and resolves waits for events to come. */
class EventLog {
  readonly events: SyncEvent[] = [];
  private readonly waiters: { from: number; predicate: (event: SyncEvent) => boolean; resolve: (event: SyncEvent) => void }[] = [];
  readonly unsubscribe: () => void;

  constructor(api: SyncApi) {
    this.unsubscribe = api.subscribe((event) => {
      this.events.push(event);
      for (const waiter of [...this.waiters]) {
        if (waiter.predicate(event)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(event);
        }
      }
    });
  }

  /** The first event at or after index `from` that matches; waits for it if it has not come yet. */
  until(predicate: (event: SyncEvent) => boolean, from = 0): Promise<SyncEvent> {
    const found = this.events.slice(from).find(predicate);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve) => this.waiters.push({ from, predicate, resolve }));
  }
}

/** Waits until `check` holds, re-checking every few milliseconds (the test's timeout bounds it). */
async function eventually(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
}

const isUpToDate = (libraryId: string) => (event: SyncEvent) =>
  event.kind === 'libraryChanged' && event.library.libraryId === libraryId && event.library.state.kind === 'up-to-date';

// Every server a test starts is closed afterwards, even when the test fails.
const started: ControlServer[] = [];
async function start(options: Partial<Parameters<typeof startControlServer>[0]> & { api: SyncApi }): Promise<ControlServer & { token: string }> {
  const token = options.token ?? newControlToken();
  const server = await startControlServer({ port: 0, ...options, token });
  started.push(server);
  return Object.assign(server, { token });
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((server) => server.close()));
});

// ---- every operation, through the HTTP client ---------------------------------------------

interface RoundTripContext {
  readonly client: SyncApi;
  readonly fake: FakeSyncApi;
  readonly log: EventLog;
}

interface RoundTripCase {
  readonly operation: OperationName;
  readonly name: string;
  readonly run: (context: RoundTripContext) => Promise<void>;
}

/** Run in order against one server: each case builds on the state the earlier ones left. */
const roundTrips: RoundTripCase[] = [
  {
    operation: 'getStatus',
    name: 'answers the fake status, logged out',
    run: async ({ client, fake }) => {
      const status = await client.getStatus({});
      expect(status).toEqual({ account: null, allPaused: false, libraries: [] });
      expect(status).toEqual(await fake.getStatus({}));
    },
  },
  {
    operation: 'listRemoteLibraries',
    name: 'refuses before login with not-logged-in',
    run: async ({ client }) => {
      expect((await rejection(client.listRemoteLibraries({}))).code).toBe('not-logged-in');
    },
  },
  {
    operation: 'login',
    name: 'tells each connect failure apart',
    run: async ({ client }) => {
      const attempts = [
        { serverUrl: SERVER_URL, user: 'ann', password: 'wrong', code: 'wrong-password' },
        { serverUrl: 'https://nowhere.example.com', user: 'ann', password: 'x', code: 'unreachable' },
        { serverUrl: 'https://not-cairn.example.com', user: 'ann', password: 'x', code: 'not-cairn-server' },
        { serverUrl: 'https://bad-certificate.example.com', user: 'ann', password: 'x', code: 'certificate' },
      ] as const;
      for (const { code, ...request } of attempts) {
        expect((await rejection(client.login(request))).code, request.serverUrl).toBe(code);
      }
    },
  },
  {
    operation: 'login',
    name: 'logs in and announces the account',
    run: async ({ client, log }) => {
      const from = log.events.length;
      const account = await client.login({ serverUrl: `${SERVER_URL}/`, user: 'ann', password: 'correct horse' });
      expect(account).toEqual({ serverUrl: SERVER_URL, user: 'ann', deviceName: 'test-device' });
      const event = await log.until((candidate) => candidate.kind === 'statusChanged' && candidate.status.account !== null, from);
      expect(event).toEqual({ kind: 'statusChanged', status: { account, allPaused: false, libraries: [] } });
    },
  },
  {
    operation: 'listRemoteLibraries',
    name: 'lists the server libraries with roles',
    run: async ({ client, fake }) => {
      const answer = await client.listRemoteLibraries({});
      expect(answer.libraries.map((library) => [library.libraryId, library.role, library.syncedTo])).toEqual([
        [PHOTOS, 'owner', null],
        [TEAM, 'ro', null],
      ]);
      expect(answer).toEqual(await fake.listRemoteLibraries({}));
    },
  },
  {
    operation: 'createLibrary',
    name: 'creates a library, and refuses a second with the same name',
    run: async ({ client }) => {
      const created = await client.createLibrary({ name: 'Notes' });
      expect(created).toMatchObject({ name: 'Notes', owner: 'ann', role: 'owner', syncedTo: null });
      expect((await client.listRemoteLibraries({})).libraries.map((library) => library.name)).toContain('Notes');
      expect((await rejection(client.createLibrary({ name: 'Notes' }))).code).toBe('conflict');
    },
  },
  {
    operation: 'suggestFolder',
    name: 'suggests a folder for a library',
    run: async ({ client }) => {
      expect(await client.suggestFolder({ libraryName: 'Photos' })).toEqual({ path: '/home/fake/Cairn/Photos', nativePicker: false });
    },
  },
  {
    operation: 'checkFolder',
    name: 'checks a typed folder',
    run: async ({ client }) => {
      expect(await client.checkFolder({ path: 'relative' })).toMatchObject({ verdict: 'error', reason: 'not-absolute' });
      expect(await client.checkFolder({ path: '/srv/new' })).toMatchObject({ verdict: 'ok', reason: 'will-create' });
    },
  },
  {
    operation: 'chooseFolder',
    name: 'has no folder dialog outside the app',
    run: async ({ client }) => {
      expect((await rejection(client.chooseFolder({ title: 'Choose', startIn: null }))).code).toBe('forbidden');
    },
  },
  {
    operation: 'getRemoteFolders',
    name: 'lists one level of the tree with sizes',
    run: async ({ client }) => {
      expect(await client.getRemoteFolders({ libraryId: PHOTOS })).toEqual({
        libraryId: PHOTOS,
        path: '',
        folders: [{ path: '2024', name: '2024', fileCount: 2, totalBytes: 300, hasSubfolders: true }],
        fileCount: 1,
        totalBytes: 5,
      });
      expect(await client.getRemoteFolders({ libraryId: PHOTOS, path: lp('2024') })).toEqual({
        libraryId: PHOTOS,
        path: '2024',
        folders: [{ path: '2024/trip', name: 'trip', fileCount: 1, totalBytes: 200, hasSubfolders: false }],
        fileCount: 1,
        totalBytes: 100,
      });
      expect((await rejection(client.getRemoteFolders({ libraryId: PHOTOS, path: lp('nowhere') }))).code).toBe('not-found');
    },
  },
  {
    operation: 'addLibrary',
    name: 'adds a library that is honestly not up to date yet',
    run: async ({ client, fake }) => {
      const view = await client.addLibrary({ libraryId: PHOTOS, localRoot: '/home/ann/Cairn/Photos', selection: null });
      expect(view).toMatchObject({ libraryId: PHOTOS, localRoot: '/home/ann/Cairn/Photos', state: { kind: 'pending', reason: 'never-synced' }, lastSyncAt: null });
      expect((await client.getStatus({})).libraries).toEqual((await fake.getStatus({})).libraries);
    },
  },
  {
    operation: 'addLibrary',
    name: 'refuses an overlapping folder, a library synced twice and an unknown library',
    run: async ({ client }) => {
      expect((await rejection(client.addLibrary({ libraryId: TEAM, localRoot: '/home/ann/Cairn/Photos/team', selection: null }))).code).toBe('conflict');
      expect((await rejection(client.addLibrary({ libraryId: PHOTOS, localRoot: '/home/ann/Elsewhere', selection: null }))).code).toBe('conflict');
      expect((await rejection(client.addLibrary({ libraryId: 'library-missing', localRoot: '/home/ann/Missing', selection: null }))).code).toBe('not-found');
    },
  },
  {
    operation: 'setSelection',
    name: 'changes the selection',
    run: async ({ client }) => {
      const view = await client.setSelection({ libraryId: PHOTOS, selection: [lp('2024')] });
      expect(view.selection).toEqual(['2024']);
    },
  },
  {
    operation: 'getIgnoreRules',
    name: 'starts empty',
    run: async ({ client }) => {
      expect(await client.getIgnoreRules({ libraryId: PHOTOS })).toEqual({ libraryId: PHOTOS, text: '' });
    },
  },
  {
    operation: 'setIgnoreRules',
    name: 'stores the text as given',
    run: async ({ client }) => {
      const text = '*.tmp\n# 临时文件\n/build/\n';
      expect(await client.setIgnoreRules({ libraryId: PHOTOS, text })).toEqual({ libraryId: PHOTOS, text });
      expect(await client.getIgnoreRules({ libraryId: PHOTOS })).toEqual({ libraryId: PHOTOS, text });
    },
  },
  {
    operation: 'syncNow',
    name: 'queues a round that ends up to date, reported by events',
    run: async ({ client, fake, log }) => {
      const from = log.events.length;
      expect(await client.syncNow({ libraryId: PHOTOS })).toEqual({ queued: [PHOTOS] });
      await log.until(isUpToDate(PHOTOS), from);
      await fake.idle();
      const library = (await client.getStatus({})).libraries[0]!;
      expect(library.state).toEqual({ kind: 'up-to-date' });
      expect(library.lastSyncAt).not.toBeNull();
    },
  },
  {
    operation: 'getStatus',
    name: 'is pending, never up to date, while a remote change waits',
    run: async ({ client, fake }) => {
      fake.addRemoteFile(PHOTOS, lp('2024/new.jpg'), 50);
      expect((await client.getStatus({})).libraries[0]!.state).toEqual({ kind: 'pending', reason: 'changes-seen' });
    },
  },
  {
    operation: 'pauseLibrary',
    name: 'pauses, and a paused library is not queued',
    run: async ({ client }) => {
      const view = await client.pauseLibrary({ libraryId: PHOTOS });
      expect(view.state).toMatchObject({ kind: 'paused', reason: 'user' });
      expect(await client.syncNow({})).toEqual({ queued: [] });
    },
  },
  {
    operation: 'resumeLibrary',
    name: 'resumes to the honest state',
    run: async ({ client }) => {
      expect((await client.resumeLibrary({ libraryId: PHOTOS })).state).toEqual({ kind: 'pending', reason: 'changes-seen' });
    },
  },
  {
    operation: 'pauseAll',
    name: 'pauses every library',
    run: async ({ client }) => {
      const status = await client.pauseAll({});
      expect(status.allPaused).toBe(true);
      expect(status.libraries[0]!.state).toMatchObject({ kind: 'paused', reason: 'all-paused' });
    },
  },
  {
    operation: 'resumeAll',
    name: 'resumes every library',
    run: async ({ client }) => {
      const status = await client.resumeAll({});
      expect(status.allPaused).toBe(false);
      expect(status.libraries[0]!.state.kind).toBe('pending');
    },
  },
  {
    operation: 'listConflicts',
    name: 'lists the open conflicts',
    run: async ({ client, fake }) => {
      expect(await client.listConflicts({})).toEqual({ conflicts: [] });
      const conflict = fake.addConflict(PHOTOS, lp('2024/a.jpg'), lp('2024/a (conflict test-device 2025-01-02 030405).jpg'));
      expect(await client.listConflicts({ libraryId: PHOTOS })).toEqual({ conflicts: [conflict] });
      expect((await client.getStatus({})).libraries[0]!).toMatchObject({ openConflicts: 1 });
      expect((await rejection(client.listConflicts({ libraryId: 'library-unknown' }))).code).toBe('not-found');
    },
  },
  {
    operation: 'resolveConflict',
    name: 'resolves once, then the conflict is gone',
    run: async ({ client }) => {
      const [conflict] = (await client.listConflicts({})).conflicts;
      expect(await client.resolveConflict({ conflictId: conflict!.conflictId, keep: 'remote' })).toEqual(conflict);
      expect(await client.listConflicts({})).toEqual({ conflicts: [] });
      expect((await rejection(client.resolveConflict({ conflictId: conflict!.conflictId, keep: 'both' }))).code).toBe('not-found');
    },
  },
  {
    operation: 'listProblems',
    name: 'lists the problems a round reported',
    run: async ({ client, fake }) => {
      fake.addProblem(PHOTOS, { kind: 'unreadable', path: lp('2024/locked.jpg'), message: 'cannot read 2024/locked.jpg: permission denied' });
      const { problems } = await client.listProblems({});
      expect(problems).toEqual([expect.objectContaining({ libraryId: PHOTOS, kind: 'unreadable', path: '2024/locked.jpg' })]);
      expect(await client.listProblems({ libraryId: PHOTOS })).toEqual({ problems });
    },
  },
  {
    operation: 'setProblemDismissed',
    name: 'dismisses a problem and brings it back',
    run: async ({ client }) => {
      // The problem listProblems saw reported.
      const key = { libraryId: PHOTOS, kind: 'unreadable', path: lp('2024/locked.jpg'), name: '' } as const;
      const dismissed = await client.setProblemDismissed({ ...key, dismissed: true });
      expect(dismissed.problems.find((problem) => problem.path === key.path)?.dismissedAt).toEqual(expect.any(Number));
      const back = await client.setProblemDismissed({ ...key, dismissed: false });
      expect(back.problems.find((problem) => problem.path === key.path)?.dismissedAt).toBeNull();
      expect((await rejection(client.setProblemDismissed({ ...key, path: lp('nothing'), dismissed: true }))).code).toBe('not-found');
    },
  },
  {
    operation: 'renameLocalItem',
    name: 'renames a badly named file in its folder',
    run: async ({ client, fake }) => {
      expect(await client.renameLocalItem({ libraryId: PHOTOS, folder: lp('2024'), name: 'bad\\name.jpg', newName: 'bad name.jpg' })).toEqual({ ok: true });
      expect(fake.renamed).toEqual([{ libraryId: PHOTOS, folder: '2024', name: 'bad\\name.jpg', newName: 'bad name.jpg' }]);
    },
  },
  {
    operation: 'previewIgnoreRules',
    name: 'checks ignore rules as they are typed',
    run: async ({ client }) => {
      expect(await client.previewIgnoreRules({ libraryId: PHOTOS, text: '*.tmp\n' })).toEqual({ issues: [], matchCount: 0, matches: [] });
    },
  },
  {
    operation: 'getHistory',
    name: 'lists the versions of a file on the server',
    run: async ({ client, fake }) => {
      fake.addRemoteFile(PHOTOS, lp('2024/later.jpg'), 2048);
      const history = await client.getHistory({ libraryId: PHOTOS, path: lp('2024/later.jpg') });
      expect(history).toEqual(await fake.getHistory({ libraryId: PHOTOS, path: lp('2024/later.jpg') }));
      expect(history.versions).toEqual([expect.objectContaining({ path: '2024/later.jpg', size: 2048, deleted: false, movedFrom: null })]);
    },
  },
  {
    operation: 'getVersionPreview',
    name: 'says what a version holds',
    run: async ({ client, fake }) => {
      fake.addRemoteFile(PHOTOS, lp('2024/later.jpg'), 2048);
      expect(await client.getVersionPreview({ libraryId: PHOTOS, path: lp('2024/later.jpg'), rev: 1 })).toEqual({ kind: 'binary', reason: 'not-text' });
    },
  },
  {
    operation: 'listTrash',
    name: 'lists the deleted files of a library',
    run: async ({ client }) => {
      expect(await client.listTrash({ libraryId: PHOTOS })).toEqual({ items: [], hasMore: false });
    },
  },
  {
    operation: 'listFiles',
    name: 'lists one folder of a library, folders first',
    run: async ({ client }) => {
      const listing = await client.listFiles({ libraryId: PHOTOS, path: '' });
      expect(listing.path).toBe('');
      expect(listing.rows[0]).toMatchObject({ name: '2024', path: '2024', kind: 'dir', size: null });
      expect(listing.rows.map((row) => row.name)).toContain('readme.txt');
      expect([listing.total, listing.nextCursor]).toEqual([listing.rows.length, null]);
      expect((await rejection(client.listFiles({ libraryId: 'no-such-library', path: '' }))).code).toBe('not-found');
    },
  },
  {
    operation: 'openFile',
    name: 'refuses a file that is not on this computer',
    run: async ({ client }) => {
      expect((await rejection(client.openFile({ libraryId: PHOTOS, path: lp('nowhere.txt') }))).code).toBe('not-found');
    },
  },
  {
    operation: 'checkLocalPaths',
    name: 'says which paths are on this computer',
    run: async ({ client }) => {
      expect(await client.checkLocalPaths({ libraryId: PHOTOS, paths: [lp('nowhere.txt')] })).toEqual({ found: [] });
    },
  },
  {
    operation: 'restoreCopy',
    name: 'carries a refusal of a version to copy',
    run: async ({ client }) => {
      expect((await rejection(client.restoreCopy({ libraryId: PHOTOS, path: lp('readme.txt'), rev: 9 }))).code).toBe('not-found');
    },
  },
  {
    operation: 'openVersion',
    name: 'carries a refusal of a version to open',
    run: async ({ client }) => {
      expect((await rejection(client.openVersion({ libraryId: PHOTOS, path: lp('readme.txt'), rev: 9 }))).code).toBe('not-found');
    },
  },
  {
    operation: 'restoreSnapshot',
    name: 'checks the target folder at the door and carries a refusal',
    run: async ({ client }) => {
      expect((await rejection(client.restoreSnapshot({ libraryId: PHOTOS, at: 1, target: 'relative/folder' }))).code).toBe('invalid-argument');
      expect((await rejection(client.restoreSnapshot({ libraryId: PHOTOS, at: 1, target: '/home/ann/as-it-was' }))).code).toBe('not-found');
    },
  },
  {
    operation: 'previewSelection',
    name: 'says what a new selection would take off this computer',
    run: async ({ client }) => {
      expect(await client.previewSelection({ libraryId: PHOTOS, selection: null })).toEqual({ leaving: [] });
    },
  },
  {
    operation: 'getPendingWork',
    name: 'counts what waits to go up and down',
    run: async ({ client }) => {
      const { pending } = await client.getPendingWork({ libraryId: PHOTOS });
      expect(pending).toMatchObject({ deleteOnServer: 0, download: { files: 0, bytes: 0 }, deleteHere: 0 });
    },
  },
  {
    operation: 'listMembers',
    name: 'lists who can use a library',
    run: async ({ client }) => {
      expect(await client.listMembers({ libraryId: TEAM })).toEqual({ members: [{ user: 'bob', role: 'owner' }] });
    },
  },
  {
    operation: 'setMember',
    name: 'refuses a user the server does not know',
    run: async ({ client }) => {
      expect((await rejection(client.setMember({ libraryId: PHOTOS, user: 'nobody', role: 'ro' }))).code).toBe('not-found');
    },
  },
  {
    operation: 'removeMember',
    name: 'refuses to remove someone who is not a member',
    run: async ({ client }) => {
      expect((await rejection(client.removeMember({ libraryId: PHOTOS, user: 'nobody' }))).code).toBe('not-found');
    },
  },
  {
    operation: 'restoreVersion',
    name: 'says so when there is no earlier version',
    run: async ({ client, fake }) => {
      fake.addRemoteFile(PHOTOS, lp('2024/later.jpg'), 2048);
      expect((await rejection(client.restoreVersion({ libraryId: PHOTOS, path: lp('2024/later.jpg') }))).code).toBe('not-found');
    },
  },
  {
    operation: 'getActivity',
    name: 'pages newest first',
    run: async ({ client, fake }) => {
      const all = await client.getActivity({});
      expect(all).toEqual(await fake.getActivity({}));
      const ids = all.entries.map((entry) => entry.activityId);
      expect(ids).toEqual([...ids].sort((a, b) => b - a));
      expect(all.entries.map((entry) => entry.kind)).toEqual(['problem-found', 'conflict-found', 'downloaded', 'downloaded']);
      const first = await client.getActivity({ limit: 1 });
      expect(first).toEqual({ entries: [all.entries[0]], hasMore: true });
      const rest = await client.getActivity({ before: first.entries[0]!.activityId, limit: 10, libraryId: PHOTOS });
      expect(rest).toEqual({ entries: all.entries.slice(1), hasMore: false });
    },
  },
  {
    operation: 'getConflictDetails',
    name: 'shows both versions with the merge, and a merge decided on it goes through',
    run: async ({ client, fake }) => {
      const conflict = fake.addConflict(PHOTOS, lp('notes.md'), lp('notes (conflict test-device 2025-01-02 030405).md'));
      const details = await client.getConflictDetails({ conflictId: conflict.conflictId });
      expect(details).toMatchObject({ conflict, baseStatus: 'available', local: { kind: 'file', path: conflict.conflictPath }, remote: { kind: 'file', path: 'notes.md' } });
      if (details.preview.kind !== 'text' || details.preview.merge === null) throw new Error('expected a text preview with a merge');
      expect(details.preview.merge.counts.conflict).toBe(1);
      const versions = { local: details.local.versionToken!, remote: details.remote.versionToken! };
      expect((await rejection(client.resolveConflict({ conflictId: conflict.conflictId, keep: 'merged', versions, choices: [] }))).code).toBe('invalid-argument');
      // A merge without the preview's tokens does not pass the contract.
      const untokened = { conflictId: conflict.conflictId, keep: 'merged', choices: ['mine'] } as unknown as Parameters<SyncApi['resolveConflict']>[0];
      expect((await rejection(client.resolveConflict(untokened))).code).toBe('invalid-argument');
      fake.editConflictSide(conflict.conflictId, 'remote', 'their line, saved again\n');
      expect((await rejection(client.resolveConflict({ conflictId: conflict.conflictId, keep: 'merged', versions, choices: ['mine'] }))).code).toBe('conflict');
      const fresh = await client.getConflictDetails({ conflictId: conflict.conflictId });
      expect(await client.resolveConflict({ conflictId: conflict.conflictId, keep: 'merged', versions: { local: fresh.local.versionToken!, remote: fresh.remote.versionToken! }, choices: ['mine'] })).toEqual(conflict);
      expect((await rejection(client.getConflictDetails({ conflictId: conflict.conflictId }))).code).toBe('not-found');
    },
  },
  {
    operation: 'resolveConflicts',
    name: 'answers one outcome per conflict, in order',
    run: async ({ client, fake }) => {
      const clean = fake.addConflict(PHOTOS, lp('a.txt'), lp('a (conflict test-device 2025-01-02 030405).txt'), { base: 'a\nb\nc\n', local: 'A\nb\nc\n', remote: 'a\nb\nC\n' });
      const overlapping = fake.addConflict(PHOTOS, lp('b.txt'), lp('b (conflict test-device 2025-01-02 030405).txt'));
      const { results } = await client.resolveConflicts({ conflictIds: [overlapping.conflictId, clean.conflictId], keep: 'merged' });
      expect(results).toEqual([
        { conflictId: overlapping.conflictId, outcome: 'failed', error: { code: 'invalid-argument', message: expect.any(String) } },
        { conflictId: clean.conflictId, outcome: 'resolved', conflict: clean },
      ]);
      expect((await client.resolveConflicts({ conflictIds: [overlapping.conflictId], keep: 'both' })).results[0]?.outcome).toBe('resolved');
      expect((await rejection(client.resolveConflicts({ conflictIds: [], keep: 'both' }))).code).toBe('invalid-argument');
    },
  },
  {
    operation: 'setAutoMerge',
    name: 'allows automatic merges, which resolve clean conflicts and say so',
    run: async ({ client, fake, log }) => {
      const clean = fake.addConflict(PHOTOS, lp('c.txt'), lp('c (conflict test-device 2025-01-02 030405).txt'), { base: 'a\nb\nc\n', local: 'A\nb\nc\n', remote: 'a\nb\nC\n' });
      const from = log.events.length;
      const view = await client.setAutoMerge({ libraryId: PHOTOS, autoMerge: true });
      expect(view).toMatchObject({ libraryId: PHOTOS, autoMerge: true });
      const merged = await log.until((event) => event.kind === 'activityAdded' && event.entry.kind === 'conflict-merged', from);
      expect(merged).toMatchObject({ entry: { kind: 'conflict-merged', path: 'c.txt', conflictPath: clean.conflictPath } });
      expect(await client.listConflicts({ libraryId: PHOTOS })).toEqual({ conflicts: [] });
      expect((await client.setAutoMerge({ libraryId: PHOTOS, autoMerge: false })).autoMerge).toBe(false);
      expect((await rejection(client.setAutoMerge({ libraryId: 'library-unknown', autoMerge: true }))).code).toBe('not-found');
    },
  },
  {
    operation: 'getPreferences',
    name: 'answers the defaults',
    run: async ({ client }) => {
      expect(await client.getPreferences({})).toEqual({ language: 'en', startAtLogin: false, notifications: true, uploadLimit: null, downloadLimit: null, theme: 'system' });
    },
  },
  {
    operation: 'setPreferences',
    name: 'merges a partial update and announces it',
    run: async ({ client, log }) => {
      const from = log.events.length;
      const preferences = await client.setPreferences({ language: 'zh-CN', uploadLimit: 1024 * 1024 });
      expect(preferences).toEqual({ language: 'zh-CN', startAtLogin: false, notifications: true, uploadLimit: 1024 * 1024, downloadLimit: null, theme: 'system' });
      expect(await log.until((event) => event.kind === 'preferencesChanged', from)).toEqual({ kind: 'preferencesChanged', preferences });
      expect(await client.setPreferences({ uploadLimit: null })).toEqual({ ...preferences, uploadLimit: null });
    },
  },
  {
    operation: 'openFolder',
    name: 'opens the library folder or a path inside it',
    run: async ({ client, fake }) => {
      expect(await client.openFolder({ libraryId: PHOTOS })).toEqual({ ok: true });
      expect(await client.openFolder({ libraryId: PHOTOS, path: lp('2024/trip') })).toEqual({ ok: true });
      expect(fake.openedFolders).toEqual([
        { libraryId: PHOTOS, localPath: '/home/ann/Cairn/Photos' },
        { libraryId: PHOTOS, localPath: '/home/ann/Cairn/Photos/2024/trip' },
      ]);
    },
  },
  {
    operation: 'openFile',
    name: 'opens a file with the computer’s app for it',
    run: async ({ client, fake }) => {
      fake.addLocalFile(PHOTOS, lp('2024/a.bin'), 3);
      expect(await client.openFile({ libraryId: PHOTOS, path: lp('2024/a.bin') })).toEqual({ ok: true });
      expect(fake.openedFolders.at(-1)).toEqual({ libraryId: PHOTOS, localPath: '/home/ann/Cairn/Photos/2024/a.bin' });
    },
  },
  {
    operation: 'removeLibrary',
    name: 'stops syncing and names the folder that stays',
    run: async ({ client }) => {
      expect(await client.removeLibrary({ libraryId: PHOTOS })).toEqual({ libraryId: PHOTOS, name: 'Photos', localRoot: '/home/ann/Cairn/Photos' });
      expect((await client.getStatus({})).libraries).toEqual([]);
      expect((await rejection(client.removeLibrary({ libraryId: PHOTOS }))).code).toBe('not-found');
    },
  },
  {
    operation: 'listAccounts',
    name: 'lists the accounts with their libraries',
    run: async ({ client, fake }) => {
      const { accounts } = await client.listAccounts({});
      expect(accounts).toEqual((await fake.listAccounts({})).accounts);
      expect(accounts.map((account) => account.signedIn)).toEqual([true]);
    },
  },
  {
    operation: 'listLinkCandidates',
    name: 'answers the accounts that may be chosen (none: the fake links every library)',
    run: async ({ client }) => {
      expect(await client.listLinkCandidates({ libraryId: PHOTOS })).toEqual({ accounts: [] });
    },
  },
  {
    operation: 'linkLibrary',
    name: 'passes on the refusal of a library linked already',
    run: async ({ client }) => {
      expect((await rejection(client.linkLibrary({ libraryId: PHOTOS, accountId: 'fake-account-1' }))).code).toBe('conflict');
    },
  },
  {
    operation: 'removeAccount',
    name: 'removes the account and answers the libraries that left, or refuses an unknown account',
    run: async ({ client }) => {
      expect((await rejection(client.removeAccount({ accountId: 'no-such-account' }))).code).toBe('not-found');
      const answer = await client.removeAccount({ accountId: 'fake-account-1' });
      expect(answer.ok).toBe(true);
      expect((await client.getStatus({})).account).toBeNull();
      expect((await client.listAccounts({})).accounts).toEqual([]);
    },
  },
  {
    operation: 'logout',
    name: 'forgets the account',
    run: async ({ client }) => {
      expect(await client.logout({})).toEqual({ ok: true });
      expect((await client.getStatus({})).account).toBeNull();
    },
  },
];

describe('every operation round-trips through the HTTP client', () => {
  const fake = makeFake();
  let server: ControlServer & { token: string };
  let context: RoundTripContext;
  const bugs: Error[] = [];

  beforeAll(async () => {
    // Not through start(): this server lives for the whole table.
    const token = newControlToken();
    server = Object.assign(await startControlServer({ api: fake, port: 0, token }), { token });
    const client = httpClient(server.url, ['authorization', `Bearer ${token}`], bugs);
    const log = new EventLog(client);
    await log.until((event) => event.kind === 'statusChanged');
    context = { client, fake, log };
  });
  afterAll(async () => {
    context?.log.unsubscribe();
    await server?.close();
  });

  it('covers every operation of the contract', () => {
    expect(new Set(roundTrips.map((roundTrip) => roundTrip.operation))).toEqual(new Set(OPERATION_NAMES));
  });

  for (const roundTrip of roundTrips) {
    it(`${roundTrip.operation}: ${roundTrip.name}`, async () => {
      await roundTrip.run(context);
      expect(bugs).toEqual([]);
    });
  }
});

// ---- who may call -----------------------------------------------------------------------------

describe('authentication', () => {
  const cases: { name: string; headers: (token: string) => Record<string, string>; path?: string; status: number }[] = [
    { name: 'no token', headers: () => ({}), status: 401 },
    { name: 'a wrong bearer token', headers: () => ({ authorization: `Bearer ${newControlToken()}` }), status: 401 },
    { name: 'the token with one character changed', headers: (token) => ({ authorization: `Bearer ${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}` }), status: 401 },
    { name: 'a bearer prefix of the token', headers: (token) => ({ authorization: `Bearer ${token.slice(0, 10)}` }), status: 401 },
    { name: 'the token without the Bearer scheme', headers: (token) => ({ authorization: token }), status: 401 },
    { name: 'a wrong cookie', headers: () => ({ cookie: `cairn_token=${newControlToken()}` }), status: 401 },
    // Cookies are not scoped by port: any page on 127.0.0.1 would receive one, so none counts.
    { name: 'the right token as a cookie', headers: (token) => ({ cookie: `theme=dark; cairn_token=${token}; lang=en` }), status: 401 },
    { name: 'the token as a query parameter', headers: () => ({}), path: '/api/getStatus?token=TOKEN', status: 401 },
    { name: 'the right bearer token', headers: (token) => ({ authorization: `Bearer ${token}` }), status: 200 },
    { name: 'the right bearer token, scheme in lower case', headers: (token) => ({ authorization: `bearer ${token}` }), status: 200 },
  ];
  for (const testCase of cases) {
    it(`${testCase.name} -> ${testCase.status}`, async () => {
      const server = await start({ api: makeFake() });
      const answer = await raw(server.port, {
        method: 'POST',
        path: (testCase.path ?? '/api/getStatus').replace('TOKEN', server.token),
        headers: { 'content-type': 'application/json', ...testCase.headers(server.token) },
        body: '{}',
      });
      expect(answer.status).toBe(testCase.status);
      if (testCase.status === 401) {
        expect(errorCodeOf(answer)).toBe('unauthorized');
        expect(answer.headers['www-authenticate']).toMatch(/^Bearer/);
      }
    });
  }

  it('guards the event stream too', async () => {
    const server = await start({ api: makeFake() });
    const answer = await raw(server.port, { path: '/api/events' });
    expect(answer.status).toBe(401);
    expect(errorCodeOf(answer)).toBe('unauthorized');
  });

  it('moves a link of an earlier version into the fragment, setting no cookie', async () => {
    const server = await start({ api: makeFake() });
    const link = await raw(server.port, { path: `/?token=${server.token}`, headers: { 'sec-fetch-site': 'none' } });
    expect(link.status).toBe(303);
    expect(link.headers.location).toBe(`/#token=${server.token}`);
    expect(link.headers['cache-control']).toBe('no-store');
    expect(link.headers['referrer-policy']).toBe('no-referrer');
    expect(link.headers['set-cookie']).toBeUndefined();
  });

  it('serves the browser client that holds the token, calls and events both (fetch, not EventSource)', async () => {
    const fake = makeFake();
    const server = await start({ api: fake });
    const client = createHttpSyncApi(server.url, { token: server.token, reconnect: FAST_RECONNECT });
    const log = new EventLog(client);
    try {
      expect(await client.getStatus({})).toEqual(await fake.getStatus({}));
      await log.until((event) => event.kind === 'statusChanged');
      await client.pauseAll({});
      await log.until((event) => event.kind === 'statusChanged' && event.status.allPaused);
    } finally {
      log.unsubscribe();
    }
  });

  it('refuses a wrong link token without setting a cookie', async () => {
    const server = await start({ api: makeFake() });
    const link = await raw(server.port, { path: `/?token=${newControlToken()}` });
    expect(link.status).toBe(401);
    expect(link.headers['set-cookie']).toBeUndefined();
  });

  it('refuses to start on any address but 127.0.0.1, or with a short token', async () => {
    for (const host of ['0.0.0.0', 'localhost', '::1', '192.168.1.10']) {
      await expect(startControlServer({ api: makeFake(), host, port: 0, token: newControlToken() })).rejects.toThrow(/127\.0\.0\.1 only/);
    }
    await expect(startControlServer({ api: makeFake(), port: 0, token: 'short' })).rejects.toThrow(/too short/);
  });
});

describe('foreign origins and hosts (CSRF, DNS rebinding)', () => {
  const cases: { name: string; headers: (port: number) => Record<string, string>; setHost?: boolean; status: number }[] = [
    { name: 'a foreign Origin', headers: () => ({ origin: 'http://evil.example' }), status: 403 },
    { name: 'the null Origin', headers: () => ({ origin: 'null' }), status: 403 },
    { name: 'our address on another port as Origin', headers: (port) => ({ origin: `http://127.0.0.1:${port + 1}` }), status: 403 },
    { name: 'https with our address as Origin', headers: (port) => ({ origin: `https://127.0.0.1:${port}` }), status: 403 },
    { name: 'a rebinding Host name', headers: (port) => ({ host: `evil.example:${port}` }), status: 403 },
    { name: 'our address without the port as Host', headers: () => ({ host: '127.0.0.1' }), status: 403 },
    { name: 'another port as Host', headers: (port) => ({ host: `localhost:${port + 1}` }), status: 403 },
    // Node's parser refuses an HTTP/1.1 request without Host before it reaches us.
    { name: 'no Host at all', headers: () => ({}), setHost: false, status: 400 },
    { name: 'a cross-site fetch', headers: () => ({ 'sec-fetch-site': 'cross-site' }), status: 403 },
    { name: 'a same-site fetch from another port', headers: () => ({ 'sec-fetch-site': 'same-site' }), status: 403 },
    { name: 'our own Origin', headers: (port) => ({ origin: `http://127.0.0.1:${port}` }), status: 200 },
    { name: 'our own Origin by name, with a localhost Host', headers: (port) => ({ origin: `http://localhost:${port}`, host: `localhost:${port}` }), status: 200 },
    { name: 'a same-origin fetch', headers: () => ({ 'sec-fetch-site': 'same-origin' }), status: 200 },
  ];
  for (const testCase of cases) {
    it(`${testCase.name} -> ${testCase.status}`, async () => {
      const fake = makeFake();
      const server = await start({ api: fake });
      const answer = await raw(server.port, {
        method: 'POST',
        path: '/api/pauseAll',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}`, ...testCase.headers(server.port) },
        body: '{}',
        ...(testCase.setHost === undefined ? {} : { setHost: testCase.setHost }),
      });
      expect(answer.status).toBe(testCase.status);
      // A refused request never reaches the API: nothing was paused.
      expect((await fake.getStatus({})).allPaused).toBe(testCase.status === 200);
      if (testCase.status === 403) expect(errorCodeOf(answer)).toBe('forbidden');
    });
  }

  it('refuses a foreign Origin on the static files and the link too', async () => {
    const server = await start({ api: makeFake() });
    const answer = await raw(server.port, { path: `/?token=${server.token}`, headers: { origin: 'http://evil.example' } });
    expect(answer.status).toBe(403);
    expect(answer.headers['set-cookie']).toBeUndefined();
  });
});

// ---- what may be asked ------------------------------------------------------------------------

describe('invalid requests are refused with invalid-argument', () => {
  const cases: { name: string; path: string; body: string; contentType?: string; detail: RegExp }[] = [
    { name: 'malformed JSON', path: '/api/getStatus', body: '{"', detail: /not JSON/ },
    { name: 'an empty body', path: '/api/getStatus', body: '', detail: /not JSON/ },
    { name: 'an array instead of an object', path: '/api/getStatus', body: '[]', detail: /invalid getStatus request/ },
    { name: 'an unknown field', path: '/api/getStatus', body: '{"verbose":true}', detail: /verbose/ },
    { name: 'a missing field', path: '/api/pauseLibrary', body: '{}', detail: /libraryId/ },
    { name: 'a field of the wrong type', path: '/api/resolveConflict', body: '{"conflictId":"1","keep":"local"}', detail: /conflictId/ },
    { name: 'an unknown keep choice', path: '/api/resolveConflict', body: '{"conflictId":1,"keep":"mine"}', detail: /keep/ },
    { name: 'a path escaping the library', path: '/api/setSelection', body: '{"libraryId":"library-photos","selection":["../etc"]}', detail: /canonical/ },
    { name: 'a relative local folder', path: '/api/addLibrary', body: '{"libraryId":"library-photos","localRoot":"Photos","selection":null}', detail: /absolute/ },
    { name: 'a server address that is not http(s)', path: '/api/login', body: '{"serverUrl":"file:///etc/passwd","user":"ann","password":"x"}', detail: /serverUrl/ },
    { name: 'an id that is not url-safe', path: '/api/removeLibrary', body: '{"libraryId":"../../x"}', detail: /libraryId/ },
    { name: 'a language we do not ship', path: '/api/setPreferences', body: '{"language":"fr"}', detail: /language/ },
    { name: 'a bandwidth limit below 1 KiB/s', path: '/api/setPreferences', body: '{"uploadLimit":10}', detail: /uploadLimit/ },
    { name: 'a form body', path: '/api/pauseAll', body: 'a=1', contentType: 'application/x-www-form-urlencoded', detail: /application\/json/ },
    { name: 'a text/plain body (the CSRF-friendly type)', path: '/api/pauseAll', body: '{}', contentType: 'text/plain', detail: /application\/json/ },
  ];
  for (const testCase of cases) {
    it(testCase.name, async () => {
      const fake = makeFake();
      const server = await start({ api: fake });
      const before = await fake.getStatus({});
      const answer = await raw(server.port, {
        method: 'POST',
        path: testCase.path,
        headers: { 'content-type': testCase.contentType ?? 'application/json', authorization: `Bearer ${server.token}` },
        body: testCase.body,
      });
      expect(answer.status).toBe(400);
      const body = apiErrorBodySchema.parse(JSON.parse(answer.body));
      expect(body.error.code).toBe('invalid-argument');
      expect(body.error.message + JSON.stringify(body.error.details ?? {})).toMatch(testCase.detail);
      expect(await fake.getStatus({})).toEqual(before);
    });
  }

  it('answers not-found for an unknown operation and a method mismatch with Allow', async () => {
    const server = await start({ api: makeFake() });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${server.token}` };
    for (const name of ['deleteEverything', 'constructor', '__proto__', 'toString', '']) {
      const answer = await raw(server.port, { method: 'POST', path: `/api/${name}`, headers, body: '{}' });
      expect([answer.status, errorCodeOf(answer)], name).toEqual([404, 'not-found']);
    }
    const get = await raw(server.port, { path: '/api/getStatus', headers });
    expect([get.status, get.headers.allow]).toEqual([400, 'POST']);
    const postEvents = await raw(server.port, { method: 'POST', path: '/api/events', headers, body: '{}' });
    expect([postEvents.status, postEvents.headers.allow]).toEqual([400, 'GET']);
  });

  it('refuses a body over the limit with payload-too-large, and the connection still answers', async () => {
    const server = await start({ api: makeFake(), maxRequestBytes: 1024 });
    const text = 'x'.repeat(2000);
    const answer = await raw(server.port, {
      method: 'POST',
      path: '/api/setIgnoreRules',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` },
      body: JSON.stringify({ libraryId: PHOTOS, text }),
    });
    expect([answer.status, errorCodeOf(answer)]).toEqual([413, 'payload-too-large']);
  });
});

describe('bugs in the service stay behind the boundary', () => {
  function apiWith(fake: FakeSyncApi, overrides: Partial<SyncApi>): SyncApi {
    return new Proxy(fake, {
      get(target, property, receiver) {
        if (typeof property === 'string' && property in overrides) return overrides[property as keyof SyncApi];
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  const cases: { name: string; overrides: Partial<SyncApi>; message: RegExp }[] = [
    {
      name: 'an operation that throws a plain error',
      overrides: { getPreferences: async () => Promise.reject(new Error('the settings file vanished')) },
      message: /internal error: the settings file vanished/,
    },
    {
      name: 'an answer that breaks the contract',
      overrides: { getPreferences: async () => ({ language: 'fr' }) as never },
      message: /broke the contract/,
    },
  ];
  for (const testCase of cases) {
    it(`${testCase.name} answers internal and is reported`, async () => {
      const bugs: unknown[] = [];
      const server = await start({ api: apiWith(makeFake(), testCase.overrides), onBug: (error) => bugs.push(error) });
      const answer = await raw(server.port, {
        method: 'POST',
        path: '/api/getPreferences',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` },
        body: '{}',
      });
      expect(answer.status).toBe(500);
      const body = apiErrorBodySchema.parse(JSON.parse(answer.body));
      expect(body.error.code).toBe('internal');
      expect(body.error.message).toMatch(testCase.message);
      expect(bugs).toHaveLength(1);
    });
  }

  it('a SyncApiError is an expected failure, not a bug', async () => {
    const bugs: unknown[] = [];
    const server = await start({ api: makeFake(), onBug: (error) => bugs.push(error) });
    const answer = await raw(server.port, {
      method: 'POST',
      path: '/api/listRemoteLibraries',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` },
      body: '{}',
    });
    expect([answer.status, errorCodeOf(answer)]).toEqual([422, 'not-logged-in']);
    expect(bugs).toEqual([]);
  });
});

// ---- events -----------------------------------------------------------------------------------

describe('the event stream', () => {
  async function loggedInFake(): Promise<FakeSyncApi> {
    const fake = makeFake();
    await fake.login({ serverUrl: SERVER_URL, user: 'ann', password: 'correct horse' });
    await fake.addLibrary({ libraryId: PHOTOS, localRoot: '/home/ann/Photos', selection: null });
    await fake.addLibrary({ libraryId: TEAM, localRoot: '/home/ann/Team', selection: null });
    return fake;
  }

  it('opens with the current status, then carries every event in the order it happened', async () => {
    const fake = await loggedInFake();
    const server = await start({ api: fake });
    const client = httpClient(server.url, ['authorization', `Bearer ${server.token}`]);
    const log = new EventLog(client);
    try {
      const opening = await log.until((event) => event.kind === 'statusChanged');
      expect(opening).toEqual({ kind: 'statusChanged', status: await fake.getStatus({}) });
      expect(log.events[0]).toEqual({ kind: 'connectionChanged', connected: true });

      const emitted: SyncEvent[] = [];
      const stopRecording = fake.subscribe((event) => emitted.push(event));
      const from = log.events.length;
      await client.syncNow({});
      fake.addConflict(TEAM, lp('plan.md'), lp('plan (conflict test-device 2025-01-02 030405).md'));
      await client.setPreferences({ notifications: false });
      await client.pauseLibrary({ libraryId: TEAM });
      await fake.idle();
      stopRecording();
      await log.until(isUpToDate(PHOTOS), from);
      await log.until((event) => event.kind === 'libraryChanged' && event.library.state.kind === 'paused', from);
      await eventually(() => log.events.length - from >= emitted.length);

      expect(emitted.length).toBeGreaterThan(10);
      expect(new Set(emitted.map((event) => event.kind))).toEqual(
        new Set(['libraryChanged', 'fileProgressed', 'activityAdded', 'conflictsChanged', 'preferencesChanged']),
      );
      expect(log.events.slice(from)).toEqual(emitted);
    } finally {
      log.unsubscribe();
    }
  });

  it('sends heartbeats', async () => {
    const server = await start({ api: makeFake(), heartbeatMs: 10 });
    const text = await new Promise<string>((resolve, reject) => {
      const request = httpRequest(
        { host: '127.0.0.1', port: server.port, path: '/api/events', headers: { authorization: `Bearer ${server.token}` }, agent: false },
        (response) => {
          expect(response.headers['content-type']).toMatch(/^text\/event-stream/);
          expect(response.headers['cache-control']).toBe('no-store');
          let received = '';
          response.setEncoding('utf8');
          response.on('data', (part: string) => {
            received += part;
            if (received.includes(': heartbeat\n\n')) {
              request.destroy();
              resolve(received);
            }
          });
        },
      );
      request.on('error', reject);
      request.end();
    });
    expect(text.startsWith(': connected\n\n')).toBe(true);
    expect(text).toMatch(/^data: \{"kind":"statusChanged"/m);
  });

  it('leaves no listener behind when the client unsubscribes', async () => {
    const fake = makeFake();
    const server = await start({ api: fake });
    const client = httpClient(server.url, ['authorization', `Bearer ${server.token}`]);
    const log = new EventLog(client);
    await log.until((event) => event.kind === 'statusChanged');
    expect(fake.listenerCount).toBe(1);
    log.unsubscribe();
    await eventually(() => fake.listenerCount === 0);
  });

  it('reconnects after the daemon restarts, and says so', async () => {
    const fake = await loggedInFake();
    const first = await start({ api: fake });
    const client = httpClient(first.url, ['authorization', `Bearer ${first.token}`]);
    const log = new EventLog(client);
    try {
      await log.until((event) => event.kind === 'statusChanged');
      await first.close();
      const lost = log.events.length;
      await log.until((event) => event.kind === 'connectionChanged' && !event.connected);

      // The same port and token, as a restarted daemon with the same token file would have.
      const second = await start({ api: fake, port: first.port, token: first.token });
      await log.until((event) => event.kind === 'connectionChanged' && event.connected, lost);
      const reopened = log.events.length - 1;
      await fake.pauseLibrary({ libraryId: TEAM });
      await log.until((event) => event.kind === 'libraryChanged' && event.library.state.kind === 'paused', reopened);
      expect(log.events.slice(lost).map((event) => event.kind)).toEqual(['connectionChanged', 'connectionChanged', 'statusChanged', 'libraryChanged']);
      expect(second.port).toBe(first.port);
    } finally {
      log.unsubscribe();
    }
  });
});

// ---- the UI's files ---------------------------------------------------------------------------

describe('static files', () => {
  let folder: string;
  let ui: string;

  beforeAll(async () => {
    folder = await mkdtemp(path.join(os.tmpdir(), 'cairn-control-'));
    ui = path.join(folder, 'ui');
    await mkdir(path.join(ui, 'assets'), { recursive: true });
    await writeFile(path.join(ui, 'index.html'), '<!doctype html><title>Cairn</title><script type="module" src="/assets/app.js"></script>');
    await writeFile(path.join(ui, 'assets', 'app.js'), 'console.log("cairn");');
    await writeFile(path.join(ui, 'assets', 'style.css'), 'body { margin: 0 }');
    await writeFile(path.join(ui, 'assets', 'font.woff2'), Buffer.from([0x77, 0x4f, 0x46, 0x32]));
    await writeFile(path.join(ui, 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    await writeFile(path.join(ui, 'LICENSE'), 'MIT');
    await writeFile(path.join(ui, '.env'), 'SECRET=hidden-dotfile');
    await writeFile(path.join(folder, 'secret.txt'), 'outside-secret');
    await symlink(path.join(folder, 'secret.txt'), path.join(ui, 'escape.txt'));
    await symlink(folder, path.join(ui, 'parent'));
    await symlink(path.join(ui, 'assets', 'app.js'), path.join(ui, 'assets', 'alias.js'));
  });
  afterAll(async () => {
    if (folder !== undefined) await rm(folder, { recursive: true, force: true });
  });

  const served: { path: string; type: string; body?: string; csp: boolean }[] = [
    { path: '/', type: 'text/html; charset=utf-8', body: '<!doctype html><title>Cairn</title><script type="module" src="/assets/app.js"></script>', csp: true },
    { path: '/index.html', type: 'text/html; charset=utf-8', csp: true },
    { path: '/assets/app.js', type: 'text/javascript; charset=utf-8', body: 'console.log("cairn");', csp: false },
    { path: '/assets/style.css', type: 'text/css; charset=utf-8', csp: false },
    { path: '/assets/font.woff2', type: 'font/woff2', csp: false },
    { path: '/logo.svg', type: 'image/svg+xml', csp: false },
    { path: '/LICENSE', type: 'application/octet-stream', body: 'MIT', csp: false },
    { path: '/assets/alias.js', type: 'text/javascript; charset=utf-8', body: 'console.log("cairn");', csp: false },
    { path: '/assets/%61pp.js', type: 'text/javascript; charset=utf-8', csp: false },
  ];
  for (const file of served) {
    it(`serves ${file.path} as ${file.type}`, async () => {
      const server = await start({ api: makeFake(), staticDir: ui });
      const answer = await raw(server.port, { path: file.path });
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe(file.type);
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      if (file.body !== undefined) expect(answer.body).toBe(file.body);
      expect(answer.headers['content-security-policy']).toBe(file.csp ? CONTROL_CONTENT_SECURITY_POLICY : undefined);
    });
  }

  it("the HTML policy allows only the page's own origin", () => {
    expect(CONTROL_CONTENT_SECURITY_POLICY).toMatch(/^default-src 'self'/);
    expect(CONTROL_CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  });

  const refused = [
    '/../secret.txt',
    '/assets/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/assets/%2E%2E/%2E%2E/secret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/..%5csecret.txt',
    '/escape.txt',
    '/parent/secret.txt',
    '/.env',
    '/assets/',
    '/assets',
    '/missing.js',
    '/%00',
    '/index.html%00.js',
    '/%E0%A4%A',
    '//etc/passwd',
    '/C:%5cWindows%5cwin.ini',
  ];
  for (const target of refused) {
    it(`refuses ${target} with 404 and nothing from outside`, async () => {
      const server = await start({ api: makeFake(), staticDir: ui });
      const answer = await raw(server.port, { path: target });
      expect(answer.status).toBe(404);
      expect(answer.body).not.toMatch(/outside-secret|hidden-dotfile|root:/);
    });
  }

  it('answers HEAD without a body, and refuses other methods', async () => {
    const server = await start({ api: makeFake(), staticDir: ui });
    const head = await raw(server.port, { method: 'HEAD', path: '/assets/app.js' });
    expect([head.status, head.headers['content-length'], head.body]).toEqual([200, String('console.log("cairn");'.length), '']);
    const post = await raw(server.port, { method: 'POST', path: '/', body: 'x' });
    expect([post.status, post.headers.allow]).toEqual([405, 'GET, HEAD']);
  });

  it('serves nothing at / without a static folder', async () => {
    const server = await start({ api: makeFake() });
    expect((await raw(server.port, { path: '/' })).status).toBe(404);
    expect((await raw(server.port, { path: '/index.html' })).status).toBe(404);
  });
});

// ---- stopping ---------------------------------------------------------------------------------

describe('close()', () => {
  it('ends the event streams, stops listening and leaves no listener behind', async () => {
    const fake = makeFake();
    const server = await start({ api: fake });
    const client = httpClient(server.url, ['authorization', `Bearer ${server.token}`]);
    const log = new EventLog(client);
    try {
      await log.until((event) => event.kind === 'statusChanged');
      expect(fake.listenerCount).toBe(1);
      await server.close();
      await log.until((event) => event.kind === 'connectionChanged' && !event.connected);
      expect(fake.listenerCount).toBe(0);
      await expect(raw(server.port, { path: '/' })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      expect((await rejection(client.getStatus({}))).code).toBe('unavailable');
      await server.close();
    } finally {
      log.unsubscribe();
    }
  });

  it('waits for a call in flight and answers it', async () => {
    const fake = makeFake();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered: () => void = () => undefined;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const slow: SyncApi = Object.assign(Object.create(fake) as FakeSyncApi, {
      getPreferences: async () => {
        entered();
        await gate;
        return fake.getPreferences({});
      },
    });
    const server = await start({ api: slow });
    const answer = raw(server.port, {
      method: 'POST',
      path: '/api/getPreferences',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` },
      body: '{}',
    });
    await inside;
    const closed = server.close();
    release();
    expect((await answer).status).toBe(200);
    await closed;
  });
});
