// `cairn`: the headless command line. It parses arguments, reaches the profile through the
// SyncApi (a running daemon's, or one started in this process: see profileSession.ts), runs one
// command (commands.ts) and prints the result for people or, with --json, for scripts.
// `cairn daemon` runs the daemon. What a command does not need is not loaded.

import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { SyncApiError } from '../../shared/api/index.js';
import type { RoundProgressView } from '../../shared/api/index.js';
import { escapeControlCharactersButLines } from '../../shared/displayText.js';
import { defaultHome } from '../profile/profileHome.js';
import { checkCommandLine, runCommand } from './commands.js';
import type { OneShotHeap } from './oneShotHeap.js';
import { openProfileSession } from './profileSession.js';
import { UsageError } from './usageError.js';

export const USAGE = `Usage: cairn [--home DIR] [--json] COMMAND

Account (a profile holds several; each library syncs with its own account only)
  login URL --user NAME [--switch-account]
                              log in (password on standard input): adds the account, or
                              renews its token (the same user at the same server);
                              --switch-account also signs every other account out
  logout [--account ID|USER@SERVER]
                              sign one account out (default: the only one signed in):
                              its token is revoked, its libraries stop syncing here
                              (their files stay) until it logs in again
  account list                the accounts, signed in or out, and their libraries
  account remove ID|USER@SERVER [--yes]
                              remove an account from this profile: its token is revoked
                              and deleted, its libraries stop syncing here (their files
                              stay); with libraries bound to it, asks for --yes first

Libraries on the server
  library create NAME         create a library, print its id
  library list                list the libraries you can see
  library add LIBRARY DIR     the same as sync add
  (library and sync add take --account ID|USER@SERVER when several accounts are signed in)
  library link LIBRARY --account ID|USER@SERVER
                              link a synced library of an older profile, linked to no
                              account, to an account that can see it (without --account:
                              lists those accounts)
  library share LIBRARY USER --role rw|ro
                              share a library you own (read-write or read-only),
                              or change that user's role
  library members LIBRARY     who can use a library, and their roles
  library unshare LIBRARY USER
                              stop sharing with USER (your own name: leave a library
                              shared with you)

Syncing on this device
  sync add LIBRARY DIR [--only PATH]...   sync a library (name or id) into DIR
  sync remove LIBRARY                     stop syncing it (files stay on disk)
  sync select LIBRARY [PATH]...           sync only these folders (none: everything)
  sync pause LIBRARY | sync resume LIBRARY
  sync automerge LIBRARY on|off           apply clean merges of text conflicts by itself
                                          (after each round; off by default)
  sync now [LIBRARY]                      one complete round, until nothing is left

  status                      state of every synced library
  conflicts                   open conflicts (text/image/binary, whether a common base is known)
  resolve PATH --keep local|remote|both|merged [--take mine|theirs]
                              merged: the three-way merge (text with a known base); with
                              overlapping changes, --take picks the side for all of them
  history PATH                every version of a file or folder
  restore PATH [--rev N]      bring back a version (default: the previous one)
  restore LIBRARY PATH [--rev N]        the same, naming the library and a path inside it
  restore ... --as-copy       write that version beside the file as
                              "name (restored YYYY-MM-DD HH.MM).ext" (a new file; nothing
                              is replaced), which then syncs up like any new file
                              (in a read-only library it stays on this computer)
  restore LIBRARY --at TIME --to DIR
                              the whole library as it was at TIME (ISO 8601, e.g.
                              2026-12-07T05:04, local time, or ...Z) into DIR, a new or
                              empty folder outside every library; DIR is not synced
                              (interrupted, the same command continues it)

Live sync
  daemon [--control-port N] [--watcher native|chokidar|polling|none] [--ui DIR]
                              keep every library in sync until stopped (Ctrl-C);
                              prints \`control: http://127.0.0.1:PORT\` once ready.
                              While it runs, the commands above talk to it.

Options
  --home DIR   the profile folder (default: $CAIRN_HOME, else your config folder)
  --json       machine-readable output
  --device N   this device's name (login; default: the host name)

cairn --version prints the version.`;

interface Output {
  json: boolean;
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(
  argv: readonly string[],
  io: Partial<Output> & {
    stdin?: NodeJS.ReadableStream;
    stop?: AbortSignal;
    /** The launcher's V8 settings for a one-shot command (bin/cairn.js), if it made any. */
    heap?: OneShotHeap | undefined;
  } = {},
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        home: { type: 'string' },
        json: { type: 'boolean', default: false },
        user: { type: 'string' },
        'switch-account': { type: 'boolean', default: false },
        yes: { type: 'boolean', default: false },
        device: { type: 'string' },
        only: { type: 'string', multiple: true },
        keep: { type: 'string' },
        take: { type: 'string' },
        rev: { type: 'string' },
        'as-copy': { type: 'boolean' },
        at: { type: 'string' },
        to: { type: 'string' },
        role: { type: 'string' },
        account: { type: 'string' },
        'control-port': { type: 'string' },
        watcher: { type: 'string' },
        ui: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    (io.err ?? ((text: string) => process.stderr.write(`${text}\n`)))(`cairn: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  // Every line goes out with its control characters shown, not obeyed: output carries names
  // and messages from other devices and the server (see shared/displayText.ts). JSON stays
  // JSON: it escapes C0 itself, and what is left becomes \u escapes inside its strings.
  const out = io.out ?? ((text: string) => process.stdout.write(`${text}\n`));
  const err = io.err ?? ((text: string) => process.stderr.write(`${text}\n`));
  const output: Output = {
    json: values.json ?? false,
    out: (text) => out(escapeControlCharactersButLines(text)),
    err: (text) => err(escapeControlCharactersButLines(text)),
  };
  if (values.help || positionals.length === 0) {
    output.out(USAGE);
    return positionals.length === 0 && !values.help ? 2 : 0;
  }
  const home = values.home ?? defaultHome();
  try {
    if (positionals[0] === 'daemon') {
      io.heap?.restoreDefaults();
      const port = values['control-port'] === undefined ? 0 : Number(values['control-port']);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--control-port takes a port number (0: any free port)');
      const { parseWatcherKind, runDaemon } = await import('./runDaemon.js');
      const watcher = parseWatcherKind(values.watcher);
      if (watcher === null) throw new UsageError('--watcher takes native, chokidar, polling or none');
      return await runDaemon({
        home,
        ...(values.device === undefined ? {} : { deviceName: values.device }),
        controlPort: port,
        watcher,
        ...(values.ui === undefined ? {} : { uiDir: values.ui }),
        out: output.out,
        err: output.err,
        ...(io.stop === undefined ? {} : { stop: io.stop }),
      });
    }
    checkCommandLine(positionals, values);
    const session = await openProfileSession({
      home,
      ...(values.device === undefined ? {} : { deviceName: values.device }),
      err: output.err,
      log: (line) => output.err(`cairn: ${line}`),
    });
    try {
      return await runCommand(
        {
          api: session.api,
          viaDaemon: session.viaDaemon,
          deviceName: values.device,
          json: output.json,
          out: output.out,
          err: output.err,
          stdin: io.stdin ?? process.stdin,
          progress: !output.json && io.out === undefined && process.stderr.isTTY ? process.stderr : null,
          ...(io.heap === undefined || session.viaDaemon ? {} : { roundTransfers: (progress: RoundProgressView) => io.heap?.roundTransfers(progress) }),
        },
        positionals,
        values,
      );
    } finally {
      await session.close();
    }
  } catch (error) {
    if (error instanceof UsageError) {
      output.err(`cairn: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof SyncApiError) {
      if (output.json) output.out(JSON.stringify({ error: { code: error.code, message: error.message } }));
      output.err(`cairn: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

/** True when this module is the process's entry point (not when a test imports it). */
function isEntryPoint(): boolean {
  const entry = process.argv[1];
  return entry !== undefined && import.meta.url === pathToFileURL(entry).href;
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`cairn: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 70;
    },
  );
}
