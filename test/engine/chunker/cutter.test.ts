// Pins the chunk boundaries of both algorithms forever (golden vectors), and checks the
// properties content-defined chunking exists for: the same cuts whatever the slicing, sizes
// within bounds, and a small insertion changing only the chunks around it.

import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  checkChunkingParams,
  chunkBytes,
  contentHashOf,
  createCutter,
  GEAR,
} from '../../../src-main/engine/chunker/index.js';
import { CHUNK_SIZE_LIMITS, DEFAULT_CHUNKING } from '../../../shared/model.js';
import type { ChunkingParams } from '../../../shared/model.js';
import { referenceFastCdcCuts, seededBytes } from './seededBytes.js';

const KiB = 1024;
const MiB = 1024 * KiB;

const SMALL_FASTCDC: ChunkingParams = { algorithm: 'fastcdc', minSize: 4 * KiB, avgSize: 16 * KiB, maxSize: 64 * KiB };
const SMALL_RABIN: ChunkingParams = { ...SMALL_FASTCDC, algorithm: 'rabin' };
const DEFAULT_RABIN: ChunkingParams = { ...DEFAULT_CHUNKING, algorithm: 'rabin' };

/** Cuts `bytes` fed in slices whose sizes come from `nextSize`; includes the final cut. */
function cutInSlices(bytes: Uint8Array, params: ChunkingParams, nextSize: () => number): number[] {
  const cutter = createCutter(params);
  const cuts: number[] = [];
  for (let from = 0; from < bytes.length; ) {
    const size = Math.max(1, Math.min(nextSize(), bytes.length - from));
    cuts.push(...cutter.push(bytes.subarray(from, from + size)));
    from += size;
  }
  const last = cutter.finish();
  if (last !== undefined) cuts.push(last);
  return cuts;
}

function cutWhole(bytes: Uint8Array, params: ChunkingParams): number[] {
  return cutInSlices(bytes, params, () => bytes.length);
}

/** A copy of `bytes` starting `shift` bytes into its ArrayBuffer, to exercise unaligned views. */
function shifted(bytes: Uint8Array, shift: number): Uint8Array {
  const buffer = new Uint8Array(bytes.length + shift);
  buffer.set(bytes, shift);
  return buffer.subarray(shift);
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A deterministic stream of slice sizes from 1 to `max`. */
function seededSizes(seed: number, max: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return 1 + ((state >>> 8) % max);
  };
}

describe('golden vectors', () => {
  // Computed once from this implementation and checked against the plain reference rules
  // (fastcdc) and rabin-wasm's own API (rabin) below. If one of these changes, every library
  // using that algorithm would re-chunk every file: that is never a refactoring.
  const cases = [
    {
      name: 'fastcdc, 4 MiB, 4/16/64 KiB',
      params: SMALL_FASTCDC,
      length: 4 * MiB,
      seed: 0x5eed0001,
      count: 222,
      cutsHash: 'a906e59328e0e288b85358e0469ce1da64576474904ec795d21e9afcbd4bfe47',
      firstIds: [
        '39e6e885e5c4fc250b3c33703c38ee5b373f604820cbcc59a5407109dcf6bea0',
        '29df77eb47db9eb575e434585593dc6cef2c55368c63fd8c79f8682dd1e63cf8',
        '688bfc9f443eb29b7200097dcf911ee387bcc3a6512f9924c41ca338ea1d902a',
      ],
      contentHash: 'd2691edecbbbda843f3f0e917e5879b878ca317f813c30a114ebb8a92a579bcd',
    },
    {
      name: 'fastcdc, 8 MiB, default 32/128/512 KiB',
      params: DEFAULT_CHUNKING,
      length: 8 * MiB,
      seed: 0x5eed0002,
      count: 56,
      cutsHash: '60b7e83f6667974da3a955c6c9d9e34911320b457af8686afba92830e6384b84',
      firstIds: [
        'df240511a018b6ff1ccd318663980cc574fce70997419b97ffe06ba596d8944e',
        'a9f331df286af576a7961b6c7115d3823275d5f8fed30856eab0efea1d084ed3',
        'c6692f545d2e2ad0b271a3d2a66e51b84283410f2163bf2a0cb0a9f8bcc743f7',
      ],
      contentHash: '62915ae1133c305694800e066da6eb889d304aa3d8d6d83154fe5136576549d8',
    },
    {
      name: 'rabin, 4 MiB, 4/16/64 KiB',
      params: SMALL_RABIN,
      length: 4 * MiB,
      seed: 0x5eed0001,
      count: 224,
      cutsHash: '81bdf0b88e6a38ee9eaa9a8939e82dacab25f9f6a1edd695420ae4431153dd83',
      firstIds: [
        '7e328164f6f61964b5eef1bf5e368b5c30897e585bbf56ae9321097361a8ce32',
        'cebaadbd4f0cf57385bc741f4236a9a20ee7768166b80c6705d86c68cceda0ac',
        'a6de63118bfed3a83f5e18e11718a6025b97aae222654d2f626116a23357dd46',
      ],
      contentHash: '99ed917d913a9af39b950704d4054ee8c60149122275b9e2d210ab3fc8983b0e',
    },
    {
      name: 'rabin, 8 MiB, 32/128/512 KiB',
      params: DEFAULT_RABIN,
      length: 8 * MiB,
      seed: 0x5eed0002,
      count: 52,
      cutsHash: 'dc9fc2d4aa8bf5d4120998395b53ab0cf4f531867914740dddeede7c7877adeb',
      firstIds: [
        '921b3d4620b759fa4e66b65d948de235095cc7faf6d570988f9afae493968007',
        'b3a83ae32052795c4e5e1e229c45e912a85adccb930c50bbc317b638cd54f2de',
        'aacd008f2067cb23ee4abb032a4f6de50f74e8e7b55fea91955a00c050112023',
      ],
      contentHash: 'cf4812c0b9307190463cb0bf2b60615273c6cf39ed5bcc18626fb0810053ef2f',
    },
  ];

  it.each(cases)('$name', ({ params, length, seed, count, cutsHash, firstIds, contentHash }) => {
    const bytes = seededBytes(length, seed);
    const chunks = chunkBytes(bytes, params);
    const cuts = chunks.map((chunk) => chunk.offset + chunk.size);
    expect(chunks.length).toBe(count);
    expect(sha256Hex(cuts.join(','))).toBe(cutsHash);
    expect(chunks.slice(0, 3).map((chunk) => chunk.id)).toEqual(firstIds);
    expect(contentHashOf(chunks)).toBe(contentHash);
  });

  it('pins the gear table', () => {
    const view = new DataView(new ArrayBuffer(GEAR.length * 4));
    GEAR.forEach((value, index) => view.setInt32(index * 4, value, true));
    expect(createHash('sha256').update(new Uint8Array(view.buffer)).digest('hex')).toBe('5f52ec3fd85cd355535fdcac0e652122380f66ab9598547e40e338cbb9466b6d');
    expect([...GEAR.slice(0, 4)]).toEqual([-448560124, -897065438, 676007047, -1294337921]);
  });
});

describe('fastcdc matches its plain reference rules', () => {
  const cases = [
    { name: 'small params, 4 MiB', params: SMALL_FASTCDC, length: 4 * MiB, seed: 11 },
    { name: 'default params, 8 MiB', params: DEFAULT_CHUNKING, length: 8 * MiB, seed: 12 },
    {
      name: 'smallest allowed sizes, 1 MiB',
      params: { algorithm: 'fastcdc', minSize: CHUNK_SIZE_LIMITS.min, avgSize: 2 * KiB, maxSize: 4 * KiB } as const,
      length: MiB,
      seed: 13,
    },
    {
      name: 'average not a power of two, 2 MiB',
      params: { algorithm: 'fastcdc', minSize: 3000, avgSize: 12_000, maxSize: 50_000 } as const,
      length: 2 * MiB,
      seed: 14,
    },
  ];

  it.each(cases)('$name', ({ params, length, seed }) => {
    const bytes = seededBytes(length, seed);
    const expected = referenceFastCdcCuts(bytes, params);
    for (const shift of [0, 1, 2, 3]) {
      expect(cutWhole(shifted(bytes, shift), params), `shift ${shift}`).toEqual(expected);
    }
  });
});

describe('rabin matches rabin-wasm used directly', () => {
  interface PackageRabin {
    fingerprint(bytes: Uint8Array): Int32Array;
  }
  const rabinWasm = createRequire(import.meta.url)('rabin-wasm') as {
    create(bits: number, min: number, max: number, windowSize: number): Promise<PackageRabin>;
  };

  it.each([
    { name: 'small params, 4 MiB', params: SMALL_RABIN, length: 4 * MiB, seed: 21 },
    { name: 'default params, 8 MiB', params: DEFAULT_RABIN, length: 8 * MiB, seed: 22 },
  ])('$name', async ({ params, length, seed }) => {
    const bytes = seededBytes(length, seed);
    const packageRabin = await rabinWasm.create(Math.floor(Math.log2(params.avgSize)), params.minSize, params.maxSize, 64);
    const expected: number[] = [];
    let end = 0;
    for (const size of packageRabin.fingerprint(bytes)) expected.push((end += size));
    if (end < bytes.length) expected.push(bytes.length);
    expect(cutWhole(bytes, params)).toEqual(expected);
  });
});

describe('the same cuts whatever the slicing', () => {
  const algorithms = [
    { name: 'fastcdc', params: SMALL_FASTCDC },
    { name: 'rabin', params: SMALL_RABIN },
  ];
  // One-byte and seven-byte slices on a shorter buffer: rabin-wasm costs a call per slice.
  const slicings = [
    { name: 'one buffer', length: 2 * MiB, nextSize: () => () => Number.MAX_SAFE_INTEGER },
    { name: '1-byte slices', length: 160 * KiB, nextSize: () => () => 1 },
    { name: '7-byte slices', length: 512 * KiB, nextSize: () => () => 7 },
    { name: 'random slices up to 100 KiB', length: 2 * MiB, nextSize: () => seededSizes(7, 100 * KiB) },
    { name: 'random slices up to 3 MiB', length: 2 * MiB, nextSize: () => seededSizes(8, 3 * MiB) },
  ];
  const cases = algorithms.flatMap((algorithm) =>
    slicings.map((slicing) => ({ ...slicing, name: `${algorithm.name}, ${slicing.name}`, params: algorithm.params })),
  );

  it.each(cases)('$name', ({ params, length, nextSize }) => {
    const bytes = seededBytes(length, 31);
    const expected = cutWhole(bytes, params);
    expect(expected.length).toBeGreaterThan(4);
    expect(cutInSlices(bytes, params, nextSize())).toEqual(expected);
  });

  it('starts over at offset 0 after finish', () => {
    const bytes = seededBytes(MiB, 32);
    for (const params of [SMALL_FASTCDC, SMALL_RABIN]) {
      const cutter = createCutter(params);
      const first = [...cutter.push(bytes), cutter.finish()];
      const second = [...cutter.push(bytes), cutter.finish()];
      expect(second).toEqual(first);
      expect(cutter.position).toBe(0);
    }
  });
});

describe('chunk sizes stay within bounds', () => {
  const inputs = [
    { name: 'random bytes', bytes: () => seededBytes(8 * MiB, 41) },
    { name: 'zeros', bytes: () => new Uint8Array(4 * MiB) },
    { name: 'a repeated 1 KiB pattern', bytes: () => repeat(seededBytes(KiB, 42), 4 * MiB) },
  ];
  const cases = [SMALL_FASTCDC, SMALL_RABIN, DEFAULT_CHUNKING, DEFAULT_RABIN].flatMap((params) =>
    inputs.map((input) => ({ ...input, name: `${params.algorithm} ${params.avgSize / KiB} KiB, ${input.name}`, params })),
  );

  it.each(cases)('$name', ({ params, bytes }) => {
    const data = bytes();
    const chunks = chunkBytes(data, params);
    expect(chunks.reduce((total, chunk) => total + chunk.size, 0)).toBe(data.length);
    chunks.forEach((chunk, index) => {
      expect(chunk.size).toBeLessThanOrEqual(params.maxSize);
      if (index < chunks.length - 1) expect(chunk.size).toBeGreaterThanOrEqual(params.minSize);
    });
  });
});

function repeat(pattern: Uint8Array, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += pattern.length) bytes.set(pattern.subarray(0, length - offset), offset);
  return bytes;
}

describe('an insertion changes only the chunks around it', () => {
  const cases = [
    { name: 'fastcdc, default params', params: DEFAULT_CHUNKING },
    { name: 'fastcdc, small params', params: SMALL_FASTCDC },
    { name: 'rabin, default params', params: DEFAULT_RABIN },
    { name: 'rabin, small params', params: SMALL_RABIN },
  ];

  it.each(cases)('$name: 10 bytes inserted at 1 MiB of 8 MiB', ({ params }) => {
    const original = seededBytes(8 * MiB, 51);
    const edited = new Uint8Array(original.length + 10);
    edited.set(original.subarray(0, MiB));
    edited.set(seededBytes(10, 52), MiB);
    edited.set(original.subarray(MiB), MiB + 10);

    const before = new Set(chunkBytes(original, params).map((chunk) => chunk.id));
    const after = chunkBytes(edited, params);
    const changed = after.filter((chunk) => !before.has(chunk.id));
    expect(changed.length).toBeGreaterThanOrEqual(1);
    expect(changed.length).toBeLessThanOrEqual(2);
    // The changed chunks are the ones around the insertion point.
    for (const chunk of changed) {
      expect(chunk.offset).toBeLessThanOrEqual(MiB + 10);
      expect(chunk.offset + chunk.size).toBeGreaterThanOrEqual(MiB);
    }
  });
});

describe('checkChunkingParams', () => {
  const rejected: { name: string; params: ChunkingParams }[] = [
    { name: 'unknown algorithm', params: { ...DEFAULT_CHUNKING, algorithm: 'gear' as 'fastcdc' } },
    { name: 'min below the limit', params: { ...DEFAULT_CHUNKING, minSize: CHUNK_SIZE_LIMITS.min - 1 } },
    { name: 'max above the limit', params: { ...DEFAULT_CHUNKING, maxSize: CHUNK_SIZE_LIMITS.max + 1 } },
    { name: 'fractional size', params: { ...DEFAULT_CHUNKING, avgSize: 128 * KiB + 0.5 } },
    { name: 'min equal to avg', params: { ...DEFAULT_CHUNKING, minSize: DEFAULT_CHUNKING.avgSize } },
    { name: 'avg above max', params: { ...DEFAULT_CHUNKING, avgSize: 1024 * KiB } },
    { name: 'not a number', params: { ...DEFAULT_CHUNKING, maxSize: Number.NaN } },
  ];

  it.each(rejected)('rejects $name', ({ params }) => {
    expect(() => checkChunkingParams(params)).toThrow(RangeError);
    expect(() => createCutter(params)).toThrow(RangeError);
  });

  it.each([
    { name: 'the default', params: DEFAULT_CHUNKING },
    { name: 'the extremes', params: { algorithm: 'rabin', minSize: CHUNK_SIZE_LIMITS.min, avgSize: 4 * MiB, maxSize: CHUNK_SIZE_LIMITS.max } as const },
  ])('accepts $name', ({ params }) => {
    expect(checkChunkingParams(params)).toBe(params);
  });
});
