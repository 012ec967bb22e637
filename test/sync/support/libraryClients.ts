// Long-lived engines that sync one library after another. Opening an engine is cheap, but its
// first round starts the chunker's worker threads (most of a second here); a test that runs
// hundreds of short scenarios keeps a few engines open and gives each scenario a new library.

import { rm } from 'node:fs/promises';
import path from 'node:path';
import { Engine } from '../../../src-main/engine/engine.js';
import type { RoundProgress, RoundSummary } from '../../../src-main/engine/sync/roundSummary.js';
import type { Harness } from '../harness.js';
import { PASSWORD } from '../harness.js';

/** One engine syncing one library into one folder. */
export interface LibraryClient {
  /** The engine's device name (it appears in conflict copies). */
  readonly name: string;
  readonly libraryId: string;
  /** The library's folder on this client. */
  readonly root: string;
  /** One complete round of this library, whatever its outcome. */
  sync(onProgress?: (progress: RoundProgress) => void): Promise<RoundSummary>;
  /** Resumes the library after a pause; after a circuit breaker, that confirms the deletions. */
  resume(): void;
  /** How far this client has read the library's change feed (it moves when anyone commits). */
  cursor(): number;
}

export class LibraryClients {
  private constructor(
    private readonly harness: Harness,
    private readonly engines: ReadonlyMap<string, Engine>,
  ) {}

  /** Opens one engine per device name, logged in as `user` on the harness's server. */
  /** `oneShot`: the devices whose engine is a one-shot command's (synchronous file-system calls where it may). */
  static async open(harness: Harness, deviceNames: readonly string[], user = 'alice', oneShot: readonly string[] = []): Promise<LibraryClients> {
    await harness.addUser(user);
    const engines = new Map<string, Engine>();
    try {
      for (const name of deviceNames) {
        const engine = await Engine.open({ home: path.join(harness.base, `engine-${name}`), deviceName: name, ...(oneShot.includes(name) ? { oneShot: true } : {}) });
        engines.set(name, engine);
        await engine.login(harness.server.url, user, PASSWORD);
      }
    } catch (error) {
      for (const engine of engines.values()) await engine.close();
      throw error;
    }
    return new LibraryClients(harness, engines);
  }

  /** Starts syncing `libraryId` on the engine `name`, into a new folder named after `label`. */
  async attach(name: string, libraryId: string, label: string): Promise<LibraryClient> {
    const engine = this.engines.get(name);
    if (engine === undefined) throw new Error(`no engine named ${name}`);
    const record = await engine.addSync(libraryId, path.join(this.harness.base, `${label}-${name}`));
    return {
      name,
      libraryId,
      root: record.localRoot,
      async sync(onProgress) {
        const [summary] = await engine.syncNow({ only: libraryId, ...(onProgress === undefined ? {} : { onProgress }) });
        if (summary === undefined) throw new Error(`${name}: library ${libraryId} was not synced`);
        return summary;
      },
      resume: () => void engine.setPaused(libraryId, false),
      cursor: () => engine.library(libraryId)?.cursor ?? 0,
    };
  }

  /** Stops syncing the client's library and removes its folder. */
  async detach(client: LibraryClient): Promise<void> {
    this.engines.get(client.name)?.removeSync(client.libraryId);
    await rm(client.root, { recursive: true, force: true });
  }

  async close(): Promise<void> {
    for (const engine of this.engines.values()) await engine.close();
  }
}
