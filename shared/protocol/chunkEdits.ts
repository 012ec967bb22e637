// Chunk-list deltas: splices that turn one chunk list into another. A commit's put may carry
// them instead of the whole list (client to server), and the change feed and the commit answer
// may carry them too (server to client, when the client asks: see CHUNK_DELTAS_HEADER), so a
// small edit of a large file costs a few chunk refs each way instead of thousands.

import { z } from 'zod';
import type { ChunkRef } from '../model.js';
import { chunkRefSchema, revisionSchema } from './common.js';

/** Most splices in one put's chunkEdits, and most chunk refs they insert together. */
export const CHUNK_EDIT_LIMITS = {
  maxEditsPerPut: 1_000,
  maxInsertedChunksPerPut: 100_000,
  /** Most chunk refs the server rebuilds from deltas in one commit (bounds its memory). */
  maxResolvedChunksPerCommit: 1_000_000,
} as const;

/**
 * One splice of a chunk list: remove `remove` refs starting at index `at`, then insert
 * `insert` there. Splices apply in order, each to the result of the previous one.
 */
export const chunkEditSchema = z.strictObject({
  at: z.int().min(0),
  remove: z.int().min(0),
  insert: z.array(chunkRefSchema).max(CHUNK_EDIT_LIMITS.maxInsertedChunksPerPut),
});
export type ChunkEdit = z.output<typeof chunkEditSchema>;

/**
 * A request header by which a client says it understands `chunkDelta` in entries of the change
 * feed and of the commit answer. A server that does not know it ignores it and sends whole
 * lists; a client that does not send it always gets whole lists.
 */
export const CHUNK_DELTAS_HEADER = 'x-cairn-chunk-deltas';

/**
 * In an entry of the change feed or of a commit answer, instead of the whole chunk list (the
 * entry's `chunks` is then `[]`): the splices turning the chunk list of version `baseRev` of
 * the same path into this version's. The client rebuilds the list from its own copy of that
 * version, and checks the result against the entry's size and contentHash like any list.
 */
export const chunkDeltaSchema = z.object({
  baseRev: revisionSchema,
  edits: z
    .array(z.object({ at: z.int().min(0), remove: z.int().min(0), insert: z.array(chunkRefSchema).max(CHUNK_EDIT_LIMITS.maxInsertedChunksPerPut) }))
    .max(CHUNK_EDIT_LIMITS.maxEditsPerPut),
});
export type ChunkDelta = z.output<typeof chunkDeltaSchema>;

/** Splices that cannot apply to the list they name: out of order, overlapping or past its end. */
export class ChunkEditError extends Error {
  override readonly name = 'ChunkEditError';
}

/**
 * Applies splices to a chunk list in one pass. Splices must come in list order without
 * overlapping (each starts at or after the end of what the previous one inserted); one outside
 * the list, or out of order, throws ChunkEditError (its message starts with `where`).
 */
export function applyChunkEdits(base: readonly ChunkRef[], edits: readonly ChunkEdit[], where: string): ChunkRef[] {
  const chunks: ChunkRef[] = [];
  let cursor = 0; // next index of `base` not yet copied
  let shift = 0; // the edited list's length minus the base's, so far
  let earliest = 0; // smallest `at` the next splice may have
  edits.forEach((edit, index) => {
    const baseAt = edit.at - shift;
    if (edit.at < earliest) {
      throw new ChunkEditError(`${where}.chunkEdits.${index}: splices must be in list order and not overlap (at ${edit.at} < ${earliest})`);
    }
    if (baseAt + edit.remove > base.length) {
      throw new ChunkEditError(
        `${where}.chunkEdits.${index}: removing ${edit.remove} chunks at ${edit.at} reaches past the end of the list (${base.length + shift} chunks)`,
      );
    }
    for (let i = cursor; i < baseAt; i += 1) chunks.push(base[i] as ChunkRef);
    for (const chunk of edit.insert) chunks.push(chunk);
    cursor = baseAt + edit.remove;
    shift += edit.insert.length - edit.remove;
    earliest = edit.at + edit.insert.length;
  });
  for (let i = cursor; i < base.length; i += 1) chunks.push(base[i] as ChunkRef);
  return chunks;
}

/**
 * The splices turning `base` into `next`: the common prefix and suffix stay, the middle is
 * replaced. One splice is what an edit in place produces with content-defined chunking (only
 * the chunks around the edit change); none when the lists are equal.
 */
export function chunkEditsBetween(base: readonly ChunkRef[], next: readonly ChunkRef[]): ChunkEdit[] {
  const same = (a: ChunkRef | undefined, b: ChunkRef | undefined) => a !== undefined && b !== undefined && a.id === b.id && a.size === b.size;
  let prefix = 0;
  while (prefix < base.length && prefix < next.length && same(base[prefix], next[prefix])) prefix += 1;
  let suffix = 0;
  const room = Math.min(base.length, next.length) - prefix;
  while (suffix < room && same(base[base.length - 1 - suffix], next[next.length - 1 - suffix])) suffix += 1;
  if (prefix === base.length && prefix === next.length) return [];
  return [{ at: prefix, remove: base.length - prefix - suffix, insert: next.slice(prefix, next.length - suffix) }];
}

/** How many refs the splices carry (each splice counted as one besides what it inserts). */
export function chunkEditsWeight(edits: readonly ChunkEdit[]): number {
  return edits.reduce((sum, edit) => sum + edit.insert.length + 1, 0);
}
