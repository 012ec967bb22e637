// The scanner's synchronous stat path (ScanOptions.statOnThisThread, used by one-shot `cairn`
// commands): it sees exactly what the thread-pool path sees (unchanged files reused without
// reading them, changed, deleted and new files, a file replaced by a symlink or a folder, a
// vanished or unreadable entry), and it really stats on this thread.

import * as fs from 'node:fs';
import { chmod, mkdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ScanOptions, type ScanResult, scanLibrary } from '../../../src-main/engine/scanner/index.js';
import type { LocalEntry } from '../../../src-main/engine/syncModel.js';
import { DEFAULT_CHUNKING } from '../../../shared/model.js';
import { type LibraryPath, parseLibraryPath } from '../../../shared/paths.js';
import { type TempFolder, makeTempFolder } from '../localfs/tempFolder.js';
import { countingHasher } from './wholeFileHasher.js';

vi.mock('node:fs', async (importOriginal) => {
  const original = await importOriginal<typeof fs>();
  return { ...original, lstatSync: vi.fn(original.lstatSync), readdirSync: vi.fn(original.readdirSync) };
});

let temp: TempFolder;
beforeEach(async () => {
  temp = await makeTempFolder();
  vi.mocked(fs.lstatSync).mockClear();
  vi.mocked(fs.readdirSync).mockClear();
});
afterEach(async () => {
  await chmod(path.join(temp.root, 'locked'), 0o755).catch(() => undefined);
  await temp.remove();
});

const p = parseLibraryPath;

function scan(options: Partial<ScanOptions> & { previous: ReadonlyMap<LibraryPath, LocalEntry> }, hasher = countingHasher()): Promise<ScanResult> {
  return scanLibrary({ root: temp.root, hashFile: hasher.hashFile, chunking: DEFAULT_CHUNKING, retryDelayMs: 0, caseInsensitive: false, normalizationInsensitive: false, ...options });
}

/** What a scan found, comparable between two scans (problems sorted). */
function outcome(result: ScanResult) {
  return {
    local: [...result.local.entries()].sort(([a], [b]) => (a < b ? -1 : 1)),
    upserts: [...result.upserts].sort((a, b) => (a.path < b.path ? -1 : 1)),
    deletions: [...result.deletions].sort(),
    problems: [...result.problems].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.kind < b.kind ? -1 : 1)),
    stats: { ...result.stats, durationMs: 0 },
  };
}

describe('scanLibrary with statOnThisThread', () => {
  it('sees what the thread-pool path sees: unchanged, changed, deleted, new, symlinked and retyped entries', async () => {
    for (let folder = 0; folder < 3; folder++) for (let file = 0; file < 40; file++) await temp.file(`f${folder}/n${file}.txt`, `file ${folder}/${file}`);
    await temp.file('same-size.txt', 'aaaa');
    await temp.file('to-symlink.txt', 'a real file');
    await temp.file('to-folder.txt', 'a file, soon a folder');
    await temp.file('gone/inside.txt', 'deleted with its folder');
    const first = await scan({ previous: new Map() });

    await writeFile(path.join(temp.root, 'f0/n1.txt'), 'changed, and longer than before');
    await writeFile(path.join(temp.root, 'same-size.txt'), 'bbbb');
    await utimes(path.join(temp.root, 'same-size.txt'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    await rm(path.join(temp.root, 'f1/n2.txt'));
    await rm(path.join(temp.root, 'gone'), { recursive: true });
    await rm(path.join(temp.root, 'to-symlink.txt'));
    await symlink(path.join(temp.outside), path.join(temp.root, 'to-symlink.txt'));
    await rm(path.join(temp.root, 'to-folder.txt'));
    await mkdir(path.join(temp.root, 'to-folder.txt'));
    await temp.file('f2/new.txt', 'new');

    const pooled = countingHasher();
    const here = countingHasher();
    const byPool = await scan({ previous: first.local }, pooled);
    const byThisThread = await scan({ previous: first.local, statOnThisThread: true }, here);

    expect(outcome(byThisThread)).toEqual(outcome(byPool));
    expect(here.calls.sort()).toEqual(pooled.calls.sort());
    expect(here.calls.map((file) => path.relative(temp.root, file)).sort()).toEqual(['f0/n1.txt', 'f2/new.txt', 'same-size.txt']);
    expect(byThisThread.stats).toMatchObject({ filesReused: 118, filesHashed: 3 });
    expect([...byThisThread.deletions].sort()).toEqual(['f1/n2.txt', 'gone', 'gone/inside.txt']);
    expect(byThisThread.problems.map((problem) => [problem.kind, problem.path])).toEqual([['symlink', 'to-symlink.txt']]);
    // A file that became a symlink keeps its entry (never a deletion); one that became a folder is a folder.
    expect(byThisThread.local.get(p('to-symlink.txt'))).toBe(first.local.get(p('to-symlink.txt')));
    expect(byThisThread.local.get(p('to-folder.txt'))?.node.kind).toBe('dir');
    // Every entry was looked at with synchronous calls.
    expect(vi.mocked(fs.lstatSync).mock.calls.length).toBeGreaterThanOrEqual(byThisThread.stats.files + byThisThread.stats.folders + 1);
    expect(vi.mocked(fs.readdirSync).mock.calls.length).toBe(byThisThread.stats.folders + 1);
  });

  it('reports an unreadable folder and keeps what was below it, as the thread-pool path does', async (context) => {
    if (process.getuid?.() === 0) context.skip();
    await temp.file('locked/inside.txt', 'kept');
    const first = await scan({ previous: new Map() });
    await chmod(path.join(temp.root, 'locked'), 0o000);
    const byPool = await scan({ previous: first.local });
    const byThisThread = await scan({ previous: first.local, statOnThisThread: true });
    expect(outcome(byThisThread)).toEqual(outcome(byPool));
    expect(byThisThread.local.has(p('locked/inside.txt'))).toBe(true);
  });

  it('stats each file it reads on this thread too, before and after reading it', async () => {
    const names = ['a.txt', 'sub/b.txt', 'sub/c.txt'];
    for (const name of names) await temp.file(name, `contents of ${name}`);
    const result = await scan({ previous: new Map(), statOnThisThread: true });
    expect(result.stats).toMatchObject({ filesHashed: 3 });
    const statsOf = (name: string) => vi.mocked(fs.lstatSync).mock.calls.filter(([file]) => file === path.join(temp.root, name)).length;
    // Listed, then before and after its read.
    for (const name of names) expect(statsOf(name)).toBe(3);
  });

  it('is not used unless asked for', async () => {
    await temp.file('a.txt', 'a');
    await scan({ previous: new Map() });
    expect(vi.mocked(fs.lstatSync)).not.toHaveBeenCalled();
    expect(vi.mocked(fs.readdirSync)).not.toHaveBeenCalled();
  });
});
