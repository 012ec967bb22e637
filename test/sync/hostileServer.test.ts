// A client against a server that is broken or hostile (a real server behind a proxy that
// answers some requests itself): whatever it sends, the client holds no more than the
// protocol's limits.

import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LibraryPath } from '../../shared/paths.js';
import { PROTOCOL_LIMITS, routes } from '../../shared/protocol/index.js';
import type { ChangesResponse, Entry } from '../../shared/protocol/index.js';
import { isRemoteError } from '../../src-main/engine/remote/remoteError.js';
import { runCairn } from '../support/runCairn.js';
import { startHarness } from './harness.js';
import type { Harness } from './harness.js';
import { startLyingServer } from './support/lyingServer.js';
import type { Intercept, LyingServer } from './support/lyingServer.js';

let harness: Harness;
let lying: LyingServer;
beforeEach(async () => {
  harness = await startHarness();
  lying = await startLyingServer(harness.server.url);
});
afterEach(async () => {
  await lying.close();
  await harness.stop();
});

const MIB = 1024 * 1024;
/** One gzip member inflating to 1 MiB of spaces (JSON white space); members concatenate. */
const MIB_OF_SPACES_GZIPPED = gzipSync(Buffer.alloc(MIB, 0x20), { level: 9 });

/** `json` preceded by `mebibytes` MiB of white space, gzipped in about 1 KiB per MiB. */
function paddedGzip(mebibytes: number, json: unknown): Buffer[] {
  return [...Array.from({ length: mebibytes }, () => MIB_OF_SPACES_GZIPPED), gzipSync(JSON.stringify(json))];
}

async function caughtFrom(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe('answers longer than a client reads (item 7)', () => {
  it('refuses a small gzip answer that inflates past the limit, as `cairn library list`', async () => {
    const alice = await harness.client('alice', { serverUrl: lying.url });
    const compressed = paddedGzip(64, { libraries: [] });
    expect(compressed.reduce((sum, part) => sum + part.length, 0)).toBeLessThan(128 * 1024);
    lying.intercept = (request) =>
      request.method === 'GET' && request.url.pathname === routes.listLibraries.path
        ? { status: 200, headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: compressed }
        : undefined;
    const error = await caughtFrom((await alice.engine.server()).call(routes.listLibraries));
    expect(isRemoteError(error) && error.transport).toBe('too-long');
    await alice.close();
    const run = await runCairn(alice.home, ['library', 'list']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/longer than the 16777216 bytes a client reads/);
  });

  it('refuses an uncompressed answer past the limit, as it arrives', async () => {
    const alice = await harness.client('alice', { serverUrl: lying.url });
    const spaces = Buffer.alloc(MIB, 0x20);
    lying.intercept = (request) =>
      request.url.pathname === routes.listLibraries.path
        ? { status: 200, headers: { 'content-type': 'application/json' }, body: [...Array.from({ length: 17 }, () => spaces), Buffer.from('{"libraries":[]}')] }
        : undefined;
    const error = await caughtFrom((await alice.engine.server()).call(routes.listLibraries));
    expect(isRemoteError(error) && error.transport).toBe('too-long');
  });

  it('refuses an error answer past the limit too', async () => {
    const alice = await harness.client('alice', { serverUrl: lying.url });
    lying.intercept = (request) =>
      request.url.pathname === routes.listLibraries.path
        ? { status: 500, headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: paddedGzip(17, { error: { code: 'internal', message: 'x' } }) }
        : undefined;
    const error = await caughtFrom((await alice.engine.server()).call(routes.listLibraries));
    expect(isRemoteError(error) && error.transport).toBe('too-long');
  });

  it('ends an event stream whose event never ends', async () => {
    const alice = await harness.client('alice', { serverUrl: lying.url });
    const line = Buffer.alloc(64 * 1024, 0x78);
    lying.intercept = (request) =>
      request.url.pathname === routes.events.path
        ? { status: 200, headers: { 'content-type': 'text/event-stream' }, body: [Buffer.from('data: '), ...Array.from({ length: 32 }, () => line)] }
        : undefined;
    const controller = new AbortController();
    const events = async () => {
      for await (const event of (await alice.engine.server()).events(controller.signal)) void event;
    };
    const error = await caughtFrom(events());
    expect(isRemoteError(error) && error.transport).toBe('too-long');
    expect(PROTOCOL_LIMITS.maxEventBytes).toBeLessThan(32 * line.length);
  });

  it('asks for a shorter page of the change feed when a page is too long, and syncs', async () => {
    const alice = await harness.client('alice');
    for (let i = 0; i < 5; i++) await alice.write(`file-${i}.txt`, `content ${i}`);
    await alice.sync();
    const bob = await harness.client('bob', { serverUrl: lying.url });
    const limits: string[] = [];
    lying.intercept = async (request) => {
      if (!request.url.pathname.endsWith('/changes')) return undefined;
      const limit = request.url.searchParams.get('limit') ?? '';
      limits.push(limit);
      if (Number(limit) <= 100) return undefined;
      // Announces more than a versions answer may hold, and sends a little of it.
      return { status: 200, headers: { 'content-type': 'application/json', 'content-length': String(PROTOCOL_LIMITS.maxVersionsAnswerBytes + 1) }, body: Buffer.from(' ') };
    };
    await bob.sync();
    expect(await bob.tree()).toEqual(await alice.tree());
    expect(limits.slice(0, 3)).toEqual(['5000', '1250', '312']);
  });
});

/** Passes the change feed through `lie`, which may change any entry. */
function lyingFeed(lie: (entry: Entry) => Entry): Intercept {
  return async (request, forward) => {
    if (!request.url.pathname.endsWith('/changes')) return undefined;
    const answer = await forward();
    const page = JSON.parse(answer.body.toString('utf8')) as ChangesResponse;
    return { status: answer.status, headers: answer.headers, body: Buffer.from(JSON.stringify({ ...page, entries: page.entries.map(lie) })) };
  };
}

describe('a server lying about a version’s size or content hash (item 14)', () => {
  const lies: { name: string; lie: (entry: Entry) => Entry; message: RegExp }[] = [
    { name: 'a size one byte larger', lie: (entry) => ({ ...entry, size: entry.size + 1 }), message: /its size is \d+ bytes but its chunks add up to/ },
    { name: 'an empty size', lie: (entry) => ({ ...entry, size: 0 }), message: /its size is 0 bytes/ },
    {
      name: 'another file’s content hash',
      lie: (entry) => ({ ...entry, contentHash: 'a'.repeat(64) as Entry['contentHash'] }),
      message: /its content hash is a{64} but its chunks hash to/,
    },
    {
      name: 'a chunk listed one byte longer, and the size to match',
      lie: (entry) => ({ ...entry, size: entry.size + 1, chunks: entry.chunks.map((chunk, index) => (index === 0 ? { ...chunk, size: chunk.size + 1 } : chunk)) }),
      message: /is \d+ bytes, but the server lists it as/,
    },
  ];
  for (const testCase of lies) {
    it(`records nothing of ${testCase.name}, and syncs once the server tells the truth`, async () => {
      const alice = await harness.client('alice');
      await alice.write('report.txt', 'the real content of the report');
      await alice.sync();
      const bob = await harness.client('bob', { serverUrl: lying.url });
      lying.intercept = lyingFeed((entry) => (entry.path === 'report.txt' ? testCase.lie(entry) : entry));
      const lied = await bob.syncRaw();
      expect(lied.outcome).toBe('error');
      expect(lied.error?.message).toMatch(testCase.message);
      const syncedReport = () => bob.withIndex((index) => index.synced.get(bob.libraryId, 'report.txt' as LibraryPath));
      expect(syncedReport()).toBeUndefined();
      expect(await bob.exists('report.txt')).toBe(false);

      lying.intercept = () => undefined;
      await bob.sync();
      expect(await bob.read('report.txt')).toBe('the real content of the report');
      expect(syncedReport()?.node).toMatchObject({ size: 30 });
    });
  }
});
