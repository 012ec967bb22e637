import { execFileSync } from 'node:child_process';
import { appendFile, chmod, mkdir, open, readFile, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  LibraryRootError,
  type ScanOptions,
  type ScanResult,
  scanLibrary,
} from '../../../src-main/engine/scanner/index.js';
import type { LocalEntry } from '../../../src-main/engine/syncModel.js';
import { DEFAULT_CHUNKING } from '../../../shared/model.js';
import { type LibraryPath, canonicalizeLocalPath, parseLibraryPath } from '../../../shared/paths.js';
import { type TempFolder, makeTempFolder } from '../localfs/tempFolder.js';
import { type CountingHasher, countingHasher, hashBytes } from './wholeFileHasher.js';

let temp: TempFolder;
beforeEach(async () => {
  temp = await makeTempFolder();
});
afterEach(async () => {
  // Undo chmod 000 so the folder can be removed.
  await chmod(path.join(temp.root, 'locked'), 0o755).catch(() => undefined);
  await temp.remove();
});

const p = parseLibraryPath;
const EMPTY: ReadonlyMap<LibraryPath, LocalEntry> = new Map();

async function scan(options: Partial<ScanOptions> & { hasher?: CountingHasher } = {}): Promise<ScanResult> {
  const hasher = options.hasher ?? countingHasher();
  return scanLibrary({
    root: temp.root,
    previous: EMPTY,
    hashFile: hasher.hashFile,
    chunking: DEFAULT_CHUNKING,
    retryDelayMs: 0,
    caseInsensitive: false,
    normalizationInsensitive: false,
    ...options,
  });
}

function paths(result: ScanResult): string[] {
  return [...result.local.keys()].sort();
}

function problems(result: ScanResult): [string, string, string][] {
  return result.problems.map((problem) => [problem.kind, problem.path, problem.name] as [string, string, string]).sort();
}

/** Whether this process can be stopped from reading a chmod 000 file (not as root). */
async function permissionsAreEnforced(): Promise<boolean> {
  const probe = await temp.file('probe');
  await chmod(probe, 0o000);
  try {
    await readFile(probe);
    return false;
  } catch {
    return true;
  } finally {
    await rm(probe, { force: true });
  }
}

describe('scanLibrary: a first scan', () => {
  it('records files and folders with their content, stat facts and executable bit', async () => {
    const bytes = Buffer.alloc(10_000, 7);
    await temp.file('docs/big.bin', bytes.toString('latin1'));
    await temp.file('docs/notes/a.txt', 'hello');
    await temp.file('run.sh', '#!/bin/sh');
    await chmod(path.join(temp.root, 'run.sh'), 0o755);
    await temp.folder('empty');
    const hasher = countingHasher();
    const result = await scan({ hasher });

    expect(paths(result)).toEqual(['docs', 'docs/big.bin', 'docs/notes', 'docs/notes/a.txt', 'empty', 'run.sh']);
    const big = result.local.get(p('docs/big.bin'));
    expect(big?.node).toEqual({ kind: 'file', contentHash: hashBytes(Buffer.from(bytes.toString('latin1'), 'utf8')).contentHash, size: big?.statSize, executable: false });
    expect(big?.chunks.length).toBeGreaterThan(1);
    expect(result.local.get(p('run.sh'))?.node).toMatchObject({ executable: true });
    expect(result.local.get(p('empty'))).toMatchObject({ node: { kind: 'dir' }, statSize: 0, chunks: [] });
    expect(result.stats).toMatchObject({ files: 3, folders: 3, filesHashed: 3, filesReused: 0 });
    expect(result.upserts).toHaveLength(6);
    expect(result.deletions).toEqual([]);
    expect(result.problems).toEqual([]);
    expect(hasher.calls).toHaveLength(3);
  });

  it('never hashes more files at once than hashConcurrency', async () => {
    for (let i = 0; i < 12; i++) await temp.file(`f${i}.txt`, `file ${i}`);
    const hasher = countingHasher();
    await scan({ hasher, hashConcurrency: 2 });
    expect(hasher.calls).toHaveLength(12);
    expect(hasher.maxInFlight()).toBe(2);
  });

  it('skips its own temp files, built-in ignored files and .cairnignore rules without reading them', async () => {
    await temp.file('.cairnignore', 'build/\n*.log\n!keep.log\n');
    await temp.file('.cairn-tmp-0123456789abcdef', 'half a download');
    await temp.file('sub/.cairn-tmp-fedcba9876543210', 'half a download');
    await temp.file('.DS_Store');
    await temp.file('~$report.docx');
    await temp.file('build/out.js');
    await temp.file('build/deep/more.js');
    await temp.file('server.log');
    await temp.file('keep.log');
    const hasher = countingHasher();
    const result = await scan({ hasher });
    expect(paths(result)).toEqual(['.cairnignore', 'keep.log', 'sub']);
    expect(hasher.calls.map((call) => path.basename(call)).sort()).toEqual(['.cairnignore', 'keep.log']);
    expect(result.ignore.isIgnored(p('build'), true)).toBe(true);
  });
});

describe('scanLibrary: rescans', () => {
  async function firstScan(): Promise<ScanResult> {
    await temp.file('a/one.txt', 'one');
    await temp.file('a/two.txt', 'two');
    await temp.file('b/three.txt', 'three');
    return scan();
  }

  it('reuses every unchanged file without reading it', async () => {
    const first = await firstScan();
    const hasher = countingHasher();
    const second = await scan({ previous: first.local, hasher });
    expect(hasher.calls).toEqual([]);
    expect(second.stats).toMatchObject({ files: 3, filesReused: 3, filesHashed: 0, bytesHashed: 0 });
    expect(second.upserts).toEqual([]);
    expect(second.deletions).toEqual([]);
    expect(second.local.get(p('a/one.txt'))).toBe(first.local.get(p('a/one.txt')));
  });

  it('does not read a file again after it was renamed or its folder moved (same inode, size and mtime)', async () => {
    const first = await firstScan();
    await rename(path.join(temp.root, 'a'), path.join(temp.root, 'renamed'));
    const hasher = countingHasher();
    const second = await scan({ previous: first.local, hasher });
    expect(hasher.calls).toEqual([]);
    expect(second.local.get(p('renamed/one.txt'))).toEqual({ ...first.local.get(p('a/one.txt')), path: 'renamed/one.txt' });
    expect([...second.deletions].sort()).toEqual(['a', 'a/one.txt', 'a/two.txt']);
  });

  it('takes each of two files that swapped names from the entry of the other, by inode, without reading either', async () => {
    const first = await firstScan();
    await rename(path.join(temp.root, 'a/one.txt'), path.join(temp.root, 'a/swap'));
    await rename(path.join(temp.root, 'a/two.txt'), path.join(temp.root, 'a/one.txt'));
    await rename(path.join(temp.root, 'a/swap'), path.join(temp.root, 'a/two.txt'));
    for (const statOnThisThread of [false, true]) {
      const hasher = countingHasher();
      const second = await scan({ previous: first.local, hasher, statOnThisThread });
      expect(hasher.calls).toEqual([]);
      expect(second.local.get(p('a/one.txt'))).toEqual({ ...first.local.get(p('a/two.txt')), path: 'a/one.txt' });
      expect(second.local.get(p('a/two.txt'))).toEqual({ ...first.local.get(p('a/one.txt')), path: 'a/two.txt' });
      expect(second.stats).toMatchObject({ files: 3, filesReused: 3, filesHashed: 0 });
    }
  });

  const changes = [
    {
      name: 'a modified file is read again',
      change: async () => writeFile(path.join(temp.root, 'a/one.txt'), 'one, edited'),
      hashed: ['one.txt'],
      upserted: ['a', 'a/one.txt'],
      deleted: [],
    },
    {
      name: 'a touched file (same bytes, new mtime) is read again',
      change: async () => utimes(path.join(temp.root, 'a/one.txt'), new Date(), new Date(Date.now() + 5_000)),
      hashed: ['one.txt'],
      upserted: ['a/one.txt'],
      deleted: [],
    },
    {
      name: 'a file replaced by another of the same size is read again (new inode)',
      change: async () => {
        const original = path.join(temp.root, 'a/one.txt');
        await writeFile(`${original}.new`, 'ONE');
        const { mtime } = await import('node:fs/promises').then((fs) => fs.stat(original));
        await utimes(`${original}.new`, mtime, mtime);
        await rename(`${original}.new`, original);
      },
      hashed: ['one.txt'],
      upserted: ['a', 'a/one.txt'],
      deleted: [],
    },
    {
      name: 'a deleted file is a deletion',
      change: async () => rm(path.join(temp.root, 'a/two.txt')),
      hashed: [],
      upserted: ['a'],
      deleted: ['a/two.txt'],
    },
    {
      name: 'a deleted folder deletes everything below it',
      change: async () => rm(path.join(temp.root, 'b'), { recursive: true }),
      hashed: [],
      upserted: [],
      deleted: ['b', 'b/three.txt'],
    },
  ];
  it.each(changes.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const first = await firstScan();
    await c.change();
    const hasher = countingHasher();
    const second = await scan({ previous: first.local, hasher });
    expect(hasher.calls.map((call) => path.basename(call))).toEqual(c.hashed);
    // Folder mtimes change when their contents do; only the listed files matter here.
    const upsertedFiles = second.upserts.map((entry) => entry.path).filter((entryPath) => entryPath.includes('.'));
    expect(upsertedFiles).toEqual(c.upserted.filter((entryPath) => entryPath.includes('.')));
    expect([...second.deletions].sort()).toEqual(c.deleted);
  });

  it('notices an executable bit change without reading the file', async () => {
    const first = await firstScan();
    await chmod(path.join(temp.root, 'a/one.txt'), 0o755);
    const hasher = countingHasher();
    const second = await scan({ previous: first.local, hasher });
    expect(hasher.calls).toEqual([]);
    expect(second.local.get(p('a/one.txt'))?.node).toMatchObject({ executable: true });
    expect(second.upserts.map((entry) => entry.path)).toEqual(['a/one.txt']);
  });

  it('keeps the previous executable bit where the disk has none', async () => {
    await temp.file('tool');
    const first = await scan();
    const marked = new Map(first.local);
    const tool = first.local.get(p('tool')) as LocalEntry;
    marked.set(p('tool'), { ...tool, node: { ...tool.node, executable: true } as LocalEntry['node'] });
    const second = await scan({ previous: marked, tracksExecutable: false });
    expect(second.local.get(p('tool'))?.node).toMatchObject({ executable: true });
  });
});

describe('scanLibrary: problems never look like deletions', () => {
  it('reports symlinks, never follows them, and keeps the entry of a file that became one', async () => {
    await temp.file('doc.txt', 'real file');
    await writeFile(path.join(temp.outside, 'secret.txt'), 'outside the library');
    const first = await scan();
    await rm(path.join(temp.root, 'doc.txt'));
    await symlink(path.join(temp.outside, 'secret.txt'), path.join(temp.root, 'doc.txt'));
    await symlink(temp.outside, path.join(temp.root, 'escape'));
    const hasher = countingHasher();
    const second = await scan({ previous: first.local, hasher });
    expect(problems(second)).toEqual([
      ['symlink', 'doc.txt', ''],
      ['symlink', 'escape', ''],
    ]);
    expect(hasher.calls).toEqual([]);
    expect(second.local.get(p('doc.txt'))).toBe(first.local.get(p('doc.txt')));
    expect(second.local.has(p('escape'))).toBe(false);
    expect(second.deletions).toEqual([]);
  });

  it('reports a file that keeps changing while read, after the retries, and keeps its old entry', async () => {
    await temp.file('log.txt', 'line 1\n');
    const first = await scan();
    await appendFile(path.join(temp.root, 'log.txt'), 'line 2\n');
    const hasher = countingHasher(async (absolute) => {
      await appendFile(absolute, 'another line\n');
    });
    const second = await scan({ previous: first.local, hasher, changeRetries: 2 });
    expect(hasher.calls).toHaveLength(3);
    expect(problems(second)).toEqual([['changing', 'log.txt', '']]);
    expect(second.local.get(p('log.txt'))).toBe(first.local.get(p('log.txt')));
  });

  it('succeeds on a retry when the file settles', async () => {
    await temp.file('doc.txt', 'draft');
    const hasher = countingHasher(async (absolute, attempt) => {
      if (attempt === 1) await writeFile(absolute, 'final version');
    });
    const result = await scan({ hasher });
    expect(hasher.calls).toHaveLength(2);
    expect(result.problems).toEqual([]);
    expect(result.local.get(p('doc.txt'))?.node).toMatchObject({ contentHash: hashBytes(Buffer.from('final version')).contentHash });
  });

  it('treats the hasher saying FileChangedWhileReading as a change', async () => {
    await temp.file('doc.txt', 'x');
    let calls = 0;
    const result = await scan({
      hashFile: async (absolute) => {
        calls++;
        if (calls === 1) throw Object.assign(new Error('changed under us'), { name: 'FileChangedWhileReading' });
        return hashBytes(await readFile(absolute));
      },
    });
    expect(calls).toBe(2);
    expect(result.local.has(p('doc.txt'))).toBe(true);
  });

  it('leaves out a new file deleted while it was read, without a problem', async () => {
    await temp.file('fleeting.tmpfile', 'x');
    const hasher = countingHasher(async (absolute) => rm(absolute));
    const result = await scan({ hasher });
    expect(result.local.has(p('fleeting.tmpfile'))).toBe(false);
    expect(result.problems).toEqual([]);
  });

  it('reports a read error from the hasher as unreadable and keeps the old entry', async () => {
    // A real disk read error cannot be produced here; the HashFile contract says errno errors
    // are per-file problems, which is what this checks.
    await temp.file('bad-sector.bin', 'x');
    const first = await scan();
    await writeFile(path.join(temp.root, 'bad-sector.bin'), 'changed');
    const result = await scan({
      previous: first.local,
      hashFile: async () => {
        throw Object.assign(new Error('i/o error'), { code: 'EIO' });
      },
    });
    expect(problems(result)).toEqual([['unreadable', 'bad-sector.bin', '']]);
    expect(result.local.get(p('bad-sector.bin'))).toBe(first.local.get(p('bad-sector.bin')));
  });

  it('lets a bug in the hasher end the scan', async () => {
    await temp.file('doc.txt', 'x');
    await expect(
      scan({
        hashFile: async () => {
          throw new TypeError('bug');
        },
      }),
    ).rejects.toThrow('bug');
  });

  it('reports an unreadable file (chmod 000) and keeps its old entry', async (context) => {
    if (!(await permissionsAreEnforced())) {
      context.skip('running as root: chmod 000 does not stop root from reading, so this case cannot fail a read here');
    }
    await temp.file('locked/secret.txt', 'x');
    const first = await scan();
    await writeFile(path.join(temp.root, 'locked/secret.txt'), 'changed');
    await chmod(path.join(temp.root, 'locked/secret.txt'), 0o000);
    const result = await scan({ previous: first.local });
    expect(problems(result)).toEqual([['unreadable', 'locked/secret.txt', '']]);
    expect(result.local.get(p('locked/secret.txt'))).toBe(first.local.get(p('locked/secret.txt')));
  });

  it('reports an unreadable folder (chmod 000) and keeps everything below it', async (context) => {
    if (!(await permissionsAreEnforced())) {
      context.skip('running as root: chmod 000 does not stop root from listing a folder, so this case cannot fail here');
    }
    await temp.file('locked/a.txt', 'a');
    await temp.file('locked/deep/b.txt', 'b');
    const first = await scan();
    await chmod(path.join(temp.root, 'locked'), 0o000);
    const result = await scan({ previous: first.local });
    expect(problems(result)).toEqual([['unreadable', 'locked', '']]);
    expect(paths(result)).toEqual(['locked', 'locked/a.txt', 'locked/deep', 'locked/deep/b.txt']);
    expect(result.deletions).toEqual([]);
  });

  it('reports a named pipe as a special file and never opens it', async (context) => {
    try {
      execFileSync('mkfifo', [path.join(temp.root, 'pipe')]);
    } catch {
      context.skip('mkfifo is not available on this system');
    }
    const hasher = countingHasher();
    const result = await scan({ hasher });
    expect(problems(result)).toEqual([['special-file', 'pipe', '']]);
    expect(hasher.calls).toEqual([]);
  });
});

describe('scanLibrary: names', () => {
  const decomposed = 'Cafe\u0301.txt'; // "Café.txt" in NFD, as old macOS disks wrote it
  const composed = 'Caf\u00e9.txt';

  it('reports a name that cannot be a library path, with its raw spelling', async () => {
    await temp.file('docs/back\\slash.txt');
    const result = await scan();
    expect(problems(result)).toEqual([['invalid-name', 'docs', 'back\\slash.txt']]);
    expect(paths(result)).toEqual(['docs']);
  });

  it('reports a name whose bytes are not UTF-8 (Linux) instead of passing it over in silence', async (context) => {
    if (process.platform !== 'linux') context.skip('only Linux disks hold names that are not UTF-8');
    await mkdir(path.join(temp.root, 'docs'));
    try {
      await writeFile(Buffer.concat([Buffer.from(path.join(temp.root, 'docs', 'ghost')), Buffer.from([0xff]), Buffer.from('.txt')]), 'boo');
    } catch (error) {
      // A file system that takes UTF-8 names only (EILSEQ) cannot hold such a name at all.
      context.skip(`this file system refuses names that are not UTF-8 (${(error as NodeJS.ErrnoException).code})`);
    }
    await temp.file('docs/ghost\ufffd.txt', 'a real replacement character');
    await temp.file('docs/fine.txt', 'fine');
    const result = await scan();
    // The name with the real U+FFFD and the one that only reads as it clash: neither can be told apart by name.
    expect(problems(result).map(([kind, folder]) => [kind, folder])).toEqual([
      ['case-clash', 'docs/ghost\ufffd.txt'],
      ['case-clash', 'docs/ghost\ufffd.txt'],
    ]);
    await rm(path.join(temp.root, 'docs', 'ghost\ufffd.txt'));
    const alone = await scan();
    expect(problems(alone)).toEqual([['invalid-name', 'docs', 'ghost\ufffd.txt']]);
    expect(alone.problems[0]?.message).toMatch(/not valid UTF-8/);
    expect(paths(alone)).toEqual(['docs', 'docs/fine.txt']);
  });

  it('reports a name that is not well-formed Unicode (a lone surrogate, as Windows allows)', () => {
    expect(canonicalizeLocalPath('docs\\ghost\ud800.txt', '\\')).toEqual({ ok: false, problem: 'not-unicode' });
    expect(canonicalizeLocalPath('docs/\udfffghost.txt', '/')).toEqual({ ok: false, problem: 'not-unicode' });
    expect(canonicalizeLocalPath('docs/\ud83d\ude00.txt', '/')).toMatchObject({ ok: true });
  });

  it('reports a name not in NFC where the disk tells the forms apart', async () => {
    await temp.file(decomposed);
    const result = await scan({ normalizationInsensitive: false });
    expect(problems(result)).toEqual([['invalid-name', '', decomposed]]);
    expect(result.local.size).toBe(0);
  });

  it('syncs a name not in NFC under its NFC form where the disk finds either (macOS)', async () => {
    await temp.file(decomposed, 'x');
    const result = await scan({ normalizationInsensitive: true });
    expect(paths(result)).toEqual([composed]);
  });

  it('reports names that differ only in case as clashes on a case-insensitive disk', async () => {
    await temp.file('Readme.md', 'one');
    await temp.file('README.md', 'two');
    await temp.file('docs/x.txt');
    await temp.file('DOCS/y.txt');
    const hasher = countingHasher();
    const result = await scan({ caseInsensitive: true, hasher });
    expect(problems(result)).toEqual([
      ['case-clash', 'DOCS', ''],
      ['case-clash', 'README.md', ''],
      ['case-clash', 'Readme.md', ''],
      ['case-clash', 'docs', ''],
    ]);
    expect(result.local.size).toBe(0);
    expect(hasher.calls).toEqual([]);
  });

  it('keeps the old entry of a file that now clashes', async () => {
    await temp.file('Readme.md', 'one');
    const first = await scan({ caseInsensitive: true });
    await temp.file('README.md', 'two');
    const second = await scan({ caseInsensitive: true, previous: first.local });
    expect(paths(second)).toEqual(['Readme.md']);
    expect(second.deletions).toEqual([]);
  });

  it('allows names differing in case on a case-sensitive disk', async () => {
    await temp.file('Readme.md', 'one');
    await temp.file('README.md', 'two');
    expect(paths(await scan({ caseInsensitive: false }))).toEqual(['README.md', 'Readme.md']);
  });

  it('reports two Unicode spellings of one name as a clash where the disk merges them', async () => {
    await temp.file(decomposed, 'nfd');
    await temp.file(composed, 'nfc');
    const result = await scan({ normalizationInsensitive: true });
    expect(problems(result).map(([kind, entryPath]) => [kind, entryPath])).toEqual([
      ['case-clash', composed],
      ['case-clash', composed],
    ]);
  });
});

describe('scanLibrary: the library root', () => {
  const cases = [
    { name: 'a missing root', setup: async () => rm(temp.root, { recursive: true }), reason: 'missing' },
    {
      name: 'a root that is a file',
      setup: async () => {
        await rm(temp.root, { recursive: true });
        await writeFile(temp.root, 'not a folder');
      },
      reason: 'not-a-folder',
    },
  ] as const;
  it.each(cases.map((c) => [c.name, c] as const))('throws LibraryRootError for %s', async (_name, c) => {
    await c.setup();
    const error = await scan().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LibraryRootError);
    expect((error as LibraryRootError).reason).toBe(c.reason);
    expect((error as Error).message).toMatch(/paused/);
  });

  it('scans a root that is itself a symlink', async () => {
    await temp.file('a.txt');
    const linked = path.join(temp.outside, 'linked');
    await symlink(temp.root, linked);
    expect(paths(await scan({ root: linked }))).toEqual(['a.txt']);
  });

  it('stops when aborted', async () => {
    await temp.file('a.txt');
    const controller = new AbortController();
    controller.abort();
    await expect(scan({ signal: controller.signal })).rejects.toThrow(/abort/i);
  });
});

describe('scanLibrary: partial scans (only)', () => {
  async function firstScan(): Promise<ScanResult> {
    await temp.file('a/one.txt', 'one');
    await temp.file('a/sub/two.txt', 'two');
    await temp.file('b/three.txt', 'three');
    return scan();
  }

  it('looks only at the given folders and keeps the rest as it was', async () => {
    const first = await firstScan();
    await writeFile(path.join(temp.root, 'a/one.txt'), 'one, edited');
    await writeFile(path.join(temp.root, 'b/three.txt'), 'three, edited');
    const hasher = countingHasher();
    const result = await scan({ previous: first.local, only: [p('a')], hasher });
    expect(hasher.calls.map((call) => path.basename(call))).toEqual(['one.txt']);
    expect(result.scope).toEqual(['a']);
    expect(result.local.get(p('b/three.txt'))).toBe(first.local.get(p('b/three.txt')));
    expect(result.local.get(p('a/one.txt'))?.node).toMatchObject({ contentHash: hashBytes(Buffer.from('one, edited')).contentHash });
  });

  it('sees a single file deleted', async () => {
    const first = await firstScan();
    await rm(path.join(temp.root, 'a/sub/two.txt'));
    const result = await scan({ previous: first.local, only: [p('a/sub/two.txt')] });
    expect(result.deletions).toEqual(['a/sub/two.txt']);
    expect(result.scope).toEqual(['a/sub/two.txt']);
  });

  it('widens to a deleted parent folder', async () => {
    const first = await firstScan();
    await rm(path.join(temp.root, 'a'), { recursive: true });
    const result = await scan({ previous: first.local, only: [p('a/sub/two.txt')] });
    expect(result.scope).toEqual(['a']);
    expect([...result.deletions].sort()).toEqual(['a', 'a/one.txt', 'a/sub', 'a/sub/two.txt']);
  });

  it('widens to a new parent folder', async () => {
    const first = await firstScan();
    await temp.file('c/d/new.txt', 'new');
    const result = await scan({ previous: first.local, only: [p('c/d/new.txt')] });
    expect(result.scope).toEqual(['c']);
    expect(result.upserts.map((entry) => entry.path).sort()).toEqual(['c', 'c/d', 'c/d/new.txt']);
  });

  it('widens to a folder that became a symlink, keeping what was below it', async () => {
    const first = await firstScan();
    await rename(path.join(temp.root, 'a'), path.join(temp.outside, 'a'));
    await symlink(path.join(temp.outside, 'a'), path.join(temp.root, 'a'));
    const result = await scan({ previous: first.local, only: [p('a/one.txt')] });
    expect(result.scope).toEqual(['a']);
    expect(problems(result)).toEqual([['symlink', 'a', '']]);
    expect(result.deletions).toEqual([]);
  });

  it('finds a name only by its exact spelling, so a case-only rename is a deletion plus a new name', async () => {
    await temp.file('Readme.md', 'x');
    const first = await scan({ caseInsensitive: true });
    await rename(path.join(temp.root, 'Readme.md'), path.join(temp.root, 'README.md'));
    const result = await scan({ caseInsensitive: true, previous: first.local, only: [p('Readme.md'), p('README.md')] });
    expect(paths(result)).toEqual(['README.md']);
    expect(result.deletions).toEqual(['Readme.md']);
  });

  it('drops scopes inside other scopes', async () => {
    const first = await firstScan();
    const result = await scan({ previous: first.local, only: [p('a/sub'), p('a'), p('a/one.txt')] });
    expect(result.scope).toEqual(['a']);
  });
});

describe('scanLibrary: speed', () => {
  it('rescans 2,000 unchanged files without reading any', async () => {
    for (let folder = 0; folder < 20; folder++) {
      await mkdir(path.join(temp.root, `f${folder}`));
      for (let file = 0; file < 100; file++) {
        const handle = await open(path.join(temp.root, `f${folder}`, `${file}.txt`), 'w');
        await handle.close();
      }
    }
    const first = await scan();
    const hasher = countingHasher();
    const started = performance.now();
    const second = await scan({ previous: first.local, hasher });
    console.info(`scanner: rescanned ${second.stats.files} unchanged files in ${(performance.now() - started).toFixed(0)} ms`);
    expect(hasher.calls).toEqual([]);
    expect(second.stats.filesReused).toBe(2_000);
  });
});
