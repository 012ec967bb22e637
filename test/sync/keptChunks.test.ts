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
});
