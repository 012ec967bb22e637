// Named scenarios over small trees: folders, type changes, ignore rules, selective sync, moves,
// case clashes, conflict names and odd input. Each row gives the plan expected for the first
// round; every row is then run to convergence in the simulator, which must lose nothing and
// (unless the row expects problems) leave both sides and the base in agreement.

import { describe as group, expect, it } from 'vitest';
import { isSameOrBelow } from '../../../shared/paths.js';
import type { LibraryPath } from '../../../shared/paths.js';
import { planLibrary, summarizePlan } from '../../../src-main/engine/planner/index.js';
import type { Options, Scenario, TreeSpec } from './fixtures.js';
import { MARK, buildStates, d, describePlan, f, fileNode, p, plan } from './fixtures.js';
import { converge } from './converge.js';

interface Row {
  readonly name: string;
  readonly scenario: Scenario;
  readonly options?: Options;
  readonly expected: string[];
  /** Paths the round leaves out of sync on purpose (ignored, unselected). */
  readonly skipped?: (path: LibraryPath) => boolean;
  /** Set when the plan reports problems, so the sides are expected to stay apart. */
  readonly staysApart?: boolean;
}

const below = (...roots: string[]) => (path: LibraryPath) => roots.some((root) => isSameOrBelow(path, p(root)));

const ignoreTmp: Options = { isIgnored: (path) => path.endsWith('.tmp') || below('node_modules')(path) };
const isIgnoredTmp = ignoreTmp.isIgnored ?? (() => false);
const unselected = below('docs/big', 'photos', 'archive');
const selective: Options = { isSelected: (path) => !unselected(path) };

const hundredFiles = (inodeBase: number): TreeSpec =>
  Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`img${String(i).padStart(3, '0')}.jpg`, f(`I${i}`, { inode: inodeBase + i })]));

const rows: Row[] = [
  // ---- Folders: both deleted, edit beats delete recursively. ----
  {
    name: 'folder deleted on both sides: the base forgets it',
    scenario: { synced: { d: d({ x: f('A') }) } },
    expected: ['forgetSynced d', 'forgetSynced d/x'],
  },
  {
    name: 'folder deleted on the server, a file inside edited locally: folder and edit kept, the rest deleted',
    scenario: { synced: { d: d({ x: f('A'), y: f('Y') }) }, local: { d: d({ x: f('B'), y: f('Y') }) } },
    expected: ['deleteLocal d/y (Y)', 'mkdirRemote d', 'upload d/x B base=none'],
  },
  {
    name: 'folder deleted on the server, a new local file inside: folder and new file kept',
    scenario: { synced: { d: d({ x: f('A') }) }, local: { d: d({ x: f('A'), n: f('N') }) } },
    expected: ['deleteLocal d/x (A)', 'mkdirRemote d', 'upload d/n N base=none'],
  },
  {
    name: 'folder deleted locally, the server added a file inside: folder and new file come back',
    scenario: { synced: { d: d({ x: f('A') }) }, remote: { d: d({ x: f('A'), n: f('N') }) } },
    expected: ['deleteRemote d/x base=2', 'mkdirLocal d', 'download d/n N'],
  },
  {
    name: 'folder deleted on the server, unchanged locally: children deleted before parents',
    scenario: { synced: { d: d({ s: d({ y: f('Y') }), x: f('A') }) }, local: { d: d({ s: d({ y: f('Y') }), x: f('A') }) } },
    expected: ['deleteLocal d/s/y (Y)', 'deleteLocal d/s (dir)', 'deleteLocal d/x (A)', 'deleteLocal d (dir)'],
  },
  {
    name: 'folder deleted locally, unchanged on the server',
    scenario: { synced: { d: d({ x: f('A') }) }, remote: { d: d({ x: f('A') }) } },
    expected: ['deleteRemote d/x base=2', 'deleteRemote d base=1'],
  },
  {
    name: 'one file deleted locally, the whole folder on the server: the deletion completes',
    scenario: { synced: { d: d({ x: f('A'), y: f('Y') }) }, local: { d: d({ x: f('A') }) } },
    expected: ['deleteLocal d/x (A)', 'deleteLocal d (dir)', 'forgetSynced d/y'],
  },
  {
    name: 'edit on one side, delete on the other, deep inside folders',
    scenario: {
      synced: { a: d({ b: d({ c: f('A') }) }) },
      local: { a: d({ b: d({ c: f('B') }) }) },
      remote: {},
    },
    expected: ['mkdirRemote a', 'mkdirRemote a/b', 'upload a/b/c B base=none'],
  },

  // ---- Type changes. ----
  {
    name: 'file became a folder with content locally, the server edited the file: conflict',
    scenario: { synced: { p: f('A') }, local: { p: d({ q: f('Q') }) }, remote: { p: f('C') } },
    expected: [`conflict p keep C, local dir -> p ${MARK}`, `upload p ${MARK}/q Q base=none`],
  },
  {
    name: 'the server made a folder a file, a file inside was edited locally: conflict, edit kept as a copy',
    scenario: { synced: { p: d({ x: f('A') }) }, local: { p: d({ x: f('B') }) }, remote: { p: f('C') } },
    expected: [`conflict p keep C, local dir -> p ${MARK}`, `upload p ${MARK}/x B base=none`, 'forgetSynced p/x'],
  },
  {
    name: 'a folder became a file locally, the server added inside: conflict, the server folder comes down whole',
    scenario: { synced: { p: d({ x: f('A') }) }, local: { p: f('F') }, remote: { p: d({ x: f('A'), n: f('N') }) } },
    expected: [`conflict p keep dir, local F -> p ${MARK}`, 'download p/n N', 'download p/x A'],
  },
  {
    name: 'a folder became a file locally, the server unchanged',
    scenario: { synced: { p: d({ x: f('A') }) }, local: { p: f('F') }, remote: { p: d({ x: f('A') }) } },
    expected: ['deleteRemote p/x base=2', 'deleteRemote p base=1', 'upload p F base=none'],
  },
  {
    name: 'the server made a file a folder with content, unchanged locally',
    scenario: { synced: { p: f('A') }, local: { p: f('A') }, remote: { p: d({ q: f('Q') }) } },
    expected: ['deleteLocal p (A)', 'mkdirLocal p', 'download p/q Q'],
  },

  // ---- The executable bit is content. ----
  {
    name: 'executable bit set locally',
    scenario: { synced: { 'run.sh': f('A') }, local: { 'run.sh': f('A', { executable: true }) }, remote: { 'run.sh': f('A') } },
    expected: ['upload run.sh A+x base=1'],
  },
  {
    name: 'executable bit cleared on the server',
    scenario: {
      synced: { 'run.sh': f('A', { executable: true }) },
      local: { 'run.sh': f('A', { executable: true }) },
      remote: { 'run.sh': f('A') },
    },
    expected: ['download run.sh A over A+x'],
  },
  {
    name: 'executable bit set on both sides',
    scenario: { synced: { 'run.sh': f('A') }, local: { 'run.sh': f('A', { executable: true }) }, remote: { 'run.sh': f('A', { executable: true }) } },
    expected: ['recordSynced run.sh A+x rev=100'],
  },
  {
    name: 'executable bit set locally, content edited on the server: conflict',
    scenario: { synced: { 'run.sh': f('A') }, local: { 'run.sh': f('A', { executable: true }) }, remote: { 'run.sh': f('C') } },
    expected: [`conflict run.sh keep C, local A+x -> run ${MARK}.sh`],
  },

  // ---- Conflict names never collide. ----
  {
    name: 'conflict copy name taken locally: counter 2',
    scenario: { local: { 'notes.txt': f('A'), [`notes ${MARK}.txt`]: f('Z') }, remote: { 'notes.txt': f('C') } },
    expected: [`upload notes ${MARK}.txt Z base=none`, 'conflict notes.txt keep C, local A -> notes (conflict laptop 2024-05-06 070809 2).txt'],
  },
  {
    name: 'conflict copy name taken on the server in another case: counter 2',
    scenario: { local: { 'notes.txt': f('A') }, remote: { 'notes.txt': f('C'), 'NOTES (CONFLICT LAPTOP 2024-05-06 070809).TXT': f('Z') } },
    expected: [
      'download NOTES (CONFLICT LAPTOP 2024-05-06 070809).TXT Z',
      'conflict notes.txt keep C, local A -> notes (conflict laptop 2024-05-06 070809 2).txt',
    ],
  },
  {
    name: 'conflict copy names 1 and 2 taken in the base: counter 3',
    scenario: {
      synced: { [`notes ${MARK}.txt`]: f('Y'), 'notes (conflict laptop 2024-05-06 070809 2).txt': f('Z') },
      local: { 'notes.txt': f('A') },
      remote: { 'notes.txt': f('C') },
    },
    expected: [
      'conflict notes.txt keep C, local A -> notes (conflict laptop 2024-05-06 070809 3).txt',
      'forgetSynced notes (conflict laptop 2024-05-06 070809 2).txt',
      `forgetSynced notes ${MARK}.txt`,
    ],
  },
  {
    name: 'conflict in a folder: the copy stays beside the original',
    scenario: { synced: { docs: d({ 'report.pdf': f('A') }) }, local: { docs: d({ 'report.pdf': f('B') }) }, remote: { docs: d({ 'report.pdf': f('C') }) } },
    expected: [`conflict docs/report.pdf keep C, local B -> docs/report ${MARK}.pdf`],
  },
  {
    name: 'every conflict name would be ignored: reported, nothing touched',
    scenario: { local: { 'notes.txt': f('A') }, remote: { 'notes.txt': f('C') } },
    options: { isIgnored: (path) => path.includes('(conflict') },
    expected: ['problem notes.txt conflict-name-unavailable'],
    staysApart: true,
  },

  // ---- Ignored paths: never uploaded, downloaded or deleted. ----
  { name: 'ignored local file is not uploaded', scenario: { local: { 'x.tmp': f('J') } }, options: ignoreTmp, expected: [], skipped: isIgnoredTmp },
  { name: 'ignored server file is not downloaded', scenario: { remote: { 'x.tmp': f('J') } }, options: ignoreTmp, expected: [], skipped: isIgnoredTmp },
  {
    name: 'ignored path changed on both sides is left alone',
    scenario: { synced: { 'x.tmp': f('A') }, local: { 'x.tmp': f('B') }, remote: { 'x.tmp': f('C') } },
    options: ignoreTmp,
    expected: [],
    skipped: isIgnoredTmp,
  },
  {
    name: 'ignored local file survives its deletion on the server',
    scenario: { synced: { 'x.tmp': f('A') }, local: { 'x.tmp': f('A') } },
    options: ignoreTmp,
    expected: [],
    skipped: isIgnoredTmp,
  },
  {
    name: 'ignored path gone from both sides is forgotten',
    scenario: { synced: { 'x.tmp': f('A') } },
    options: ignoreTmp,
    expected: ['forgetSynced x.tmp'],
  },
  {
    name: 'contents of an ignored folder are ignored',
    scenario: { local: { node_modules: d({ a: f('A') }) }, remote: { node_modules: d({ b: f('B') }) } },
    options: ignoreTmp,
    expected: [],
    skipped: isIgnoredTmp,
  },
  {
    name: 'the server deleted a folder holding an ignored local file: the folder stays',
    scenario: { synced: { src: d({ a: f('A') }) }, local: { src: d({ a: f('A'), 'junk.tmp': f('J') }) } },
    options: ignoreTmp,
    expected: ['deleteLocal src/a (A)', 'mkdirRemote src'],
    skipped: isIgnoredTmp,
  },
  {
    name: 'local deleted a folder that holds an ignored file on the server: the server folder stays',
    scenario: { synced: { src: d({ a: f('A') }) }, remote: { src: d({ a: f('A'), 'junk.tmp': f('J') }) } },
    options: ignoreTmp,
    expected: ['deleteRemote src/a base=2', 'mkdirLocal src'],
    skipped: isIgnoredTmp,
  },

  // ---- Selective sync: outside the selection nothing is downloaded or deleted. ----
  { name: 'unselected server folder is not downloaded', scenario: { remote: { photos: d({ a: f('P') }) } }, options: selective, expected: [], skipped: unselected },
  {
    name: 'an unselected folder missing on disk is not a deletion',
    scenario: {
      synced: { docs: d({ a: f('A'), big: d({ v: f('V') }) }) },
      local: { docs: d({ a: f('A') }) },
      remote: { docs: d({ a: f('A'), big: d({ v: f('V') }) }) },
    },
    options: selective,
    expected: [],
    skipped: unselected,
  },
  {
    name: 'a server change inside an unselected folder is not downloaded',
    scenario: {
      synced: { docs: d({ a: f('A'), big: d({ v: f('V') }) }) },
      local: { docs: d({ a: f('A') }) },
      remote: { docs: d({ a: f('A'), big: d({ v: f('W') }) }) },
    },
    options: selective,
    expected: [],
    skipped: unselected,
  },
  {
    name: 'local deletes a folder with an unselected subfolder: the server keeps the subfolder',
    scenario: { synced: { docs: d({ a: f('A'), big: d({ v: f('V') }) }) }, remote: { docs: d({ a: f('A'), big: d({ v: f('V') }) }) } },
    options: selective,
    expected: ['deleteRemote docs/a base=2', 'mkdirLocal docs'],
    skipped: unselected,
  },
  {
    name: 'the server deleted an unselected folder: the base forgets it',
    scenario: { synced: { docs: d({ a: f('A'), big: d({ v: f('V') }) }) }, local: { docs: d({ a: f('A') }) }, remote: { docs: d({ a: f('A') }) } },
    options: selective,
    expected: ['forgetSynced docs/big', 'forgetSynced docs/big/v'],
  },

  // ---- Local moves: one server move, nothing re-uploaded. ----
  {
    name: 'file renamed locally',
    scenario: { synced: { 'a.txt': f('A', { inode: 7 }) }, local: { 'b.txt': f('A', { inode: 7 }) }, remote: { 'a.txt': f('A') } },
    expected: ['moveRemote a.txt -> b.txt base=1'],
  },
  {
    name: 'file moved into a new local folder: the folder is created first',
    scenario: { synced: { 'a.txt': f('A', { inode: 7 }) }, local: { new: d({ 'b.txt': f('A', { inode: 7 }) }) }, remote: { 'a.txt': f('A') } },
    expected: ['mkdirRemote new', 'moveRemote a.txt -> new/b.txt base=1'],
  },
  {
    name: 'file renamed with a new inode but unique content: still a move',
    scenario: { synced: { 'a.txt': f('A', { inode: 7 }) }, local: { 'b.txt': f('A', { inode: 99 }) }, remote: { 'a.txt': f('A') } },
    expected: ['moveRemote a.txt -> b.txt base=1'],
  },
  {
    name: 'file renamed and edited locally: delete and upload',
    scenario: { synced: { 'a.txt': f('A', { inode: 7 }) }, local: { 'b.txt': f('B', { inode: 7 }) }, remote: { 'a.txt': f('A') } },
    expected: ['deleteRemote a.txt base=1', 'upload b.txt B base=none'],
  },
  {
    name: 'file renamed locally while the server edited it: both versions kept',
    scenario: { synced: { 'a.txt': f('A', { inode: 7 }) }, local: { 'b.txt': f('A', { inode: 7 }) }, remote: { 'a.txt': f('C') } },
    expected: ['download a.txt C', 'upload b.txt A base=none'],
  },
  {
    name: 'folder of 100 files renamed locally: one server move',
    scenario: {
      synced: { photos: d(hundredFiles(10_000), { inode: 50 }) },
      local: { pictures: d(hundredFiles(10_000), { inode: 50 }) },
      remote: { photos: d(hundredFiles(20_000)) },
    },
    expected: ['moveRemote photos -> pictures base=1'],
  },
  {
    name: 'folder renamed locally with a new folder inode: its files still identify it',
    scenario: {
      synced: { photos: d(hundredFiles(10_000), { inode: 50 }) },
      local: { pictures: d(hundredFiles(10_000), { inode: 51 }) },
      remote: { photos: d(hundredFiles(20_000)) },
    },
    expected: ['moveRemote photos -> pictures base=1'],
  },
  {
    name: 'folder renamed locally while the server added a file inside: the folder moves, the file comes next round',
    scenario: {
      synced: { photos: d({ a: f('A', { inode: 7 }) }, { inode: 50 }) },
      local: { pictures: d({ a: f('A', { inode: 7 }) }, { inode: 50 }) },
      remote: { photos: d({ a: f('A'), n: f('N') }) },
    },
    expected: ['moveRemote photos -> pictures base=1'],
  },
  {
    name: 'folder renamed locally and a file inside edited: the upload waits for the moved revisions',
    scenario: {
      synced: { photos: d({ a: f('A', { inode: 7 }) }, { inode: 50 }) },
      local: { pictures: d({ a: f('B', { inode: 7 }) }, { inode: 50 }) },
      remote: { photos: d({ a: f('A') }) },
    },
    expected: ['moveRemote photos -> pictures base=1'],
  },
  {
    name: 'folder renamed locally and a file moved out of it first',
    scenario: {
      synced: { photos: d({ a: f('A', { inode: 7 }), b: f('B', { inode: 8 }) }, { inode: 50 }) },
      local: { 'b.txt': f('B', { inode: 8 }), pictures: d({ a: f('A', { inode: 7 }) }, { inode: 50 }) },
      remote: { photos: d({ a: f('A'), b: f('B') }) },
    },
    expected: ['moveRemote photos/b -> b.txt base=3', 'moveRemote photos -> pictures base=1'],
  },
  {
    name: 'folder renamed locally and a file renamed inside it: the inner rename waits a round',
    scenario: {
      synced: { photos: d({ a: f('A', { inode: 7 }), b: f('B', { inode: 8 }) }, { inode: 50 }) },
      local: { pictures: d({ a: f('A', { inode: 7 }), c: f('B', { inode: 8 }) }, { inode: 50 }) },
      remote: { photos: d({ a: f('A'), b: f('B') }) },
    },
    expected: ['moveRemote photos -> pictures base=1'],
  },
  {
    name: 'folder renamed locally but deleted on the server: uploaded at the new name',
    scenario: {
      synced: { photos: d({ a: f('A', { inode: 7 }) }, { inode: 50 }) },
      local: { pictures: d({ a: f('A', { inode: 7 }) }, { inode: 50 }) },
      remote: {},
    },
    expected: ['mkdirRemote pictures', 'upload pictures/a A base=none', 'forgetSynced photos', 'forgetSynced photos/a'],
  },

  // ---- Remote moves: one local rename. ----
  {
    name: 'file renamed on the server',
    scenario: { synced: { 'a.txt': f('A') }, local: { 'a.txt': f('A') }, remote: { 'b.txt': f('A') }, remoteMoves: { 'b.txt': 'a.txt' } },
    expected: ['moveLocal a.txt -> b.txt'],
  },
  {
    name: 'folder renamed on the server: one rename, the moved versions recorded',
    scenario: {
      synced: { old: d({ x: f('X'), y: f('Y') }) },
      local: { old: d({ x: f('X'), y: f('Y') }) },
      remote: { new: d({ x: f('X'), y: f('Y') }) },
      remoteMoves: { new: 'old', 'new/x': 'old/x', 'new/y': 'old/y' },
    },
    expected: ['moveLocal old -> new', 'recordSynced new/x X rev=101', 'recordSynced new/y Y rev=102'],
  },
  {
    name: 'file renamed on the server but edited locally: both kept',
    scenario: { synced: { 'a.txt': f('A') }, local: { 'a.txt': f('B') }, remote: { 'b.txt': f('A') }, remoteMoves: { 'b.txt': 'a.txt' } },
    expected: ['upload a.txt B base=none', 'download b.txt A'],
  },
  {
    name: 'file renamed on the server into a new folder',
    scenario: { synced: { 'a.txt': f('A') }, local: { 'a.txt': f('A') }, remote: { dir: d({ 'b.txt': f('A') }) }, remoteMoves: { 'dir/b.txt': 'a.txt' } },
    expected: ['mkdirLocal dir', 'moveLocal a.txt -> dir/b.txt'],
  },
  {
    name: 'folder renamed on the server, a file inside edited locally: the edit moves along',
    scenario: {
      synced: { old: d({ x: f('X'), y: f('Y') }) },
      local: { old: d({ x: f('X2'), y: f('Y') }) },
      remote: { new: d({ x: f('X'), y: f('Y') }) },
      remoteMoves: { new: 'old', 'new/x': 'old/x', 'new/y': 'old/y' },
    },
    expected: ['moveLocal old -> new', 'upload new/x X2 base=101', 'recordSynced new/y Y rev=102'],
  },
  {
    name: 'file renamed and edited on the server',
    scenario: { synced: { 'a.txt': f('A') }, local: { 'a.txt': f('A') }, remote: { 'b.txt': f('C') }, remoteMoves: { 'b.txt': 'a.txt' } },
    expected: ['moveLocal a.txt -> b.txt', 'download b.txt C over A'],
  },
  {
    name: 'file renamed differently on both sides: both names kept',
    scenario: {
      synced: { 'a.txt': f('A', { inode: 7 }) },
      local: { 'l.txt': f('A', { inode: 7 }) },
      remote: { 'r.txt': f('A') },
      remoteMoves: { 'r.txt': 'a.txt' },
    },
    expected: ['upload l.txt A base=none', 'download r.txt A', 'forgetSynced a.txt'],
  },
  {
    name: 'file moved on the server into an unselected folder: the local copy goes',
    scenario: { synced: { 'a.txt': f('A') }, local: { 'a.txt': f('A') }, remote: { archive: d({ 'a.txt': f('A') }) }, remoteMoves: { 'archive/a.txt': 'a.txt' } },
    options: selective,
    expected: ['deleteLocal a.txt (A)'],
    skipped: unselected,
  },

  // ---- Case clashes on a disk that folds case. ----
  {
    name: 'two spellings on a case-folding disk are reported, not merged',
    scenario: { local: { 'Readme.md': f('A') }, remote: { 'README.md': f('C') } },
    options: { caseInsensitiveDisk: true },
    expected: ['problem README.md case-clash', 'problem Readme.md case-clash'],
    staysApart: true,
  },
  {
    name: 'two spellings on a case-sensitive disk are two files',
    scenario: { local: { 'Readme.md': f('A') }, remote: { 'README.md': f('C') } },
    expected: ['download README.md C', 'upload Readme.md A base=none'],
  },
  {
    name: 'a folder clash is reported once, at the folder',
    scenario: { local: { Docs: d({ a: f('A') }) }, remote: { docs: d({ a: f('B') }) } },
    options: { caseInsensitiveDisk: true },
    expected: ['problem Docs case-clash', 'problem docs case-clash'],
    staysApart: true,
  },
  {
    name: 'the server changed only the case of a name: a local rename',
    scenario: { synced: { 'Readme.md': f('A') }, local: { 'Readme.md': f('A') }, remote: { 'README.md': f('A') }, remoteMoves: { 'README.md': 'Readme.md' } },
    options: { caseInsensitiveDisk: true },
    expected: ['moveLocal Readme.md -> README.md'],
  },
  {
    name: 'the disk changed only the case of a name: a server move',
    scenario: { synced: { 'Readme.md': f('A', { inode: 7 }) }, local: { 'README.md': f('A', { inode: 7 }) }, remote: { 'Readme.md': f('A') } },
    options: { caseInsensitiveDisk: true },
    expected: ['moveRemote Readme.md -> README.md base=1'],
  },

  // ---- Input the planner repairs or refuses. ----
  {
    name: 'a path listed without its folder implies the folder',
    scenario: { remote: { x: d({ y: f('Y') }) } },
    expected: ['mkdirLocal x', 'download x/y Y'],
  },
];

group('planner scenarios', () => {
  it.each(rows)('$name', ({ scenario, options, expected, skipped, staysApart }) => {
    expect(describePlan(plan(scenario, options))).toEqual(expected);

    const result = converge(buildStates(scenario), options, 5, skipped);
    expect(result.losses).toEqual([]);
    const last = result.rounds.at(-1) ?? [];
    expect(last.filter((action) => action.kind !== 'problem')).toEqual([]);
    if (staysApart !== true) expect(result.differences).toEqual([]);
  });
});

group('planner input handling', () => {
  it('drops and reports an entry listed below a file of the same state', () => {
    const states = buildStates({ remote: { a: f('F') } });
    states.remote.set(p('a/b'), { path: p('a/b'), node: fileNode('G'), rev: 7, mtimeMs: 0, chunks: [] });
    expect(describePlan(planLibrary({ ...states, deviceName: 'laptop', now: new Date(0) }))).toEqual([
      'download a F',
      'problem a/b inconsistent-input',
    ]);
  });

  it('synthesizes a folder a state lists only implicitly', () => {
    const states = buildStates({});
    states.remote.set(p('x/y'), { path: p('x/y'), node: fileNode('Y'), rev: 7, mtimeMs: 0, chunks: [] });
    expect(describePlan(planLibrary({ ...states, deviceName: 'laptop', now: new Date(0) }))).toEqual(['mkdirLocal x', 'download x/y Y']);
  });

  it('is pure and deterministic: inputs untouched, insertion order irrelevant', () => {
    const scenario: Scenario = {
      synced: { a: d({ x: f('A') }), b: f('B', { inode: 7 }) },
      local: { a: d({ x: f('A2') }), c: f('B', { inode: 7 }), n: f('N') },
      remote: { a: d({ x: f('A3') }), b: f('B'), m: f('M') },
    };
    const states = buildStates(scenario);
    const snapshot = JSON.stringify([...states.synced, ...states.local, ...states.remote]);
    const first = describePlan(plan(scenario));
    const reversed = {
      synced: new Map([...states.synced].reverse()),
      local: new Map([...states.local].reverse()),
      remote: new Map([...states.remote].reverse()),
    };
    expect(describePlan(planLibrary({ ...reversed, deviceName: 'laptop', now: new Date(Date.UTC(2024, 4, 6, 7, 8, 9)) }))).toEqual(first);
    expect(describePlan(plan(scenario))).toEqual(first);
    expect(JSON.stringify([...states.synced, ...states.local, ...states.remote])).toBe(snapshot);
  });

  it('summarizes a plan for the delete circuit breaker', () => {
    const summary = summarizePlan(
      plan({ synced: { d: d({ x: f('A'), y: f('B') }), e: f('E') }, local: { d: d({ x: f('A'), y: f('B') }) }, remote: { e: f('E') } }),
    );
    expect(summary.localDeletes).toBe(3);
    expect(summary.remoteDeletes).toBe(1);
    expect(summary.byKind.deleteLocal).toBe(3);
    expect(summary.changesNothing).toBe(false);
    expect(summarizePlan([]).changesNothing).toBe(true);
  });
});
