// Runs the `cairn` CLI in this process (fast): the same main() the binary runs, with its output
// collected line by line.

import { Readable } from 'node:stream';
import { main } from '../../src-main/cli/main.js';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `cairn --home HOME ARGS...` with `stdin` as its standard input. */
export async function runCairn(home: string, args: readonly string[], stdin = ''): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(['--home', home, ...args], {
    out: (text) => (stdout += `${text}\n`),
    err: (text) => (stderr += `${text}\n`),
    stdin: Readable.from([stdin]),
  });
  return { code, stdout, stderr };
}
