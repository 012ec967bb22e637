// The data-loss guard refuses hand-made unsafe actions (the planner's own rules never produce
// them: the scenario, matrix and property tests check that no 'safety-check' problem appears).

import { describe, expect, it } from 'vitest';
import { checkPlanSafety } from '../../../src-main/engine/planner/checkPlanSafety.js';
import type { PlanAction } from '../../../src-main/engine/planner/index.js';
import { buildStates, d, f, p } from './fixtures.js';
import type { Scenario } from './fixtures.js';

// notes.txt: base A (rev 1); locally edited to B; edited on the server to C (rev 100).
const diverged: Scenario = { synced: { 'notes.txt': f('A'), keep: d() }, local: { 'notes.txt': f('B'), keep: d() }, remote: { 'notes.txt': f('C'), keep: d() } };

function check(scenario: Scenario, action: (states: ReturnType<typeof buildStates>) => PlanAction): string[] {
  const states = buildStates(scenario);
  return checkPlanSafety([action(states)], states).map((checked) => (checked.kind === 'problem' ? `refused: ${checked.reason}` : `kept ${checked.kind}`));
}

const local = (states: ReturnType<typeof buildStates>) => {
  const entry = states.local.get(p('notes.txt'));
  if (entry === undefined) throw new Error('fixture lacks a local notes.txt');
  return entry;
};
const remote = (states: ReturnType<typeof buildStates>) => {
  const entry = states.remote.get(p('notes.txt'));
  if (entry === undefined) throw new Error('fixture lacks a remote notes.txt');
  return entry;
};

describe('checkPlanSafety', () => {
  it.each<[string, Scenario, (states: ReturnType<typeof buildStates>) => PlanAction, string]>([
    ['deleting a locally edited file', diverged, (s) => ({ kind: 'deleteLocal', path: p('notes.txt'), expectLocal: local(s) }), 'refused: safety-check'],
    ['downloading over a locally edited file', diverged, (s) => ({ kind: 'download', path: p('notes.txt'), remote: remote(s), expectLocal: local(s) }), 'refused: safety-check'],
    ['downloading onto an unexpected local file', diverged, (s) => ({ kind: 'download', path: p('notes.txt'), remote: remote(s), expectLocal: undefined }), 'refused: safety-check'],
    ['deleting a server edit', diverged, () => ({ kind: 'deleteRemote', path: p('notes.txt'), baseRev: 100 }), 'refused: safety-check'],
    ['uploading over a server edit', diverged, (s) => ({ kind: 'upload', path: p('notes.txt'), local: local(s), baseRev: 100 }), 'refused: safety-check'],
    ['uploading as new onto an existing server file', diverged, (s) => ({ kind: 'upload', path: p('notes.txt'), local: local(s), baseRev: null }), 'refused: safety-check'],
    ['creating a local folder over a local folder', diverged, (s) => ({ kind: 'mkdirLocal', path: p('keep'), remote: remote(s) }), 'refused: safety-check'],
    ['a conflict keeps both versions', diverged, (s) => ({ kind: 'conflict', path: p('notes.txt'), conflictPath: p('notes (c).txt'), local: local(s), remote: remote(s) }), 'kept conflict'],
    [
      'deleting an unchanged local file',
      { synced: { 'notes.txt': f('A') }, local: { 'notes.txt': f('A') } },
      (s) => ({ kind: 'deleteLocal', path: p('notes.txt'), expectLocal: local(s) }),
      'kept deleteLocal',
    ],
    [
      'uploading over an unchanged server file',
      { synced: { 'notes.txt': f('A') }, local: { 'notes.txt': f('B') }, remote: { 'notes.txt': f('A') } },
      (s) => ({ kind: 'upload', path: p('notes.txt'), local: local(s), baseRev: 1 }),
      'kept upload',
    ],
  ])('%s', (_name, scenario, action, expected) => {
    expect(check(scenario, action)).toEqual([expected]);
  });
});
