import { chmod, lstat, readFile, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  InsecureSecretFileError,
  cleanupTempFiles,
  deleteSecretFile,
  readSecretFile,
  writeSecretFile,
} from '../../../src-main/engine/localfs/index.js';
import { type TempFolder, makeTempFolder } from './tempFolder.js';

let temp: TempFolder;
beforeEach(async () => {
  temp = await makeTempFolder();
});
afterEach(async () => temp.remove());

describe('cleanupTempFiles', () => {
  it('removes temp files at every depth and nothing else', async () => {
    await temp.file('.cairn-tmp-aaaaaaaaaaaaaaaa', 'stale');
    await temp.file('a/b/.cairn-tmp-bbbbbbbbbbbbbbbb', 'stale');
    await temp.file('a/b/keep.txt');
    await temp.file('a/cairn-tmp-not-ours.txt');
    const result = await cleanupTempFiles(temp.root);
    expect(result).toEqual({ removed: 2, failures: [] });
    expect(await temp.list()).toEqual(['a', 'a/b', 'a/b/keep.txt', 'a/cairn-tmp-not-ours.txt']);
  });

  it('does not follow a symlinked folder out of the library', async () => {
    await writeFile(path.join(temp.outside, '.cairn-tmp-cccccccccccccccc'), 'not ours to delete');
    await symlink(temp.outside, path.join(temp.root, 'escape'));
    expect((await cleanupTempFiles(temp.root)).removed).toBe(0);
    expect(await readFile(path.join(temp.outside, '.cairn-tmp-cccccccccccccccc'), 'utf8')).toBe('not ours to delete');
  });

  it('spares temp files younger than minAgeMs', async () => {
    const old = await temp.file('.cairn-tmp-dddddddddddddddd');
    await temp.file('.cairn-tmp-eeeeeeeeeeeeeeee');
    const anHourAgo = new Date(Date.now() - 3_600_000);
    await utimes(old, anHourAgo, anHourAgo);
    expect((await cleanupTempFiles(temp.root, { minAgeMs: 60_000 })).removed).toBe(1);
    expect(await temp.list()).toEqual(['.cairn-tmp-eeeeeeeeeeeeeeee']);
  });
});

describe('secret files', () => {
  it('writes with mode 0600 and reads back', async () => {
    const file = path.join(temp.outside, 'device-token');
    await writeSecretFile(file, 'token-value');
    expect((await lstat(file)).mode & 0o777).toBe(0o600);
    expect(await readSecretFile(file)).toBe('token-value');
    await writeSecretFile(file, 'replaced');
    expect(await readSecretFile(file)).toBe('replaced');
    expect(await temp.list()).toEqual([]);
  });

  it('answers undefined for a missing file, also after delete', async () => {
    const file = path.join(temp.outside, 'device-token');
    expect(await readSecretFile(file)).toBeUndefined();
    await writeSecretFile(file, 'x');
    await deleteSecretFile(file);
    await deleteSecretFile(file);
    expect(await readSecretFile(file)).toBeUndefined();
  });

  it.skipIf(process.platform === 'win32')('refuses a file others can read, saying how to fix it', async () => {
    const file = path.join(temp.outside, 'device-token');
    await writeSecretFile(file, 'x');
    await chmod(file, 0o644);
    const error = await readSecretFile(file).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InsecureSecretFileError);
    expect((error as Error).message).toContain('chmod 600');
  });
});
