// Live sync end to end: two daemons with the real file watcher against a real server, and no
// `sync now` anywhere. What one folder sees happen, the other shows by itself: creations, edits,
// renames, deletions, a file written slowly, a burst of thousands of files; the server going
// away in the middle of a transfer; pause and resume; and a `cairn daemon` process killed with
// SIGKILL and started again. Every wait polls with a deadline; nothing depends on the timing.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ActivityEntry, LibraryStateKind, SyncEvent } from '../../shared/api/index.js';
import { createControlApi, findRunningDaemon } from '../../src-main/cli/controlClient.js';
import type { ControlApi } from '../../src-main/cli/controlClient.js';
import type { DaemonEvent } from '../../src-main/daemon/daemon.js';
import { startDaemonService } from '../../src-main/daemon/daemonService.js';
import type { DaemonService } from '../../src-main/daemon/daemonService.js';
import { startHarness } from '../sync/harness.js';
import type { Harness } from '../sync/harness.js';
import { eventually } from '../support/eventually.js';
import { runCairn } from '../support/runCairn.js';

const REPOSITORY_ROOT = fileURLToPath(new URL('../../', import.meta.url));

let harness: Harness;
const services: DaemonService[] = [];
const processes: ChildProcess[] = [];
const clients: ControlApi[] = [];

beforeEach(async () => {
  harness = await startHarness();
});
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const child of processes.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('close', resolve));
    }
  }
  for (const service of services.splice(0)) await service.stop();
  await harness.stop();
});

interface LiveClient {
  readonly service: DaemonService;
  readonly root: string;
  readonly home: string;
  readonly libraryId: string;
  /** Every SyncApi event the client's API published, in order. */
  readonly events: SyncEvent[];
  /** Every daemon event, in order. */
  readonly daemonEvents: DaemonEvent[];
}

/** Sets a device up (login, library) with the harness, then hands its profile to a live daemon. */
async function liveClient(name: string): Promise<LiveClient> {
  const prepared = await prepareProfile(name);
  const service = await startDaemonService({ home: prepared.home, deviceName: name, watcher: 'native', retryBaseMs: 50, retryMaxMs: 500, log: () => undefined });
  services.push(service);
  const events: SyncEvent[] = [];
  const daemonEvents: DaemonEvent[] = [];
  service.api.subscribe((event) => events.push(event));
  service.daemon.subscribe((event) => daemonEvents.push(event));
  return { service, ...prepared, events, daemonEvents };
}

async function prepareProfile(name: string): Promise<{ root: string; home: string; libraryId: string }> {
  const client = await harness.client(name);
  const libraryId = client.engine.libraries()[0]!.libraryId;
  await client.close();
  return { root: client.root, home: client.home, libraryId };
}


async function readOrNull(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return null;
  }
}

async function sha256(file: string): Promise<string | null> {
  try {
    return createHash('sha256').update(await readFile(file)).digest('hex');
  } catch {
    return null;
  }
}

async function stateOf(client: LiveClient): Promise<LibraryStateKind | undefined> {
  return (await client.service.api.getStatus({})).libraries[0]?.state.kind;
}

async function activityOf(client: LiveClient): Promise<ActivityEntry[]> {
  return (await client.service.api.getActivity({ limit: 500 })).entries;
}

describe('two live daemons', () => {
  it('carry a creation, an edit, a rename and a deletion across by themselves', async () => {
    const alice = await liveClient('alice');
    const bob = await liveClient('bob');
    await eventually(() => expect(bob.service.daemon.isOnline).toBe(true));

    await writeFile(path.join(alice.root, 'notes.txt'), 'first words');
    await eventually(async () => expect(await readOrNull(path.join(bob.root, 'notes.txt'))).toBe('first words'));

    await writeFile(path.join(alice.root, 'notes.txt'), 'first words, then more');
    await eventually(async () => expect(await readOrNull(path.join(bob.root, 'notes.txt'))).toBe('first words, then more'));

    await rename(path.join(alice.root, 'notes.txt'), path.join(alice.root, 'renamed.txt'));
    await eventually(async () => {
      expect(await readOrNull(path.join(bob.root, 'renamed.txt'))).toBe('first words, then more');
      expect(await readOrNull(path.join(bob.root, 'notes.txt'))).toBeNull();
    });

    await rm(path.join(alice.root, 'renamed.txt'));
    await eventually(async () => expect(await readdir(bob.root)).toEqual([]));

    // Both report the truth once idle, and told their listeners what they were doing meanwhile.
    await eventually(async () => expect(await stateOf(alice)).toBe('up-to-date'));
    await eventually(async () => expect(await stateOf(bob)).toBe('up-to-date'));
    const aliceStates = alice.events.flatMap((event) => (event.kind === 'libraryChanged' ? [event.library.state.kind] : []));
    expect(aliceStates).toContain('scanning');
    expect(aliceStates.at(-1)).toBe('up-to-date');

    // The activity lists say what happened, and on which side.
    const sent = await activityOf(alice);
    expect(sent).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'uploaded', path: 'notes.txt' }),
        expect.objectContaining({ kind: 'moved', from: 'notes.txt', to: 'renamed.txt', side: 'server' }),
        expect.objectContaining({ kind: 'deleted', path: 'renamed.txt', side: 'server' }),
      ]),
    );
    await eventually(async () =>
      expect(await activityOf(bob)).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ kind: 'downloaded', path: 'notes.txt', size: 'first words, then more'.length }),
          expect.objectContaining({ kind: 'moved', from: 'notes.txt', to: 'renamed.txt', side: 'this-device' }),
          expect.objectContaining({ kind: 'deleted', path: 'renamed.txt', side: 'this-device' }),
        ]),
      ),
    );
    expect(bob.events.some((event) => event.kind === 'activityAdded' && event.entry.kind === 'downloaded')).toBe(true);
  });

  it('delivers a file written slowly over seconds complete', async () => {
    const alice = await liveClient('alice');
    const bob = await liveClient('bob');
    const pieces = Array.from({ length: 12 }, (_, index) => `piece ${index}: ${'x'.repeat(20_000)}\n`);
    const handle = await open(path.join(alice.root, 'slow.log'), 'w');
    try {
      for (const piece of pieces) {
        await handle.write(piece);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    } finally {
      await handle.close();
    }
    const whole = pieces.join('');
    await eventually(async () => expect(await readOrNull(path.join(bob.root, 'slow.log'))).toBe(whole));
    await eventually(async () => expect(await stateOf(alice)).toBe('up-to-date'));
  });

  it('recovers when the server goes away in the middle of a transfer', async () => {
    const alice = await liveClient('alice');
    const bob = await liveClient('bob');
    await eventually(() => expect(alice.service.daemon.isOnline).toBe(true));
    // A bandwidth limit stretches the upload over seconds, so the server can leave mid-way.
    await alice.service.api.setPreferences({ uploadLimit: 2 * 1024 * 1024 });
    const content = randomBytes(6 * 1024 * 1024);
    const expected = createHash('sha256').update(content).digest('hex');
    await writeFile(path.join(alice.root, 'big.bin'), content);
    await eventually(() => expect(alice.daemonEvents.some((event) => event.kind === 'progress' && event.progress.phase === 'uploading' && event.progress.bytesDone > 0)).toBe(true));

    await harness.server.close();
    await eventually(() => expect(alice.daemonEvents.some((event) => event.kind === 'state' && (event.state === 'offline' || event.state === 'error'))).toBe(true));
    expect(await stateOf(alice)).not.toBe('up-to-date');
    await harness.restartServer();
    await alice.service.api.setPreferences({ uploadLimit: null });

    await eventually(async () => expect(await sha256(path.join(bob.root, 'big.bin'))).toBe(expected), 45_000);
    await eventually(async () => expect(await stateOf(alice)).toBe('up-to-date'));
    await eventually(async () => expect(await stateOf(bob)).toBe('up-to-date'));
  });

  it('holds changes back while paused and sends them on resume', async () => {
    const alice = await liveClient('alice');
    const bob = await liveClient('bob');
    await alice.service.api.pauseLibrary({ libraryId: alice.libraryId });
    await writeFile(path.join(alice.root, 'held.txt'), 'held back');
    // The watcher saw the change: the runner holds a round it may not start.
    await eventually(() => expect(alice.service.daemon.libraryStatus(alice.libraryId)?.busy).toBe(true));
    expect(await stateOf(alice)).toBe('paused');
    expect(await readOrNull(path.join(bob.root, 'held.txt'))).toBeNull();
    expect(await harness.stores.metadata.versions.headSeq(alice.libraryId)).toBe(0);

    await alice.service.api.resumeLibrary({ libraryId: alice.libraryId });
    await eventually(async () => expect(await readOrNull(path.join(bob.root, 'held.txt'))).toBe('held back'));

    // Pausing everything holds back too, and is remembered.
    await alice.service.api.pauseAll({});
    expect((await alice.service.api.getStatus({})).libraries[0]?.state).toMatchObject({ kind: 'paused', reason: 'all-paused' });
    expect(await alice.service.api.syncNow({})).toEqual({ queued: [] });
    await alice.service.api.resumeAll({});
    await eventually(async () => expect(await stateOf(alice)).toBe('up-to-date'));
  });

  it('counts a paused library’s waiting work again only when something changed', async () => {
    const alice = await liveClient('alice');
    await eventually(async () => expect(await stateOf(alice)).toBe('up-to-date'));
    await eventually(() => expect(alice.service.daemon.libraryStatus(alice.libraryId)?.busy).toBe(false));
    await alice.service.api.pauseLibrary({ libraryId: alice.libraryId });
    let counted = 0;
    const engine = alice.service.daemon.engine;
    const original = engine.pendingWork.bind(engine);
    engine.pendingWork = (reference) => {
      counted += 1;
      return original(reference);
    };
    const ask = async () => (await alice.service.api.getPendingWork({ libraryId: alice.libraryId })).pending;
    expect(await ask()).toMatchObject({ upload: { files: 0 } });
    // A card asking every 10 s while nothing happens: the folder is not walked again.
    await ask();
    await ask();
    expect(counted).toBe(1);
    // The watcher sees a new file: the next ask counts again, and finds it.
    await writeFile(path.join(alice.root, 'waiting.txt'), 'waits for resume');
    await eventually(async () => expect(await ask()).toMatchObject({ upload: { files: 1, bytes: 16 } }));
    expect(counted).toBeGreaterThan(1);
    const after = counted;
    await ask();
    expect(counted).toBe(after);
  });

  it('handles a burst of thousands of changes in a few rounds', async () => {
    const alice = await liveClient('alice');
    const bob = await liveClient('bob');
    await eventually(async () => expect(await stateOf(alice)).toBe('up-to-date'));
    const roundsBefore = alice.daemonEvents.filter((event) => event.kind === 'round').length;
    const files = 3_000;
    for (let folder = 0; folder < 30; folder++) await mkdir(path.join(alice.root, `burst-${folder}`));
    for (let start = 0; start < files; start += 200) {
      await Promise.all(
        Array.from({ length: Math.min(200, files - start) }, (_, offset) => {
          const number = start + offset;
          return writeFile(path.join(alice.root, `burst-${number % 30}`, `file-${number}.txt`), `file ${number}`);
        }),
      );
    }
    await eventually(async () => {
      let count = 0;
      // Under their real names: a group of downloads has its temp files there until it is durable.
      for (let folder = 0; folder < 30; folder++) count += (await readdir(path.join(bob.root, `burst-${folder}`)).catch(() => [])).filter((name) => !name.startsWith('.cairn-tmp-')).length;
      expect(count).toBe(files);
    }, 50_000);
    expect(await readOrNull(path.join(bob.root, 'burst-7', 'file-1537.txt'))).toBe('file 1537');
    const rounds = alice.daemonEvents.filter((event) => event.kind === 'round').length - roundsBefore;
    // Coalesced: a round per second of writing at most, never one per file.
    expect(rounds).toBeGreaterThan(0);
    expect(rounds).toBeLessThan(files / 100);
  });
});

// ---- a real `cairn daemon` process --------------------------------------------------------------

interface DaemonProcess {
  readonly child: ChildProcess;
  readonly control: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

function spawnCairn(args: readonly string[]): { child: ChildProcess; stdout: () => string; exited: DaemonProcess['exited'] } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src-main/cli/main.ts', ...args], { cwd: REPOSITORY_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  processes.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, stdout: () => stdout, exited };
}

async function startDaemonProcess(home: string): Promise<DaemonProcess> {
  const started = spawnCairn(['--home', home, 'daemon', '--control-port', '0', '--device', 'alice']);
  const control = await new Promise<string>((resolve, reject) => {
    const look = () => {
      const match = /^control: (http:\/\/127\.0\.0\.1:\d+)$/m.exec(started.stdout());
      if (match) resolve(match[1]!);
    };
    started.child.stdout!.on('data', look);
    void started.exited.then((result) => reject(new Error(`cairn daemon exited before it was ready: ${JSON.stringify(result)}`)));
  });
  return { child: started.child, control, exited: started.exited };
}

const cairn = runCairn;

describe('cairn daemon as a process', () => {
  it('refuses a second daemon, serves the CLI, and loses nothing when killed with SIGKILL', async () => {
    const alice = await prepareProfile('alice');
    const bob = await liveClient('bob');
    const first = await startDaemonProcess(alice.home);

    // One daemon per profile; the second says why and exits non-zero.
    const second = spawnCairn(['--home', alice.home, 'daemon', '--control-port', '0']);
    const refused = await second.exited;
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/already running on this profile/);

    // CLI commands talk to the running daemon.
    const connection = await findRunningDaemon(alice.home);
    expect(connection?.url).toBe(first.control);
    const api = createControlApi(connection!);
    clients.push(api);
    await eventually(async () => expect((await api.getStatus({})).libraries[0]?.state.kind).toBe('up-to-date'));
    const status = await cairn(alice.home, ['status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/a daemon is running/);
    expect(status.stdout).toMatch(/Documents {2}up-to-date/);

    // Slow the upload down so that the kill lands in the middle of the work.
    await api.setPreferences({ uploadLimit: 2 * 1024 * 1024 });
    const big = randomBytes(5 * 1024 * 1024);
    await writeFile(path.join(alice.root, 'big.bin'), big);
    for (let number = 0; number < 50; number++) await writeFile(path.join(alice.root, `small-${number}.txt`), `small ${number}`);
    await eventually(async () => expect((await api.getStatus({})).libraries[0]?.state.kind).toBe('syncing'));
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    api.close();

    // Started again, it takes over the lock the dead one left and finishes the work.
    const again = await startDaemonProcess(alice.home);
    const revived = createControlApi((await findRunningDaemon(alice.home))!);
    clients.push(revived);
    await revived.setPreferences({ uploadLimit: null });
    const expected = createHash('sha256').update(big).digest('hex');
    await eventually(async () => expect(await sha256(path.join(bob.root, 'big.bin'))).toBe(expected), 45_000);
    await eventually(async () => {
      for (let number = 0; number < 50; number++) expect(await readOrNull(path.join(bob.root, `small-${number}.txt`))).toBe(`small ${number}`);
    });
    await eventually(async () => expect((await revived.getStatus({})).libraries[0]?.state.kind).toBe('up-to-date'));
    expect(await readdir(alice.root).then((names) => names.filter((name) => name.startsWith('.cairn')))).toEqual([]);

    // SIGTERM stops it cleanly, and the profile is free again.
    again.child.kill('SIGTERM');
    expect((await again.exited).code).toBe(0);
    expect(await findRunningDaemon(alice.home, 0)).toBeNull();
    // The token stays in the profile (owner-only) for the next start, so open pages reconnect.
    expect((await stat(path.join(alice.home, 'control-token'))).isFile()).toBe(true);
  });
});
