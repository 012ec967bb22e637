import { execFile } from 'node:child_process';
import { appendFile, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type RawChange,
  type RawChangeKind,
  type WatchSubscription,
  type WatchTrouble,
  type Watcher,
  type WatcherKind,
  WatchStartError,
  createWatcher,
} from '../../../src-main/engine/watcher/index.js';
import { type WatchFolder, makeWatchFolder, waitFor } from './watchSupport.js';

const KINDS: readonly WatcherKind[] = ['native', 'chokidar', 'polling'];
const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** A change that must be reported: a path (relative, '/'-separated) with one of these kinds. */
interface Expected {
  readonly path: string;
  readonly kinds: readonly RawChangeKind[];
}

interface FsCase {
  readonly name: string;
  /** Builds what exists before the watch starts. */
  readonly before?: (folder: WatchFolder) => Promise<void>;
  /**
   * Changes the folder while it is watched; `reported` waits for a change to be reported, `live`
   * until a folder found while watching is watched itself (see watchingFolder).
   */
  readonly act: (folder: WatchFolder, reported: (expected: Expected) => Promise<void>, live: (relative: string) => Promise<void>) => Promise<void>;
  readonly expected: readonly Expected[];
}

const cases: FsCase[] = [
  {
    name: 'a file created',
    act: (folder) => folder.file('new.txt'),
    expected: [{ path: 'new.txt', kinds: ['create'] }],
  },
  {
    name: 'a file modified',
    before: (folder) => folder.file('a.txt'),
    act: (folder) => appendFile(folder.at('a.txt'), ' and more'),
    expected: [{ path: 'a.txt', kinds: ['update'] }],
  },
  {
    name: 'a file deleted',
    before: (folder) => folder.file('a.txt'),
    act: (folder) => rm(folder.at('a.txt')),
    expected: [{ path: 'a.txt', kinds: ['delete'] }],
  },
  {
    name: 'a file renamed',
    before: (folder) => folder.file('a.txt'),
    act: (folder) => rename(folder.at('a.txt'), folder.at('b.txt')),
    expected: [
      { path: 'a.txt', kinds: ['delete'] },
      { path: 'b.txt', kinds: ['create'] },
    ],
  },
  {
    name: 'a file modified deep in a folder that existed before',
    before: (folder) => folder.file('deep/er/still/c.txt'),
    act: (folder) => appendFile(folder.at('deep/er/still/c.txt'), ' and more'),
    expected: [{ path: 'deep/er/still/c.txt', kinds: ['update'] }],
  },
  {
    name: 'a folder created',
    act: (folder) => mkdir(folder.at('new folder')),
    expected: [{ path: 'new folder', kinds: ['create'] }],
  },
  {
    name: 'a file created in a folder created while watched',
    act: async (folder, reported, live) => {
      await mkdir(folder.at('fresh'));
      await reported({ path: 'fresh', kinds: ['create'] });
      // chokidar reports a new folder before it has looked into it and started polling it.
      await live('fresh');
      await folder.file('fresh/inside.txt');
    },
    expected: [{ path: 'fresh/inside.txt', kinds: ['create'] }],
  },
  {
    name: 'a folder renamed',
    before: (folder) => folder.file('old/x.txt'),
    act: (folder) => rename(folder.at('old'), folder.at('new')),
    expected: [
      { path: 'old', kinds: ['delete'] },
      { path: 'new', kinds: ['create'] },
    ],
  },
  {
    name: 'a folder deleted',
    before: async (folder) => {
      await folder.file('gone/x.txt');
      await folder.file('gone/y.txt');
    },
    act: (folder) => rm(folder.at('gone'), { recursive: true }),
    expected: [{ path: 'gone', kinds: ['delete'] }],
  },
];

describe.each(KINDS)('the %s watcher', (kind) => {
  let folder: WatchFolder;
  let watcher: Watcher;
  let subscription: WatchSubscription | undefined;
  let changes: RawChange[];
  let troubles: WatchTrouble[];

  beforeEach(async () => {
    folder = await makeWatchFolder();
    watcher = await createWatcher(kind, { pollInterval: 100 });
    changes = [];
    troubles = [];
  });
  afterEach(async () => {
    await subscription?.close();
    subscription = undefined;
    await folder.remove();
  });

  const seen = (expected: Expected): boolean =>
    changes.some((change) => change.path === folder.at(expected.path) && expected.kinds.includes(change.kind));
  const reported = (expected: Expected): Promise<void> =>
    waitFor(
      () => seen(expected),
      () => `${expected.kinds.join(' or ')} of ${expected.path}; seen: ${JSON.stringify(changes.map((change) => [change.kind, path.relative(folder.root, change.path)]))}`,
    );
  let probes = 0;
  /**
   * Waits until a folder is watched: a watch (or chokidar's look into a folder it just found) is
   * ready before a polling watcher's first stat of the folder, which may come later on a loaded
   * machine and would then take a change made meanwhile for the folder's initial state, never
   * reporting it. So a probe file is written, and again every half second, until one is
   * reported: from then on the folder is polled. The change the test makes next must not share
   * the probe's timestamp (file times tick coarsely, up to 10 ms), so it waits for the clock to
   * pass it too.
   */
  const watchingFolder = async (relative: string): Promise<void> => {
    for (;;) {
      probes += 1;
      const probe = `${relative === '' ? '' : `${relative}/`}probe-${probes}.txt`;
      await folder.file(probe);
      const found = await waitFor(() => seen({ path: probe, kinds: ['create', 'update'] }), () => probe, 500).then(
        () => true,
        () => false,
      );
      if (!found) continue;
      const { mtimeMs } = await stat(folder.at(probe));
      while (Date.now() <= mtimeMs + 20) await new Promise((resolve) => setTimeout(resolve, 5));
      return;
    }
  };
  const watch = async (): Promise<void> => {
    subscription = await watcher.watch(folder.root, {
      onChanges: (batch) => changes.push(...batch),
      onTrouble: (trouble) => troubles.push(trouble),
    });
    await watchingFolder('');
  };

  it('is the kind asked for', () => {
    expect(watcher.kind).toBe(kind);
  });

  it.each(cases.map((fsCase) => [fsCase.name, fsCase] as const))('reports %s', async (_name, fsCase) => {
    await fsCase.before?.(folder);
    await watch();
    await fsCase.act(folder, reported, watchingFolder);
    for (const expected of fsCase.expected) await reported(expected);
    expect(troubles).toEqual([]);
  });

  it("never reports Cairn's temp files", async () => {
    await watch();
    await folder.file('.cairn-tmp-0123456789abcdef', 'partial');
    await rename(folder.at('.cairn-tmp-0123456789abcdef'), folder.at('done.txt'));
    await reported({ path: 'done.txt', kinds: ['create', 'update'] });
    // The native watcher reports everything and leaves temp files to the coalescer; chokidar
    // skips them itself, so it never reports one.
    if (kind !== 'native') expect(changes.filter((change) => change.path.includes('.cairn-tmp-'))).toEqual([]);
  });

  it('says the watch stopped when the root is deleted', async () => {
    await folder.file('sub/x.txt');
    await watch();
    await rm(folder.root, { recursive: true });
    await waitFor(
      () => troubles.some((trouble) => trouble.kind === 'stopped'),
      () => `a 'stopped' trouble; seen ${JSON.stringify(troubles.map((trouble) => trouble.kind))}`,
    );
  });

  it('refuses to watch a missing folder, saying why', async () => {
    const error = await watcher.watch(folder.at('missing'), { onChanges: () => undefined, onTrouble: () => undefined }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WatchStartError);
    expect((error as WatchStartError).reason).toBe('root-missing');
    expect((error as WatchStartError).retryable).toBe(true);
  });

  it('refuses to watch a file, saying why', async () => {
    await writeFile(folder.at('plain.txt'), 'x');
    const error = await watcher.watch(folder.at('plain.txt'), { onChanges: () => undefined, onTrouble: () => undefined }).catch((caught: unknown) => caught);
    expect((error as WatchStartError).reason).toBe('root-not-a-folder');
  });

  it('leaves nothing running after close, so the process can exit', async () => {
    const output = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', path.join('test', 'engine', 'watcher', 'support', 'watchThenClose.ts'), kind, folder.root],
        // A watch that leaks a handle keeps the child alive until this kills it, failing the test.
        { cwd: repositoryRoot, timeout: 45_000 },
        (error, stdout, stderr) => (error === null ? resolve(stdout) : reject(new Error(`${error.message}\n${stderr}`))),
      );
    });
    expect(output.trim()).toBe(`closed ${kind}`);
  });

  it('closing twice is harmless and stops all reports', async () => {
    await watch();
    const closing = subscription;
    subscription = undefined;
    await closing?.close();
    await closing?.close();
    const countAtClose = changes.length;
    await folder.file('after-close.txt');
    // Nothing can be awaited for an event that must not come; what this checks is that no report
    // arrives in the time a watcher takes to report in the other tests.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(changes.length).toBe(countAtClose);
  });
});

describe('createWatcher', () => {
  it('defaults to the native watcher', async () => {
    const watcher = await createWatcher();
    expect(watcher.kind).toBe('native');
    expect(watcher.description).toContain('native');
  });

  it('describes the polling watcher with its interval', async () => {
    const watcher = await createWatcher('polling', { pollInterval: 1500 });
    expect(watcher.description).toBe('chokidar, polling every 1500 ms');
  });
});
