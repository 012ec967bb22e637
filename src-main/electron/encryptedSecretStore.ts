// The desktop app's device-token store: the token is encrypted with the OS keychain (Electron
// safeStorage, reached through main) and the ciphertext kept in an owner-only file in the
// profile. A token the CLI left in its plain file is moved into the encrypted file once.
// A ciphertext that cannot be decrypted (another machine's keychain, a keychain reset) reads as
// "no token": the user logs in again, and the file stays until that login replaces it.

import type { SecretStore } from '../profile/secretStore.js';
import { deleteSecretFile, readSecretFile, writeSecretFile } from '../profile/secretFile.js';
import type { DecryptedSecret } from './hostProtocol.js';

/** Encryption by the OS keychain; ciphertext as base64. */
export interface SecretCipher {
  encrypt(plain: string): Promise<string>;
  decrypt(cipherText: string): Promise<DecryptedSecret>;
}

export interface EncryptedSecretStoreOptions {
  /** Where the ciphertext is kept. */
  readonly file: string;
  /** The CLI's plain token file in the same profile, moved into `file` when found. */
  readonly plainFile: string;
  readonly cipher: SecretCipher;
  readonly log: (line: string) => void;
}

/** The file name of the encrypted token in the profile. */
export const ENCRYPTED_CREDENTIALS_FILE = 'credentials.safe';

const FORMAT_PREFIX = 'cairn-safe-storage-v1 ';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function encryptedSecretStore(options: EncryptedSecretStoreOptions): SecretStore {
  const { file, plainFile, cipher, log } = options;

  const write = async (secret: string): Promise<void> => {
    const cipherText = await cipher.encrypt(secret);
    await writeSecretFile(file, `${FORMAT_PREFIX}${cipherText}\n`);
  };

  const readEncrypted = async (text: string): Promise<string | undefined> => {
    const cipherText = text.trim().startsWith(FORMAT_PREFIX) ? text.trim().slice(FORMAT_PREFIX.length) : '';
    if (!BASE64.test(cipherText)) {
      log(`${file} is not an encrypted Cairn token; log in again to replace it`);
      return undefined;
    }
    let decrypted: DecryptedSecret;
    try {
      decrypted = await cipher.decrypt(cipherText);
    } catch (error) {
      log(`the saved sign-in cannot be decrypted with this computer's keychain (${(error as Error).message}); log in again`);
      return undefined;
    }
    if (decrypted.shouldReEncrypt) {
      await write(decrypted.plain).catch((error: unknown) => log(`could not encrypt the sign-in again with the new key: ${(error as Error).message}`));
    }
    return decrypted.plain.trim() || undefined;
  };

  return {
    async read() {
      const text = await readSecretFile(file);
      if (text !== undefined) return readEncrypted(text);
      const plain = (await readSecretFile(plainFile))?.trim();
      if (!plain) return undefined;
      try {
        await write(plain);
        await deleteSecretFile(plainFile);
        log('the device token moved from its plain file into the keychain-encrypted store');
      } catch (error) {
        log(`the device token stays in its plain file: it could not be encrypted (${(error as Error).message})`);
      }
      return plain;
    },
    write,
    async delete() {
      await deleteSecretFile(file);
      await deleteSecretFile(plainFile);
    },
  };
}
