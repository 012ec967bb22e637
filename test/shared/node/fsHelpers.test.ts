// fsyncFolder and fsErrorCode, the folder-durability and error-code helpers client and server share.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fsErrorCode } from '../../../shared/node/fsErrorCode.js';
import { fsyncFolder } from '../../../shared/node/fsyncFolder.js';

describe('fsErrorCode', () => {
  it.each([
    { name: 'a Node fs error', error: Object.assign(new Error('gone'), { code: 'ENOENT' }), code: 'ENOENT' },
    { name: 'a plain error', error: new Error('no code'), code: undefined },
    { name: 'a numeric code', error: { code: 2 }, code: undefined },
    { name: 'null', error: null, code: undefined },
    { name: 'a string', error: 'ENOENT', code: undefined },
  ])('$name', ({ error, code }) => {
    expect(fsErrorCode(error)).toBe(code);
  });
});

describe('fsyncFolder', () => {
  it('syncs an existing folder and reports a missing one as ENOENT', async () => {
    const folder = await mkdtemp(path.join(os.tmpdir(), 'cairn-fsync-'));
    try {
      await expect(fsyncFolder(folder)).resolves.toBeUndefined();
      const missing = await fsyncFolder(path.join(folder, 'missing')).catch((error: unknown) => error);
      expect(fsErrorCode(missing)).toBe(process.platform === 'win32' ? undefined : 'ENOENT');
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
