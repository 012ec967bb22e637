// The exchange of a library's conflicts with a server that keeps none (an older server answers
// "no route"): nothing changes here, the device keeps its conflicts to itself, and it says the
// server does not support them so the engine does not ask again.

import { describe, expect, it } from 'vitest';
import type { LibraryPath } from '../../../shared/paths.js';
import { shareConflicts } from '../../../src-main/engine/conflicts/sharedConflicts.js';
import { openIndex } from '../../../src-main/engine/indexStore/index.js';
import { RemoteError } from '../../../src-main/engine/remote/remoteError.js';
import type { ServerClient } from '../../../src-main/engine/remote/serverClient.js';

const FILE = { kind: 'file', contentHash: 'ab'.repeat(32), size: 3, executable: false } as const;

function indexWithConflict() {
  const index = openIndex(':memory:');
  index.libraries.add({ libraryId: 'L', name: 'Docs', localRoot: '/x', chunking: { algorithm: 'fastcdc', minSize: 1, avgSize: 2, maxSize: 3 } });
  const copy = 'a (conflict laptop 2026-01-01 000000).txt' as LibraryPath;
  index.remote.put('L', { path: copy, node: FILE, rev: 4, chunks: [], mtimeMs: 1 });
  const conflict = index.conflicts.add({
    libraryId: 'L',
    path: 'a.txt' as LibraryPath,
    conflictPath: copy,
    local: { node: FILE, rev: null, mtimeMs: 1, device: 'laptop' },
    remote: { node: FILE, rev: 3, mtimeMs: 1, device: null },
    createdAt: 1,
  });
  return { index, conflict };
}

describe('sharing conflicts with an older server', () => {
  it.each([
    ['answers "no route"', new RemoteError('not-found', 'no route POST /api/v1/libraries/L/conflicts; see docs/protocol.md', 404), true],
    ['is away', new RemoteError('unavailable', 'cannot reach the server', null), false],
  ])('changes nothing when the server %s', async (_name, error, unsupported) => {
    const { index, conflict } = indexWithConflict();
    const client = { call: async () => Promise.reject(error) } as unknown as ServerClient;
    const outcome = await shareConflicts({ index, client, deviceName: 'laptop' }, 'L');
    expect(outcome.unsupported).toBe(unsupported);
    expect(index.conflicts.get(conflict.conflictId)).toMatchObject({ resolvedAt: null, serverId: null, serverState: null });
    index.close();
  });
});
