// Conflicts are library state: the device that finds a conflict reports it once its copy is on
// the server, every other client of the library lists it once both files are there, and
// resolving it on any computer closes it on all of them. Real clients, a real server.

import { describe, expect, it } from 'vitest';
import { librarySchema, routes } from '../../shared/protocol/index.js';
import type { KeepChoice } from '../../src-main/engine/engine.js';
import type { ServerClient } from '../../src-main/engine/remote/serverClient.js';
import { describeEachBackend, harnessPerTest } from './backends.js';
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

/**
 * Counts the conflict lists a client asks the server for. `oldServer`: the library's
 * description comes without the count of open conflicts, as an older server sends it.
 */
async function countLists(client: TestClient, options: { oldServer?: boolean } = {}): Promise<{ lists: number }> {
  const counted = { lists: 0 };
  const server: ServerClient = await client.engine.server();
  const call = server.call.bind(server);
  server.call = (async (route, callOptions) => {
    if ((route as unknown) === routes.listLibraryConflicts) counted.lists += 1;
    const answer: unknown = await call(route, callOptions as never);
    if ((route as unknown) === routes.getLibrary && options.oldServer === true) {
      const { openConflicts: _dropped, ...older } = answer as { openConflicts?: number };
      return older;
    }
    return answer;
  }) as ServerClient['call'];
  return counted;
}

describeEachBackend((backend) => {
  harnessPerTest(backend, async (started) => {
    harness = started;
    laptop = await harness.client('laptop');
    desktop = await harness.client('desktop');
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

  describe('the conflict list of each round', () => {
    it('is not asked for while the server has none open and none here waits for it', async () => {
      const laptopLists = await countLists(laptop);
      const desktopLists = await countLists(desktop);
      await laptop.write('a.txt', 'a');
      await laptop.sync();
      await desktop.sync();
      await laptop.sync();
      expect(laptopLists.lists).toBe(0);
      expect(desktopLists.lists).toBe(0);
    });

    it('is asked for while a conflict is open, by the finder and by the other client, and no more once it is closed', async () => {
      const laptopLists = await countLists(laptop);
      const desktopLists = await countLists(desktop);
      await makeConflict();
      // The finder reports it and lists; the other client is told one is open, lists and takes it on.
      expect(desktopLists.lists).toBe(1);
      await laptop.sync();
      expect(laptopLists.lists).toBe(1);
      expect(openConflicts(laptop)).toHaveLength(1);
      // Resolved on the laptop: the laptop sends the resolution; the desktop, told none is open, closes its own by the list.
      const [conflict] = laptop.engine.openConflicts(laptop.libraryId);
      await laptop.engine.resolveConflict(conflict!.conflictId, 'remote', {}, laptop.resolutionRound);
      await desktop.sync();
      expect(openConflicts(desktop)).toEqual([]);
      await laptop.sync();
      await desktop.sync();
      const [laptopBefore, desktopBefore] = [laptopLists.lists, desktopLists.lists];
      await laptop.sync();
      await desktop.sync();
      expect([laptopLists.lists, desktopLists.lists]).toEqual([laptopBefore, desktopBefore]);
      expect(openConflicts(laptop)).toEqual([]);
    });

    it('is asked for every round from an older server, which does not say how many are open', async () => {
      const laptopLists = await countLists(laptop, { oldServer: true });
      await laptop.write('a.txt', 'a');
      await laptop.sync();
      await laptop.sync();
      expect(laptopLists.lists).toBe(2);
      // And a conflict found elsewhere still reaches it.
      await countLists(desktop, { oldServer: true });
      await makeConflict();
      await laptop.sync();
      expect(openConflicts(laptop)).toHaveLength(1);
    });

    it('an older client reads the newer server’s library description without the count', async () => {
      const server = await laptop.engine.server();
      const described = await server.call(routes.getLibrary, { params: { libraryId: laptop.libraryId } });
      expect(described.openConflicts).toBe(0);
      // An older client's schema had no such field: its object schema drops unknown keys.
      const older = librarySchema.omit({ openConflicts: true });
      expect(older.parse(described)).not.toHaveProperty('openConflicts');
      expect(older.parse(described).id).toBe(laptop.libraryId);
    });
  });
});
