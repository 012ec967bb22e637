// The real `cairn` and `cairn-server` command lines as child processes (TypeScript run by tsx),
// for tests that kill them with SIGKILL at chosen moments.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the scripts are run from there so that tsx finds the tsconfig. */
export const REPOSITORY_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const SCRIPTS = {
  cairn: 'src-main/cli/main.ts',
  'cairn-server': 'src-server/main.ts',
} as const;

export type Program = keyof typeof SCRIPTS;

export interface ProcessResult {
  /** The exit code, or null when a signal ended the process. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunningProcess {
  readonly child: ChildProcess;
  /** Settles when the process has exited and its output is complete. */
  readonly finished: Promise<ProcessResult>;
  /** Whether the process has exited. */
  exited(): boolean;
  /** Output so far. */
  stdout(): string;
  stderr(): string;
}

/** Starts `program` with `args`; `stdin`, when given, is written and the input closed. */
export function start(program: Program, args: readonly string[], options: { readonly stdin?: string } = {}): RunningProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPOSITORY_ROOT, SCRIPTS[program]), ...args], {
    cwd: REPOSITORY_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
    // No terminal: the CLI prints no progress line, and errors must still read well.
    env: { ...process.env, NO_COLOR: '1' },
  });
  let stdout = '';
  let stderr = '';
  let done = false;
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  child.stdin.end(options.stdin ?? '');
  const finished = new Promise<ProcessResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      done = true;
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, finished, exited: () => done, stdout: () => stdout, stderr: () => stderr };
}

/** Runs `program` to the end. */
export function run(program: Program, args: readonly string[], options: { readonly stdin?: string } = {}): Promise<ProcessResult> {
  return start(program, args, options).finished;
}

/** Runs `cairn --home HOME ...args` to the end. */
export function runCairn(home: string, args: readonly string[]): Promise<ProcessResult> {
  return run('cairn', ['--home', home, ...args]);
}

export type KillOutcome =
  /** The process was running when the condition held, and was killed with SIGKILL. */
  | { readonly kind: 'killed'; readonly result: ProcessResult }
  /** The process exited on its own before the condition held. */
  | { readonly kind: 'exited'; readonly result: ProcessResult };

/**
 * Polls `condition` every `intervalMs` while the process runs. Returns true as soon as it holds
 * (the process still running), false when the process exited first.
 */
export async function waitWhileRunning(running: RunningProcess, condition: () => boolean | Promise<boolean>, intervalMs = 20): Promise<boolean> {
  while (!running.exited()) {
    if (await condition()) return !running.exited();
    await Promise.race([sleep(intervalMs), running.finished]);
  }
  return false;
}

/**
 * Once `condition` holds while the process runs, waits `extraDelayMs` and kills the process
 * with SIGKILL (if it is still running then).
 */
export async function killWhen(
  running: RunningProcess,
  condition: () => boolean | Promise<boolean>,
  options: { readonly extraDelayMs?: number; readonly intervalMs?: number } = {},
): Promise<KillOutcome> {
  if (await waitWhileRunning(running, condition, options.intervalMs)) {
    if ((options.extraDelayMs ?? 0) > 0) await sleep(options.extraDelayMs ?? 0);
    if (!running.exited()) {
      running.child.kill('SIGKILL');
      return { kind: 'killed', result: await running.finished };
    }
  }
  return { kind: 'exited', result: await running.finished };
}

export interface ServerProcess {
  readonly url: string;
  readonly port: number;
  readonly process: RunningProcess;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<ProcessResult>;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<ProcessResult>;
}

/** Starts `cairn-server serve` and waits for its `listening on URL` line. */
export async function startServerProcess(dataDir: string, listen = '127.0.0.1:0'): Promise<ServerProcess> {
  const running = start('cairn-server', ['serve', '--data', dataDir, '--listen', listen]);
  const url = await new Promise<string>((resolve, reject) => {
    const look = (): void => {
      const match = /listening on (http:\/\/\S+)/.exec(running.stdout());
      if (match) {
        running.child.stdout?.off('data', look);
        resolve(match[1]!);
      }
    };
    running.child.stdout?.on('data', look);
    look();
    void running.finished.then((result) => reject(new Error(`cairn-server exited before listening (code ${result.code}, signal ${result.signal}): ${result.stderr}`)));
  });
  const stopWith = async (signal: NodeJS.Signals): Promise<ProcessResult> => {
    if (!running.exited()) running.child.kill(signal);
    return running.finished;
  };
  return { url, port: Number(new URL(url).port), process: running, stop: () => stopWith('SIGTERM'), kill: () => stopWith('SIGKILL') };
}

export function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
