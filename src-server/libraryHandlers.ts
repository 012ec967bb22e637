// Handlers of libraries and their members.

import { DEFAULT_CHUNKING } from '../shared/model.js';
import { userNameSchema } from '../shared/protocol/index.js';
import type { Library, Routes } from '../shared/protocol/index.js';
import { ApiError } from './apiError.js';
import { newId } from './ids.js';
import { StatusResult } from './router.js';
import type { Handler, ServerServices } from './router.js';
import { NameTakenError } from './storage/metadataStore.js';
import type { LibraryAccess, MemberRecord, UserRecord } from './storage/metadataStore.js';

export function toLibrary(library: LibraryAccess): Library {
  return {
    id: library.id,
    name: library.name,
    ownerId: library.ownerId,
    owner: library.ownerName,
    role: library.role,
    chunking: library.chunking,
    headSeq: library.headSeq,
    createdAt: library.createdAt,
    deletedAt: library.deletedAt,
    sizeBytes: library.liveBytes,
  };
}

function toMembers(members: readonly MemberRecord[]) {
  return { members: members.map((member) => ({ userId: member.userId, user: member.userName, role: member.role })) };
}

/** Runs a store call that may hit a name clash, answering `conflict` for it. */
async function withNameCheck<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof NameTakenError) throw new ApiError('conflict', `${error.message}; choose another name`);
    throw error;
  }
}

/** Re-reads a library the caller just changed. */
async function reload(services: ServerServices, libraryId: string, userId: string): Promise<LibraryAccess> {
  const library = await services.store.libraries.accessFor(libraryId, userId);
  if (library === null) throw new Error(`library ${libraryId} vanished while being changed`);
  return library;
}

/** Tells everyone who can see the library (and `also`) that it changed. */
async function announce(services: ServerServices, libraryId: string, also: readonly string[] = []): Promise<void> {
  const members = await services.store.libraries.members(libraryId);
  const userIds = new Set([...members.map((member) => member.userId), ...also]);
  services.notifier.publish({ kind: 'library', libraryId, userIds: [...userIds] });
}

async function memberUser(services: ServerServices, rawName: string): Promise<UserRecord> {
  const name = userNameSchema.safeParse(rawName);
  if (!name.success) throw new ApiError('bad-request', `not a valid user name: ${JSON.stringify(rawName)}`);
  const user = await services.store.users.byName(name.data);
  if (user === null || user.removedAt !== null) throw new ApiError('not-found', `no user named ${name.data}`);
  return user;
}

type LibraryHandlerName =
  | 'listLibraries'
  | 'createLibrary'
  | 'listTrashedLibraries'
  | 'getLibrary'
  | 'renameLibrary'
  | 'deleteLibrary'
  | 'restoreLibrary'
  | 'listMembers'
  | 'setMember'
  | 'removeMember';

export const libraryHandlers: { readonly [Name in LibraryHandlerName]: Handler<Routes[Name]> } = {
  async listLibraries({ services, caller }) {
    const libraries = (await services.store.libraries.listFor(caller.userId, 'live')).map(toLibrary);
    return { libraries, storage: await services.store.users.usage(caller.userId) };
  },

  async createLibrary({ services, caller, body, now }) {
    const id = newId();
    const chunking = body.chunking ?? DEFAULT_CHUNKING;
    await withNameCheck(() => services.store.libraries.create({ id, name: body.name, ownerId: caller.userId, chunking, createdAt: now }));
    services.notifier.publish({ kind: 'library', libraryId: id, userIds: [caller.userId] });
    return new StatusResult(201, toLibrary(await reload(services, id, caller.userId)));
  },

  async listTrashedLibraries({ services, caller }) {
    return { libraries: (await services.store.libraries.listFor(caller.userId, 'trashed')).map(toLibrary) };
  },

  async getLibrary({ services, library }) {
    // Every round asks this first: the count lets a client skip its conflicts request when none is open.
    return { ...toLibrary(library), openConflicts: (await services.store.conflicts.open(library.id)).length };
  },

  async renameLibrary({ services, caller, library, body }) {
    await withNameCheck(() => services.store.libraries.rename(library.id, body.name));
    await announce(services, library.id);
    return toLibrary(await reload(services, library.id, caller.userId));
  },

  async deleteLibrary({ services, caller, library, now }) {
    await services.store.libraries.setDeletedAt(library.id, now);
    await announce(services, library.id);
    return toLibrary(await reload(services, library.id, caller.userId));
  },

  async restoreLibrary({ services, caller, library }) {
    await withNameCheck(() => services.store.libraries.setDeletedAt(library.id, null));
    await announce(services, library.id);
    return toLibrary(await reload(services, library.id, caller.userId));
  },

  async listMembers({ services, library }) {
    return toMembers(await services.store.libraries.members(library.id));
  },

  async setMember({ services, library, params, body }) {
    const user = await memberUser(services, params.userName);
    if (user.id === library.ownerId) throw new ApiError('bad-request', 'the owner already has full access to the library');
    await services.store.libraries.setMember(library.id, user.id, body.role);
    await announce(services, library.id);
    return toMembers(await services.store.libraries.members(library.id));
  },

  async removeMember({ services, caller, library, params }) {
    const user = await memberUser(services, params.userName);
    if (library.role !== 'owner' && user.id !== caller.userId) {
      throw new ApiError('forbidden', 'only the owner can remove other members; you may remove yourself');
    }
    if (user.id === library.ownerId) throw new ApiError('bad-request', 'the owner cannot be removed; delete the library instead');
    if (!(await services.store.libraries.removeMember(library.id, user.id))) {
      throw new ApiError('not-found', `${user.name} is not a member of this library`);
    }
    // The removed user is told too: they just lost the library.
    await announce(services, library.id, [user.id]);
    return toMembers(await services.store.libraries.members(library.id));
  },
};
