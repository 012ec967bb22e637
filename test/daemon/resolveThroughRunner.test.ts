// Resolving a conflict runs its rounds through the library's runner, like every other round:
// with an upload limit set, the resolution's upload keeps to it; the upload lands in the
// activity list; and the library's view shows the rounds' progress. This is the service a
// `cairn resolve` starts in its own process when no daemon runs.

import { afterEach, beforeEach, expect, it } from 'vitest';
import type { LibraryStateKind, RoundSummaryView } from '../../shared/api/index.js';
import { startCommandService } from '../../src-main/daemon/daemonService.js';
import type { CommandService } from '../../src-main/daemon/daemonService.js';
import { eventually } from '../support/eventually.js';
import { startHarness } from '../sync/harness.js';
import type { Harness } from '../sync/harness.js';

let harness: Harness;
let service: CommandService | undefined;

beforeEach(async () => {
  harness = await startHarness();
});
afterEach(async () => {
  await service?.stop();
  service = undefined;
  await harness.stop();
});

/** Bytes per second the test sets as the upload limit. */
const LIMIT = 16 * 1024;
/** What the limiter lets through at once after an idle spell (BURST_MS of the limit). */
const BURST = LIMIT / 4;

/** A text of `lines` lines, where the lines whose number leaves `edited` modulo 4 carry `who`. */
function text(lines: number, who: string, edited: number | null): string {
  return Array.from({ length: lines }, (_, line) => `line ${line}: ${line % 4 === edited ? `${who} rewrote this line` : 'the words everyone agreed on'} ${'.'.repeat(40)}\n`).join('');
}

it('a resolution with an upload limit keeps to it, lands in the activity list and shows its progress', async () => {
  const alice = await harness.client('alice');
  const bob = await harness.client('bob');
  const lines = 700;
  await alice.write('story.txt', text(lines, 'nobody', null));
  await alice.sync();
  await bob.sync();
  // Every fourth line each, two lines apart: a clean merge unlike either side, so its chunks
  // are all new and the whole file goes up again.
  await alice.write('story.txt', text(lines, 'alice', 0));
  await bob.write('story.txt', text(lines, 'bob', 2));
  await alice.sync();
  expect((await bob.sync()).conflicts).toEqual(['story.txt']);
  await bob.close();

  service = await startCommandService({ home: bob.home, deviceName: 'bob', log: () => undefined });
  const { api } = service;
  await api.setPreferences({ uploadLimit: LIMIT });
  const [conflict] = (await api.listConflicts({})).conflicts;
  const details = await api.getConflictDetails({ conflictId: conflict!.conflictId });
  if (details.preview.kind !== 'text' || details.preview.merge === null) throw new Error('expected a text conflict with a merge');
  expect(details.preview.merge.counts.conflict).toBe(0);

  const rounds: RoundSummaryView[] = [];
  const states = new Set<LibraryStateKind>();
  const unsubscribe = api.subscribe((event) => {
    if (event.kind === 'roundFinished') rounds.push(event.summary);
    if (event.kind === 'libraryChanged') states.add(event.library.state.kind);
  });
  const started = performance.now();
  await api.resolveConflict({
    conflictId: conflict!.conflictId,
    keep: 'merged',
    versions: { local: details.local.versionToken!, remote: details.remote.versionToken! },
    choices: [],
  });
  const elapsedMs = performance.now() - started;
  unsubscribe();

  // The runner ran both rounds of the resolution and reported them, progress included.
  expect(rounds.map((round) => round.outcome)).toEqual(['synced', 'synced']);
  expect(states.has('scanning') || states.has('syncing')).toBe(true);
  // The merged file went up at no more than the limit (after the limiter's first burst).
  const uploaded = rounds.reduce((sum, round) => sum + round.uploadedBytes, 0);
  expect(uploaded).toBeGreaterThan(32 * 1024);
  expect(elapsedMs).toBeGreaterThanOrEqual(((uploaded - BURST) / LIMIT) * 1000);
  // And the upload is in the activity list, like any round's.
  // (recorded as the round finishes, a moment after the call returns)
  await eventually(async () => {
    const { entries } = await api.getActivity({});
    expect(entries).toContainEqual(expect.objectContaining({ kind: 'uploaded', path: 'story.txt' }));
  });
  expect((await api.listConflicts({})).conflicts).toEqual([]);
}, 120_000);
