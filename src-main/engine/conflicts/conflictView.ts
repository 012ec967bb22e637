// A recorded conflict as the contract's view (shared/api): what the conflict list shows.

import type { ConflictSideView, ConflictView } from '../../../shared/api/index.js';
import type { ConflictRecord, ConflictSide } from '../indexStore/index.js';
import { contentKindOf } from './contentKind.js';

function conflictSideView(side: ConflictSide): ConflictSideView {
  const author = { device: side.device, user: side.user };
  if (side.node === null) return { kind: 'deleted', ...author };
  if (side.node.kind === 'dir') return { kind: 'dir', ...author };
  return { kind: 'file', size: side.node.size, mtimeMs: side.mtimeMs, ...author };
}

export function conflictViewOf(conflict: ConflictRecord, libraryName: string): ConflictView {
  const sizes = [conflict.local.node, conflict.remote.node].map((node) => (node?.kind === 'file' ? node.size : 0));
  const bothFiles = conflict.local.node?.kind === 'file' && conflict.remote.node?.kind === 'file';
  return {
    conflictId: conflict.conflictId,
    libraryId: conflict.libraryId,
    libraryName,
    path: conflict.path,
    conflictPath: conflict.conflictPath,
    local: conflictSideView(conflict.local),
    remote: conflictSideView(conflict.remote),
    baseKnown: conflict.base !== null,
    contentKind: bothFiles ? contentKindOf(conflict.path, sizes) : null,
    createdAt: conflict.createdAt,
  };
}
