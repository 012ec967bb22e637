// cairn-server migrate: an embedded server with history and a shared library is moved to
// PostgreSQL + Ceph RGW, and its clients carry on against the new backend with the indexes they
// have (no re-upload, no re-download, no new login). Interrupted by kill -9 in the middle of the
// chunk copy, it resumes, copying only what was left; a damaged chunk in the source is not
// copied but marked missing, and the client that still has it uploads it again.

import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import type { LibraryPath } from '../../shared/paths.js';
import { routes } from '../../shared/protocol/index.js';
import { main } from '../../src-server/main.js';
import { fsck } from '../../src-server/maintenance/fsck.js';
import { startServer } from '../../src-server/server.js';
import { decodePack } from '../../src-server/storage/packFormat.js';
import type { MetadataStore } from '../../src-server/storage/metadataStore.js';
import { openScaleOutStores } from '../../src-server/storage/scaleOutStores.js';
import type { ScaleOutTarget } from '../../src-server/storage/scaleOutStores.js';
import { openSqliteMetadataStore } from '../../src-server/storage/sqliteMetadataStore.js';
import { closeStores } from '../../src-server/storage/stores.js';
import { addUser } from '../../src-server/users.js';
import { eventually } from '../support/eventually.js';
import { backendFlags, describeScaleOut, destroyScaleOutTarget, freshScaleOutTarget } from '../support/scaleOutServices.js';
import { startServerProcess } from '../support/serverProcess.js';
import { PASSWORD, startHarness } from './harness.js';
import type { Harness, TestClient } from './harness.js';

async function runMigrate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdin = new PassThrough();
  stdin.end();
  let stdout = '';
  let stderr = '';
  const code = await main(['migrate', ...args], { stdin, stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) } });
  return { code, stdout, stderr };
}

/** Every library's whole feed, by library id. */
async function feeds(store: MetadataStore, libraryIds: readonly string[]): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = {};
  for (const id of libraryIds) result[id] = await store.versions.changes(id, 0, 100_000);
  return result;
}

/** Stops the embedded server and serves the migrated backend on the same port. */
async function switchToScaleOut(harness: Harness, target: ScaleOutTarget): Promise<void> {
  const port = harness.server.port;
  await harness.server.close();
  const stores = await openScaleOutStores(target, { listen: true });
  harness.stores = stores;
  harness.server = await startServer({ stores, host: '127.0.0.1', port });
}

function expectNoTransfer(summary: Awaited<ReturnType<TestClient['sync']>>): void {
  expect({ uploadedFiles: summary.uploadedFiles, uploadedBytes: summary.uploadedBytes, downloadedFiles: summary.downloadedFiles, downloadedBytes: summary.downloadedBytes }).toEqual({
    uploadedFiles: 0,
    uploadedBytes: 0,
    downloadedFiles: 0,
    downloadedBytes: 0,
  });
}

describeScaleOut('cairn-server migrate to PostgreSQL + S3', () => {
  let harness: Harness | undefined;
  let target: ScaleOutTarget | undefined;
  afterEach(async () => {
    await harness?.stop();
    if (target !== undefined) await destroyScaleOutTarget(target);
    harness = undefined;
    target = undefined;
  });

  it('moves history, devices and a shared library; the old clients sync on without transferring a byte', async () => {
    harness = await startHarness();
    const alice = await harness.client('alice-laptop');
    const desktop = await harness.client('alice-desktop');
    await harness.addUser('bob');
    const sharedId = await harness.createLibrary('alice', 'Shared');
    await (await alice.engine.server()).call(routes.setMember, { params: { libraryId: sharedId, userName: 'bob' }, body: { role: 'rw' } });
    const bob = await harness.client('bob-laptop', { user: 'bob', libraryId: sharedId });
    const aliceShared = await harness.client('alice-shared', { libraryId: sharedId });

    // History: edits, a move, a delete; a multi-chunk file; files from two users in the shared library.
    const large = randomBytes(300 * 1024);
    await alice.write('notes.txt', 'first');
    await alice.write('large.bin', large);
    await alice.write('old/name.txt', 'moved later');
    await alice.sync();
    await alice.write('notes.txt', 'second');
    await alice.write('gone.txt', 'deleted later');
    await alice.sync();
    await desktop.sync();
    await desktop.write('notes.txt', 'third, from the desktop');
    await desktop.sync();
    await alice.sync();
    await rm(path.join(alice.root, 'gone.txt'));
    await rename(path.join(alice.root, 'old'), path.join(alice.root, 'new'));
    await alice.sync();
    await desktop.sync();
    await bob.write('from-bob.txt', 'bob wrote this');
    await bob.sync();
    await aliceShared.write('from-alice.txt', 'alice wrote this');
    await aliceShared.sync();
    await bob.sync();
    const clients = [alice, desktop, bob, aliceShared];
    for (const client of clients) await client.sync();

    const documentsId = alice.engine.findSyncedLibrary('Documents').libraryId;
    const conflict = await harness.stores.metadata.conflicts.report({
      libraryId: sharedId,
      path: 'from-bob.txt' as LibraryPath,
      conflictPath: 'from-bob (conflict bob-laptop 2026-01-01 000000).txt' as LibraryPath,
      remoteRev: 1,
      baseRev: null,
      device: 'bob-laptop',
      userName: 'bob',
      createdAt: 1,
    });
    const source = openSqliteMetadataStore(path.join(harness.dataDir, 'metadata.sqlite'));
    const before = await feeds(source, [documentsId, sharedId]);
    await source.close();

    target = freshScaleOutTarget();
    await harness.server.close();
    const migrated = await runMigrate(['--from', harness.dataDir, ...backendFlags(target)]);
    expect(migrated.code, migrated.stdout + migrated.stderr).toBe(0);
    expect(migrated.stdout).toMatch(/copied the metadata: 2 users, \d+ tokens, 2 libraries, 1 members, \d+ library_chunks, \d+ versions, \d+ heads, 1 library_conflicts/);
    expect(migrated.stdout).toMatch(/migration complete: \d+ chunks in place \(\d+ copied now, 0 before\), 0 damaged/);

    // Run again, it copies nothing and verifies again.
    const again = await runMigrate(['--from', harness.dataDir, ...backendFlags(target)]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toMatch(/migration complete: (\d+) chunks in place \(0 copied now, \1 before\)/);

    await switchToScaleOut(harness, target);
    expect(await feeds(harness.stores.metadata, [documentsId, sharedId])).toEqual(before);
    // Conflicts keep their ids, and new ones number on after them.
    expect(await harness.stores.metadata.conflicts.open(sharedId)).toEqual([conflict]);
    const next = await harness.stores.metadata.conflicts.report({ ...conflict, conflictPath: 'from-bob (conflict 2).txt' as LibraryPath });
    expect(next.id).toBeGreaterThan(conflict.id);
    // The same tokens, the same indexes: nothing moves.
    for (const client of clients) expectNoTransfer(await client.sync());

    // And syncing goes on, through the new backend, in both libraries.
    await desktop.write('after.txt', 'written after the migration');
    await desktop.sync();
    await alice.sync();
    expect(await alice.read('after.txt')).toBe('written after the migration');
    expect((await readFile(path.join(alice.root, 'large.bin'))).equals(large)).toBe(true);
    await bob.write('from-bob.txt', 'bob edited this after the migration');
    await bob.sync();
    await aliceShared.sync();
    expect(await aliceShared.tree()).toEqual(await bob.tree());
    expect(await alice.tree()).toEqual(await desktop.tree());
    const fresh = await harness.client('alice-new-device');
    await fresh.sync();
    expect(await fresh.tree()).toEqual(await alice.tree());
    expect((await fsck(harness.stores, { repair: false })).problems).toEqual([]);
  });

  it('copies a data folder from before packs, whose chunks are loose files', async () => {
    harness = await startHarness();
    const alice = await harness.client('alice');
    const content = randomBytes(100 * 1024);
    await alice.write('old.bin', content);
    await alice.write('notes/old.txt', 'written before packs existed');
    await alice.sync();
    await harness.server.close();

    // Turn every pack into the layout from before packs: one file per chunk, no index rows.
    const chunksRoot = path.join(harness.dataDir, 'chunks');
    const index = new Database(path.join(chunksRoot, 'chunk-index.sqlite'));
    try {
      for (const pack of index.prepare('SELECT owner_id, name FROM packs').all() as { owner_id: string; name: string }[]) {
        const file = path.join(chunksRoot, pack.owner_id, 'packs', pack.name.slice(0, 2), `${pack.name}.pack`);
        const bytes = await readFile(file);
        for (const chunk of decodePack(bytes)) {
          const folder = path.join(chunksRoot, pack.owner_id, chunk.id.slice(0, 2), chunk.id.slice(2, 4));
          await mkdir(folder, { recursive: true });
          await writeFile(path.join(folder, chunk.id), bytes.subarray(chunk.offset, chunk.offset + chunk.size));
        }
        await rm(file);
      }
      index.exec('DELETE FROM chunk_locations; DELETE FROM packs');
    } finally {
      index.close();
    }

    target = freshScaleOutTarget();
    const migrated = await runMigrate(['--from', harness.dataDir, ...backendFlags(target)]);
    expect(migrated.code, migrated.stdout + migrated.stderr).toBe(0);
    const done = /migration complete: (\d+) chunks in place \((\d+) copied now, 0 before\), 0 damaged/.exec(migrated.stdout);
    expect(done, migrated.stdout).not.toBeNull();
    expect(done![2]).toBe(done![1]);

    await switchToScaleOut(harness, target);
    expectNoTransfer(await alice.sync());
    const fresh = await harness.client('alice-new-device');
    await fresh.sync();
    expect(await fresh.tree()).toEqual(await alice.tree());
    expect((await readFile(path.join(fresh.root, 'old.bin'))).equals(content)).toBe(true);
  });

  it('resumes after kill -9 mid-copy without copying twice, marks a damaged source chunk missing, refuses a changed source', async () => {
    harness = await startHarness();
    const alice = await harness.client('alice');
    const bob = await harness.client('bob', { user: 'bob', libraryName: 'Bob' });
    const aliceFile = randomBytes(200 * 1024);
    await alice.write('a.bin', aliceFile);
    await alice.sync();
    await bob.write('b.bin', randomBytes(200 * 1024));
    await bob.sync();
    await alice.write('small.txt', 'a small file whose only chunk gets damaged');
    await alice.sync();

    // Flip a bit in the chunk of small.txt, in its pack in the embedded store.
    const packs = [];
    for await (const pack of harness.stores.chunks.packs()) packs.push(pack);
    const smallPack = packs.find((pack) => pack.chunks.length === 1 && pack.chunks[0]!.size < 100)!;
    const file = path.join(harness.dataDir, 'chunks', ...smallPack.key.split('/'));
    const bytes = await readFile(file);
    const offset = smallPack.chunks[0]!.offset;
    bytes.writeUInt8(bytes.readUInt8(offset) ^ 1, offset);
    await harness.server.close();
    await writeFile(file, bytes);

    // The second pack to turn live makes the database sleep; the migration is killed there.
    target = freshScaleOutTarget();
    await closeStores(await openScaleOutStores(target, { listen: false }));
    const database = new pg.Client({ connectionString: target.postgres.connectionString, options: `-c search_path=${target.postgres.schema}` });
    await database.connect();
    try {
      await database.query(`CREATE FUNCTION stall() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF (SELECT count(*) FROM packs WHERE state = 'live') >= 1 THEN PERFORM pg_sleep(60); END IF; RETURN NEW; END $$`);
      await database.query("CREATE TRIGGER stall_second_pack BEFORE UPDATE ON packs FOR EACH ROW WHEN (NEW.state = 'live') EXECUTE FUNCTION stall()");
      const child = startServerProcess(['migrate', '--from', harness.dataDir, ...backendFlags(target)]);
      const exited = new Promise((resolve) => child.on('close', resolve));
      await eventually(async () => {
        const { rows } = await database.query("SELECT count(*)::int AS sleeping FROM pg_stat_activity WHERE wait_event = 'PgSleep'");
        expect(rows[0].sleeping).toBe(1);
      }, 30_000);
      child.kill('SIGKILL');
      await exited;
      await database.query('DROP TRIGGER stall_second_pack ON packs');
      // The killed session's transaction is rolled back once PostgreSQL notices; wait for that.
      await eventually(async () => {
        const { rows } = await database.query("SELECT count(*)::int AS sleeping FROM pg_stat_activity WHERE wait_event = 'PgSleep'");
        expect(rows[0].sleeping).toBe(0);
      }, 90_000);
      const { rows } = await database.query("SELECT count(*)::int AS live FROM packs WHERE state = 'live'");
      expect(rows[0].live).toBe(1);
    } finally {
      await database.end();
    }

    // Half migrated: no server serves from it.
    await expect(openScaleOutStores(target, { listen: true })).rejects.toThrow(/migration from .* is not finished/);

    const resumed = await runMigrate(['--from', harness.dataDir, ...backendFlags(target)]);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('resuming: the metadata was copied by an earlier run');
    const done = /migration complete: (\d+) chunks in place \((\d+) copied now, (\d+) before\), 1 damaged/.exec(resumed.stdout);
    expect(done, resumed.stdout).not.toBeNull();
    expect(Number(done![3])).toBeGreaterThan(0);
    expect(Number(done![2]) + Number(done![3]) + 1).toBe(Number(done![1]));
    expect(resumed.stdout).toMatch(/damaged-chunk: .*does not hash to its id/);

    // A source that changed since the metadata was copied is refused.
    const source = openSqliteMetadataStore(path.join(harness.dataDir, 'metadata.sqlite'));
    await addUser(source, 'carol', PASSWORD, { cost: { log2N: 10, r: 8, p: 1 } });
    await source.close();
    const refused = await runMigrate(['--from', harness.dataDir, ...backendFlags(target)]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/changed since its metadata was copied/);

    // Served: the damaged chunk counts as missing; alice's device, which has small.txt, sends
    // it again in its next round (and nothing else), and a new device gets everything.
    await switchToScaleOut(harness, target);
    expectNoTransfer(await bob.sync());
    const again = await alice.sync();
    expect({ uploadedFiles: again.uploadedFiles, uploadedBytes: again.uploadedBytes, downloadedBytes: again.downloadedBytes }).toEqual({
      uploadedFiles: 0,
      uploadedBytes: 'a small file whose only chunk gets damaged'.length,
      downloadedBytes: 0,
    });
    expectNoTransfer(await alice.sync());
    const fresh = await harness.client('alice-new-device');
    await eventually(async () => {
      await fresh.sync();
      expect(await fresh.tree()).toEqual(await alice.tree());
    });
    expect((await readFile(path.join(fresh.root, 'a.bin'))).equals(aliceFile)).toBe(true);
    expect((await fsck(harness.stores, { repair: false })).problems).toEqual([]);
  });
});
