// `npm run demo`: Cairn on the embedded default, in one command. Starts a cairn-server on
// 127.0.0.1 with its data in ./demo/server, a user `demo`, and two clients (alice and bob, each
// a real daemon with its own profile) keeping one library in sync in ./demo/alice and ./demo/bob
// as files change. Each daemon serves the UI; the demo prints both links and what moves, until
// Ctrl-C. Run it again to pick up where it left.

import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ActivityEntry } from '../shared/api/index.js';
import { defaultUiDir } from '../src-main/cli/runDaemon.js';
import { startDaemonService } from '../src-main/daemon/daemonService.js';
import type { DaemonService } from '../src-main/daemon/daemonService.js';
import { Engine } from '../src-main/engine/engine.js';
import { openEmbeddedStores, startServer } from '../src-server/server.js';
import { addUser } from '../src-server/users.js';

const DEMO = path.resolve('demo');
const USER = 'demo';
const PASSWORD = 'demo-password';
const LIBRARY = 'Demo';

async function listen(stores: Awaited<ReturnType<typeof openEmbeddedStores>>) {
  try {
    return await startServer({ stores, host: '127.0.0.1', port: 8080 });
  } catch {
    return startServer({ stores, host: '127.0.0.1', port: 0 });
  }
}

/** Logs the client in and adds the library once (the engine), then runs it as a daemon. */
async function client(name: string, serverUrl: string): Promise<DaemonService> {
  const home = path.join(DEMO, `${name}-profile`);
  const engine = await Engine.open({ home, deviceName: name });
  try {
    await engine.login(serverUrl, USER, PASSWORD);
    const libraries = await engine.listRemoteLibraries();
    const library = libraries.find((candidate) => candidate.name === LIBRARY) ?? (await engine.createLibrary(LIBRARY));
    if (engine.library(library.id) === undefined) await engine.addSync(library.id, path.join(DEMO, name));
  } finally {
    await engine.close();
  }
  const uiDir = defaultUiDir();
  const service = await startDaemonService({ home, deviceName: name, ...(uiDir === null ? {} : { uiDir }), log: () => undefined });
  service.api.subscribe((event) => {
    if (event.kind === 'activityAdded') console.log(`${new Date().toLocaleTimeString()}  ${name}: ${describe(event.entry)}`);
  });
  return service;
}

function describe(entry: ActivityEntry): string {
  switch (entry.kind) {
    case 'uploaded':
      return `uploaded ${entry.path} (${entry.size} bytes)`;
    case 'downloaded':
      return `downloaded ${entry.path} (${entry.size} bytes)`;
    case 'deleted':
      return `deleted ${entry.path} ${entry.side === 'this-device' ? 'here' : 'on the server'}`;
    case 'moved':
      return `moved ${entry.from} to ${entry.to} ${entry.side === 'this-device' ? 'here' : 'on the server'}`;
    case 'conflict-found':
      return `conflict at ${entry.path}${entry.conflictPath === null ? '' : `; this device's version kept as ${entry.conflictPath}`}`;
    case 'conflict-merged':
      return `merged both edits of ${entry.path}`;
    case 'problem-found':
      return `problem at ${entry.path || 'the library'}: ${entry.message}`;
    case 'kept-edit':
      return `kept the edit of ${entry.path} made here (deleted on another device; uploaded again)`;
    case 'unselected':
      return `no longer synced here: ${entry.path} (${entry.files} files, ${entry.bytes} bytes leave this device; they stay on the server)`;
  }
}

async function main(): Promise<void> {
  await mkdir(DEMO, { recursive: true });
  const dataDir = path.join(DEMO, 'server');
  const stores = await openEmbeddedStores(dataDir);
  if ((await stores.metadata.users.byName(USER)) === null) await addUser(stores.metadata, USER, PASSWORD);
  const server = await listen(stores);
  console.log(`cairn-server listening on ${server.url} (data in ${dataDir}; user "${USER}", password "${PASSWORD}")`);
  const aliceFolder = path.join(DEMO, 'alice');
  await mkdir(aliceFolder, { recursive: true });
  if ((await readdir(aliceFolder)).length === 0) {
    await writeFile(path.join(aliceFolder, 'welcome.txt'), 'Written in demo/alice, synced to demo/bob by Cairn.\n');
    await mkdir(path.join(aliceFolder, 'notes'), { recursive: true });
    await writeFile(path.join(aliceFolder, 'notes', '你好.md'), '# Cairn\n\nEdit me on either side.\n');
  }
  const alice = await client('alice', server.url);
  const bob = await client('bob', server.url);
  console.log(`\nalice's Cairn: ${alice.link}`);
  console.log(`bob's Cairn:   ${bob.link}`);
  console.log('\ndemo/alice and demo/bob stay in sync as you edit, add, rename or delete files in either folder.');
  console.log('Try the CLI meanwhile:  npx cairn --home demo/bob-profile status');
  console.log('                        npx cairn --home demo/bob-profile history demo/bob/welcome.txt');
  console.log('Ctrl-C stops the demo; run `npm run demo` again to continue.\n');

  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await alice.stop();
  await bob.stop();
  await server.close();
  console.log('\nstopped');
}

await main();
