// The app's token store: ciphertext in an owner-only file, a CLI token moved in once, and a
// ciphertext this keychain cannot read treated as "log in again" without destroying it.

import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ENCRYPTED_CREDENTIALS_FILE, encryptedSecretStore } from '../../src-main/electron/encryptedSecretStore.js';
import type { SecretCipher } from '../../src-main/electron/encryptedSecretStore.js';
import { ownerOnlyFileSecretStore } from '../../src-main/profile/secretStore.js';

let home: string;
beforeEach(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'cairn-secret-test-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

/** A reversible stand-in for the keychain that marks its output with the key in use. */
function keychain(key: string, options: { failEncrypt?: boolean; rotatedFrom?: string } = {}): SecretCipher & { readonly calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async encrypt(plain) {
      calls.push('encrypt');
      if (options.failEncrypt) throw new Error('the keychain is locked');
      return Buffer.from(`${key}:${[...plain].reverse().join('')}`).toString('base64');
    },
    async decrypt(cipherText) {
      calls.push('decrypt');
      const [usedKey, body] = Buffer.from(cipherText, 'base64').toString('utf8').split(':');
      if (usedKey !== key && usedKey !== options.rotatedFrom) throw new Error('wrong key');
      return { plain: [...(body ?? '')].reverse().join(''), shouldReEncrypt: usedKey !== key };
    },
  };
}

function storeWith(cipher: SecretCipher, logs: string[] = []) {
  return encryptedSecretStore({ file: path.join(home, ENCRYPTED_CREDENTIALS_FILE), plainFile: path.join(home, 'credentials'), cipher, log: (line) => void logs.push(line) });
}

describe('encryptedSecretStore', () => {
  it('keeps the token encrypted in an owner-only file', async () => {
    const store = storeWith(keychain('k1'));
    expect(await store.read()).toBeUndefined();
    await store.write('device-token-123');
    const text = await readFile(path.join(home, ENCRYPTED_CREDENTIALS_FILE), 'utf8');
    expect(text).toMatch(/^cairn-safe-storage-v1 [A-Za-z0-9+/]+=*\n$/);
    expect(text).not.toContain('device-token-123');
    expect((await stat(path.join(home, ENCRYPTED_CREDENTIALS_FILE))).mode & 0o777).toBe(0o600);
    expect(await store.read()).toBe('device-token-123');
    expect(await readdir(home)).toEqual([ENCRYPTED_CREDENTIALS_FILE]);
  });

  it('moves a plain CLI token into the encrypted file', async () => {
    await ownerOnlyFileSecretStore(path.join(home, 'credentials')).write('cli-token\n');
    const logs: string[] = [];
    const store = storeWith(keychain('k1'), logs);
    expect(await store.read()).toBe('cli-token');
    expect(await readdir(home)).toEqual([ENCRYPTED_CREDENTIALS_FILE]);
    expect(await store.read()).toBe('cli-token');
    expect(logs).toEqual(['the device token moved from its plain file into the keychain-encrypted store']);
  });

  it('leaves the plain token where it is when it cannot be encrypted', async () => {
    await ownerOnlyFileSecretStore(path.join(home, 'credentials')).write('cli-token');
    const logs: string[] = [];
    expect(await storeWith(keychain('k1', { failEncrypt: true }), logs).read()).toBe('cli-token');
    expect(await readdir(home)).toEqual(['credentials']);
    expect(logs).toEqual(['the device token stays in its plain file: it could not be encrypted (the keychain is locked)']);
  });

  it('reads a token another keychain encrypted as none, and keeps the file for the next login to replace', async () => {
    await storeWith(keychain('other-machine')).write('token');
    const logs: string[] = [];
    const store = storeWith(keychain('this-machine'), logs);
    expect(await store.read()).toBeUndefined();
    expect(logs).toEqual(["the saved sign-in cannot be decrypted with this computer's keychain (wrong key); log in again"]);
    expect(await readdir(home)).toEqual([ENCRYPTED_CREDENTIALS_FILE]);
    await store.write('new-token');
    expect(await store.read()).toBe('new-token');
  });

  it('reads a damaged file as none', async () => {
    await writeFile(path.join(home, ENCRYPTED_CREDENTIALS_FILE), 'hello', { mode: 0o600 });
    const logs: string[] = [];
    expect(await storeWith(keychain('k1'), logs).read()).toBeUndefined();
    expect(logs).toHaveLength(1);
  });

  it('encrypts again when the keychain rotated its key', async () => {
    await storeWith(keychain('old')).write('token');
    const rotated = keychain('new', { rotatedFrom: 'old' });
    expect(await storeWith(rotated).read()).toBe('token');
    expect(rotated.calls).toEqual(['decrypt', 'encrypt']);
    expect(await storeWith(keychain('new')).read()).toBe('token');
  });

  it('forgets both files on delete', async () => {
    await writeFile(path.join(home, 'credentials'), 'stale', { mode: 0o600 });
    const store = storeWith(keychain('k1'));
    await store.write('token');
    await store.delete();
    await store.delete();
    expect(await readdir(home)).toEqual([]);
  });
});

describe('ownerOnlyFileSecretStore', () => {
  it('keeps the token in a 0600 file and refuses one others can read', async () => {
    const file = path.join(home, 'credentials');
    const store = ownerOnlyFileSecretStore(file);
    expect(await store.read()).toBeUndefined();
    await store.write('token\n');
    expect(await store.read()).toBe('token');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await chmod(file, 0o644);
    await expect(store.read()).rejects.toThrow('readable by other users');
    await store.delete();
    expect(await store.read()).toBeUndefined();
  });
});
