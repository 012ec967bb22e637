// Group commit of the server's SQLite files (walSync.ts): a commit made with synchronous=NORMAL
// is acknowledged only after an fsync of the log that started after it, concurrent commits share
// fsyncs, and the chunk index and the chunk links of an upload wait for theirs, in that order,
// before the upload is answered.

import { createHash } from 'node:crypto';
import { mkdtemp, open as openFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChunkIndex } from '../../src-server/storage/chunkIndex.js';
import { FsChunkStore } from '../../src-server/storage/fsChunkStore.js';
import { SqliteMetadataStore } from '../../src-server/storage/sqliteMetadataStore.js';
import { WalSync } from '../../src-server/storage/walSync.js';
import { DEFAULT_CHUNKING } from '../../shared/model.js';
import { fsCalls } from '../../shared/node/fsCalls.js';
import { FRAMES_CONTENT_TYPE, buildPath, encodeFrames, routes } from '../../shared/protocol/index.js';
import { dataPaths } from '../../src-server/server.js';
import { makeChunk, startTestServer } from './testServer.js';

let root: string;
const cleanups: (() => void | Promise<void>)[] = [];

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'cairn-wal-sync-test-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await rm(root, { recursive: true, force: true });
});

interface HeldFsync {
  readonly file: string;
  release(): void;
}

/**
 * Holds every fsync of a file whose name ends with `suffix` until the test releases it, and
 * records the events of each (open, fsync started, fsync done) in `events`.
 */
function holdFsyncs(suffix: string, events: string[]): HeldFsync[] {
  const held: HeldFsync[] = [];
  const files = new Map<number, string>();
  const open = fsCalls.open;
  const fsync = fsCalls.fsync;
  vi.spyOn(fsCalls, 'open').mockImplementation(async (file, flags, mode) => {
    const fd = await open(file, flags, mode);
    files.set(fd, file);
    return fd;
  });
  vi.spyOn(fsCalls, 'fsync').mockImplementation(async (fd) => {
    const file = files.get(fd) ?? '';
    if (!file.endsWith(suffix)) return fsync(fd);
    events.push(`fsync ${held.length + 1} started`);
    const number = held.length + 1;
    await new Promise<void>((release) => held.push({ file, release }));
    await fsync(fd);
    events.push(`fsync ${number} done`);
  });
  return held;
}

/** Lets every pending promise callback and thread-pool call run. */
async function settle(): Promise<void> {
  for (let round = 0; round < 5; round++) await new Promise((resolve) => setTimeout(resolve, 5));
}

function openTable(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE IF NOT EXISTS t (n INTEGER)');
  cleanups.push(() => {
    db.close();
  });
  return db;
}

describe('WalSync', () => {
  it('acknowledges a commit only after an fsync of the log that started after the commit', async () => {
    const file = path.join(root, 'a.sqlite');
    const db = openTable(file);
    const events: string[] = [];
    const held = holdFsyncs('a.sqlite-wal', events);
    const durable = new WalSync(file);

    db.prepare('INSERT INTO t VALUES (1)').run();
    durable.committed();
    const first = durable.sync().then(() => events.push('first acknowledged'));
    await settle();
    expect(held).toHaveLength(1);
    expect(held[0]!.file).toBe(`${file}-wal`);

    // A commit while that fsync runs is not covered by it: its sync waits for the next one.
    db.prepare('INSERT INTO t VALUES (2)').run();
    durable.committed();
    const second = durable.sync().then(() => events.push('second acknowledged'));
    await settle();
    expect(events).toEqual(['fsync 1 started']);
    held[0]!.release();
    await first;
    await settle();
    expect(events).toEqual(['fsync 1 started', 'fsync 1 done', 'first acknowledged', 'fsync 2 started']);
    held[1]!.release();
    await second;
    expect(events.slice(3)).toEqual(['fsync 2 started', 'fsync 2 done', 'second acknowledged']);
    expect(durable.fsyncCount).toBe(2);
  });

  it('makes the commits that arrive during one fsync durable with one more fsync, not one each', async () => {
    const file = path.join(root, 'b.sqlite');
    const db = openTable(file);
    const events: string[] = [];
    const held = holdFsyncs('b.sqlite-wal', events);
    const durable = new WalSync(file);
    const insert = db.prepare('INSERT INTO t VALUES (?)');

    insert.run(0);
    durable.committed();
    const running = durable.sync();
    await settle();
    const waiting = Array.from({ length: 10 }, (_, index) => {
      insert.run(index + 1);
      durable.committed();
      return durable.sync();
    });
    held[0]!.release();
    await running;
    await settle();
    expect(held).toHaveLength(2);
    held[1]!.release();
    await Promise.all(waiting);
    expect(durable.fsyncCount).toBe(2);
    expect(held).toHaveLength(2);
  });

  it('costs nothing when every noted commit is durable, and joins a running fsync that covers the caller', async () => {
    const file = path.join(root, 'c.sqlite');
    const db = openTable(file);
    const events: string[] = [];
    const held = holdFsyncs('c.sqlite-wal', events);
    const durable = new WalSync(file);

    await durable.sync();
    expect(durable.fsyncCount).toBe(0);
    db.prepare('INSERT INTO t VALUES (1)').run();
    durable.committed();
    const first = durable.sync();
    const joined = durable.sync();
    await settle();
    held[0]!.release();
    await Promise.all([first, joined]);
    await durable.sync();
    expect(durable.fsyncCount).toBe(1);
  });

  it('fails the callers of a failed fsync, and tries again for the next caller', async () => {
    const file = path.join(root, 'd.sqlite');
    const db = openTable(file);
    const durable = new WalSync(file);
    const failure = Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
    vi.spyOn(fsCalls, 'fsync').mockRejectedValueOnce(failure);
    db.prepare('INSERT INTO t VALUES (1)').run();
    durable.committed();
    await expect(durable.sync()).rejects.toBe(failure);
    await durable.sync();
    expect(durable.fsyncCount).toBe(2);
  });
});

describe('the writes an upload makes', () => {
  it('the chunk index commits with synchronous=NORMAL and resolves addPack only once its log is fsynced', async () => {
    const file = path.join(root, 'chunk-index.sqlite');
    const index = new ChunkIndex(file);
    cleanups.push(() => index.close());
    const events: string[] = [];
    const held = holdFsyncs('chunk-index.sqlite-wal', events);
    const id = createHash('sha256').update('chunk').digest('hex');

    const added = index.addPack({ ownerId: 'owner', name: 'a'.repeat(32), bytes: 100, createdAt: 1, chunks: [{ id, offset: 8, size: 92 }] }).then((count) => {
      events.push('indexed');
      return count;
    });
    await settle();
    expect(events).toEqual(['fsync 1 started']);
    expect(index.has('owner', id)).toBe(true);
    held[0]!.release();
    expect(await added).toBe(1);
    expect(events).toEqual(['fsync 1 started', 'fsync 1 done', 'indexed']);
  });

  it("a put that skips chunks the index holds waits until the commit that indexed them is durable", async () => {
    const store = await FsChunkStore.open(root);
    cleanups.push(() => store.close());
    const events: string[] = [];
    const held = holdFsyncs('chunk-index.sqlite-wal', events);
    const bytes = new Uint8Array(Buffer.from('held by a pack being indexed'));
    const chunk = { id: createHash('sha256').update(bytes).digest('hex'), bytes };

    const first = store.put('owner', [chunk]).then(() => events.push('first put'));
    while (held.length === 0) await settle();
    // The chunk is indexed, not yet durable: a second put of it must not resolve first.
    expect(await store.has('owner', chunk.id)).toBe(true);
    const second = store.put('owner', [chunk]).then(() => events.push('second put'));
    await settle();
    expect(events).toEqual(['fsync 1 started']);
    held[0]!.release();
    await Promise.all([first, second]);
    expect(events.slice(0, 2)).toEqual(['fsync 1 started', 'fsync 1 done']);
    expect(events.slice(2).sort()).toEqual(['first put', 'second put']);
  });

  it('the chunk links of an upload resolve only once the log is fsynced, and other writes stay synchronous=FULL', async () => {
    const file = path.join(root, 'metadata.sqlite');
    const store = new SqliteMetadataStore(file);
    cleanups.push(() => store.close());
    await store.users.create({ id: 'owner', name: 'owner', passwordHash: 'x', createdAt: 1, admin: false });
    const library = { id: 'library1', name: 'photos', ownerId: 'owner', createdAt: 1, chunking: DEFAULT_CHUNKING };
    await store.libraries.create(library);
    const events: string[] = [];
    const held = holdFsyncs('metadata.sqlite-wal', events);
    const id = createHash('sha256').update('linked').digest('hex');

    const linked = store.chunks.link(library.id, [{ id, size: 6 }]).then(() => events.push('linked'));
    await settle();
    expect(events).toEqual(['fsync 1 started']);
    held[0]!.release();
    await linked;
    expect(events).toEqual(['fsync 1 started', 'fsync 1 done', 'linked']);
    expect(await store.chunks.missing(library.id, [id])).toEqual([]);
    // Back to FULL (2) for every other write of this connection.
    expect((store as unknown as { db: Database.Database }).db.pragma('synchronous', { simple: true })).toBe(2);
  });
});

describe('an upload request', () => {
  it('is answered only after its pack, then its chunk index commit, then its chunk links are durable', async () => {
    const server = await startTestServer();
    cleanups.push(() => server.stop());
    await server.addUser('alice');
    const token = await server.login('alice');
    const libraryId = (await server.ok(routes.createLibrary, { token, body: { name: 'Durable' } })).id;
    const paths = dataPaths(server.dataDir);

    const events: string[] = [];
    const files = new Map<number, string>();
    const open = fsCalls.open;
    const fsync = fsCalls.fsync;
    vi.spyOn(fsCalls, 'open').mockImplementation(async (file, flags, mode) => {
      const fd = await open(file, flags, mode);
      files.set(fd, file);
      return fd;
    });
    vi.spyOn(fsCalls, 'fsync').mockImplementation(async (fd) => {
      await fsync(fd);
      const file = files.get(fd);
      if (file === `${path.join(paths.chunks, 'chunk-index.sqlite')}-wal`) events.push('index durable');
      if (file === `${paths.metadata}-wal`) events.push('links durable');
    });
    const handle = await openFile(path.join(root, 'probe'), 'w');
    const prototype = Object.getPrototypeOf(handle) as { sync(): Promise<void> };
    await handle.close();
    const sync = prototype.sync;
    vi.spyOn(prototype, 'sync').mockImplementation(async function (this: unknown) {
      await sync.call(this);
      events.push('pack durable');
    });

    const chunks = Array.from({ length: 5 }, (_, index) => makeChunk(`durable ${index}`, 3000));
    const response = await server.raw(buildPath(routes.uploadChunks, { libraryId }), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': FRAMES_CONTENT_TYPE },
      body: encodeFrames(chunks) as Uint8Array<ArrayBuffer>,
    });
    events.push(`answered ${response.status}`);
    expect(events).toEqual(['pack durable', 'index durable', 'links durable', 'answered 200']);
  });
});
