// The data-loss guard, kept apart from the rules that should already make it redundant.
//
// It walks the planned actions in order against the views reconciliation used and refuses
// (turns into a 'safety-check' problem) any action that would destroy something the base
// does not account for:
//
// - a local delete, or a download over a local file, unless the local entry equals the base;
// - a remote delete, or an upload over a remote file, unless the remote entry equals the base
//   and the action carries the remote rev the decision saw;
// - a create (download, mkdir, upload with no base) onto a path that still holds something
//   on that side and was not vacated by an earlier action of the plan.
//
// Move actions (and the folders created for them) were checked when they were detected and
// are not given to this guard; moves that reach it pass through.

import { isSameOrBelow } from '../../../shared/paths.js';
import type { LibraryPath } from '../../../shared/paths.js';
import { sameContent } from '../syncModel.js';
import type { Node } from '../syncModel.js';
import { unhandledCase } from './planAction.js';
import type { PlanAction } from './planAction.js';
import type { PlanViews } from './planViews.js';

class Vacated {
  private readonly paths = new Set<LibraryPath>();
  private readonly subtrees: LibraryPath[] = [];

  add(path: LibraryPath): void {
    this.paths.add(path);
  }

  addSubtree(path: LibraryPath): void {
    this.subtrees.push(path);
  }

  has(path: LibraryPath): boolean {
    return this.paths.has(path) || this.subtrees.some((root) => isSameOrBelow(path, root));
  }
}

/** Why the action is unsafe, or undefined when it is safe. */
function unsafeBecause(
  action: PlanAction,
  views: PlanViews,
  vacatedLocal: Vacated,
  vacatedRemote: Vacated,
): string | undefined {
  const base = (path: LibraryPath): Node | undefined => views.synced.get(path)?.node;
  const localIsFree = (path: LibraryPath): boolean => !views.local.has(path) || vacatedLocal.has(path);
  const remoteIsFree = (path: LibraryPath): boolean => !views.remote.has(path) || vacatedRemote.has(path);
  switch (action.kind) {
    case 'moveRemote':
    case 'moveLocal':
    case 'recordSynced':
    case 'forgetSynced':
    case 'problem':
      return undefined;
    case 'deleteLocal':
      vacatedLocal.add(action.path);
      return base(action.path) !== undefined && sameContent(base(action.path), action.expectLocal.node)
        ? undefined
        : 'it would delete a local entry that differs from the base';
    case 'download':
      if (action.expectLocal !== undefined) {
        return sameContent(base(action.path), action.expectLocal.node) ? undefined : 'it would overwrite a local file that differs from the base';
      }
      return localIsFree(action.path) ? undefined : 'it would write over a local entry it did not expect';
    case 'mkdirLocal':
      return localIsFree(action.path) ? undefined : 'it would create a folder over a local entry';
    case 'deleteRemote': {
      vacatedRemote.add(action.path);
      const remote = views.remote.get(action.path);
      return remote !== undefined && remote.rev === action.baseRev && base(action.path) !== undefined && sameContent(base(action.path), remote.node)
        ? undefined
        : 'it would delete a server version that differs from the base';
    }
    case 'upload': {
      if (action.baseRev === null) return remoteIsFree(action.path) ? undefined : 'it would write over a server entry it did not expect';
      const remote = views.remote.get(action.path);
      return remote !== undefined && remote.rev === action.baseRev && sameContent(base(action.path), remote.node)
        ? undefined
        : 'it would overwrite a server version that differs from the base';
    }
    case 'mkdirRemote':
      return remoteIsFree(action.path) ? undefined : 'it would create a folder over a server entry';
    case 'conflict':
      // The local version moves aside (with everything below it); the copy's name is free.
      vacatedLocal.addSubtree(action.path);
      return views.local.has(action.conflictPath) || views.remote.has(action.conflictPath) ? 'the conflict-copy name is taken' : undefined;
    default:
      return unhandledCase(action);
  }
}

function actionPath(action: PlanAction): LibraryPath {
  return action.kind === 'moveRemote' || action.kind === 'moveLocal' ? action.from : action.path;
}

/** The plan with every unsafe action replaced by a 'safety-check' problem. */
export function checkPlanSafety(plan: readonly PlanAction[], views: PlanViews): PlanAction[] {
  const vacatedLocal = new Vacated();
  const vacatedRemote = new Vacated();
  return plan.map((action): PlanAction => {
    const reason = unsafeBecause(action, views, vacatedLocal, vacatedRemote);
    if (reason === undefined) return action;
    return {
      kind: 'problem',
      path: actionPath(action),
      reason: 'safety-check',
      detail: `The planner refused to ${action.kind} ${actionPath(action)}: ${reason}. This is a bug; please report it. Nothing was changed at this path.`,
    };
  });
}
