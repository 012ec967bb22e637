// Sending and receiving changed chunks as patches of the chunks they replace (see
// shared/protocol/chunkPatches.ts), where the server announced it can. A small edit of a small
// file (one chunk) then costs about the edit on the wire instead of the whole file, and a small
// edit inside a large file costs about the edit instead of the one or two chunks around it.
// Every chunk is still verified by its id: the server checks what it rebuilds before storing
// it, the server client checks what it rebuilds before handing it on, and a base read from the
// disk is checked against its id before it is used. Anything that does not work out is sent
// or fetched whole, as before.

import type { ChunkId, ChunkRef } from '../../../shared/model.js';
import { patchFromSignature } from '../../../shared/node/chunkPatchSignatures.js';
import { CHUNK_PATCH_LIMITS, chunkEditsBetween } from '../../../shared/protocol/index.js';
import type { ServerClient } from '../remote/serverClient.js';
import { isRemoteError } from '../remote/remoteError.js';

/** Chunks smaller than this are sent whole: a patch would save little beside its requests' cost. */
export const MIN_PATCH_CHUNK_BYTES = 1024;
/** A patch is sent only when it is at most this part of the chunk (else the chunk goes whole, with no rebuilding on the server). */
const WORTH_IT = 0.9;

/** A new chunk and the chunk of the previous version it replaced. */
export interface BasePair {
  readonly chunk: ChunkRef;
  /** Where `chunk` starts in the new version. */
  readonly offset: number;
  readonly base: ChunkRef;
  /** Where `base` starts in the previous version. */
  readonly baseOffset: number;
}

/**
 * Pairs the chunks an edit brought into `next` with the chunks of `base` it took out, in order
 * (the i-th new chunk with the base chunk at the same relative place): with content-defined
 * chunking, an edit changes the chunk around it and sometimes the next one, and each new chunk
 * is mostly the base chunk at its place. When many more chunks came in than went out (an
 * insertion or an append of new data), only the first ones and the last one are paired: the
 * bytes of the chunks taken out can only be there, and the chunks in between are new data a
 * patch would not shorten. Chunks below MIN_PATCH_CHUNK_BYTES are left out.
 */
export function pairWithBases(base: readonly ChunkRef[], next: readonly ChunkRef[]): BasePair[] {
  const [edit] = chunkEditsBetween(base, next);
  if (edit === undefined || edit.remove === 0 || edit.insert.length === 0) return [];
  let baseOffset = 0;
  for (let i = 0; i < edit.at; i++) baseOffset += base[i]!.size;
  const removed: { chunk: ChunkRef; offset: number }[] = [];
  for (let i = 0; i < edit.remove; i++) {
    const chunk = base[edit.at + i]!;
    removed.push({ chunk, offset: baseOffset });
    baseOffset += chunk.size;
  }
  let offset = 0;
  for (let i = 0; i < edit.at; i++) offset += next[i]!.size;
  const pairs: BasePair[] = [];
  const grown = edit.insert.length > removed.length + 1;
  edit.insert.forEach((chunk, i) => {
    const last = i === edit.insert.length - 1;
    const partner = grown
      ? i < removed.length
        ? removed[i]
        : last
          ? removed[removed.length - 1]
          : undefined
      : removed[Math.min(removed.length - 1, Math.floor((i * removed.length) / edit.insert.length))];
    if (partner !== undefined && chunk.size >= MIN_PATCH_CHUNK_BYTES && partner.chunk.size >= MIN_PATCH_CHUNK_BYTES && partner.chunk.id !== chunk.id) {
      pairs.push({ chunk, offset, base: partner.chunk, baseOffset: partner.offset });
    }
    offset += chunk.size;
  });
  return pairs;
}

/** A chunk the server lacks, the base the server holds, and how to get the chunk's verified bytes. */
export interface PatchUpload {
  readonly id: ChunkId;
  readonly size: number;
  readonly baseId: ChunkId;
  readonly baseSize: number;
  /** The chunk's bytes, checked against its id; null when the file changed since its scan. */
  readonly read: () => Promise<Uint8Array | null> | Uint8Array | null;
}

/** Bytes of chunks tried as patches before the savings are judged (see PatchSavings). */
const JUDGE_AFTER_BYTES = 4 * 1024 * 1024;
/** Most chunk bytes in one group of uploads (so the savings are judged after a few groups). */
const GROUP_BYTES = 4 * 1024 * 1024;
/** Patches must save at least this part of the bytes tried to go on being tried. */
const MIN_SAVING = 0.1;

/**
 * Whether patches are worth trying on: a file rewritten whole (re-encoded, encrypted) pairs
 * every chunk with a base and saves nothing, and reading and searching those bases would only
 * cost time. Once JUDGE_AFTER_BYTES of chunks were tried, patches go on only while they saved
 * at least MIN_SAVING of the bytes tried.
 */
export class PatchSavings {
  private tried = 0;
  private saved = 0;

  /** A chunk of `size` bytes that cost `cost` bytes (patch and signature) instead. */
  add(size: number, cost: number): void {
    this.tried += size;
    this.saved += Math.max(0, size - cost);
  }

  get worthTrying(): boolean {
    return this.tried < JUDGE_AFTER_BYTES || this.saved >= this.tried * MIN_SAVING;
  }
}

/**
 * Uploads chunks as patches of their bases: asks the server for the bases' block signatures,
 * works out each patch, and sends those worth it, in requests within the server's limits (a
 * group of chunks at a time, stopping when patches stop paying: see PatchSavings). Returns the
 * chunks the server stored (verified) and the bytes sent and received; every other chunk is for
 * the caller to send whole. Never throws a RemoteError: a failure leaves the rest to the whole
 * upload.
 */
export async function uploadAsPatches(
  client: Pick<ServerClient, 'chunkSignatures' | 'uploadChunkPatches'>,
  libraryId: string,
  uploads: readonly PatchUpload[],
): Promise<{ stored: Set<ChunkId>; sent: number; received: number }> {
  const stored = new Set<ChunkId>();
  let sent = 0;
  let received = 0;
  const savings = new PatchSavings();
  const unique = [...new Map(uploads.map((upload) => [upload.id, upload])).values()];
  try {
    for (const group of groups(unique)) {
      if (!savings.worthTrying) break;
      const answer = await client.chunkSignatures(
        libraryId,
        group.map((upload) => ({ id: upload.baseId, size: upload.baseSize })),
      );
      received += answer.bytes;
      const signatureShare = answer.bytes / group.length;
      const batch: { id: ChunkId; baseId: ChunkId; patch: Uint8Array }[] = [];
      for (const upload of group) {
        const signature = answer.signatures.get(upload.baseId);
        if (signature === undefined) continue;
        const bytes = await upload.read();
        if (bytes === null) continue;
        const patch = patchFromSignature(signature, bytes);
        savings.add(bytes.length, patch.length + signatureShare);
        if (patch.length <= bytes.length * WORTH_IT) batch.push({ id: upload.id, baseId: upload.baseId, patch });
      }
      if (batch.length === 0) continue;
      const result = await client.uploadChunkPatches(libraryId, batch);
      sent += result.bytes;
      const rejected = new Set(result.rejected);
      for (const item of batch) if (!rejected.has(item.id)) stored.add(item.id);
    }
  } catch (error) {
    if (!isRemoteError(error)) throw error;
    // What was not stored goes whole.
  }
  return { stored, sent, received };
}

/**
 * Uploads in groups that one signatures request and one patch upload each take: at most
 * maxPairsPerRequest, their bases within maxReadBytesPerRequest, the chunks within GROUP_BYTES
 * (below maxRebuiltBytesPerUpload; a patch is at most a chunk long, so the upload body fits too).
 */
function groups(uploads: readonly PatchUpload[]): PatchUpload[][] {
  const result: PatchUpload[][] = [];
  let group: PatchUpload[] = [];
  let bases = 0;
  let chunks = 0;
  for (const upload of uploads) {
    if (
      group.length > 0 &&
      (group.length >= CHUNK_PATCH_LIMITS.maxPairsPerRequest ||
        bases + upload.baseSize > CHUNK_PATCH_LIMITS.maxReadBytesPerRequest ||
        chunks + upload.size > Math.min(GROUP_BYTES, CHUNK_PATCH_LIMITS.maxRebuiltBytesPerUpload))
    ) {
      result.push(group);
      group = [];
      bases = 0;
      chunks = 0;
    }
    group.push(upload);
    bases += upload.baseSize;
    chunks += upload.size;
  }
  if (group.length > 0) result.push(group);
  return result;
}
