// Chunk patches end to end: one byte changed in each of many small files (each one chunk) goes
// up and comes down as patches, a fraction of the files' bytes on the wire (counted by a proxy
// between the clients and the server), and the files arrive identical. An older server (no
// patch routes, no announcement) and an older client (never asks) still sync, whole.

import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { DEFAULT_CHUNKING } from '../../shared/model.js';
import type { ServerOptions } from '../../src-server/server.js';
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
