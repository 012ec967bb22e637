// CheckedFolders: a folder is checked once per instance (a sync round), and confirm() notices a
// folder or one of its ancestors swapped since, with one lstat while nothing changed.

import fs from 'node:fs';
import { readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CheckedFolders } from '../../../src-main/engine/localfs/index.js';
import { parseLibraryPath } from '../../../shared/paths.js';
import { type TempFolder, makeTempFolder } from './tempFolder.js';

let temp: TempFolder;
beforeEach(async () => {
  temp = await makeTempFolder();
});
afterEach(async () => {
  vi.restoreAllMocks();
  await temp.remove();
});

const p = parseLibraryPath;

function countLstats(): { count: number } {
  const counter = { count: 0 };
  const original = fs.lstat;
  vi.spyOn(fs, 'lstat').mockImplementation(((...args: Parameters<typeof fs.lstat>) => {
    counter.count += 1;
    return (original as (...a: unknown[]) => void)(...args);
  }) as typeof fs.lstat);
  return counter;
}

describe('CheckedFolders.ensure', () => {
  it('creates the missing levels and checks each level once', async () => {
    const folders = new CheckedFolders(temp.root);
    expect(await folders.ensure(p('a/b/c'))).toMatchObject({ status: 'created' });
    expect(await temp.list()).toEqual(['a', 'a/b', 'a/b/c']);
    const lstats = countLstats();
    expect(await folders.ensure(p('a/b'))).toMatchObject({ status: 'exists' });
    expect(await folders.ensure(p('a/b/c'))).toMatchObject({ status: 'exists' });
    // The next level below a checked one costs a look at its parent and its own looks.
    expect(await folders.ensure(p('a/b/c/d'))).toMatchObject({ status: 'created' });
    expect(lstats.count).toBe(3);
  });

  it('creates a chain 1,000 folders deep level by level with a few calls a level', async () => {
    const folders = new CheckedFolders(temp.root);
    const lstats = countLstats();
    let chain = '';
    for (let level = 0; level < 1000; level++) {
      chain = chain === '' ? 'd' : `${chain}/d`;
      expect((await folders.ensure(p(chain))).status).toBe('created');
    }
    expect(lstats.count).toBe(3 * 1000 - 1);
  });

  it.each([
    { name: 'a symlinked ancestor', setup: () => symlink(temp.outside, path.join(temp.root, 'escape')), target: 'escape/new', result: { status: 'unsafe', reason: 'symlink', at: 'escape' } },
    { name: 'a symlink at the target', setup: () => symlink(temp.outside, path.join(temp.root, 'escape')), target: 'escape', result: { status: 'unsafe', reason: 'symlink', at: 'escape' } },
    { name: 'a file at an ancestor', setup: () => temp.file('a'), target: 'a/b', result: { status: 'unsafe', reason: 'not-a-folder', at: 'a' } },
    { name: 'a file at the target', setup: () => temp.file('a'), target: 'a', result: { status: 'blocked', at: 'a', found: { kind: 'file' } } },
    { name: 'a non-canonical path', setup: async () => undefined, target: 'a/../b', result: { status: 'unsafe', reason: 'not-canonical' } },
  ])('refuses $name', async ({ setup, target, result }) => {
    await setup();
    expect(await new CheckedFolders(temp.root).ensure(target as never)).toMatchObject(result);
    expect(await readdir(temp.outside)).toEqual([]);
  });

  it('ensureAll creates folders in order and reports each', async () => {
    await temp.file('blocked');
    const results = await new CheckedFolders(temp.root).ensureAll([p('x'), p('x/y'), p('blocked'), p('z/w')]);
    expect(results.map((result) => result.status)).toEqual(['created', 'created', 'blocked', 'created']);
    expect(await temp.list()).toEqual(['blocked', 'x', 'x/y', 'z', 'z/w']);
  });
});

describe('CheckedFolders.confirm', () => {
  it('confirms an unchanged folder with one lstat', async () => {
    const folders = new CheckedFolders(temp.root);
    await folders.ensure(p('a/b'));
    const lstats = countLstats();
    expect(await folders.confirm(p('a/b'))).toEqual({ status: 'confirmed', absolute: path.join(temp.root, 'a', 'b') });
    expect(lstats.count).toBe(1);
  });

  it('refuses a folder swapped for a symlink since it was checked', async () => {
    const folders = new CheckedFolders(temp.root);
    await folders.ensure(p('a/b'));
    await rename(path.join(temp.root, 'a', 'b'), path.join(temp.root, 'moved'));
    await symlink(temp.outside, path.join(temp.root, 'a', 'b'));
    expect(await folders.confirm(p('a/b'))).toMatchObject({ status: 'unsafe', reason: 'symlink', at: 'a/b' });
  });

  it('refuses a folder whose ancestor was swapped for a symlink to a look-alike tree', async () => {
    const folders = new CheckedFolders(temp.root);
    await folders.ensure(p('a/b'));
    // Outside the library, a tree with the same names: only the inodes tell them apart.
    await fs.promises.mkdir(path.join(temp.outside, 'b'));
    await rename(path.join(temp.root, 'a'), path.join(temp.root, 'moved'));
    await symlink(temp.outside, path.join(temp.root, 'a'));
    expect(await folders.confirm(p('a/b'))).toMatchObject({ status: 'unsafe', reason: 'symlink', at: 'a' });
  });

  it('refuses a folder moved out of the library and symlinked back in', async () => {
    const folders = new CheckedFolders(temp.root);
    await folders.ensure(p('a/b'));
    // The very folder checked, same inode, now reached through a symlink from outside.
    await rename(path.join(temp.root, 'a'), path.join(temp.outside, 'a'));
    await symlink(path.join(temp.outside, 'a'), path.join(temp.root, 'a'));
    expect(await folders.confirm(p('a/b'))).toMatchObject({ status: 'unsafe', reason: 'symlink', at: 'a' });
    await expect(folders.locate(p('a/b/file'))).rejects.toMatchObject({ reason: 'symlink' });
  });

  it('does not create a folder below a remembered one that became a symlink', async () => {
    const folders = new CheckedFolders(temp.root);
    await folders.ensure(p('a'));
    await rename(path.join(temp.root, 'a'), path.join(temp.root, 'moved'));
    await symlink(temp.outside, path.join(temp.root, 'a'));
    expect(await folders.ensure(p('a/new'))).toMatchObject({ status: 'unsafe', reason: 'symlink', at: 'a' });
    expect(await readdir(temp.outside)).toEqual([]);
  });

  it.each([
    { name: 'removed', change: (folder: string) => rm(folder, { recursive: true }) },
    { name: 'replaced by a file', change: async (folder: string) => (await rm(folder, { recursive: true }), writeFile(folder, 'x')) },
  ])('answers gone for a folder $name', async ({ change }) => {
    const folders = new CheckedFolders(temp.root);
    await folders.ensure(p('a/b'));
    await change(path.join(temp.root, 'a', 'b'));
    expect(await folders.confirm(p('a/b'))).toEqual({ status: 'gone' });
  });

  it('accepts a folder replaced by another real folder, checking the chain again', async () => {
    const folders = new CheckedFolders(temp.root);
    await folders.ensure(p('a/b'));
    await rm(path.join(temp.root, 'a'), { recursive: true });
    await temp.folder('a/b');
    expect(await folders.confirm(p('a/b'))).toMatchObject({ status: 'confirmed' });
    // And it is the new folder that is remembered: one look again.
    const lstats = countLstats();
    expect(await folders.confirm(p('a/b'))).toMatchObject({ status: 'confirmed' });
    expect(lstats.count).toBe(1);
  });

  it('forgets a folder and what is below it', async () => {
    const folders = new CheckedFolders(temp.root);
    await folders.ensure(p('a/b/c'));
    await rm(path.join(temp.root, 'a', 'b'), { recursive: true });
    // Remembered: ensure trusts its earlier check.
    expect(await folders.ensure(p('a/b/c'))).toMatchObject({ status: 'exists' });
    folders.forget(p('a/b'));
    expect(await folders.ensure(p('a/b/c'))).toMatchObject({ status: 'created' });
    expect(await temp.list()).toEqual(['a', 'a/b', 'a/b/c']);
  });
});
