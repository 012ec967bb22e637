// Conflicts are library state: the device that finds a conflict reports it once its copy is on
// the server, every other client of the library lists it once both files are there, and
// resolving it on any computer closes it on all of them. Real clients, a real server.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KeepChoice } from '../../src-main/engine/engine.js';
import { SYNC_BACKENDS, describeBackend } from './backends.js';
import { startHarness } from './harness.js';
import type { Harness, TestClient } from './harness.js';

let harness: Harness;
let laptop: TestClient;
let desktop: TestClient;

function openConflicts(client: TestClient): { path: string; conflictPath: string | null; device: string | null }[] {
  return client.engine.openConflicts(client.libraryId).map((conflict) => ({ path: conflict.path, conflictPath: conflict.conflictPath, device: conflict.local.device }));
}

/** Both edit notes.txt; the desktop, syncing second, finds the conflict. Returns the copy's name. */
async function makeConflict(): Promise<string> {
  await laptop.write('notes.txt', 'base\n');
  await laptop.sync();
  await desktop.sync();
  await laptop.write('notes.txt', 'the laptop wrote this\n');
  await desktop.write('notes.txt', 'the desktop wrote this\n');
  await laptop.sync();
  await desktop.sync();
  const [found] = openConflicts(desktop);
  expect(found?.path).toBe('notes.txt');
  return found!.conflictPath!;
}


for (const backend of SYNC_BACKENDS) {
  describeBackend(backend, () => {
    beforeEach(async () => {
      harness = await startHarness({ backend });
      laptop = await harness.client('laptop');
      desktop = await harness.client('desktop');
    });
    afterEach(async () => {
      await harness.stop();
    });

  describe('conflicts shared through the server', () => {
    it('lists a conflict on every client of the library, with the finder’s version as the copy', async () => {
      const copy = await makeConflict();
      expect(openConflicts(laptop)).toEqual([]);
      await laptop.sync();
      expect(await laptop.read(copy)).toBe('the desktop wrote this\n');
      expect(openConflicts(laptop)).toEqual([{ path: 'notes.txt', conflictPath: copy, device: 'desktop' }]);
      // The laptop's library is not "up to date, no conflicts": it has one open.
      expect(laptop.engine.facts()[0]?.openConflicts).toBe(1);
      // Listing again adds nothing.
      await laptop.sync();
      await desktop.sync();
      expect(openConflicts(laptop)).toHaveLength(1);
      expect(openConflicts(desktop)).toHaveLength(1);
    });

    it.each<[string, KeepChoice, 'laptop' | 'desktop']>([
      ['keeping the server’s version, on the computer that did not find it', 'remote', 'laptop'],
      ['keeping both, on the computer that did not find it', 'both', 'laptop'],
      ['keeping the copy, on the computer that found it', 'local', 'desktop'],
    ])('closes everywhere when resolved by %s', async (_name, keep, where) => {
      const copy = await makeConflict();
      await laptop.sync();
      const resolver = where === 'laptop' ? laptop : desktop;
      const other = where === 'laptop' ? desktop : laptop;
      // Both list it before it is resolved.
      expect(openConflicts(laptop)).toHaveLength(1);
      expect(openConflicts(desktop)).toHaveLength(1);
      const [conflict] = resolver.engine.openConflicts(resolver.libraryId);
      await resolver.engine.resolveConflict(conflict!.conflictId, keep, {}, resolver.resolutionRound);
      expect(openConflicts(resolver)).toEqual([]);
      await other.sync();
      expect(openConflicts(other)).toEqual([]);
      // Both computers end with the same files, and no local edit was lost on the way.
      await resolver.sync();
      expect(await other.tree()).toEqual(await resolver.tree());
      const tree = await other.tree();
      if (keep === 'remote') expect(tree).toEqual({ 'notes.txt': 'the laptop wrote this\n' });
      if (keep === 'local') expect(tree).toEqual({ 'notes.txt': 'the desktop wrote this\n' });
      if (keep === 'both') expect(tree).toEqual({ 'notes.txt': 'the laptop wrote this\n', [copy]: 'the desktop wrote this\n' });
      // Later rounds do not bring it back.
      await other.sync();
      await resolver.sync();
      expect(openConflicts(other)).toEqual([]);
      expect(openConflicts(resolver)).toEqual([]);
    });
  });
  });
}
