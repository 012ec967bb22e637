// One seeded random scenario for the convergence test: two clients of one library edit, delete
// and rename files in a small name space and sync in a random order (sometimes editing in the
// middle of a round); then both sync until nothing changes, and the result is checked:
//
//   (a) both folders are identical (names, folders and contents), and a fresh third client
//       that syncs gets the same tree (so the server holds it too);
//   (b) no data loss: every content ever written that no one knowingly replaced or deleted is
//       still present, under a name or in a conflict copy. "Knowingly" means the client that
//       overwrote, deleted or deleted the folder of a file had exactly that content on its disk
//       at that instant. The model reads the disk (the ground truth) before every edit instead
//       of predicting what a sync did;
//   (c) no `.cairn-tmp-` file remains, and every file holds a complete content that was written.
//
// Every content is unique: its first line is an id naming the seed, the write's number in the
// scenario and the client that wrote it.

import type { Harness } from '../harness.js';
import type { RoundProgress, RoundSummary } from '../../../src-main/engine/sync/roundSummary.js';
import type { LibraryClient, LibraryClients } from './libraryClients.js';
import { isTempPath } from './folderFiles.js';
import { SeededRandom } from './seededRandom.js';
import type { DiskState } from './libraryDisk.js';
import { describeDisk, isSameOrInside, move, parentOf, readDisk, removeFile, removeFolder, tempFilesIn, writeText } from './libraryDisk.js';

/** The file names the scenario writes and renames to; conflict copies appear beside them. */
export const FILE_NAMES = ['a', 'b', 'd/a', 'd/c', 'e/a'] as const;
/** The folder names a folder rename may target. */
export const FOLDER_NAMES = ['d', 'e'] as const;

/** Rounds of the final phase (alternating clients) before "does not quiesce" is a failure. */
const MAX_FINAL_ROUNDS = 8;

export interface ScenarioOptions {
  readonly minSteps?: number;
  readonly maxSteps?: number;
  /**
   * Round errors the caller's setting makes possible and accepts (a garbage collector with no
   * grace at all can take an upload's chunks before its commit, every time): logged, not
   * failures. Every check of the outcome (convergence, no loss, a fresh client) still holds.
   */
  readonly toleratesError?: (error: { readonly code: string; readonly message: string }) => boolean;
  /** Runs after the steps, before the final rounds that must bring every client to the same state. */
  readonly beforeFinalRounds?: () => Promise<void>;
}

export interface ScenarioResult {
  readonly seed: number;
  /** One line per step, then the final rounds: enough to understand a failure. */
  readonly log: readonly string[];
  /** Empty when every check passed. */
  readonly failures: readonly string[];
}

type EditKind = 'write' | 'delete' | 'move' | 'deleteFolder' | 'moveFolder';
type StepKind = EditKind | 'sync' | 'syncWhileEditing';

const STEP_WEIGHTS: Readonly<Record<StepKind, number>> = {
  write: 30,
  delete: 10,
  move: 12,
  deleteFolder: 3,
  moveFolder: 4,
  sync: 27,
  syncWhileEditing: 14,
};

const EDIT_WEIGHTS: Readonly<Record<EditKind, number>> = { write: 50, delete: 20, move: 20, deleteFolder: 4, moveFolder: 6 };

/** The chance that the user edits at one progress report of this phase, during a round. */
const EDIT_CHANCE_BY_PHASE: Readonly<Record<RoundProgress['phase'], number>> = {
  pulling: 0.2,
  scanning: 0.3,
  uploading: 0.15,
  downloading: 0.5,
  committing: 0.5,
  applying: 0.3,
};

/** Shared by every large content, so that chunks repeat across files (dedup and reuse paths). */
const FILLER = Array.from({ length: 2500 }, (_, line) => `filler line ${line} of the shared padding\n`).join('');

class Scenario {
  readonly log: string[] = [];
  readonly failures: string[] = [];
  /** Whether the final rounds reached quiescence (the fresh client's check needs it). */
  settled = false;
  private toleratesError: ScenarioOptions['toleratesError'];
  private readonly random: SeededRandom;
  /** Every content written, by id. */
  private readonly written = new Map<string, { readonly content: string; readonly step: string }>();
  /** Contents a client knowingly replaced or deleted, with the step that did it. */
  private readonly knowinglyRemoved = new Map<string, string>();

  constructor(
    readonly seed: number,
    private readonly clients: readonly LibraryClient[],
  ) {
    this.random = new SeededRandom(seed);
  }

  async run(options: ScenarioOptions): Promise<void> {
    this.toleratesError = options.toleratesError;
    const steps = this.random.integer(options.minSteps ?? 6, options.maxSteps ?? 14);
    // A failure does not end the scenario: what follows shows whether the next rounds repair it.
    for (let step = 1; step <= steps; step++) {
      const client = this.random.pick(this.clients);
      const kind = this.random.weighted(STEP_WEIGHTS);
      if (kind === 'sync') await this.sync(client, `#${step}`);
      else if (kind === 'syncWhileEditing') await this.syncWhileEditing(client, `#${step}`);
      else this.edit(client, kind, `#${step}`);
    }
    await options.beforeFinalRounds?.();
    this.settled = await this.quiesce();
    if (this.settled) await this.check();
  }

  // ---- edits, acting like a user ------------------------------------------------------------

  /** Performs one edit of `kind` (or a write, when that kind is impossible right now). */
  private edit(client: LibraryClient, wanted: EditKind, label: string): void {
    const disk = readDisk(client.root);
    const files = [...disk.files.keys()].filter((file) => !isTempPath(file)).sort();
    const folders = [...disk.folders].sort();
    const free = (candidate: string): boolean =>
      !disk.files.has(candidate) && !disk.folders.has(candidate) && !hasFileAncestor(candidate, disk);

    switch (wanted) {
      case 'delete': {
        if (files.length === 0) break;
        const target = this.random.pick(files);
        this.removeKnowingly(disk.files.get(target)!, `${label} ${client.name} delete ${target}`);
        removeFile(client.root, target);
        this.log.push(`${label} ${client.name} delete ${target} (had ${idOf(disk.files.get(target)!)})`);
        return;
      }
      case 'move': {
        const targets = FILE_NAMES.filter(free);
        if (files.length === 0 || targets.length === 0) break;
        const source = this.random.pick(files);
        const target = this.random.pick(targets);
        move(client.root, source, target);
        this.log.push(`${label} ${client.name} move ${source} -> ${target} (${idOf(disk.files.get(source)!)})`);
        return;
      }
      case 'deleteFolder': {
        if (folders.length === 0) break;
        const target = this.random.pick(folders);
        const inside = [...disk.files].filter(([file]) => isSameOrInside(file, target));
        for (const [, content] of inside) this.removeKnowingly(content, `${label} ${client.name} delete folder ${target}`);
        removeFolder(client.root, target);
        this.log.push(`${label} ${client.name} delete folder ${target} (had ${inside.map(([file, content]) => `${file}=${idOf(content)}`).join(', ') || 'nothing'})`);
        return;
      }
      case 'moveFolder': {
        const sources = folders.filter((folder) => !folder.includes('/'));
        const targets = FOLDER_NAMES.filter(free);
        if (sources.length === 0 || targets.length === 0) break;
        const source = this.random.pick(sources);
        const target = this.random.pick(targets);
        move(client.root, source, target);
        this.log.push(`${label} ${client.name} move folder ${source} -> ${target}`);
        return;
      }
      case 'write':
        break;
      default:
        return unhandled(wanted);
    }
    this.write(client, disk, files, free, label);
  }

  /** Writes a new unique content to a name of the name space or over an existing file. */
  private write(client: LibraryClient, disk: DiskState, files: readonly string[], free: (candidate: string) => boolean, label: string): void {
    const writable = FILE_NAMES.filter((name) => free(name) || disk.files.has(name));
    const target = files.length > 0 && (writable.length === 0 || this.random.chance(0.2)) ? this.random.pick(files) : this.random.pick(writable);
    // Unique even for two writes in one step (edits during a round share the step's label).
    const id = `s${this.seed}-w${this.written.size + 1}-${client.name}`;
    const content = this.random.chance(0.2) ? `${id}\n${FILLER}` : `${id}\n`;
    const previous = disk.files.get(target);
    if (previous !== undefined) this.removeKnowingly(previous, `${label} ${client.name} overwrite ${target}`);
    writeText(client.root, target, content);
    this.written.set(id, { content, step: label });
    this.log.push(`${label} ${client.name} write ${target} = ${id}${content.length > id.length + 1 ? ' (large)' : ''}${previous === undefined ? '' : ` (replaced ${idOf(previous)})`}`);
  }

  private removeKnowingly(content: string, step: string): void {
    const id = idOf(content);
    if (!this.knowinglyRemoved.has(id)) this.knowinglyRemoved.set(id, step);
  }

  // ---- syncing ------------------------------------------------------------------------------

  private async sync(client: LibraryClient, label: string): Promise<RoundSummary | null> {
    let summary = await this.guard(client, label, () => client.sync(), () => '');
    if (summary !== null && summary.outcome === 'paused' && isBreaker(summary.pauseReason)) {
      // The user emptied the folder or deleted many files on purpose: resuming confirms it.
      this.log.push(`${label} ${client.name} sync: paused (${summary.pauseReason}); the user resumes`);
      client.resume();
      summary = await this.guard(client, label, () => client.sync(), () => '');
    }
    return summary === null ? null : this.recordRound(client, label, summary, '');
  }

  /**
   * A round during which the user edits up to twice: at each progress report of the engine, an
   * edit happens with a probability that depends on the phase (downloads and commits are the
   * moments where a concurrent edit is most likely to be overwritten).
   */
  private async syncWhileEditing(client: LibraryClient, label: string): Promise<void> {
    const seen = new Map<string, number>();
    const edits: string[] = [];
    let editError: unknown;
    const note = (): string =>
      edits.length === 0 ? ` (no edit; phases seen: ${[...seen].map(([phase, count]) => `${phase} x${count}`).join(', ')})` : ` with edit [${edits.join('; ')}]`;
    const summary = await this.guard(
      client,
      label,
      () =>
        client.sync((progress) => {
          seen.set(progress.phase, (seen.get(progress.phase) ?? 0) + 1);
          if (edits.length >= 2 || !this.random.chance(EDIT_CHANCE_BY_PHASE[progress.phase])) return;
          try {
            const before = this.log.length;
            this.edit(client, this.random.weighted(EDIT_WEIGHTS), `${label}.${progress.phase}`);
            edits.push(...this.log.splice(before));
          } catch (error) {
            editError = error;
          }
        }),
      note,
    );
    if (editError !== undefined) this.failures.push(`${label}: the edit during the round failed: ${String(editError)}`);
    if (summary !== null && summary.outcome === 'paused' && isBreaker(summary.pauseReason)) {
      this.log.push(`${label} ${client.name} sync${note()}: paused (${summary.pauseReason}); the user resumes`);
      client.resume();
      await this.sync(client, label);
    } else if (summary !== null) {
      this.recordRound(client, label, summary, note());
    }
  }

  /** Runs a round; an exception (a bug: rounds report trouble in their summary) is a failure. */
  private async guard(client: LibraryClient, label: string, round: () => Promise<RoundSummary>, note: () => string): Promise<RoundSummary | null> {
    try {
      return await round();
    } catch (error) {
      this.log.push(`${label} ${client.name} sync${note()}: threw ${String(error)}`);
      this.failures.push(`${label} ${client.name}: the round threw ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      return null;
    }
  }

  private recordRound(client: LibraryClient, label: string, summary: RoundSummary, note: string): RoundSummary | null {
    this.log.push(`${label} ${client.name} sync${note}: ${describeSummary(summary)}`);
    if (summary.outcome === 'error' && summary.error !== null && this.toleratesError?.(summary.error) === true) {
      this.log.push(`${label} ${client.name}: round error ${summary.error.code}, accepted here`);
      return null;
    }
    if (summary.outcome !== 'synced') {
      this.failures.push(`${label} ${client.name}: round ${summary.outcome}: ${JSON.stringify(summary.error ?? summary.pauseReason)} ${JSON.stringify(summary.problems)}`);
      return null;
    }
    return summary;
  }

  /**
   * Syncs the clients alternately until two consecutive rounds change nothing: one pass, no
   * file counted, the same folder before and after, and no new commit in the change feed (the
   * summary does not count folders created or deleted). Returns false when they never settle.
   */
  private async quiesce(): Promise<boolean> {
    let quietRounds = 0;
    for (let round = 0; round < MAX_FINAL_ROUNDS; round++) {
      const client = this.clients[round % this.clients.length]!;
      const before = describeDisk(readDisk(client.root)).join('\n');
      const cursor = client.cursor();
      const summary = await this.sync(client, `final ${round + 1}`);
      const after = describeDisk(readDisk(client.root)).join('\n');
      const quiet = summary !== null && isQuiet(summary) && summary.passes === 1 && before === after && client.cursor() === cursor;
      quietRounds = quiet ? quietRounds + 1 : 0;
      if (quietRounds === 2) return true;
    }
    this.failures.push(`the clients did not quiesce within ${MAX_FINAL_ROUNDS} final rounds`);
    return false;
  }

  // ---- checking -----------------------------------------------------------------------------

  private async check(): Promise<void> {
    const disks = this.clients.map((client) => readDisk(client.root));
    const first = disks[0]!;
    const expected = describeDisk(first, idOrContent);
    for (const [position, disk] of disks.entries()) {
      const client = this.clients[position]!;
      const temps = tempFilesIn(disk);
      if (temps.length > 0) this.failures.push(`${client.name} has temp files left: ${temps.join(', ')}`);
      const actual = describeDisk(disk, idOrContent);
      if (position > 0 && actual.join('\n') !== expected.join('\n')) {
        this.failures.push(`${client.name} differs from ${this.clients[0]!.name}:\n  ${this.clients[0]!.name}: ${expected.join(' | ')}\n  ${client.name}: ${actual.join(' | ')}`);
      }
    }

    const present = new Set<string>();
    for (const [file, content] of first.files) {
      if (isTempPath(file)) continue;
      const id = idOf(content);
      const original = this.written.get(id);
      if (original === undefined) this.failures.push(`${file} holds a content no one wrote: ${JSON.stringify(content.slice(0, 80))}`);
      else if (original.content !== content) this.failures.push(`${file} holds an incomplete or altered copy of ${id} (${content.length} of ${original.content.length} characters)`);
      present.add(id);
    }
    for (const [id, { step }] of this.written) {
      if (present.has(id) || this.knowinglyRemoved.has(id)) continue;
      this.failures.push(`DATA LOSS: ${id} (written at ${step}) is gone although no client knowingly replaced or deleted it`);
    }
  }

  /** A fresh client syncing the library gets exactly the converged tree: the server holds it. */
  async checkFreshClient(fresh: LibraryClient): Promise<void> {
    const summary = await this.sync(fresh, 'fresh');
    if (summary === null) return;
    const expected = describeDisk(readDisk(this.clients[0]!.root), idOrContent).join(' | ');
    const actual = describeDisk(readDisk(fresh.root), idOrContent).join(' | ');
    if (actual !== expected) this.failures.push(`a fresh client's tree differs from the converged one:\n  expected: ${expected}\n  fresh:    ${actual}`);
  }
}

/** The device names of the engines a scenario needs: two that edit, one that checks. */
export const SCENARIO_DEVICES = ['A', 'B', 'C'] as const;

/**
 * Runs scenario `seed` in a new library of `harness`, on engines A and B of `clients` (C syncs
 * last, fresh, for the final check). The library's folders are removed when it passes.
 */
export async function runRandomScenario(harness: Harness, clients: LibraryClients, seed: number, options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const label = `seed-${seed}`;
  const libraryId = await harness.createLibrary('alice', label);
  const editors = [await clients.attach('A', libraryId, label), await clients.attach('B', libraryId, label)];
  const attached = [...editors];
  const scenario = new Scenario(seed, editors);
  try {
    await scenario.run(options);
    if (scenario.settled) {
      const fresh = await clients.attach('C', libraryId, label);
      attached.push(fresh);
      await scenario.checkFreshClient(fresh);
    }
  } finally {
    // A failed seed keeps its folders until the harness stops, for a look while debugging.
    if (scenario.failures.length === 0) for (const client of attached) await clients.detach(client);
  }
  return { seed, log: scenario.log, failures: scenario.failures };
}

/** The failure report: the seed, how to replay it, what failed and the step log. */
export function describeFailure(result: ScenarioResult): string {
  return [
    `seed ${result.seed} failed (replay: CAIRN_SEED_START=${result.seed} CAIRN_SEEDS=1 npx vitest run test/sync/randomized.test.ts)`,
    ...result.failures.map((failure) => `  FAIL ${failure}`),
    '  steps:',
    ...result.log.map((line) => `    ${line}`),
  ].join('\n');
}

function idOf(content: string): string {
  const newline = content.indexOf('\n');
  return newline < 0 ? content : content.slice(0, newline);
}

/** Contents in descriptions: the id, marked when it is not the whole content. */
function idOrContent(content: string): string {
  const id = idOf(content);
  return content === `${id}\n` ? id : `${id}+${content.length}`;
}

function hasFileAncestor(candidate: string, disk: DiskState): boolean {
  for (let parent = parentOf(candidate); parent !== ''; parent = parentOf(parent)) if (disk.files.has(parent)) return true;
  return false;
}

/** Pause reasons of the circuit breakers, which the user clears by resuming. */
function isBreaker(reason: string | null): boolean {
  return reason === 'root-emptied' || reason === 'mass-delete';
}

function isQuiet(summary: RoundSummary): boolean {
  return (
    summary.uploadedFiles + summary.downloadedFiles + summary.deletedLocal + summary.deletedRemote + summary.movedLocal + summary.movedRemote === 0 &&
    summary.conflicts.length === 0
  );
}

function describeSummary(summary: RoundSummary): string {
  if (summary.outcome !== 'synced') return summary.outcome;
  const parts = [
    ['up', summary.uploadedFiles],
    ['down', summary.downloadedFiles],
    ['deleted here', summary.deletedLocal],
    ['deleted there', summary.deletedRemote],
    ['moved here', summary.movedLocal],
    ['moved there', summary.movedRemote],
  ]
    .filter(([, count]) => count !== 0)
    .map(([what, count]) => `${what} ${count}`);
  if (summary.conflicts.length > 0) parts.push(`conflicts ${summary.conflicts.join(', ')}`);
  if (summary.problems.length > 0) parts.push(`problems ${summary.problems.map((problem) => `${problem.kind}@${problem.path}`).join(', ')}`);
  return `${parts.join(', ') || 'nothing'} (${summary.passes} passes)`;
}

function unhandled(value: never): never {
  throw new Error(`unhandled case ${String(value)}`);
}
