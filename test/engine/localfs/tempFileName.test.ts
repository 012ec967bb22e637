// Temp file names: the prefix and 64 random bits, drawn from the system a few hundred at a time.

import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TEMP_FILE_PREFIX, isTempFileName, newTempFileName } from '../../../src-main/engine/localfs/tempFileName.js';

afterEach(() => {
  vi.restoreAllMocks();
  syncBuiltinESMExports();
});

describe('newTempFileName', () => {
  it('gives distinct names of 16 random hex characters, drawing random bytes once per 512 names', () => {
    const draw = vi.spyOn(crypto, 'randomBytes');
    syncBuiltinESMExports();
    const names = Array.from({ length: 2048 }, () => newTempFileName());
    for (const name of names) {
      expect(isTempFileName(name)).toBe(true);
      expect(name.slice(TEMP_FILE_PREFIX.length)).toMatch(/^[0-9a-f]{16}$/);
    }
    expect(new Set(names).size).toBe(names.length);
    expect(draw.mock.calls.length).toBeGreaterThanOrEqual(4);
    expect(draw.mock.calls.length).toBeLessThanOrEqual(5);
  });
});
