// Problems the user can act on, against a real server: a dismissed problem stays dismissed
// while it persists and no longer counts, comes back as new when it changes kind or returns
// after going away; a badly named file is renamed in place (never over another file, never
// outside the library) and then syncs; paths that would lead outside the library folder stay
// listed across a restart.

import { execFileSync } from 'node:child_process';
import { mkdir, readdir, symlink, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkPortableName } from '../../shared/paths.js';
import type { LibraryPath } from '../../shared/paths.js';
import { Engine } from '../../src-main/engine/engine.js';
import { renameInFolder } from '../../src-main/engine/localfs/index.js';
import { startHarness } from './harness.js';
import type { Harness } from './harness.js';

let harness: Harness;
beforeEach(async () => {
  harness = await startHarness();
});
afterEach(async () => {
  await harness.stop();
});

const key = (problem: { kind: string; path: string; name: string; dismissedAt: number | null }) => ({ kind: problem.kind, path: problem.path, name: problem.name, dismissed: problem.dismissedAt !== null });

describe('dismissing a problem', () => {
  it('lasts while the same problem does, and a changed or returning problem shows again', async () => {
    const client = await harness.client('laptop', { libraryName: 'Docs' });
    await client.write('notes.txt', 'notes');
    await symlink('/etc', path.join(client.root, 'etc-link'));
    await client.sync();
    const problems = () => client.engine.problems(client.libraryId).map(key);
    expect(problems()).toEqual([{ kind: 'symlink', path: 'etc-link', name: '', dismissed: false }]);

    client.engine.setProblemDismissed(client.libraryId, { kind: 'symlink', path: 'etc-link' as LibraryPath, name: '' }, true);
    expect(problems()).toEqual([{ kind: 'symlink', path: 'etc-link', name: '', dismissed: true }]);
    // Seen again by the next rounds: still dismissed.
    await client.write('more.txt', 'more');
    await client.sync();
    await client.sync();
    expect(problems()).toEqual([{ kind: 'symlink', path: 'etc-link', name: '', dismissed: true }]);
    // An unknown problem cannot be dismissed.
    expect(() => client.engine.setProblemDismissed(client.libraryId, { kind: 'unreadable', path: 'etc-link' as LibraryPath, name: '' }, true)).toThrow(/no such problem/);

    // The link becomes a FIFO: another kind of problem at the same path, which shows.
    await unlink(path.join(client.root, 'etc-link'));
    execFileSync('mkfifo', [path.join(client.root, 'etc-link')]);
    await client.sync();
    expect(problems()).toEqual([{ kind: 'special-file', path: 'etc-link', name: '', dismissed: false }]);

    // Brought back, dismissed again, then gone and back: a new problem.
    client.engine.setProblemDismissed(client.libraryId, { kind: 'special-file', path: 'etc-link' as LibraryPath, name: '' }, true);
    client.engine.setProblemDismissed(client.libraryId, { kind: 'special-file', path: 'etc-link' as LibraryPath, name: '' }, false);
    expect(problems()).toEqual([{ kind: 'special-file', path: 'etc-link', name: '', dismissed: false }]);
    client.engine.setProblemDismissed(client.libraryId, { kind: 'special-file', path: 'etc-link' as LibraryPath, name: '' }, true);
    await unlink(path.join(client.root, 'etc-link'));
    await client.sync();
    expect(problems()).toEqual([]);
    execFileSync('mkfifo', [path.join(client.root, 'etc-link')]);
    await client.sync();
    expect(problems()).toEqual([{ kind: 'special-file', path: 'etc-link', name: '', dismissed: false }]);
  });
});

describe('renaming a badly named file', () => {
  it('renames it in place, it then syncs, and the other computer gets it', async () => {
    const laptop = await harness.client('laptop', { libraryName: 'Docs' });
    await mkdir(path.join(laptop.root, 'sub'));
    await writeFile(path.join(laptop.root, 'sub', 'bad\\name.txt'), 'content');
    await writeFile(path.join(laptop.root, 'sub', 'taken.txt'), 'another file');
    await laptop.sync();
    expect(laptop.engine.problems(laptop.libraryId).map((problem) => [problem.kind, problem.path, problem.name])).toEqual([['invalid-name', 'sub', 'bad\\name.txt']]);

    // Never over another file, never a name another system refuses.
    await expect(laptop.engine.renameLocalItem(laptop.libraryId, 'sub' as LibraryPath, 'bad\\name.txt', 'taken.txt')).rejects.toMatchObject({ reason: 'conflict' });
    await expect(laptop.engine.renameLocalItem(laptop.libraryId, 'sub' as LibraryPath, 'bad\\name.txt', 'a:b.txt')).rejects.toMatchObject({ reason: 'invalid' });
    await expect(laptop.engine.renameLocalItem(laptop.libraryId, 'sub' as LibraryPath, 'bad\\name.txt', '../escape.txt')).rejects.toMatchObject({ reason: 'invalid' });
    await expect(laptop.engine.renameLocalItem(laptop.libraryId, 'sub' as LibraryPath, 'gone.txt', 'x.txt')).rejects.toMatchObject({ reason: 'not-found' });
    expect((await readdir(path.join(laptop.root, 'sub'))).sort()).toEqual(['bad\\name.txt', 'taken.txt']);

    await laptop.engine.renameLocalItem(laptop.libraryId, 'sub' as LibraryPath, 'bad\\name.txt', 'bad name.txt');
    expect((await readdir(path.join(laptop.root, 'sub'))).sort()).toEqual(['bad name.txt', 'taken.txt']);
    await laptop.sync();
    expect(laptop.engine.problems(laptop.libraryId)).toEqual([]);
    const desktop = await harness.client('desktop', { libraryId: laptop.libraryId });
    await desktop.sync();
    expect(await desktop.read('sub/bad name.txt')).toBe('content');
  });

  it('refuses a folder reached through a symlink', async () => {
    const laptop = await harness.client('laptop', { libraryName: 'Docs' });
    const outside = path.join(harness.base, 'outside');
    await mkdir(outside);
    await writeFile(path.join(outside, 'secret.txt'), 'x');
    await symlink(outside, path.join(laptop.root, 'link'));
    await expect(renameInFolder(laptop.root, 'link' as LibraryPath, 'secret.txt', 'moved.txt')).rejects.toMatchObject({ name: 'UnsafePathError' });
    expect(await readdir(outside)).toEqual(['secret.txt']);
  });

  it.each([
    ['a plain name', 'report 2024.txt', true],
    ['Chinese', '报告.txt', true],
    ['a backslash', 'a\\b', false],
    ['a slash', 'a/b', false],
    ['a colon (Windows)', 'a:b', false],
    ['a reserved device name (Windows)', 'CON.txt', false],
    ['a trailing dot', 'name.', false],
    ['a control character', 'a\u0001b', false],
    ['empty', '', false],
    ['dot-dot', '..', false],
  ])('checkPortableName: %s', (_name, candidate, ok) => {
    expect(checkPortableName(candidate).ok).toBe(ok);
  });
});

describe('paths that would lead outside the library folder', () => {
  it('stay listed as problems across a restart', async () => {
    const laptop = await harness.client('laptop', { libraryName: 'Docs' });
    await laptop.write('docs/a.txt', 'a');
    await laptop.sync();
    const desktop = await harness.client('desktop', { libraryId: laptop.libraryId });
    const outside = path.join(harness.base, 'elsewhere');
    await mkdir(outside);
    // The folder on this computer is a link out of the library: nothing may be written through it.
    await symlink(outside, path.join(desktop.root, 'docs'));
    await desktop.syncRaw();
    const unsafe = () => desktop.engine.problems(desktop.libraryId).filter((problem) => problem.kind === 'unsafe-path').map((problem) => problem.path);
    expect(unsafe().length).toBeGreaterThan(0);
    expect(await readdir(outside)).toEqual([]);
    const before = unsafe();
    await desktop.engine.close();
    const reopened = await Engine.open({ home: desktop.home, deviceName: 'desktop' });
    try {
      expect(reopened.problems(desktop.libraryId).filter((problem) => problem.kind === 'unsafe-path').map((problem) => problem.path)).toEqual(before);
    } finally {
      await reopened.close();
    }
  });
});
