// The app's log: timestamped lines to standard error and to an owner-only file that is started
// over when it grew too large.

import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openAppLog, rotateLogFile } from '../../src-main/electron/appLog.js';

let base: string;
beforeEach(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'cairn-log-test-'));
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('the app log', () => {
  it('writes timestamped lines to the file and to standard error', async () => {
    const file = path.join(base, 'logs', 'cairn.log');
    const echoed: string[] = [];
    const log = openAppLog(file, { echo: (text) => void echoed.push(text), now: () => new Date(Date.UTC(2025, 0, 2, 3, 4, 5)) });
    log('engine: started');
    log('quitting');
    await log.close();
    const expected = '2025-01-02T03:04:05.000Z engine: started\n2025-01-02T03:04:05.000Z quitting\n';
    expect(await readFile(file, 'utf8')).toBe(expected);
    expect(echoed.join('')).toBe(expected);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    log('after closing, standard error only');
    expect(echoed.at(-1)).toMatch(/after closing/);
  });

  it('keeps the previous file once when it grew past the limit', async () => {
    const file = path.join(base, 'cairn.log');
    await writeFile(file, 'x'.repeat(100));
    rotateLogFile(file, 200);
    expect(await readdir(base)).toEqual(['cairn.log']);
    rotateLogFile(file, 50);
    expect((await readdir(base)).sort()).toEqual(['cairn.log.old']);
    rotateLogFile(path.join(base, 'missing.log'), 50);
  });

  it('goes on logging to standard error when the file cannot be opened', async () => {
    const blocker = path.join(base, 'not-a-folder');
    await writeFile(blocker, '');
    const echoed: string[] = [];
    const log = openAppLog(path.join(blocker, 'cairn.log'), { echo: (text) => void echoed.push(text) });
    log('still heard');
    await log.close();
    expect(echoed[0]).toMatch(/cannot be opened/);
    expect(echoed[1]).toMatch(/still heard\n$/);
  });
});
