import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { lstat, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Index,
  type NewLibrary,
  UnknownLibraryError,
  openIndex,
} from '../../../src-main/engine/indexStore/index.js';
import { withSynchronous } from '../../../src-main/engine/indexStore/openIndex.js';
import { decodeContentHex, encodeContent } from '../../../src-main/engine/indexStore/chunkCodec.js';
import type { LocalEntry, RemoteEntry, SyncedEntry } from '../../../src-main/engine/syncModel.js';
import { DEFAULT_CHUNKING } from '../../../shared/model.js';
import { type LibraryPath, parseLibraryPath } from '../../../shared/paths.js';

let folder: string;
let file: string;
let index: Index;
beforeEach(async () => {
  folder = await mkdtemp(path.join(os.tmpdir(), 'cairn-index-'));
  file = path.join(folder, 'index.sqlite');
  index = openIndex(file);
  index.libraries.add(LIBRARY);
});
afterEach(async () => {
  index.close();
  await rm(folder, { recursive: true, force: true });
});

const LIBRARY: NewLibrary = { libraryId: 'lib-1', name: 'Documents', localRoot: '/home/ada/Documents', chunking: DEFAULT_CHUNKING };
const ID = LIBRARY.libraryId;
const p = parseLibraryPath;
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

function remoteFile(path: string, content = path): RemoteEntry {
  return {
    path: p(path),
    node: { kind: 'file', contentHash: sha(content), size: content.length, executable: false },
    rev: 7,
    mtimeMs: 1_700_000_000_123.5,
    chunks: [{ id: sha(`chunk of ${content}`), size: content.length }],
  };
}
function localFile(path: string, inode = 1): LocalEntry {
  return {
    path: p(path),
    node: { kind: 'file', contentHash: sha(path), size: 10, executable: true },
    mtimeMs: 1_700_000_000_000.25,
    inode,
    statSize: 10,
    chunks: [
      { id: sha('a'), size: 4 },
      { id: sha('b'), size: 6 },
    ],
  };
}
function localDir(path: string): LocalEntry {
  return { path: p(path), node: { kind: 'dir' }, mtimeMs: 5, inode: 9, statSize: 0, chunks: [] };
}
function syncedFile(path: string): SyncedEntry {
  return { path: p(path), node: { kind: 'file', contentHash: sha(path), size: 3, executable: false }, rev: 3, inode: 77, mtimeMs: 12 };
}

describe('openIndex', () => {
  it('creates a private WAL database with full sync and foreign keys on', async () => {
    if (process.platform !== 'win32') expect((await lstat(file)).mode & 0o777).toBe(0o600);
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('keeps what was written across close and reopen', () => {
    index.local.put(ID, localFile('a.txt'));
    index.close();
    index = openIndex(file);
    expect(index.local.get(ID, p('a.txt'))).toEqual(localFile('a.txt'));
  });
});

describe('bookkeeping (a commit not flushed at once)', () => {
  const synchronous = (db: Database.Database) => db.pragma('synchronous', { simple: true });

  it('runs with synchronous=NORMAL and puts FULL back, also when the work throws', () => {
    const db = new Database(':memory:');
    db.pragma('synchronous = FULL');
    expect(withSynchronous(db, 'NORMAL', () => synchronous(db))).toBe(1);
    expect(synchronous(db)).toBe(2);
    expect(() =>
      withSynchronous(db, 'NORMAL', () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(synchronous(db)).toBe(2);
    // Inside a transaction the setting stays (SQLite would refuse the change).
    db.exec('BEGIN');
    expect(withSynchronous(db, 'NORMAL', () => synchronous(db))).toBe(2);
    db.exec('COMMIT');
    db.close();
  });

  it('commits what it wrote, kept across close and reopen, and nests in a transaction', () => {
    index.bookkeeping(() => index.libraries.update(ID, { lastSyncAt: 42 }));
    index.transaction(() => index.bookkeeping(() => index.libraries.update(ID, { cursor: 9 })));
    expect(() =>
      index.bookkeeping(() => {
        index.libraries.update(ID, { cursor: 10 });
        throw new Error('boom');
      }),
    ).toThrow('boom');
    index.close();
    index = openIndex(file);
    expect(index.libraries.get(ID)).toMatchObject({ lastSyncAt: 42, cursor: 9 });
  });
});

describe('profile settings', () => {
  it('sets, reads and removes settings', () => {
    index.profile.set({ serverUrl: 'https://cairn.example', deviceName: 'laptop' });
    index.profile.set({ deviceName: null, legacyTokenAccount: 'a1' });
    expect(index.profile.get()).toEqual({ serverUrl: 'https://cairn.example', legacyTokenAccount: 'a1' });
  });

  it('rejects unknown keys, such as a device token', () => {
    expect(() => index.profile.set({ deviceToken: 'secret' } as never)).toThrow(/unknown profile setting/);
  });
});

describe('accounts', () => {
  it('adds accounts (one per user and server), binds libraries to them and records a new device', () => {
    const ann = index.accounts.add({ accountId: 'a-ann-0001', serverUrl: 'https://one.example', user: 'ann', deviceId: 'd1', deviceName: 'laptop' });
    index.accounts.add({ accountId: 'a-ann-0002', serverUrl: 'https://two.example', user: 'ann', deviceId: 'd2', deviceName: 'laptop' });
    expect(() => index.accounts.add({ accountId: 'a-ann-0003', serverUrl: 'https://one.example', user: 'ann', deviceId: null, deviceName: null })).toThrow(/UNIQUE/);
    expect(index.accounts.find('https://two.example', 'ann')?.accountId).toBe('a-ann-0002');
    expect(index.accounts.setDevice(ann.accountId, 'd3', 'desk')).toMatchObject({ deviceId: 'd3', deviceName: 'desk' });
    index.libraries.add({ ...LIBRARY, libraryId: 'lib-of-ann', localRoot: '/elsewhere', accountId: ann.accountId });
    expect(index.libraries.get('lib-of-ann')?.accountId).toBe(ann.accountId);
    expect(() => index.libraries.add({ ...LIBRARY, libraryId: 'lib-of-nobody', localRoot: '/third', accountId: 'no-such-account' })).toThrow(/FOREIGN KEY/);
  });
});

describe('libraries', () => {
  it('starts a new library with an empty state', () => {
    expect(index.libraries.get(ID)).toEqual({
      ...LIBRARY,
      cursor: 0,
      selection: null,
      pause: null,
      lastSyncAt: null,
      lastError: null,
      breakerOverride: null,
      autoMerge: false,
      role: null,
      owner: null,
      accountId: null,
    });
  });

  it('writes nothing when an update changes no value (no page written, no fsync)', async () => {
    const walSize = async () => (await lstat(`${file}-wal`)).size;
    index.libraries.update(ID, { cursor: 5, lastError: { message: 'offline', at: 3 }, selection: [p('b'), p('a')] });
    const written = await walSize();
    const same = index.libraries.update(ID, { cursor: 5, lastError: { message: 'offline', at: 3 }, selection: [p('a'), p('b')] });
    expect(same).toMatchObject({ cursor: 5, lastError: { message: 'offline', at: 3 }, selection: ['a', 'b'] });
    expect(await walSize()).toBe(written);
    index.libraries.update(ID, { cursor: 6 });
    expect(await walSize()).toBeGreaterThan(written);
    expect(index.libraries.get(ID)).toMatchObject({ cursor: 6, lastError: { message: 'offline', at: 3 }, selection: ['a', 'b'] });
  });

  it('keeps and clears a circuit-breaker override', () => {
    index.libraries.update(ID, { breakerOverride: { reason: 'mass-delete', at: 7 } });
    expect(index.libraries.get(ID)?.breakerOverride).toEqual({ reason: 'mass-delete', at: 7 });
    index.libraries.update(ID, { breakerOverride: null });
    expect(index.libraries.get(ID)?.breakerOverride).toBeNull();
  });

  it('updates cursor, selection, pause and errors', () => {
    const updated = index.libraries.update(ID, {
      cursor: 42,
      selection: [p('b'), p('a/x')],
      pause: { reason: 'root-missing', since: 1000 },
      lastSyncAt: 900,
      lastError: { message: 'server unreachable', at: 950 },
    });
    expect(index.libraries.get(ID)).toEqual({ ...updated, selection: ['a/x', 'b'] });
    index.libraries.update(ID, { pause: null, lastError: null, selection: null });
    expect(index.libraries.get(ID)).toMatchObject({ cursor: 42, pause: null, lastError: null, selection: null });
  });

  it('refuses two libraries in one folder', () => {
    expect(() => index.libraries.add({ ...LIBRARY, libraryId: 'lib-2' })).toThrow(/UNIQUE/);
  });

  it('forgets a removed library with all its entries, conflicts and problems', () => {
    index.local.put(ID, localFile('a.txt'));
    index.problems.replace(ID, { kinds: ['symlink'] }, [{ kind: 'symlink', path: p('l'), name: '', message: 'm' }], 1);
    expect(index.libraries.remove(ID)).toBe(true);
    expect(index.libraries.list()).toEqual([]);
    expect(() => index.local.count(ID)).toThrow(UnknownLibraryError);
    index.libraries.add(LIBRARY);
    expect(index.local.count(ID)).toBe(0);
    expect(index.problems.list(ID)).toEqual([]);
  });

  it('names the fix when a library is unknown', () => {
    expect(() => index.remote.get('nope', p('a'))).toThrow(/add it with index.libraries.add/);
  });
});

describe('entry tables', () => {
  it('round-trips every state, files and folders', () => {
    const remote = remoteFile('docs/a.txt');
    const remoteDir: RemoteEntry = { path: p('docs'), node: { kind: 'dir' }, rev: 2, mtimeMs: 3, chunks: [] };
    index.remote.putMany(ID, [remote, remoteDir]);
    index.local.putMany(ID, [localFile('docs/a.txt'), localDir('docs')]);
    index.synced.put(ID, syncedFile('docs/a.txt'));
    expect(index.remote.get(ID, p('docs/a.txt'))).toEqual(remote);
    expect(index.remote.get(ID, p('docs'))).toEqual(remoteDir);
    expect(index.local.get(ID, p('docs/a.txt'))).toEqual(localFile('docs/a.txt'));
    expect(index.local.get(ID, p('docs'))).toEqual(localDir('docs'));
    expect(index.synced.get(ID, p('docs/a.txt'))).toEqual(syncedFile('docs/a.txt'));
    expect(index.synced.get(ID, p('docs'))).toBeUndefined();
  });

  it('keeps an empty file with no chunks apart from a folder', () => {
    const empty: RemoteEntry = {
      path: p('empty'),
      node: { kind: 'file', contentHash: sha(''), size: 0, executable: false },
      rev: 1,
      mtimeMs: 1,
      chunks: [],
    };
    index.remote.put(ID, empty);
    expect(index.remote.get(ID, p('empty'))).toEqual(empty);
  });

  it('replaces an entry at the same path and deletes', () => {
    index.local.put(ID, localFile('a', 1));
    index.local.put(ID, localFile('a', 2));
    expect(index.local.get(ID, p('a'))?.inode).toBe(2);
    expect(index.local.delete(ID, p('a'))).toBe(true);
    expect(index.local.delete(ID, p('a'))).toBe(false);
    expect(index.local.count(ID)).toBe(0);
  });

  const orderedPaths = ['A', 'B.txt', 'a', 'a b', 'a-b', 'a.txt', 'a/x', 'a/x/y', 'a0', 'ab', 'é', '文档', '😀'];
  it('iterates in byte order, case-sensitively', () => {
    const shuffled = [...orderedPaths].reverse();
    index.local.putMany(ID, shuffled.map((path) => localDir(path)));
    expect([...index.local.iterate(ID)].map((entry) => entry.path)).toEqual(orderedPaths);
  });

  const belowCases = [
    { name: 'a folder with siblings that share its prefix', folder: 'a', expected: ['a', 'a/x', 'a/x/y'] },
    { name: 'a nested folder', folder: 'a/x', expected: ['a/x', 'a/x/y'] },
    { name: 'a path with nothing below', folder: 'ab', expected: ['ab'] },
    { name: 'a path that does not exist', folder: 'zzz', expected: [] },
  ];
  it.each(belowCases.map((c) => [c.name, c] as const))('iterates and deletes below %s', (_name, c) => {
    index.local.putMany(ID, orderedPaths.map((path) => localDir(path)));
    expect([...index.local.iterate(ID, { below: p(c.folder) })].map((entry) => entry.path)).toEqual(c.expected);
    expect(index.local.deleteBelow(ID, p(c.folder))).toBe(c.expected.length);
    const left = [...index.local.iterate(ID)].map((entry) => entry.path);
    expect(left).toEqual(orderedPaths.filter((path) => !c.expected.includes(path)));
  });

  it.each(belowCases.map((c) => [c.name, c] as const))('loads below %s as a Map, as iterate lists it', (_name, c) => {
    index.local.putMany(ID, orderedPaths.map((path) => localFile(path, 3)));
    const loaded = index.local.loadBelow(ID, p(c.folder));
    expect([...loaded.keys()]).toEqual(c.expected);
    expect([...loaded.values()]).toEqual([...index.local.iterate(ID, { below: p(c.folder) })]);
  });

  const manyCases = [
    { name: 'none', paths: [] as string[] },
    { name: 'some, some missing, one twice', paths: ['a/x', 'missing', '😀', 'a/x', 'A'] },
    { name: 'every path', paths: orderedPaths },
  ];
  it.each(manyCases.map((c) => [c.name, c] as const))('gets many entries at once (%s), as get answers each', (_name, c) => {
    index.remote.putMany(ID, orderedPaths.map((path) => remoteFile(path)));
    const found = index.remote.getMany(ID, c.paths.map(p));
    const expected = new Map(c.paths.flatMap((path) => {
      const entry = index.remote.get(ID, p(path));
      return entry === undefined ? [] : [[entry.path, entry] as const];
    }));
    expect(new Map([...found].sort())).toEqual(new Map([...expected].sort()));
  });

  it('gets more paths than one query takes', () => {
    const paths = Array.from({ length: 4_500 }, (_, i) => `f${i}`);
    index.synced.putMany(ID, paths.filter((_path, i) => i % 3 !== 0).map((path) => syncedFile(path)));
    const found = index.synced.getMany(ID, paths.map(p));
    expect(found.size).toBe(3_000);
    expect(found.get(p('f4499'))).toEqual(syncedFile('f4499'));
    expect(found.has(p('f4497'))).toBe(false);
  });

  it('replaceAll swaps the whole state of one library only', () => {
    index.libraries.add({ ...LIBRARY, libraryId: 'lib-2', localRoot: '/other' });
    index.local.putMany(ID, [localFile('old-1'), localFile('old-2')]);
    index.local.put('lib-2', localFile('other'));
    index.local.replaceAll(ID, [localFile('new')]);
    expect([...index.local.load(ID).keys()]).toEqual(['new']);
    expect([...index.local.load('lib-2').keys()]).toEqual(['other']);
  });

  it.each([1, 1_999, 2_000, 2_001, 4_000, 4_500])('load reads all of %i entries, in path order, across its pages', (count) => {
    index.libraries.add({ ...LIBRARY, libraryId: 'lib-2', localRoot: '/other' });
    index.local.put('lib-2', localFile('other library'));
    // Names that sort around the pages' ends in byte order, not only in number order.
    const paths = Array.from({ length: count }, (_, i) => (i % 3 === 0 ? `d${i % 7}/f${i}` : i % 3 === 1 ? `é${i}` : `F${i}`)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    index.local.putMany(ID, paths.map((path, i) => localFile(path, i + 1)));
    const loaded = index.local.load(ID);
    expect([...loaded.keys()]).toEqual(paths);
    expect(loaded.get(p(paths[count - 1] as string))).toEqual(localFile(paths[count - 1] as string, count));
    expect([...index.local.iterate(ID)].map((entry) => entry.path)).toEqual(paths);
  });

  it('loadState returns the three maps', () => {
    index.remote.put(ID, remoteFile('r'));
    index.local.put(ID, localFile('l'));
    index.synced.put(ID, syncedFile('s'));
    const state = index.loadState(ID);
    expect([...state.remote.keys(), ...state.local.keys(), ...state.synced.keys()]).toEqual(['r', 'l', 's']);
    expect(state.local.get(p('l'))).toEqual(localFile('l'));
  });

  it('rejects a malformed content hash instead of storing garbage', () => {
    const bad = { ...localFile('x'), node: { kind: 'file', contentHash: 'not-hex', size: 1, executable: false } } as LocalEntry;
    expect(() => index.local.put(ID, bad)).toThrow(/not a content hash/);
  });
});

describe('sharing between states', () => {
  // A local state to share with, loaded first as a sync round does.
  const twinFile = localFile('same.txt');
  const cases: readonly {
    readonly name: string;
    readonly remote: RemoteEntry;
    /** Which of the local twin's objects the loaded remote entry takes. */
    readonly shares: { readonly path: boolean; readonly node: boolean; readonly chunks: boolean };
  }[] = [
    {
      name: 'the same content takes the path, node and chunk list of the twin',
      remote: { path: p('same.txt'), node: twinFile.node, rev: 4, mtimeMs: 1, chunks: twinFile.chunks },
      shares: { path: true, node: true, chunks: true },
    },
    {
      name: 'the same content with another executable bit takes all but the node',
      remote: { path: p('same.txt'), node: { ...twinFile.node, executable: false } as RemoteEntry['node'], rev: 4, mtimeMs: 1, chunks: twinFile.chunks },
      shares: { path: true, node: false, chunks: true },
    },
    {
      name: 'other content takes only the path',
      remote: { ...remoteFile('same.txt', 'other content'), path: p('same.txt') },
      shares: { path: true, node: false, chunks: false },
    },
    {
      name: 'a twin whose chunk list does not fit the stored content is not trusted for it',
      remote: { path: p('same.txt'), node: twinFile.node, rev: 4, mtimeMs: 1, chunks: [{ id: sha('one whole chunk'), size: 10 }] },
      shares: { path: true, node: false, chunks: false },
    },
  ];
  for (const testCase of cases) {
    it(testCase.name, () => {
      index.local.put(ID, twinFile);
      index.remote.put(ID, testCase.remote);
      const local = index.local.load(ID);
      const twin = local.get(p('same.txt'))!;
      const loaded = index.remote.load(ID, { shareWith: local }).get(p('same.txt'))!;
      expect(loaded).toEqual(testCase.remote);
      expect(loaded.path === twin.path, 'path').toBe(testCase.shares.path);
      expect(loaded.node === twin.node, 'node').toBe(testCase.shares.node);
      expect(loaded.chunks === twin.chunks, 'chunks').toBe(testCase.shares.chunks);
    });
  }

  it('shares synced nodes and folders, and loads the same values as without sharing', () => {
    const synced: SyncedEntry = { path: p('same.txt'), node: twinFile.node, rev: 3, inode: 1, mtimeMs: 12 };
    index.local.putMany(ID, [twinFile, localDir('folder'), localFile('folder/changed.txt')]);
    index.synced.putMany(ID, [synced, { path: p('folder'), node: { kind: 'dir' }, rev: 2, inode: 9, mtimeMs: 5 }, syncedFile('folder/changed.txt'), syncedFile('only-synced.txt')]);
    const local = index.local.load(ID);
    const shared = index.synced.load(ID, { shareWith: local });
    expect(shared).toEqual(index.synced.load(ID));
    expect(shared.get(p('same.txt'))!.node).toBe(local.get(p('same.txt'))!.node);
    expect(shared.get(p('folder'))!.node).toBe(local.get(p('folder'))!.node);
    expect(shared.get(p('folder/changed.txt'))!.node).not.toBe(local.get(p('folder/changed.txt'))!.node);
    expect(shared.get(p('only-synced.txt'))).toEqual(syncedFile('only-synced.txt'));
  });
});

describe('transactions', () => {
  it('commits all or nothing', () => {
    expect(() =>
      index.transaction(() => {
        index.local.put(ID, localFile('a'));
        index.synced.put(ID, syncedFile('a'));
        throw new Error('crash in the middle');
      }),
    ).toThrow('crash in the middle');
    expect(index.local.count(ID)).toBe(0);
    expect(index.synced.count(ID)).toBe(0);
  });

  it('nests bulk writes inside an outer transaction', () => {
    const result = index.transaction(() => {
      index.local.putMany(ID, [localFile('a'), localFile('b')]);
      index.libraries.update(ID, { cursor: 5 });
      return index.local.count(ID);
    });
    expect(result).toBe(2);
    expect(index.libraries.get(ID)?.cursor).toBe(5);
  });

  it('refuses an async function', () => {
    expect(() => index.transaction((async () => undefined) as unknown as () => void)).toThrow(/promise/i);
  });
});

describe('conflicts', () => {
  it('records, lists and resolves', () => {
    const conflict = index.conflicts.add({
      libraryId: ID,
      path: p('doc.txt'),
      conflictPath: p('doc (conflict laptop 2024-05-01 123015).txt'),
      local: { node: { kind: 'file', contentHash: sha('l'), size: 1, executable: false }, rev: null, mtimeMs: 5, device: 'laptop' },
      remote: { node: null, rev: 9, mtimeMs: null, device: 'desktop' },
      createdAt: 100,
    });
    expect(index.conflicts.list(ID)).toEqual([conflict]);
    expect(conflict).toMatchObject({ libraryId: ID, resolvedAt: null, remote: { node: null, rev: 9 } });
    expect(index.conflicts.resolve(conflict.conflictId, 200)).toBe(true);
    expect(index.conflicts.resolve(conflict.conflictId, 300)).toBe(false);
    expect(index.conflicts.list(ID)).toEqual([]);
    expect(index.conflicts.list(ID, { includeResolved: true })).toEqual([{ ...conflict, resolvedAt: 200 }]);
  });

  it('keeps the merge base, both authors and how a conflict was resolved', () => {
    const base = { rev: 4, node: { kind: 'file' as const, contentHash: sha('b'), size: 2, executable: false } };
    const conflict = index.conflicts.add({
      libraryId: ID,
      path: p('notes.md'),
      conflictPath: p('notes (conflict laptop 2024-05-01 123015).md'),
      local: { node: { kind: 'file', contentHash: sha('l'), size: 1, executable: false }, rev: null, mtimeMs: 5, device: 'laptop', user: 'ann' },
      remote: { node: { kind: 'file', contentHash: sha('r'), size: 3, executable: false }, rev: 9, mtimeMs: 6, device: null },
      base,
      createdAt: 100,
    });
    expect(conflict).toMatchObject({ base, resolution: null, local: { user: 'ann' }, remote: { device: null, user: null } });
    index.conflicts.setRemote(conflict.conflictId, { ...conflict.remote, device: 'desktop', user: 'bob' });
    expect(index.conflicts.get(conflict.conflictId)?.remote).toMatchObject({ device: 'desktop', user: 'bob', rev: 9 });
    expect(index.conflicts.resolve(conflict.conflictId, 300, 'merged')).toBe(true);
    expect(index.conflicts.get(conflict.conflictId)).toMatchObject({ resolvedAt: 300, resolution: 'merged', base });
    // Created on both sides: no base.
    const created = index.conflicts.add({ ...conflict, base: null });
    expect(created.base).toBeNull();
  });
});

describe('problems', () => {
  const symlink = (path: string) => ({ kind: 'symlink' as const, path: p(path), name: '', message: `${path} is a symlink` });

  it('replaces the problems in scope and keeps first-seen times', () => {
    index.problems.replace(ID, { kinds: ['symlink', 'unreadable'] }, [symlink('a/l1'), symlink('b/l2')], 100);
    index.problems.replace(ID, { kinds: ['illegal-local-name'] }, [{ kind: 'illegal-local-name', path: p('CON'), name: '', message: 'reserved' }], 150);
    index.problems.replace(ID, { kinds: ['symlink', 'unreadable'] }, [symlink('a/l1')], 200);
    const problems = index.problems.list(ID);
    expect(problems.map((problem) => [problem.path, problem.kind, problem.firstSeenAt, problem.lastSeenAt])).toEqual([
      ['CON', 'illegal-local-name', 150, 150],
      ['a/l1', 'symlink', 100, 200],
    ]);
  });

  it('limits a replacement to the folders scanned', () => {
    index.problems.replace(ID, { kinds: ['symlink'] }, [symlink('a/l1'), symlink('b/l2')], 100);
    index.problems.replace(ID, { kinds: ['symlink'], within: [p('a')] }, [], 200);
    expect(index.problems.list(ID).map((problem) => problem.path)).toEqual(['b/l2']);
  });

  it('keeps two bad names in one folder apart', () => {
    const invalid = (name: string) => ({ kind: 'invalid-name' as const, path: p('docs'), name, message: 'bad name' });
    index.problems.replace(ID, { kinds: ['invalid-name'] }, [invalid('a\\b'), invalid('c\\d')], 1);
    expect(index.problems.list(ID).map((problem) => problem.name)).toEqual(['a\\b', 'c\\d']);
  });
});

describe('pending commits', () => {
  it('adds, lists in order and removes', () => {
    index.pendingCommits.add({ commitId: 'c2', libraryId: ID, body: { changes: [2] }, createdAt: 20 });
    index.pendingCommits.add({ commitId: 'c1', libraryId: ID, body: { changes: [1] }, createdAt: 10 });
    expect(index.pendingCommits.list(ID).map((commit) => [commit.commitId, commit.body])).toEqual([
      ['c1', { changes: [1] }],
      ['c2', { changes: [2] }],
    ]);
    expect(index.pendingCommits.remove('c1')).toBe(true);
    expect(index.pendingCommits.list(ID).map((commit) => commit.commitId)).toEqual(['c2']);
  });
});

describe('content codec', () => {
  it('stores the hash in 32 bytes and 36 bytes per chunk, and round-trips', () => {
    const chunks = [
      { id: sha('x'), size: 0 },
      { id: sha('y'), size: 8 * 1024 * 1024 },
    ];
    const blob = encodeContent(sha('file'), chunks);
    expect(blob.byteLength).toBe(32 + 72);
    expect(decodeContentHex(blob.toString('hex'))).toEqual({ contentHash: sha('file'), chunks });
  });

  const badIds = [
    { name: 'too short', id: sha('x').slice(1) },
    { name: 'not hex', id: `zz${sha('x').slice(2)}` },
    { name: 'not hex at the end', id: `${sha('x').slice(0, 62)}zz` },
  ];
  it.each(badIds.map((c) => [c.name, c] as const))('rejects a chunk id that is %s', (_name, c) => {
    expect(() => encodeContent(sha('file'), [{ id: c.id, size: 1 }])).toThrow(/not a chunk id/);
  });

  it('rejects a stored record of the wrong length', () => {
    expect(() => decodeContentHex('00'.repeat(40))).toThrow(/corrupt/);
  });
});

describe('bulk writes', () => {
  it('writes and loads 100,000 entries in single transactions', () => {
    const count = 100_000;
    const entries: LocalEntry[] = [];
    const hash = sha('same');
    const chunk = [{ id: hash, size: 1000 }];
    for (let i = 0; i < count; i++) {
      entries.push({
        path: `folder-${i % 100}/file-${i}.txt` as LibraryPath,
        node: { kind: 'file', contentHash: hash, size: 1000, executable: false },
        mtimeMs: 1_700_000_000_000 + i,
        inode: i + 1,
        statSize: 1000,
        chunks: chunk,
      });
    }
    const writeStart = performance.now();
    index.local.putMany(ID, entries);
    const writeMs = performance.now() - writeStart;
    const loadStart = performance.now();
    const loaded = index.local.load(ID);
    const loadMs = performance.now() - loadStart;
    // Timings are reported, not asserted: a slow machine must not fail the suite.
    console.info(`index bulk: put 100,000 entries in ${writeMs.toFixed(0)} ms, loaded them in ${loadMs.toFixed(0)} ms`);
    expect(loaded.size).toBe(count);
    expect(loaded.get(p('folder-7/file-99907.txt'))).toEqual(entries[99_907]);
  });
});

describe('children and pending paths of a folder', () => {
  /** The same file in all three states. */
  const same = (path: string) => {
    const node = { kind: 'file' as const, contentHash: sha(path), size: 10, executable: false };
    index.remote.put(ID, { path: p(path), node, rev: 2, mtimeMs: 1, chunks: [{ id: sha(`c ${path}`), size: 10 }] });
    index.local.put(ID, { path: p(path), node, mtimeMs: 1, inode: 3, statSize: 10, chunks: [{ id: sha(`c ${path}`), size: 10 }] });
    index.synced.put(ID, { path: p(path), node, rev: 2, inode: 3, mtimeMs: 1 });
  };

  it('lists the entries directly in a folder, not below its subfolders', () => {
    for (const path of ['a', 'a/x', 'a/y', 'a/y/z', 'a-b', 'a/😀', 'b']) index.local.put(ID, localDir(path));
    expect(index.local.children(ID, '').map((entry) => entry.path)).toEqual(['a', 'a-b', 'b']);
    expect(index.local.children(ID, p('a')).map((entry) => entry.path)).toEqual(['a/x', 'a/y', 'a/😀']);
    expect(index.local.children(ID, p('a/y')).map((entry) => entry.path)).toEqual(['a/y/z']);
    expect(index.local.children(ID, p('a/x'))).toEqual([]);
  });

  it.each([
    ['all three states agree', () => same('w/f'), []],
    ['added here', () => index.local.put(ID, localFile('w/new')), [['w/new', 'upload']]],
    [
      'changed here',
      () => {
        same('w/f');
        index.local.put(ID, { ...index.local.get(ID, p('w/f'))!, node: { kind: 'file', contentHash: sha('other'), size: 10, executable: false } });
      },
      [['w/f', 'upload']],
    ],
    [
      'deleted here',
      () => {
        same('w/f');
        index.local.delete(ID, p('w/f'));
      },
      [['w/f', 'upload']],
    ],
    ['new on the server', () => index.remote.put(ID, remoteFile('w/r')), [['w/r', 'download']]],
    [
      'deleted on the server',
      () => {
        same('w/f');
        index.remote.delete(ID, p('w/f'));
      },
      [['w/f', 'download']],
    ],
    [
      'only the executable bit changed here',
      () => {
        same('w/f');
        index.local.put(ID, { ...index.local.get(ID, p('w/f'))!, node: { kind: 'file', contentHash: sha('w/f'), size: 10, executable: true } });
      },
      [['w/f', 'upload']],
    ],
    ['beside the folder, not below it', () => index.local.put(ID, localFile('w-x/new')), []],
  ])('%s', (_name, arrange, expected) => {
    arrange();
    expect([...index.pendingBelow(ID, p('w'))].map((pending) => [pending.path, pending.side])).toEqual(expected);
  });

  it.each<[string, () => void, boolean]>([
    ['nothing at all', () => {}, true],
    ['the same entries in the three states', () => (same('w/f'), same('w/g')), true],
    [
      'a folder in the three states',
      () => {
        index.local.put(ID, localDir('w'));
        index.remote.put(ID, { path: p('w'), node: { kind: 'dir' }, rev: 2, mtimeMs: 5, chunks: [] });
        index.synced.put(ID, { path: p('w'), node: { kind: 'dir' }, rev: 2, inode: 9, mtimeMs: 5 });
      },
      true,
    ],
    ['a base behind the server’s rev', () => (same('w/f'), index.synced.put(ID, { ...index.synced.get(ID, p('w/f'))!, rev: 1 })), false],
    ['a base at another inode', () => (same('w/f'), index.local.put(ID, { ...index.local.get(ID, p('w/f'))!, inode: 4 })), false],
    ['new here', () => (same('w/f'), index.local.put(ID, localFile('w/n'))), false],
    ['new on the server', () => (same('w/f'), index.remote.put(ID, remoteFile('w/r'))), false],
    ['only in the base', () => (same('w/f'), index.synced.put(ID, syncedFile('w/s'))), false],
    ['deleted here', () => (same('w/f'), index.local.delete(ID, p('w/f'))), false],
    ['deleted on the server', () => (same('w/f'), index.remote.delete(ID, p('w/f'))), false],
    ['changed here', () => (same('w/f'), index.local.put(ID, { ...index.local.get(ID, p('w/f'))!, node: { kind: 'file', contentHash: sha('x'), size: 10, executable: false } })), false],
    ['changed on the server', () => (same('w/f'), index.remote.put(ID, { ...index.remote.get(ID, p('w/f'))!, node: { kind: 'file', contentHash: sha('y'), size: 10, executable: false } })), false],
  ])('is settled or not: %s', (_name, arrange, expected) => {
    arrange();
    expect(index.isSettled(ID)).toBe(expected);
  });
});
