// KeptChunks: the scan's bytes of small files, held for the upload within a budget.

import { describe, expect, it } from 'vitest';
import { KeptChunks } from '../../src-main/engine/sync/keptChunks.js';

const id = (n: number) => n.toString(16).padStart(64, '0') as never;

describe('KeptChunks', () => {
  it('keeps the chunks of a file as views of its bytes, each taken once', () => {
    const kept = new KeptChunks(1000, 100);
    const bytes = Uint8Array.from({ length: 30 }, (_, i) => i);
    kept.keep([{ id: id(1), offset: 0, size: 10 }, { id: id(2), offset: 10, size: 20 }], bytes);
    expect(kept.size).toBe(30);
    expect([...kept.take(id(2))!]).toEqual([...bytes.subarray(10, 30)]);
    expect(kept.take(id(2))).toBeUndefined();
    expect(kept.size).toBe(10);
    kept.clear();
    expect(kept.take(id(1))).toBeUndefined();
  });

  it('keeps nothing past its budget or of a file above its size limit', () => {
    const kept = new KeptChunks(50, 40);
    expect(kept.wants(41)).toBe(false);
    kept.keep([{ id: id(1), offset: 0, size: 41 }], new Uint8Array(41));
    expect(kept.has(id(1))).toBe(false);
    kept.keep([{ id: id(2), offset: 0, size: 40 }], new Uint8Array(40));
    expect(kept.wants(20)).toBe(false);
    kept.keep([{ id: id(3), offset: 0, size: 20 }], new Uint8Array(20));
    expect(kept.has(id(3))).toBe(false);
    expect(kept.size).toBe(40);
  });

  it('copies what it keeps, so the caller may read the next file into the same buffer', () => {
    const kept = new KeptChunks(1000, 100);
    const scratch = Uint8Array.from({ length: 20 }, (_, i) => i);
    kept.keep([{ id: id(1), offset: 0, size: 20 }], scratch);
    scratch.fill(7);
    expect([...kept.peek(id(1))!]).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('reuses the memory of chunks taken: kept and taken in turn, the bytes held stay bounded', () => {
    // Like a scan whose early upload sends what it keeps: 200 MiB go through, never more than
    // ~8 MiB held at once; the slabs allocated stay near what is held, not what went through.
    const kept = new KeptChunks(64 * 1024 * 1024, 256 * 1024);
    const fileBytes = 16 * 1024;
    const file = new Uint8Array(fileBytes);
    const waiting: number[] = [];
    let next = 0;
    for (let round = 0; round < (200 * 1024 * 1024) / fileBytes; round++) {
      new DataView(file.buffer).setUint32(0, next);
      kept.keep([{ id: id(next), offset: 0, size: fileBytes }], file);
      waiting.push(next++);
      if (waiting.length * fileBytes >= 8 * 1024 * 1024) {
        // A batch sent: each chunk comes out as it went in.
        for (const n of waiting.splice(0, waiting.length / 2)) {
          const bytes = kept.take(id(n))!;
          expect(new DataView(bytes.buffer, bytes.byteOffset).getUint32(0)).toBe(n);
        }
      }
    }
    expect(kept.size).toBeLessThanOrEqual(8 * 1024 * 1024);
    // 8 MiB held in 1 MiB slabs, plus the spare ones.
    expect(kept.slabsAllocated).toBeLessThanOrEqual(14);
    for (const n of waiting) expect(kept.has(id(n))).toBe(true);
  });
});
