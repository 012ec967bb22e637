// Every cell of the single-path matrix: synced in {absent, file A, folder} x local in
// {absent, file A, file B, folder} x remote in {absent, file A, file C, file B, folder}.
// Each row names the situation and writes out the plan expected for the path `notes.txt`.
// A is the base's content where the base is a file, B the local edit, C another device's edit.
//
// Revisions (see fixtures.ts): the base is rev 1; a remote version that differs from the base
// is rev 100. Every row is also run in the simulator: afterwards both sides and the base must
// agree, nothing may be lost, and planning again must give an empty plan.

import { describe as group, expect, it } from 'vitest';
import { MARK, buildStates, describePlan, f, d, planStates } from './fixtures.js';
import type { Spec, TreeSpec } from './fixtures.js';
import { Simulator, copyWorld, differences } from './simulator.js';

type Cell = 'none' | 'A' | 'B' | 'C' | 'dir';

const COPY = `notes ${MARK}.txt`;

function tree(cell: Cell): TreeSpec {
  const spec: Spec | undefined = cell === 'none' ? undefined : cell === 'dir' ? d() : f(cell);
  return spec === undefined ? {} : { 'notes.txt': spec };
}

const rows: [name: string, synced: Cell, local: Cell, remote: Cell, expected: string[]][] = [
  // ---- No base: the path is new wherever it exists. ----
  ['absent everywhere', 'none', 'none', 'none', []],
  ['created on the server', 'none', 'none', 'A', ['download notes.txt A']],
  ['created on the server (C)', 'none', 'none', 'C', ['download notes.txt C']],
  ['created on the server (B)', 'none', 'none', 'B', ['download notes.txt B']],
  ['folder created on the server', 'none', 'none', 'dir', ['mkdirLocal notes.txt']],
  ['created locally', 'none', 'A', 'none', ['upload notes.txt A base=none']],
  ['created on both, same content', 'none', 'A', 'A', ['recordSynced notes.txt A rev=100']],
  ['created on both, different content (A/C)', 'none', 'A', 'C', [`conflict notes.txt keep C, local A -> ${COPY}`]],
  ['created on both, different content (A/B)', 'none', 'A', 'B', [`conflict notes.txt keep B, local A -> ${COPY}`]],
  ['local file, server folder, both new', 'none', 'A', 'dir', [`conflict notes.txt keep dir, local A -> ${COPY}`]],
  ['created locally (B)', 'none', 'B', 'none', ['upload notes.txt B base=none']],
  ['created on both, different content (B/A)', 'none', 'B', 'A', [`conflict notes.txt keep A, local B -> ${COPY}`]],
  ['created on both, different content (B/C)', 'none', 'B', 'C', [`conflict notes.txt keep C, local B -> ${COPY}`]],
  ['created on both, same content (B)', 'none', 'B', 'B', ['recordSynced notes.txt B rev=100']],
  ['local file B, server folder, both new', 'none', 'B', 'dir', [`conflict notes.txt keep dir, local B -> ${COPY}`]],
  ['folder created locally', 'none', 'dir', 'none', ['mkdirRemote notes.txt']],
  ['local folder, server file A, both new', 'none', 'dir', 'A', [`conflict notes.txt keep A, local dir -> ${COPY}`]],
  ['local folder, server file C, both new', 'none', 'dir', 'C', [`conflict notes.txt keep C, local dir -> ${COPY}`]],
  ['local folder, server file B, both new', 'none', 'dir', 'B', [`conflict notes.txt keep B, local dir -> ${COPY}`]],
  ['folder created on both', 'none', 'dir', 'dir', ['recordSynced notes.txt dir rev=100']],

  // ---- Base is file A. ----
  ['deleted on both', 'A', 'none', 'none', ['forgetSynced notes.txt']],
  ['deleted locally, unchanged on the server', 'A', 'none', 'A', ['deleteRemote notes.txt base=1']],
  ['deleted locally, edited on the server: edit wins', 'A', 'none', 'C', ['download notes.txt C']],
  ['deleted locally, server edit equals B: edit wins', 'A', 'none', 'B', ['download notes.txt B']],
  ['deleted locally, server made it a folder: folder wins', 'A', 'none', 'dir', ['mkdirLocal notes.txt']],
  ['unchanged locally, deleted on the server', 'A', 'A', 'none', ['deleteLocal notes.txt (A)']],
  ['in sync', 'A', 'A', 'A', []],
  ['edited on the server', 'A', 'A', 'C', ['download notes.txt C over A']],
  ['edited on the server (to B)', 'A', 'A', 'B', ['download notes.txt B over A']],
  ['server replaced the file by a folder', 'A', 'A', 'dir', ['deleteLocal notes.txt (A)', 'mkdirLocal notes.txt']],
  ['edited locally, deleted on the server: edit wins', 'A', 'B', 'none', ['upload notes.txt B base=none']],
  ['edited locally', 'A', 'B', 'A', ['upload notes.txt B base=1']],
  ['edited on both, differently', 'A', 'B', 'C', [`conflict notes.txt keep C, local B -> ${COPY}`]],
  ['edited on both, the same way', 'A', 'B', 'B', ['recordSynced notes.txt B rev=100']],
  ['edited locally, server made it a folder', 'A', 'B', 'dir', [`conflict notes.txt keep dir, local B -> ${COPY}`]],
  ['local made it a folder, deleted on the server: folder wins', 'A', 'dir', 'none', ['mkdirRemote notes.txt']],
  ['local replaced the file by a folder', 'A', 'dir', 'A', ['deleteRemote notes.txt base=1', 'mkdirRemote notes.txt']],
  ['local made it a folder, server edited it', 'A', 'dir', 'C', [`conflict notes.txt keep C, local dir -> ${COPY}`]],
  ['local made it a folder, server edited it to B', 'A', 'dir', 'B', [`conflict notes.txt keep B, local dir -> ${COPY}`]],
  ['both replaced the file by a folder', 'A', 'dir', 'dir', ['recordSynced notes.txt dir rev=100']],

  // ---- Base is a folder (empty). ----
  ['folder deleted on both', 'dir', 'none', 'none', ['forgetSynced notes.txt']],
  ['folder deleted locally, server made it file A', 'dir', 'none', 'A', ['download notes.txt A']],
  ['folder deleted locally, server made it file C', 'dir', 'none', 'C', ['download notes.txt C']],
  ['folder deleted locally, server made it file B', 'dir', 'none', 'B', ['download notes.txt B']],
  ['folder deleted locally, unchanged on the server', 'dir', 'none', 'dir', ['deleteRemote notes.txt base=1']],
  ['local made the folder a file, server deleted it', 'dir', 'A', 'none', ['upload notes.txt A base=none']],
  ['both made the folder the same file', 'dir', 'A', 'A', ['recordSynced notes.txt A rev=100']],
  ['both made the folder a file, differently (A/C)', 'dir', 'A', 'C', [`conflict notes.txt keep C, local A -> ${COPY}`]],
  ['both made the folder a file, differently (A/B)', 'dir', 'A', 'B', [`conflict notes.txt keep B, local A -> ${COPY}`]],
  ['local replaced the folder by file A', 'dir', 'A', 'dir', ['deleteRemote notes.txt base=1', 'upload notes.txt A base=none']],
  ['local made the folder file B, server deleted it', 'dir', 'B', 'none', ['upload notes.txt B base=none']],
  ['both made the folder a file, differently (B/A)', 'dir', 'B', 'A', [`conflict notes.txt keep A, local B -> ${COPY}`]],
  ['both made the folder a file, differently (B/C)', 'dir', 'B', 'C', [`conflict notes.txt keep C, local B -> ${COPY}`]],
  ['both made the folder the same file B', 'dir', 'B', 'B', ['recordSynced notes.txt B rev=100']],
  ['local replaced the folder by file B', 'dir', 'B', 'dir', ['deleteRemote notes.txt base=1', 'upload notes.txt B base=none']],
  ['folder unchanged locally, deleted on the server', 'dir', 'dir', 'none', ['deleteLocal notes.txt (dir)']],
  ['server replaced the folder by file A', 'dir', 'dir', 'A', ['deleteLocal notes.txt (dir)', 'download notes.txt A']],
  ['server replaced the folder by file C', 'dir', 'dir', 'C', ['deleteLocal notes.txt (dir)', 'download notes.txt C']],
  ['server replaced the folder by file B', 'dir', 'dir', 'B', ['deleteLocal notes.txt (dir)', 'download notes.txt B']],
  ['folder in sync', 'dir', 'dir', 'dir', []],
];

group('planner matrix: one path, every combination of the three states', () => {
  it('covers all 60 cells exactly once', () => {
    const cells = new Set(rows.map(([, synced, local, remote]) => `${synced}/${local}/${remote}`));
    expect(rows).toHaveLength(60);
    expect(cells.size).toBe(60);
  });

  it.each(rows)('%s (synced %s, local %s, remote %s)', (_name, synced, local, remote, expected) => {
    const states = buildStates({ synced: tree(synced), local: tree(local), remote: tree(remote) });
    const planned = planStates(states);
    expect(describePlan(planned)).toEqual(expected);

    const simulator = new Simulator(copyWorld(states));
    simulator.run(planned);
    expect(simulator.losses).toEqual([]);
    expect(differences(simulator.world)).toEqual([]);
    expect(describePlan(planStates(simulator.world))).toEqual([]);
  });
});
