// The embedded chunk store's own behaviour beyond the conformance suite: its pack files, chunks
// it holds already, loose chunks from before packs, temporary files, and crashes.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, open, readFile, rm, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { verifiedFrames } from '../../src-server/frameBody.js';
import { FsChunkStore, PACK_MAGIC } from '../../src-server/storage/fsChunkStore.js';
import { encodeFrames } from '../../shared/protocol/index.js';
import { filesBelow, storedCopies } from './chunkFiles.js';
import { makeChunk } from './testServer.js';

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

let root: string;
const opened: FsChunkStore[] = [];

async function openStore(): Promise<FsChunkStore> {
  const store = await FsChunkStore.open(root);
  opened.push(store);
  return store;
}

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'cairn-chunk-store-test-'));
});
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
  await rm(root, { recursive: true, force: true });
});

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('pack files', () => {
  it('writes a batch as one pack under its owner: the magic, then each chunk as a frame', async () => {
    const store = await openStore();
    const chunks = Array.from({ length: 20 }, (_, index) => makeChunk(`pack ${index}`, 100 + index * 50));
    await store.put('owner', chunks);
    const copies = await storedCopies(root);
    expect(copies.map((copy) => copy.id)).toEqual(chunks.map((chunk) => chunk.id));
    expect(new Set(copies.map((copy) => copy.file)).size).toBe(1);
    const file = copies[0]!.file;
    expect(path.relative(root, file)).toMatch(/^owner\/packs\/([0-9a-f]{2})\/\1[0-9a-f]{30}\.pack$/);
    const bytes = await readFile(file);
    expect(bytes.subarray(0, 8)).toEqual(Buffer.from(PACK_MAGIC));
    for (const [index, copy] of copies.entries()) expect(new Uint8Array(bytes.subarray(copy.offset, copy.offset + copy.size))).toEqual(chunks[index]!.bytes);
    expect((await filesBelow(root)).filter((name) => name.endsWith('.partial'))).toEqual([]);
  });

  it('writes only the chunks it lacks, and nothing when it holds them all', async () => {
    const store = await openStore();
    const first = Array.from({ length: 4 }, (_, index) => makeChunk(`first ${index}`));
    const second = Array.from({ length: 3 }, (_, index) => makeChunk(`second ${index}`));
    await store.put('owner', first);
    await store.put('owner', [...first, ...second, second[0]!]);
    await store.put('owner', [...second, ...first]);
    const copies = await storedCopies(root);
    expect(copies.map((copy) => copy.id)).toHaveLength(7);
    expect(new Set(copies.map((copy) => copy.id))).toEqual(new Set([...first, ...second].map((chunk) => chunk.id)));
    expect(new Set(copies.map((copy) => copy.file)).size).toBe(2);
  });

  it('keeps each owner in their own packs', async () => {
    const store = await openStore();
    const chunk = makeChunk('two owners');
    await store.put('alice', [chunk]);
    await store.put('bob', [chunk]);
    expect((await storedCopies(root)).map((copy) => copy.owner).sort()).toEqual(['alice', 'bob']);
  });

  it('reports a pack cut short as damage, not as a shorter chunk', async () => {
    const store = await openStore();
    const chunks = [makeChunk('whole', 5000), makeChunk('cut', 5000)];
    await store.put('owner', chunks);
    const [, cut] = await storedCopies(root);
    await truncate(cut!.file, cut!.offset + 100);
    expect(await store.get('owner', chunks[0]!.id)).toEqual(chunks[0]!.bytes);
    await expect(store.get('owner', chunks[1]!.id)).rejects.toThrow(/damaged/);
  });

  it.each([
    ['an owner id with a path separator', '../x', makeChunk('a').id],
    ['a chunk id that is not hex', 'owner', '../../../../etc/passwd'],
  ])('refuses to build a path from %s', async (_name, owner, id) => {
    const store = await openStore();
    await expect(store.get(owner, id)).rejects.toThrow(TypeError);
    await expect(store.has(owner, id)).rejects.toThrow(TypeError);
    await expect(store.put(owner, [{ id, bytes: new Uint8Array(1) }])).rejects.toThrow(TypeError);
  });
});

/** An upload body of these frames arriving in pieces of `pieceBytes`. */
function arriving(frames: readonly { id: string; bytes: Uint8Array }[], pieceBytes: number) {
  const body = encodeFrames(frames);
  return verifiedFrames(async (onPiece) => {
    for (let at = 0; at < body.length; at += pieceBytes) await onPiece(body.subarray(at, at + pieceBytes));
  }, 4 * 1024 * 1024);
}

describe('batches written while they arrive', () => {
  it('writes the body after the magic as one pack and indexes its chunks once all verified', async () => {
    const store = await openStore();
    const chunks = Array.from({ length: 12 }, (_, index) => makeChunk(`arriving ${index}`, 200_000 + index * 1000));
    const received = await store.ingest('owner', arriving([...chunks, chunks[0]!], 65_536));
    expect(received.map((chunk) => chunk.id)).toEqual([...chunks, chunks[0]!].map((chunk) => chunk.id));
    const copies = await storedCopies(root);
    expect(new Set(copies.map((copy) => copy.file)).size).toBe(1);
    const expected = Buffer.concat([PACK_MAGIC, encodeFrames([...chunks, chunks[0]!])]);
    expect((await readFile(copies[0]!.file)).equals(expected)).toBe(true);
    for (const chunk of chunks) expect(sha256((await store.get('owner', chunk.id))!)).toBe(chunk.id);
    expect((await filesBelow(root)).filter((name) => name.endsWith('.partial'))).toEqual([]);
  });

  it('stores nothing of a body with a bad frame, though its first megabytes were written already', async () => {
    const store = await openStore();
    const good = Array.from({ length: 8 }, (_, index) => makeChunk(`good ${index}`, 500_000));
    const bad = { id: makeChunk('claimed', 1000).id, bytes: makeChunk('sent', 1000).bytes };
    await expect(store.ingest('owner', arriving([...good, bad, makeChunk('after')], 65_536))).rejects.toMatchObject({ code: 'hash-mismatch' });
    for (const chunk of good) expect(await store.has('owner', chunk.id)).toBe(false);
    expect(await filesBelow(root).then((files) => files.filter((file) => file.endsWith('.pack') || file.endsWith('.partial')))).toEqual([]);
  });

  it('copies each piece as it arrives, so the buffer it came in may be reused at once', async () => {
    const store = await openStore();
    const chunks = Array.from({ length: 20 }, (_, index) => makeChunk(`reused ${index}`, 150_000 + index));
    const body = encodeFrames(chunks);
    const scratch = new Uint8Array(65_536);
    const received = await store.ingest(
      'owner',
      verifiedFrames(async (onPiece) => {
        for (let at = 0; at < body.length; at += scratch.length) {
          const piece = body.subarray(at, at + scratch.length);
          scratch.set(piece);
          await onPiece(scratch.subarray(0, piece.length));
          scratch.fill(0xee);
        }
      }, 4 * 1024 * 1024),
    );
    expect(received).toHaveLength(chunks.length);
    for (const chunk of chunks) expect(sha256((await store.get('owner', chunk.id))!)).toBe(chunk.id);
  });

  it('keeps no pack for a body of no frames', async () => {
    const store = await openStore();
    expect(await store.ingest('owner', arriving([], 1))).toEqual([]);
    expect(await filesBelow(root).then((files) => files.filter((file) => file.endsWith('.pack') || file.endsWith('.partial')))).toEqual([]);
  });
});

describe('flushing a large pack while it arrives', () => {
  /** Counts the fdatasyncs of file handles; `fail` makes them fail with that error. */
  async function spyOnDatasync(fail?: Error): Promise<{ readonly calls: () => number }> {
    const probe = await open(path.join(root, 'probe'), 'w');
    const prototype = Object.getPrototypeOf(probe) as FileHandle;
    await probe.close();
    const datasync = vi.spyOn(prototype, 'datasync');
    if (fail !== undefined) datasync.mockRejectedValue(fail);
    return { calls: () => datasync.mock.calls.length };
  }

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('starts flushing the written megabytes of a large upload to the disk before its end', async () => {
    const datasync = await spyOnDatasync();
    const store = await openStore();
    const chunks = Array.from({ length: 32 }, (_, index) => makeChunk(`large ${index}`, 128 * 1024));
    await store.ingest('owner', arriving(chunks, 65_536));
    expect(datasync.calls()).toBeGreaterThanOrEqual(1);
    for (const chunk of chunks) expect(sha256((await store.get('owner', chunk.id))!)).toBe(chunk.id);
  });

  it('leaves a small upload to the one fsync at its end', async () => {
    const datasync = await spyOnDatasync();
    const store = await openStore();
    await store.ingest('owner', arriving([makeChunk('small', 100_000)], 65_536));
    await store.put('owner', [makeChunk('small put', 200_000)]);
    expect(datasync.calls()).toBe(0);
  });

  it("stores nothing when an early flush fails, though the pack's last fsync might not report it", async () => {
    const failure = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
    await spyOnDatasync(failure);
    const store = await openStore();
    const chunks = Array.from({ length: 32 }, (_, index) => makeChunk(`failing ${index}`, 128 * 1024));
    await expect(store.ingest('owner', arriving(chunks, 65_536))).rejects.toBe(failure);
    for (const chunk of chunks) expect(await store.has('owner', chunk.id)).toBe(false);
    expect(await filesBelow(root).then((files) => files.filter((file) => file.endsWith('.pack') || file.endsWith('.partial')))).toEqual([]);
  });
});

describe('loose chunks from before packs', () => {
  /** Writes a chunk the way the store did before packs: one file at <owner>/<ab>/<cd>/<id>. */
  async function writeLoose(owner: string, chunk: { id: string; bytes: Uint8Array }): Promise<void> {
    const folder = path.join(root, owner, chunk.id.slice(0, 2), chunk.id.slice(2, 4));
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, chunk.id), chunk.bytes);
  }

  it('finds and reads them, and does not store them again', async () => {
    const old = makeChunk('old loose chunk', 3000);
    await writeLoose('owner', old);
    const store = await openStore();
    expect(await store.has('owner', old.id)).toBe(true);
    expect(await store.get('owner', old.id)).toEqual(old.bytes);
    const fresh = makeChunk('new next to loose');
    await store.put('owner', [old, fresh]);
    const copies = await storedCopies(root);
    expect(copies.map((copy) => [copy.id, copy.kind])).toEqual([
      [fresh.id, 'pack'],
      [old.id, 'loose'],
    ]);
    expect(await store.get('owner', fresh.id)).toEqual(fresh.bytes);
  });

  it('answers absent for a chunk in neither place', async () => {
    await writeLoose('owner', makeChunk('some loose chunk'));
    const store = await openStore();
    const absent = makeChunk('absent');
    expect(await store.has('owner', absent.id)).toBe(false);
    expect(await store.get('owner', absent.id)).toBeNull();
  });
});

describe('temporary files', () => {
  it('removes stale temporary files on open and keeps young ones, which may be another process at work', async () => {
    const temporary = path.join(root, '.temporary');
    await mkdir(temporary, { recursive: true });
    const stale = path.join(temporary, 'stale.pack.partial');
    const young = path.join(temporary, 'young.pack.partial');
    await writeFile(stale, 'half a pack');
    await writeFile(young, 'half a pack');
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(stale, twoHoursAgo, twoHoursAgo);
    await openStore();
    await expect(stat(stale)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await stat(young)).isFile()).toBe(true);
  });
});

describe('crashes', () => {
  interface WriterLog {
    readonly trying: string[];
    readonly stored: string[];
  }

  /** Runs the writer until it acknowledged `batches` puts, then kills it with SIGKILL. */
  async function killWriterAfter(batches: number): Promise<WriterLog> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/server/chunkStoreWriter.ts', root], { cwd: repositoryRoot });
    const log: WriterLog = { trying: [], stored: [] };
    let acknowledged = 0;
    let pending = '';
    let stderr = '';
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
    child.stdout.on('data', (data: Buffer) => {
      pending += data.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const message = JSON.parse(line) as { trying?: string[]; stored?: string[] };
        if (message.trying !== undefined) log.trying.push(...message.trying);
        if (message.stored !== undefined) {
          log.stored.push(...message.stored);
          // Killed while the next batch is being written, as soon as it is announced.
          if (++acknowledged === batches) child.kill('SIGKILL');
        }
      }
    });
    const signal = await exited;
    expect(signal, stderr).toBe('SIGKILL');
    return log;
  }

  // The writer stores its batches by put and by ingest in turn (chunkStoreWriter.ts).
  it('after a writer is killed mid-batch, every chunk it acknowledged is whole and every visible chunk is whole', async () => {
    const trying = new Set<string>();
    const stored = new Set<string>();
    for (const batches of [1, 3, 2]) {
      const log = await killWriterAfter(batches);
      for (const id of log.trying) trying.add(id);
      for (const id of log.stored) stored.add(id);
      const store = await openStore();
      for (const id of trying) {
        const visible = await store.has('writer', id);
        if (stored.has(id)) expect(visible, `acknowledged chunk ${id}`).toBe(true);
        if (visible) expect(sha256((await store.get('writer', id))!), `visible chunk ${id}`).toBe(id);
      }
      await store.close();
      opened.splice(opened.indexOf(store), 1);
    }
    // Whatever the kill interrupted is a temporary file or a pack the index does not name.
    const files = await filesBelow(root);
    expect(files.filter((file) => file.endsWith('.partial')).every((file) => path.dirname(file) === path.join(root, '.temporary'))).toBe(true);
  });
});
