// Planning only what changed (src-main/engine/sync/planNeighbourhood.ts): for random settled
// libraries (local = base = remote) and random local changes to them (edits, executable bits,
// deletes, creates, type changes, moves of files and folders), with and without ignore rules and
// paths that were settled while ignored, the plan of the neighbourhood of the changed paths is
// the plan of the whole states, action for action. The same for remote-only changes, moves on
// the server included.

import { describe as group, expect, it } from 'vitest';
import type { LibraryPath } from '../../../shared/paths.js';
import { sameContent } from '../../../src-main/engine/syncModel.js';
import { mapLookup, planNeighbourhood } from '../../../src-main/engine/sync/planNeighbourhood.js';
import type { Options, Spec, States, TreeSpec } from './fixtures.js';
import { buildStates, describePlan, planStates } from './fixtures.js';
import { DEPTH, Random, TOP_NAMES, TreeMaker, maybeMoveTopName } from './randomTrees.js';

const CASES = 600;

interface Located {
  readonly node: { readonly kind: 'file' | 'dir' };
  readonly inode?: number;
  readonly rev?: number;
}

/** Paths whose entry differs between two states (presence, content, inode, revision): what a scan or a pull reports as changed. */
function changedPaths(before: ReadonlyMap<LibraryPath, Located>, after: ReadonlyMap<LibraryPath, Located>): LibraryPath[] {
  const changed: LibraryPath[] = [];
  for (const path of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(path);
    const b = after.get(path);
    if (a === undefined || b === undefined || !sameContent(a.node as never, b.node as never) || a.inode !== b.inode || a.rev !== b.rev) changed.push(path);
  }
  return changed;
}

function neighbourhoodPlan(states: States, changed: readonly LibraryPath[], options: Options): string[] {
  const part = planNeighbourhood(changed, { local: mapLookup(states.local), synced: mapLookup(states.synced), remote: mapLookup(states.remote) });
  return describePlan(planStates(part, options));
}

const isIgnoredZ = (path: LibraryPath): boolean => path.endsWith('/z') || path === 'z';

group('planning the neighbourhood of what changed', () => {
  for (const [name, options] of [
    ['without rules', {}],
    ['with paths ignored (settled while ignored, or new)', { isIgnored: isIgnoredZ }],
  ] as const) {
    it(`plans local changes of a settled library as the whole states do (${CASES} cases, ${name})`, () => {
      let planned = 0;
      for (let seed = 1; seed <= CASES; seed++) {
        const random = new Random(seed);
        const maker = new TreeMaker(random);
        const base: TreeSpec = maker.tree(DEPTH, 0.6, TOP_NAMES);
        const local: Record<string, Spec> = { ...maker.mutate(base, DEPTH, TOP_NAMES) };
        maybeMoveTopName(random, local, ['m', 'a2']);
        const settled = buildStates({ synced: base, local: base, remote: base });
        const states = buildStates({ synced: base, local, remote: base });
        const changed = changedPaths(settled.local, states.local);
        const whole = describePlan(planStates(states, options));
        expect(neighbourhoodPlan(states, changed, options), `seed ${seed}`).toEqual(whole);
        if (whole.length > 0) planned += 1;
      }
      // The cases plan something, most of them.
      expect(planned).toBeGreaterThan(CASES / 2);
    });

    it(`plans remote changes of a settled library as the whole states do (${CASES} cases, ${name})`, () => {
      for (let seed = 1; seed <= CASES; seed++) {
        const random = new Random(seed + 100_000);
        const maker = new TreeMaker(random);
        const base: TreeSpec = maker.tree(DEPTH, 0.6, TOP_NAMES);
        const remote: Record<string, Spec> = { ...maker.mutate(base, DEPTH, TOP_NAMES) };
        const remoteMoves = maybeMoveTopName(random, remote, ['r', 'b2']);
        const settled = buildStates({ synced: base, local: base, remote: base });
        const states = buildStates({ synced: base, local: base, remote, remoteMoves });
        // What a pull reads: the changed entries, and where the moved ones came from.
        const changed = [...changedPaths(settled.remote, states.remote), ...(Object.values(remoteMoves) as LibraryPath[])];
        expect(neighbourhoodPlan(states, changed, options), `seed ${seed}`).toEqual(describePlan(planStates(states, options)));
      }
    });
  }

  it('holds only the changed paths, their folders and, below a folder that is one only on some side, everything', () => {
    const base: TreeSpec = {
      docs: { kind: 'dir', children: { a: { kind: 'file', label: 'a', executable: false }, b: { kind: 'file', label: 'b', executable: false } } },
      old: { kind: 'dir', children: { c: { kind: 'file', label: 'c', executable: false } } },
      top: { kind: 'file', label: 't', executable: false },
    };
    const states = buildStates({ synced: base, local: { ...base, old: undefined as never }, remote: base });
    states.local.delete('old' as LibraryPath);
    states.local.delete('old/c' as LibraryPath);
    const part = planNeighbourhood(['docs/a', 'old', 'old/c'] as LibraryPath[], { local: mapLookup(states.local), synced: mapLookup(states.synced), remote: mapLookup(states.remote) });
    expect([...part.synced.keys()].sort()).toEqual(['docs', 'docs/a', 'old', 'old/c']);
    expect([...part.local.keys()].sort()).toEqual(['docs', 'docs/a']);
  });
});
