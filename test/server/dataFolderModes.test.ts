// Another local user must not read the server's data (password hashes, token hashes, chunks),
// whatever mode the data folder was created with beforehand: every file is owner-only, a
// database an earlier version left readable is narrowed, and a readable folder is reported.

import { chmod, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { routes } from '../../shared/protocol/index.js';
import { main } from '../../src-server/main.js';
import { openEmbeddedStores, startServer } from '../../src-server/server.js';
import { addUser } from '../../src-server/users.js';
import { TEST_SCRYPT_COST, makeChunk } from './testServer.js';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'cairn-modes-'));
  // As an admin's `mkdir` with the usual umask leaves it: readable by everyone.
  await chmod(dataDir, 0o755);
});
afterEach(async () => rm(dataDir, { recursive: true, force: true }));

/** Every file below a folder with its permission bits, relative to it. */
async function modesBelow(folder: string): Promise<Map<string, number>> {
  const modes = new Map<string, number>();
  for (const entry of await readdir(folder, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    modes.set(path.relative(folder, full), (await stat(full)).mode & 0o777);
  }
  return modes;
}

describe.skipIf(process.platform === 'win32')('the data folder’s files', () => {
  it('are owner-only in a folder others can read: databases, their logs and chunk packs', async () => {
    const stores = await openEmbeddedStores(dataDir);
    await addUser(stores.metadata, 'alice', 'a long password', { cost: TEST_SCRYPT_COST });
    const server = await startServer({ stores, host: '127.0.0.1', port: 0 });
    try {
      const login = await fetch(`${server.url}${routes.login.path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user: 'alice', password: 'a long password', deviceName: 'd' }),
      });
      const { token } = (await login.json()) as { token: string };
      const created = await fetch(`${server.url}${routes.createLibrary.path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Files' }),
      });
      const { id } = (await created.json()) as { id: string };
      const chunk = makeChunk('secret content');
      const put = await fetch(`${server.url}/api/v1/libraries/${id}/chunks/${chunk.id}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
        body: chunk.bytes as BodyInit,
      });
      expect(put.status).toBe(200);
      // While the databases are open, so their -wal and -shm files exist too.
      const modes = await modesBelow(dataDir);
      expect([...modes.keys()]).toEqual(expect.arrayContaining(['metadata.sqlite', 'metadata.sqlite-wal', path.join('chunks', 'chunk-index.sqlite')]));
      expect([...modes.keys()].some((file) => file.endsWith('.pack'))).toBe(true);
      for (const [file, mode] of modes) expect({ file, mode: mode.toString(8) }).toEqual({ file, mode: '600' });
    } finally {
      await server.close();
    }
  });

  it('narrows a database an earlier version left readable', async () => {
    await writeFile(path.join(dataDir, 'metadata.sqlite'), '', { mode: 0o644 });
    await chmod(path.join(dataDir, 'metadata.sqlite'), 0o644);
    const stores = await openEmbeddedStores(dataDir);
    await stores.metadata.close();
    await stores.chunks.close();
    expect((await stat(path.join(dataDir, 'metadata.sqlite'))).mode & 0o777).toBe(0o600);
  });

  it('warns about a data folder others can read, and not about an owner-only one', async () => {
    const run = async () => {
      let stderr = '';
      const stdin = new PassThrough();
      stdin.end();
      const code = await main(['user', 'list', '--data', dataDir], { stdin, stdout: { write: () => true }, stderr: { write: (text: string) => (stderr += text) } });
      return { code, stderr };
    };
    expect(await run()).toEqual({ code: 0, stderr: expect.stringMatching(/warning: the data folder .* is open to other users .*mode 755.*chmod 700/) });
    await chmod(dataDir, 0o700);
    expect(await run()).toEqual({ code: 0, stderr: '' });
  });
});
