// Run as a child process by watchers.test.ts: watches a folder with the given kind of watcher,
// waits for one change to be reported, closes the watch and then simply returns. If the watch
// left a handle or a timer behind, this process does not exit and the test times out.
//
//   node --import tsx test/engine/watcher/support/watchThenClose.ts <native|chokidar|polling> <folder>

import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createWatcher } from '../../../../src-main/engine/watcher/index.js';
import type { WatcherKind } from '../../../../src-main/engine/watcher/index.js';

const [kind, folder] = process.argv.slice(2) as [WatcherKind, string];
const watcher = await createWatcher(kind, { pollInterval: 100 });
let reported: () => void = () => undefined;
const seen = new Promise<void>((resolve) => {
  reported = resolve;
});
const subscription = await watcher.watch(folder, {
  onChanges: () => reported(),
  onTrouble: (trouble) => {
    process.stderr.write(`trouble: ${trouble.kind}: ${trouble.cause.message}\n`);
  },
});
// Writes until one is reported: a single write could fall before a polling watcher's first look.
const writer = setInterval(() => void writeFile(path.join(folder, 'change.txt'), String(Date.now())), 200);
await seen;
clearInterval(writer);
await subscription.close();
process.stdout.write(`closed ${watcher.kind}\n`);
