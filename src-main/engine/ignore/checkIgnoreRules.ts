// The ignore rules as they are typed: lines that cannot do what they look like they do (the
// `ignore` package accepts anything, and a mistyped rule silently matches nothing or something
// else), and which files of the library the rules would match, from the index's local state (no
// disk walk). Pure but for the index read done by the caller.

import { ancestorPaths } from '../../../shared/paths.js';
import type { LibraryPath } from '../../../shared/paths.js';
import { createIgnoreMatcher } from './ignoreMatcher.js';

/** Why a line of `.cairnignore` is not what it seems (see checkIgnoreRules). */
export type IgnoreRuleProblem =
  /** A backslash between names: folders are separated by '/' (a backslash escapes the next character). */
  | 'backslash'
  /** A drive letter or a home folder: rules are relative to the library folder. */
  | 'absolute'
  /** `[` without its `]`. */
  | 'unclosed-bracket'
  /** A range whose ends are backwards (`[z-a]`) matches nothing. */
  | 'backward-range'
  /** `!` alone re-includes nothing. */
  | 'empty-negation'
  /** Longer than any path a library can hold. */
  | 'too-long';

export interface IgnoreRuleIssue {
  /** 1-based line number. */
  readonly line: number;
  readonly problem: IgnoreRuleProblem;
}

const MAX_RULE_CHARACTERS = 4096;

/** The lines of `text` that are not what they seem, in order; comments and blank lines never are. */
export function checkIgnoreRules(text: string): IgnoreRuleIssue[] {
  const issues: IgnoreRuleIssue[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const rule = raw.trim();
    if (rule === '' || rule.startsWith('#')) return;
    const problem = ruleProblem(rule);
    if (problem !== null) issues.push({ line, problem });
  });
  return issues;
}

function ruleProblem(rule: string): IgnoreRuleProblem | null {
  if (rule.length > MAX_RULE_CHARACTERS) return 'too-long';
  const body = rule.startsWith('!') ? rule.slice(1).trim() : rule;
  if (body === '') return 'empty-negation';
  if (/^[A-Za-z]:[\\/]/.test(body) || body.startsWith('~/') || body === '~') return 'absolute';
  // A backslash escapes a special character (`\#`, `\!`, `\*`, `\ `); before a name character it is a Windows separator.
  if (/\\[A-Za-z0-9_\-.\u0080-\uffff]/.test(body)) return 'backslash';
  let open = -1;
  for (let position = 0; position < body.length; position++) {
    const character = body[position];
    if (character === '\\') {
      position++;
      continue;
    }
    if (character === '[' && open === -1) open = position;
    else if (character === ']' && open !== -1) {
      const inside = body.slice(open + 1, position).replace(/^[!^]/, '');
      for (const range of inside.matchAll(/(.)-(.)/gu)) {
        if (range[1]! > range[2]!) return 'backward-range';
      }
      open = -1;
    }
  }
  if (open !== -1) return 'unclosed-bracket';
  return null;
}

export interface IgnorePreview {
  readonly issues: readonly IgnoreRuleIssue[];
  /** How many files and folders of the library the rules match. */
  readonly matchCount: number;
  /** The first `limit` of them, in path order. */
  readonly matches: readonly LibraryPath[];
}

/**
 * What `text` would ignore among `entries` (the library's files and folders as last scanned).
 * Below a matched folder only the folder counts: its contents go with it.
 */
export function previewIgnoreRules(text: string, entries: Iterable<{ readonly path: LibraryPath; readonly isDirectory: boolean }>, limit: number): IgnorePreview {
  const matcher = createIgnoreMatcher(text);
  const matches: LibraryPath[] = [];
  let matchCount = 0;
  const matchedFolders = new Set<LibraryPath>();
  for (const entry of entries) {
    if (matchedFolders.size > 0 && ancestorPaths(entry.path).some((folder) => matchedFolders.has(folder))) continue;
    if (!matcher.isIgnored(entry.path, entry.isDirectory)) continue;
    matchCount++;
    if (matches.length < limit) matches.push(entry.path);
    if (entry.isDirectory) matchedFolders.add(entry.path);
  }
  return { issues: checkIgnoreRules(text), matchCount, matches };
}
