// The `cairn` command line as a user runs it: real processes, a real server, real folders.

import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcess } from '../support/runProcess.js';
import { openEmbeddedStores, startServer } from '../../src-server/server.js';
import type { RunningServer } from '../../src-server/server.js';
import { addUser } from '../../src-server/users.js';
import { runCairn } from '../support/runCairn.js';

const PASSWORD = 'a password for the cli test';
let base: string;
let server: RunningServer;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const cairn = runCairn;

/** Runs the CLI as a separate process, as a user's shell does. */
function cairnProcess(home: string, args: readonly string[], stdin = ''): Promise<Run> {
  return runProcess(process.execPath, ['--import', 'tsx', 'src-main/cli/main.ts', '--home', home, ...args], { cwd: path.resolve(import.meta.dirname, '../..'), stdin });
}

async function ok(home: string, args: readonly string[], stdin = ''): Promise<string> {
  const run = await cairn(home, args, stdin);
  expect(run.stderr, `cairn ${args.join(' ')}`).toBe('');
  expect(run.code, `cairn ${args.join(' ')}: ${run.stderr}`).toBe(0);
  return run.stdout;
}

beforeAll(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'cairn-cli-test-'));
  const stores = await openEmbeddedStores(path.join(base, 'server'));
  await addUser(stores.metadata, 'alice', PASSWORD, { cost: { log2N: 10, r: 8, p: 1 } });
  await addUser(stores.metadata, 'bob', PASSWORD, { cost: { log2N: 10, r: 8, p: 1 } });
  server = await startServer({ stores, host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await server.close();
  await rm(base, { recursive: true, force: true });
});

describe('cairn', () => {
  it('shares a library read-only, lists its members, changes the role, and stops sharing', async () => {
    const owner = path.join(base, 'share-owner');
    const member = path.join(base, 'share-member');
    await ok(owner, ['login', server.url, '--user', 'bob'], `${PASSWORD}\n`);
    await ok(member, ['login', server.url, '--user', 'alice'], `${PASSWORD}\n`);
    await ok(owner, ['library', 'create', 'Shared plans']);
    expect(await ok(member, ['library', 'list'])).toContain('no libraries yet');

    expect(await ok(owner, ['library', 'share', 'Shared plans', 'alice', '--role', 'ro'])).toBe('members of "Shared plans":\n  bob  owner\n  alice  read-only\n');
    expect(await ok(member, ['library', 'list'])).toMatch(/ {2}Shared plans {2}\(ro of bob\)/);
    const members = JSON.parse(await ok(member, ['--json', 'library', 'members', 'Shared plans'])) as { members: { user: string; role: string }[] };
    expect(members.members).toEqual([
      { user: 'bob', role: 'owner' },
      { user: 'alice', role: 'ro' },
    ]);
    // Only the owner shares; a member cannot.
    const refused = await cairn(member, ['library', 'share', 'Shared plans', 'alice', '--role', 'rw']);
    expect(refused.code).toBe(1);
    expect(await ok(owner, ['library', 'share', 'Shared plans', 'alice', '--role', 'rw'])).toContain('alice  read-write');
    expect(await ok(member, ['library', 'list'])).toMatch(/\(rw of bob\)/);

    expect(await ok(owner, ['library', 'unshare', 'Shared plans', 'alice'])).toBe('members of "Shared plans":\n  bob  owner\n');
    expect(await ok(member, ['library', 'list'])).toContain('no libraries yet');

    const usage = await cairn(owner, ['library', 'share', 'Shared plans', 'alice']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--role rw');
  });

  it('prints usage and exits 2 on unknown commands (as a process)', async () => {
    const run = await cairnProcess(path.join(base, 'nobody'), ['frobnicate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown command: frobnicate');
    expect(run.stderr).toContain('Usage: cairn');
  });

  it('refuses a wrong password with a clear message', async () => {
    const run = await cairn(path.join(base, 'wrong'), ['login', server.url, '--user', 'alice'], 'not the password\n');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^cairn: .*(password|credentials)/i);
  });

  it('says so when the server cannot be reached', async () => {
    const run = await cairn(path.join(base, 'offline'), ['login', 'http://127.0.0.1:9', '--user', 'alice'], `${PASSWORD}\n`);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('cairn: nothing answers at 127.0.0.1:9 (connection refused): check the port, and that the Cairn server runs\n');
  });

  it('names a wrong path and a web server that is not Cairn', async () => {
    const wrongPath = await cairn(path.join(base, 'wrong-path'), ['login', `${server.url}/cairn`, '--user', 'alice'], `${PASSWORD}\n`);
    expect([wrongPath.code, wrongPath.stderr]).toEqual([1, `cairn: no Cairn server answers at /cairn: use the server's address without the path (for example ${server.url})\n`]);
    const https = await cairn(path.join(base, 'https'), ['login', server.url.replace('http:', 'https:'), '--user', 'alice'], `${PASSWORD}\n`);
    expect(https.stderr).toContain('speaks plain HTTP, not HTTPS');
  });

  it('logs in, creates a library, syncs two folders and reports in JSON', async () => {
    const one = path.join(base, 'home-one');
    const two = path.join(base, 'home-two');
    const folderOne = path.join(base, 'folder-one');
    const folderTwo = path.join(base, 'folder-two');
    const login = await cairnProcess(one, ['login', server.url, '--user', 'alice', '--device', 'laptop'], `${PASSWORD}\n`);
    expect([login.code, login.stderr]).toEqual([0, '']);
    expect(login.stdout).toContain('logged in');
    await ok(two, ['login', server.url, '--user', 'alice', '--device', 'desktop'], `${PASSWORD}\n`);
    const id = (await ok(one, ['library', 'create', 'Work'])).trim();
    expect(id).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
    const listed = JSON.parse(await ok(two, ['--json', 'library', 'list'])) as { libraryId: string; name: string }[];
    expect(listed.map((library) => [library.libraryId, library.name])).toEqual([[id, 'Work']]);

    await ok(one, ['sync', 'add', 'Work', folderOne]);
    await ok(two, ['sync', 'add', id, folderTwo]);
    await writeFile(path.join(folderOne, 'plan.md'), '# plan\n');
    const upLines = (await ok(one, ['--json', 'sync', 'now'])).trim().split('\n');
    const up = JSON.parse(upLines[0]!) as { outcome: string; uploadedFiles: number; uploadedBytes: number; conflicts: string[]; problems: unknown[] };
    expect([up.outcome, up.uploadedFiles, up.uploadedBytes, up.conflicts, up.problems]).toEqual(['synced', 1, 7, [], []]);
    const down = JSON.parse(await ok(two, ['--json', 'sync', 'now'])) as { downloadedFiles: number };
    expect(down.downloadedFiles).toBe(1);
    expect(await readFile(path.join(folderTwo, 'plan.md'), 'utf8')).toBe('# plan\n');

    const status = JSON.parse(await ok(two, ['--json', 'status'])) as { libraries: { name: string; state: { kind: string } }[] };
    expect(status.libraries.map((library) => [library.name, library.state.kind])).toEqual([['Work', 'up-to-date']]);
    expect(await ok(two, ['status'])).toContain('Work  up-to-date');

    // A conflict, listed and resolved from the command line.
    await writeFile(path.join(folderOne, 'plan.md'), '# plan by laptop\n');
    await writeFile(path.join(folderTwo, 'plan.md'), '# plan by desktop\n');
    await ok(one, ['sync', 'now']);
    const human = await ok(two, ['sync', 'now']);
    expect(human).toContain('1 conflict(s): plan.md');
    expect((JSON.parse(await ok(two, ['--json', 'status'])) as { libraries: { state: { kind: string } }[] }).libraries[0]?.state.kind).toBe('needs-attention');
    const conflicts = JSON.parse(await ok(two, ['--json', 'conflicts'])) as { path: string; conflictPath: string }[];
    expect(conflicts.map((conflict) => conflict.path)).toEqual(['plan.md']);
    expect(conflicts[0]?.conflictPath).toMatch(/^plan \(conflict desktop \d{4}-\d{2}-\d{2} \d{6}\)\.md$/);
    await ok(two, ['resolve', path.join(folderTwo, 'plan.md'), '--keep', 'local']);
    expect(await readFile(path.join(folderTwo, 'plan.md'), 'utf8')).toBe('# plan by desktop\n');
    expect((await readdir(folderTwo)).sort()).toEqual(['plan.md']);
    await ok(one, ['sync', 'now']);
    expect((await readdir(folderOne)).sort()).toEqual(['plan.md']);
    expect(await readFile(path.join(folderOne, 'plan.md'), 'utf8')).toBe('# plan by desktop\n');

    // History and restore.
    const versions = JSON.parse(await ok(one, ['--json', 'history', path.join(folderOne, 'plan.md')])) as { rev: number; size: number }[];
    expect(versions.length).toBeGreaterThanOrEqual(3);
    const first = versions[versions.length - 1]!;
    await ok(one, ['restore', path.join(folderOne, 'plan.md'), '--rev', String(first.rev)]);
    expect(await readFile(path.join(folderOne, 'plan.md'), 'utf8')).toBe('# plan\n');
    await ok(two, ['sync', 'now']);
    expect(await readFile(path.join(folderTwo, 'plan.md'), 'utf8')).toBe('# plan\n');

    await new Promise((resolve) => setTimeout(resolve, 20));
    const beforeCopies = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 20));

    // Restore beside as a copy, naming the library and the path: a new file that syncs up,
    // nothing replaced; again, and the copy takes the next name.
    const desktopVersion = versions.find((version) => version.size === '# plan by desktop\n'.length)!;
    const copied = await ok(one, ['restore', 'Work', 'plan.md', '--rev', String(desktopVersion.rev), '--as-copy']);
    const copyName = /as (plan \(restored \d{4}-\d{2}-\d{2} \d{2}\.\d{2}\)\.md)\n$/.exec(copied)?.[1];
    expect(copyName, copied).toBeDefined();
    expect(await readFile(path.join(folderOne, copyName!), 'utf8')).toBe('# plan by desktop\n');
    expect(await readFile(path.join(folderOne, 'plan.md'), 'utf8')).toBe('# plan\n');
    const again = JSON.parse(await ok(one, ['--json', 'restore', 'Work', 'plan.md', '--rev', String(desktopVersion.rev), '--as-copy'])) as { path: string };
    expect(again.path).toBe(copyName!.replace(')', ' 2)'));
    await ok(two, ['sync', 'now']);
    expect(await readFile(path.join(folderTwo, copyName!), 'utf8')).toBe('# plan by desktop\n');
    expect(await readFile(path.join(folderTwo, again.path), 'utf8')).toBe('# plan by desktop\n');
    expect((await cairn(one, ['restore', 'Work', 'plan.md', 'extra'])).code).toBe(2);

    // The whole library as it was before the copies, into a new folder; not into a library.
    const snapshotFolder = path.join(base, 'work-as-it-was');
    const restored = await ok(one, ['restore', 'Work', '--at', beforeCopies, '--to', snapshotFolder]);
    expect(restored).toMatch(/^restored "Work" as it was at .* \(rev \d+\) into .*work-as-it-was: 1 file\(s\), 0 folder\(s\), 7 B\n$/);
    expect(await readdir(snapshotFolder)).toEqual(['plan.md']);
    expect(await readFile(path.join(snapshotFolder, 'plan.md'), 'utf8')).toBe('# plan\n');
    const refusedSnapshot = await cairn(one, ['restore', 'Work', '--at', beforeCopies, '--to', path.join(folderOne, 'inside')]);
    expect([refusedSnapshot.code, refusedSnapshot.stderr]).toEqual([1, expect.stringContaining('overlaps')]);
    expect((await cairn(one, ['restore', 'Work', '--at', beforeCopies, '--to', snapshotFolder])).code).toBe(1);
    expect((await cairn(one, ['restore', 'Work', '--at', beforeCopies])).code).toBe(2);
    expect((await cairn(one, ['restore', 'Work', '--at', 'yesterday', '--to', snapshotFolder])).code).toBe(2);

    await ok(two, ['logout']);
    const after = await cairn(two, ['sync', 'now']);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('not logged in');
  });
});
