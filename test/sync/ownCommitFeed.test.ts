// A commit whose answer lists every version from the client's cursor to the commit's head
// (listedAfter, negotiated by the server sending it): the client records its own versions from
// the answer as the pull would have and moves its cursor past them, so the pull after the commit
// does not read them back. An older server (no field) gets them pulled as before; an older
// client's schema drops the field; a commit by another device in between is still pulled.

import { rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { routes } from '../../shared/protocol/index.js';
import { commitResponseSchema } from '../../shared/protocol/commit.js';
import type { ChangesResponse, CommitResponse } from '../../shared/protocol/index.js';
import type { ServerClient } from '../../src-main/engine/remote/serverClient.js';
import { describeEachBackend, harnessPerTest } from './backends.js';
import type { Harness, TestClient } from './harness.js';

interface Recorded {
  readonly pulled: ChangesResponse['entries'];
  readonly commits: CommitResponse[];
}

/**
 * Records the feed entries and commit answers the client receives. `oldServer` drops
 * listedAfter from commit answers, as a server without it answers; `beforeCommit` runs before
 * each commit is sent (another device committing in between).
 */
async function record(client: TestClient, options: { oldServer?: boolean; beforeCommit?: () => Promise<void> } = {}): Promise<Recorded> {
  const recorded = { pulled: [] as ChangesResponse['entries'], commits: [] as CommitResponse[] };
  const server: ServerClient = await client.engine.server();
  const call = server.call.bind(server);
  server.call = (async (route, callOptions) => {
    if ((route as unknown) === routes.commit && options.beforeCommit !== undefined) await options.beforeCommit();
    let answer: unknown = await call(route, callOptions as never);
    if ((route as unknown) === routes.changes) recorded.pulled.push(...(answer as ChangesResponse).entries);
    if ((route as unknown) === routes.commit) {
      if (options.oldServer === true) {
        const { listedAfter: _dropped, ...old } = answer as CommitResponse;
        answer = old;
      }
      recorded.commits.push(answer as CommitResponse);
    }
    return answer;
  }) as ServerClient['call'];
  return recorded;
}

/** The client's remote state and cursor, and the same as read whole from the server's feed. */
async function remoteStates(client: TestClient): Promise<{ index: unknown; feed: unknown; cursor: number; headSeq: number }> {
  const server = await client.engine.server();
  const feed = await server.call(routes.changes, { params: { libraryId: client.libraryId }, query: { after: 0, limit: 5000 } });
  expect(feed.hasMore).toBe(false);
  const fromFeed = feed.entries
    .filter((entry) => !entry.deleted)
    .map((entry) => ({ path: entry.path, kind: entry.kind, rev: entry.rev, mtimeMs: entry.mtimeMs, chunks: entry.kind === 'file' ? entry.chunks : [] }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
  const fromIndex = client.withIndex((index) => ({
    entries: [...index.remote.iterate(client.libraryId)]
      .map((entry) => ({ path: entry.path, kind: entry.node.kind, rev: entry.rev, mtimeMs: entry.mtimeMs, chunks: [...entry.chunks] }))
      .sort((a, b) => (a.path < b.path ? -1 : 1)),
    cursor: index.libraries.get(client.libraryId)?.cursor ?? -1,
  }));
  return { index: fromIndex.entries, feed: fromFeed, cursor: fromIndex.cursor, headSeq: feed.headSeq };
}

describeEachBackend((backend) => {
  let harness: Harness;
  harnessPerTest(backend, (started) => {
    harness = started;
  });

  describe('own commits not read back from the feed', () => {
    it('records its own puts, folders and deletes from the commit answer, as the pull would have', async () => {
      const alice = await harness.client('alice');
      const bob = await harness.client('bob');
      await alice.write('keep.txt', 'keep');
      await alice.write('gone.txt', 'gone');
      await alice.sync();
      const seen = await record(alice);
      for (let i = 0; i < 20; i++) await alice.write(`docs/sub/f${i}.txt`, `file ${i}`);
      await alice.write('keep.txt', 'changed');
      await alice.sync();
      expect(seen.commits.some((answer) => answer.listedAfter !== undefined)).toBe(true);
      // Not one of its own 23 versions came back through the feed.
      expect(seen.pulled).toEqual([]);
      let states = await remoteStates(alice);
      expect(states.index).toEqual(states.feed);
      expect(states.cursor).toBe(states.headSeq);

      // (remoteStates read the whole feed through the same recorder.)
      seen.pulled.length = 0;
      await rm(path.join(alice.root, 'gone.txt'));
      await alice.sync();
      expect(seen.pulled).toEqual([]);
      states = await remoteStates(alice);
      expect(states.index).toEqual(states.feed);
      expect(states.cursor).toBe(states.headSeq);
      expect(states.index).not.toContainEqual(expect.objectContaining({ path: 'gone.txt' }));

      // The other device gets all of it, and a further round of alice has nothing to do.
      await bob.sync();
      expect(await bob.tree()).toEqual(await alice.tree());
      const again = await alice.sync();
      expect(again.uploadedFiles).toBe(0);
      expect(again.downloadedFiles).toBe(0);
    });

    it('pulls its own versions back when the server does not list the range (an older server)', async () => {
      const alice = await harness.client('alice');
      await alice.write('a.txt', 'a');
      await alice.sync();
      const seen = await record(alice, { oldServer: true });
      await alice.write('b.txt', 'b');
      await alice.write('c.txt', 'c');
      await alice.sync();
      expect(seen.commits.length).toBeGreaterThan(0);
      expect(seen.commits.every((answer) => answer.listedAfter === undefined)).toBe(true);
      expect(seen.pulled.map((entry) => entry.path).sort()).toEqual(['b.txt', 'c.txt']);
      const states = await remoteStates(alice);
      expect(states.index).toEqual(states.feed);
      expect(states.cursor).toBe(states.headSeq);
    });

    it('still pulls a commit another device made between its last pull and its commit', async () => {
      const alice = await harness.client('alice');
      const bob = await harness.client('bob');
      await alice.write('a.txt', 'a');
      await alice.sync();
      await bob.sync();
      let bobCommitted = false;
      const seen = await record(alice, {
        beforeCommit: async () => {
          if (bobCommitted) return;
          bobCommitted = true;
          await bob.write('from-bob.txt', 'bob was here');
          await bob.sync();
        },
      });
      await alice.write('from-alice.txt', 'alice was here');
      await alice.sync();
      expect(bobCommitted).toBe(true);
      // Alice's answer lists only her own version, after bob's: her cursor was below it.
      const answer = seen.commits[0]!;
      expect(answer.listedAfter).toBe(answer.headSeq - 1);
      expect(seen.pulled.map((entry) => entry.path)).toContain('from-bob.txt');
      expect(await alice.read('from-bob.txt')).toBe('bob was here');
      const states = await remoteStates(alice);
      expect(states.index).toEqual(states.feed);
      expect(states.cursor).toBe(states.headSeq);
      await bob.sync();
      expect(await bob.tree()).toEqual(await alice.tree());
    });

    it('an older client schema drops the field and reads the answer as before', () => {
      const olderSchema = commitResponseSchema.omit({ listedAfter: true });
      const answer = { headSeq: 3, results: [], listedAfter: 2 };
      expect(olderSchema.parse(answer)).toEqual({ headSeq: 3, results: [] });
      expect(commitResponseSchema.parse(answer)).toEqual(answer);
    });
  });
});
