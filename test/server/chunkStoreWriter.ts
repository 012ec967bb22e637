// A child process for the crash test in fsChunkStore.test.ts: puts batches of random chunks
// into the chunk store at argv[2] until it is killed. Before each put it prints
// `{"trying":[ids]}`, after the put resolved `{"stored":[ids]}`, one JSON line each.

import { createHash, randomBytes, randomInt } from 'node:crypto';
import { FsChunkStore } from '../../src-server/storage/fsChunkStore.js';

const root = process.argv[2];
if (root === undefined) throw new Error('usage: chunkStoreWriter.ts CHUNK_FOLDER');
const store = await FsChunkStore.open(root);

function print(line: object): Promise<void> {
  return new Promise((resolve) => process.stdout.write(`${JSON.stringify(line)}\n`, () => resolve()));
}

while (true) {
  const chunks = Array.from({ length: randomInt(1, 200) }, () => {
    const bytes = randomBytes(randomInt(1, 128 * 1024));
    return { id: createHash('sha256').update(bytes).digest('hex'), bytes };
  });
  const ids = chunks.map((chunk) => chunk.id);
  await print({ trying: ids });
  await store.put('writer', chunks);
  await print({ stored: ids });
}
