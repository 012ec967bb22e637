// Whether the disk still holds exactly what the last scan recorded, told by the stats alone,
// without building the local state: a one-shot `cairn sync now` that finds nothing changed
// spent ~45 ms of its ~0.33 s loading 10,000 entries with their chunk lists (and the garbage
// collections of those objects) only for the scan to reuse every one of them.
//
// It answers true only where a scan of the whole library would find no change at all: every
// recorded path is there, of the same kind, with the size, modification time, inode and
// executable bit recorded (a folder with its time and inode), and no other name is listed but
// ignored ones. Anything a scan would look at more closely (a new or missing name, a temp file,
// a name read with U+FFFD, a symlink or device, a folder it cannot list) answers false, and
// the caller scans as always. Synchronous calls, for a process that serves nothing else
// meanwhile (see ScanOptions.statOnThisThread).

import { type Dirent, lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { LibraryPath } from '../../../shared/paths.js';
import type { IgnoreMatcher } from '../ignore/ignoreMatcher.js';
import { isTempFileName } from '../localfs/tempFileName.js';

/** What a scan compares of a recorded local entry: kind, size on disk, modification time, inode and executable bit (0 or 1). */
export type LocalSignature = readonly [kind: 'file' | 'dir', statSize: number, mtimeMs: number, inode: number, executable: number];

/**
 * The recorded state, by kind: the folders first, and the files only once every folder was
 * found as recorded. A renamed folder, or files saved by renaming a new version into place
 * (which changes their folder's time), are told by the folders alone, before the files'
 * signatures are read.
 */
export interface RecordedState {
  readonly folders: ReadonlyMap<LibraryPath, LocalSignature>;
  files(): ReadonlyMap<LibraryPath, LocalSignature>;
}

export function diskMatchesRecord(root: string, recorded: RecordedState, ignore: IgnoreMatcher): boolean {
  // The folders, top down: each listed once; the files each listing holds, for the second step.
  const listings: { readonly folder: LibraryPath | ''; readonly prefix: string; readonly files: Dirent[] }[] = [];
  let foldersSeen = 0;
  const folders: (LibraryPath | '')[] = [''];
  for (let folder = folders.pop(); folder !== undefined; folder = folders.pop()) {
    const absolute = folder === '' ? root : path.join(root, folder);
    let dirents: Dirent[];
    try {
      dirents = readdirSync(absolute, { withFileTypes: true });
    } catch {
      return false;
    }
    const prefix = absolute.endsWith(path.sep) ? absolute : absolute + path.sep;
    const files: Dirent[] = [];
    for (const dirent of dirents) {
      const name = dirent.name;
      // A temp file is for the scan to report or remove; two names read with U+FFFD may be one path.
      if (isTempFileName(name) || name.includes('\ufffd')) return false;
      if (!dirent.isDirectory()) {
        files.push(dirent);
        continue;
      }
      const entryPath = (folder === '' ? name : `${folder}/${name}`) as LibraryPath;
      // Ignored: the scan leaves it out (recorded, it would drop it).
      if (ignore.isIgnoredInFolder(entryPath, true)) {
        if (recorded.folders.has(entryPath)) return false;
        continue;
      }
      const signature = recorded.folders.get(entryPath);
      if (signature === undefined || !matches(prefix + name, true, signature)) return false;
      folders.push(entryPath);
      foldersSeen++;
    }
    listings.push({ folder, prefix, files });
  }
  if (foldersSeen !== recorded.folders.size) return false;
  const files = recorded.files();
  let filesSeen = 0;
  for (const { folder, prefix, files: dirents } of listings) {
    for (const dirent of dirents) {
      const entryPath = (folder === '' ? dirent.name : `${folder}/${dirent.name}`) as LibraryPath;
      if (ignore.isIgnoredInFolder(entryPath, false)) {
        if (files.has(entryPath)) return false;
        continue;
      }
      const signature = files.get(entryPath);
      if (signature === undefined || !matches(prefix + dirent.name, false, signature)) return false;
      filesSeen++;
    }
  }
  // Every recorded path was listed (each name once: none read with U+FFFD).
  return filesSeen === files.size;
}

/** Whether the entry at `absolute` (listed as a folder or not) is the one `signature` records. */
function matches(absolute: string, listedAsFolder: boolean, signature: LocalSignature): boolean {
  const stats = lstatSync(absolute, { throwIfNoEntry: false });
  if (stats === undefined || stats.isDirectory() !== listedAsFolder) return false;
  const [kind, statSize, mtimeMs, inode, executable] = signature;
  if (stats.mtimeMs !== mtimeMs || stats.ino !== inode) return false;
  if (kind === 'dir') return stats.isDirectory() && statSize === 0;
  return stats.isFile() && stats.size === statSize && ((stats.mode & 0o100) !== 0 ? 1 : 0) === executable;
}
