import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UnsafePathError, resolveInRoot } from '../../../src-main/engine/localfs/index.js';
import type { LibraryPath } from '../../../shared/paths.js';
import { type TempFolder, makeTempFolder } from './tempFolder.js';

let temp: TempFolder;
beforeEach(async () => {
  temp = await makeTempFolder();
  await temp.file('docs/readme.txt');
  await mkdir(path.join(temp.outside, 'secrets'), { recursive: true });
  await writeFile(path.join(temp.outside, 'secrets', 'key.txt'), 'outside the library');
  await symlink(temp.outside, path.join(temp.root, 'escape'));
  await symlink(path.join(temp.outside, 'secrets', 'key.txt'), path.join(temp.root, 'docs', 'link.txt'));
  await temp.folder('docs/deep/er');
  await symlink(temp.outside, path.join(temp.root, 'docs', 'deep', 'er', 'hop'));
});
afterEach(async () => temp.remove());

// Built by cast on purpose: these strings must never pass as LibraryPaths, and the function
// must check at runtime too, because a cast or a bug elsewhere can smuggle one in.
const raw = (text: string) => text as LibraryPath;

interface Refused {
  readonly name: string;
  readonly path: string;
  readonly reason: UnsafePathError['reason'];
  readonly at?: string;
}

const refusedCases: readonly Refused[] = [
  { name: 'parent segment', path: '../outside/secrets/key.txt', reason: 'not-canonical' },
  { name: 'parent segment in the middle', path: 'docs/../../outside', reason: 'not-canonical' },
  { name: 'absolute path', path: '/etc/passwd', reason: 'not-canonical' },
  { name: 'backslash', path: 'docs\\..\\..\\x', reason: 'not-canonical' },
  { name: 'empty path', path: '', reason: 'not-canonical' },
  { name: 'a symlinked folder pointing outside', path: 'escape/secrets/key.txt', reason: 'symlink', at: 'escape' },
  { name: 'the symlinked folder itself', path: 'escape', reason: 'symlink', at: 'escape' },
  { name: 'a new file inside a symlinked folder', path: 'escape/new.txt', reason: 'symlink', at: 'escape' },
  { name: 'a symlinked file', path: 'docs/link.txt', reason: 'symlink', at: 'docs/link.txt' },
  { name: 'a symlink deep in the chain', path: 'docs/deep/er/hop/secrets/key.txt', reason: 'symlink', at: 'docs/deep/er/hop' },
  { name: 'a file used as a folder', path: 'docs/readme.txt/child', reason: 'not-a-folder', at: 'docs/readme.txt' },
];

const allowedCases: readonly { readonly name: string; readonly path: string }[] = [
  { name: 'an existing file', path: 'docs/readme.txt' },
  { name: 'an existing folder', path: 'docs/deep' },
  { name: 'a new file in an existing folder', path: 'docs/new.txt' },
  { name: 'a new file below missing folders', path: 'new/folder/file.txt' },
  { name: 'a name with dots that is not a dot segment', path: 'docs/..hidden' },
];

describe('resolveInRoot', () => {
  it.each(refusedCases.map((c) => [c.name, c] as const))('refuses %s', async (_name, c) => {
    const error = await resolveInRoot(temp.root, raw(c.path)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnsafePathError);
    expect((error as UnsafePathError).reason).toBe(c.reason);
    if (c.at !== undefined) expect((error as UnsafePathError).at).toBe(c.at);
  });

  it.each(allowedCases.map((c) => [c.name, c] as const))('resolves %s below the root', async (_name, c) => {
    const resolved = await resolveInRoot(temp.root, raw(c.path));
    expect(resolved).toBe(path.join(temp.root, ...c.path.split('/')));
  });

  it('accepts a root that is itself a symlink (the user chose it)', async () => {
    const linkedRoot = path.join(temp.outside, 'linked-root');
    await symlink(temp.root, linkedRoot);
    expect(await resolveInRoot(linkedRoot, raw('docs/readme.txt'))).toBe(path.join(linkedRoot, 'docs', 'readme.txt'));
  });

  it('refuses a relative root as a programming error', async () => {
    await expect(resolveInRoot('relative/root', raw('a.txt'))).rejects.toThrow(TypeError);
  });
});
