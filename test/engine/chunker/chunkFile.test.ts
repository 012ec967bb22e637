// Chunking real files in a temporary folder: results, stat checks, and per-file trouble as
// typed errors.

import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  actionFor,
  ChunkFileError,
  chunkBytes,
  chunkFile,
  contentHashOf,
  FileChangedWhileReading,
  HashingThread,
  openChunkReader,
  readChunk,
  SequentialChunkReads,
  unhashedChunkReads,
} from '../../../src-main/engine/chunker/index.js';
import type { ChunkFileProblem } from '../../../src-main/engine/chunker/index.js';
import { toChunkFileError } from '../../../src-main/engine/chunker/chunkFileError.js';
import { DEFAULT_CHUNKING } from '../../../shared/model.js';
import type { ChunkingParams } from '../../../shared/model.js';
import { seededBytes } from './seededBytes.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const SMALL_RABIN: ChunkingParams = { algorithm: 'rabin', minSize: 4 * KiB, avgSize: 16 * KiB, maxSize: 64 * KiB };
const emptySha256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

let folder = '';
beforeAll(() => {
  folder = mkdtempSync(path.join(tmpdir(), 'cairn-chunker-'));
});
afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

function writeFile(name: string, bytes: Uint8Array): string {
  const filePath = path.join(folder, name);
  writeFileSync(filePath, bytes);
  return filePath;
}

/** Byte equality without vitest's element-by-element diffing, which is slow on megabytes. */
function sameBytes(left: Uint8Array, right: Uint8Array): boolean {
  return Buffer.from(left.buffer, left.byteOffset, left.length).equals(right);
}

async function problemOf(promise: Promise<unknown>): Promise<ChunkFileError> {
  const error: unknown = await promise.then(
    () => undefined,
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(ChunkFileError);
  return error as ChunkFileError;
}

describe('chunkFile', () => {
  const files = [
    { name: 'empty', length: 0, params: DEFAULT_CHUNKING, readSize: undefined },
    { name: 'one byte', length: 1, params: DEFAULT_CHUNKING, readSize: undefined },
    { name: 'smaller than minSize', length: 20 * KiB, params: DEFAULT_CHUNKING, readSize: undefined },
    { name: 'exactly maxSize', length: 512 * KiB, params: DEFAULT_CHUNKING, readSize: undefined },
    { name: '9 MiB and 3 bytes', length: 9 * MiB + 3, params: DEFAULT_CHUNKING, readSize: undefined },
    { name: '3 MiB read 10,000 bytes at a time', length: 3 * MiB, params: DEFAULT_CHUNKING, readSize: 10_000 },
    { name: '3 MiB with rabin', length: 3 * MiB, params: SMALL_RABIN, readSize: undefined },
  ];

  it.each(files)('chunks a file: $name', async ({ name, length, params, readSize }) => {
    const bytes = seededBytes(length, 71);
    const filePath = writeFile(`${name}.bin`, bytes);
    const result = await chunkFile(filePath, params, readSize === undefined ? {} : { readSize });
    const expected = chunkBytes(bytes, params);
    expect(result.chunks).toEqual(expected);
    expect(result.size).toBe(length);
    expect(result.contentHash).toBe(contentHashOf(expected));
    const stat = statSync(filePath);
    expect(result.stat).toEqual({ size: length, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs, inode: stat.ino });
    expect(result.bytes).toBeUndefined();
  });

  it('gives an empty file no chunks and the SHA-256 of zero bytes', async () => {
    const result = await chunkFile(writeFile('empty-hash.bin', new Uint8Array(0)), DEFAULT_CHUNKING);
    expect(result.chunks).toEqual([]);
    expect(result.contentHash).toBe(emptySha256);
  });

  it('keeps the bytes of a file up to keepBytesUpTo, and only then', async () => {
    const bytes = seededBytes(700 * KiB, 72);
    const filePath = writeFile('kept.bin', bytes);
    const kept = await chunkFile(filePath, DEFAULT_CHUNKING, { keepBytesUpTo: bytes.length, readSize: 64 * KiB });
    expect(kept.bytes !== undefined && sameBytes(kept.bytes, bytes)).toBe(true);
    const notKept = await chunkFile(filePath, DEFAULT_CHUNKING, { keepBytesUpTo: bytes.length - 1 });
    expect(notKept.bytes).toBeUndefined();
  });

  it('throws FileChangedWhileReading when the file grows during the read', async () => {
    const filePath = writeFile('growing.bin', seededBytes(4 * MiB, 73));
    let appended = false;
    const reading = chunkFile(filePath, DEFAULT_CHUNKING, {
      readSize: 256 * KiB,
      onChunk: () => {
        if (!appended) appendFileSync(filePath, 'more');
        appended = true;
      },
    });
    const error = await problemOf(reading);
    expect(error).toBeInstanceOf(FileChangedWhileReading);
    expect(error.problem).toBe('changed-while-reading');
    expect(error.action).toBe('retry-later');
  });

  it('throws FileChangedWhileReading when the file is rewritten in place during the read', async () => {
    const filePath = writeFile('rewritten.bin', seededBytes(2 * MiB, 74));
    // File times tick coarsely (a few milliseconds on Linux); an hour-old file makes sure the
    // rewrite moves them, as it would for any file that was not written a moment ago.
    const anHourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(filePath, anHourAgo, anHourAgo);
    const before = statSync(filePath);
    let rewritten = false;
    const reading = chunkFile(filePath, DEFAULT_CHUNKING, {
      readSize: 256 * KiB,
      onChunk: () => {
        if (rewritten) return;
        rewritten = true;
        // Same size, same inode, different bytes: only the times can tell.
        writeFileSync(filePath, seededBytes(2 * MiB, 75));
      },
    });
    const error = await problemOf(reading);
    expect(error).toBeInstanceOf(FileChangedWhileReading);
    expect(statSync(filePath).ino).toBe(before.ino);
  });

  it('throws FileChangedWhileReading when the path is replaced during the read', async () => {
    const filePath = writeFile('replaced.bin', seededBytes(2 * MiB, 76));
    const replacement = writeFile('replacement.bin', seededBytes(2 * MiB, 76));
    let replaced = false;
    const reading = chunkFile(filePath, DEFAULT_CHUNKING, {
      readSize: 256 * KiB,
      onChunk: () => {
        if (!replaced) renameSync(replacement, filePath);
        replaced = true;
      },
    });
    const error = await problemOf(reading);
    expect(error).toBeInstanceOf(FileChangedWhileReading);
    expect(error.message).toContain('replaced');
  });

  it('reports a missing file as not-found', async () => {
    const error = await problemOf(chunkFile(path.join(folder, 'no such file'), DEFAULT_CHUNKING));
    expect(error.problem).toBe('not-found');
    expect(error.code).toBe('ENOENT');
    expect(error.action).toBe('rescan');
  });

  it('reports a folder as not-a-regular-file', async () => {
    const subfolder = path.join(folder, 'a folder');
    mkdirSync(subfolder);
    const error = await problemOf(chunkFile(subfolder, DEFAULT_CHUNKING));
    expect(error.problem).toBe('not-a-regular-file');
    expect(error.code).toBe('EISDIR');
  });

  it.skipIf(process.platform === 'win32')('reports a FIFO as not-a-regular-file without waiting for a writer', async () => {
    const fifo = path.join(folder, 'a fifo');
    execFileSync('mkfifo', [fifo]);
    const error = await problemOf(chunkFile(fifo, DEFAULT_CHUNKING));
    expect(error.problem).toBe('not-a-regular-file');
    expect(error.code).toBe('EINVAL');
  });

  // Root reads every file whatever its mode, so this needs an ordinary user.
  it.skipIf(process.platform === 'win32' || process.getuid?.() === 0)('reports an unreadable file as access-denied', async () => {
    const filePath = writeFile('unreadable.bin', seededBytes(KiB, 77));
    chmodSync(filePath, 0o000);
    const error = await problemOf(chunkFile(filePath, DEFAULT_CHUNKING));
    expect(error.problem).toBe('access-denied');
    expect(error.action).toBe('needs-user');
  });
});

describe('chunkFile with a HashingThread', () => {
  const hashingThread = new HashingThread();
  afterAll(async () => {
    await hashingThread.close();
  });

  // Small blocks make the ring wrap often, so chunks straddle its end; sizes around block and
  // ring multiples check the edges of the read loop.
  const cases = [
    { name: 'exactly 2 MiB, default blocks', length: 2 * MiB, params: DEFAULT_CHUNKING, readSize: undefined },
    { name: '9 MiB and 3 bytes, default blocks', length: 9 * MiB + 3, params: DEFAULT_CHUNKING, readSize: undefined },
    { name: '6 MiB, 64 KiB blocks', length: 6 * MiB, params: DEFAULT_CHUNKING, readSize: 64 * KiB },
    { name: '5 MiB less a byte, 10,000-byte blocks', length: 5 * MiB - 1, params: DEFAULT_CHUNKING, readSize: 10_000 },
    { name: '3 MiB with rabin, 64 KiB blocks', length: 3 * MiB, params: SMALL_RABIN, readSize: 64 * KiB },
    { name: 'zeros, 4 MiB (every chunk at maxSize)', length: 4 * MiB, params: DEFAULT_CHUNKING, readSize: 256 * KiB, zeros: true },
  ];

  it.each(cases)('gives the chunks of chunkBytes: $name', async ({ name, length, params, readSize, zeros }) => {
    const bytes = zeros === true ? new Uint8Array(length) : seededBytes(length, 81);
    const filePath = writeFile(`hashing thread ${name}.bin`, bytes);
    const result = await chunkFile(filePath, params, { hashingThread, ...(readSize === undefined ? {} : { readSize }) });
    expect(result.chunks).toEqual(chunkBytes(bytes, params));
    expect(result.size).toBe(length);
  });

  it('reuses one ring for file after file, and chunks each right', async () => {
    const files = [81, 82, 83].map((seed) => {
      const bytes = seededBytes(3 * MiB + seed, seed);
      return { bytes, filePath: writeFile(`ring reuse ${seed}.bin`, bytes) };
    });
    const Original = globalThis.SharedArrayBuffer;
    let rings = 0;
    globalThis.SharedArrayBuffer = class extends Original {
      constructor(length?: number) {
        super(length);
        rings += 1;
      }
    } as SharedArrayBufferConstructor;
    try {
      for (const { bytes, filePath } of files) {
        expect((await chunkFile(filePath, DEFAULT_CHUNKING, { hashingThread })).chunks).toEqual(chunkBytes(bytes, DEFAULT_CHUNKING));
      }
      // A file that fails midway keeps its ring; the next file gets a fresh one and is right.
      const failing = writeFile('ring reuse failing.bin', seededBytes(4 * MiB, 86));
      const growing = chunkFile(failing, DEFAULT_CHUNKING, { hashingThread, readSize: 64 * KiB });
      appendFileSync(failing, seededBytes(1, 87));
      await growing.catch(() => undefined);
      const { bytes, filePath } = files[0]!;
      expect((await chunkFile(filePath, DEFAULT_CHUNKING, { hashingThread })).chunks).toEqual(chunkBytes(bytes, DEFAULT_CHUNKING));
    } finally {
      globalThis.SharedArrayBuffer = Original;
    }
    // Three files, one ring (a ring per file held hundreds of MiB in a scan of large files);
    // the 64 KiB-block file needs a ring of another size, and so does the one after it.
    expect(rings).toBe(3);
  });
});

describe('chunkFile read buffers', () => {
  it('reuses the read buffers of files of at least the read size, file after file', async () => {
    const files = [91, 92, 93, 94].map((seed) => {
      const bytes = seededBytes(2 * MiB + seed * 1000, seed);
      return { bytes, filePath: writeFile(`read buffers ${seed}.bin`, bytes) };
    });
    // Chunks that lie inside one read are passed to onChunk as views of the read buffer.
    const readBuffers = new Set<ArrayBufferLike>();
    const results = [];
    for (const { filePath } of files) {
      results.push(await chunkFile(filePath, DEFAULT_CHUNKING, { onChunk: (_chunk, bytes) => void (bytes.buffer.byteLength === MiB && readBuffers.add(bytes.buffer)) }));
    }
    for (const [index, { bytes }] of files.entries()) expect(results[index]!.chunks).toEqual(chunkBytes(bytes, DEFAULT_CHUNKING));
    // At most the first file's pair is new (another test may have left spares behind); a pair
    // per file made the allocator hold tens of MiB of freed buffers in a scan.
    expect(readBuffers.size).toBeGreaterThan(0);
    expect(readBuffers.size).toBeLessThanOrEqual(2);
  });
});

describe('operating-system errors map to per-file problems', () => {
  const cases: { code: string; problem: ChunkFileProblem }[] = [
    { code: 'EACCES', problem: 'access-denied' },
    { code: 'EPERM', problem: 'access-denied' },
    { code: 'ENOENT', problem: 'not-found' },
    { code: 'ENOTDIR', problem: 'not-found' },
    { code: 'EBUSY', problem: 'busy' },
    { code: 'EMFILE', problem: 'busy' },
    { code: 'EISDIR', problem: 'not-a-regular-file' },
    { code: 'EIO', problem: 'read-failed' },
  ];

  it.each(cases)('$code is $problem', ({ code, problem }) => {
    const systemError = Object.assign(new Error(`${code}: something, open '/x'`), { code });
    const mapped = toChunkFileError(systemError, '/x');
    expect(mapped).toBeInstanceOf(ChunkFileError);
    expect((mapped as ChunkFileError).problem).toBe(problem);
    expect((mapped as ChunkFileError).action).toBe(actionFor(problem));
    // Callers that sort errors by their OS code, as they do Node's own, still can.
    expect((mapped as ChunkFileError).code).toBe(code);
  });

  it('leaves errors without a system code alone: they are bugs', () => {
    const bug = new TypeError('undefined is not a function');
    expect(toChunkFileError(bug, '/x')).toBe(bug);
  });
});

describe('readChunk', () => {
  it('re-reads chunks and checks them against their ids', async () => {
    const bytes = seededBytes(3 * MiB, 78);
    const filePath = writeFile('reread.bin', bytes);
    const { chunks } = await chunkFile(filePath, DEFAULT_CHUNKING);
    for (const chunk of [chunks[0]!, chunks[chunks.length - 1]!]) {
      const reread = await readChunk(filePath, chunk);
      expect(sameBytes(reread, bytes.subarray(chunk.offset, chunk.offset + chunk.size))).toBe(true);
    }
  });

  it.each([
    { name: 'changed bytes', change: (filePath: string) => writeFileSync(filePath, seededBytes(3 * MiB, 80)) },
    { name: 'a truncated file', change: (filePath: string) => writeFileSync(filePath, seededBytes(KiB, 79)) },
  ])('throws FileChangedWhileReading after $name', async ({ name, change }) => {
    const filePath = writeFile(`reread ${name}.bin`, seededBytes(3 * MiB, 79));
    const { chunks } = await chunkFile(filePath, DEFAULT_CHUNKING);
    change(filePath);
    const error = await problemOf(readChunk(filePath, chunks[1]!));
    expect(error).toBeInstanceOf(FileChangedWhileReading);
  });

  it('reads every chunk of a file through one openChunkReader', async () => {
    const bytes = seededBytes(5 * MiB, 83);
    const filePath = writeFile('reader.bin', bytes);
    const { chunks } = await chunkFile(filePath, DEFAULT_CHUNKING);
    const reader = await openChunkReader(filePath);
    try {
      for (const chunk of [...chunks].reverse()) {
        const reread = await reader.read(chunk);
        expect(sameBytes(reread, bytes.subarray(chunk.offset, chunk.offset + chunk.size))).toBe(true);
      }
      const wrongPlace = { ...chunks[1]!, offset: chunks[1]!.offset + 1 };
      expect(await problemOf(reader.read(wrongPlace))).toBeInstanceOf(FileChangedWhileReading);
    } finally {
      await reader.close();
    }
    await expect(reader.read(chunks[0]!)).rejects.toThrow(/closed/);
    await reader.close();
  });

  it('reads chunks of one file after another through SequentialChunkReads, going on after a failed file', async () => {
    const first = seededBytes(2 * MiB, 84);
    const second = seededBytes(2 * MiB, 85);
    const firstPath = writeFile('sequence 1.bin', first);
    const secondPath = writeFile('sequence 2.bin', second);
    const firstChunks = (await chunkFile(firstPath, DEFAULT_CHUNKING)).chunks;
    const secondChunks = (await chunkFile(secondPath, DEFAULT_CHUNKING)).chunks;
    const reads = new SequentialChunkReads();
    try {
      for (const [filePath, bytes, chunks] of [[firstPath, first, firstChunks], [secondPath, second, secondChunks], [firstPath, first, firstChunks]] as const) {
        for (const chunk of chunks) expect(sameBytes(await reads.read(filePath, chunk), bytes.subarray(chunk.offset, chunk.offset + chunk.size))).toBe(true);
      }
      expect((await problemOf(reads.read(path.join(folder, 'gone.bin'), firstChunks[0]!))).problem).toBe('not-found');
      const wrongPlace = { ...secondChunks[1]!, offset: secondChunks[1]!.offset + 1 };
      expect(await problemOf(reads.read(secondPath, wrongPlace))).toBeInstanceOf(FileChangedWhileReading);
      expect(sameBytes(await reads.read(secondPath, secondChunks[0]!), second.subarray(0, secondChunks[0]!.size))).toBe(true);
    } finally {
      await reads.close();
    }
    await reads.close();
  });

  it('reads into one reused buffer with reuseBuffer, each read checked', async () => {
    const bytes = seededBytes(3 * MiB, 88);
    const filePath = writeFile('reuse buffer.bin', bytes);
    const chunks = (await chunkFile(filePath, DEFAULT_CHUNKING)).chunks;
    const reads = new SequentialChunkReads({ reuseBuffer: true });
    const buffers = new Set<ArrayBufferLike>();
    try {
      for (const chunk of chunks) {
        const read = await reads.read(filePath, chunk);
        expect(sameBytes(read, bytes.subarray(chunk.offset, chunk.offset + chunk.size))).toBe(true);
        buffers.add(read.buffer);
      }
      const wrongPlace = { ...chunks[1]!, offset: chunks[1]!.offset + 1 };
      expect(await problemOf(reads.read(filePath, wrongPlace))).toBeInstanceOf(FileChangedWhileReading);
    } finally {
      await reads.close();
    }
    expect(chunks.length).toBeGreaterThan(3);
    // Chunks of the default sizes all fit the first buffer.
    expect(buffers.size).toBe(1);
  });

  it('reads a file whose stat is the scanned one without hashing, and says when it was written to meanwhile', async () => {
    const bytes = seededBytes(2 * MiB, 89);
    const filePath = writeFile('scanned stat.bin', bytes);
    const chunks = (await chunkFile(filePath, DEFAULT_CHUNKING)).chunks;
    const stat = statSync(filePath);
    const scanned = { size: stat.size, mtimeMs: stat.mtimeMs, inode: stat.ino };
    const reads = new SequentialChunkReads({ reuseBuffer: true });
    try {
      const before = unhashedChunkReads.count;
      for (const chunk of chunks) {
        expect(sameBytes(await reads.read(filePath, chunk, scanned), bytes.subarray(chunk.offset, chunk.offset + chunk.size))).toBe(true);
      }
      expect(unhashedChunkReads.count - before).toBe(chunks.length);
      expect(await reads.unchangedSinceOpened()).toBe(true);
      // Not hashed: a chunk at the wrong place is read as it lies; the server would refuse it.
      const wrongPlace = { ...chunks[1]!, offset: chunks[1]!.offset + 1 };
      expect((await reads.read(filePath, wrongPlace, scanned)).length).toBe(wrongPlace.size);
      // A write while the file is open moves its change time.
      await new Promise((resolve) => setTimeout(resolve, 20));
      const handle = await open(filePath, 'r+');
      await handle.write(new Uint8Array([1, 2, 3]), 0, 3, 100);
      await handle.close();
      expect(await reads.unchangedSinceOpened()).toBe(false);
    } finally {
      await reads.close();
    }
  });

  it('hashes the reads of a file whose stat is not the scanned one', async () => {
    const bytes = seededBytes(2 * MiB, 90);
    const filePath = writeFile('other stat.bin', bytes);
    const chunks = (await chunkFile(filePath, DEFAULT_CHUNKING)).chunks;
    const stat = statSync(filePath);
    // Rewritten in place after the scan, its modification time moved on.
    const changed = Uint8Array.from(bytes);
    changed[chunks[0]!.size + 10] = changed[chunks[0]!.size + 10]! ^ 0xff;
    writeFileSync(filePath, changed);
    utimesSync(filePath, stat.atime, new Date(stat.mtimeMs + 5000));
    const reads = new SequentialChunkReads({ reuseBuffer: true });
    try {
      const before = unhashedChunkReads.count;
      const scanned = { size: stat.size, mtimeMs: stat.mtimeMs, inode: stat.ino };
      expect(sameBytes(await reads.read(filePath, chunks[0]!, scanned), bytes.subarray(0, chunks[0]!.size))).toBe(true);
      expect(await problemOf(reads.read(filePath, chunks[1]!, scanned))).toBeInstanceOf(FileChangedWhileReading);
      expect(unhashedChunkReads.count).toBe(before);
      expect(await reads.unchangedSinceOpened()).toBe(true);
    } finally {
      await reads.close();
    }
  });

  it('reports a missing file as not-found', async () => {
    const error = await problemOf(readChunk(path.join(folder, 'gone.bin'), { offset: 0, size: 1, id: emptySha256 }));
    expect(error.problem).toBe('not-found');
  });
});

describe('chunkFile reads', () => {
  it.each([
    { name: 'a small file', size: 5000, reads: 1 },
    { name: 'an empty file', size: 0, reads: 1 },
    { name: 'a file of two read sizes and a bit', size: 2 * 65536 + 7, reads: 3 },
  ])('$name: one read call per read size, none to hear the end after a short read', async ({ size, reads }) => {
    const file = path.join(folder, `reads-${size}.bin`);
    writeFileSync(file, seededBytes(size, 99));
    const probe = await (await import('node:fs/promises')).open(file, 'r');
    const prototype = Object.getPrototypeOf(probe) as { read: (...args: unknown[]) => Promise<unknown> };
    await probe.close();
    const original = prototype.read;
    let calls = 0;
    prototype.read = function (this: unknown, ...args: unknown[]) {
      calls += 1;
      return original.apply(this, args);
    };
    try {
      const chunked = await chunkFile(file, DEFAULT_CHUNKING, { readSize: 65536 });
      expect(chunked.size).toBe(size);
      expect(chunked.contentHash).toBe(contentHashOf(chunkBytes(seededBytes(size, 99), DEFAULT_CHUNKING)));
    } finally {
      prototype.read = original;
    }
    expect(calls).toBe(reads);
  });
});
