// Random identifiers of users, devices and libraries.

import { randomBytes } from 'node:crypto';

/** 16 random bytes in lowercase hex: url-safe, and distinct on case-insensitive disks too. */
export function newId(): string {
  return randomBytes(16).toString('hex');
}
