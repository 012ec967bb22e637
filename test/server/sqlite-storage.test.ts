// The embedded backend (SQLite metadata + chunk folder) against the storage conformance suite,
// plus what is particular to it: its files on disk.

import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { dataPaths, openEmbeddedStores } from '../../src-server/server.js';
import { FsChunkStore } from '../../src-server/storage/fs-chunk-store.js';
import { decodeChunkList, encodeChunkList } from '../../src-server/storage/sqlite-metadata-store.js';
import { describeStorageConformance } from './storage-conformance.js';
import { makeChunk } from './test-server.js';

describeStorageConformance('SQLite + chunk folder', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cairn-storage-test-'));
  return {
    open: () => openEmbeddedStores(dataDir),
    destroy: () => rm(dataDir, { recursive: true, force: true }),
  };
});

describe('embedded backend files', () => {
  it('keeps the metadata database in WAL mode', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cairn-storage-test-'));
    try {
      const stores = await openEmbeddedStores(dataDir);
      await stores.metadata.close();
      const db = new Database(dataPaths(dataDir).metadata, { readonly: true });
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      db.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('shards chunk files by the first two bytes of their id and leaves no temporary files', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'cairn-chunks-test-'));
    try {
      const store = new FsChunkStore(root);
      const chunk = makeChunk('sharded');
      await store.put('owner', [chunk]);
      expect(await readdir(path.join(root, 'owner', chunk.id.slice(0, 2), chunk.id.slice(2, 4)))).toEqual([chunk.id]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it.each([
    ['an owner id with a path separator', '../x', makeChunk('a').id],
    ['a chunk id that is not hex', 'owner', '../../../../etc/passwd'],
  ])('refuses to build a path from %s', async (_name, owner, id) => {
    const store = new FsChunkStore(os.tmpdir());
    await expect(store.get(owner, id)).rejects.toThrow(TypeError);
  });

  it('encodes chunk lists as 36 bytes per chunk', () => {
    const chunks = [makeChunk('one', 5).ref, makeChunk('two', 70_000).ref];
    const encoded = encodeChunkList(chunks);
    expect(encoded.length).toBe(72);
    expect(decodeChunkList(encoded)).toEqual(chunks);
  });
});
