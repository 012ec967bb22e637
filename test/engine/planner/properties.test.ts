// Seeded randomized properties over small name spaces. Each case draws a base tree, mutates it
// independently on the local and the remote side (edits, executable bits, deletes, creates,
// type changes, identical changes on both sides, local and remote moves), plans, and runs the
// plan in the simulator. For every case:
//
// - the plan runs: every action's expectations hold when its turn comes, parents are created
//   before their children and children deleted before their parents (also checked directly);
// - nothing is lost: no local entry that differs from the base is deleted or overwritten, no
//   server entry that differs from the base is deleted or overwritten, and every new version
//   of a file (on either side) still exists on both sides at the end;
// - without moves on the server, one round brings local == remote == base and the next plan
//   is empty; with them, a few rounds do.
//
// A failure names its seed, so it can be replayed alone.

import { describe as group, expect, it } from 'vitest';
import { isSameOrBelow, parentPath } from '../../../shared/paths.js';
import type { LibraryPath } from '../../../shared/paths.js';
import type { Node } from '../../../src-main/engine/syncModel.js';
import type { Plan } from '../../../src-main/engine/planner/index.js';
import type { Options, Scenario, Spec, States } from './fixtures.js';
import { buildStates, describe, flatten, labelOf, planStates } from './fixtures.js';
import { DEPTH, Random, TOP_NAMES, TreeMaker, maybeMoveTopName } from './randomTrees.js';
import { converge, isIdle } from './converge.js';
import { Simulator, copyWorld, differences } from './simulator.js';
import type { World } from './simulator.js';

function randomScenario(seed: number, withMoves: boolean): Scenario {
  const random = new Random(seed);
  const maker = new TreeMaker(random);
  const synced = maker.tree(DEPTH, 0.6, TOP_NAMES);
  const local: Record<string, Spec> = { ...maker.mutate(synced, DEPTH, TOP_NAMES) };
  const remote: Record<string, Spec> = { ...maker.mutate(synced, DEPTH, TOP_NAMES) };
  // The same change on both sides (it must not become a conflict).
  for (const name of TOP_NAMES) {
    if (random.chance(0.15)) {
      const same = local[name];
      if (same === undefined) delete remote[name];
      else remote[name] = same;
    }
  }
  let remoteMoves: Record<string, string> = {};
  if (withMoves) {
    maybeMoveTopName(random, local, ['m', 'a2']);
    remoteMoves = maybeMoveTopName(random, remote, ['r', 'b2']);
  }
  return { synced, local, remote, remoteMoves };
}

/**
 * File versions new on one side (excluding skipped paths): labels are unique per version, so a
 * version is new when the base holds it nowhere (a moved, unchanged file is not new).
 */
function newVersions(world: World, side: 'local' | 'remote', isSkipped: (path: LibraryPath) => boolean): Map<string, LibraryPath> {
  const known = labelsOn(world.synced);
  const versions = new Map<string, LibraryPath>();
  for (const [path, entry] of side === 'local' ? world.local : world.remote) {
    if (entry.node.kind === 'file' && !isSkipped(path) && !known.has(labelOf(entry.node))) versions.set(labelOf(entry.node), path);
  }
  return versions;
}

function labelsOn(entries: ReadonlyMap<LibraryPath, { readonly node: Node }>): Set<string> {
  return new Set([...entries.values()].filter((entry) => entry.node.kind === 'file').map((entry) => labelOf(entry.node)));
}

const CREATES_LOCAL = new Set(['download', 'mkdirLocal', 'conflict']);
const CREATES_REMOTE = new Set(['upload', 'mkdirRemote']);

/** Parents created before children, children deleted before parents, on each side. */
function orderProblems(planned: Plan): string[] {
  const problems: string[] = [];
  const position = (kinds: ReadonlySet<string>): Map<LibraryPath, number> => {
    const result = new Map<LibraryPath, number>();
    planned.forEach((action, index) => {
      if (kinds.has(action.kind) && 'path' in action) result.set(action.path, index);
    });
    return result;
  };
  for (const [kinds, direction] of [
    [CREATES_LOCAL, 'create'],
    [CREATES_REMOTE, 'create'],
    [new Set(['deleteLocal']), 'delete'],
    [new Set(['deleteRemote']), 'delete'],
  ] as const) {
    const positions = position(kinds);
    for (const [path, index] of positions) {
      const parent = parentPath(path);
      const parentIndex = parent === '' ? undefined : positions.get(parent);
      if (parentIndex === undefined) continue;
      if (direction === 'create' && parentIndex > index) problems.push(`${path} created before its parent`);
      if (direction === 'delete' && parentIndex < index) problems.push(`${path} deleted after its parent`);
    }
  }
  return problems;
}

interface Variant {
  readonly name: string;
  readonly cases: number;
  readonly withMoves: boolean;
  /** Server-side renames that change only the case of a top-level name. */
  readonly caseRenames: boolean;
  readonly options: Options;
  /** Paths expected to stay out of sync for this case. */
  readonly skippedIn: (states: States) => (path: LibraryPath) => boolean;
}

const isIgnoredZ = (path: LibraryPath): boolean => path.endsWith('/z');
const unselectedD = (path: LibraryPath): boolean => isSameOrBelow(path, 'd' as LibraryPath);

/** Top-level names spelled in more than one case across the two sides: the planner leaves them alone. */
const caseClashesIn = (states: States) => {
  const spellings = new Map<string, Set<string>>();
  for (const path of [...states.local.keys(), ...states.remote.keys()]) {
    const top = path.split('/')[0] ?? '';
    const group = spellings.get(top.toLowerCase()) ?? new Set<string>();
    group.add(top);
    spellings.set(top.toLowerCase(), group);
  }
  return (path: LibraryPath): boolean => (spellings.get((path.split('/')[0] ?? '').toLowerCase())?.size ?? 0) > 1;
};

const variants: Variant[] = [
  { name: 'edits, deletes, creates and type changes', cases: 600, withMoves: false, caseRenames: false, options: {}, skippedIn: () => () => false },
  { name: 'the same, with local and remote moves', cases: 400, withMoves: true, caseRenames: false, options: {}, skippedIn: () => () => false },
  {
    name: 'the same, with ignored and unselected paths',
    cases: 400,
    withMoves: true,
    caseRenames: false,
    options: { isIgnored: isIgnoredZ, isSelected: (path) => !unselectedD(path) },
    skippedIn: () => (path) => isIgnoredZ(path) || unselectedD(path) || path.split('/').some((segment) => segment === 'z'),
  },
  {
    name: 'the same, on a case-folding disk with case-only renames on the server',
    cases: 300,
    withMoves: true,
    caseRenames: true,
    options: { caseInsensitiveDisk: true },
    skippedIn: caseClashesIn,
  },
];

/** Renames one top-level remote entry to upper case, reported as a move half of the time. */
function renameCase(scenario: Scenario, seed: number): Scenario {
  const random = new Random(seed * 7919);
  const remote: Record<string, Spec> = { ...scenario.remote };
  const remoteMoves: Record<string, string> = { ...scenario.remoteMoves };
  const name = random.pickAny(Object.keys(remote).filter((key) => key.length === 1));
  const spec = name === undefined ? undefined : remote[name];
  if (name === undefined || spec === undefined || !random.chance(0.6)) return scenario;
  const upper = name.toUpperCase();
  delete remote[name];
  remote[upper] = spec;
  if (random.chance(0.5)) for (const [path] of flatten({ [upper]: spec })) remoteMoves[path] = name + path.slice(upper.length);
  return { ...scenario, remote, remoteMoves };
}

group('planner properties on random trees', () => {
  it.each(variants)('$name', ({ cases, withMoves, caseRenames, options, skippedIn }) => {
    let conflicts = 0;
    let moves = 0;
    const caseInsensitiveDisk = options.caseInsensitiveDisk ?? false;
    for (let seed = 1; seed <= cases; seed++) {
      const scenario = randomScenario(seed, withMoves);
      const states = buildStates(caseRenames ? renameCase(scenario, seed) : scenario);
      const isSkipped = skippedIn(states);
      const context = `seed ${seed}`;
      const first = planStates(states, options);
      expect(orderProblems(first), context).toEqual([]);
      const problems = first.filter((action) => action.kind === 'problem');
      expect(
        problems.filter((problem) => !(problem.kind === 'problem' && problem.reason === 'case-clash' && caseRenames)).map(describe),
        context,
      ).toEqual([]);
      conflicts += first.filter((action) => action.kind === 'conflict').length;
      moves += first.filter((action) => action.kind === 'moveRemote' || action.kind === 'moveLocal').length;

      // One round in the simulator.
      const world = copyWorld(states);
      const simulator = new Simulator(world, caseInsensitiveDisk);
      expect(() => simulator.run(first), context).not.toThrow();
      expect(simulator.losses, context).toEqual([]);
      if (!first.some((action) => action.kind === 'moveRemote')) {
        expect(differences(world, isSkipped), context).toEqual([]);
        expect(planStates(world, options).filter((action) => action.kind !== 'problem').map(describe), context).toEqual([]);
      }

      // Rounds until idle: converged, and every new version survived on both sides.
      const result = converge(states, options, 5, isSkipped);
      expect(result.losses, context).toEqual([]);
      expect(isIdle(result.rounds.at(-1) ?? []), context).toBe(true);
      expect(result.differences, context).toEqual([]);
      const initial = copyWorld(states);
      const finalLocal = labelsOn(result.world.local);
      const finalRemote = labelsOn(result.world.remote);
      for (const side of ['local', 'remote'] as const) {
        for (const [label, path] of newVersions(initial, side, isSkipped)) {
          expect(finalLocal.has(label) && finalRemote.has(label), `${context}: ${side} version ${label} of ${path} was lost`).toBe(true);
        }
      }
    }
    // The generator must actually reach the interesting cases.
    expect(conflicts).toBeGreaterThan(cases / 20);
    if (withMoves) expect(moves).toBeGreaterThan(cases / 20);
  });
});
