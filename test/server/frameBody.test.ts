// Upload bodies verified frame by frame as they arrive (src-server/frameBody.ts): the same
// chunks whatever the pieces they arrive in, each refused at its first bad frame, and the
// prompt reclaiming of the buffers transfers leave behind (src-server/memoryReclaim.ts).

import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src-server/apiError.js';
import { FrameVerifier, verifiedFrames } from '../../src-server/frameBody.js';
import { RECLAIM_EVERY_BYTES, noteTransferBuffers } from '../../src-server/memoryReclaim.js';
import { FRAME_HEADER_BYTES, PROTOCOL_LIMITS, encodeFrameHeader, encodeFrames } from '../../shared/protocol/index.js';
import { makeChunk } from './testServer.js';

/** The body cut into pieces of the given sizes, used in turn. */
function piecesOf(body: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  for (let at = 0, index = 0; at < body.length; index++) {
    const size = sizes[index % sizes.length]!;
    pieces.push(body.subarray(at, at + size));
    at += size;
  }
  return pieces;
}

function bodyFrom(pieces: readonly Uint8Array[], maxChunkBytes = 1 << 20) {
  return verifiedFrames(async (onPiece) => {
    for (const piece of pieces) await onPiece(piece);
  }, maxChunkBytes);
}

function refusal(run: () => void): ApiError {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('frames verified as they arrive', () => {
  const chunks = [makeChunk('one', 1), makeChunk('two', 700), makeChunk('three', 5000), makeChunk('two', 700)];
  const body = encodeFrames(chunks);

  it('finds every chunk, at its place in the body, whatever the pieces', async () => {
    const expected = chunks.map((chunk, index) => ({
      id: chunk.id,
      size: chunk.bytes.length,
      offset: chunks.slice(0, index).reduce((sum, earlier) => sum + FRAME_HEADER_BYTES + earlier.bytes.length, FRAME_HEADER_BYTES),
    }));
    for (const sizes of [[body.length], [1], [7, 1, 36], [35, 37], [4096, 3]]) {
      const passed: Uint8Array[] = [];
      const found = await bodyFrom(piecesOf(body, sizes)).stream((piece) => {
        passed.push(piece);
      });
      expect(found, `pieces of ${sizes.join(', ')}`).toEqual(expected);
      expect(Buffer.concat(passed)).toEqual(Buffer.from(body));
    }
  });

  it('collects whole frames for stores that take whole chunks', async () => {
    const frames = await bodyFrom(piecesOf(body, [13])).collect();
    expect(frames.map((frame) => frame.id)).toEqual(chunks.map((chunk) => chunk.id));
    expect(frames.map((frame) => Buffer.from(frame.bytes))).toEqual(chunks.map((chunk) => Buffer.from(chunk.bytes)));
  });

  it('refuses the first frame whose bytes do not hash to its id, before handing over any later piece', async () => {
    const good = makeChunk('good', 3000);
    const bad = { id: makeChunk('claimed', 3000).id, bytes: makeChunk('sent', 3000).bytes };
    const later = makeChunk('later', 3000);
    const wrong = encodeFrames([good, bad, later]);
    const passed: Uint8Array[] = [];
    await expect(bodyFrom(piecesOf(wrong, [1000])).stream((piece) => void passed.push(piece))).rejects.toMatchObject({
      code: 'hash-mismatch',
      details: { chunkId: bad.id },
    });
    const badEnd = 2 * FRAME_HEADER_BYTES + good.bytes.length + bad.bytes.length;
    expect(Buffer.concat(passed).length).toBeLessThan(badEnd);
  });

  it('refuses an empty chunk, a chunk over the limit, one frame too many and a body ending inside a frame', () => {
    const empty = new FrameVerifier(1024);
    expect(refusal(() => empty.push(encodeFrameHeader(makeChunk('x').id, 0))).message).toMatch(/cannot be empty/);

    const large = new FrameVerifier(1024);
    expect(refusal(() => large.push(encodeFrameHeader(makeChunk('x').id, 1025))).code).toBe('bad-request');

    const tiny = makeChunk('tiny', 1);
    const many = new FrameVerifier(1024);
    const frame = encodeFrames([tiny]);
    for (let index = 0; index < PROTOCOL_LIMITS.maxChunksPerUpload; index++) many.push(frame);
    expect(refusal(() => many.push(frame)).code).toBe('payload-too-large');

    const cut = new FrameVerifier(1024);
    cut.push(encodeFrames([makeChunk('cut', 100)]).subarray(0, 50));
    expect(refusal(() => cut.finish()).message).toMatch(/ended inside a frame/);
  });

  it('is read once', async () => {
    const frames = bodyFrom([body]);
    await frames.stream(() => {});
    await expect(frames.stream(() => {})).rejects.toThrow(/once/);
  });
});

describe('reclaiming transfer buffers', () => {
  it('frees dead transfer buffers once enough transfer bytes went by', async () => {
    const nextJob = () => new Promise((resolve) => setImmediate(resolve));
    // 16 MiB of buffers like the pieces of a body, made and dropped in an earlier job: below
    // what makes V8 collect by itself, so they stay allocated until something collects. A
    // collection of V8's own may still come between (a loaded machine, the runner's own work):
    // then they are made again, so what is measured is what the reclaim frees.
    let before = 0;
    for (let attempt = 0; attempt < 5; attempt++) {
      const base = process.memoryUsage().arrayBuffers;
      await new Promise<void>((resolve) =>
        setImmediate(() => {
          for (let index = 0; index < 256; index++) Buffer.allocUnsafeSlow(64 * 1024).fill(index);
          resolve();
        }),
      );
      await nextJob();
      before = process.memoryUsage().arrayBuffers;
      if (before - base > 14 * 1024 * 1024) break;
    }
    noteTransferBuffers(RECLAIM_EVERY_BYTES);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(before - process.memoryUsage().arrayBuffers).toBeGreaterThan(12 * 1024 * 1024);
  });
});
