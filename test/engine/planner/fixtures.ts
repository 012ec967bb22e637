// Named fixtures for the planner tests: trees written as nested objects, turned into the three
// maps the planner reads, and a one-line description of each planned action so expected
// plans read as tables.
//
// Conventions that keep the tables short:
// - A file's content is a label ('A', 'B', ...): its hash is `hash:<label>` and its size the
//   label's length. Two files with the same label and executable bit have the same content.
// - Synced revisions are 1, 2, 3... in path order. A remote entry with the same content as the
//   base at its path carries the base's rev; any other remote entry gets 100, 101... in path
//   order, as if committed later by another device.
// - A local entry with the same content as the base keeps the base's inode; any other local
//   entry gets a fresh inode (5000, 5001...). Explicit inodes override both.

import { parseLibraryPath } from '../../../shared/paths.js';
import type { LibraryPath } from '../../../shared/paths.js';
import { sameContent } from '../../../src-main/engine/syncModel.js';
import type { FileNode, LocalEntry, Node, SyncedEntry } from '../../../src-main/engine/syncModel.js';
import { planLibrary } from '../../../src-main/engine/planner/index.js';
import type { Plan, PlanAction, PlanInput, RemoteFeedEntry } from '../../../src-main/engine/planner/index.js';

export interface FileSpec {
  readonly kind: 'file';
  readonly label: string;
  readonly executable: boolean;
  readonly inode?: number;
}

export interface DirSpec {
  readonly kind: 'dir';
  readonly children: TreeSpec;
  readonly inode?: number;
}

export type Spec = FileSpec | DirSpec;
export type TreeSpec = { readonly [name: string]: Spec };

/** A file with content `label`. */
export function f(label: string, options: { executable?: boolean; inode?: number } = {}): FileSpec {
  return { kind: 'file', label, executable: options.executable ?? false, ...(options.inode !== undefined ? { inode: options.inode } : {}) };
}

/** A folder. */
export function d(children: TreeSpec = {}, options: { inode?: number } = {}): DirSpec {
  return { kind: 'dir', children, ...(options.inode !== undefined ? { inode: options.inode } : {}) };
}

export function fileNode(label: string, executable = false): FileNode {
  return { kind: 'file', contentHash: `hash:${label}`, size: label.length, executable };
}

export function nodeOf(spec: Spec): Node {
  return spec.kind === 'file' ? fileNode(spec.label, spec.executable) : { kind: 'dir' };
}

/** 'dir', or the content label with '+x' when executable. */
export function labelOf(node: Node | undefined): string {
  if (node === undefined) return 'none';
  if (node.kind === 'dir') return 'dir';
  return `${node.contentHash.replace(/^hash:/, '')}${node.executable ? '+x' : ''}`;
}

export const p = (raw: string): LibraryPath => parseLibraryPath(raw);

/** Every path of a tree with its spec, parents first, in path order. */
export function flatten(tree: TreeSpec, prefix = ''): [LibraryPath, Spec][] {
  const result: [LibraryPath, Spec][] = [];
  for (const name of Object.keys(tree).sort()) {
    const spec = tree[name];
    if (spec === undefined) continue;
    const path = p(prefix === '' ? name : `${prefix}/${name}`);
    result.push([path, spec]);
    if (spec.kind === 'dir') result.push(...flatten(spec.children, path));
  }
  return result.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

export interface Scenario {
  readonly synced?: TreeSpec;
  readonly local?: TreeSpec;
  readonly remote?: TreeSpec;
  /** Remote moves as the feed reports them: new path -> old path. */
  readonly remoteMoves?: Readonly<Record<string, string>>;
  /** Explicit remote revs by path, overriding the convention. */
  readonly remoteRevs?: Readonly<Record<string, number>>;
}

export interface States {
  readonly synced: Map<LibraryPath, SyncedEntry>;
  readonly local: Map<LibraryPath, LocalEntry>;
  readonly remote: Map<LibraryPath, RemoteFeedEntry>;
}

export function buildStates(scenario: Scenario): States {
  const synced = new Map<LibraryPath, SyncedEntry>();
  flatten(scenario.synced ?? {}).forEach(([path, spec], index) => {
    synced.set(path, { path, node: nodeOf(spec), rev: index + 1, inode: spec.inode ?? 1000 + index, mtimeMs: 0 });
  });
  const local = new Map<LibraryPath, LocalEntry>();
  flatten(scenario.local ?? {}).forEach(([path, spec], index) => {
    const node = nodeOf(spec);
    const base = synced.get(path);
    const inode = spec.inode ?? (base !== undefined && sameContent(base.node, node) ? base.inode : 5000 + index);
    local.set(path, { path, node, mtimeMs: 0, inode, statSize: node.kind === 'file' ? node.size : 0, chunks: [] });
  });
  const remote = new Map<LibraryPath, RemoteFeedEntry>();
  flatten(scenario.remote ?? {}).forEach(([path, spec], index) => {
    const node = nodeOf(spec);
    const base = synced.get(path);
    const explicit = scenario.remoteRevs?.[path];
    const rev = explicit ?? (base !== undefined && sameContent(base.node, node) ? base.rev : 100 + index);
    const movedFrom = scenario.remoteMoves?.[path];
    remote.set(path, { path, node, rev, mtimeMs: 0, chunks: [], ...(movedFrom !== undefined ? { movedFrom: p(movedFrom) } : {}) });
  });
  return { synced, local, remote };
}

export const DEVICE = 'laptop';
export const NOW = new Date(Date.UTC(2024, 4, 6, 7, 8, 9));
/** The conflict marker every test plan uses. */
export const MARK = '(conflict laptop 2024-05-06 070809)';

export type Options = Partial<Pick<PlanInput, 'isIgnored' | 'isSelected' | 'caseInsensitiveDisk' | 'deviceName' | 'now'>>;

export function planStates(states: States, options: Options = {}): Plan {
  return planLibrary({ ...states, deviceName: DEVICE, now: NOW, ...options });
}

export function plan(scenario: Scenario, options: Options = {}): Plan {
  return planStates(buildStates(scenario), options);
}

/** One line per action, the language of the expected plans. */
export function describe(action: PlanAction): string {
  switch (action.kind) {
    case 'moveRemote':
      return `moveRemote ${action.from} -> ${action.to} base=${action.baseRev}`;
    case 'moveLocal':
      return `moveLocal ${action.from} -> ${action.to}`;
    case 'deleteRemote':
      return `deleteRemote ${action.path} base=${action.baseRev}`;
    case 'deleteLocal':
      return `deleteLocal ${action.path} (${labelOf(action.expectLocal.node)})`;
    case 'upload':
      return `upload ${action.path} ${labelOf(action.local.node)} base=${action.baseRev ?? 'none'}`;
    case 'mkdirRemote':
      return `mkdirRemote ${action.path}`;
    case 'download':
      return `download ${action.path} ${labelOf(action.remote.node)}${action.expectLocal !== undefined ? ` over ${labelOf(action.expectLocal.node)}` : ''}`;
    case 'mkdirLocal':
      return `mkdirLocal ${action.path}`;
    case 'conflict':
      return `conflict ${action.path} keep ${labelOf(action.remote.node)}, local ${labelOf(action.local.node)} -> ${action.conflictPath}`;
    case 'recordSynced':
      return `recordSynced ${action.path} ${labelOf(action.entry.node)} rev=${action.entry.rev}`;
    case 'forgetSynced':
      return `forgetSynced ${action.path}`;
    case 'problem':
      return `problem ${action.path} ${action.reason}`;
  }
}

export function describePlan(planned: Plan): string[] {
  return planned.map(describe);
}
