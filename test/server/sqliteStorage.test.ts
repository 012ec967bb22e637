// The embedded backend (SQLite metadata + chunk folder) against the storage conformance suite,
// plus what is particular to its metadata files (the chunk files: fsChunkStore.test.ts).

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { dataPaths, openEmbeddedStores } from '../../src-server/server.js';
import { decodeChunkList, encodeChunkList } from '../../src-server/storage/storeRows.js';
import { describeStorageConformance } from './storageConformance.js';
import { makeChunk } from './testServer.js';

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
      await stores.chunks.close();
      const db = new Database(dataPaths(dataDir).metadata, { readonly: true });
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      db.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('encodes chunk lists as 36 bytes per chunk', () => {
    const chunks = [makeChunk('one', 5).ref, makeChunk('two', 70_000).ref];
    const encoded = encodeChunkList(chunks);
    expect(encoded.length).toBe(72);
    expect(decodeChunkList(encoded)).toEqual(chunks);
  });
});
