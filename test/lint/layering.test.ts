// The layering rule (scripts/eslintLayering.js) firing on sample files: each case lints a few
// lines as if they were a file in the named folder, with the repository's own ESLint
// configuration, and says whether `local/layering` refuses them.

import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const repository = path.resolve(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: repository });

async function layeringMessages(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(repository, file) });
  return (result?.messages ?? []).filter((message) => message.ruleId === 'local/layering').map((message) => message.message);
}

describe('local/layering', () => {
  it.each([
    // The engine's inside stays inside.
    { name: 'the CLI reaching into the engine', file: 'src-main/cli/sample.ts', code: "import { syncLibrary } from '../engine/sync/syncLibrary.js';", refused: /src-main\/cli\/ may import only/ },
    { name: 'the CLI importing even the engine entry', file: 'src-main/cli/sample.ts', code: "import { Engine } from '../engine/index.js';", refused: /not src-main\/engine\/index\.js/ },
    { name: 'the daemon importing an engine-internal module', file: 'src-main/daemon/sample.ts', code: "import type { Index } from '../engine/indexStore/index.js';", refused: /only the engine's public entry/ },
    { name: 'the daemon re-exporting an engine-internal module', file: 'src-main/daemon/sample.ts', code: "export { openIndex } from '../engine/indexStore/index.js';", refused: /only the engine's public entry/ },
    { name: 'the daemon loading an engine-internal module on demand', file: 'src-main/daemon/sample.ts', code: "export const load = () => import('../engine/watcher/index.js');", refused: /only the engine's public entry/ },
    { name: 'the daemon through the engine entry', file: 'src-main/daemon/sample.ts', code: "import { Engine } from '../engine/index.js';\nexport { Engine };", refused: null },
    { name: 'Electron code reaching into the engine', file: 'src-main/electron/sample.ts', code: "import { Engine } from '../engine/engine.js';\nexport { Engine };", refused: /src-main\/electron\/ may import only/ },
    { name: 'Electron code hosting the daemon service', file: 'src-main/electron/sample.ts', code: "import { startDaemonService } from '../daemon/daemonService.js';\nexport { startDaemonService };", refused: null },
    // Who may see Electron, Node, the server and the renderer.
    { name: 'the engine importing Electron', file: 'src-main/engine/sample.ts', code: "import { app } from 'electron';\nexport { app };", refused: /the package electron/ },
    { name: 'the engine importing the daemon', file: 'src-main/engine/sample.ts', code: "import { Daemon } from '../daemon/daemon.js';\nexport { Daemon };", refused: /src-main\/daemon\/daemon\.js/ },
    { name: 'the daemon importing Electron', file: 'src-main/daemon/sample.ts', code: "import { app } from 'electron';\nexport { app };", refused: /the package electron/ },
    { name: 'shared/ importing Node', file: 'shared/sample.ts', code: "import { readFile } from 'node:fs/promises';\nexport { readFile };", refused: /the Node built-in node:fs\/promises/ },
    { name: 'shared/ importing shared/node/', file: 'shared/sample.ts', code: "import { chunkIdOf } from './node/contentHash.js';\nexport { chunkIdOf };", refused: /not shared\/node\// },
    { name: 'shared/node/ importing Node', file: 'shared/node/sample.ts', code: "import { open } from 'node:fs/promises';\nexport { open };", refused: null },
    { name: 'shared/node/ importing client code', file: 'shared/node/sample.ts', code: "import { Engine } from '../../src-main/engine/index.js';\nexport { Engine };", refused: /shared\/node\/ may import only/ },
    { name: 'the renderer importing shared/node/', file: 'src-renderer/sample.ts', code: "import { chunkIdOf } from '../shared/node/contentHash.js';\nexport { chunkIdOf };", refused: /not shared\/node\// },
    { name: 'the renderer importing the daemon', file: 'src-renderer/sample.tsx', code: "import { Daemon } from '../src-main/daemon/daemon.js';\nexport { Daemon };", refused: /src-renderer\/ may import only/ },
    { name: 'the server importing client code', file: 'src-server/sample.ts', code: "import { Engine } from '../src-main/engine/index.js';\nexport { Engine };", refused: /src-server\/ may import only/ },
    { name: 'the server using the shared Node home', file: 'src-server/sample.ts', code: "import { contentHashOf } from '../shared/node/contentHash.js';\nexport { contentHashOf };", refused: null },
    { name: 'the PostgreSQL store using pg', file: 'src-server/storage/postgres/sample.ts', code: "import pg from 'pg';\nexport { pg };", refused: null },
    { name: 'the server using pg outside its PostgreSQL store', file: 'src-server/sample.ts', code: "import pg from 'pg';\nexport { pg };", refused: /the package pg/ },
    { name: 'the S3 client using aws4fetch', file: 'src-server/storage/s3/sample.ts', code: "import { AwsV4Signer } from 'aws4fetch';\nexport { AwsV4Signer };", refused: null },
    { name: 'the server importing a package nobody allowed', file: 'src-server/sample.ts', code: "import express from 'express';\nexport { express };", refused: /the package express/ },
    { name: 'a CommonJS import in the preload', file: 'src-main/electron/sample.cts', code: "import fs = require('../engine/localfs/index.js');\nexport = fs;", refused: /src-main\/electron\/ may import only/ },
    // Tests are not restricted: they test the inside.
    { name: 'a test importing an engine-internal module', file: 'test/engine/sample.test.ts', code: "import { openIndex } from '../../src-main/engine/indexStore/index.js';\nexport { openIndex };", refused: null },
  ])('$name', async ({ file, code, refused }) => {
    const messages = await layeringMessages(file, code);
    if (refused === null) expect(messages).toEqual([]);
    else {
      expect(messages).toHaveLength(1);
      expect(messages[0]).toMatch(refused);
    }
  });
});
