// A tiny in-memory world (a disk, a server and the merge base) that runs a plan the way the
// executor must: every action re-checks what it was based on, creates need their parent
// folder, deletes need an empty folder, and the server refuses a stale base revision. Any
// violation throws, so running a plan here checks its order and its expectations.
//
// It also watches for data loss as it goes: a local entry that differs from the base must
// never be deleted or overwritten, and neither may a server entry.

import { caseFoldKey, isSameOrBelow, parentPath, rebasePath } from '../../../shared/paths.js';
import type { LibraryPath } from '../../../shared/paths.js';
import { sameContent } from '../../../src-main/engine/syncModel.js';
import type { LocalEntry, Node, SyncedEntry } from '../../../src-main/engine/syncModel.js';
import type { Plan, PlanAction, RemoteFeedEntry } from '../../../src-main/engine/planner/index.js';
import { describe } from './fixtures.js';
import type { States } from './fixtures.js';

export class SimulationError extends Error {}

export interface World {
  readonly synced: Map<LibraryPath, SyncedEntry>;
  readonly local: Map<LibraryPath, LocalEntry>;
  readonly remote: Map<LibraryPath, RemoteFeedEntry>;
}

export function copyWorld(states: States): World {
  return { synced: new Map(states.synced), local: new Map(states.local), remote: new Map(states.remote) };
}

function sameLocal(a: LocalEntry | undefined, b: LocalEntry | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return sameContent(a.node, b.node) && a.inode === b.inode;
}

function hasChildren(map: ReadonlyMap<LibraryPath, unknown>, path: LibraryPath): boolean {
  for (const key of map.keys()) if (key !== path && isSameOrBelow(key, path)) return true;
  return false;
}

function parentIsFolder(map: ReadonlyMap<LibraryPath, { readonly node: Node }>, path: LibraryPath): boolean {
  const parent = parentPath(path);
  return parent === '' || map.get(parent)?.node.kind === 'dir';
}

function rebaseMap<T extends { readonly path: LibraryPath }>(map: Map<LibraryPath, T>, from: LibraryPath, to: LibraryPath, rewrite: (entry: T, path: LibraryPath) => T): void {
  const moved = [...map.entries()].filter(([path]) => isSameOrBelow(path, from));
  for (const [path] of moved) map.delete(path);
  for (const [path, entry] of moved) {
    const target = rebasePath(path, from, to);
    map.set(target, rewrite(entry, target));
  }
}

// Revisions and inodes handed out by simulated writes: unique across every simulator, so a
// later round can never mistake a new version for an old one.
let nextRev = 10_000;
let nextInode = 90_000;

export class Simulator {
  /** Data-loss events seen while running; the tests expect none. */
  readonly losses: string[] = [];

  /** With caseInsensitiveDisk, a new local path must not differ only in case from an existing one. */
  constructor(
    readonly world: World,
    private readonly caseInsensitiveDisk = false,
  ) {}

  /** A path about to be created on disk must be free, also case-folded on a case-folding disk. */
  private checkLocalFree(action: PlanAction, path: LibraryPath, except?: LibraryPath): void {
    if (this.world.local.has(path)) this.fail(action, `${path} exists on disk`);
    if (!this.caseInsensitiveDisk) return;
    const key = caseFoldKey(path);
    for (const existing of this.world.local.keys()) {
      if (caseFoldKey(existing) === key && existing !== except) this.fail(action, `${path} would land on ${existing} on a case-folding disk`);
    }
  }

  run(plan: Plan): void {
    for (const action of plan) this.apply(action);
  }

  private fail(action: PlanAction, why: string): never {
    throw new SimulationError(`${describe(action)}: ${why}`);
  }

  private writeLocal(path: LibraryPath, node: Node): LocalEntry {
    const entry: LocalEntry = { path, node, mtimeMs: 0, inode: nextInode++, statSize: node.kind === 'file' ? node.size : 0, chunks: [] };
    this.world.local.set(path, entry);
    return entry;
  }

  private writeRemote(path: LibraryPath, node: Node): RemoteFeedEntry {
    const entry: RemoteFeedEntry = { path, node, rev: nextRev++, mtimeMs: 0, chunks: [] };
    this.world.remote.set(path, entry);
    return entry;
  }

  private record(path: LibraryPath, node: Node, rev: number, inode: number): void {
    this.world.synced.set(path, { path, node, rev, inode, mtimeMs: 0 });
  }

  /** A local entry about to be deleted or replaced must equal the base. */
  private guardLocal(action: PlanAction, path: LibraryPath): void {
    const local = this.world.local.get(path);
    if (local !== undefined && !sameContent(local.node, this.world.synced.get(path)?.node)) {
      this.losses.push(`${describe(action)} destroys local ${path} (${local.node.kind}) that differs from the base`);
    }
  }

  private guardRemote(action: PlanAction, path: LibraryPath): void {
    const remote = this.world.remote.get(path);
    if (remote !== undefined && !sameContent(remote.node, this.world.synced.get(path)?.node)) {
      this.losses.push(`${describe(action)} destroys server ${path} (${remote.node.kind}) that differs from the base`);
    }
  }

  /** The server's base check: null means "absent", a number must be the current rev. */
  private checkBase(action: PlanAction, path: LibraryPath, baseRev: number | null): void {
    const current = this.world.remote.get(path);
    if (baseRev === null ? current !== undefined : current?.rev !== baseRev) {
      this.fail(action, `stale base at ${path}: expected ${baseRev ?? 'absent'}, server has ${current?.rev ?? 'absent'}`);
    }
  }

  private apply(action: PlanAction): void {
    const { local, remote, synced } = this.world;
    switch (action.kind) {
      case 'moveRemote': {
        this.checkBase(action, action.from, action.baseRev);
        this.checkBase(action, action.to, action.toBaseRev);
        if (!parentIsFolder(remote, action.to)) this.fail(action, 'target parent missing on the server');
        // Like the server: the moved path and its whole subtree get new revisions.
        rebaseMap(remote, action.from, action.to, (entry, path) => ({ ...entry, path, rev: nextRev++, movedFrom: rebasePath(path, action.to, action.from) }));
        rebaseMap(synced, action.from, action.to, (entry, path) => ({ ...entry, path }));
        const moved = remote.get(action.to);
        const base = synced.get(action.to);
        if (moved !== undefined && base !== undefined) synced.set(action.to, { ...base, rev: moved.rev });
        return;
      }
      case 'moveLocal': {
        if (!sameLocal(local.get(action.from), action.expectLocal)) this.fail(action, 'disk changed at the source');
        this.checkLocalFree(action, action.to, action.from);
        if (!parentIsFolder(local, action.to)) this.fail(action, 'target parent missing on disk');
        rebaseMap(local, action.from, action.to, (entry, path) => ({ ...entry, path }));
        rebaseMap(synced, action.from, action.to, (entry, path) => ({ ...entry, path }));
        const base = synced.get(action.to);
        if (base !== undefined) synced.set(action.to, { ...base, rev: action.remote.rev });
        return;
      }
      case 'deleteRemote':
        this.checkBase(action, action.path, action.baseRev);
        if (hasChildren(remote, action.path)) this.fail(action, 'folder not empty on the server');
        this.guardRemote(action, action.path);
        remote.delete(action.path);
        synced.delete(action.path);
        return;
      case 'deleteLocal':
        if (!sameLocal(local.get(action.path), action.expectLocal)) this.fail(action, 'disk changed since the scan');
        if (hasChildren(local, action.path)) this.fail(action, 'folder not empty on disk');
        this.guardLocal(action, action.path);
        local.delete(action.path);
        synced.delete(action.path);
        return;
      case 'upload': {
        if (!sameLocal(local.get(action.path), action.local)) this.fail(action, 'disk changed since the scan');
        this.checkBase(action, action.path, action.baseRev);
        if (!parentIsFolder(remote, action.path)) this.fail(action, 'parent missing on the server');
        this.guardRemote(action, action.path);
        const written = this.writeRemote(action.path, action.local.node);
        this.record(action.path, action.local.node, written.rev, action.local.inode);
        return;
      }
      case 'mkdirRemote': {
        const folder = local.get(action.path);
        if (folder?.node.kind !== 'dir') this.fail(action, 'no local folder to mirror');
        this.checkBase(action, action.path, action.baseRev);
        if (!parentIsFolder(remote, action.path)) this.fail(action, 'parent missing on the server');
        const written = this.writeRemote(action.path, { kind: 'dir' });
        this.record(action.path, { kind: 'dir' }, written.rev, folder.inode);
        return;
      }
      case 'download': {
        if (!sameLocal(local.get(action.path), action.expectLocal)) this.fail(action, 'disk changed since the scan');
        if (action.expectLocal === undefined) this.checkLocalFree(action, action.path);
        if (!parentIsFolder(local, action.path)) this.fail(action, 'parent missing on disk');
        if (!sameContent(remote.get(action.path)?.node, action.remote.node)) this.fail(action, 'server no longer has that content');
        this.guardLocal(action, action.path);
        const written = this.writeLocal(action.path, action.remote.node);
        this.record(action.path, action.remote.node, action.remote.rev, written.inode);
        return;
      }
      case 'mkdirLocal': {
        this.checkLocalFree(action, action.path);
        if (!parentIsFolder(local, action.path)) this.fail(action, 'parent missing on disk');
        const written = this.writeLocal(action.path, { kind: 'dir' });
        this.record(action.path, { kind: 'dir' }, action.remote.rev, written.inode);
        return;
      }
      case 'conflict': {
        if (!sameLocal(local.get(action.path), action.local)) this.fail(action, 'disk changed since the scan');
        if (remote.has(action.conflictPath)) this.fail(action, 'conflict name taken on the server');
        this.checkLocalFree(action, action.conflictPath);
        if (remote.get(action.path)?.rev !== action.remote.rev) this.fail(action, 'server changed since the feed was read');
        rebaseMap(local, action.path, action.conflictPath, (entry, path) => ({ ...entry, path }));
        const copy = local.get(action.conflictPath);
        if (copy === undefined) this.fail(action, 'rename lost the local version');
        if (!parentIsFolder(remote, action.conflictPath)) this.fail(action, 'parent missing on the server');
        const uploaded = this.writeRemote(action.conflictPath, copy.node);
        this.record(action.conflictPath, copy.node, uploaded.rev, copy.inode);
        const written = this.writeLocal(action.path, action.remote.node);
        this.record(action.path, action.remote.node, action.remote.rev, written.inode);
        return;
      }
      case 'recordSynced': {
        const here = local.get(action.path);
        const there = remote.get(action.path);
        if (!sameContent(here?.node, action.entry.node) || !sameContent(there?.node, action.entry.node)) this.fail(action, 'the sides do not hold that content');
        synced.set(action.path, action.entry);
        return;
      }
      case 'forgetSynced':
        if (local.has(action.path) || remote.has(action.path)) this.fail(action, 'a side still holds the path');
        synced.delete(action.path);
        return;
      case 'problem':
        return;
    }
  }
}

/** Paths where the two sides differ, or where the base does not match them. */
export function differences(world: World, isSkipped: (path: LibraryPath) => boolean = () => false): string[] {
  const paths = new Set<LibraryPath>([...world.local.keys(), ...world.remote.keys(), ...world.synced.keys()]);
  const result: string[] = [];
  for (const path of [...paths].sort()) {
    if (isSkipped(path)) continue;
    const here = world.local.get(path)?.node;
    const there = world.remote.get(path)?.node;
    const base = world.synced.get(path)?.node;
    if (!sameContent(here, there) || !sameContent(base, here)) {
      result.push(`${path}: local ${here?.kind ?? 'none'}, remote ${there?.kind ?? 'none'}, synced ${base?.kind ?? 'none'}`);
    }
  }
  return result;
}
