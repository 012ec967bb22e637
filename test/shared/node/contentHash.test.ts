// The two identities Cairn gives to bytes, pinned by golden vectors computed independently
// (Python's hashlib): a change here would split every client from every server.

import { describe, expect, it } from 'vitest';
import { chunkIdOf, contentHashOf } from '../../../shared/node/contentHash.js';

const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

describe('chunkIdOf', () => {
  it.each([
    { name: 'no bytes', bytes: new Uint8Array(), id: EMPTY },
    { name: '"abc"', bytes: new TextEncoder().encode('abc'), id: ABC },
    { name: 'UTF-8 text', bytes: new TextEncoder().encode('Cairn ✓ 石'), id: 'caf4d16e7186d7d4784d11495acd1b04234ab2e4c438ccbfca342b32597a839e' },
  ])('$name', ({ bytes, id }) => {
    expect(chunkIdOf(bytes)).toBe(id);
  });
});

describe('contentHashOf', () => {
  it.each([
    { name: 'an empty file (no chunks): the hash of zero bytes', chunks: [], hash: EMPTY },
    { name: 'one chunk: the hash of its raw 32-byte id', chunks: [ABC], hash: '4f8b42c22dd3729b519ba6f68d2da7cc5b2d606d05daed5ad5128cc03e6c6358' },
    { name: 'two chunks, in order', chunks: [ABC, EMPTY], hash: '6f1290896ee81a0349174d19f4473d267a10289c40480861d5c42affffbd79f9' },
    { name: 'the same chunks in the other order differ', chunks: [EMPTY, ABC], hash: 'bddbdf7e9df02f902ee5dd61b2b513d7566a2112ff97db7dc3b6d184a43ef0e3' },
  ])('$name', ({ chunks, hash }) => {
    expect(contentHashOf(chunks.map((id) => ({ id, size: 1 })))).toBe(hash);
  });

  it.each([
    { name: 'uppercase hex', id: ABC.toUpperCase() },
    { name: 'too short', id: ABC.slice(1) },
    { name: 'not hex', id: `${ABC.slice(1)}g` },
  ])('refuses a malformed id ($name) instead of hashing what hex decoding would keep of it', ({ id }) => {
    expect(() => contentHashOf([{ id, size: 1 }])).toThrow(TypeError);
  });
});
