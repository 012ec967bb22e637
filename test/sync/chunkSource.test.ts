// ChunkSource: chunks of planned downloads that a local file already holds are read from it,
// through a few readers kept open; files written at once share them. Groups requested ahead
// keep their chunks in two arenas used in turn.

import fs from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { chunkBytes, chunkIdOf, HashingThread } from '../../src-main/engine/chunker/index.js';
import type { ServerClient } from '../../src-main/engine/remote/serverClient.js';
import { ChunkSource } from '../../src-main/engine/sync/chunkSource.js';
import { RUN_PIECE_BYTES } from '../../src-main/engine/sync/localRuns.js';
import type { LocalEntry } from '../../src-main/engine/syncModel.js';
import { DEFAULT_CHUNKING } from '../../shared/model.js';
import { parseLibraryPath } from '../../shared/paths.js';
import { SMALL_CHUNKING } from './harness.js';

let folder = '';
/** The scanned local entry of a file of `size` bytes at `name` holding `chunks`. */
const localFileOf = (name: string, size: number, chunks: LocalEntry['chunks']): LocalEntry => ({
  path: parseLibraryPath(name),
  node: { kind: 'file', size, contentHash: 'x', executable: false } as never,
  mtimeMs: 0,
  inode: 0,
  statSize: size,
  chunks,
});
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
    const local = localFileOf('source.bin', bytes.length, chunks);
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

  it('keeps the chunks of requested groups in two arenas used in turn, not in the buffers they arrived in', async () => {
    const contents = new Map<string, Uint8Array>();
    const chunk = (seed: number, size = 3000): { id: string; size: number } => {
      const bytes = new Uint8Array(size).map((_, i) => (i * 31 + seed * 7) & 0xff);
      const id = chunkIdOf(bytes);
      contents.set(id, bytes);
      return { id, size };
    };
    /** Every buffer the fake server handed over, by chunk id. */
    const delivered = new Map<string, Uint8Array>();
    const client = {
      chunkPatches: false,
      downloadChunks: async (_library: string, ids: readonly string[], onChunk: (frame: { id: string; bytes: Uint8Array }) => void) => {
        for (const id of ids) {
          const bytes = new Uint8Array(contents.get(id)!);
          delivered.set(id, bytes);
          onChunk({ id, bytes });
        }
        return ids.length;
      },
    } as unknown as ServerClient;
    const groups = [[chunk(1), chunk(2)], [chunk(3)], [chunk(4), chunk(5)], [chunk(6, 600_000)]];
    const source = new ChunkSource(client, 'lib', os.tmpdir(), [], groups);
    const readGroup = async (index: number): Promise<Uint8Array[]> => {
      const requested = source.request(groups[index]!);
      await requested.settled;
      source.use(requested);
      const pieces: Uint8Array[] = [];
      for await (const piece of source.read(groups[index]!, false, parseLibraryPath(`file ${index}`))) pieces.push(piece);
      pieces.forEach((piece, i) => expect(piece).toEqual(contents.get(groups[index]![i]!.id)));
      return pieces;
    };
    const [first, second, third, large] = [await readGroup(0), await readGroup(1), await readGroup(2), await readGroup(3)];
    // Copied out of what arrived, into one block each group.
    expect(first[0]!.buffer).not.toBe(delivered.get(groups[0]![0]!.id)!.buffer);
    expect(first[1]!.buffer).toBe(first[0]!.buffer);
    expect(second[0]!.buffer).not.toBe(first[0]!.buffer);
    // The third group takes the first group's arena again.
    expect(third[0]!.buffer).toBe(first[0]!.buffer);
    // A chunk larger than a quarter of a block is kept as it came.
    expect(large[0]).toBe(delivered.get(groups[3]![0]!.id));
    await source.close();
  });

  it('lets the group arenas go once no group follows, and the views it handed out keep their bytes', async () => {
    const contents = new Map<string, Uint8Array>();
    const chunk = (seed: number): { id: string; size: number } => {
      const bytes = new Uint8Array(5000).map((_, i) => (i * 13 + seed * 5) & 0xff);
      const id = chunkIdOf(bytes);
      contents.set(id, bytes);
      return { id, size: bytes.length };
    };
    const client = {
      chunkPatches: false,
      downloadChunks: async (_library: string, ids: readonly string[], onChunk: (frame: { id: string; bytes: Uint8Array }) => void) => {
        for (const id of ids) onChunk({ id, bytes: new Uint8Array(contents.get(id)!) });
        return ids.length;
      },
    } as unknown as ServerClient;
    const groups = [[chunk(1), chunk(2)], [chunk(3)]];
    const source = new ChunkSource(client, 'lib', os.tmpdir(), [], groups);
    const pieces: Uint8Array[] = [];
    for (const [index, group] of groups.entries()) {
      const requested = source.request(group);
      await requested.settled;
      source.use(requested);
      for await (const piece of source.read(group, false, parseLibraryPath(`file ${index}`))) pieces.push(piece);
    }
    expect(source.arenaBytes).toBeGreaterThan(0);
    source.endGroups();
    expect(source.arenaBytes).toBe(0);
    pieces.forEach((piece, i) => expect(piece).toEqual(contents.get(groups.flat()[i]!.id)));
    // A group requested after that gets fresh memory, which never overwrites the earlier views.
    const later = [chunk(4)];
    const requested = source.request(later);
    await requested.settled;
    source.use(requested);
    for await (const piece of source.read(later, false, parseLibraryPath('file later'))) expect(piece).toEqual(contents.get(later[0]!.id));
    pieces.forEach((piece, i) => expect(piece).toEqual(contents.get(groups.flat()[i]!.id)));
    await source.close();
  });

  it("reads a requested group's chunks straight into its arena, without a buffer of their own", async () => {
    const contents = new Map<string, Uint8Array>();
    const chunk = (seed: number, size = 5000): { id: string; size: number } => {
      const bytes = new Uint8Array(size).map((_, i) => (i * 13 + seed * 11) & 0xff);
      const id = chunkIdOf(bytes);
      contents.set(id, bytes);
      return { id, size };
    };
    /** The buffers the decoder was given to read each chunk into. */
    const readInto = new Map<string, Uint8Array>();
    const client = {
      chunkPatches: false,
      downloadChunks: async (_library: string, ids: readonly string[], onChunk: (frame: { id: string; bytes: Uint8Array }) => void, allocate?: (length: number) => Uint8Array) => {
        for (const id of ids) {
          const bytes = allocate === undefined ? new Uint8Array(contents.get(id)!.length) : allocate(contents.get(id)!.length);
          bytes.set(contents.get(id)!);
          readInto.set(id, bytes);
          onChunk({ id, bytes });
        }
        return ids.length;
      },
    } as unknown as ServerClient;
    const groups = [[chunk(1), chunk(2), chunk(3)], [chunk(4)], [chunk(5), chunk(6, 400_000)]];
    const source = new ChunkSource(client, 'lib', os.tmpdir(), [], groups);
    const pieces: Uint8Array[][] = [];
    for (const [index, group] of groups.entries()) {
      const requested = source.request(group);
      await requested.settled;
      source.use(requested);
      const read: Uint8Array[] = [];
      for await (const piece of source.read(group, false, parseLibraryPath(`file ${index}`))) read.push(piece);
      read.forEach((piece, i) => expect(piece).toEqual(contents.get(group[i]!.id)));
      pieces.push(read);
    }
    // What was read is the very memory the chunk was read into: one block of the first arena.
    expect(pieces[0]![0]).toBe(readInto.get(groups[0]![0]!.id));
    expect(pieces[0]![1]!.buffer).toBe(pieces[0]![0]!.buffer);
    expect(pieces[1]![0]!.buffer).not.toBe(pieces[0]![0]!.buffer);
    expect(pieces[2]![0]!.buffer).toBe(pieces[0]![0]!.buffer);
    // A chunk larger than a quarter of a block got a buffer of its own.
    expect(pieces[2]![1]!.buffer).not.toBe(pieces[0]![0]!.buffer);
    expect(pieces[2]![1]!.byteLength).toBe(400_000);
    await source.close();
  });

  describe('a long run of chunks a local file holds in order (a large file rebuilt from its old version)', () => {
    /** A 10 MiB local file, its chunks, and the chunks of its next version: one new chunk in front of them all. */
    const setUp = async (): Promise<{ bytes: Uint8Array; local: LocalEntry; wanted: { id: string; size: number }[]; added: Uint8Array }> => {
      folder = await mkdtemp(path.join(os.tmpdir(), 'cairn-chunk-source-'));
      const bytes = new Uint8Array(10 * 1024 * 1024);
      let seed = 1;
      for (let i = 0; i < bytes.length; i++) bytes[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
      await writeFile(path.join(folder, 'big.bin'), bytes);
      const chunks = chunkBytes(bytes, DEFAULT_CHUNKING).map(({ id, size }) => ({ id, size }));
      const local = localFileOf('big.bin', bytes.length, chunks);
      const added = new Uint8Array(1000).fill(7);
      return { bytes, local, wanted: [{ id: chunkIdOf(added), size: added.length }, ...chunks], added };
    };
    const serverOf = (contents: Map<string, Uint8Array>, asked: string[]): ServerClient =>
      ({
        chunkPatches: false,
        downloadChunks: async (_library: string, ids: readonly string[], onChunk: (frame: { id: string; bytes: Uint8Array }) => void) => {
          for (const id of ids) {
            asked.push(id);
            onChunk({ id, bytes: new Uint8Array(contents.get(id)!) });
          }
          return ids.length;
        },
      }) as unknown as ServerClient;

    /** Reads big.bin's new version whole, as a writer does: each piece copied, then given back. */
    const readWhole = async (source: ChunkSource, wanted: readonly { id: string; size: number }[]): Promise<Uint8Array[]> => {
      const pieces: Uint8Array[] = [];
      for await (const piece of source.read(wanted, true, parseLibraryPath('big.bin'))) {
        pieces.push(new Uint8Array(piece));
        source.release(piece);
      }
      return pieces;
    };

    it('reads it in pieces of whole chunks, each chunk hashed on the hashing thread, and takes the pieces back once written', async () => {
      const { bytes, local, wanted, added } = await setUp();
      const asked: string[] = [];
      const start = vi.spyOn(HashingThread.prototype, 'start');
      const source = new ChunkSource(serverOf(new Map([[wanted[0]!.id, added]]), asked), 'lib', folder, [local], [wanted]);
      // Started as the download is set up, before the run is read: its load is off the run's path.
      expect(start).toHaveBeenCalledTimes(1);
      const reads = vi.spyOn(source.localRuns, 'read');
      const pieces = await readWhole(source, wanted);
      expect(chunkIdOf(Buffer.concat(pieces))).toBe(chunkIdOf(Buffer.concat([added, bytes])));
      expect(asked).toEqual([wanted[0]!.id]);
      // One run of every old chunk, in pieces of whole chunks up to RUN_PIECE_BYTES (not one
      // read per chunk), every chunk checked against its id off this thread.
      expect(reads).toHaveBeenCalledTimes(1);
      expect(source.localRuns.readPieces).toBeGreaterThanOrEqual(Math.ceil(bytes.length / RUN_PIECE_BYTES));
      expect(source.localRuns.readPieces).toBeLessThanOrEqual(Math.ceil(bytes.length / (RUN_PIECE_BYTES - DEFAULT_CHUNKING.maxSize)));
      expect(source.localRuns.readPieces).toBeLessThan(local.chunks.length);
      expect(source.localRuns.givenChunks).toBe(local.chunks.length);
      expect(pieces.length).toBe(1 + source.localRuns.readPieces);
      expect(source.localRuns.heldPieces).toBe(0);
      expect(source.reusedBytes).toBe(bytes.length);
      await source.close();
    });

    it('stops at a chunk the local file no longer holds and takes it and the rest of the run from the server', async () => {
      const { bytes, local, wanted, added } = await setUp();
      // The file changed since its chunks were listed: same size, other bytes at 6 MiB.
      const handle = await fs.promises.open(path.join(folder, 'big.bin'), 'r+');
      await handle.write(new Uint8Array(16).fill(0xee), 0, 16, 6 * 1024 * 1024);
      await handle.close();
      const contents = new Map<string, Uint8Array>([[wanted[0]!.id, added]]);
      let offset = 0;
      for (const chunk of local.chunks) {
        contents.set(chunk.id, bytes.subarray(offset, offset + chunk.size));
        offset += chunk.size;
      }
      const asked: string[] = [];
      const source = new ChunkSource(serverOf(contents, asked), 'lib', folder, [local], [wanted]);
      const pieces = await readWhole(source, wanted);
      // The file written is the version listed, not the changed local bytes.
      expect(chunkIdOf(Buffer.concat(pieces))).toBe(chunkIdOf(Buffer.concat([added, bytes])));
      // The chunks before the changed one came from the disk, the changed one and every later one from the server.
      let before = 0;
      let at = 0;
      while (at + local.chunks[before]!.size <= 6 * 1024 * 1024) at += local.chunks[before++]!.size;
      expect(source.localRuns.givenChunks).toBe(before);
      expect(new Set(asked)).toEqual(new Set([wanted[0]!.id, ...local.chunks.slice(before).map((chunk) => chunk.id)]));
      expect(source.reusedBytes).toBe(at);
      expect(source.localRuns.heldPieces).toBe(0);
      await source.close();
    });

    it('hashes the chunks on this thread if the hashing thread fails, still taking nothing from the server', async () => {
      const { bytes, local, wanted, added } = await setUp();
      vi.spyOn(HashingThread.prototype, 'hash').mockRejectedValue(new Error('thread gone'));
      const asked: string[] = [];
      const source = new ChunkSource(serverOf(new Map([[wanted[0]!.id, added]]), asked), 'lib', folder, [local], [wanted]);
      const pieces = await readWhole(source, wanted);
      expect(chunkIdOf(Buffer.concat(pieces))).toBe(chunkIdOf(Buffer.concat([added, bytes])));
      expect(asked).toEqual([wanted[0]!.id]);
      expect(source.localRuns.givenChunks).toBe(local.chunks.length);
      await source.close();
    });

    it('starts no hashing thread for downloads without a run (small files copied from local ones)', async () => {
      const { local } = await setUp();
      const start = vi.spyOn(HashingThread.prototype, 'start');
      // Each a few chunks of the local file: together more than a run, but none alone.
      const copies = [local.chunks.slice(0, 4), local.chunks.slice(4, 8), local.chunks.slice(8, 12), local.chunks.slice(12, 16)];
      const source = new ChunkSource(serverOf(new Map(), []), 'lib', folder, [local], copies);
      expect(start).not.toHaveBeenCalled();
      await source.close();
    });

    it('gives its buffers back when the writer stops mid-way', async () => {
      const { local, wanted, added } = await setUp();
      const source = new ChunkSource(serverOf(new Map([[wanted[0]!.id, added]]), []), 'lib', folder, [local], [wanted]);
      let seen = 0;
      for await (const piece of source.read(wanted, true, parseLibraryPath('big.bin'))) {
        source.release(piece);
        if (++seen === 2) break;
      }
      expect(source.localRuns.heldPieces).toBe(0);
      await source.close();
    });
  });
});

