// Chunks of small files sent while the scan is still reading the others (EarlyUpload): as a
// unit against a fake server, and in real rounds, where the upload overlaps the scan only
// where everything scanned is meant for the server.

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChunkId } from '../../shared/model.js';
import { chunkIdOf } from '../../shared/node/contentHash.js';
import type { ServerClient } from '../../src-main/engine/remote/serverClient.js';
import { EarlyUpload } from '../../src-main/engine/sync/earlyUpload.js';
import { KeptChunks } from '../../src-main/engine/sync/keptChunks.js';
import type { RoundProgress } from '../../src-main/engine/sync/roundSummary.js';
import { startHarness } from './harness.js';
import type { Harness } from './harness.js';

function chunk(size: number): { id: ChunkId; bytes: Uint8Array } {
  const bytes = new Uint8Array(randomBytes(size));
  return { id: chunkIdOf(bytes), bytes };
}

/** A server that holds chunks in a set; `failUploads` makes every upload fail. */
function fakeServer(options: { failUploads?: boolean } = {}) {
  const held = new Set<ChunkId>();
  const uploads: ChunkId[][] = [];
  const client = {
    async missingChunks(_libraryId: string, ids: readonly ChunkId[]) {
      return new Set(ids.filter((id) => !held.has(id)));
    },
    async uploadChunks(_libraryId: string, frames: Iterable<{ id: ChunkId; bytes: Uint8Array }>) {
      const list = [...frames];
      if (options.failUploads === true) throw new Error('the server is gone');
      uploads.push(list.map((frame) => frame.id));
      for (const frame of list) held.add(frame.id);
      return { chunks: list.length, bytes: list.reduce((sum, frame) => sum + frame.bytes.length, 0) };
    },
  };
  return { held, uploads, client };
}

function keepAll(kept: KeptChunks, chunks: readonly { id: ChunkId; bytes: Uint8Array }[]): void {
  for (const { id, bytes } of chunks) kept.keep([{ id, offset: 0, size: bytes.length }], bytes);
}

describe('EarlyUpload', () => {
  it('leaves the chunks replacing an edited file\'s previous ones to the upload step where the server takes patches', async () => {
    for (const chunkPatches of [true, false]) {
      const server = fakeServer();
      const kept = new KeptChunks(1 << 20, 1 << 16);
      const [fresh, edited, before] = [chunk(2000), chunk(2000), chunk(2000)];
      keepAll(kept, [fresh!, edited!]);
      const early = new EarlyUpload({ ...server.client, chunkPatches }, 'library', kept, 1000);
      await early.offer([{ id: fresh!.id, size: 2000 }]);
      await early.offer([{ id: edited!.id, size: 2000 }], [{ id: before!.id, size: 2000 }]);
      await early.finish();
      expect(server.uploads.flat()).toEqual(chunkPatches ? [fresh!.id] : [fresh!.id, edited!.id]);
      expect(kept.has(edited!.id)).toBe(chunkPatches);
    }
  });

  it('sends each full batch of kept chunks the server lacks, and lets go of what it holds now', async () => {
    const server = fakeServer();
    const kept = new KeptChunks(1 << 20, 1 << 16);
    const chunks = Array.from({ length: 9 }, () => chunk(100));
    server.held.add(chunks[1]!.id); // on the server already: asked about, never sent
    keepAll(kept, chunks);
    const early = new EarlyUpload(server.client, 'library', kept, 450);
    for (const item of chunks.slice(0, 4)) await early.offer([{ id: item.id, size: 100 }]);
    expect(server.uploads).toEqual([]); // 400 bytes: not a batch yet
    await early.offer([{ id: chunks[4]!.id, size: 100 }]);
    for (const item of chunks.slice(5)) await early.offer([{ id: item.id, size: 100 }]);
    await early.finish();
    // The first five made a batch (less the one the server had); the last four, short of a batch, wait for the upload step.
    expect(server.uploads).toEqual([[chunks[0]!.id, chunks[2]!.id, chunks[3]!.id, chunks[4]!.id]]);
    expect(early.sentBytes).toBe(400);
    for (const item of chunks.slice(0, 5)) expect(kept.has(item.id)).toBe(false);
    for (const item of chunks.slice(5)) expect(kept.has(item.id)).toBe(true);
  });

  it('stops quietly when the server fails, keeping every chunk for the upload step', async () => {
    const server = fakeServer({ failUploads: true });
    const kept = new KeptChunks(1 << 20, 1 << 16);
    const chunks = Array.from({ length: 6 }, () => chunk(100));
    keepAll(kept, chunks);
    const early = new EarlyUpload(server.client, 'library', kept, 200);
    for (const item of chunks) await early.offer([{ id: item.id, size: 100 }]);
    await early.finish();
    expect(early.sentBytes).toBe(0);
    for (const item of chunks) expect(kept.has(item.id)).toBe(true);
  });
});

describe('a round sending small files while it scans', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(() => harness.stop());

  /** Records, for each chunk upload request, the round's phase when it was made and the ids it sent. */
  function watching(): {
    wrap: (client: ServerClient) => ServerClient;
    onProgress: (progress: RoundProgress) => void;
    uploads: { phase: string; ids: ChunkId[] }[];
    asked: { phase: string; ids: readonly ChunkId[] }[];
  } {
    let phase = '';
    const uploads: { phase: string; ids: ChunkId[] }[] = [];
    const asked: { phase: string; ids: readonly ChunkId[] }[] = [];
    return {
      uploads,
      asked,
      onProgress: (progress) => {
        phase = progress.phase;
      },
      wrap: (client) =>
        new Proxy(client, {
          get(target, property, receiver) {
            const value = Reflect.get(target, property, receiver) as unknown;
            if (property === 'missingChunks' && typeof value === 'function') {
              return (libraryId: string, ids: readonly ChunkId[]) => {
                asked.push({ phase, ids });
                return (value as ServerClient['missingChunks']).call(target, libraryId, ids);
              };
            }
            if (property !== 'uploadChunks' || typeof value !== 'function') return value;
            return async (libraryId: string, frames: AsyncIterable<{ id: ChunkId; bytes: Uint8Array }> | Iterable<{ id: ChunkId; bytes: Uint8Array }>) => {
              const record = { phase, ids: [] as ChunkId[] };
              uploads.push(record);
              async function* seen() {
                for await (const frame of frames) {
                  record.ids.push(frame.id);
                  yield frame;
                }
              }
              return (value as ServerClient['uploadChunks']).call(target, libraryId, seen());
            };
          },
        }),
    };
  }

  it('uploads chunks during the scan, and the other device gets every file', async () => {
    const laptop = await harness.client('laptop', { libraryName: 'Early' });
    const desktop = await harness.client('desktop', { libraryName: 'Early' });
    const files = new Map<string, Buffer>();
    for (let index = 0; index < 800; index++) files.set(`d${index % 8}/f${index}.bin`, randomBytes(8 * 1024));
    for (const [name, bytes] of files) await laptop.write(name, bytes);
    const watch = watching();
    const [summary] = await laptop.engine.syncNow({ wrapClient: watch.wrap, onProgress: watch.onProgress });
    expect(summary!.outcome).toBe('synced');
    expect(summary!.uploadedFiles).toBe(800);
    expect(summary!.uploadedBytes).toBeGreaterThanOrEqual(800 * 8 * 1024);
    expect(watch.uploads.some((upload) => upload.phase === 'scanning' && upload.ids.length > 0)).toBe(true);
    // The upload step does not ask again about the chunks sent during the scan.
    const sentEarly = new Set(watch.uploads.filter((upload) => upload.phase === 'scanning').flatMap((upload) => upload.ids));
    const askedLater = watch.asked.filter((ask) => ask.phase !== 'scanning').flatMap((ask) => ask.ids);
    expect(askedLater.filter((id) => sentEarly.has(id))).toEqual([]);
    await desktop.sync();
    const tree = await desktop.tree();
    expect(Object.keys(tree).filter((name) => !name.endsWith('/')).length).toBe(800);
    for (const [name, bytes] of files) expect(tree[name]).toBe(bytes.toString('utf8'));
  }, 120_000);

  it('sends nothing while scanning a library with folders left out, and never what lies in them', async () => {
    const phone = await harness.client('phone', { libraryName: 'Partial', only: ['kept'] });
    const outside = new Set<ChunkId>();
    for (let index = 0; index < 300; index++) {
      const bytes = randomBytes(8 * 1024);
      outside.add(chunkIdOf(bytes));
      await phone.write(`left-out/f${index}.bin`, bytes);
    }
    for (let index = 0; index < 300; index++) await phone.write(`kept/f${index}.bin`, randomBytes(8 * 1024));
    const watch = watching();
    const [summary] = await phone.engine.syncNow({ wrapClient: watch.wrap, onProgress: watch.onProgress });
    expect(summary!.outcome).toBe('synced');
    expect(summary!.uploadedFiles).toBe(300);
    expect(watch.uploads.filter((upload) => upload.phase === 'scanning')).toEqual([]);
    for (const upload of watch.uploads) for (const id of upload.ids) expect(outside.has(id)).toBe(false);
  }, 120_000);
});
