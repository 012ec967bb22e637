// The commit rules, as one pure function over a read-only view of the library. Every metadata
// store runs it inside its own transaction, so the rules exist once for every backend.
//
// Invariant kept by these rules: every ancestor of a live entry is a live folder. A put or
// mkdir creates missing parents, a folder with live children cannot be deleted, and a folder
// move moves its whole subtree. So a path that is not live has no live descendants.

import type { LibraryPath } from '../shared/paths.js';
import { comparePaths } from '../shared/pathOrder.js';
import { isSameOrBelow, parentPath, rebasePath } from '../shared/paths.js';
import type {
  Change,
  ChangeResult,
  ConflictReason,
  DeleteChange,
  Entry,
  MkdirChange,
  MoveChange,
  PutChange,
} from '../shared/protocol/index.js';
import { COMMIT_LIMITS } from '../shared/protocol/index.js';

/** What the rules need to read; answers reflect the state before the commit. */
export interface CommitReader {
  /** The latest version of a path, deleted or not, or null if the path never existed. */
  head(path: LibraryPath): Entry | null;
  /** The live entries strictly below a folder, in any order. */
  liveDescendants(folder: LibraryPath): Entry[];
}

export interface CommitContext {
  /** The rev the first new version gets: the library's head + 1. */
  readonly firstRev: number;
  readonly userName: string;
  readonly device: string;
  readonly committedAt: number;
}

export interface AppliedChanges {
  /** One result per change, in order. */
  readonly results: ChangeResult[];
  /** Every new version, in rev order (firstRev, firstRev + 1, ...). */
  readonly versions: Entry[];
  /** How much the sizes of the library's current files grow (negative: shrink) by the applied changes. */
  readonly liveBytesDelta: number;
}

type NewVersion = Omit<Entry, 'rev' | 'userName' | 'device' | 'committedAt'>;

/**
 * A commit asked for more implied parent folders than one commit may create
 * (COMMIT_LIMITS.maxImpliedFoldersPerCommit). Thrown from inside the store's transaction,
 * so nothing of the commit applies; the handler answers 400.
 */
export class ImpliedFoldersLimitError extends Error {
  override readonly name = 'ImpliedFoldersLimitError';
  constructor(readonly limit: number) {
    super(`this commit would create more than ${limit} parent folders implicitly; send mkdir changes for the folders, or split the commit`);
  }
}

/** The library as the commit sees it: the reader's state plus this commit's new versions. */
class CommitView {
  private readonly changed = new Map<LibraryPath, Entry>();
  private readonly read = new Map<LibraryPath, Entry | null>();
  readonly versions: Entry[] = [];
  /** Parent folders this commit created because a change needed them (see createParents). */
  impliedFolders = 0;
  /** The growth of the sizes of current files (see AppliedChanges.liveBytesDelta). */
  liveBytesDelta = 0;
  private nextRev: number;

  constructor(
    private readonly reader: CommitReader,
    private readonly context: CommitContext,
  ) {
    this.nextRev = context.firstRev;
  }

  head(path: LibraryPath): Entry | null {
    const changed = this.changed.get(path);
    if (changed !== undefined) return changed;
    if (!this.read.has(path)) this.read.set(path, this.reader.head(path));
    return this.read.get(path) ?? null;
  }

  /** Live entries strictly below the folder, parents before children. */
  liveDescendants(folder: LibraryPath): Entry[] {
    const result = new Map<LibraryPath, Entry>();
    for (const entry of this.reader.liveDescendants(folder)) {
      if (!this.changed.has(entry.path)) result.set(entry.path, entry);
    }
    for (const [path, entry] of this.changed) {
      if (!entry.deleted && path !== folder && isSameOrBelow(path, folder)) result.set(path, entry);
    }
    return [...result.values()].sort((a, b) => comparePaths(a.path, b.path));
  }

  write(version: NewVersion): Entry {
    // Field by field, in the order a spread of the version would give, not `{ ...version, rev,
    // ... }`: V8 gives every object made by a spread plus new keys a hidden class of its own
    // (about 1 KiB each, 10 MiB for a 10,000-file commit); objects built in one order share one.
    const rev = this.nextRev++;
    const { device, userName, committedAt } = this.context;
    const { path, kind, deleted, size, mtimeMs, executable, chunks, contentHash, movedFrom, movedTo } = version;
    let entry: Entry;
    if (movedFrom === undefined && movedTo === undefined) {
      entry = { path, kind, deleted, size, mtimeMs, executable, chunks, contentHash, rev, device, userName, committedAt };
    } else {
      entry = { path, kind, deleted, size, mtimeMs, executable, chunks, contentHash } as Entry;
      if (movedFrom !== undefined) entry.movedFrom = movedFrom;
      if (movedTo !== undefined) entry.movedTo = movedTo;
      Object.assign(entry, { rev, device, userName, committedAt });
    }
    this.versions.push(entry);
    this.changed.set(entry.path, entry);
    return entry;
  }
}

function isLive(entry: Entry | null): entry is Entry {
  return entry !== null && !entry.deleted;
}

/** baseRev null: the path must not be live. A number: it must be the path's latest rev. */
function baseMatches(baseRev: number | null, current: Entry | null): boolean {
  return baseRev === null ? !isLive(current) : current !== null && current.rev === baseRev;
}

function folderVersion(path: LibraryPath, movedFrom?: LibraryPath): NewVersion {
  const version: NewVersion = { path, kind: 'dir', deleted: false, size: 0, mtimeMs: 0, executable: false, chunks: [], contentHash: '' };
  return movedFrom === undefined ? version : { ...version, movedFrom };
}

function deletedVersion(of: Entry, movedTo?: LibraryPath): NewVersion {
  const version: NewVersion = {
    path: of.path,
    kind: of.kind,
    deleted: true,
    size: of.size,
    mtimeMs: of.mtimeMs,
    executable: of.executable,
    chunks: of.chunks,
    contentHash: of.contentHash,
  };
  return movedTo === undefined ? version : { ...version, movedTo };
}

type Outcome = { status: 'applied'; entry: Entry } | { status: 'conflict'; reason: ConflictReason; current: Entry | null };

const conflict = (reason: ConflictReason, current: Entry | null): Outcome => ({ status: 'conflict', reason, current });

/**
 * An ancestor of the path that is a live file, or null. Only the nearest live ancestor can be
 * one: by the invariant, everything above a live entry is a live folder. So the walk stops
 * there, and a change below an existing folder costs one look, not one per level (a path
 * 1,000 folders deep made each of its 1,000 folders cost 1,000 looks).
 */
function fileAncestor(view: CommitView, path: LibraryPath): Entry | null {
  for (let ancestor = parentPath(path); ancestor !== ''; ancestor = parentPath(ancestor)) {
    const entry = view.head(ancestor);
    if (isLive(entry)) return entry.kind === 'file' ? entry : null;
  }
  return null;
}

/**
 * Creates the missing ancestor folders of a path, top-down; the caller checked fileAncestor.
 * The missing ones are those below the nearest live ancestor (see fileAncestor), found walking
 * up from the parent: linear in the depth. They count against the commit's allowance: a few
 * hundred bytes of deep paths would otherwise make the server write hundreds of thousands of
 * versions in one transaction.
 */
function createParents(view: CommitView, path: LibraryPath, mtimeMs: number): void {
  const missing: LibraryPath[] = [];
  for (let ancestor = parentPath(path); ancestor !== '' && !isLive(view.head(ancestor)); ancestor = parentPath(ancestor)) {
    if (++view.impliedFolders > COMMIT_LIMITS.maxImpliedFoldersPerCommit) throw new ImpliedFoldersLimitError(COMMIT_LIMITS.maxImpliedFoldersPerCommit);
    missing.push(ancestor);
  }
  for (const ancestor of missing.reverse()) view.write({ ...folderVersion(ancestor), mtimeMs });
}

function applyPut(view: CommitView, change: PutChange, now: number): Outcome {
  const current = view.head(change.path);
  if (!baseMatches(change.baseRev, current)) return conflict('stale-base', current);
  if (isLive(current) && current.kind === 'dir') return conflict('type-clash', current);
  const blocker = fileAncestor(view, change.path);
  if (blocker !== null) return conflict('parent-is-file', blocker);
  createParents(view, change.path, now);
  view.liveBytesDelta += change.size - (isLive(current) ? current.size : 0);
  const entry = view.write({
    path: change.path,
    kind: 'file',
    deleted: false,
    size: change.size,
    mtimeMs: change.mtimeMs,
    executable: change.executable,
    chunks: change.chunks,
    contentHash: change.contentHash,
  });
  return { status: 'applied', entry };
}

function applyMkdir(view: CommitView, change: MkdirChange, now: number): Outcome {
  const current = view.head(change.path);
  if (!baseMatches(change.baseRev, current)) return conflict('stale-base', current);
  if (isLive(current) && current.kind === 'file') return conflict('type-clash', current);
  const blocker = fileAncestor(view, change.path);
  if (blocker !== null) return conflict('parent-is-file', blocker);
  createParents(view, change.path, now);
  return { status: 'applied', entry: view.write({ ...folderVersion(change.path), mtimeMs: now }) };
}

function applyDelete(view: CommitView, change: DeleteChange): Outcome {
  const current = view.head(change.path);
  if (!baseMatches(change.baseRev, current)) return conflict('stale-base', current);
  if (!isLive(current)) return conflict('not-found', current);
  if (current.kind === 'dir') {
    // Children deleted earlier in this commit are no longer live here, so a client deletes a
    // folder by deleting its contents first; a child it did not know about blocks the delete.
    const child = view.liveDescendants(change.path)[0];
    if (child !== undefined) return conflict('not-empty', child);
  }
  if (current.kind === 'file') view.liveBytesDelta -= current.size;
  return { status: 'applied', entry: view.write(deletedVersion(current)) };
}

function applyMove(view: CommitView, change: MoveChange, now: number): Outcome {
  const source = view.head(change.from);
  if (!baseMatches(change.baseRev, source)) return conflict('stale-base', source);
  if (!isLive(source)) return conflict('not-found', source);
  if (change.from === change.to || (source.kind === 'dir' && isSameOrBelow(change.to, change.from))) {
    return conflict('invalid-move', source);
  }
  const target = view.head(change.to);
  if (!baseMatches(change.toBaseRev, target)) return conflict('stale-target', target);
  if (isLive(target) && (target.kind === 'dir' || source.kind === 'dir')) return conflict('type-clash', target);
  const blocker = fileAncestor(view, change.to);
  if (blocker !== null) return conflict('parent-is-file', blocker);

  const descendants = source.kind === 'dir' ? view.liveDescendants(change.from) : [];
  createParents(view, change.to, now);
  // A file moved over a file replaces it: the replaced one no longer counts.
  if (isLive(target)) view.liveBytesDelta -= target.size;
  // New paths first, parents before children; then the old paths, children before parents.
  // A client applying the feed in rev order never sees an entry without its parent folder.
  const entry = view.write({ ...stripMoveMarks(source), path: change.to, movedFrom: change.from });
  for (const descendant of descendants) {
    view.write({ ...stripMoveMarks(descendant), path: rebasePath(descendant.path, change.from, change.to), movedFrom: descendant.path });
  }
  for (const descendant of [...descendants].reverse()) {
    view.write(deletedVersion(descendant, rebasePath(descendant.path, change.from, change.to)));
  }
  view.write(deletedVersion(source, change.to));
  return { status: 'applied', entry };
}

function stripMoveMarks(entry: Entry): NewVersion {
  return {
    path: entry.path,
    kind: entry.kind,
    deleted: entry.deleted,
    size: entry.size,
    mtimeMs: entry.mtimeMs,
    executable: entry.executable,
    chunks: entry.chunks,
    contentHash: entry.contentHash,
  };
}

function unhandledChange(change: never): never {
  throw new Error(`unhandled change: ${JSON.stringify(change)}`);
}

/**
 * Applies the changes in order. A change whose base is not current, or that would break the
 * invariant above, becomes a conflict and leaves the view untouched; the others apply.
 */
export function applyChanges(reader: CommitReader, changes: readonly Change[], context: CommitContext): AppliedChanges {
  const view = new CommitView(reader, context);
  const results: ChangeResult[] = changes.map((change, index): ChangeResult => {
    let outcome: Outcome;
    switch (change.op) {
      case 'put':
        outcome = applyPut(view, change, context.committedAt);
        break;
      case 'mkdir':
        outcome = applyMkdir(view, change, context.committedAt);
        break;
      case 'delete':
        outcome = applyDelete(view, change);
        break;
      case 'move':
        outcome = applyMove(view, change, context.committedAt);
        break;
      default:
        return unhandledChange(change);
    }
    return outcome.status === 'applied'
      ? { index, status: 'applied', entry: outcome.entry }
      : { index, status: 'conflict', reason: outcome.reason, current: outcome.current };
  });
  return { results, versions: view.versions, liveBytesDelta: view.liveBytesDelta };
}
