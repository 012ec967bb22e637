// What an operation expects to find at a path before it changes anything, and what it found.
// Every write, delete and move re-checks its expectation right before acting, so that a file
// the user changed after the scan becomes a conflict rather than a casualty.

import type { Stats } from 'node:fs';
import type { LocalEntry } from '../syncModel.js';

/**
 * The state the caller planned on. For a file, the exact size, mtime and inode the scan saw:
 * any difference means someone touched the file since.
 */
export type Expectation =
  | { readonly kind: 'absent' }
  | { readonly kind: 'file'; readonly size: number; readonly mtimeMs: number; readonly inode: number }
  | { readonly kind: 'dir'; readonly inode?: number };

/** What an lstat saw at a path: the facts an operation reports back when it declines to act. */
export type ObservedNode =
  | { readonly kind: 'absent' }
  | { readonly kind: 'file'; readonly size: number; readonly mtimeMs: number; readonly inode: number }
  | { readonly kind: 'dir'; readonly inode: number }
  | { readonly kind: 'symlink' }
  | { readonly kind: 'special' };

export function observe(stats: Stats | undefined): ObservedNode {
  if (stats === undefined) return { kind: 'absent' };
  if (stats.isSymbolicLink()) return { kind: 'symlink' };
  if (stats.isFile()) return { kind: 'file', size: stats.size, mtimeMs: stats.mtimeMs, inode: stats.ino };
  if (stats.isDirectory()) return { kind: 'dir', inode: stats.ino };
  return { kind: 'special' };
}

/** True when what is on disk is exactly what the caller expected. */
export function matchesExpectation(expect: Expectation, stats: Stats | undefined): boolean {
  const found = observe(stats);
  switch (expect.kind) {
    case 'absent':
      return found.kind === 'absent';
    case 'file':
      return (
        found.kind === 'file' &&
        found.size === expect.size &&
        found.mtimeMs === expect.mtimeMs &&
        found.inode === expect.inode
      );
    case 'dir':
      return found.kind === 'dir' && (expect.inode === undefined || found.inode === expect.inode);
    default:
      return unreachable(expect);
  }
}

/** The expectation that matches what a scan recorded (absent when the scan saw nothing). */
export function expectationFromLocalEntry(entry: LocalEntry | undefined): Expectation {
  if (entry === undefined) return { kind: 'absent' };
  if (entry.node.kind === 'dir') return { kind: 'dir', inode: entry.inode };
  return { kind: 'file', size: entry.statSize, mtimeMs: entry.mtimeMs, inode: entry.inode };
}

function unreachable(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
