// Where a profile keeps its device token. The CLI and the headless daemon keep it in a file only
// its owner can read; the desktop app passes a store that encrypts it with the OS keychain
// (Electron safeStorage). The index never holds it: the index is the file people copy into bug
// reports and backups.

import { deleteSecretFile, readSecretFile, writeSecretFile } from './secretFile.js';

/** One secret (the device token): read it, replace it, forget it. */
export interface SecretStore {
  /** The secret, or undefined when none is stored. */
  read(): Promise<string | undefined>;
  /** Replaces the secret; durable once the promise resolves. */
  write(secret: string): Promise<void>;
  /** Forgets the secret; nothing happens when none is stored. */
  delete(): Promise<void>;
}

/** The default store: `file`, written atomically with mode 0600 and refused when others can read it. */
export function ownerOnlyFileSecretStore(file: string): SecretStore {
  return {
    async read() {
      return (await readSecretFile(file))?.trim() || undefined;
    },
    write: (secret) => writeSecretFile(file, secret),
    delete: () => deleteSecretFile(file),
  };
}
