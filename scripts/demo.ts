// `npm run demo`: Cairn on the embedded default, in one command. Starts a cairn-server on
// 127.0.0.1 with its data in ./demo/server, a user `demo`, and two clients (alice and bob, each
// with its own profile) syncing one library into ./demo/alice and ./demo/bob. Then it syncs both
// folders every second until Ctrl-C, printing what moved. Run it again to pick up where it left.

import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Engine } from '../src-main/engine/engine.js';
import type { RoundSummary } from '../src-main/engine/sync/roundSummary.js';
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

async function client(name: string, serverUrl: string): Promise<Engine> {
  const engine = await Engine.open({ home: path.join(DEMO, `${name}-profile`), deviceName: name });
  await engine.login(serverUrl, USER, PASSWORD);
  const libraries = await engine.listRemoteLibraries();
  const library = libraries.find((candidate) => candidate.name === LIBRARY) ?? (await engine.createLibrary(LIBRARY));
  if (engine.index.libraries.get(library.id) === undefined) await engine.addSync(library.id, path.join(DEMO, name));
  return engine;
}

function describe(name: string, summary: RoundSummary): string | null {
  const parts: string[] = [];
  if (summary.uploadedFiles) parts.push(`uploaded ${summary.uploadedFiles} file(s), ${summary.uploadedBytes} bytes`);
  if (summary.downloadedFiles) parts.push(`downloaded ${summary.downloadedFiles} file(s), ${summary.downloadedBytes} bytes`);
  if (summary.deletedLocal + summary.deletedRemote) parts.push(`deleted ${summary.deletedLocal + summary.deletedRemote}`);
  if (summary.movedLocal + summary.movedRemote) parts.push(`moved ${summary.movedLocal + summary.movedRemote}`);
  if (summary.conflicts.length) parts.push(`conflicts: ${summary.conflicts.join(', ')}`);
  if (summary.outcome !== 'synced') parts.push(`${summary.outcome}: ${summary.error?.message ?? summary.pauseReason}`);
  return parts.length === 0 ? null : `${name}: ${parts.join('; ')}`;
}

async function main(): Promise<void> {
  await mkdir(DEMO, { recursive: true });
  const dataDir = path.join(DEMO, 'server');
  const stores = await openEmbeddedStores(dataDir);
  if ((await stores.metadata.users.byName(USER)) === null) await addUser(stores.metadata, USER, PASSWORD);
  const server = await listen(stores);
  console.log(`cairn-server listening on ${server.url} (data in ${dataDir}; user "${USER}", password "${PASSWORD}")`);
  const alice = await client('alice', server.url);
  const bob = await client('bob', server.url);
  const aliceFolder = path.join(DEMO, 'alice');
  if ((await readdir(aliceFolder)).length === 0) {
    await writeFile(path.join(aliceFolder, 'welcome.txt'), 'Written in demo/alice, synced to demo/bob by Cairn.\n');
    await mkdir(path.join(aliceFolder, 'notes'), { recursive: true });
    await writeFile(path.join(aliceFolder, 'notes', '你好.md'), '# Cairn\n\nEdit me on either side.\n');
  }
  console.log('\nSyncing demo/alice <-> demo/bob every second. Edit, add, rename or delete files in either folder.');
  console.log('Try the CLI meanwhile:  npx cairn --home demo/bob-profile status');
  console.log('                        npx cairn --home demo/bob-profile history demo/bob/welcome.txt');
  console.log('Ctrl-C stops the demo; run `npm run demo` again to continue.\n');

  let stopping = false;
  const stop = (): void => {
    stopping = true;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  while (!stopping) {
    for (const [name, engine] of [['alice', alice], ['bob', bob]] as const) {
      for (const summary of await engine.syncNow()) {
        const line = describe(name, summary);
        if (line !== null) console.log(`${new Date().toLocaleTimeString()}  ${line}`);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  await alice.close();
  await bob.close();
  await server.close();
  console.log('\nstopped');
}

await main();
