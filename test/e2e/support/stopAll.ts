// The end of an end-to-end suite: what it started is stopped in the order given (the browser
// before the daemon before the server), each whatever the others do, then its folder removed.

import { rm } from 'node:fs/promises';

type Stoppable = { stop(): Promise<unknown> } | { close(): Promise<unknown> } | undefined;

export async function stopAll(work: string | undefined, ...started: readonly Stoppable[]): Promise<void> {
  for (const thing of started) {
    if (thing === undefined) continue;
    await ('stop' in thing ? thing.stop() : thing.close()).catch(() => undefined);
  }
  if (work !== undefined) await rm(work, { recursive: true, force: true });
}
