// The owner-only secret file of a profile (the CLI's device token, the daemon's control token).

import { chmod, lstat, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InsecureSecretFileError, deleteSecretFile, readSecretFile, writeSecretFile } from '../../src-main/profile/secretFile.js';

let folder: string;
beforeEach(async () => {
  folder = await mkdtemp(path.join(os.tmpdir(), 'cairn-secret-'));
});
afterEach(async () => rm(folder, { recursive: true, force: true }));

describe('secret files', () => {
  it('writes with mode 0600 and reads back', async () => {
    const file = path.join(folder, 'device-token');
    await writeSecretFile(file, 'token-value');
    expect((await lstat(file)).mode & 0o777).toBe(0o600);
    expect(await readSecretFile(file)).toBe('token-value');
    await writeSecretFile(file, 'replaced');
    expect(await readSecretFile(file)).toBe('replaced');
    expect(await readdir(folder)).toEqual(['device-token']);
  });

  it('answers undefined for a missing file, also after delete', async () => {
    const file = path.join(folder, 'device-token');
    expect(await readSecretFile(file)).toBeUndefined();
    await writeSecretFile(file, 'x');
    await deleteSecretFile(file);
    await deleteSecretFile(file);
    expect(await readSecretFile(file)).toBeUndefined();
  });

  it.skipIf(process.platform === 'win32')('refuses a file others can read, saying how to fix it', async () => {
    const file = path.join(folder, 'device-token');
    await writeSecretFile(file, 'x');
    await chmod(file, 0o644);
    const error = await readSecretFile(file).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InsecureSecretFileError);
    expect((error as Error).message).toContain('chmod 600');
  });
});
