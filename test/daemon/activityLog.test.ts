// The activity list kept in the profile: paging newest first (all libraries or one), trimming
// the oldest lines in batches, surviving a reopen, and going on in memory when its file cannot
// be used. Real SQLite files in a temporary folder.

import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LibraryPath } from '../../shared/paths.js';
import { ActivityLog } from '../../src-main/daemon/activityLog.js';
import type { ActivityDraft } from '../../src-main/daemon/activityLog.js';
import { openActivityStore } from '../../src-main/engine/indexStore/activityStore.js';

const NOW = 1_800_000_000_000;
const documents = { libraryId: 'library-0001', name: 'Documents' };
const photos = { libraryId: 'library-0002', name: 'Photos' };

let folder: string;
const logs: ActivityLog[] = [];

beforeEach(async () => {
  folder = await mkdtemp(path.join(os.tmpdir(), 'cairn-activity-'));
});
afterEach(async () => {
  for (const log of logs.splice(0)) log.close();
  await rm(folder, { recursive: true, force: true });
});

function open(options: Parameters<typeof ActivityLog.open>[1] = {}, file = path.join(folder, 'activity.sqlite')): ActivityLog {
  const log = ActivityLog.open(file, { now: () => NOW, ...options });
  logs.push(log);
  return log;
}

function deleted(name: string): ActivityDraft {
  return { kind: 'deleted', path: name as LibraryPath, side: 'server' };
}

describe('ActivityLog', () => {
  it('pages newest first, for every library or one', () => {
    const log = open();
    for (let number = 0; number < 4; number++) log.append(documents, [deleted(`d${number}.txt`)]);
    log.append(photos, [{ kind: 'uploaded', path: 'p.jpg' as LibraryPath, size: 3 }]);
    log.append(documents, [deleted('d4.txt')]);

    const all = log.page({ limit: 10 });
    expect(all.entries.map((entry) => entry.activityId)).toEqual([6, 5, 4, 3, 2, 1]);
    expect(all.hasMore).toBe(false);
    expect(all.entries[1]).toEqual({ activityId: 5, at: NOW, libraryId: 'library-0002', libraryName: 'Photos', kind: 'uploaded', path: 'p.jpg', size: 3 });

    const cases = [
      ['the newest page of one library', { libraryId: 'library-0001', limit: 2 }, [6, 4], true],
      ['the next page of that library', { libraryId: 'library-0001', limit: 2, before: 4 }, [3, 2], true],
      ['its last page', { libraryId: 'library-0001', limit: 2, before: 2 }, [1], false],
      ['a page that ends exactly at the oldest line', { libraryId: 'library-0001', limit: 5 }, [6, 4, 3, 2, 1], false],
      ['another library', { libraryId: 'library-0002', limit: 10 }, [5], false],
      ['a library with no activity', { libraryId: 'library-0003', limit: 10 }, [], false],
      ['every library, before an id', { limit: 3, before: 6 }, [5, 4, 3], true],
    ] as const;
    for (const [name, request, ids, hasMore] of cases) {
      const page = log.page(request);
      expect(page.entries.map((entry) => entry.activityId), name).toEqual(ids);
      expect(page.hasMore, name).toBe(hasMore);
    }
  });

  it('returns the entries of one append stamped and numbered in order', () => {
    const log = open();
    const added = log.append(documents, [deleted('a.txt'), { kind: 'moved', from: 'b' as LibraryPath, to: 'c' as LibraryPath, side: 'this-device' }]);
    expect(added).toEqual([
      { activityId: 1, at: NOW, libraryId: 'library-0001', libraryName: 'Documents', kind: 'deleted', path: 'a.txt', side: 'server' },
      { activityId: 2, at: NOW, libraryId: 'library-0001', libraryName: 'Documents', kind: 'moved', from: 'b', to: 'c', side: 'this-device' },
    ]);
    expect(log.page({ limit: 10 }).entries).toEqual([...added].reverse());
    expect(log.append(documents, [])).toEqual([]);
  });

  it('keeps the newest lines, trimming the oldest in batches', () => {
    const log = open({ capacity: 5, trimBatch: 2 });
    const idsAfter = (count: number): number[] => {
      for (let number = 0; number < count; number++) log.append(documents, [deleted(`f${number}.txt`)]);
      return log.page({ limit: 100 }).entries.map((entry) => entry.activityId);
    };
    // Up to capacity + batch (7) lines stay; the 8th brings the list back to the newest 5.
    expect(idsAfter(7)).toEqual([7, 6, 5, 4, 3, 2, 1]);
    expect(idsAfter(1)).toEqual([8, 7, 6, 5, 4]);
    // One append larger than everything still keeps exactly the newest lines.
    log.append(photos, Array.from({ length: 12 }, (_, number) => deleted(`g${number}.txt`)));
    expect(log.page({ limit: 100 }).entries.map((entry) => entry.activityId)).toEqual([20, 19, 18, 17, 16]);
  });

  it('survives a reopen, numbering on after the lines it kept', () => {
    const first = open();
    first.append(documents, [deleted('before.txt')]);
    first.append(photos, [deleted('gone.jpg')]);
    first.close();
    const again = open();
    expect(again.page({ limit: 10 }).entries).toMatchObject([
      { activityId: 2, libraryId: 'library-0002', path: 'gone.jpg' },
      { activityId: 1, libraryId: 'library-0001', path: 'before.txt' },
    ]);
    expect(again.append(documents, [deleted('after.txt')])[0]?.activityId).toBe(3);
  });

  it('keeps its file readable by its owner only', async () => {
    if (process.platform === 'win32') return;
    const log = open();
    log.append(documents, [deleted('private.txt')]);
    expect((await stat(log.file)).mode & 0o777).toBe(0o600);
  });

  it('skips lines that no longer read as entries', () => {
    const file = path.join(folder, 'activity.sqlite');
    const store = openActivityStore(file);
    store.append([
      { libraryId: 'library-0001', libraryName: 'Documents', at: NOW, kind: 'deleted', details: { path: 'fine.txt', side: 'server' } },
      { libraryId: 'library-0001', libraryName: 'Documents', at: NOW, kind: 'kind-from-the-future', details: { path: 'x' } },
      { libraryId: 'library-0001', libraryName: 'Documents', at: NOW, kind: 'deleted', details: { path: '../escape', side: 'server' } },
      { libraryId: 'library-0001', libraryName: 'Documents', at: NOW, kind: 'deleted', details: { path: 'also-fine.txt', side: 'server' } },
    ]);
    store.close();
    const log = open({}, file);
    const first = log.page({ limit: 1 });
    expect(first.entries.map((entry) => entry.activityId)).toEqual([4]);
    expect(first.hasMore).toBe(true);
    expect(log.page({ limit: 1, before: 4 })).toMatchObject({ entries: [{ activityId: 1, path: 'fine.txt' }], hasMore: false });
  });

  it('goes on in memory, leaving the file alone, when its file cannot be opened', async () => {
    const file = path.join(folder, 'activity.sqlite');
    await writeFile(file, 'this is not a database, and it is long enough to have a header');
    const reported: string[] = [];
    const log = open({ log: (line) => reported.push(line) }, file);
    expect(log.file).toBe(':memory:');
    expect(reported).toHaveLength(1);
    expect(reported[0]).toContain(file);
    log.append(documents, [deleted('kept-for-now.txt')]);
    expect(log.page({ limit: 10 }).entries).toHaveLength(1);
    expect(await readFile(file, 'utf8')).toBe('this is not a database, and it is long enough to have a header');
  });

  it('answers nothing once closed', () => {
    const log = open();
    log.append(documents, [deleted('a.txt')]);
    log.close();
    expect(log.page({ limit: 10 })).toEqual({ entries: [], hasMore: false });
    expect(log.append(documents, [deleted('b.txt')])).toEqual([]);
  });
});
