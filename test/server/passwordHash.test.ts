// Password hashing: scrypt with its parameters stored beside the hash.

import { describe, expect, it } from 'vitest';
import { DEFAULT_SCRYPT_COST, hashPassword, verifyPassword } from '../../src-server/passwordHash.js';
import { TEST_SCRYPT_COST } from './testServer.js';

describe('password hashes', () => {
  it('store the default parameters and a per-user salt', async () => {
    const first = await hashPassword('same password');
    const second = await hashPassword('same password');
    expect(first.split('$').slice(0, 4)).toEqual(['scrypt', String(DEFAULT_SCRYPT_COST.log2N), '8', String(DEFAULT_SCRYPT_COST.p)]);
    expect(first).not.toBe(second);
    expect(await verifyPassword('same password', first)).toBe(true);
  });

  it.each([
    ['the right password', 'pässwörd 密码', true],
    ['a wrong password', 'passwörd 密码', false],
    ['the same password in NFD', 'pa\u0308sswo\u0308rd 密码', true],
    ['an empty password', '', false],
  ])('verify %s', async (_name, attempt, expected) => {
    const stored = await hashPassword('pässwörd 密码', TEST_SCRYPT_COST);
    expect(await verifyPassword(attempt, stored)).toBe(expected);
  });

  it.each([['garbage'], ['scrypt$99$8$1$AAAA$AAAA'], ['bcrypt$10$8$1$AAAA$AAAA']])('refuses a malformed stored hash %j', async (stored) => {
    expect(await verifyPassword('anything', stored)).toBe(false);
  });

  it('spends a full check and fails when there is no user', async () => {
    expect(await verifyPassword('anything', null)).toBe(false);
  });
});
