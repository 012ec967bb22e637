// ChunkSource: chunks of planned downloads that a local file already holds are read from it,
// through a few readers kept open; files written at once share them.

import fs from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { chunkBytes } from '../../src-main/engine/chunker/index.js';
import type { ServerClient } from '../../src-main/engine/remote/serverClient.js';
import { ChunkSource } from '../../src-main/engine/sync/chunkSource.js';
import type { LocalEntry } from '../../src-main/engine/syncModel.js';
import { parseLibraryPath } from '../../shared/paths.js';
import { SMALL_CHUNKING } from './harness.js';

let folder = '';
afterEach(async () => {
  vi.restoreAllMocks();
  syncBuiltinESMExports();
  if (folder !== '') await rm(folder, { recursive: true, force: true });
});

describe('ChunkSource', () => {
  it('opens a local source file once for files read from it at the same time, and closes it', async () => {
    folder = await mkdtemp(path.join(os.tmpdir(), 'cairn-chunk-source-'));
    const bytes = new Uint8Array(200_000).map((_, i) => (i * 2654435761) >>> 24);
    await writeFile(path.join(folder, 'source.bin'), bytes);
    const chunks = chunkBytes(bytes, SMALL_CHUNKING).map(({ id, size }) => ({ id, size }));
    expect(chunks.length).toBeGreaterThan(4);
    const local: LocalEntry = {
      path: parseLibraryPath('source.bin'),
      node: { kind: 'file', size: bytes.length, contentHash: 'x', executable: false } as never,
      mtimeMs: 0,
      inode: 0,
      statSize: bytes.length,
      chunks,
    };
    const copies = [chunks.slice(0, 3), chunks.slice(1, 4), chunks.slice(2, 5)];
    // No chunk may come from the server: every one is on this disk.
    const client = { downloadChunks: () => Promise.reject(new Error('not expected')) } as unknown as ServerClient;
    const source = new ChunkSource(client, 'lib', folder, [local], copies);

    const opened: { handle: fs.promises.FileHandle; closed: boolean }[] = [];
    const open = fs.promises.open;
    vi.spyOn(fs.promises, 'open').mockImplementation((async (...args: Parameters<typeof open>) => {
      const handle = await open(...args);
      const record = { handle, closed: false };
      opened.push(record);
      const close = handle.close.bind(handle);
      handle.close = async () => {
        record.closed = true;
        return close();
      };
      return handle;
    }) as typeof open);
    syncBuiltinESMExports();

    const read = async (list: (typeof copies)[number], name: string): Promise<number> => {
      let total = 0;
      for await (const piece of source.read(list, false, parseLibraryPath(name))) total += piece.length;
      return total;
    };
    const sizes = await Promise.all(copies.map((list, i) => read(list, `copy ${i}.bin`)));
    expect(sizes).toEqual(copies.map((list) => list.reduce((sum, chunk) => sum + chunk.size, 0)));
    await source.close();
    // Before, each of the three opened its own reader and two were left to the garbage collector.
    expect(opened).toHaveLength(1);
    expect(opened.every((record) => record.closed)).toBe(true);
  });
});
