// Handlers of a library's conflicts: the open ones, reporting one, resolving one. Every change
// is announced to everyone who can see the library, so their clients list or clear it at once.

import type { LibraryConflict, Routes } from '../shared/protocol/index.js';
import { ApiError } from './apiError.js';
import type { Handler, ServerServices } from './router.js';
import type { LibraryConflictRecord } from './storage/metadataStore.js';

type ConflictHandlerName = 'listLibraryConflicts' | 'reportConflict' | 'resolveLibraryConflict';

function conflictOf(record: LibraryConflictRecord): LibraryConflict {
  return {
    id: record.id,
    path: record.path,
    conflictPath: record.conflictPath,
    remoteRev: record.remoteRev,
    baseRev: record.baseRev,
    device: record.device,
    userName: record.userName,
    createdAt: record.createdAt,
  };
}

/** Tells everyone who can see the library that its conflicts changed: their clients pull. */
async function announce(services: ServerServices, libraryId: string): Promise<void> {
  const members = await services.store.libraries.members(libraryId);
  services.notifier.publish({ kind: 'library', libraryId, userIds: members.map((member) => member.userId) });
}

export const conflictHandlers: { readonly [Name in ConflictHandlerName]: Handler<Routes[Name]> } = {
  async listLibraryConflicts({ services, library }) {
    return { conflicts: (await services.store.conflicts.open(library.id)).map(conflictOf) };
  },

  async reportConflict({ services, library, caller, body }) {
    const before = await services.store.conflicts.open(library.id);
    const record = await services.store.conflicts.report({
      libraryId: library.id,
      path: body.path,
      conflictPath: body.conflictPath,
      remoteRev: body.remoteRev,
      baseRev: body.baseRev,
      device: body.device,
      userName: caller.userName,
      createdAt: Date.now(),
    });
    if (!before.some((open) => open.id === record.id) && record.resolvedAt === null) await announce(services, library.id);
    return conflictOf(record);
  },

  async resolveLibraryConflict({ services, library, caller, params, body }) {
    const id = Number(params.conflictId);
    if (!Number.isSafeInteger(id) || id < 1) throw new ApiError('bad-request', 'a conflict id is a positive whole number');
    if (await services.store.conflicts.resolve(library.id, id, caller.userName, body.resolution, Date.now())) await announce(services, library.id);
    return { ok: true } as const;
  },
};
