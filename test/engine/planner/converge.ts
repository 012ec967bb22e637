// Runs plan rounds in the simulator until the planner has nothing left to do, as the engine
// would: plan from the current states, run the plan, plan again.

import type { LibraryPath } from '../../../shared/paths.js';
import type { Plan } from '../../../src-main/engine/planner/index.js';
import { planStates } from './fixtures.js';
import type { Options, States } from './fixtures.js';
import { Simulator, copyWorld, differences } from './simulator.js';
import type { World } from './simulator.js';

export interface Convergence {
  /** The plan of each round, the last one being the first with nothing to run. */
  readonly rounds: Plan[];
  readonly world: World;
  readonly losses: string[];
  /** Paths where the sides or the base still disagree (skipped paths excluded). */
  readonly differences: string[];
}

/** True when a plan holds nothing but problems. */
export function isIdle(plan: Plan): boolean {
  return plan.every((action) => action.kind === 'problem');
}

export function converge(
  states: States,
  options: Options = {},
  maxRounds = 5,
  isSkipped: (path: LibraryPath) => boolean = () => false,
): Convergence {
  const world = copyWorld(states);
  const rounds: Plan[] = [];
  const losses: string[] = [];
  for (let round = 0; round < maxRounds; round++) {
    const planned = planStates(world, options);
    rounds.push(planned);
    if (isIdle(planned)) break;
    const simulator = new Simulator(world, options.caseInsensitiveDisk ?? false);
    simulator.run(planned);
    losses.push(...simulator.losses);
  }
  return { rounds, world, losses, differences: differences(world, isSkipped) };
}
