// Administration of user accounts, shared by the command line and by tests.

import { USER_NAME_PATTERN } from '../shared/protocol/index.js';
import { newId } from './ids.js';
import { hashPassword } from './passwordHash.js';
import type { ScryptCost } from './passwordHash.js';
import { openEmbeddedStores } from './server.js';
import type { MetadataStore, UserRecord } from './storage/metadataStore.js';

export const MIN_PASSWORD_LENGTH = 8;

/** A mistake an admin can fix (bad name, short password, unknown user). */
export class AdminError extends Error {
  override readonly name = 'AdminError';
}

export interface AddUserOptions {
  readonly admin?: boolean;
  /** Lower scrypt cost, for tests only; the default is DEFAULT_SCRYPT_COST. */
  readonly cost?: ScryptCost;
}

function checkPassword(password: string): void {
  if ([...password].length < MIN_PASSWORD_LENGTH) throw new AdminError(`passwords need at least ${MIN_PASSWORD_LENGTH} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(password)) throw new AdminError('passwords cannot contain control characters');
}

export async function addUser(store: MetadataStore, name: string, password: string, options: AddUserOptions = {}): Promise<UserRecord> {
  if (!USER_NAME_PATTERN.test(name)) {
    throw new AdminError(`${JSON.stringify(name)} is not a valid user name: use 1-64 characters of a-z, 0-9 and ._@- starting with a letter or digit`);
  }
  checkPassword(password);
  const user = {
    id: newId(),
    name,
    admin: options.admin ?? false,
    passwordHash: await hashPassword(password, options.cost),
    createdAt: Date.now(),
  };
  await store.users.create(user);
  return { ...user, removedAt: null };
}

async function existingUser(store: MetadataStore, name: string): Promise<UserRecord> {
  const user = await store.users.byName(name);
  if (user === null || user.removedAt !== null) throw new AdminError(`no user named ${name}`);
  return user;
}

/** Sets a new password and revokes every device token of the user (they log in again). */
export async function resetPassword(store: MetadataStore, name: string, password: string, cost?: ScryptCost): Promise<number> {
  const user = await existingUser(store, name);
  checkPassword(password);
  await store.users.setPasswordHash(user.id, await hashPassword(password, cost));
  return store.tokens.revokeAllForUser(user.id);
}

/** Removes an account; see UserStore.remove for what is kept. */
export async function removeUser(store: MetadataStore, name: string): Promise<void> {
  const user = await existingUser(store, name);
  await store.users.remove(user.id, Date.now());
}

export async function setAdmin(store: MetadataStore, name: string, admin: boolean): Promise<void> {
  const user = await existingUser(store, name);
  await store.users.setAdmin(user.id, admin);
}

/** Creates a user in the embedded backend of a data folder (opens and closes it). */
export async function createUser(dataDir: string, name: string, password: string, admin = false, options: Omit<AddUserOptions, 'admin'> = {}): Promise<UserRecord> {
  const stores = await openEmbeddedStores(dataDir);
  try {
    return await addUser(stores.metadata, name, password, { ...options, admin });
  } finally {
    await stores.metadata.close();
    await stores.chunks.close();
  }
}
