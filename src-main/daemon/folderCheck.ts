// The Add-library screen's folder: the folder suggested for a library, and the check of a path
// as the user types it. Both run in the sync service, where the folder will be used: its home,
// its path rules and its permissions are the ones that count. The check only reads; adding the
// library (Engine.addSync) checks again and creates the folder.

import { constants } from 'node:fs';
import { access, lstat, opendir, realpath, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FolderCheck, FolderCheckReason } from '../../shared/api/index.js';
import { FOLDER_CHECK_COUNT_LIMIT } from '../../shared/api/index.js';

export interface SyncedFolder {
  readonly name: string;
  readonly localRoot: string;
}

export interface FolderContext {
  /** The libraries synced on this device. */
  readonly libraries: readonly SyncedFolder[];
  /** The profile folder (index, credentials): never a library's folder. */
  readonly profileHome: string;
  /** Path rules of the platform the service runs on (tests pass path.win32). */
  readonly pathApi?: path.PlatformPath;
}

const verdictOf = (reason: FolderCheckReason): FolderCheck['verdict'] =>
  reason === 'will-create' || reason === 'empty' ? 'ok' : reason === 'not-empty' ? 'warning' : 'error';

function answer(reason: FolderCheckReason, extra: { libraryName?: string; entries?: number } = {}): FolderCheck {
  return { verdict: verdictOf(reason), reason, libraryName: extra.libraryName ?? null, entries: extra.entries ?? null };
}

/** Whether `inner` is `outer` or below it (both resolved, same platform). */
function isSameOrInside(inner: string, outer: string, api: path.PlatformPath): boolean {
  const relative = api.relative(outer, inner);
  return relative === '' || (!relative.startsWith('..') && !api.isAbsolute(relative));
}

/** The path with symlinks of its existing part resolved (the part that does not exist yet kept as typed). */
async function resolveExisting(absolute: string): Promise<string> {
  const missing: string[] = [];
  let current = absolute;
  for (;;) {
    try {
      const real = await realpath(current);
      return missing.length === 0 ? real : path.join(real, ...missing.reverse());
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return absolute;
      missing.push(path.basename(current));
      current = parent;
    }
  }
}

/** Checks a typed path: see FolderCheckReason for the answers. */
export async function checkFolder(typed: string, context: FolderContext): Promise<FolderCheck> {
  const api = context.pathApi ?? path;
  const trimmed = typed.trim();
  if (trimmed === '') return answer('missing');
  if (!api.isAbsolute(trimmed) || trimmed.includes('\u0000') || (api === path.win32 && !/^([A-Za-z]:[\\/]|\\\\)/.test(trimmed))) return answer('not-absolute');
  const absolute = api.resolve(trimmed);
  // Symlinks are followed where the path exists, so a link into another library is seen as the library.
  const resolved = api === path ? await resolveExisting(absolute) : absolute;
  const others = await Promise.all(context.libraries.map(async (library) => ({ name: library.name, root: api === path ? await resolveExisting(library.localRoot) : library.localRoot })));
  const profile = api === path ? await resolveExisting(context.profileHome) : context.profileHome;
  if (isSameOrInside(resolved, profile, api) || isSameOrInside(profile, resolved, api)) return answer('profile-folder');
  for (const other of others) {
    if (resolved === other.root) return answer('is-library', { libraryName: other.name });
    if (isSameOrInside(resolved, other.root, api)) return answer('inside-library', { libraryName: other.name });
    if (isSameOrInside(other.root, resolved, api)) return answer('contains-library', { libraryName: other.name });
  }
  if (api !== path) return answer('will-create');

  let info;
  try {
    info = await stat(absolute);
  } catch {
    info = null;
  }
  if (info === null) {
    // Missing (or a dangling link): it is created if its nearest existing ancestor is a writable folder.
    if ((await lstat(absolute).catch(() => null)) !== null) return answer('not-folder');
    let ancestor = path.dirname(absolute);
    for (;;) {
      const found = await stat(ancestor).catch(() => null);
      if (found !== null) {
        if (!found.isDirectory()) return answer('cannot-create');
        return (await writable(ancestor)) ? answer('will-create') : answer('cannot-create');
      }
      const parent = path.dirname(ancestor);
      if (parent === ancestor) return answer('cannot-create');
      ancestor = parent;
    }
  }
  if (!info.isDirectory()) return answer('not-folder');
  if (!(await writable(absolute))) return answer('not-writable');
  const entries = await countEntries(absolute);
  if (entries === null) return answer('not-writable');
  return entries === 0 ? answer('empty') : answer('not-empty', { entries });
}

async function writable(folder: string): Promise<boolean> {
  try {
    await access(folder, constants.W_OK | constants.X_OK | constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** Items directly in the folder, up to the limit; null when it cannot be listed. */
async function countEntries(folder: string): Promise<number | null> {
  try {
    const dir = await opendir(folder);
    let count = 0;
    for await (const entry of dir) {
      void entry;
      count += 1;
      if (count >= FOLDER_CHECK_COUNT_LIMIT) break;
    }
    return count;
  } catch {
    return null;
  }
}

/** A library name as a folder name: characters no desktop accepts become '_'. */
export function folderNameOf(libraryName: string): string {
  // eslint-disable-next-line no-control-regex
  const name = libraryName.trim().replace(/[\\/:*?"<>|\u0000-\u001f]/g, '_').replace(/^\.+$/, '_').replace(/[. ]+$/, '');
  return name === '' ? 'Cairn library' : name;
}

/**
 * The folder suggested for a library: beside the folder of the first synced library (most
 * people keep them together), else `<home>/Cairn/<name>`; with " 2", " 3"... when that is
 * another library's folder.
 */
export function suggestFolder(libraryName: string, context: FolderContext & { readonly homeDir?: string }): string {
  const api = context.pathApi ?? path;
  const first = context.libraries[0];
  const parent = first === undefined ? api.join(context.homeDir ?? os.homedir(), 'Cairn') : api.dirname(first.localRoot);
  const name = folderNameOf(libraryName);
  const taken = new Set(context.libraries.map((library) => library.localRoot));
  let candidate = api.join(parent, name);
  for (let number = 2; taken.has(candidate); number++) candidate = api.join(parent, `${name} ${number}`);
  return candidate;
}
