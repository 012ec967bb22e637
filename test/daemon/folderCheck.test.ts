// The Add-library folder check and suggestion, on a real disk: what a typed path would become,
// in the service's own terms (its home, its separator, its permissions).

import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkFolder, folderNameOf, suggestFolder } from '../../src-main/daemon/folderCheck.js';
import type { FolderContext } from '../../src-main/daemon/folderCheck.js';

let base: string;
let context: FolderContext;

beforeEach(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'cairn-folder-check-'));
  await mkdir(path.join(base, 'profile'));
  await mkdir(path.join(base, 'Cairn', 'Notes'), { recursive: true });
  context = { libraries: [{ name: 'Notes', localRoot: path.join(base, 'Cairn', 'Notes') }], profileHome: path.join(base, 'profile') };
});
afterEach(async () => {
  await chmod(path.join(base, 'locked'), 0o755).catch(() => undefined);
  await rm(base, { recursive: true, force: true });
});

const reasonOf = async (typed: string, extra: Partial<FolderContext> = {}) => {
  const check = await checkFolder(typed, { ...context, ...extra });
  return [check.verdict, check.reason, check.libraryName, check.entries];
};

describe('checkFolder', () => {
  it('says what happens to a usable folder: created, empty, or merged with what it holds', async () => {
    expect(await reasonOf(path.join(base, 'Cairn', 'Photos'))).toEqual(['ok', 'will-create', null, null]);
    expect(await reasonOf(path.join(base, 'new', 'deeper', 'Photos'))).toEqual(['ok', 'will-create', null, null]);
    await mkdir(path.join(base, 'empty'));
    expect(await reasonOf(path.join(base, 'empty'))).toEqual(['ok', 'empty', null, null]);
    await mkdir(path.join(base, 'full'));
    await writeFile(path.join(base, 'full', 'a.txt'), 'a');
    await mkdir(path.join(base, 'full', 'sub'));
    expect(await reasonOf(`  ${path.join(base, 'full')}  `)).toEqual(['warning', 'not-empty', null, 2]);
  });

  it('refuses what cannot be a library folder', async () => {
    expect(await reasonOf('')).toEqual(['error', 'missing', null, null]);
    expect(await reasonOf('Documents/Photos')).toEqual(['error', 'not-absolute', null, null]);
    await writeFile(path.join(base, 'file.txt'), 'x');
    expect(await reasonOf(path.join(base, 'file.txt'))).toEqual(['error', 'not-folder', null, null]);
    expect(await reasonOf(path.join(base, 'file.txt', 'below'))).toEqual(['error', 'cannot-create', null, null]);
    expect(await reasonOf(path.join(base, 'profile'))).toEqual(['error', 'profile-folder', null, null]);
    expect(await reasonOf(path.join(base, 'profile', 'inside'))).toEqual(['error', 'profile-folder', null, null]);
    expect(await reasonOf(base)).toEqual(['error', 'profile-folder', null, null]);
    expect(await reasonOf(path.join(base, 'Cairn', 'Notes'))).toEqual(['error', 'is-library', 'Notes', null]);
    expect(await reasonOf(path.join(base, 'Cairn', 'Notes', 'sub'))).toEqual(['error', 'inside-library', 'Notes', null]);
    expect(await reasonOf(path.join(base, 'Cairn'))).toEqual(['error', 'contains-library', 'Notes', null]);
    // A link into a library is the library.
    await symlink(path.join(base, 'Cairn', 'Notes'), path.join(base, 'link'));
    expect(await reasonOf(path.join(base, 'link', 'x'))).toEqual(['error', 'inside-library', 'Notes', null]);
  });

  it.skipIf(process.getuid?.() === 0)('refuses a folder it cannot write in, or create in', async () => {
    await mkdir(path.join(base, 'locked'));
    await chmod(path.join(base, 'locked'), 0o555);
    expect(await reasonOf(path.join(base, 'locked'))).toEqual(['error', 'not-writable', null, null]);
    expect(await reasonOf(path.join(base, 'locked', 'Photos'))).toEqual(['error', 'cannot-create', null, null]);
  });

  it('uses the rules of the platform it runs on', async () => {
    const windows = { libraries: [{ name: 'Notes', localRoot: 'C:\\Users\\alice\\Cairn\\Notes' }], profileHome: 'C:\\Users\\alice\\AppData\\Cairn', pathApi: path.win32 };
    expect((await checkFolder('C:\\Users\\alice\\Cairn\\Photos', windows)).reason).toBe('will-create');
    expect((await checkFolder('/home/alice', windows)).reason).toBe('not-absolute');
    // Windows paths compare without case, as its disks do.
    expect((await checkFolder('c:\\users\\alice\\cairn\\notes\\x', windows)).reason).toBe('inside-library');
    expect((await checkFolder('C:\\Users\\alice\\Cairn\\Notes\\x', windows)).reason).toBe('inside-library');
  });
});

describe('suggestFolder', () => {
  it('suggests ~/Cairn/<name> for the first library, with the home and separator of the service', () => {
    expect(suggestFolder('Photos', { libraries: [], profileHome: '/p', homeDir: '/home/alice' })).toBe('/home/alice/Cairn/Photos');
    expect(suggestFolder('Photos', { libraries: [], profileHome: 'C:\\p', homeDir: 'C:\\Users\\alice', pathApi: path.win32 })).toBe('C:\\Users\\alice\\Cairn\\Photos');
  });

  it('puts later libraries beside the first one, never onto another library’s folder', () => {
    expect(suggestFolder('Photos', context)).toBe(path.join(base, 'Cairn', 'Photos'));
    expect(suggestFolder('Notes', context)).toBe(path.join(base, 'Cairn', 'Notes 2'));
  });

  it('makes a library name a folder name', () => {
    expect(folderNameOf('a/b:c*?')).toBe('a_b_c__');
    expect(folderNameOf('..')).toBe('_');
    expect(folderNameOf('  trailing dot. ')).toBe('trailing dot');
    expect(folderNameOf('')).toBe('Cairn library');
  });
});
