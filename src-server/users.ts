// Administration of user accounts, shared by the command line and by tests.

import { formatBinarySize, parseByteSize } from '../shared/byteSize.js';
import { USER_NAME_PATTERN } from '../shared/protocol/index.js';
import { newId } from './ids.js';
import { hashPassword } from './passwordHash.js';
import type { ScryptCost } from './passwordHash.js';
import { openEmbeddedStores } from './server.js';
import type { MetadataStore, StorageUsage, UserRecord } from './storage/metadataStore.js';

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
  return { ...user, removedAt: null, quotaBytes: null };
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

/**
 * Sets a user's quota from a size as typed ("10GB", "500MiB", "none" for no limit) and returns
 * the user's storage. A quota below the usage refuses only commits that add bytes.
 */
export async function setQuota(store: MetadataStore, name: string, size: string): Promise<StorageUsage> {
  const user = await existingUser(store, name);
  const bytes = size.trim().toLowerCase() === 'none' ? null : parseByteSize(size);
  if (bytes === null && size.trim().toLowerCase() !== 'none') {
    throw new AdminError(`${JSON.stringify(size)} is not a size: use a number with B, kB, MB, GB, TB, KiB, MiB, GiB or TiB, or none`);
  }
  await store.users.setQuota(user.id, bytes);
  return store.users.usage(user.id);
}

/** A size in binary units, as the cairn command and the app show them: 9.3 GiB. */
export const formatSize = formatBinarySize;

/** "uses 1.2 GiB of 10 GiB (12%)", or "uses 1.2 GiB, no quota". */
export function describeStorage(usage: StorageUsage): string {
  if (usage.quotaBytes === null) return `uses ${formatSize(usage.usedBytes)}, no quota`;
  const percent = usage.quotaBytes === 0 ? 100 : Math.floor((usage.usedBytes / usage.quotaBytes) * 100);
  return `uses ${formatSize(usage.usedBytes)} of ${formatSize(usage.quotaBytes)} (${percent}%)`;
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
