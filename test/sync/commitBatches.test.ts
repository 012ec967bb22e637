// A round commits its changes in requests of at most COMMIT_BATCH_CHANGES, not in one request of
// every change the protocol allows (10,000): the request, the answer's text and its parsed
// entries of a first sync are then held a batch at a time, on the client and on the server.
// The batches still record their own versions from the answers (each answer lists the range
// after the cursor the batch before moved), and the other device gets every file.

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { routes } from '../../shared/protocol/index.js';
import type { ChangesResponse, CommitResponse } from '../../shared/protocol/index.js';
import { PROTOCOL_LIMITS } from '../../shared/protocol/common.js';
import type { ServerClient } from '../../src-main/engine/remote/serverClient.js';
import { COMMIT_BATCH_CHANGES } from '../../src-main/engine/sync/syncLibrary.js';
import { harnessPerTest } from './backends.js';
import type { Harness } from './harness.js';

describe('commit batches', () => {
  let harness: Harness;
  harnessPerTest('embedded', (started) => {
    harness = started;
  });

  it('sends a first sync of more files than a batch in several commits of at most a batch each', async () => {
    expect(COMMIT_BATCH_CHANGES).toBeLessThan(PROTOCOL_LIMITS.maxChangesPerCommit);
    const alice = await harness.client('alice');
    const bob = await harness.client('bob');
    const files = COMMIT_BATCH_CHANGES + 150;
    for (let folder = 0; folder < 5; folder++) await mkdir(path.join(alice.root, `d${folder}`));
    for (let i = 0; i < files; i++) await writeFile(path.join(alice.root, `d${i % 5}`, `f${i}.txt`), `file ${i}`);

    const sent: number[] = [];
    const answers: CommitResponse[] = [];
    const pulled: ChangesResponse['entries'] = [];
    const server: ServerClient = await alice.engine.server();
    const call = server.call.bind(server);
    server.call = (async (route, callOptions) => {
      if ((route as unknown) === routes.commit) sent.push((callOptions as { body: { changes: unknown[] } }).body.changes.length);
      const answer: unknown = await call(route, callOptions as never);
      if ((route as unknown) === routes.commit) answers.push(answer as CommitResponse);
      if ((route as unknown) === routes.changes) pulled.push(...(answer as ChangesResponse).entries);
      return answer;
    }) as ServerClient['call'];

    const summary = await alice.sync();
    expect(summary.uploadedFiles).toBe(files);
    // Five folders and every file, in batches none larger than COMMIT_BATCH_CHANGES.
    expect(sent.reduce((sum, count) => sum + count, 0)).toBe(files + 5);
    expect(sent.length).toBe(Math.ceil((files + 5) / COMMIT_BATCH_CHANGES));
    expect(Math.max(...sent)).toBeLessThanOrEqual(COMMIT_BATCH_CHANGES);
    // Each batch's answer listed its range: none of its own versions came back through the feed.
    expect(answers.every((answer) => answer.listedAfter !== undefined)).toBe(true);
    expect(pulled).toEqual([]);

    await bob.sync();
    expect(await bob.tree()).toEqual(await alice.tree());
    const again = await alice.sync();
    expect(again.uploadedFiles).toBe(0);
  }, 60_000);

  it('sends each batch once the server answered the one before, while that answer is being recorded', async () => {
    const alice = await harness.client('alice');
    const bob = await harness.client('bob');
    const files = 2 * COMMIT_BATCH_CHANGES + 100;
    await mkdir(path.join(alice.root, 'd'));
    for (let i = 0; i < files; i++) await writeFile(path.join(alice.root, 'd', `f${i}.txt`), `file ${i}`);

    // Per commit request: how many commit answers had arrived, and the cursor the index held, when it was sent.
    const sent: { answered: number; cursor: number }[] = [];
    const heads: number[] = [];
    const server: ServerClient = await alice.engine.server();
    const call = server.call.bind(server);
    server.call = (async (route, callOptions) => {
      if ((route as unknown) !== routes.commit) return call(route, callOptions as never);
      sent.push({ answered: heads.length, cursor: alice.withIndex((index) => index.libraries.get(alice.libraryId)?.cursor ?? 0) });
      const answer = (await call(route, callOptions as never)) as CommitResponse;
      heads.push(answer.headSeq);
      return answer;
    }) as ServerClient['call'];

    const summary = await alice.sync();
    expect(summary.uploadedFiles).toBe(files);
    expect(sent.length).toBe(3);
    // The server sees the batches in order: each is sent after the one before was answered...
    expect(sent.map((request) => request.answered)).toEqual([0, 1, 2]);
    // ...and before that answer is recorded (the cursor still where the batch before left it).
    expect(sent.map((request) => request.cursor)).toEqual([0, 0, heads[0]]);
    // Every answer was recorded in the end: the next pull reads nothing of ours.
    expect(alice.withIndex((index) => index.libraries.get(alice.libraryId)?.cursor)).toBe(heads[2]);

    await bob.sync();
    expect(await bob.tree()).toEqual(await alice.tree());
    expect((await alice.sync()).uploadedFiles).toBe(0);
  }, 60_000);
});
