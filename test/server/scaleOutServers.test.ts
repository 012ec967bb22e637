// Two server instances on one PostgreSQL database and one Ceph RGW bucket: a client may reach
// either, and a commit through one is pushed at once to clients waiting on the other. Plus the
// readiness and liveness probes.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes, serverEventSchema } from '../../shared/protocol/index.js';
import type { ServerEvent } from '../../shared/protocol/index.js';
import { ServerSentEventParser } from '../../shared/serverSentEvents.js';
import { openEmbeddedStores } from '../../src-server/server.js';
import { createScaleOutHarness, describeScaleOut } from '../support/scaleOutServices.js';
import type { ScaleOutHarness } from '../support/scaleOutServices.js';
import { fileOf, makeChunk, putChunk, startTestServer } from './testServer.js';
import type { TestServer } from './testServer.js';

/** Reads server-sent events from a response, one at a time. */
async function openEvents(server: TestServer, token: string) {
  const response = await server.raw(routes.events.path, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const parser = new ServerSentEventParser();
  const queued: ServerEvent[] = [];
  return {
    async next(): Promise<ServerEvent> {
      while (queued.length === 0) {
        const { value, done } = await reader.read();
        if (done) throw new Error('the event stream ended');
        for (const data of parser.push(decoder.decode(value, { stream: true }))) queued.push(serverEventSchema.parse(JSON.parse(data)));
      }
      return queued.shift()!;
    },
    close: () => reader.cancel(),
  };
}

function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

describeScaleOut('two server instances on PostgreSQL + S3', () => {
  let harness: ScaleOutHarness;
  let one: TestServer;
  let two: TestServer;

  beforeAll(async () => {
    harness = await createScaleOutHarness();
    one = await startTestServer({ stores: await harness.open({ listen: true }) });
    two = await startTestServer({ stores: await harness.open({ listen: true }) });
    await one.addUser('alice');
  });
  afterAll(async () => {
    await one?.stop();
    await two?.stop();
    await harness?.destroy();
  });

  it('serves one client through either instance', async () => {
    const token = await two.login('alice');
    const library = await one.ok(routes.createLibrary, { token, body: { name: 'Across' } });
    const chunk = makeChunk('across instances', 5000);
    expect((await putChunk(two, token, library.id, chunk)).status).toBe(200);
    const committed = await one.ok(routes.commit, {
      token,
      params: { libraryId: library.id },
      body: { changes: [{ op: 'put', path: 'docs/report.txt', baseRev: null, ...fileOf([chunk.ref]) }] },
    });
    expect(committed.headSeq).toBe(2);
    const feed = await two.ok(routes.changes, { token, params: { libraryId: library.id }, query: { after: 0 } });
    expect(feed.entries.map((entry) => [entry.path, entry.rev])).toEqual([
      ['docs', 1],
      ['docs/report.txt', 2],
    ]);
    const bytes = await one.raw(`/api/v1/libraries/${library.id}/chunks/${chunk.id}`, { headers: { authorization: `Bearer ${token}` } });
    expect(new Uint8Array(await bytes.arrayBuffer())).toEqual(chunk.bytes);
  });

  it('pushes a commit through one instance to a long-poll and an event stream on the other', async () => {
    const token = await one.login('alice');
    const library = await one.ok(routes.createLibrary, { token, body: { name: 'Pushed' } });
    const events = await openEvents(two, token);
    expect((await events.next()).kind).toBe('ready');
    const latencies: number[] = [];
    for (let round = 1; round <= 30; round++) {
      const wait = two.ok(routes.waitForChanges, { token, params: { libraryId: library.id }, query: { after: round - 1, timeoutMs: 30_000 } });
      // The long-poll is subscribed before it reads the head; give it the moment to arrive.
      await new Promise((resolve) => setTimeout(resolve, 20));
      const started = performance.now();
      await one.ok(routes.commit, { token, params: { libraryId: library.id }, body: { changes: [{ op: 'mkdir', path: `folder ${round}`, baseRev: null }] } });
      expect(await events.next()).toEqual({ kind: 'commit', libraryId: library.id, headSeq: round });
      latencies.push(performance.now() - started);
      expect((await wait).headSeq).toBe(round);
    }
    await events.close();
    console.log(`push across instances (commit request start to event on the other instance): p50 ${percentile(latencies, 0.5).toFixed(1)} ms, p99 ${percentile(latencies, 0.99).toFixed(1)} ms`);
  });

  it('tells the other instance\'s event streams about a library shared with the user', async () => {
    await one.addUser('bob');
    const alice = await one.login('alice');
    const bob = await two.login('bob');
    const events = await openEvents(two, bob);
    expect((await events.next()).kind).toBe('ready');
    const library = await one.ok(routes.createLibrary, { token: alice, body: { name: 'For Bob' } });
    await one.ok(routes.setMember, { token: alice, params: { libraryId: library.id, userName: 'bob' }, body: { role: 'rw' } });
    expect(await events.next()).toEqual({ kind: 'library', libraryId: library.id });
    await events.close();
  });

  it('is ready on both instances', async () => {
    for (const server of [one, two]) {
      expect((await server.raw(routes.health.path)).status).toBe(200);
      expect((await server.raw(routes.live.path)).status).toBe(200);
    }
  });
});

describe('readiness and liveness', () => {
  it('answers unavailable for readiness while the backend does not answer, and stays live', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cairn-health-test-'));
    try {
      const stores = await openEmbeddedStores(dataDir);
      let problems: string[] = ['the object store bucket cairn does not answer: connection refused'];
      const server = await startTestServer({ stores: { ...stores, checkReady: async () => problems } });
      try {
        const notReady = await server.raw(routes.health.path);
        expect(notReady.status).toBe(503);
        expect(await notReady.json()).toMatchObject({ error: { code: 'unavailable', message: expect.stringContaining('bucket cairn does not answer') } });
        expect((await server.raw(routes.live.path)).status).toBe(200);
        problems = [];
        expect((await server.raw(routes.health.path)).status).toBe(200);
      } finally {
        await server.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
