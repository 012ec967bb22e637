// One door into the engine from the command line: with no daemon running, a command runs the
// daemon's service in its own process and holds the profile lock like any writer, so two
// commands on one profile never run rounds at once; `cairn status --json` prints one shape
// whether or not a daemon runs.

import { Readable } from 'node:stream';
import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { syncStatusSchema } from '../../shared/api/index.js';
import { main } from '../../src-main/cli/main.js';
import { Daemon } from '../../src-main/daemon/daemon.js';
import { startDaemonService } from '../../src-main/daemon/daemonService.js';
import type { DaemonService } from '../../src-main/daemon/daemonService.js';
import { openIndex } from '../../src-main/engine/indexStore/index.js';
import { ProfileLockedError, acquireProfileLock } from '../../src-main/profile/profileLock.js';
import { eventually } from '../support/eventually.js';
import { runCairn } from '../support/runCairn.js';
import { startHarness } from '../sync/harness.js';
import type { Harness } from '../sync/harness.js';
import { start } from '../sync/support/cliProcess.js';

let harness: Harness;
let service: DaemonService | undefined;
let home: string;
let root: string;

beforeEach(async () => {
  harness = await startHarness();
  const client = await harness.client('alice');
  await client.write('first.txt', 'the first file');
  await client.close();
  home = client.home;
  root = client.root;
});
afterEach(async () => {
  await service?.stop();
  service = undefined;
  await harness.stop();
});

/** When the profile's library last completed a round, read from the index on a connection of its own. */
function lastSyncAt(): number | null | undefined {
  const index = openIndex(path.join(home, 'index.sqlite'));
  try {
    return index.libraries.list()[0]?.lastSyncAt;
  } finally {
    index.close();
  }
}

/** The JSON's shape: every leaf replaced by its type, so that two statuses compare by shape. */
function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shapeOf);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, shapeOf(inner)]));
  return value === null ? 'null' : typeof value;
}

describe('cairn status --json', () => {
  it('prints one shape with and without a daemon', async () => {
    expect((await runCairn(home, ['sync', 'now'])).code).toBe(0);
    const alone = await runCairn(home, ['--json', 'status']);
    expect(alone.code).toBe(0);
    const withoutDaemon: unknown = JSON.parse(alone.stdout);
    syncStatusSchema.parse(withoutDaemon);

    service = await startDaemonService({ home, deviceName: 'alice', watcher: 'none', log: () => undefined });
    await service.daemon.syncNow();
    const beside = await runCairn(home, ['--json', 'status']);
    expect(beside.code).toBe(0);
    const withDaemon: unknown = JSON.parse(beside.stdout);
    syncStatusSchema.parse(withDaemon);

    expect(shapeOf(withDaemon)).toEqual(shapeOf(withoutDaemon));
    for (const status of [withoutDaemon, withDaemon] as { libraries: { name: string; state: { kind: string } }[] }[]) {
      expect(status.libraries.map((library) => [library.name, library.state.kind])).toEqual([['Documents', 'up-to-date']]);
    }
  });
});

describe('one writer per profile', () => {
  it('a command waits while another command holds the profile, and writes nothing meanwhile', async () => {
    const held = await acquireProfileLock(home, 'command');
    let stderr = '';
    const run = main(['--home', home, 'sync', 'now'], { out: () => undefined, err: (text) => (stderr += `${text}\n`), stdin: Readable.from(['']) });
    try {
      await eventually(() => expect(stderr).toMatch(/waiting for another cairn command \(pid \d+\) to finish with this profile/));
      // The waiting command has not opened the index for writing: no round has run.
      expect(lastSyncAt()).toBeNull();
    } finally {
      await held.release();
    }
    expect(await run).toBe(0);
    expect(lastSyncAt()).not.toBeNull();
  });

  it('refuses to start a daemon while a command holds the profile', async () => {
    const held = await acquireProfileLock(home, 'command');
    try {
      const refused = await Daemon.start({ home, watch: null, log: () => undefined }).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ProfileLockedError);
      expect((refused as Error).message).toMatch(/a cairn command \(pid \d+\) is working on this profile/);
    } finally {
      await held.release();
    }
  });

  it('two `cairn sync now` started at once: one runs after the other, and every file goes up once', async () => {
    for (let folder = 0; folder < 4; folder++) {
      await mkdir(path.join(root, `batch-${folder}`), { recursive: true });
      for (let file = 0; file < 50; file++) await writeFile(path.join(root, `batch-${folder}`, `file-${file}.txt`), `batch ${folder} file ${file}\n`);
    }
    const both = [start('cairn', ['--home', home, '--json', 'sync', 'now']), start('cairn', ['--home', home, '--json', 'sync', 'now'])];
    const results = await Promise.all(both.map((process) => process.finished));
    for (const result of results) expect([result.code, result.stderr.replace(/^cairn: waiting for another cairn command \(pid \d+\) to finish with this profile\n/, '')]).toEqual([0, '']);
    const summaries = results.map((result) => JSON.parse(result.stdout.trim()) as { outcome: string; uploadedFiles: number; uploadedBytes: number; conflicts: string[] });
    expect(summaries.map((summary) => [summary.outcome, summary.conflicts])).toEqual([
      ['synced', []],
      ['synced', []],
    ]);
    // One process uploaded everything, the other not a byte: two rounds at once would both
    // have sent the chunks (and raced for the commits).
    const sent = summaries.map((summary) => [summary.uploadedFiles, summary.uploadedBytes > 0]).sort((a, b) => Number(a[0]) - Number(b[0]));
    expect(sent).toEqual([
      [0, false],
      [201, true],
    ]);
  }, 120_000);
});
