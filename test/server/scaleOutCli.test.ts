// The scale-out backend on the cairn-server command line: the flags, where secrets may come
// from, and two real `serve` processes plus `user add` on one database and one bucket.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../shared/protocol/index.js';
import { main } from '../../src-server/main.js';
import { readSecret, scaleOutTarget } from '../../src-server/storage/scaleOutStores.js';
import { backendFlags, describeScaleOut, destroyScaleOutTarget, freshScaleOutTarget } from '../support/scaleOutServices.js';
import { runServerCommand, serveProcess } from '../support/serverProcess.js';
import type { ScaleOutTarget } from '../../src-server/storage/scaleOutStores.js';

async function runHere(args: string[], input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdin = new PassThrough();
  stdin.end(input);
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdin, stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) } });
  return { code, stdout, stderr };
}

const S3 = 's3://cairn-chunks?endpoint=http://127.0.0.1:7480&region=us-east-1&forcePathStyle=true';
const KEYS = { AWS_ACCESS_KEY_ID: 'access', AWS_SECRET_ACCESS_KEY: 'secret' };

describe('scale-out flags', () => {
  it.each([
    ['--data with --metadata', ['user', 'list', '--data', '/tmp/x', '--metadata', 'postgres://cairn@db/cairn', '--chunks', S3], /choose one backend/],
    ['--metadata without --chunks', ['user', 'list', '--metadata', 'postgres://cairn@db/cairn'], /needs both --metadata/],
    ['--chunks without --metadata', ['user', 'list', '--chunks', S3], /needs both --metadata/],
    ['a password in the database URL', ['user', 'list', '--metadata', 'postgres://cairn:hunter2@db/cairn', '--chunks', S3], /PGPASSWORD/],
    ['keys in the S3 URL', ['user', 'list', '--metadata', 'postgres://cairn@db/cairn', '--chunks', 's3://key:secret@bucket?endpoint=http://h:1'], /AWS_ACCESS_KEY_ID/],
    ['another database', ['user', 'list', '--metadata', 'mysql://cairn@db/cairn', '--chunks', S3], /postgres:\/\//],
    ['an unknown S3 parameter', ['user', 'list', '--metadata', 'postgres://cairn@db/cairn', '--chunks', 's3://bucket?endpoint=http://h:1&pathStyle=1'], /unknown --chunks parameter/],
    ['a negative --gc-hours', ['serve', '--gc-hours=-1'], /--gc-hours wants a number of hours/],
    ['a --gc-hours that is not a number', ['serve', '--gc-hours', 'daily'], /--gc-hours wants a number of hours/],
    ['migrate without --from', ['migrate', '--metadata', 'postgres://cairn@db/cairn', '--chunks', S3], /migrate needs --from DIR/],
    ['migrate into the embedded backend', ['migrate', '--from', '/tmp/x', '--data', '/tmp/y'], /migrate copies into the scale-out backend/],
    ['a bad bucket name', ['user', 'list', '--metadata', 'postgres://cairn@db/cairn', '--chunks', 's3://B_?endpoint=http://h:1'], /not an S3 bucket name/],
  ])('refuses %s', async (_name, args, message) => {
    const result = await runHere(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('takes the S3 keys and the database password from the environment or from files', async () => {
    const folder = await mkdtemp(path.join(os.tmpdir(), 'cairn-secrets-'));
    try {
      await writeFile(path.join(folder, 'secret'), 'from a file\n');
      expect(readSecret({ AWS_SECRET_ACCESS_KEY: 'from the environment' }, 'AWS_SECRET_ACCESS_KEY')).toBe('from the environment');
      expect(readSecret({ AWS_SECRET_ACCESS_KEY_FILE: path.join(folder, 'secret') }, 'AWS_SECRET_ACCESS_KEY')).toBe('from a file');
      expect(() => readSecret({ PGPASSWORD_FILE: path.join(folder, 'absent') }, 'PGPASSWORD')).toThrow(/cannot read PGPASSWORD_FILE/);
      const target = scaleOutTarget('postgres://cairn@db:5432/cairn', S3, { ...KEYS, PGPASSWORD_FILE: path.join(folder, 'secret') });
      expect(target).toMatchObject({
        postgres: { password: 'from a file', display: 'db:5432/cairn' },
        s3: { bucket: 'cairn-chunks', endpoint: 'http://127.0.0.1:7480', region: 'us-east-1', forcePathStyle: true },
        credentials: { accessKeyId: 'access', secretAccessKey: 'secret' },
      });
      expect(() => scaleOutTarget('postgres://cairn@db/cairn', S3, {})).toThrow(/AWS_ACCESS_KEY_ID/);
      expect(scaleOutTarget(undefined, undefined, {})).toBeNull();
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});

describeScaleOut('cairn-server on PostgreSQL + S3', () => {
  let target: ScaleOutTarget;
  beforeAll(() => {
    target = freshScaleOutTarget();
  });
  afterAll(async () => {
    if (target !== undefined) await destroyScaleOutTarget(target);
  });

  it('adds a user, then two serve processes log it in, and stop on SIGTERM with structured logs', async () => {
    expect(await runServerCommand(['user', 'add', 'alice', ...backendFlags(target)], 'a long password\n')).toMatchObject({ code: 0, stdout: 'added user alice\n' });
    expect((await runServerCommand(['user', 'list', ...backendFlags(target)])).stdout).toBe('alice  uses 0 B, no quota\n');
    const servers = await Promise.all([serveProcess([...backendFlags(target), '--listen', '127.0.0.1:0']), serveProcess([...backendFlags(target), '--listen', '127.0.0.1:0'])]);
    try {
      for (const server of servers) {
        expect((await fetch(`${server.url}${routes.health.path}`)).status).toBe(200);
        const login = await fetch(`${server.url}${routes.login.path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ user: 'alice', password: 'a long password', deviceName: 'cli test' }),
        });
        expect(login.status).toBe(200);
      }
    } finally {
      for (const server of servers) server.child.kill('SIGTERM');
    }
    for (const server of servers) {
      expect(await server.exited).toBe(0);
      const lines = server
        .stderr()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines).toContainEqual(expect.objectContaining({ level: 'info', message: 'request', method: 'POST', path: routes.login.path, status: 200 }));
      expect(lines).toContainEqual(expect.objectContaining({ message: 'stopped' }));
      // No secret reaches the log.
      expect(server.stderr()).not.toContain('a long password');
      expect(server.stderr()).not.toContain(process.env.AWS_SECRET_ACCESS_KEY!);
    }
  });
});
