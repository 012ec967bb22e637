// Password hashing with scrypt (node:crypto), a memory-hard KDF. The parameters and the salt
// are stored with the hash, so they can be raised later without invalidating old hashes.
// Format: scrypt$<log2 N>$<r>$<p>$<salt base64url>$<hash base64url>.

import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export interface ScryptCost {
  readonly log2N: number;
  readonly r: number;
  readonly p: number;
}

/** N = 2^15, r = 8, p = 3: one of OWASP's recommended scrypt settings (32 MiB, ~0.4 s here). */
export const DEFAULT_SCRYPT_COST: ScryptCost = { log2N: 15, r: 8, p: 3 };

const KEY_BYTES = 32;
const SALT_BYTES = 16;

function scryptAsync(password: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  const N = 2 ** cost.log2N;
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, { N, r: cost.r, p: cost.p, maxmem: 256 * N * cost.r }, (error, key) => {
      if (error) reject(error);
      else resolve(key);
    });
  });
}

/**
 * At most this many hashes run at once: each takes 32 MiB and a thread of libuv's small pool,
 * which file I/O needs too. More logins wait their turn.
 */
const MAX_CONCURRENT_HASHES = 2;
let running = 0;
const waiting: (() => void)[] = [];

async function limited<T>(work: () => Promise<T>): Promise<T> {
  if (running >= MAX_CONCURRENT_HASHES) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await work();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

export async function hashPassword(password: string, cost: ScryptCost = DEFAULT_SCRYPT_COST): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await limited(() => scryptAsync(password, salt, cost));
  return ['scrypt', cost.log2N, cost.r, cost.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

interface ParsedHash {
  readonly cost: ScryptCost;
  readonly salt: Buffer;
  readonly key: Buffer;
}

function parseHash(encoded: string): ParsedHash | null {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [log2N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (![log2N, r, p].every((value) => Number.isInteger(value) && value > 0) || log2N > 24) return null;
  return { cost: { log2N, r, p }, salt: Buffer.from(parts[4]!, 'base64url'), key: Buffer.from(parts[5]!, 'base64url') };
}

/** A hash no password matches, verified when the user does not exist so both cases cost the same. */
let decoyHash: Promise<string> | null = null;

/**
 * Checks a password against a stored hash in constant time. With `encoded` null (no such
 * user) it still spends the time of a default-cost check and returns false, so a login for an
 * unknown user cannot be told apart by its timing.
 */
export async function verifyPassword(password: string, encoded: string | null): Promise<boolean> {
  if (encoded === null) {
    decoyHash ??= hashPassword(randomBytes(16).toString('hex'));
    await verifyPassword(password, await decoyHash);
    return false;
  }
  const parsed = parseHash(encoded);
  if (parsed === null) return false;
  const key = await limited(() => scryptAsync(password, parsed.salt, parsed.cost));
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}
