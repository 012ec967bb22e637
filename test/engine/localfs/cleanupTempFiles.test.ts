import { readFile, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanupTempFiles } from '../../../src-main/engine/localfs/index.js';
import { type TempFolder, makeTempFolder } from './tempFolder.js';

let temp: TempFolder;
beforeEach(async () => {
  temp = await makeTempFolder();
});
afterEach(async () => temp.remove());

describe.each([false, true])('cleanupTempFiles (listOnThisThread: %s)', (listOnThisThread) => {
  it('removes temp files at every depth and nothing else', async () => {
    await temp.file('.cairn-tmp-aaaaaaaaaaaaaaaa', 'stale');
    await temp.file('a/b/.cairn-tmp-bbbbbbbbbbbbbbbb', 'stale');
    await temp.file('a/b/keep.txt');
    await temp.file('a/cairn-tmp-not-ours.txt');
    const result = await cleanupTempFiles(temp.root, { listOnThisThread });
    expect(result).toEqual({ removed: 2, failures: [] });
    expect(await temp.list()).toEqual(['a', 'a/b', 'a/b/keep.txt', 'a/cairn-tmp-not-ours.txt']);
  });

  it('does not follow a symlinked folder out of the library', async () => {
    await writeFile(path.join(temp.outside, '.cairn-tmp-cccccccccccccccc'), 'not ours to delete');
    await symlink(temp.outside, path.join(temp.root, 'escape'));
    expect((await cleanupTempFiles(temp.root, { listOnThisThread })).removed).toBe(0);
    expect(await readFile(path.join(temp.outside, '.cairn-tmp-cccccccccccccccc'), 'utf8')).toBe('not ours to delete');
  });

  it('spares temp files younger than minAgeMs', async () => {
    const old = await temp.file('.cairn-tmp-dddddddddddddddd');
    await temp.file('.cairn-tmp-eeeeeeeeeeeeeeee');
    const anHourAgo = new Date(Date.now() - 3_600_000);
    await utimes(old, anHourAgo, anHourAgo);
    expect((await cleanupTempFiles(temp.root, { minAgeMs: 60_000, listOnThisThread })).removed).toBe(1);
    expect(await temp.list()).toEqual(['.cairn-tmp-eeeeeeeeeeeeeeee']);
  });
});
