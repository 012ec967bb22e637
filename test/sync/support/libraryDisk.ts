// Synchronous reads and edits of a library folder, for tests that act like a user: the
// randomized test edits files from inside the engine's progress callback (in the middle of a
// round), where only synchronous file system calls happen at one well-defined instant.

import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isTempPath } from './folderFiles.js';

/** What a library folder holds: files with their text content, and folders ('/'-separated paths). */
export interface DiskState {
  readonly files: ReadonlyMap<string, string>;
  readonly folders: ReadonlySet<string>;
}

/** Reads every file and folder below `root` (temp files included, so that tests can find them). */
export function readDisk(root: string): DiskState {
  const files = new Map<string, string>();
  const folders = new Set<string>();
  const walk = (folder: string, prefix: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) {
        folders.add(relative);
        walk(path.join(folder, entry.name), relative);
      } else if (entry.isFile()) {
        files.set(relative, readFileSync(path.join(folder, entry.name), 'utf8'));
      }
    }
  };
  walk(root, '');
  return { files, folders };
}

/** True when `candidate` is `folder` or lies below it. */
export function isSameOrInside(candidate: string, folder: string): boolean {
  return candidate === folder || candidate.startsWith(`${folder}/`);
}

/** Parent folder of a '/'-separated path ('' for the root). */
export function parentOf(relative: string): string {
  const slash = relative.lastIndexOf('/');
  return slash < 0 ? '' : relative.slice(0, slash);
}

export function writeText(root: string, relative: string, content: string): void {
  const file = path.join(root, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}

export function removeFile(root: string, relative: string): void {
  rmSync(path.join(root, relative));
}

export function removeFolder(root: string, relative: string): void {
  rmSync(path.join(root, relative), { recursive: true });
}

/** Renames a file or folder; the caller has checked that `to` is free. */
export function move(root: string, from: string, to: string): void {
  const destination = path.join(root, to);
  if (existsSync(destination)) throw new Error(`move: ${to} exists already`);
  mkdirSync(path.dirname(destination), { recursive: true });
  renameSync(path.join(root, from), destination);
}

/** Everything in `disk` whose name is one of the engine's temp files. */
export function tempFilesIn(disk: DiskState): string[] {
  return [...disk.files.keys()].filter(isTempPath);
}

/** The disk as one sorted, comparable list of lines: `folder/` and `file = content`. */
export function describeDisk(disk: DiskState, describeContent: (content: string) => string = (content) => JSON.stringify(content)): string[] {
  const lines = [...[...disk.folders].map((folder) => `${folder}/`), ...[...disk.files].map(([file, content]) => `${file} = ${describeContent(content)}`)];
  return lines.sort();
}
