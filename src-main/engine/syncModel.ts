// The engine's model of one library: three observations per path (Dropbox's Nucleus).
//
//   remote - the server's latest state, as far as the change feed has been read
//   local  - what the last scan of the disk saw
//   synced - the last state both sides agreed on: the merge base
//
// A path is in sync when all three are equal (by `sameContent`). The planner is a pure
// function of the three; the index persists them; nothing else decides what to do.

import type { ChunkRef, ContentHash } from '../../shared/model.js';
import type { LibraryPath } from '../../shared/paths.js';

export type { ChunkId, ChunkRef, ContentHash, ChunkingParams } from '../../shared/model.js';

export interface FileNode {
  readonly kind: 'file';
  readonly contentHash: ContentHash;
  readonly size: number;
  /** True when the owner-executable bit is set. The only mode bit Cairn syncs. */
  readonly executable: boolean;
}

export interface DirNode {
  readonly kind: 'dir';
}

/** What exists at a path on one side. Absence is `undefined`, never a special node. */
export type Node = FileNode | DirNode;

/** The server's view of a path: the node plus the revision the server gave it. */
export interface RemoteEntry {
  readonly path: LibraryPath;
  readonly node: Node;
  /** The revision (library sequence number) of this version; the base for our next commit. */
  readonly rev: number;
  /** Modification time in ms since the epoch, as committed by the writer. */
  readonly mtimeMs: number;
  /** The file's chunks (files only; empty for an empty file and for folders). */
  readonly chunks: readonly ChunkRef[];
}

/** What a scan of the disk saw at a path, with the stat facts used to skip re-hashing. */
export interface LocalEntry {
  readonly path: LibraryPath;
  readonly node: Node;
  readonly mtimeMs: number;
  readonly inode: number;
  /** Size in bytes as stat saw it (0 for folders). */
  readonly statSize: number;
  readonly chunks: readonly ChunkRef[];
}

/** The merge base: the node both sides last agreed on, and the revision it had on the server. */
export interface SyncedEntry {
  readonly path: LibraryPath;
  readonly node: Node;
  readonly rev: number;
  /** The inode the file had locally when it was last synced; used to detect local moves. */
  readonly inode: number;
  readonly mtimeMs: number;
}

/** True when two nodes (either may be absent) denote the same content. */
export function sameContent(a: Node | undefined, b: Node | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.kind !== b.kind) return false;
  if (a.kind === 'dir') return true;
  const fileB = b as FileNode;
  return a.contentHash === fileB.contentHash && a.size === fileB.size && a.executable === fileB.executable;
}
