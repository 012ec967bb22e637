// The change feed and the commit answer as a client that asks for them gets them: a changed
// large file's chunk list as a delta of the version the client holds, and a folder move as one
// entry. The client rebuilds both from its own copies, checks them, and reads the page whole
// when it cannot; an old client (no header) and an old server (headers ignored) still sync.

import { randomBytes } from 'node:crypto';
import { readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { LibraryPath } from '../../shared/paths.js';
import { routes } from '../../shared/protocol/index.js';
import type { ChangesResponse, CommitResponse, Entry } from '../../shared/protocol/index.js';
import type { Index } from '../../src-main/engine/indexStore/index.js';
import { RemoteError } from '../../src-main/engine/remote/remoteError.js';
import type { ServerClient } from '../../src-main/engine/remote/serverClient.js';
import { describeEachBackend, harnessPerTest } from './backends.js';
import type { Harness, TestClient } from './harness.js';

const MiB = 1024 * 1024;

interface Recorded {
  readonly feeds: { readonly raw: string; readonly page: ChangesResponse; readonly deltas: boolean }[];
  readonly commits: CommitResponse[];
}

/**
 * Records the answers of the change feed and of commits the client receives (as the server sent
 * them, before the engine rebuilds anything). `oldServer` makes the client's requests look like
 * those of a client without the headers, as a server that ignores them would answer.
 */
async function record(client: TestClient, options: { oldServer?: boolean; loseCommitAnswer?: () => boolean } = {}): Promise<Recorded> {
  const recorded: Recorded = { feeds: [], commits: [] };
  const server: ServerClient = await client.engine.server();
  const call = server.call.bind(server);
  server.call = (async (route, callOptions) => {
    const sent = options.oldServer === true && callOptions !== undefined ? { ...callOptions, chunkDeltas: false, folderMoves: false } : callOptions;
    const answer: unknown = await call(route, sent as never);
    if ((route as unknown) === routes.changes) {
      recorded.feeds.push({ raw: JSON.stringify(answer), page: answer as ChangesResponse, deltas: (sent as { chunkDeltas?: boolean } | undefined)?.chunkDeltas === true });
    }
    if ((route as unknown) === routes.commit) {
      recorded.commits.push(answer as CommitResponse);
      if (options.loseCommitAnswer?.() === true) throw new RemoteError('unavailable', 'the connection was reset (the answer was lost)', null, undefined, 'reset');
    }
    return answer;
  }) as ServerClient['call'];
  return recorded;
}

function insertAt(content: Buffer, offset: number, inserted: string): Buffer {
  return Buffer.concat([content.subarray(0, offset), Buffer.from(inserted), content.subarray(offset)]);
}

const fedEntries = (recorded: Recorded): Entry[] => recorded.feeds.flatMap((feed) => feed.page.entries);

describeEachBackend((backend) => {
  let harness: Harness;
  harnessPerTest(backend, (started) => {
    harness = started;
  });

  describe('chunk-list deltas', () => {
    it('sends a small edit of a large file as a delta both ways, and the receiver rebuilds the same file', async () => {
      const alice = await harness.client('alice');
      const bob = await harness.client('bob');
      const original = randomBytes(4 * MiB);
      await alice.write('big.bin', original);
      await alice.sync();
      await bob.sync();
      const aliceSeen = await record(alice);
      const bobSeen = await record(bob);
      const edited = insertAt(original, MiB, '0123456789');
      await alice.write('big.bin', edited);
      await alice.sync();
      // The commit answer carries the splices alice sent, not the list of ~500 chunks.
      const answered = aliceSeen.commits.flatMap((answer) => answer.results).find((result) => result.status === 'applied');
      expect(answered?.status === 'applied' && answered.entry.chunkDelta !== undefined && answered.entry.chunks.length === 0).toBe(true);
      await bob.sync();
      const delta = fedEntries(bobSeen).find((entry) => entry.path === 'big.bin');
      expect(delta?.chunkDelta).toBeDefined();
      expect(delta?.chunks).toEqual([]);
      expect(Math.max(...bobSeen.feeds.map((feed) => feed.raw.length))).toBeLessThan(5_000);
      expect((await readFile(path.join(bob.root, 'big.bin'))).equals(edited)).toBe(true);
      // Alice read her own version back from the feed as a delta too, and holds its whole list.
      const own = alice.withIndex((index) => index.remote.get(alice.libraryId, 'big.bin' as LibraryPath));
      const bobs = bob.withIndex((index) => index.remote.get(bob.libraryId, 'big.bin' as LibraryPath));
      expect(own?.chunks.length).toBeGreaterThan(100);
      expect(bobs?.chunks).toEqual(own?.chunks);
      expect((await bob.sync()).downloadedFiles).toBe(0);
    }, 120_000);

    it('reads the page whole when its copy of the base list is not what the server has, and records nothing wrong', async () => {
      const alice = await harness.client('alice');
      const bob = await harness.client('bob');
      const original = randomBytes(2 * MiB);
      await alice.write('doc.bin', original);
      await alice.sync();
      await bob.sync();
      // Spoil bob's copy of the version the delta will name: the rebuilt list contradicts the
      // entry's content hash, so bob asks for the page again without deltas.
      bob.withIndex((index) => {
        const base = index.remote.get(bob.libraryId, 'doc.bin' as LibraryPath)!;
        index.remote.put(bob.libraryId, { ...base, chunks: [...base.chunks].reverse() });
      });
      const bobSeen = await record(bob);
      const edited = insertAt(original, 100_000, 'edit');
      await alice.write('doc.bin', edited);
      await alice.sync();
      await bob.sync();
      expect(bobSeen.feeds.some((feed) => feed.deltas && feed.page.entries.some((entry) => entry.chunkDelta !== undefined))).toBe(true);
      expect(bobSeen.feeds.some((feed) => !feed.deltas && feed.page.entries.some((entry) => entry.path === 'doc.bin' && entry.chunks.length > 0))).toBe(true);
      expect((await readFile(path.join(bob.root, 'doc.bin'))).equals(edited)).toBe(true);
      const remote = bob.withIndex((index) => index.remote.get(bob.libraryId, 'doc.bin' as LibraryPath));
      const aliceRemote = alice.withIndex((index) => index.remote.get(alice.libraryId, 'doc.bin' as LibraryPath));
      expect(remote?.chunks).toEqual(aliceRemote?.chunks);
    }, 120_000);

    it('an old client gets whole lists, and a new client syncs with a server that ignores the headers', async () => {
      const alice = await harness.client('alice');
      const bob = await harness.client('bob');
      const bobSeen = await record(bob, { oldServer: true });
      const original = randomBytes(2 * MiB);
      await alice.write('doc.bin', original);
      await alice.sync();
      await bob.sync();
      const edited = insertAt(original, 500_000, 'x');
      await alice.write('doc.bin', edited);
      await alice.sync();
      await bob.sync();
      expect(fedEntries(bobSeen).every((entry) => entry.chunkDelta === undefined && entry.movedSubtree === undefined)).toBe(true);
      expect(fedEntries(bobSeen).filter((entry) => entry.path === 'doc.bin').every((entry) => entry.chunks.length > 0)).toBe(true);
      expect((await readFile(path.join(bob.root, 'doc.bin'))).equals(edited)).toBe(true);
      // And a raw request without the header, as an old client sends it: whole lists.
      const server = await bob.engine.server();
      const page = await server.call(routes.changes, { params: { libraryId: bob.libraryId }, query: { after: 0 } });
      expect(page.entries.find((entry) => entry.path === 'doc.bin')?.chunks.length).toBeGreaterThan(10);
    }, 120_000);
  });

  describe('folder moves as one feed entry', () => {
    async function folderOfFiles(client: TestClient, folder: string, count: number): Promise<void> {
      for (let index = 0; index < count; index++) await client.write(`${folder}/sub${index % 3}/file-${index}.txt`, `content ${index}\n`);
    }

    it('a renamed folder of 60 files reaches the other client as one entry and one rename', async () => {
      const alice = await harness.client('alice');
      const bob = await harness.client('bob');
      await folderOfFiles(alice, 'photos', 60);
      await alice.sync();
      await bob.sync();
      const aliceSeen = await record(alice);
      const bobSeen = await record(bob);
      await rename(path.join(alice.root, 'photos'), path.join(alice.root, 'pictures'));
      const up = await alice.sync();
      expect(up.movedRemote).toBe(1);
      // Bob rebuilds the 63 moved versions from his own copies, read by one range read, not one read each.
      const bobRemote = (bob.engine as unknown as { readonly index: Index }).index.remote;
      const pointReads = vi.spyOn(bobRemote, 'get');
      const down = await bob.sync();
      expect(pointReads.mock.calls.filter(([, entryPath]) => entryPath.startsWith('photos/')).length).toBe(0);
      pointReads.mockRestore();
      expect(down.movedLocal).toBe(1);
      expect(down.downloadedFiles).toBe(0);
      const entries = fedEntries(bobSeen);
      // The folder, and the old folder's deleted version: the 63 versions below each folded.
      expect(entries.length).toBeLessThanOrEqual(2);
      const folded = entries.find((entry) => entry.path === 'pictures');
      expect(folded?.movedSubtree?.moved.length).toBe(63);
      expect(folded?.movedSubtree?.left.length).toBe(63);
      expect(fedEntries(aliceSeen).length).toBeLessThanOrEqual(2);
      expect(await bob.tree()).toEqual(await alice.tree());
      // Both hold every version at its exact rev: a later edit's base is right.
      const revsOf = (client: TestClient) =>
        client.withIndex((index) => [...index.remote.iterate(client.libraryId)].map((entry) => `${entry.path}@${entry.rev}`).sort());
      expect(revsOf(bob)).toEqual(revsOf(alice));
      await bob.write('pictures/sub1/file-1.txt', 'edited by bob\n');
      await bob.sync();
      await alice.sync();
      expect(await alice.read('pictures/sub1/file-1.txt')).toBe('edited by bob\n');
      expect((await alice.sync()).conflicts).toEqual([]);
    }, 120_000);

    it('keeps local edits inside the moved folder: they move with it and are uploaded', async () => {
      const alice = await harness.client('alice');
      const bob = await harness.client('bob');
      await folderOfFiles(alice, 'docs', 12);
      await alice.sync();
      await bob.sync();
      await bob.write('docs/sub0/file-0.txt', 'bob edited this before the move arrived\n');
      await bob.write('docs/sub2/new-by-bob.txt', 'new\n');
      await rename(path.join(alice.root, 'docs'), path.join(alice.root, 'papers'));
      await alice.sync();
      await bob.sync();
      await alice.sync();
      expect(await bob.read('papers/sub0/file-0.txt')).toBe('bob edited this before the move arrived\n');
      expect(await alice.read('papers/sub0/file-0.txt')).toBe('bob edited this before the move arrived\n');
      expect(await alice.read('papers/sub2/new-by-bob.txt')).toBe('new\n');
      expect(await bob.exists('docs')).toBe(false);
      expect(await bob.tree()).toEqual(await alice.tree());
    }, 120_000);

    it('reads the page whole when it does not hold a version a fold names', async () => {
      const alice = await harness.client('alice');
      const bob = await harness.client('bob');
      await folderOfFiles(alice, 'a', 9);
      await alice.sync();
      await bob.sync();
      // Bob's copy of one moved file names another rev: the fold cannot be rebuilt.
      bob.withIndex((index) => {
        const entry = index.remote.get(bob.libraryId, 'a/sub0/file-3.txt' as LibraryPath)!;
        index.remote.put(bob.libraryId, { ...entry, rev: entry.rev + 100_000 });
      });
      const bobSeen = await record(bob);
      await rename(path.join(alice.root, 'a'), path.join(alice.root, 'b'));
      await alice.sync();
      await bob.sync();
      expect(bobSeen.feeds.some((feed) => feed.page.entries.some((entry) => entry.movedSubtree !== undefined))).toBe(true);
      expect(bobSeen.feeds.some((feed) => !feed.deltas && feed.page.entries.length > 9)).toBe(true);
      expect(await bob.tree()).toEqual(await alice.tree());
    }, 120_000);

    it('a crash after the receiver renamed the folder but before it recorded the move is repaired by the next round', async () => {
      const alice = await harness.client('alice');
      const bob = await harness.client('bob');
      await folderOfFiles(alice, 'from', 30);
      await alice.sync();
      await bob.sync();
      await rename(path.join(alice.root, 'from'), path.join(alice.root, 'to'));
      await alice.sync();
      // What bob's disk holds when it died right after its rename, before its index knew.
      await rename(path.join(bob.root, 'from'), path.join(bob.root, 'to'));
      const bobSeen = await record(bob);
      const round = await bob.sync();
      expect(round.downloadedFiles).toBe(0);
      expect(round.uploadedFiles).toBe(0);
      expect(round.conflicts).toEqual([]);
      expect(await bob.tree()).toEqual(await alice.tree());
      expect(bobSeen.commits).toEqual([]);
    }, 120_000);

    it('a sender whose commit answer was lost reads its own folder move back folded, and records it', async () => {
      const alice = await harness.client('alice');
      const bob = await harness.client('bob');
      await folderOfFiles(alice, 'x', 15);
      await alice.sync();
      await bob.sync();
      let lose = true;
      await record(alice, { loseCommitAnswer: () => (lose ? ((lose = false), true) : false) });
      await rename(path.join(alice.root, 'x'), path.join(alice.root, 'y'));
      const lost = await alice.syncRaw();
      expect(lost.outcome).not.toBe('synced');
      const again = await alice.sync();
      expect(again.uploadedFiles).toBe(0);
      expect(again.conflicts).toEqual([]);
      await bob.sync();
      expect(await bob.tree()).toEqual(await alice.tree());
      expect(Object.keys(await alice.tree()).every((name) => name.startsWith('y/'))).toBe(true);
    }, 120_000);
  });
});
