// diskMatchesRecord (the one-shot command's check that a scan would find nothing changed): true
// exactly where a scan of the whole library, given the recorded local state, would find no
// upsert, no deletion and no problem.

import { chmod, mkdir, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIgnoreMatcher } from '../../../src-main/engine/ignore/index.js';
import { type LocalSignature, type RecordedState, type ScanResult, diskMatchesRecord, scanLibrary } from '../../../src-main/engine/scanner/index.js';
import type { LocalEntry } from '../../../src-main/engine/syncModel.js';
import { DEFAULT_CHUNKING } from '../../../shared/model.js';
import type { LibraryPath } from '../../../shared/paths.js';
import { type TempFolder, makeTempFolder } from '../localfs/tempFolder.js';
import { countingHasher } from './wholeFileHasher.js';

let temp: TempFolder;
beforeEach(async () => {
  temp = await makeTempFolder();
});
afterEach(async () => {
  await chmod(path.join(temp.root, 'docs'), 0o755).catch(() => undefined);
  await temp.remove();
});

function scan(previous: ReadonlyMap<LibraryPath, LocalEntry>): Promise<ScanResult> {
  return scanLibrary({ root: temp.root, previous, hashFile: countingHasher().hashFile, chunking: DEFAULT_CHUNKING, retryDelayMs: 0, caseInsensitive: false, normalizationInsensitive: false, statOnThisThread: true });
}

/** The signatures of a local state, as the index keeps them; `filesRead` counts the reads of the files' ones. */
function signaturesOf(local: ReadonlyMap<LibraryPath, LocalEntry>, filesRead = { count: 0 }): RecordedState {
  const of = (kind: 'file' | 'dir') =>
    new Map<LibraryPath, LocalSignature>(
      [...local].filter(([, entry]) => entry.node.kind === kind).map(([entryPath, entry]) => [entryPath, [entry.node.kind, entry.statSize, entry.mtimeMs, entry.inode, entry.node.kind === 'file' && entry.node.executable ? 1 : 0]]),
    );
  return {
    folders: of('dir'),
    files: () => {
      filesRead.count++;
      return of('file');
    },
  };
}

const old = new Date('2024-01-01T00:00:00Z');
const cases: readonly { readonly name: string; readonly change: () => Promise<unknown>; readonly matches: boolean; readonly rules?: string }[] = [
  { name: 'nothing changed', change: async () => undefined, matches: true },
  { name: 'an ignored file added (the scan leaves it out)', change: async () => {
      await writeFile(path.join(temp.root, 'docs/notes.tmp'), 'x');
      // As the folder was recorded (adding a name changes its time, which a scan records).
      await utimes(path.join(temp.root, 'docs'), old, old);
    }, matches: true },
  { name: 'an ignored file added, its folder time changed', change: () => writeFile(path.join(temp.root, 'docs/notes.tmp'), 'x'), matches: false },
  { name: 'a file ignored by .cairnignore added', rules: 'build/\n', change: () => temp.file('build/out.bin', 'x'), matches: true },
  { name: 'a file rewritten with the same size (new time)', change: () => writeFile(path.join(temp.root, 'docs/a.txt'), 'A'), matches: false },
  { name: 'a file touched (same bytes, new time)', change: () => utimes(path.join(temp.root, 'docs/a.txt'), old, new Date(Date.now() + 5_000)), matches: false },
  { name: 'a file replaced by a copy with its times (new inode)', change: async () => {
      await writeFile(path.join(temp.root, 'docs/a.new'), 'a');
      await utimes(path.join(temp.root, 'docs/a.new'), old, old);
      await rename(path.join(temp.root, 'docs/a.new'), path.join(temp.root, 'docs/a.txt'));
    }, matches: false },
  { name: 'a file made executable', change: () => chmod(path.join(temp.root, 'docs/a.txt'), 0o755), matches: false },
  { name: 'a file added', change: () => writeFile(path.join(temp.root, 'docs/new.txt'), 'new'), matches: false },
  { name: 'a file deleted', change: () => rm(path.join(temp.root, 'top.txt')), matches: false },
  { name: 'a folder renamed', change: () => rename(path.join(temp.root, 'docs'), path.join(temp.root, 'papers')), matches: false },
  { name: 'a file replaced by a symlink', change: async () => {
      await rm(path.join(temp.root, 'top.txt'));
      await symlink('docs/a.txt', path.join(temp.root, 'top.txt'));
    }, matches: false },
  { name: 'a temp file of ours left behind', change: () => writeFile(path.join(temp.root, 'docs/.cairn-tmp-0123456789abcdef'), 'x'), matches: false },
  { name: 'a name read with U+FFFD', change: () => writeFile(path.join(temp.root, 'docs/odd\ufffd.txt'), 'x'), matches: false },
  { name: 'a folder that cannot be listed', change: () => chmod(path.join(temp.root, 'docs'), 0), matches: false },
  { name: 'the ignore rules changed (the rules file is an entry)', rules: 'build/\n', change: () => writeFile(path.join(temp.root, '.cairnignore'), 'build/\nother/\n'), matches: false },
];

describe('diskMatchesRecord', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    await temp.file('docs/a.txt', 'a');
    await temp.file('docs/deep/b.txt', 'bb');
    await temp.file('top.txt', 'top');
    if (c.rules !== undefined) await temp.file('.cairnignore', c.rules);
    await utimes(path.join(temp.root, 'docs'), old, old);
    const recorded = await scan(new Map());
    await c.change();
    // Running as root, a folder without permissions is still listed: nothing to tell then.
    if (c.name === 'a folder that cannot be listed' && process.getuid?.() === 0) return;
    const ignore = createIgnoreMatcher(c.rules);
    const matches = diskMatchesRecord(temp.root, signaturesOf(recorded.local), ignore);
    expect(matches).toBe(c.matches);
    // Where it says so, a scan from the recorded state indeed finds nothing to change.
    const again = await scan(recorded.local);
    const unchanged = again.upserts.length === 0 && again.deletions.length === 0 && again.problems.length === 0;
    if (matches) expect(unchanged).toBe(true);
    if (c.rules === undefined && c.name !== 'a name read with U+FFFD' && c.name !== 'a temp file of ours left behind') expect(unchanged).toBe(c.matches);
  });

  it('answers false for an empty record of a folder holding files, and for a missing root', async () => {
    await temp.file('x.txt', 'x');
    expect(diskMatchesRecord(temp.root, signaturesOf(new Map()), createIgnoreMatcher(undefined))).toBe(false);
    await mkdir(path.join(temp.root, 'empty'));
    expect(diskMatchesRecord(path.join(temp.root, 'missing'), signaturesOf(new Map()), createIgnoreMatcher(undefined))).toBe(false);
  });

  it('tells a renamed folder, or a file saved by renaming into place, by the folders alone (the files are not read)', async () => {
    await temp.file('docs/a.txt', 'a');
    await temp.file('docs/deep/b.txt', 'bb');
    const recorded = await scan(new Map());
    const filesRead = { count: 0 };
    expect(diskMatchesRecord(temp.root, signaturesOf(recorded.local, filesRead), createIgnoreMatcher(undefined))).toBe(true);
    expect(filesRead.count).toBe(1);
    await writeFile(path.join(temp.root, 'docs/deep/b.new'), 'BB');
    await rename(path.join(temp.root, 'docs/deep/b.new'), path.join(temp.root, 'docs/deep/b.txt'));
    expect(diskMatchesRecord(temp.root, signaturesOf(recorded.local, filesRead), createIgnoreMatcher(undefined))).toBe(false);
    await rename(path.join(temp.root, 'docs'), path.join(temp.root, 'papers'));
    expect(diskMatchesRecord(temp.root, signaturesOf(recorded.local, filesRead), createIgnoreMatcher(undefined))).toBe(false);
    expect(filesRead.count).toBe(1);
  });
});
