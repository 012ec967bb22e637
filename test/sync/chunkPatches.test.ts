// Chunk patches end to end: one byte changed in each of many small files (each one chunk) goes
// up and comes down as patches, a fraction of the files' bytes on the wire (counted by a proxy
// between the clients and the server), and the files arrive identical. An older server (no
// patch routes, no announcement) and an older client (never asks) still sync, whole.

import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CHUNKING } from '../../shared/model.js';
import type { ChunkId } from '../../shared/model.js';
import { chunkIdOf } from '../../shared/node/contentHash.js';
import type { LibraryPath } from '../../shared/paths.js';
import { CHUNK_PATCHES_HEADER, FRAMES_CONTENT_TYPE, encodeFrames, encodePatch, prefixSuffixPatch, routes } from '../../shared/protocol/index.js';
import type { Frame } from '../../shared/protocol/index.js';
import { ServerClient } from '../../src-main/engine/remote/serverClient.js';
import { pairWithBases, uploadAsPatches } from '../../src-main/engine/sync/chunkPatching.js';
import { signatureOf } from '../../shared/node/chunkPatchSignatures.js';
import { decodeSignature } from '../../shared/protocol/index.js';
import { ChunkSource } from '../../src-main/engine/sync/chunkSource.js';
import type { ServerOptions } from '../../src-server/server.js';
import { putChunk, startTestServer } from '../server/testServer.js';
import { startHarness } from './harness.js';
import type { Harness, TestClient } from './harness.js';
import { startThrottlingProxy } from './support/throttlingProxy.js';
import type { ThrottlingProxy } from './support/throttlingProxy.js';

const FILES = 40;

let harness: Harness | undefined;
let proxy: ThrottlingProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  await harness?.stop();
  proxy = undefined;
  harness = undefined;
});

/** Makes a client behave as one from before chunk patches: it never uses them, whatever the server announces. */
async function withoutPatches(client: TestClient): Promise<void> {
  Object.defineProperty(await client.engine.server(), 'chunkPatches', { get: () => false });
}

interface Hop {
  readonly up: number;
  readonly down: number;
}

/**
 * Alice and Bob share a library (default chunking: each file below 32 KiB is one chunk) of
 * FILES files of 1 to 16 KiB; Alice changes one byte in each and syncs, then Bob. Returns the
 * bytes each hop moved (both directions) and the edited files' total size.
 */
async function touchRound(options: { server?: Pick<ServerOptions, 'chunkPatches' | 'log'>; oldClients?: boolean }): Promise<{ alice: Hop; bob: Hop; fileBytes: number }> {
  harness = await startHarness({ server: options.server ?? {} });
  proxy = await startThrottlingProxy({ host: '127.0.0.1', port: harness.server.port }, { bytesPerSecond: 1e12 });
  await harness.createLibrary('alice', 'Small', DEFAULT_CHUNKING);
  const alice = await harness.client('alice', { libraryName: 'Small', serverUrl: proxy.url });
  const bob = await harness.client('bob', { libraryName: 'Small', serverUrl: proxy.url });
  if (options.oldClients === true) {
    await withoutPatches(alice);
    await withoutPatches(bob);
  }
  let fileBytes = 0;
  for (let i = 0; i < FILES; i++) {
    const bytes = randomBytes(1024 + Math.floor(Math.random() * 15 * 1024));
    fileBytes += bytes.length;
    await alice.write(`f${i}.bin`, bytes);
  }
  await alice.sync();
  await bob.sync();
  for (let i = 0; i < FILES; i++) {
    const file = path.join(alice.root, `f${i}.bin`);
    const bytes = await readFile(file);
    const at = Math.floor(Math.random() * bytes.length);
    bytes[at] = bytes[at]! ^ 0x5a;
    await writeFile(file, bytes);
  }
  const hop = async (client: TestClient): Promise<Hop> => {
    const up = proxy!.upstreamBytes();
    const down = proxy!.downstreamBytes();
    await client.sync();
    return { up: proxy!.upstreamBytes() - up, down: proxy!.downstreamBytes() - down };
  };
  const aliceHop = await hop(alice);
  const bobHop = await hop(bob);
  expect(await bob.tree()).toEqual(await alice.tree());
  // Byte for byte (tree() reads text).
  for (let i = 0; i < FILES; i++) expect((await readFile(path.join(bob.root, `f${i}.bin`))).equals(await readFile(path.join(alice.root, `f${i}.bin`)))).toBe(true);
  return { alice: aliceHop, bob: bobHop, fileBytes };
}

it('sends and receives one changed byte per small file as patches, a fraction of the files on the wire', async () => {
  const { alice, bob, fileBytes } = await touchRound({});
  // Whole chunks would be fileBytes each way; patches are a block (well under 1 KiB) per file
  // plus the signatures and the requests' own bytes.
  expect(alice.up).toBeLessThan(fileBytes * 0.3);
  expect(bob.down).toBeLessThan(fileBytes * 0.3);
});

it('syncs whole chunks with a client that does not use patches (an older client against this server)', async () => {
  const { alice, bob, fileBytes } = await touchRound({ oldClients: true });
  expect(alice.up).toBeGreaterThan(fileBytes);
  expect(bob.down).toBeGreaterThan(fileBytes);
});

it('syncs whole chunks with a server that does not announce patches, never asking it for them', async () => {
  const paths: string[] = [];
  const log: ServerOptions['log'] = (_level, message, fields) => {
    if (message === 'request' && typeof fields?.path === 'string') paths.push(fields.path);
  };
  const { alice, bob, fileBytes } = await touchRound({ server: { chunkPatches: false, log } });
  expect(alice.up).toBeGreaterThan(fileBytes);
  expect(bob.down).toBeGreaterThan(fileBytes);
  expect(paths.some((requested) => requested.includes('/chunks/patches') || requested.includes('/chunks/signatures'))).toBe(false);
  expect(paths.some((requested) => requested.endsWith('/chunks/upload'))).toBe(true);
});

describe('a client receiving patches', () => {
  /** Two chunks and, for each, a base with one byte changed. */
  function chunks() {
    return [0, 1].map(() => {
      const base = new Uint8Array(randomBytes(8000));
      const next = base.slice();
      next[100] = next[100]! ^ 1;
      return { base: { id: chunkIdOf(base), bytes: base }, next: { id: chunkIdOf(next), bytes: next } };
    });
  }

  it('uses a rebuilt chunk only when it hashes to its id, and reports the others for a whole download', async () => {
    const [good, forged] = chunks();
    // A server that answers one patch honestly and the other with a patch building other bytes.
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.writeHead(200, { 'content-type': FRAMES_CONTENT_TYPE, [CHUNK_PATCHES_HEADER]: '1' });
        response.end(
          encodeFrames([
            { id: good!.next.id, bytes: prefixSuffixPatch(good!.base.bytes, good!.next.bytes) },
            { id: forged!.next.id, bytes: encodePatch([{ kind: 'copy', offset: 0, length: forged!.base.bytes.length }]) },
          ]),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = new ServerClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 'token' });
    try {
      const received: Frame[] = [];
      const result = await client.downloadChunkPatches(
        'library',
        [good!, forged!].map((pair) => ({ id: pair.next.id, size: pair.next.bytes.length, base: pair.base })),
        (frame) => void received.push(frame),
      );
      expect(received.map((frame) => frame.id)).toEqual([good!.next.id]);
      expect(Buffer.from(received[0]!.bytes).equals(Buffer.from(good!.next.bytes))).toBe(true);
      expect(result.failed).toEqual([forged!.next.id]);
      expect(client.chunkPatches).toBe(true); // announced on that answer
    } finally {
      await client.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('asks again without a pair whose base the library lacks, and reports that one for a whole download', async () => {
    const server = await startTestServer();
    try {
      await server.addUser('alice');
      const token = await server.login('alice');
      const libraryId = (await server.ok(routes.createLibrary, { token, body: { name: 'Patches' } })).id;
      const [held, foreign] = chunks();
      // The library holds both chunks of the first pair, but only the new chunk of the second.
      for (const chunk of [held!.base, held!.next, foreign!.next]) expect((await putChunk(server, token, libraryId, chunk)).status).toBe(200);
      const client = new ServerClient({ baseUrl: server.url, token });
      try {
        const received: ChunkId[] = [];
        const result = await client.downloadChunkPatches(
          libraryId,
          [held!, foreign!].map((pair) => ({ id: pair.next.id, size: pair.next.bytes.length, base: pair.base })),
          (frame) => void received.push(frame.id),
        );
        expect(received).toEqual([held!.next.id]);
        expect(result.failed).toEqual([foreign!.next.id]);
      } finally {
        await client.close();
      }
    } finally {
      await server.stop();
    }
  });

  it('fetches whole a chunk whose patch failed, and one whose base on disk changed since the scan', async () => {
    const [first, second] = chunks();
    const root = await mkdtemp(path.join(os.tmpdir(), 'cairn-patch-source-'));
    try {
      await writeFile(path.join(root, 'a.bin'), first!.base.bytes);
      // b.bin no longer holds the base its entry names: never used as one.
      await writeFile(path.join(root, 'b.bin'), randomBytes(8000));
      const asked: { patches: ChunkId[]; whole: ChunkId[] } = { patches: [], whole: [] };
      const all = new Map([first!, second!].map((pair) => [pair.next.id, pair.next.bytes]));
      const client = {
        chunkPatches: true,
        async downloadChunkPatches(_library: string, pairs: readonly { id: ChunkId; size: number; base: Frame }[]) {
          asked.patches.push(...pairs.map((pair) => pair.id));
          return { bytes: 10, failed: pairs.map((pair) => pair.id) };
        },
        async downloadChunks(_library: string, ids: readonly ChunkId[], onChunk: (frame: Frame) => void) {
          asked.whole.push(...ids);
          for (const id of ids) onChunk({ id, bytes: all.get(id)! });
          return 0;
        },
      } as unknown as ServerClient;
      const bases = new Map([
        [first!.next.id, { filePath: 'a.bin' as LibraryPath, id: first!.base.id, offset: 0, size: 8000 }],
        [second!.next.id, { filePath: 'b.bin' as LibraryPath, id: second!.base.id, offset: 0, size: 8000 }],
      ]);
      const lists = [first!, second!].map((pair) => [{ id: pair.next.id, size: 8000 }]);
      const source = new ChunkSource(client, 'library', root, [], lists, bases);
      source.prefetch(lists.flat());
      for (const [index, list] of lists.entries()) {
        const parts: Uint8Array[] = [];
        for await (const part of source.read(list, false, `${index}.bin` as LibraryPath)) parts.push(part);
        expect(Buffer.concat(parts).equals(Buffer.from([first!, second!][index]!.next.bytes))).toBe(true);
      }
      await source.close();
      expect(asked.patches).toEqual([first!.next.id]); // b.bin's base failed its check
      expect(asked.whole.sort()).toEqual([first!.next.id, second!.next.id].sort());
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('stops asking for patches once they stop paying (a file rewritten whole)', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'cairn-patch-savings-'));
    try {
      const count = 1600;
      const base = new Uint8Array(randomBytes(count * 8192));
      await writeFile(path.join(root, 'big.bin'), base);
      const next = Array.from({ length: count }, () => new Uint8Array(randomBytes(8192)));
      const all = new Map(next.map((bytes) => [chunkIdOf(bytes), bytes]));
      let asked = 0;
      const client = {
        chunkPatches: true,
        async downloadChunkPatches(_library: string, pairs: readonly { id: ChunkId; size: number; base: Frame }[]) {
          asked += pairs.length;
          // Patches as long as the chunks: nothing saved.
          return { bytes: pairs.reduce((sum, pair) => sum + pair.size, 0), failed: pairs.map((pair) => pair.id) };
        },
        async downloadChunks(_library: string, ids: readonly ChunkId[], onChunk: (frame: Frame) => void) {
          for (const id of ids) onChunk({ id, bytes: all.get(id)! });
          return 0;
        },
      } as unknown as ServerClient;
      const list = next.map((bytes) => ({ id: chunkIdOf(bytes), size: 8192 }));
      const bases = new Map(
        list.map((chunk, i) => [chunk.id, { filePath: 'big.bin' as LibraryPath, id: chunkIdOf(base.subarray(i * 8192, (i + 1) * 8192)), offset: i * 8192, size: 8192 }]),
      );
      const source = new ChunkSource(client, 'library', root, [], [list], bases);
      let total = 0;
      for await (const part of source.read(list, true, 'big.bin' as LibraryPath)) total += part.length;
      await source.close();
      expect(total).toBe(count * 8192);
      expect(asked).toBeLessThan(count);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('pairs each chunk an edit brought in with the chunk it replaced', () => {
    const ref = (n: number, size = 4096) => ({ id: n.toString(16).padStart(64, '0'), size });
    expect(pairWithBases([ref(1), ref(2), ref(3)], [ref(1), ref(9), ref(3)])).toEqual([{ chunk: ref(9), offset: 4096, base: ref(2), baseOffset: 4096 }]);
    // Two new chunks for one old one: both against it.
    expect(pairWithBases([ref(1), ref(2)], [ref(1), ref(8), ref(9)]).map((pair) => pair.base.id)).toEqual([ref(2).id, ref(2).id]);
    // Many more in than out (an insertion of new data): the first and the last, where the old bytes can be.
    expect(pairWithBases([ref(1), ref(2), ref(3)], [ref(1), ref(5), ref(6), ref(7), ref(8), ref(3)]).map((pair) => [pair.chunk.id, pair.base.id])).toEqual([
      [ref(5).id, ref(2).id],
      [ref(8).id, ref(2).id],
    ]);
    // Nothing replaced (an append of whole chunks, a new file), or chunks too small to be worth it.
    expect(pairWithBases([ref(1)], [ref(1), ref(2)])).toEqual([]);
    expect(pairWithBases([ref(1, 100)], [ref(2, 100)])).toEqual([]);
  });
});

describe('a client sending patches', () => {
  /** A server whose bases are `bases` (by id); it stores every patch it is sent. */
  function fakeServer(bases: Map<ChunkId, Uint8Array>) {
    const asked: ChunkId[] = [];
    const client = {
      async chunkSignatures(_library: string, wanted: readonly { id: ChunkId; size: number }[]) {
        asked.push(...wanted.map((base) => base.id));
        const signatures = new Map(wanted.map((base) => [base.id, decodeSignature(signatureOf(bases.get(base.id)!))]));
        return { signatures, bytes: wanted.length * 300 };
      },
      async uploadChunkPatches(_library: string, patches: readonly { id: ChunkId; patch: Uint8Array }[]) {
        return { stored: patches.length, rejected: [], bytes: patches.reduce((sum, item) => sum + item.patch.length, 0) };
      },
    };
    return { asked, client };
  }

  function uploads(count: number, edit: (base: Uint8Array) => Uint8Array) {
    const bases = new Map<ChunkId, Uint8Array>();
    const list = Array.from({ length: count }, () => {
      const base = new Uint8Array(randomBytes(8192));
      const next = edit(base);
      bases.set(chunkIdOf(base), base);
      return { id: chunkIdOf(next), size: next.length, baseId: chunkIdOf(base), baseSize: base.length, read: () => next };
    });
    return { bases, list };
  }

  it('sends a small edit of each chunk as a patch, asking for signatures a group at a time', async () => {
    const { bases, list } = uploads(300, (base) => {
      const next = base.slice();
      next[5000] = next[5000]! ^ 1;
      return next;
    });
    const server = fakeServer(bases);
    const result = await uploadAsPatches(server.client, 'library', list);
    expect(result.stored.size).toBe(300);
    expect(result.sent).toBeLessThan(300 * 1024);
  });

  it('stops trying patches once they stop paying (files rewritten whole)', async () => {
    const { bases, list } = uploads(2000, () => new Uint8Array(randomBytes(8192)));
    const server = fakeServer(bases);
    const result = await uploadAsPatches(server.client, 'library', list);
    expect(result.stored.size).toBe(0);
    // 4 MiB of 8 KiB chunks tried, and the group under way then: far fewer than the 2,000.
    expect(server.asked.length).toBeLessThanOrEqual(512 + 256);
  });
});
