// The folders of one library that a sync round has checked: each is a real folder (never a
// symlink) at every level from the root down, and we know its inode. A folder is checked once
// per round, not once per file written into it: 10,000 downloads into 210 folders cost 210
// checks instead of 10,000 walks of the whole ancestor chain, and a file 1,000 folders deep
// costs 1,000 lstats instead of half a million.
//
// Why a remembered check stays safe: before writing into a folder and again right before a
// name is put in place, `confirm` lstats the folder's full path and asks for its real path
// (realpath, one call). If any ancestor was swapped for a symlink since the check, the real
// path differs from the one the library's layout implies, even when the symlink leads back to
// the very folder checked (moved out of the library, say); a different inode means another
// folder now stands there. Either way the whole chain is checked again from the root, exactly
// as the first time. Creating a folder below a remembered one first confirms that one's inode.
// The window left is the one every check has without openat (Node has none): between the
// check and the call that follows it.

import fs from 'node:fs';
import path from 'node:path';
import { checkLibraryPath, parentPath, type LibraryPath } from '../../../shared/paths.js';
import { checkLocalPath } from './checkLocalName.js';
import { type ObservedNode, observe } from './expectation.js';
import { fsCalls } from '../../../shared/node/fsCalls.js';
import { fsErrorCode, lstatIfPresent } from './fsErrorCode.js';
import { fsyncFolder, fsyncFolders } from '../../../shared/node/fsyncFolder.js';
import { type Refusal, UnsafePathError, refuseUnsafe } from './resolveInRoot.js';

export type MkdirResult =
  | { readonly status: 'created' | 'exists'; readonly inode: number }
  /** A file (or special file) is where the folder should be; `at` names which path. */
  | { readonly status: 'blocked'; readonly at: LibraryPath; readonly found: ObservedNode }
  | Refusal;

export type ConfirmResult =
  /** The folder is the one checked (or was checked again just now); `absolute` is where it is. */
  | { readonly status: 'confirmed'; readonly absolute: string }
  /** It, or a folder above it, is gone or no longer a folder: the user moved things meanwhile. */
  | { readonly status: 'gone' }
  | Refusal;

interface CheckedFolder {
  readonly absolute: string;
  readonly inode: number;
  readonly device: number;
}

export class CheckedFolders {
  private readonly base: string;
  private readonly checked = new Map<LibraryPath, CheckedFolder>();
  /** The root's real path (the root may be a symlink the user chose), found on first use. */
  private realBase: Promise<string> | undefined;

  /** `root` is the library folder, an absolute path; it may itself be a symlink (the user chose it). */
  constructor(root: string) {
    if (!path.isAbsolute(root)) throw new TypeError(`the library root must be an absolute path: ${JSON.stringify(root)}`);
    this.base = path.resolve(root);
  }

  /** The absolute path of `folder` ('' is the root). No checks. */
  absolute(folder: LibraryPath | ''): string {
    if (folder === '') return this.base;
    return this.checked.get(folder)?.absolute ?? path.join(this.base, ...folder.split('/'));
  }

  /**
   * Makes sure a real folder exists at `folder`, creating missing levels, each with a plain
   * mkdir after the levels above it were checked, and fsyncing its parent so that a folder the
   * index records cannot vanish in a crash. Levels this instance checked before are not looked
   * at again (see confirm for the late re-check). 'created' means at least the last level was
   * created by this call.
   */
  async ensure(folder: LibraryPath): Promise<MkdirResult> {
    return this.ensureLevels(folder, undefined);
  }

  /**
   * ensure for several folders, in order (parents before children), with the fsyncs of the
   * folders that got a new child done together at the end: a run of 1,000 new folders costs
   * one fsync per distinct parent, all at once, instead of one after each mkdir. Nothing
   * created here may be recorded before this returns.
   */
  async ensureAll(folders: readonly LibraryPath[]): Promise<MkdirResult[]> {
    const toSync = new Set<string>();
    const results: MkdirResult[] = [];
    for (const folder of folders) results.push(await this.ensureLevels(folder, toSync));
    await fsyncFolders(toSync);
    return results;
  }

  /** ensure; with `toSync`, the parents of created levels are added to it instead of fsynced. */
  private async ensureLevels(folder: LibraryPath, toSync: Set<string> | undefined): Promise<MkdirResult> {
    return refuseUnsafe(async (): Promise<MkdirResult> => {
      const known = this.checked.get(folder);
      if (known !== undefined) return { status: 'exists', inode: known.inode };
      checkCanonical(folder);
      // The levels below the deepest checked ancestor, found from the end: a chain of 1,000
      // folders checked one by one costs one step each, not a walk from the root each time.
      const unchecked: LibraryPath[] = [];
      for (let level: LibraryPath | '' = folder; level !== '' && !this.checked.has(level); level = parentPath(level)) unchecked.push(level);
      // The deepest remembered level is confirmed (one lstat) before anything is created below it.
      const deepestKnown = parentPath(unchecked[unchecked.length - 1]!);
      if (deepestKnown !== '' && !(await this.sameInode(deepestKnown))) {
        const again = await this.confirmOrThrow(deepestKnown);
        if (again.status === 'gone') return this.ensureLevels(folder, toSync);
      }
      let created = false;
      let inode = 0;
      for (let i = unchecked.length - 1; i >= 0; i--) {
        const level = unchecked[i]!;
        const parent = parentPath(level);
        const absolute = path.join(this.absolute(parent), level.slice(parent === '' ? 0 : parent.length + 1));
        let stats = await lstatIfPresent(absolute);
        created = false;
        if (stats === undefined) {
          try {
            await fsCalls.mkdir(absolute, 0o777);
            created = true;
          } catch (error) {
            if (fsErrorCode(error) !== 'EEXIST') throw error;
          }
          stats = await lstatIfPresent(absolute);
        }
        if (stats?.isSymbolicLink()) throw symlinkError(folder, level);
        if (stats !== undefined && !stats.isDirectory() && level !== folder) {
          throw new UnsafePathError('not-a-folder', level, `Refused "${folder}": "${level}" is a file, not a folder.`);
        }
        if (stats === undefined || !stats.isDirectory()) return { status: 'blocked', at: level, found: observe(stats) };
        if (created && toSync !== undefined) toSync.add(path.dirname(absolute));
        else if (created) await fsyncFolder(path.dirname(absolute));
        this.checked.set(level, { absolute, inode: stats.ino, device: stats.dev });
        inode = stats.ino;
      }
      return { status: created ? 'created' : 'exists', inode };
    });
  }

  /**
   * One lstat: is `folder` still the folder checked before? If not (another inode, a symlink,
   * or never checked), the chain is checked again from the root without creating anything.
   * The root itself is always confirmed.
   */
  async confirm(folder: LibraryPath | ''): Promise<ConfirmResult> {
    return refuseUnsafe(() => this.confirmOrThrow(folder));
  }

  /**
   * Where `libraryPath` is on disk, with its folder confirmed (see confirm). Throws an
   * UnsafePathError for a path that is not canonical or leads through a symlink, and an ENOENT
   * error when its folder is gone (as the write into it would).
   */
  async locate(libraryPath: LibraryPath): Promise<string> {
    checkCanonical(libraryPath);
    const folder = parentPath(libraryPath);
    const confirmed = await this.confirmOrThrow(folder);
    if (confirmed.status === 'gone') {
      throw Object.assign(new Error(`ENOENT: the folder of "${libraryPath}" is gone or is no longer a folder`), { code: 'ENOENT' });
    }
    return path.join(confirmed.absolute, libraryPath.slice(folder === '' ? 0 : folder.length + 1));
  }

  private async confirmOrThrow(folder: LibraryPath | ''): Promise<Exclude<ConfirmResult, Refusal>> {
    if (folder === '') return { status: 'confirmed', absolute: this.base };
    {
      const known = this.checked.get(folder);
      if (known !== undefined) {
        const [same, real, realBase] = await Promise.all([this.sameInode(folder), realpathIfPresent(known.absolute), this.realRoot()]);
        if (same && real === path.join(realBase, ...folder.split('/'))) return { status: 'confirmed', absolute: known.absolute };
      }
      this.forget(folder);
      checkCanonical(folder);
      const levels: LibraryPath[] = [];
      for (let level: LibraryPath | '' = folder; level !== ''; level = parentPath(level)) levels.push(level);
      for (let i = levels.length - 1; i >= 0; i--) {
        const level = levels[i]!;
        const parent = parentPath(level);
        const absolute = path.join(this.absolute(parent), level.slice(parent === '' ? 0 : parent.length + 1));
        const stats = await lstatIfPresent(absolute);
        if (stats?.isSymbolicLink()) throw symlinkError(folder, level);
        if (stats === undefined || !stats.isDirectory()) return { status: 'gone' };
        this.checked.set(level, { absolute, inode: stats.ino, device: stats.dev });
      }
      return { status: 'confirmed', absolute: this.absolute(folder) };
    }
  }

  /** One lstat: is the remembered `folder` still a real folder with the inode it had? */
  private async sameInode(folder: LibraryPath): Promise<boolean> {
    const known = this.checked.get(folder);
    if (known === undefined) return false;
    const stats = await lstatIfPresent(known.absolute);
    return stats !== undefined && stats.isDirectory() && !stats.isSymbolicLink() && stats.ino === known.inode && stats.dev === known.device;
  }

  private async realRoot(): Promise<string> {
    this.realBase ??= new Promise<string>((resolve, reject) => fs.realpath.native(this.base, (error, real) => (error === null ? resolve(real) : reject(error))));
    return this.realBase;
  }

  /** Forgets `folder` and every folder below it (after it was moved or deleted). */
  forget(folder: LibraryPath): void {
    const prefix = `${folder}/`;
    for (const key of this.checked.keys()) if (key === folder || key.startsWith(prefix)) this.checked.delete(key);
  }

  /** Forgets everything (the disk changed in ways this round did not make). */
  clear(): void {
    this.checked.clear();
  }
}

/**
 * Makes sure a folder exists at `libraryPath` below `root`, creating missing parents first;
 * see CheckedFolders.ensure. For one folder; a round creating many shares one CheckedFolders.
 */
export async function mkdirSafe(root: string, libraryPath: LibraryPath): Promise<MkdirResult> {
  return new CheckedFolders(root).ensure(libraryPath);
}

function checkCanonical(folder: LibraryPath): void {
  const check = checkLibraryPath(folder);
  if (!check.ok) {
    throw new UnsafePathError('not-canonical', folder, `Refused ${JSON.stringify(folder)}: not a canonical library path (${check.problem}).`);
  }
  const localCheck = checkLocalPath(folder, process.platform);
  if (!localCheck.ok) throw new UnsafePathError('illegal-local-name', folder, localCheck.message);
}

function symlinkError(target: LibraryPath, level: LibraryPath): UnsafePathError {
  return level === target
    ? new UnsafePathError('symlink', level, `Refused "${target}": it is a symlink, and Cairn never follows or replaces symlinks.`)
    : new UnsafePathError('symlink', level, `Refused "${target}": its folder "${level}" is a symlink, and Cairn never follows symlinks out of a library.`);
}

/** The real path of `absolute` (every symlink on the way resolved), or undefined if it cannot be had. */
async function realpathIfPresent(absolute: string): Promise<string | undefined> {
  return new Promise((resolve) => fs.realpath.native(absolute, (error, real) => resolve(error === null ? real : undefined)));
}
