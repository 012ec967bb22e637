// kill -9 of one of two server instances (real processes on one PostgreSQL schema and one Ceph
// RGW bucket, behind a round-robin proxy) in the middle of a commit and in the middle of an
// upload. Afterwards: no acknowledged commit lost, no half commit visible, no gap in the feed, no
// chunk named by a version but absent, and every client converges through the other instance.
//
// The moment is made deterministic without test hooks in the server: a trigger in the test's own
// schema makes the database sleep inside the commit (on the version insert) or inside the
// upload (when the pack turns live, after its object is written), and the test kills the
// instance while the database reports that sleep.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LibraryPath } from '../../shared/paths.js';
import { routes } from '../../shared/protocol/index.js';
import { Engine } from '../../src-main/engine/engine.js';
import { fsck } from '../../src-server/maintenance/fsck.js';
import { DEFAULT_GC_OPTIONS } from '../../src-server/storage/scaleOutGarbageCollector.js';
import { openScaleOutStores } from '../../src-server/storage/scaleOutStores.js';
import { S3Client } from '../../src-server/storage/s3/s3Client.js';
import type { ScaleOutTarget } from '../../src-server/storage/scaleOutStores.js';
import { closeStores } from '../../src-server/storage/stores.js';
import type { Stores } from '../../src-server/storage/stores.js';
import { addUser } from '../../src-server/users.js';
import { eventually } from '../support/eventually.js';
import { backendFlags, describeScaleOut, destroyScaleOutTarget, freshScaleOutTarget } from '../support/scaleOutServices.js';
import { serveProcess } from '../support/serverProcess.js';
import type { ServerProcess } from '../support/serverProcess.js';
import { readTree } from './harness.js';
import { startRoundRobinProxy } from './support/roundRobinProxy.js';
import type { RoundRobinProxy } from './support/roundRobinProxy.js';

const PASSWORD = 'correct horse battery staple';

describeScaleOut('kill -9 of a scale-out instance', () => {
  let target: ScaleOutTarget;
  let stores: Stores;
  let database: pg.Client;
  let bucket: S3Client;
  let base: string;
  const instances: ServerProcess[] = [];
  let proxy: RoundRobinProxy;
  const engines: Engine[] = [];
  let libraryId: string;

  async function client(name: string): Promise<{ engine: Engine; root: string; sync: () => Promise<string> }> {
    const engine = await Engine.open({ home: path.join(base, `home-${name}`), deviceName: name });
    engines.push(engine);
    await engine.login(proxy.url, 'alice', PASSWORD);
    const root = path.join(base, `folder-${name}`);
    await mkdir(root, { recursive: true });
    await engine.addSync(libraryId, root);
    return {
      engine,
      root,
      async sync() {
        const [summary] = await engine.syncNow();
        return summary!.outcome;
      },
    };
  }

  /** Waits until a database session sleeps in the test's trigger. */
  async function stalled(): Promise<void> {
    await eventually(async () => {
      const { rows } = await database.query("SELECT count(*)::int AS sleeping FROM pg_stat_activity WHERE wait_event = 'PgSleep'");
      expect(rows[0].sleeping).toBeGreaterThan(0);
    }, 30_000);
  }

  /** Starts instance `index` anew (after a kill) and puts it back behind the proxy. */
  async function restart(index: number): Promise<void> {
    instances[index] = await serveProcess([...backendFlags(target), '--listen', `127.0.0.1:${instances[index]!.port}`]);
  }

  beforeAll(async () => {
    target = freshScaleOutTarget();
    stores = await openScaleOutStores(target, { listen: false });
    await addUser(stores.metadata, 'alice', PASSWORD, { cost: { log2N: 10, r: 8, p: 1 } });
    database = new pg.Client({ connectionString: target.postgres.connectionString, options: `-c search_path=${target.postgres.schema}` });
    await database.connect();
    bucket = new S3Client(target.s3, target.credentials);
    await database.query('CREATE FUNCTION stall() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(60); RETURN NEW; END $$');
    base = await mkdtemp(path.join(os.tmpdir(), 'cairn-scale-out-crash-'));
    for (let index = 0; index < 2; index++) instances.push(await serveProcess([...backendFlags(target), '--listen', '127.0.0.1:0']));
    proxy = await startRoundRobinProxy(instances.map((instance) => ({ host: instance.host, port: instance.port })));
    const admin = await Engine.open({ home: path.join(base, 'admin'), deviceName: 'admin' });
    await admin.login(proxy.url, 'alice', PASSWORD);
    libraryId = (await (await admin.server()).call(routes.createLibrary, { body: { name: 'Crash' } })).id;
    await admin.close();
  });
  afterAll(async () => {
    for (const engine of engines) await engine.close().catch(() => undefined);
    await proxy?.close();
    for (const instance of instances) instance.child.kill('SIGKILL');
    await Promise.all(instances.map((instance) => instance.exited));
    await database?.end();
    await bucket?.close();
    if (stores !== undefined) await closeStores(stores);
    if (target !== undefined) await destroyScaleOutTarget(target);
    if (base !== undefined) await rm(base, { recursive: true, force: true });
  });

  /** What must hold on the server after every crash. */
  async function expectServerSound(): Promise<void> {
    const report = await fsck(stores, { repair: false });
    expect(report.problems).toEqual([]);
    const { rows } = await database.query('SELECT l.head_seq::int AS head_seq, count(v.rev)::int AS versions, COALESCE(max(v.rev), 0)::int AS max FROM libraries l LEFT JOIN versions v ON v.library_id = l.id WHERE l.id = $1 GROUP BY l.head_seq', [libraryId]);
    expect(rows[0]).toEqual({ head_seq: rows[0].max, versions: rows[0].max, max: rows[0].max });
  }

  it('mid-commit: the killed commit leaves nothing, the lock frees, the client commits through the other instance exactly once', async () => {
    const alice = await client('alice');
    await writeFile(path.join(alice.root, 'before.txt'), 'committed before the crash');
    expect(await alice.sync()).toBe('synced');
    const headBefore = await stores.metadata.versions.headSeq(libraryId);

    await database.query("CREATE TRIGGER stall_commit BEFORE INSERT ON versions FOR EACH ROW WHEN (NEW.path LIKE '%stall%') EXECUTE FUNCTION stall()");
    proxy.pin(0);
    await writeFile(path.join(alice.root, 'stall-commit.txt'), 'its first commit dies with the instance');
    const round = alice.sync();
    await stalled();
    instances[0]!.child.kill('SIGKILL');
    await instances[0]!.exited;
    proxy.pin(1);
    await database.query('DROP TRIGGER stall_commit ON versions');
    await round; // ends in an error or succeeds on a retry; either way nothing half-done is visible
    expect(await stores.metadata.versions.headSeq(libraryId)).toBeGreaterThanOrEqual(headBefore);
    // The library's lock is free: the other instance commits.
    await eventually(async () => expect(await alice.sync()).toBe('synced'), 30_000);
    expect((await stores.metadata.versions.history(libraryId, 'stall-commit.txt' as LibraryPath)).length).toBe(1);

    await restart(0);
    proxy.pin(null);
    const bob = await client('bob');
    expect(await bob.sync()).toBe('synced');
    expect(await readTree(bob.root)).toEqual(await readTree(alice.root));
    await expectServerSound();
  });

  it('mid-upload: the pack written before the kill is never indexed, the upload succeeds through the other instance', async () => {
    const alice = await client('carol');
    expect(await alice.sync()).toBe('synced');
    await database.query("CREATE TRIGGER stall_upload BEFORE UPDATE ON packs FOR EACH ROW WHEN (NEW.state = 'live') EXECUTE FUNCTION stall()");
    proxy.pin(1);
    const big = Buffer.alloc(3 * 1024 * 1024);
    for (let index = 0; index < big.length; index += 4) big.writeUInt32LE((index * 2654435761) >>> 0, index);
    await writeFile(path.join(alice.root, 'large.bin'), big);
    const round = alice.sync();
    await stalled();
    instances[1]!.child.kill('SIGKILL');
    await instances[1]!.exited;
    proxy.pin(0);
    await database.query('DROP TRIGGER stall_upload ON packs');
    await round;
    await eventually(async () => expect(await alice.sync()).toBe('synced'), 30_000);
    // The killed upload left its intent (a pending pack, perhaps with its object), nothing more.
    const { rows } = await database.query("SELECT count(*)::int AS pending FROM packs WHERE state = 'pending'");
    expect(rows[0].pending).toBe(1);
    // Garbage collection removes that intent and its object once its grace has passed.
    expect(await stores.collectGarbage!({ ...DEFAULT_GC_OPTIONS, now: Date.now() + 2 * 24 * 60 * 60 * 1000 })).toMatchObject({ deletedPending: 1 });
    const keys: string[] = [];
    for await (const object of bucket.list('')) keys.push(object.key);
    const { rows: packs } = await database.query<{ key: string }>('SELECT key FROM packs');
    expect(keys.sort()).toEqual(packs.map((pack) => pack.key).sort());

    await restart(1);
    proxy.pin(null);
    const dave = await client('dave');
    expect(await dave.sync()).toBe('synced');
    // Compared with equals(): a deep equality of 3 MiB element by element takes half a minute.
    expect((await readFile(path.join(dave.root, 'large.bin'))).equals(big)).toBe(true);
    expect(await readTree(dave.root)).toEqual(await readTree(alice.root));
    await expectServerSound();
  });
});
