// A stored chunk that fails verification (a flipped bit, a cut pack, a lost pack) is never
// served, is reported missing, and is accepted again from a client that still has it; fsck finds
// it, and with --repair marks it missing before anyone reads it. On every backend: the embedded
// folder store and the S3 store on a real Ceph RGW.
//
// Regression: before, a damaged chunk still counted as present, so a client's upload of the
// right bytes was skipped as a duplicate and the file stayed unreadable for every other device.

import { readFile, rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLIENT_VERIFIES_HEADER, FRAMES_CONTENT_TYPE, buildPath, decodeFrames, encodeFrameHeader, routes } from '../../shared/protocol/index.js';
import { main } from '../../src-server/main.js';
import { fsck } from '../../src-server/maintenance/fsck.js';
import type { StoredPack } from '../../src-server/storage/chunkStore.js';
import { chunkIdOf } from '../../shared/node/contentHash.js';
import { S3Client } from '../../src-server/storage/s3/s3Client.js';
import { SCALE_OUT_AVAILABLE, createScaleOutHarness } from '../support/scaleOutServices.js';
import type { ScaleOutHarness } from '../support/scaleOutServices.js';
import { fileOf, makeChunk, putChunk, startTestServer } from './testServer.js';
import type { TestServer } from './testServer.js';

type Damage = 'flipped bit' | 'cut pack' | 'lost pack';

interface Backend {
  readonly server: TestServer;
  /** Damages the pack holding `chunkId` as stored. */
  damage(pack: StoredPack, chunkOffset: number, damage: Damage): Promise<void>;
  /** The command-line flags naming the backend, for `cairn-server fsck`. */
  readonly flags: string[];
  stop(): Promise<void>;
}

function damaged(bytes: Buffer, chunkOffset: number, damage: Damage): Buffer | null {
  switch (damage) {
    case 'flipped bit': {
      const copy = Buffer.from(bytes);
      copy[chunkOffset + 3]! ^= 0x10;
      return copy;
    }
    case 'cut pack':
      return bytes.subarray(0, chunkOffset + 10);
    case 'lost pack':
      return null;
    default:
      throw new Error(`unhandled damage: ${String(damage satisfies never)}`);
  }
}

async function embeddedBackend(): Promise<Backend> {
  const server = await startTestServer();
  return {
    server,
    async damage(pack, chunkOffset, damage) {
      const file = path.join(server.dataDir, 'chunks', ...pack.key.split('/'));
      const changed = damaged(await readFile(file), chunkOffset, damage);
      if (changed === null) await rm(file);
      else if (damage === 'cut pack') await truncate(file, changed.length);
      else await writeFile(file, changed);
    },
    flags: ['--data', server.dataDir],
    stop: () => server.stop(),
  };
}

async function scaleOutBackend(): Promise<Backend> {
  const harness: ScaleOutHarness = await createScaleOutHarness();
  const server = await startTestServer({ stores: await harness.open() });
  const s3 = new S3Client(harness.target.s3, harness.target.credentials);
  const postgres = new URL(harness.target.postgres.connectionString);
  postgres.searchParams.set('schema', harness.target.postgres.schema!);
  return {
    server,
    async damage(pack, chunkOffset, damage) {
      // Objects are immutable to Cairn; the test replaces one behind its back.
      const changed = damaged((await s3.get(pack.key))!, chunkOffset, damage);
      await s3.deleteMany([pack.key]);
      if (changed !== null) expect(await s3.putNew(pack.key, changed)).toBe('created');
    },
    flags: ['--metadata', postgres.toString(), '--chunks', `s3://${harness.target.s3.bucket}?endpoint=${harness.target.s3.endpoint}&region=us-east-1&forcePathStyle=true`],
    async stop() {
      await server.stop();
      await s3.close();
      await harness.destroy();
    },
  };
}

async function runFsck(flags: string[], repair: boolean): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const io = { stdin: process.stdin, stdout: { write: (text: string) => (stdout += text) }, stderr: { write: () => true } };
  const code = await main(['fsck', ...(repair ? ['--repair'] : []), ...flags], io);
  return { code, stdout };
}

const backends = [
  { name: 'embedded', available: true, start: embeddedBackend },
  { name: 'PostgreSQL + S3 (Ceph RGW)', available: SCALE_OUT_AVAILABLE, start: scaleOutBackend },
] as const;

for (const { name, available, start } of backends) {
  describe.skipIf(!available)(`damaged chunks on the ${name} backend`, () => {
    let backend: Backend;
    let token: string;
    let libraryId: string;
    const chunk = makeChunk('precious bytes', 20_000);
    const neighbour = makeChunk('the neighbour in the same pack', 3000);

    beforeEach(async () => {
      backend = await start();
      await backend.server.addUser('alice');
      token = await backend.server.login('alice');
      libraryId = (await backend.server.ok(routes.createLibrary, { token, body: { name: 'Damaged' } })).id;
      // Both chunks in one upload, so they share a pack.
      const frames = Buffer.concat([neighbour, chunk].flatMap((item) => [encodeFrameHeader(item.id, item.bytes.length), item.bytes]));
      const uploaded = await backend.server.raw(buildPath(routes.uploadChunks, { libraryId }), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': FRAMES_CONTENT_TYPE },
        body: frames,
      });
      expect(uploaded.status).toBe(200);
      await backend.server.ok(routes.commit, { token, params: { libraryId }, body: { changes: [{ op: 'put', path: 'f.bin', baseRev: null, ...fileOf([neighbour.ref, chunk.ref]) }] } });
    });
    afterEach(async () => backend.stop());

    async function damage(kind: Damage): Promise<void> {
      for await (const pack of backend.server.stores.chunks.packs()) {
        const located = pack.chunks.find((item) => item.id === chunk.id);
        if (located !== undefined) return backend.damage(pack, located.offset, kind);
      }
      throw new Error('no pack holds the chunk');
    }

    const missing = async () => (await backend.server.ok(routes.missingChunks, { token, params: { libraryId }, body: { ids: [chunk.id, neighbour.id] } })).missing;
    const getChunk = (id: string) => backend.server.raw(`/api/v1/libraries/${libraryId}/chunks/${id}`, { headers: { authorization: `Bearer ${token}` } });

    it.each<Damage>(['flipped bit', 'cut pack', 'lost pack'])('a %s: never served, reported missing, accepted again, found by fsck', async (kind) => {
      await damage(kind);
      const found = await fsck(backend.server.stores, { repair: false });
      expect(found.problems.filter((problem) => problem.kind === 'damaged-chunk').map((problem) => problem.chunkId)).toContain(chunk.id);

      const read = await getChunk(chunk.id);
      expect(read.status).toBe(404);
      expect(await read.json()).toMatchObject({ error: { code: 'not-found', details: { missing: [chunk.id] } } });
      expect(await missing()).toContain(chunk.id);
      // A commit naming it asks for it first.
      const commit = await backend.server.call(routes.commit, { token, params: { libraryId }, body: { changes: [{ op: 'put', path: 'copy.bin', baseRev: null, ...fileOf([chunk.ref]) }] } });
      expect(commit).toMatchObject({ ok: false, body: { error: { code: 'missing-chunks', details: { missing: [chunk.id] } } } });
      expect((await fsck(backend.server.stores, { repair: false })).problems.map((problem) => [problem.kind, problem.chunkId])).toContainEqual(['awaiting-upload', chunk.id]);

      // A client that still has the bytes uploads them, and they are stored, not skipped.
      expect(await (await putChunk(backend.server, token, libraryId, chunk)).json()).toEqual({ stored: 1 });
      expect(await missing()).not.toContain(chunk.id);
      const again = await getChunk(chunk.id);
      expect(again.status).toBe(200);
      expect(new Uint8Array(await again.arrayBuffer())).toEqual(chunk.bytes);
    });

    const downloadChunks = (as: string, ids: string[], clientVerifies: boolean) =>
      backend.server.raw(buildPath(routes.downloadChunks, { libraryId }), {
        method: 'POST',
        headers: { authorization: `Bearer ${as}`, 'content-type': 'application/json', ...(clientVerifies ? { [CLIENT_VERIFIES_HEADER]: '1' } : {}) },
        body: JSON.stringify({ ids }),
      });

    it("a flipped bit: a batch download by the owner whose client checks the chunks gets them as stored; asked again without the header, the server's check records the damage", async () => {
      await damage('flipped bit');
      const unchecked = await downloadChunks(token, [neighbour.id, chunk.id], true);
      expect(unchecked.status).toBe(200);
      const frames = decodeFrames(new Uint8Array(await unchecked.arrayBuffer()), 1 << 20);
      expect(frames.map((frame) => frame.id)).toEqual([neighbour.id, chunk.id]);
      // Not hashed here: the damaged bytes went out, for the client's own check to refuse them.
      expect(frames[0]!.bytes).toEqual(neighbour.bytes);
      expect(chunkIdOf(frames[1]!.bytes)).not.toBe(chunk.id);
      expect(await missing()).toEqual([]);

      const checked = await downloadChunks(token, [chunk.id], false);
      expect(checked.status).toBe(404);
      expect(await checked.json()).toMatchObject({ error: { code: 'not-found', details: { missing: [chunk.id] } } });
      expect(await missing()).toEqual([chunk.id]);
    });

    it("a flipped bit: a member's batch download is hashed by the server whatever the client says", async () => {
      await backend.server.addUser('bob');
      const bob = await backend.server.login('bob');
      await backend.server.ok(routes.setMember, { token, params: { libraryId, userName: 'bob' }, body: { role: 'rw' } });
      await damage('flipped bit');
      const read = await downloadChunks(bob, [chunk.id], true);
      expect(read.status).toBe(404);
      expect(await missing()).toEqual([chunk.id]);
    });

    it('fsck --repair marks a damaged chunk missing before anyone reads it; a re-upload leaves fsck clean', async () => {
      expect(await runFsck(backend.flags, false)).toMatchObject({ code: 0, stdout: expect.stringMatching(/0 problem\(s\)/) });
      await damage('flipped bit');
      const checked = await runFsck(backend.flags, false);
      expect(checked.code).toBe(1);
      expect(checked.stdout).toMatch(new RegExp(`damaged-chunk: chunk ${chunk.id} .* does not hash to its id`));
      expect(await missing()).toEqual([]);
      const repaired = await runFsck(backend.flags, true);
      expect(repaired.stdout).toMatch(/1 chunk\(s\) now count as missing/);
      expect(await missing()).toEqual([chunk.id]);
      await putChunk(backend.server, token, libraryId, chunk);
      expect(await missing()).toEqual([]);
      expect(await runFsck(backend.flags, false)).toMatchObject({ code: 0 });
    });
  });
}
