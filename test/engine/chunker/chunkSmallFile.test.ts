// chunkSmallFileSync: a small file read whole with synchronous calls gives exactly what
// chunkFile gives, with the same checks and the same errors.

import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChunkFileError, chunkFile } from '../../../src-main/engine/chunker/index.js';
import { SMALL_FILE_BYTES, chunkSmallFileSync } from '../../../src-main/engine/chunker/chunkSmallFile.js';
import type { ChunkingParams } from '../../../shared/model.js';

const PARAMS: ChunkingParams = { algorithm: 'fastcdc', minSize: 2048, avgSize: 8192, maxSize: 32768 };

describe('chunkSmallFileSync', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'cairn-small-file-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each([0, 1, 5000, 100_000, SMALL_FILE_BYTES])('gives what chunkFile gives, with the bytes, for %i bytes', async (size) => {
    const file = path.join(dir, `f${size}`);
    const bytes = randomBytes(size);
    await writeFile(file, bytes);
    const streamed = await chunkFile(file, PARAMS);
    const small = chunkSmallFileSync(file, PARAMS);
    expect(small).not.toBeNull();
    const { bytes: read, ...rest } = small!;
    expect(rest).toEqual(streamed);
    expect(Buffer.from(read).equals(bytes)).toBe(true);
    if (size > PARAMS.maxSize) expect(rest.chunks.length).toBeGreaterThan(1);
  });

  it('reads nothing of a file larger than a small one', async () => {
    const file = path.join(dir, 'large');
    await writeFile(file, randomBytes(SMALL_FILE_BYTES + 1));
    expect(chunkSmallFileSync(file, PARAMS)).toBeNull();
  });

  it('refuses a folder and a missing path with the errors chunkFile gives', async () => {
    const folder = path.join(dir, 'folder');
    await mkdir(folder);
    expect(() => chunkSmallFileSync(folder, PARAMS)).toThrow(ChunkFileError);
    for (const target of [folder, path.join(dir, 'missing')]) {
      const streamed = await chunkFile(target, PARAMS).then(() => null, (error: ChunkFileError) => error);
      let small: ChunkFileError | null = null;
      try {
        chunkSmallFileSync(target, PARAMS);
      } catch (error) {
        small = error as ChunkFileError;
      }
      expect(small?.problem).toBe(streamed?.problem);
      expect(small?.code).toBe(streamed?.code);
    }
  });
});
