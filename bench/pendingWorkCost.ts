// What a paused library's card costs: the card asks for the library's waiting work every 10 s
// while it is shown. This measures six asks (one minute of a card on screen) for a paused,
// watched library of 10,000 files, as the service answered them before (each ask walked the
// folder: Engine.pendingWork) and as it answers them now (the daemon reuses a count while no
// watcher event, rescan, server change or round happened: Daemon.pendingWork).
//
//   npx tsx bench/pendingWorkCost.ts before|after
//
// It prints READY with its process id and waits 3 s before the asks, so that a system-call
// counter can be attached for exactly the asks:
//   strace -c -f -p PID -o counts.txt   (started on READY, stopped when the script ends)

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDaemonService } from '../src-main/daemon/daemonService.js';
import { openEmbeddedStores, startServer } from '../src-server/server.js';
import { addUser } from '../src-server/users.js';
import { writeSmallFiles } from './benchFiles.js';

const mode = process.argv[2] === 'before' ? 'before' : 'after';
const ASKS = 6;
const PASSWORD = 'pending work bench password';

const base = await mkdtemp(path.join(os.tmpdir(), 'cairn-pending-bench-'));
const stores = await openEmbeddedStores(path.join(base, 'server'));
await addUser(stores.metadata, 'bench', PASSWORD, { cost: { log2N: 10, r: 8, p: 1 } });
const server = await startServer({ stores, host: '127.0.0.1', port: 0 });
const service = await startDaemonService({ home: path.join(base, 'profile'), deviceName: 'bench', watcher: 'native', log: () => undefined });
try {
  await service.api.login({ serverUrl: server.url, user: 'bench', password: PASSWORD });
  const { libraryId } = await service.api.createLibrary({ name: 'Bench' });
  const root = path.join(base, 'Bench');
  // 10,000 files of 1 KiB in 100 folders.
  await writeSmallFiles(root, { groups: 10, foldersPerGroup: 10, filesPerFolder: 100, fileBytes: 1024 });
  await service.api.addLibrary({ libraryId, localRoot: root, selection: null });
  for (;;) {
    const state = (await service.api.getStatus({})).libraries[0]?.state.kind;
    if (state === 'up-to-date') break;
    await sleep(200);
  }
  await service.api.pauseLibrary({ libraryId });
  await sleep(500);
  const ask = () => (mode === 'before' ? service.daemon.engine.pendingWork(libraryId) : service.api.getPendingWork({ libraryId }).then((answer) => answer.pending));
  // The card's first ask, when it appears, is not what repeats every 10 s.
  await ask();
  console.log(`READY ${process.pid}`);
  await sleep(3000);
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  for (let index = 0; index < ASKS; index++) await ask();
  const cpu = process.cpuUsage(cpuBefore);
  console.log(
    JSON.stringify({ mode, files: 10_000, asks: ASKS, wallMs: Math.round(performance.now() - started), cpuMs: Math.round((cpu.user + cpu.system) / 1000) }),
  );
  await sleep(1000);
} finally {
  await service.stop();
  await server.close();
  await rm(base, { recursive: true, force: true });
}
