// The change feed and the two ways of waiting for it: long-poll and server-sent events.

import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPath, routes, serverEventSchema } from '../../shared/protocol/index.js';
import type { Entry, ServerEvent } from '../../shared/protocol/index.js';
import { InProcessNotifier } from '../../src-server/notifier.js';
import { fileOf, makeChunk, putChunk, startTestServer } from './testServer.js';
import type { TestServer } from './testServer.js';

let server: TestServer;
let alice: string;
let bob: string;
const notifier = new InProcessNotifier();

beforeAll(async () => {
  server = await startTestServer({ notifier });
  await server.addUser('alice');
  await server.addUser('bob');
  alice = await server.login('alice');
  bob = await server.login('bob');
});
afterAll(async () => server.stop());

async function newLibrary(name: string): Promise<string> {
  return (await server.ok(routes.createLibrary, { token: alice, body: { name } })).id;
}

async function mkdirs(libraryId: string, paths: string[]): Promise<number> {
  const result = await server.ok(routes.commit, { token: alice, params: { libraryId }, body: { changes: paths.map((path) => ({ op: 'mkdir' as const, path, baseRev: null })) } });
  return result.headSeq;
}

/** Resolves once `count` more listeners subscribed to the notifier than at the call. */
async function listenersAdded(count: number, since: number): Promise<void> {
  while (notifier.listenerCount < since + count) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('change feed', () => {
  it('pages through the latest version of each changed path in rev order', async () => {
    const libraryId = await newLibrary('Feed');
    await mkdirs(libraryId, ['a', 'b', 'c', 'd', 'e']);
    await server.ok(routes.commit, { token: alice, params: { libraryId }, body: { changes: [{ op: 'delete', path: 'b', baseRev: 2 }] } });

    const seen: [string, number, boolean][] = [];
    let after = 0;
    let pages = 0;
    while (true) {
      const page = await server.ok(routes.changes, { token: alice, params: { libraryId }, query: { after, limit: 2 } });
      expect(page.headSeq).toBe(6);
      seen.push(...page.entries.map((entry): [string, number, boolean] => [entry.path, entry.rev, entry.deleted]));
      after = page.cursor;
      pages++;
      if (!page.hasMore) break;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual([
      ['a', 1, false],
      ['c', 3, false],
      ['d', 4, false],
      ['e', 5, false],
      ['b', 6, true],
    ]);
    const empty = await server.ok(routes.changes, { token: alice, params: { libraryId }, query: { after: 6 } });
    expect(empty).toEqual({ entries: [], cursor: 6, headSeq: 6, hasMore: false });
  });

  it('compresses large answers for clients that accept gzip', async () => {
    const libraryId = await newLibrary('Compressed');
    await mkdirs(libraryId, Array.from({ length: 200 }, (_, index) => `folder ${index}`));
    const response = await server.raw(`${buildPath(routes.changes, { libraryId })}?after=0`, {
      headers: { authorization: `Bearer ${alice}`, 'accept-encoding': 'gzip' },
    });
    expect(response.headers.get('content-encoding')).toBe('gzip');
    expect(((await response.json()) as { entries: unknown[] }).entries).toHaveLength(200);
  });
});

describe('deleted versions in the feed and in commit answers', () => {
  const chunks = [makeChunk('tombstone one', 700), makeChunk('tombstone two', 900)];
  const file = fileOf(chunks.map((chunk) => chunk.ref));

  /** A library holding f (rev 1), d (rev 2) and d/g (rev 3), all files but d. */
  async function libraryWithFiles(name: string): Promise<string> {
    const libraryId = await newLibrary(name);
    for (const chunk of chunks) await putChunk(server, alice, libraryId, chunk);
    await server.ok(routes.commit, {
      token: alice,
      params: { libraryId },
      body: { changes: [{ op: 'put', path: 'f', baseRev: null, ...file }, { op: 'put', path: 'd/g', baseRev: null, ...file }] },
    });
    return libraryId;
  }

  async function feed(libraryId: string): Promise<Entry[]> {
    return (await server.ok(routes.changes, { token: alice, params: { libraryId }, query: { after: 0 } })).entries;
  }

  const withoutChunks = { size: file.size, contentHash: file.contentHash, chunks: [] };

  it('sends deletions and the old paths of moves without chunks, keeping size and content hash', async () => {
    const libraryId = await libraryWithFiles('Tombstones');
    await server.ok(routes.commit, {
      token: alice,
      params: { libraryId },
      body: { changes: [{ op: 'delete', path: 'f', baseRev: 1 }, { op: 'move', from: 'd', to: 'e', baseRev: 2, toBaseRev: null }] },
    });
    const entries = await feed(libraryId);
    const byPath = Object.fromEntries(entries.map((entry) => [entry.path, entry]));
    expect(byPath.f).toMatchObject({ deleted: true, ...withoutChunks });
    expect(byPath['d/g']).toMatchObject({ deleted: true, movedTo: 'e/g', ...withoutChunks });
    expect(byPath['e/g']).toMatchObject({ deleted: false, movedFrom: 'd/g', size: file.size, contentHash: file.contentHash, chunks: file.chunks });
  });

  it('sends deleted entries without chunks in commit results and conflicts', async () => {
    const libraryId = await libraryWithFiles('Tombstone answers');
    const deleted = await server.ok(routes.commit, { token: alice, params: { libraryId }, body: { changes: [{ op: 'delete', path: 'f', baseRev: 1 }] } });
    expect(deleted.results).toMatchObject([{ status: 'applied', entry: { path: 'f', deleted: true, ...withoutChunks } }]);
    const stale = await server.ok(routes.commit, { token: alice, params: { libraryId }, body: { changes: [{ op: 'put', path: 'f', baseRev: 1, ...file }] } });
    expect(stale.results).toMatchObject([{ status: 'conflict', reason: 'stale-base', current: { path: 'f', deleted: true, ...withoutChunks } }]);
  });

  it('keeps the chunks of deleted versions in history and trash', async () => {
    const libraryId = await libraryWithFiles('Tombstone history');
    await server.ok(routes.commit, { token: alice, params: { libraryId }, body: { changes: [{ op: 'delete', path: 'f', baseRev: 1 }] } });
    const history = await server.ok(routes.history, { token: alice, params: { libraryId }, query: { path: 'f' } });
    expect(history.versions.map((version) => [version.deleted, version.chunks])).toEqual([
      [true, file.chunks],
      [false, file.chunks],
    ]);
    const trash = await server.ok(routes.trash, { token: alice, params: { libraryId }, query: {} });
    expect(trash.items).toMatchObject([{ path: 'f', deleted: { chunks: file.chunks }, lastLive: { chunks: file.chunks } }]);
  });

  it.each([
    ['gzipped when the client accepts gzip', 'gzip', 'gzip'],
    ['plain when the client does not', 'identity', undefined],
  ])('sends a large feed %s', async (_name, acceptEncoding, expected) => {
    const libraryId = await newLibrary(`Feed encoding ${acceptEncoding}`);
    await mkdirs(libraryId, Array.from({ length: 100 }, (_, index) => `folder ${index}`));
    // node:http, not fetch: fetch asks for gzip itself and hides the encoding.
    const answer = await new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
      const outgoing = request(`${server.url}${buildPath(routes.changes, { libraryId })}?after=0`, {
        headers: { authorization: `Bearer ${alice}`, 'accept-encoding': acceptEncoding },
      });
      outgoing.on('response', (response) => {
        const parts: Buffer[] = [];
        response.on('data', (part: Buffer) => parts.push(part));
        response.on('end', () => resolve({ encoding: response.headers['content-encoding'], body: Buffer.concat(parts) }));
        response.on('error', reject);
      });
      outgoing.on('error', reject);
      outgoing.end();
    });
    expect(answer.encoding).toBe(expected);
    const text = expected === 'gzip' ? gunzipSync(answer.body).toString('utf8') : answer.body.toString('utf8');
    expect((JSON.parse(text) as { entries: unknown[] }).entries).toHaveLength(100);
  });
});

describe('long-poll', () => {
  it('answers at once when the head is already past the cursor', async () => {
    const libraryId = await newLibrary('Poll now');
    await mkdirs(libraryId, ['x']);
    expect(await server.ok(routes.waitForChanges, { token: alice, params: { libraryId }, query: { after: 0, timeoutMs: 60_000 } })).toEqual({ headSeq: 1 });
  });

  it('answers with the unchanged head at the timeout', async () => {
    const libraryId = await newLibrary('Poll timeout');
    expect(await server.ok(routes.waitForChanges, { token: alice, params: { libraryId }, query: { after: 0, timeoutMs: 50 } })).toEqual({ headSeq: 0 });
  });

  it('wakes on a commit long before its timeout', async () => {
    const libraryId = await newLibrary('Poll wake');
    const before = notifier.listenerCount;
    const waiting = server.ok(routes.waitForChanges, { token: alice, params: { libraryId }, query: { after: 0, timeoutMs: 60_000 } });
    await listenersAdded(1, before);
    await mkdirs(libraryId, ['woken']);
    expect(await waiting).toEqual({ headSeq: 1 });
  });

  it('refuses a timeout above 60 s', async () => {
    const libraryId = await newLibrary('Poll cap');
    expect((await server.call(routes.waitForChanges, { token: alice, params: { libraryId }, query: { after: 0, timeoutMs: 60_001 } })).status).toBe(400);
  });
});

/** Reads server-sent events from the stream, validating each with the shared schema. */
class EventReader {
  private buffer = '';
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  readonly comments: string[] = [];

  constructor(response: Response) {
    this.reader = response.body!.getReader();
  }

  /** The next event, recording the comments before it. */
  async next(): Promise<ServerEvent> {
    while (true) {
      const block = await this.nextBlock();
      if (block.startsWith(':')) this.comments.push(block);
      else return serverEventSchema.parse(JSON.parse(block.replace(/^data: /, '')));
    }
  }

  /** The next comment, dropping the events before it. */
  async nextComment(): Promise<string> {
    while (true) {
      const block = await this.nextBlock();
      if (block.startsWith(':')) return block;
    }
  }

  private async nextBlock(): Promise<string> {
    while (true) {
      const end = this.buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        return block;
      }
      const { value, done } = await this.reader.read();
      if (done) throw new Error('the event stream ended');
      this.buffer += this.decoder.decode(value, { stream: true });
    }
  }

  async close(): Promise<void> {
    await this.reader.cancel();
  }
}

async function openEvents(token: string): Promise<EventReader> {
  const response = await server.raw(routes.events.path, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  return new EventReader(response);
}

describe('server-sent events', () => {
  it('starts with the heads of the visible libraries, then reports commits to them', async () => {
    const libraryId = await newLibrary('Events');
    await mkdirs(libraryId, ['one']);
    const events = await openEvents(alice);
    const ready = await events.next();
    expect(ready.kind).toBe('ready');
    expect(ready.kind === 'ready' && ready.heads).toContainEqual({ libraryId, headSeq: 1 });
    await mkdirs(libraryId, ['two']);
    expect(await events.next()).toEqual({ kind: 'commit', libraryId, headSeq: 2 });
    await events.close();
  });

  it('tells a user about libraries shared with them and hides others', async () => {
    const events = await openEvents(bob);
    expect((await events.next()).kind).toBe('ready');
    const hidden = await newLibrary('Not for Bob');
    await mkdirs(hidden, ['secret']);
    const shared = await newLibrary('For Bob');
    await server.ok(routes.setMember, { token: alice, params: { libraryId: shared, userName: 'bob' }, body: { role: 'ro' } });
    expect(await events.next()).toEqual({ kind: 'library', libraryId: shared });
    await mkdirs(shared, ['hello']);
    expect(await events.next()).toEqual({ kind: 'commit', libraryId: shared, headSeq: 1 });
    await server.ok(routes.removeMember, { token: alice, params: { libraryId: shared, userName: 'bob' } });
    expect(await events.next()).toEqual({ kind: 'library', libraryId: shared });
    await mkdirs(shared, ['after removal']);
    await server.ok(routes.createLibrary, { token: bob, body: { name: 'Bob own' } }).then(async (library) => {
      expect(await events.next()).toEqual({ kind: 'library', libraryId: library.id });
    });
    expect(events.comments).toEqual([]);
    await events.close();
  });

  it('sends heartbeats and ends the stream once the token is revoked', async () => {
    const own = await startTestServer({ eventsHeartbeatMs: 20 });
    try {
      await own.addUser('dave');
      const token = await own.login('dave');
      const response = await own.raw(routes.events.path, { headers: { authorization: `Bearer ${token}` } });
      const events = new EventReader(response);
      expect((await events.next()).kind).toBe('ready');
      expect(await events.nextComment()).toBe(': heartbeat');
      await own.ok(routes.logout, { token });
      await expect(events.next()).rejects.toThrow(/ended/);
    } finally {
      await own.stop();
    }
  });

  it('ends open streams and waits when the server stops', async () => {
    const ownNotifier = new InProcessNotifier();
    const own = await startTestServer({ notifier: ownNotifier });
    await own.addUser('carol');
    const token = await own.login('carol');
    const libraryId = (await own.ok(routes.createLibrary, { token, body: { name: 'Stopping' } })).id;
    const response = await own.raw(routes.events.path, { headers: { authorization: `Bearer ${token}` } });
    const events = new EventReader(response);
    expect((await events.next()).kind).toBe('ready');
    const waiting = own.ok(routes.waitForChanges, { token, params: { libraryId }, query: { after: 0, timeoutMs: 60_000 } });
    // One listener is the event stream; the second is the long-poll, now surely waiting.
    while (ownNotifier.listenerCount < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    await own.stop();
    expect(await waiting).toEqual({ headSeq: 0 });
    await expect(events.next()).rejects.toThrow();
  });
});
