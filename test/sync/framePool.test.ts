// FramePool: the buffers of a streamed download's chunks are used again only once every holder
// let go: the request they arrived in (until its reader passed it) and each writer they were
// handed to (until their bytes are in the file). ChunkSource reads a large file through it, and
// writeFileAtomic releases each piece only after it was written; the daemon's paced client
// passes the pool on.

import { randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BandwidthLimiter } from '../../src-main/daemon/bandwidthLimiter.js';
import { pacedClient } from '../../src-main/daemon/roundRecorder.js';
import { chunkIdOf } from '../../src-main/engine/chunker/index.js';
import { writeFileAtomic } from '../../src-main/engine/localfs/writeFileAtomic.js';
import type { ServerClient } from '../../src-main/engine/remote/serverClient.js';
import { ChunkSource } from '../../src-main/engine/sync/chunkSource.js';
import { FramePool } from '../../src-main/engine/sync/framePool.js';
import { parseLibraryPath } from '../../shared/paths.js';

let folder = '';
afterEach(async () => {
  if (folder !== '') await rm(folder, { recursive: true, force: true });
  folder = '';
});

describe('FramePool', () => {
  it('hands a buffer out again only after its last holder released it', () => {
    const pool = new FramePool(1 << 20);
    const first = pool.take(100_000);
    pool.hold(first); // a writer
    pool.release(first); // the request dropped
    const second = pool.take(100_000);
    expect(second.buffer).not.toBe(first.buffer);
    pool.release(first); // the writer wrote it
    const third = pool.take(99_000); // same size class
    expect(third.buffer).toBe(first.buffer);
    expect(third.length).toBe(99_000);
    expect(pool.reused).toBe(1);
    expect(pool.allocated).toBe(2);
  });

  it('ignores buffers it did not hand out, and keeps no more free bytes than allowed', () => {
    const pool = new FramePool(150_000);
    const foreign = new Uint8Array(100_000);
    pool.hold(foreign);
    pool.release(foreign);
    pool.release(foreign);
    expect(pool.take(100_000).buffer).not.toBe(foreign.buffer);
    const a = pool.take(100_000);
    const b = pool.take(100_000);
    pool.release(a);
    pool.release(b); // over the limit: left to the garbage collector
    expect(pool.take(100_000).buffer).toBe(a.buffer);
    expect(pool.take(100_000).buffer).not.toBe(b.buffer);
  });
});

describe('a streamed download through the pool', () => {
  it('never overwrites a chunk its consumer still holds, and uses the buffers again once released', async () => {
    const contents = new Map<string, Uint8Array>();
    const chunk = (seed: number, size: number): { id: string; size: number } => {
      const bytes = new Uint8Array(randomBytes(size + (seed % 2)).subarray(0, size));
      const id = chunkIdOf(bytes);
      contents.set(id, bytes);
      return { id, size };
    };
    // 40 MiB in chunks of 0.5-1 MiB, one of them repeated within a window and across windows.
    const list = Array.from({ length: 52 }, (_, i) => chunk(i, 512 * 1024 + ((i * 7919) % 512) * 1024));
    list.splice(3, 0, list[1]!);
    list.splice(30, 0, list[1]!);
    let allocations = 0;
    const client = {
      chunkPatches: false,
      downloadChunks: async (_library: string, ids: readonly string[], onChunk: (frame: { id: string; bytes: Uint8Array }) => void, allocate?: (length: number) => Uint8Array) => {
        for (const id of ids) {
          const source = contents.get(id)!;
          const bytes = allocate === undefined ? new Uint8Array(source.length) : allocate(source.length);
          if (allocate !== undefined) allocations += 1;
          // What a reused buffer held before is overwritten by the decoder, as here.
          bytes.set(source);
          onChunk({ id, bytes });
          await new Promise((resolve) => setImmediate(resolve));
        }
        return ids.length;
      },
    } as unknown as ServerClient;
    const source = new ChunkSource(client, 'lib', os.tmpdir(), [], [list]);
    // A consumer that lags: it holds the last eight pieces, checks each when it lets it go.
    const held: { readonly piece: Uint8Array; readonly id: string }[] = [];
    let index = 0;
    const letGo = (): void => {
      const { piece, id } = held.shift()!;
      expect(Buffer.from(piece).equals(contents.get(id)!)).toBe(true);
      source.release(piece);
    };
    for await (const piece of source.read(list, true, parseLibraryPath('large.bin'))) {
      held.push({ piece, id: list[index++]!.id });
      if (held.length > 8) letGo();
    }
    while (held.length > 0) letGo();
    expect(index).toBe(list.length);
    expect(allocations).toBeGreaterThan(0);
    // Buffers came back and carried later chunks: fewer allocated than chunks fetched.
    expect(source.reusedFrameBuffers).toBeGreaterThan(10);
    await source.close();
  });

  it('writeFileAtomic releases each piece only once its bytes are in the file, and not on a failed write', async () => {
    folder = await mkdtemp(path.join(os.tmpdir(), 'cairn-frame-pool-'));
    const pieces = Array.from({ length: 40 }, (_, i) => new Uint8Array(100_000).fill(i));
    const released: Uint8Array[] = [];
    /** At each release, the temp file's size less the end of the piece released. */
    const sizes: number[] = [];
    const result = await writeFileAtomic(folder, parseLibraryPath('out.bin'), (async function* () {
      yield* pieces;
    })(), {
      mtimeMs: Date.now(),
      executable: false,
      expect: { kind: 'absent' },
      release: (piece) => {
        released.push(piece);
        const end = pieces.indexOf(piece as (typeof pieces)[number]) * 100_000 + 100_000;
        // The temp file (the only other file in the folder) already holds the piece's bytes.
        const names = readdirSync(folder).filter((name) => name !== 'out.bin');
        sizes.push(statSync(path.join(folder, names[0]!)).size - end);
      },
    });
    expect(result.status).toBe('written');
    expect(sizes.every((size) => size >= 0)).toBe(true);
    expect(released.length).toBe(pieces.length);
    expect(released.every((piece, i) => piece === pieces[i])).toBe(true);
    expect((await readFile(path.join(folder, 'out.bin'))).equals(Buffer.concat(pieces))).toBe(true);

    const failing: Uint8Array[] = [];
    await expect(
      writeFileAtomic(folder, parseLibraryPath('broken.bin'), (async function* () {
        yield new Uint8Array(10);
        throw new Error('the server went away');
      })(), { mtimeMs: Date.now(), executable: false, expect: { kind: 'absent' }, release: (piece) => failing.push(piece) }),
    ).rejects.toThrow('the server went away');
    expect(failing).toEqual([]);
  });
});

describe("the daemon's paced client", () => {
  it('passes the pool to the server client: a wrapper that drops it sends every chunk to the garbage collector again', async () => {
    let given: unknown;
    const client = {
      downloadChunks: async (_library: string, _ids: readonly string[], _onChunk: unknown, allocate?: unknown) => {
        given = allocate;
        return 0;
      },
    } as unknown as ServerClient;
    const allocate = (length: number): Uint8Array => new Uint8Array(length);
    const paced = pacedClient(client, { upload: new BandwidthLimiter(), download: new BandwidthLimiter() });
    await paced.downloadChunks('lib', [], () => undefined, allocate);
    expect(given).toBe(allocate);
  });
});
