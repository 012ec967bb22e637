// cairn-server fsck: a full check of a backend, the same for every one (embedded or scale-out),
// through the store interfaces.
//
//   1. Every pack the chunk index names is read whole; each chunk the index locates in it must
//      sit behind its own frame header (same id, same length) and hash to its id. A pack that is
//      gone, cut short or altered makes its chunks damaged.
//   2. Every library's counters must agree (head = number of versions = greatest rev: the feed
//      has no gap), and every chunk it links or a version names must be located in the owner's
//      chunk store, unless already marked damaged (then it waits for an upload).
//
// With repair, every damaged or absent chunk is recorded as damaged (chunkDamage.ts): set aside
// in the chunk store and reported missing to every library of its owner, so the next client
// that has the bytes uploads them again. Nothing is ever deleted.

import type { ChunkId } from '../../shared/model.js';
import { chunkIdOf } from '../../shared/node/contentHash.js';
import { FRAME_HEADER_BYTES } from '../../shared/protocol/index.js';
import { recordDamagedChunk } from '../chunkDamage.js';
import type { StoredPack } from '../storage/chunkStore.js';
import type { Stores } from '../storage/stores.js';

export type FsckProblemKind =
  /** A chunk's stored copy is unreadable or wrong. */
  | 'damaged-chunk'
  /** A library links a chunk, or a version names one, that the owner's store does not hold. */
  | 'absent-chunk'
  /** A version names a chunk its library does not link. */
  | 'unlinked-chunk'
  /** A chunk already marked damaged, waiting for a client to upload it again. */
  | 'awaiting-upload'
  /** A pack's stored length differs from the index. */
  | 'pack-length'
  /** A library's head, version count and greatest rev disagree. */
  | 'feed-counter';

export interface FsckProblem {
  readonly kind: FsckProblemKind;
  readonly detail: string;
  readonly ownerId?: string;
  readonly libraryId?: string;
  readonly chunkId?: ChunkId;
  readonly pack?: string;
}

export interface FsckReport {
  readonly packs: number;
  readonly chunks: number;
  readonly bytes: number;
  readonly libraries: number;
  readonly problems: readonly FsckProblem[];
  /** Chunks recorded as damaged by this run (repair only). */
  readonly repaired: number;
}

/** The indexed chunks of a pack that its bytes do not hold intact, with the reason. */
export function checkPackBytes(pack: StoredPack, bytes: Uint8Array): { id: ChunkId; reason: string }[] {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad: { id: ChunkId; reason: string }[] = [];
  for (const chunk of pack.chunks) {
    const header = chunk.offset - FRAME_HEADER_BYTES;
    if (header < 0 || chunk.offset + chunk.size > view.length) {
      bad.push({ id: chunk.id, reason: `pack ${pack.key} ends before chunk ${chunk.id} does` });
    } else if (view.toString('hex', header, header + 32) !== chunk.id || view.readUInt32BE(header + 32) !== chunk.size) {
      bad.push({ id: chunk.id, reason: `the frame header before chunk ${chunk.id} in pack ${pack.key} does not match the index` });
    } else if (chunkIdOf(view.subarray(chunk.offset, chunk.offset + chunk.size)) !== chunk.id) {
      bad.push({ id: chunk.id, reason: `chunk ${chunk.id} in pack ${pack.key} does not hash to its id` });
    }
  }
  return bad;
}

export async function fsck(stores: Stores, options: { readonly repair: boolean }): Promise<FsckReport> {
  const problems: FsckProblem[] = [];
  /** Chunks intact in some pack, by owner. */
  const intact = new Map<string, Set<ChunkId>>();
  const damaged: { ownerId: string; id: ChunkId; reason: string }[] = [];
  let packs = 0;
  let chunks = 0;
  let bytes = 0;

  for await (const pack of stores.chunks.packs()) {
    packs += 1;
    const stored = await stores.chunks.readPack(pack);
    const owned = intact.get(pack.ownerId) ?? new Set<ChunkId>();
    intact.set(pack.ownerId, owned);
    const bad = stored === null ? pack.chunks.map((chunk) => ({ id: chunk.id, reason: `pack ${pack.key} is missing` })) : checkPackBytes(pack, stored);
    if (stored !== null) {
      bytes += stored.length;
      if (stored.length !== pack.bytes) {
        problems.push({ kind: 'pack-length', ownerId: pack.ownerId, pack: pack.key, detail: `pack ${pack.key} has ${stored.length} bytes, the index says ${pack.bytes}` });
      }
    }
    const badIds = new Set(bad.map((item) => item.id));
    for (const chunk of pack.chunks) {
      chunks += 1;
      if (!badIds.has(chunk.id)) owned.add(chunk.id);
    }
    for (const item of bad) {
      damaged.push({ ownerId: pack.ownerId, ...item });
      problems.push({ kind: 'damaged-chunk', ownerId: pack.ownerId, chunkId: item.id, pack: pack.key, detail: item.reason });
    }
  }

  const absent = new Map<string, Set<ChunkId>>();
  const damagedIds = new Set(damaged.map((item) => `${item.ownerId}/${item.id}`));
  let libraries = 0;
  for await (const library of stores.metadata.audit()) {
    libraries += 1;
    if (library.headSeq !== library.versionCount || library.headSeq !== library.maxRev) {
      problems.push({
        kind: 'feed-counter',
        libraryId: library.libraryId,
        detail: `library ${library.libraryId} has head ${library.headSeq}, ${library.versionCount} versions and greatest rev ${library.maxRev}`,
      });
    }
    const owned = intact.get(library.ownerId) ?? new Set<ChunkId>();
    const linked = new Set(library.linked);
    const waiting = new Set(library.damaged);
    for (const id of waiting) {
      problems.push({ kind: 'awaiting-upload', libraryId: library.libraryId, ownerId: library.ownerId, chunkId: id, detail: `chunk ${id} is marked damaged and waits for a client to upload it again` });
    }
    for (const id of library.referenced) {
      if (!linked.has(id) && !waiting.has(id)) {
        problems.push({ kind: 'unlinked-chunk', libraryId: library.libraryId, chunkId: id, detail: `a version of library ${library.libraryId} names chunk ${id}, which the library does not link` });
      }
    }
    for (const id of new Set([...library.linked, ...library.referenced])) {
      if (waiting.has(id) || owned.has(id) || damagedIds.has(`${library.ownerId}/${id}`)) continue;
      // Not in any pack: a loose chunk from before packs, or absent.
      if (await stores.chunks.has(library.ownerId, id)) continue;
      const missing = absent.get(library.ownerId) ?? new Set<ChunkId>();
      absent.set(library.ownerId, missing);
      missing.add(id);
      problems.push({ kind: 'absent-chunk', libraryId: library.libraryId, ownerId: library.ownerId, chunkId: id, detail: `library ${library.libraryId} needs chunk ${id}, which its owner's chunk store does not hold` });
    }
  }

  let repaired = 0;
  if (options.repair) {
    const toRecord = new Map<string, { ownerId: string; id: ChunkId; reason: string }>();
    for (const item of damaged) toRecord.set(`${item.ownerId}/${item.id}`, item);
    for (const [ownerId, ids] of absent) for (const id of ids) toRecord.set(`${ownerId}/${id}`, { ownerId, id, reason: 'absent from the chunk store (fsck)' });
    for (const item of toRecord.values()) {
      await recordDamagedChunk(stores.metadata, stores.chunks, item.ownerId, item.id, item.reason);
      repaired += 1;
    }
  }
  return { packs, chunks, bytes, libraries, problems, repaired };
}
