// The sync planner's public surface. See planLibrary.ts for the rules and planAction.ts for
// the executor's contract.

export { planLibrary } from './planLibrary.js';
export type { Plan, PlanAction, PlanActionKind, PlanInput, PlanProblemReason, RemoteFeedEntry } from './planAction.js';
export { unhandledCase } from './planAction.js';
export { conflictName, formatConflictTime, restoredCopyName, sanitizeDeviceName, versionFileName, splitExtension, MAX_DEVICE_NAME_LENGTH } from './conflictName.js';
export { summarizePlan } from './summarizePlan.js';
export type { PlanSummary } from './summarizePlan.js';
