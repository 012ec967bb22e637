// A child process for the crash test in fsChunkStore.test.ts: stores batches of random chunks
// into the chunk store at argv[2] until it is killed, by put and (as an upload's body arriving
// in pieces) by ingest in turn. Before each batch it prints `{"trying":[ids]}`, after the store
// resolved `{"stored":[ids]}`, one JSON line each.

import { createHash, randomBytes, randomInt } from 'node:crypto';
import { verifiedFrames } from '../../src-server/frameBody.js';
import { FsChunkStore } from '../../src-server/storage/fsChunkStore.js';
import { encodeFrames } from '../../shared/protocol/index.js';

const root = process.argv[2];
if (root === undefined) throw new Error('usage: chunkStoreWriter.ts CHUNK_FOLDER');
const store = await FsChunkStore.open(root);

function print(line: object): Promise<void> {
  return new Promise((resolve) => process.stdout.write(`${JSON.stringify(line)}\n`, () => resolve()));
}

for (let batch = 0; ; batch++) {
  const chunks = Array.from({ length: randomInt(1, 200) }, () => {
    const bytes = randomBytes(randomInt(1, 128 * 1024));
    return { id: createHash('sha256').update(bytes).digest('hex'), bytes };
  });
  const ids = chunks.map((chunk) => chunk.id);
  await print({ trying: ids });
  if (batch % 2 === 0) {
    await store.put('writer', chunks);
  } else {
    const body = encodeFrames(chunks);
    const pieceBytes = randomInt(1, 256 * 1024);
    await store.ingest(
      'writer',
      verifiedFrames(async (onPiece) => {
        for (let at = 0; at < body.length; at += pieceBytes) await onPiece(body.subarray(at, at + pieceBytes));
      }, 128 * 1024),
    );
  }
  await print({ stored: ids });
}
