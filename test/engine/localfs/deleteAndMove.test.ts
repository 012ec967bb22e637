import { link, lstat, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Expectation,
  deleteFileIfUnchanged,
  deleteFolderIfEmpty,
  mkdirSafe,
  moveIfUnchanged,
} from '../../../src-main/engine/localfs/index.js';
import { parseLibraryPath } from '../../../shared/paths.js';
import { type TempFolder, makeTempFolder } from './tempFolder.js';

let temp: TempFolder;
beforeEach(async () => {
  temp = await makeTempFolder();
});
afterEach(async () => temp.remove());

const p = parseLibraryPath;

async function fileExpectation(relative: string): Promise<Expectation & { kind: 'file' }> {
  const stats = await lstat(path.join(temp.root, relative));
  return { kind: 'file', size: stats.size, mtimeMs: stats.mtimeMs, inode: stats.ino };
}

describe('deleteFileIfUnchanged', () => {
  it('deletes the file the scan saw', async () => {
    await temp.file('a/doc.txt');
    const result = await deleteFileIfUnchanged(temp.root, p('a/doc.txt'), await fileExpectation('a/doc.txt'));
    expect(result).toEqual({ status: 'deleted' });
    expect(await temp.list()).toEqual(['a']);
  });

  it('keeps a file modified since the scan (edit beats delete)', async () => {
    const absolute = await temp.file('doc.txt', 'scanned');
    const scanned = await fileExpectation('doc.txt');
    await writeFile(absolute, 'edited after the scan');
    const result = await deleteFileIfUnchanged(temp.root, p('doc.txt'), scanned);
    expect(result.status).toBe('changed');
    expect(await readFile(absolute, 'utf8')).toBe('edited after the scan');
  });

  it('keeps a file replaced by another one of the same size (another inode)', async () => {
    const absolute = await temp.file('doc.txt', 'same size A');
    const scanned = await fileExpectation('doc.txt');
    await writeFile(`${absolute}.new`, 'same size B');
    const { rename } = await import('node:fs/promises');
    await rename(`${absolute}.new`, absolute);
    expect((await deleteFileIfUnchanged(temp.root, p('doc.txt'), scanned)).status).toBe('changed');
    expect(await readFile(absolute, 'utf8')).toBe('same size B');
  });

  it('answers absent when the file is already gone', async () => {
    expect(await deleteFileIfUnchanged(temp.root, p('gone.txt'), { kind: 'file', size: 1, mtimeMs: 1, inode: 1 })).toEqual({
      status: 'absent',
    });
  });

  it('refuses to delete through a symlinked folder', async () => {
    await writeFile(path.join(temp.outside, 'victim.txt'), 'outside');
    await symlink(temp.outside, path.join(temp.root, 'escape'));
    const stats = await lstat(path.join(temp.outside, 'victim.txt'));
    const result = await deleteFileIfUnchanged(temp.root, p('escape/victim.txt'), {
      kind: 'file',
      size: stats.size,
      mtimeMs: stats.mtimeMs,
      inode: stats.ino,
    });
    expect(result).toMatchObject({ status: 'unsafe', reason: 'symlink' });
    expect(await readdir(temp.outside)).toEqual(['victim.txt']);
  });
});

describe('deleteFolderIfEmpty', () => {
  const cases = [
    { name: 'an empty folder is deleted', files: [], status: 'deleted', left: [] },
    {
      name: 'OS metadata and stale temp files go with the folder',
      files: ['f/.DS_Store', 'f/Thumbs.db', 'f/desktop.ini', 'f/.cairn-tmp-0011223344556677'],
      status: 'deleted',
      left: [],
    },
    { name: 'a user file keeps the folder', files: ['f/.DS_Store', 'f/notes.txt'], status: 'not-empty', left: ['f', 'f/.DS_Store', 'f/notes.txt'] },
    {
      name: 'an ignored file keeps the folder (it exists nowhere else)',
      files: ['f/.notes.txt.swp'],
      status: 'not-empty',
      left: ['f', 'f/.notes.txt.swp'],
    },
    { name: 'a subfolder keeps the folder', files: ['f/sub/x'], status: 'not-empty', left: ['f', 'f/sub', 'f/sub/x'] },
  ] as const;
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    await temp.folder('f');
    for (const file of c.files) await temp.file(file);
    const result = await deleteFolderIfEmpty(temp.root, p('f'));
    expect(result.status).toBe(c.status);
    expect(await temp.list()).toEqual([...c.left]);
  });

  it('answers changed when a file is where the folder was', async () => {
    await temp.file('f');
    expect((await deleteFolderIfEmpty(temp.root, p('f'))).status).toBe('changed');
  });

  it('answers absent when the folder is gone', async () => {
    expect(await deleteFolderIfEmpty(temp.root, p('f'))).toEqual({ status: 'absent' });
  });
});

describe('moveIfUnchanged', () => {
  it('moves a file and keeps its inode', async () => {
    await temp.file('a/doc.txt', 'contents');
    const expectation = await fileExpectation('a/doc.txt');
    await temp.folder('b');
    const result = await moveIfUnchanged(temp.root, p('a/doc.txt'), p('b/renamed.txt'), expectation);
    expect(result).toEqual({ status: 'moved', inode: expectation.inode });
    expect(await temp.list()).toEqual(['a', 'b', 'b/renamed.txt']);
    expect(await readFile(path.join(temp.root, 'b', 'renamed.txt'), 'utf8')).toBe('contents');
  });

  it('never replaces an existing destination', async () => {
    await temp.file('from.txt', 'moving');
    await temp.file('to.txt', 'already here');
    const result = await moveIfUnchanged(temp.root, p('from.txt'), p('to.txt'), await fileExpectation('from.txt'));
    expect(result.status).toBe('destination-exists');
    expect(await readFile(path.join(temp.root, 'to.txt'), 'utf8')).toBe('already here');
    expect(await readFile(path.join(temp.root, 'from.txt'), 'utf8')).toBe('moving');
  });

  it('does not move a file modified since the scan', async () => {
    const absolute = await temp.file('from.txt', 'scanned');
    const scanned = await fileExpectation('from.txt');
    await writeFile(absolute, 'modified since');
    expect((await moveIfUnchanged(temp.root, p('from.txt'), p('to.txt'), scanned)).status).toBe('changed');
    expect(await temp.list()).toEqual(['from.txt']);
  });

  it('moves a folder with its contents', async () => {
    await temp.file('old/x.txt');
    const inode = (await lstat(path.join(temp.root, 'old'))).ino;
    const result = await moveIfUnchanged(temp.root, p('old'), p('new'), { kind: 'dir', inode });
    expect(result).toEqual({ status: 'moved', inode });
    expect(await temp.list()).toEqual(['new', 'new/x.txt']);
  });

  it('does not move a folder onto an existing folder', async () => {
    await temp.file('old/x.txt');
    await temp.folder('new');
    expect((await moveIfUnchanged(temp.root, p('old'), p('new'), { kind: 'dir' })).status).toBe('destination-exists');
    expect(await temp.list()).toEqual(['new', 'old', 'old/x.txt']);
  });

  it('treats a hard link at the destination as an existing destination, not a case-only rename', async () => {
    const absolute = await temp.file('a.txt');
    await link(absolute, path.join(temp.root, 'b.txt'));
    const result = await moveIfUnchanged(temp.root, p('a.txt'), p('b.txt'), await fileExpectation('a.txt'));
    expect(result.status).toBe('destination-exists');
    expect(await temp.list()).toEqual(['a.txt', 'b.txt']);
  });

  it('renames a.txt to A.txt (a plain move on a case-sensitive disk)', async () => {
    await temp.file('a.txt');
    const expectation = await fileExpectation('a.txt');
    expect(await moveIfUnchanged(temp.root, p('a.txt'), p('A.txt'), expectation)).toEqual({ status: 'moved', inode: expectation.inode });
    expect(await temp.list()).toEqual(['A.txt']);
  });

  it('refuses a destination inside a symlinked folder', async () => {
    await temp.file('doc.txt');
    await symlink(temp.outside, path.join(temp.root, 'escape'));
    const result = await moveIfUnchanged(temp.root, p('doc.txt'), p('escape/doc.txt'), await fileExpectation('doc.txt'));
    expect(result).toMatchObject({ status: 'unsafe', reason: 'symlink' });
    expect(await readdir(temp.outside)).toEqual([]);
  });
});

describe('mkdirSafe', () => {
  it('creates missing parents one level at a time', async () => {
    const result = await mkdirSafe(temp.root, p('a/b/c'));
    expect(result.status).toBe('created');
    expect(await temp.list()).toEqual(['a', 'a/b', 'a/b/c']);
    if (result.status === 'created') expect(result.inode).toBe((await lstat(path.join(temp.root, 'a', 'b', 'c'))).ino);
  });

  it('answers exists for an existing folder', async () => {
    await temp.folder('a');
    expect((await mkdirSafe(temp.root, p('a'))).status).toBe('exists');
  });

  it('reports a file in the way as blocked', async () => {
    await temp.file('a');
    expect(await mkdirSafe(temp.root, p('a/b'))).toMatchObject({ status: 'unsafe', reason: 'not-a-folder', at: 'a' });
    expect(await mkdirSafe(temp.root, p('a'))).toMatchObject({ status: 'blocked', at: 'a', found: { kind: 'file' } });
  });

  it('refuses to create through a symlinked folder', async () => {
    await symlink(temp.outside, path.join(temp.root, 'escape'));
    expect(await mkdirSafe(temp.root, p('escape/new'))).toMatchObject({ status: 'unsafe', reason: 'symlink' });
    expect(await readdir(temp.outside)).toEqual([]);
  });
});
