// Restoring a version beside its file as a copy (Engine.restoreAsCopy), with two real clients
// and a real server: the copy holds exactly that version, takes a unique name, never replaces
// anything that is there, and syncs up like any new file.

import { readFile, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LibraryPath } from '../../shared/paths.js';
import { restoredCopyName } from '../../src-main/engine/planner/index.js';
import { startHarness } from './harness.js';
import type { Harness, TestClient } from './harness.js';

const lp = (value: string) => value as LibraryPath;

describe('restoring a version as a copy', () => {
  let harness: Harness;
  let desktop: TestClient;
  let laptop: TestClient;
  let firstRev: number;
  let firstAt: number;
  const large = Buffer.alloc(300_000, 0);
  for (let index = 0; index < large.length; index++) large[index] = (index * 7919) % 251;

  beforeAll(async () => {
    harness = await startHarness();
    desktop = await harness.client('desktop', { libraryName: 'Documents' });
    await desktop.write('Work/plan.md', '# plan, first\n');
    await desktop.write('Work/big.bin', large);
    await desktop.sync();
    await desktop.write('Work/plan.md', '# plan, second\n');
    const changed = Buffer.from(large);
    changed[1000] = 255;
    await desktop.write('Work/big.bin', changed);
    await desktop.sync();
    laptop = await harness.client('laptop', { libraryId: desktop.libraryId });
    await laptop.sync();
    const versions = await laptop.engine.history(laptop.libraryId, lp('Work/plan.md'));
    firstRev = versions.at(-1)!.rev;
    firstAt = versions.at(-1)!.committedAt;
  }, 60_000);

  afterAll(() => harness.stop());

  it('writes the version beside the file under a dated name, and it reaches the other computer', async () => {
    const copy = await laptop.engine.restoreAsCopy(laptop.libraryId, lp('Work/plan.md'), firstRev);
    expect(copy).toBe(restoredCopyName(lp('Work/plan.md'), new Date(firstAt)));
    expect(copy).toMatch(/^Work\/plan \(restored \d{4}-\d{2}-\d{2} \d{2}\.\d{2}\)\.md$/);
    expect(await laptop.read(copy)).toBe('# plan, first\n');
    // The current file is untouched.
    expect(await laptop.read('Work/plan.md')).toBe('# plan, second\n');
    await laptop.sync();
    await desktop.sync();
    expect(await desktop.read(copy)).toBe('# plan, first\n');
  });

  it('takes the next name when one is taken, and never replaces a file there', async () => {
    // A file the user made at the next name, unknown to any index yet.
    const second = restoredCopyName(lp('Work/plan.md'), new Date(firstAt), 2);
    await writeFile(path.join(laptop.root, ...second.split('/')), 'mine, keep it');
    const copy = await laptop.engine.restoreAsCopy(laptop.libraryId, lp('Work/plan.md'), firstRev);
    expect(copy).toBe(restoredCopyName(lp('Work/plan.md'), new Date(firstAt), 3));
    expect(await laptop.read(second)).toBe('mine, keep it');
    expect(await laptop.read(copy)).toBe('# plan, first\n');
    // No temp file is left behind.
    expect((await readdir(path.join(laptop.root, 'Work'))).filter((name) => name.startsWith('.cairn'))).toEqual([]);
  });

  it('rebuilds a large version from verified chunks, byte for byte', async () => {
    const versions = await laptop.engine.history(laptop.libraryId, lp('Work/big.bin'));
    const copy = await laptop.engine.restoreAsCopy(laptop.libraryId, lp('Work/big.bin'), versions.at(-1)!.rev);
    expect(Buffer.compare(await readFile(path.join(laptop.root, ...copy.split('/'))), large)).toBe(0);
  });

  it('opens a version from a private read-only copy under the profile, and removes copies a day old', async () => {
    const file = await laptop.engine.exportVersion(laptop.libraryId, lp('Work/plan.md'), firstRev);
    expect(file.startsWith(path.join(laptop.home, 'opened-versions') + path.sep)).toBe(true);
    expect(path.basename(file)).toMatch(/^plan \(version \d{4}-\d{2}-\d{2} \d{2}\.\d{2}\)\.md$/);
    expect(await readFile(file, 'utf8')).toBe('# plan, first\n');
    expect((await stat(file)).mode & 0o777).toBe(0o400);
    expect((await stat(path.join(laptop.home, 'opened-versions'))).mode & 0o777).toBe(0o700);
    // Nothing of it is in the library.
    expect(Object.keys(await laptop.tree()).some((name) => name.includes('(version '))).toBe(false);
    const old = new Date(Date.now() - 2 * 24 * 60 * 60 * 1000);
    await utimes(path.dirname(file), old, old);
    const next = await laptop.engine.exportVersion(laptop.libraryId, lp('Work/big.bin'), (await laptop.engine.history(laptop.libraryId, lp('Work/big.bin'))).at(-1)!.rev);
    expect(Buffer.compare(await readFile(next), large)).toBe(0);
    expect(await stat(path.dirname(file)).catch(() => null)).toBeNull();
    expect(await readFile(next).then(() => true)).toBe(true);
  });

  it('refuses a deleted version, a folder, and a version the path does not have', async () => {
    await desktop.write('gone.txt', 'soon gone');
    await desktop.sync();
    await (await import('node:fs/promises')).rm(path.join(desktop.root, 'gone.txt'));
    await desktop.sync();
    const gone = await desktop.engine.history(desktop.libraryId, lp('gone.txt'));
    await expect(desktop.engine.restoreAsCopy(desktop.libraryId, lp('gone.txt'), gone[0]!.rev)).rejects.toMatchObject({ reason: 'invalid' });
    const work = await desktop.engine.history(desktop.libraryId, lp('Work'));
    await expect(desktop.engine.restoreAsCopy(desktop.libraryId, lp('Work'), work[0]!.rev)).rejects.toMatchObject({ reason: 'invalid' });
    await expect(desktop.engine.restoreAsCopy(desktop.libraryId, lp('Work/plan.md'), 99_999)).rejects.toMatchObject({ reason: 'not-found' });
  });
});
