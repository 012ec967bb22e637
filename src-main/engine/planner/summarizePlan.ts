// Counts over a plan, for status lines and for the circuit breaker that pauses a library when
// a round would delete too much (design: safety rule 4). The planner itself never refuses a
// large delete; the caller decides with these numbers.

import { unhandledCase } from './planAction.js';
import type { Plan, PlanActionKind } from './planAction.js';

export interface PlanSummary {
  readonly byKind: Readonly<Record<PlanActionKind, number>>;
  /** Paths the plan deletes on disk (conflict copies move aside and are not counted). */
  readonly localDeletes: number;
  /** Paths the plan deletes on the server (they stay restorable from history there). */
  readonly remoteDeletes: number;
  readonly conflicts: number;
  readonly problems: number;
  /** True when the plan changes nothing on either side (base-only records may remain). */
  readonly changesNothing: boolean;
}

export function summarizePlan(plan: Plan): PlanSummary {
  const byKind: Record<PlanActionKind, number> = {
    moveRemote: 0,
    moveLocal: 0,
    deleteRemote: 0,
    deleteLocal: 0,
    upload: 0,
    mkdirRemote: 0,
    download: 0,
    mkdirLocal: 0,
    conflict: 0,
    recordSynced: 0,
    forgetSynced: 0,
    problem: 0,
  };
  let changesSides = 0;
  for (const action of plan) {
    byKind[action.kind]++;
    switch (action.kind) {
      case 'recordSynced':
      case 'forgetSynced':
      case 'problem':
        break;
      case 'moveRemote':
      case 'moveLocal':
      case 'deleteRemote':
      case 'deleteLocal':
      case 'upload':
      case 'mkdirRemote':
      case 'download':
      case 'mkdirLocal':
      case 'conflict':
        changesSides++;
        break;
      default:
        unhandledCase(action);
    }
  }
  return {
    byKind,
    localDeletes: byKind.deleteLocal,
    remoteDeletes: byKind.deleteRemote,
    conflicts: byKind.conflict,
    problems: byKind.problem,
    changesNothing: changesSides === 0,
  };
}
