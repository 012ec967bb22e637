// `cairn`: the headless command line. It parses arguments, opens the engine on a profile folder,
// runs one command and prints the result for people or, with --json, for scripts. `cairn daemon`
// runs the daemon; while one runs on the profile, the commands that change the profile or show
// its state go through the daemon's control API instead (see daemonCommands.ts), because only
// one process may write a profile's index.

import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { SyncApiError } from '../../shared/api/index.js';
import { escapeControlCharactersButLines } from '../../shared/displayText.js';
import { Engine, UserError } from '../engine/engine.js';
import { defaultHome } from '../engine/profileHome.js';
import { isRemoteError } from '../engine/remote/remoteError.js';
import type { RoundSummary } from '../engine/sync/roundSummary.js';
import { createControlApi, findRunningDaemon } from './controlClient.js';
import { DaemonUsageError, runThroughDaemon, runsThroughDaemon } from './daemonCommands.js';
import { readPassword } from './readPassword.js';
import { parseWatcherKind, runDaemon } from './runDaemon.js';
import { createProgressLine, formatBytes, formatTime } from './terminalOutput.js';
import { ResolveUsageError, describeAutoMerge, describeConflicts, parseOnOff, parseResolveOptions, resolveWith } from './conflictCommands.js';
import type { ConflictOperations } from './conflictCommands.js';
import { conflictViewOf } from '../engine/conflicts/conflictView.js';

export const USAGE = `Usage: cairn [--home DIR] [--json] COMMAND

Account
  login URL --user NAME       log in (password on standard input)
  logout                      revoke this device's token and forget it

Libraries on the server
  library create NAME         create a library, print its id
  library list                list the libraries you can see

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

Live sync
  daemon [--control-port N] [--watcher native|chokidar|polling|none] [--ui DIR]
                              keep every library in sync until stopped (Ctrl-C);
                              prints \`control: http://127.0.0.1:PORT\` once ready.
                              While it runs, the commands above talk to it.

Options
  --home DIR   the profile folder (default: $CAIRN_HOME, else your config folder)
  --json       machine-readable output
  --device N   this device's name (login; default: the host name)`;

interface Output {
  json: boolean;
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[], io: Partial<Output> & { stdin?: NodeJS.ReadableStream; stop?: AbortSignal } = {}): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        home: { type: 'string' },
        json: { type: 'boolean', default: false },
        user: { type: 'string' },
        device: { type: 'string' },
        only: { type: 'string', multiple: true },
        keep: { type: 'string' },
        take: { type: 'string' },
        rev: { type: 'string' },
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
  let engine: Engine | undefined;
  try {
    if (positionals[0] === 'daemon') {
      const port = values['control-port'] === undefined ? 0 : Number(values['control-port']);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--control-port takes a port number (0: any free port)');
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
    if (runsThroughDaemon(positionals[0])) {
      const daemon = await findRunningDaemon(home);
      if (daemon !== null) {
        const api = createControlApi(daemon);
        try {
          return await runThroughDaemon(
            { api, home, deviceName: values.device, json: output.json, out: output.out, err: output.err, stdin: io.stdin ?? process.stdin },
            positionals,
            values,
          );
        } finally {
          api.close();
        }
      }
    }
    engine = await Engine.open({ home, ...(values.device === undefined ? {} : { deviceName: values.device }) });
    return await runCommand(engine, positionals, values, output, io.stdin ?? process.stdin);
  } catch (error) {
    if (error instanceof UsageError || error instanceof DaemonUsageError || error instanceof ResolveUsageError) {
      output.err(`cairn: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof SyncApiError) {
      if (output.json) output.out(JSON.stringify({ error: { code: error.code, message: error.message } }));
      output.err(`cairn: ${error.message}`);
      return 1;
    }
    if (error instanceof UserError || isRemoteError(error)) {
      if (output.json) output.out(JSON.stringify({ error: { code: isRemoteError(error) ? error.code : 'user', message: error.message } }));
      output.err(`cairn: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    await engine?.close();
  }
}

class UsageError extends Error {}

type Values = {
  user?: string | undefined;
  only?: string[] | undefined;
  keep?: string | undefined;
  take?: string | undefined;
  rev?: string | undefined;
};

function need(positionals: readonly string[], count: number, what: string): void {
  if (positionals.length < count) throw new UsageError(`missing ${what}`);
}

async function runCommand(engine: Engine, positionals: readonly string[], values: Values, output: Output, stdin: NodeJS.ReadableStream): Promise<number> {
  const [command, sub, ...rest] = positionals;
  const print = (human: string, data: unknown): void => output.out(output.json ? JSON.stringify(data, null, 2) : human);
  switch (command) {
    case 'login': {
      need(positionals, 2, 'the server URL');
      if (values.user === undefined) throw new UsageError('login needs --user NAME');
      const password = await readPassword(stdin, 'Password: ');
      const result = await engine.login(sub!, values.user, password);
      print(`logged in to ${engine.account()?.serverUrl} as ${result.user} (device ${engine.deviceName})`, { ...result, serverUrl: engine.account()?.serverUrl });
      return 0;
    }
    case 'logout':
      await engine.logout();
      print('logged out', { ok: true });
      return 0;
    case 'library':
      if (sub === 'create') {
        need(positionals, 3, 'the library name');
        const library = await engine.createLibrary(rest.join(' '));
        print(library.id, library);
        return 0;
      }
      if (sub === 'list') {
        const libraries = await engine.listRemoteLibraries();
        const synced = new Map(engine.index.libraries.list().map((library) => [library.libraryId, library.localRoot]));
        print(
          libraries.length === 0
            ? 'no libraries yet: create one with `cairn library create NAME`'
            : libraries.map((library) => `${library.id}  ${library.name}  (${library.role}${library.role === 'owner' ? '' : ` of ${library.owner}`})${synced.has(library.id) ? `  -> ${synced.get(library.id)}` : ''}`).join('\n'),
          libraries.map((library) => ({ ...library, localRoot: synced.get(library.id) ?? null })),
        );
        return 0;
      }
      throw new UsageError(`unknown command: library ${sub ?? ''}`);
    case 'sync':
      return runSync(engine, sub, rest, values, output);
    case 'status': {
      const statuses = engine.status();
      const account = engine.account();
      const lines = [account === null ? 'not logged in' : `${account.user} on ${account.serverUrl} (device ${account.deviceName})`];
      for (const status of statuses) {
        const last = status.lastSyncAt === null ? 'never synced' : `last sync ${formatTime(status.lastSyncAt)}`;
        lines.push(`${status.name}  ${status.state}  ${status.localRoot}  (${last})`);
        if (status.pause) lines.push(`  paused (${status.pause.reason})`);
        if (status.lastError) lines.push(`  error: ${status.lastError.message}`);
        if (status.openConflicts > 0) lines.push(`  ${status.openConflicts} open conflict(s): see \`cairn conflicts\``);
        for (const problem of status.problems.slice(0, 10)) lines.push(`  problem: ${problem.path || problem.name} ${problem.kind}: ${problem.message}`);
        if (status.problems.length > 10) lines.push(`  ... and ${status.problems.length - 10} more problems`);
      }
      if (statuses.length === 0) lines.push('no library is synced on this device: `cairn sync add LIBRARY DIR`');
      print(lines.join('\n'), { account, libraries: statuses });
      return 0;
    }
    case 'conflicts': {
      const conflicts = engine.conflicts().map((conflict) => conflictViewOf(conflict, engine.index.libraries.get(conflict.libraryId)?.name ?? ''));
      print(describeConflicts(conflicts), conflicts);
      return 0;
    }
    case 'resolve': {
      need(positionals, 2, 'the path');
      const options = parseResolveOptions(values.keep, values.take);
      const conflict = engine.conflictAt(sub!);
      const view = conflictViewOf(conflict, engine.index.libraries.get(conflict.libraryId)?.name ?? '');
      return resolveWith(engineConflictOperations(engine), view, { ...options, where: sub! }, output);
    }
    case 'history': {
      need(positionals, 2, 'the path');
      const { path: libraryPath, versions } = await engine.history(sub!);
      print(
        versions.length === 0
          ? `${libraryPath} has no history`
          : versions
              .map((version) => `rev ${version.rev}  ${formatTime(version.committedAt)}  ${version.deleted ? 'deleted' : version.kind === 'dir' ? 'folder' : formatBytes(version.size)}  by ${version.userName} on ${version.device}${version.movedFrom ? `  (moved from ${version.movedFrom})` : ''}`)
              .join('\n'),
        versions,
      );
      return 0;
    }
    case 'restore': {
      need(positionals, 2, 'the path');
      const rev = values.rev === undefined ? undefined : Number(values.rev);
      if (rev !== undefined && (!Number.isInteger(rev) || rev < 1)) throw new UsageError('--rev takes a revision number');
      const entry = await engine.restore(sub!, rev);
      print(`restored ${entry.path} as rev ${entry.rev}`, entry);
      return 0;
    }
    default:
      throw new UsageError(`unknown command: ${command}`);
  }
}

async function runSync(engine: Engine, sub: string | undefined, rest: readonly string[], values: Values, output: Output): Promise<number> {
  const print = (human: string, data: unknown): void => output.out(output.json ? JSON.stringify(data, null, 2) : human);
  switch (sub) {
    case 'add': {
      need(rest, 2, 'LIBRARY and DIR');
      const library = await engine.addSync(rest[0]!, rest[1]!, values.only ?? []);
      print(`syncing "${library.name}" into ${library.localRoot}${library.selection ? ` (only ${library.selection.join(', ')})` : ''}; run \`cairn sync now\``, library);
      return 0;
    }
    case 'remove': {
      need(rest, 1, 'LIBRARY');
      const library = engine.removeSync(rest[0]!);
      print(`stopped syncing "${library.name}"; its files stay in ${library.localRoot}`, library);
      return 0;
    }
    case 'select': {
      need(rest, 1, 'LIBRARY');
      const library = engine.select(rest[0]!, rest.slice(1));
      print(library.selection === null ? `"${library.name}": syncing everything` : `"${library.name}": syncing only ${library.selection.join(', ')}`, library);
      return 0;
    }
    case 'pause':
    case 'resume': {
      need(rest, 1, 'LIBRARY');
      const library = engine.setPaused(rest[0]!, sub === 'pause');
      print(`"${library.name}" ${sub === 'pause' ? 'paused' : 'resumed'}`, library);
      return 0;
    }
    case 'automerge': {
      need(rest, 2, 'LIBRARY and on|off');
      const on = parseOnOff(rest[1]!);
      const library = engine.setAutoMerge(rest[0]!, on);
      print(describeAutoMerge(library.name, on), library);
      return 0;
    }
    case 'now': {
      const progress = !output.json && process.stderr.isTTY ? createProgressLine(process.stderr) : null;
      let summaries: RoundSummary[];
      try {
        summaries = await engine.syncNow({ ...(rest[0] === undefined ? {} : { only: rest[0] }), ...(progress ? { onProgress: progress.update } : {}) });
      } finally {
        progress?.done();
      }
      if (output.json) {
        for (const summary of summaries) output.out(JSON.stringify(summary));
      } else {
        for (const summary of summaries) output.out(describeSummary(summary));
        if (summaries.length === 0) output.out('no library is synced on this device: `cairn sync add LIBRARY DIR`');
      }
      const failed = summaries.filter((summary) => summary.outcome !== 'synced');
      for (const summary of failed) {
        output.err(summary.outcome === 'paused' ? `cairn: "${summary.name}" is paused (${summary.pauseReason}); \`cairn sync resume ${summary.name}\` when ready` : `cairn: "${summary.name}": ${summary.error?.message ?? 'failed'}`);
      }
      return failed.length === 0 ? 0 : 1;
    }
    default:
      throw new UsageError(`unknown command: sync ${sub ?? ''}`);
  }
}

function describeSummary(summary: RoundSummary): string {
  const parts: string[] = [];
  if (summary.uploadedFiles > 0) parts.push(`${summary.uploadedFiles} up (${formatBytes(summary.uploadedBytes)})`);
  if (summary.downloadedFiles > 0) parts.push(`${summary.downloadedFiles} down (${formatBytes(summary.downloadedBytes)} fetched, ${formatBytes(summary.reusedBytes)} reused)`);
  if (summary.deletedLocal + summary.deletedRemote > 0) parts.push(`${summary.deletedLocal + summary.deletedRemote} deleted`);
  if (summary.movedLocal + summary.movedRemote > 0) parts.push(`${summary.movedLocal + summary.movedRemote} moved`);
  if (summary.foldersCreated > 0) parts.push(`${summary.foldersCreated} folder(s) created`);
  if (summary.conflicts.length > 0) parts.push(`${summary.conflicts.length} conflict(s): ${summary.conflicts.join(', ')}`);
  if (summary.problems.length > 0) parts.push(`${summary.problems.length} problem(s)`);
  const state = summary.outcome === 'synced' ? (parts.length === 0 ? 'up to date' : 'synced') : summary.outcome;
  const lines = [`${summary.name}: ${state}${parts.length > 0 ? `: ${parts.join(', ')}` : ''}`];
  for (const problem of summary.problems) lines.push(`  ${problem.path || '(library)'}: ${problem.message}`);
  return lines.join('\n');
}

/** The conflict operations of the contract, done by the CLI's own engine. */
function engineConflictOperations(engine: Engine): ConflictOperations {
  return {
    getConflictDetails: ({ conflictId }) => engine.conflictDetails(conflictId),
    async resolveConflict(request) {
      const options = request.keep === 'merged' ? { versions: request.versions, choices: request.choices } : request.versions === undefined ? {} : { versions: request.versions };
      const resolved = await engine.resolveConflict(request.conflictId, request.keep, options);
      return conflictViewOf(resolved, engine.index.libraries.get(resolved.libraryId)?.name ?? '');
    },
  };
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
