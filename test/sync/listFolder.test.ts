// The file browser's listing of one folder (Engine.listFolder): each row's state on this
// computer worked out from the index and the folder on disk, with two real clients and a real
// server; and paging through a folder of thousands of entries.

import { rm, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileListing, FileRow } from '../../shared/api/index.js';
import { FILE_PAGE_SIZE } from '../../shared/api/index.js';
import type { LibraryPath } from '../../shared/paths.js';
import { startHarness } from './harness.js';
import type { Harness, TestClient } from './harness.js';

const lp = (value: string) => value as LibraryPath;

describe('listing a folder of a synced library', () => {
  let harness: Harness;
  let desktop: TestClient;
  let laptop: TestClient;

  beforeAll(async () => {
    harness = await startHarness();
    desktop = await harness.client('desktop', { libraryName: 'Documents' });
    await desktop.write('notes.txt', 'the notes');
    await desktop.write('Work/report.txt', 'the report');
    await desktop.write('Work/plan.txt', 'the plan');
    await desktop.write('Music/song.mp3', 'la la la');
    await desktop.write('.cairnignore', 'build/\n*.log\n');
    await desktop.sync();
    laptop = await harness.client('laptop', { libraryId: desktop.libraryId, only: ['Work', 'notes.txt', '.cairnignore'] });
    await laptop.sync();
  }, 60_000);

  afterAll(() => harness.stop());

  async function rowsOf(client: TestClient, folder: string): Promise<Record<string, Pick<FileRow, 'kind' | 'state' | 'onDisk'>>> {
    const listing = await client.engine.listFolder(client.libraryId, folder === '' ? '' : lp(folder));
    return Object.fromEntries(listing.rows.map((row) => [row.name, { kind: row.kind, state: row.state, onDisk: row.onDisk }]));
  }

  it('says of each row whether it is synced, waits to go up or down, is not selected here, ignored, or has a problem', async () => {
    // The laptop: Music is outside its selection; then local changes it has not uploaded yet,
    // a change on the server it has not downloaded yet, ignored files and a symlink.
    await laptop.write('Work/draft.txt', 'new here, not scanned yet');
    await laptop.write('app.log', 'ignored by a rule');
    await laptop.write('build/out.bin', 'ignored folder');
    await symlink('/etc/hostname', path.join(laptop.root, 'link'));
    await desktop.write('Work/plan.txt', 'the plan, changed on the desktop');
    await desktop.sync();
    // The laptop reads the feed (a round), and changes the report afterwards without a scan.
    await laptop.syncRaw();
    await writeFile(path.join(laptop.root, 'Work', 'report.txt'), 'the report, edited after the scan');
    const future = new Date(Date.now() + 60_000);
    await utimes(path.join(laptop.root, 'Work', 'report.txt'), future, future);

    const root = await rowsOf(laptop, '');
    expect(root).toMatchObject({
      Music: { kind: 'dir', state: 'not-synced', onDisk: false },
      Work: { kind: 'dir', onDisk: true },
      build: { kind: 'dir', state: 'ignored', onDisk: true },
      'notes.txt': { kind: 'file', state: 'synced', onDisk: true },
      'app.log': { kind: 'file', state: 'ignored', onDisk: true },
      // The scan reports a symlink as a problem of its path (never followed).
      link: { state: 'problem', onDisk: true },
    });
    // The new draft was in the round (uploaded); a file made after it waits to go up.
    expect((await rowsOf(laptop, 'Work'))['draft.txt']).toMatchObject({ state: 'synced', onDisk: true });
    await laptop.write('Work/later.txt', 'after the round');
    expect((await rowsOf(laptop, 'Work'))['later.txt']).toMatchObject({ state: 'upload', onDisk: true });
    // A file made here outside the selection stays here only.
    await laptop.write('later.txt', 'outside the selection');
    expect((await rowsOf(laptop, ''))['later.txt']).toMatchObject({ state: 'not-synced', onDisk: true });
    // Folders first, then files, each by name.
    const listing = await laptop.engine.listFolder(laptop.libraryId, '');
    expect(listing.rows.map((row) => row.name)).toEqual(['Music', 'Work', 'build', '.cairnignore', 'app.log', 'later.txt', 'link', 'notes.txt']);

    const work = await rowsOf(laptop, 'Work');
    expect(work['report.txt']).toMatchObject({ state: 'upload', onDisk: true });
    expect(work['plan.txt']?.state).toBe('synced');

    const music = await rowsOf(laptop, 'Music');
    expect(music['song.mp3']).toMatchObject({ kind: 'file', state: 'not-synced', onDisk: false });
    const row = (await laptop.engine.listFolder(laptop.libraryId, lp('Music'))).rows[0]!;
    expect(row.size).toBe(8);
    expect(row.modifiedAt).toBeGreaterThan(0);
  });

  it('says a file changed on the server waits to come down, and a file deleted here waits to go up', async () => {
    await laptop.sync();
    await desktop.sync();
    await desktop.write('notes.txt', 'the notes, changed on the desktop');
    await desktop.write('Work/plan.txt', 'the plan, changed on the desktop again');
    await desktop.sync();
    // The laptop's index learns of a change before applying it (a round reads the feed into the
    // remote state first): written here through a second connection, as such a read would.
    laptop.withIndex((index) => {
      for (const changed of ['notes.txt', 'Work/plan.txt']) {
        const current = index.remote.get(laptop.libraryId, lp(changed))!;
        index.remote.put(laptop.libraryId, { ...current, rev: current.rev + 1, node: { kind: 'file', contentHash: 'f'.repeat(64) as never, size: 33, executable: false } });
      }
    });
    // A folder waits for what waits below it.
    expect((await rowsOf(laptop, ''))['Work']).toMatchObject({ kind: 'dir', state: 'download' });
    await rm(path.join(laptop.root, 'Work', 'draft.txt'));
    expect((await rowsOf(laptop, ''))['notes.txt']).toMatchObject({ state: 'download', onDisk: true });
    expect((await rowsOf(laptop, 'Work'))['draft.txt']).toMatchObject({ state: 'upload', onDisk: false });
    await laptop.sync();
    expect((await rowsOf(laptop, ''))['notes.txt']?.state).toBe('synced');
    expect((await rowsOf(laptop, ''))['Work']?.state).toBe('synced');
    expect((await rowsOf(laptop, 'Work'))['draft.txt']).toBeUndefined();
  });

  it('marks a path with an open conflict, and the folders above it, as having a problem', async () => {
    await laptop.write('Work/plan.txt', 'the plan, laptop');
    await desktop.write('Work/plan.txt', 'the plan, desktop');
    await desktop.sync();
    await laptop.sync();
    const root = await rowsOf(laptop, '');
    expect(root.Work?.state).toBe('problem');
    const work = await laptop.engine.listFolder(laptop.libraryId, lp('Work'));
    const problems = work.rows.filter((candidate) => candidate.state === 'problem').map((candidate) => candidate.name);
    expect(problems).toContain('plan.txt');
    expect(problems.some((name) => name.startsWith('plan (conflict '))).toBe(true);
  });

  it('pages through a folder of thousands of entries, each row once, in order', async () => {
    const count = FILE_PAGE_SIZE * 5 + 17;
    for (let number = 0; number < count; number++) await writeFile(path.join(desktop.root, 'Music', `track-${String(number).padStart(5, '0')}.mp3`), `track ${number}`);
    await desktop.sync();
    const names: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    let listing: FileListing;
    do {
      listing = await desktop.engine.listFolder(desktop.libraryId, lp('Music'), cursor);
      expect(listing.rows.length).toBeLessThanOrEqual(FILE_PAGE_SIZE);
      expect(listing.total).toBe(count + 1);
      names.push(...listing.rows.map((row) => row.name));
      cursor = listing.nextCursor ?? undefined;
      pages += 1;
    } while (cursor !== undefined);
    expect(pages).toBe(6);
    expect(names).toHaveLength(count + 1);
    expect(new Set(names).size).toBe(count + 1);
    expect(names).toEqual([...names].sort());
    expect(await desktop.engine.listFolder(desktop.libraryId, lp('Music'), 'f/track-00199.mp3').then((page) => page.rows[0]?.name)).toBe('track-00200.mp3');
  }, 60_000);

  it('refuses a folder the library does not have, and a bad cursor', async () => {
    await expect(desktop.engine.listFolder(desktop.libraryId, lp('Nowhere'))).rejects.toMatchObject({ reason: 'not-found' });
    await expect(desktop.engine.listFolder(desktop.libraryId, '', 'x')).rejects.toMatchObject({ reason: 'invalid' });
  });
});
