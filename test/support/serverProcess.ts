// cairn-server as a real process (through tsx), for tests that signal or kill it.

import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function startServerProcess(args: readonly string[], environment: NodeJS.ProcessEnv = process.env): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', 'tsx', 'src-server/main.ts', ...args], { cwd: root, env: environment });
}

/** Runs a command to its end with `input` on standard input. */
export function runServerCommand(args: readonly string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = startServerProcess(args);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  child.stdin.end(input);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

export interface ServerProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly exited: Promise<number | null>;
  /** Everything it wrote on standard error so far (JSON log lines). */
  stderr(): string;
}

/** Starts `serve` and resolves once it printed the listening line. */
export function serveProcess(args: readonly string[]): Promise<ServerProcess> {
  const child = startServerProcess(['serve', ...args]);
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  let stderr = '';
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  return new Promise((resolve, reject) => {
    let stdout = '';
    child.stdout.on('data', (data: Buffer) => {
      stdout += data.toString();
      const match = /^listening on (http:\/\/(\S+):(\d+))\n/.exec(stdout);
      if (match !== null) resolve({ child, url: match[1]!, host: match[2]!, port: Number(match[3]), exited, stderr: () => stderr });
    });
    void exited.then((code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
}
