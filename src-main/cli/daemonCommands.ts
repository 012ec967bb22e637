// CLI commands while a daemon runs on the profile. Exactly one process writes a profile's index,
// and while the daemon runs that is the daemon: every command that changes the profile (login,
// logout, sync add/remove/select/pause/resume/automerge/now, resolve) goes through its control
// API, and so do status and conflicts, which then show the live state ("syncing", "offline"). Library
// create and list go through it too (they only talk to the server, with the daemon's account).
// history reads the server with the CLI's own engine (it writes nothing); restore asks the
// server with the CLI's engine and leaves the syncing to the daemon.

import path from 'node:path';
import type { LibraryState, LibraryView, SyncApi, SyncStatus } from '../../shared/api/index.js';
import { SyncApiError } from '../../shared/api/index.js';
import type { LibraryPath } from '../../shared/paths.js';
import { Engine } from '../engine/engine.js';
import { describeAutoMerge, describeConflicts, parseOnOff, parseResolveOptions, resolveWith } from './conflictCommands.js';
import { readPassword } from './readPassword.js';
import { formatBytes, formatTime } from './terminalOutput.js';

export interface DaemonCommandContext {
  readonly api: SyncApi;
  readonly home: string;
  readonly deviceName: string | undefined;
  readonly json: boolean;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly stdin: NodeJS.ReadableStream;
}

export interface DaemonCommandValues {
  readonly user?: string | undefined;
  readonly only?: string[] | undefined;
  readonly keep?: string | undefined;
  readonly take?: string | undefined;
  readonly rev?: string | undefined;
}

/** The commands handled here; the others do not need the daemon. */
export function runsThroughDaemon(command: string | undefined): boolean {
  return command !== undefined && ['login', 'logout', 'library', 'sync', 'status', 'conflicts', 'resolve', 'restore'].includes(command);
}

/** Thrown for a command line this module cannot run (the caller prints the usage). */
export class DaemonUsageError extends Error {}

/** How often `sync now` looks at the daemon's status while it waits. */
const SYNC_NOW_POLL_MS = 100;

export async function runThroughDaemon(context: DaemonCommandContext, positionals: readonly string[], values: DaemonCommandValues): Promise<number> {
  const { api } = context;
  const [command, sub, ...rest] = positionals;
  const print = (human: string, data: unknown): void => context.out(context.json ? JSON.stringify(data, null, 2) : human);
  const need = (list: readonly string[], count: number, what: string): void => {
    if (list.length < count) throw new DaemonUsageError(`missing ${what}`);
  };
  switch (command) {
    case 'login': {
      need(positionals, 2, 'the server URL');
      if (values.user === undefined) throw new DaemonUsageError('login needs --user NAME');
      const password = await readPassword(context.stdin, 'Password: ');
      const account = await api.login({
        serverUrl: sub!,
        user: values.user,
        password,
        ...(context.deviceName === undefined ? {} : { deviceName: context.deviceName }),
      });
      print(`logged in to ${account.serverUrl} as ${account.user} (device ${account.deviceName}); the running daemon syncs with it`, account);
      return 0;
    }
    case 'logout':
      await api.logout({});
      print('logged out', { ok: true });
      return 0;
    case 'library':
      if (sub === 'create') {
        need(positionals, 3, 'the library name');
        const library = await api.createLibrary({ name: rest.join(' ') });
        print(library.libraryId, library);
        return 0;
      }
      if (sub === 'list') {
        const { libraries } = await api.listRemoteLibraries({});
        print(
          libraries.length === 0
            ? 'no libraries yet: create one with `cairn library create NAME`'
            : libraries.map((library) => `${library.libraryId}  ${library.name}  (${library.role}${library.role === 'owner' ? '' : ` of ${library.owner}`})${library.syncedTo === null ? '' : `  -> ${library.syncedTo}`}`).join('\n'),
          libraries,
        );
        return 0;
      }
      throw new DaemonUsageError(`unknown command: library ${sub ?? ''}`);
    case 'status': {
      const status = await api.getStatus({});
      print(describeStatus(status), status);
      return 0;
    }
    case 'conflicts': {
      const { conflicts } = await api.listConflicts({});
      print(describeConflicts(conflicts), conflicts);
      return 0;
    }
    case 'resolve': {
      need(positionals, 2, 'the path');
      const options = parseResolveOptions(values.keep, values.take);
      const { library, libraryPath } = locate(await api.getStatus({}), sub!);
      const { conflicts } = await api.listConflicts({ libraryId: library.libraryId });
      const conflict = conflicts.find((candidate) => candidate.path === libraryPath || candidate.conflictPath === libraryPath);
      if (conflict === undefined) throw new SyncApiError('not-found', `no open conflict at ${sub}`);
      return resolveWith(api, conflict, { ...options, where: sub! }, context);
    }
    case 'restore': {
      need(positionals, 2, 'the path');
      const rev = values.rev === undefined ? undefined : Number(values.rev);
      if (rev !== undefined && (!Number.isInteger(rev) || rev < 1)) throw new DaemonUsageError('--rev takes a revision number');
      // The server does the restoring; the CLI's engine only reads the index to find the library.
      const engine = await Engine.open({ home: context.home });
      let entry;
      let libraryId: string;
      try {
        libraryId = engine.locate(sub!).library.libraryId;
        entry = await engine.restore(sub!, rev, { sync: false });
      } finally {
        await engine.close();
      }
      await api.syncNow({ libraryId });
      print(`restored ${entry.path} as rev ${entry.rev}; the daemon brings it here`, entry);
      return 0;
    }
    case 'sync':
      return runSync(context, sub, rest, values, print);
    default:
      throw new DaemonUsageError(`unknown command: ${command}`);
  }
}

async function runSync(
  context: DaemonCommandContext,
  sub: string | undefined,
  rest: readonly string[],
  values: DaemonCommandValues,
  print: (human: string, data: unknown) => void,
): Promise<number> {
  const { api } = context;
  if (sub !== 'now' && rest.length < 1) throw new DaemonUsageError(sub === 'add' ? 'missing LIBRARY and DIR' : sub === 'automerge' ? 'missing LIBRARY and on|off' : 'missing LIBRARY');
  switch (sub) {
    case 'add': {
      if (rest.length < 2) throw new DaemonUsageError('missing LIBRARY and DIR');
      const { libraries } = await api.listRemoteLibraries({});
      const reference = rest[0]!;
      const byName = libraries.filter((library) => library.name === reference);
      const remote = libraries.find((library) => library.libraryId === reference) ?? (byName.length === 1 ? byName[0] : undefined);
      if (remote === undefined) {
        throw new SyncApiError(byName.length > 1 ? 'conflict' : 'not-found', byName.length > 1 ? `several libraries are named "${reference}"; use the id (see \`cairn library list\`)` : `no library "${reference}" on the server`);
      }
      const only = values.only ?? [];
      const library = await api.addLibrary({
        libraryId: remote.libraryId,
        localRoot: path.resolve(rest[1]!),
        selection: only.length === 0 ? null : only.map((item) => item.replace(/^\/+|\/+$/g, '') as LibraryPath),
      });
      print(`syncing "${library.name}" into ${library.localRoot}${library.selection ? ` (only ${library.selection.join(', ')})` : ''}; the running daemon syncs it now`, library);
      return 0;
    }
    case 'remove': {
      const library = findSynced(await api.getStatus({}), rest[0]!);
      const removed = await api.removeLibrary({ libraryId: library.libraryId });
      print(`stopped syncing "${removed.name}"; its files stay in ${removed.localRoot}`, removed);
      return 0;
    }
    case 'select': {
      const library = findSynced(await api.getStatus({}), rest[0]!);
      const paths = rest.slice(1).map((item) => item.replace(/^\/+|\/+$/g, '') as LibraryPath);
      const view = await api.setSelection({ libraryId: library.libraryId, selection: paths.length === 0 ? null : paths });
      print(view.selection === null ? `"${view.name}": syncing everything` : `"${view.name}": syncing only ${view.selection.join(', ')}`, view);
      return 0;
    }
    case 'pause':
    case 'resume': {
      const library = findSynced(await api.getStatus({}), rest[0]!);
      const view = sub === 'pause' ? await api.pauseLibrary({ libraryId: library.libraryId }) : await api.resumeLibrary({ libraryId: library.libraryId });
      print(`"${view.name}" ${sub === 'pause' ? 'paused' : 'resumed'}`, view);
      return 0;
    }
    case 'automerge': {
      if (rest.length < 2) throw new DaemonUsageError('missing LIBRARY and on|off');
      const on = parseOnOff(rest[1]!);
      const library = findSynced(await api.getStatus({}), rest[0]!);
      const view = await api.setAutoMerge({ libraryId: library.libraryId, autoMerge: on });
      print(describeAutoMerge(view.name, on), view);
      return 0;
    }
    case 'now':
      return syncNow(context, rest[0]);
    default:
      throw new DaemonUsageError(`unknown command: sync ${sub ?? ''}`);
  }
}

/**
 * Asks the daemon for a round of every library (or one) and waits until each has settled: in
 * sync (perhaps with conflicts to look at), or stopped by something the user should know
 * (paused, offline, an error). Exit code 0 only when every one is in sync.
 */
async function syncNow(context: DaemonCommandContext, reference: string | undefined): Promise<number> {
  const { api } = context;
  const before = await api.getStatus({});
  const target = reference === undefined ? undefined : findSynced(before, reference);
  if (before.libraries.length === 0) {
    context.out(context.json ? JSON.stringify([]) : 'no library is synced on this device: `cairn sync add LIBRARY DIR`');
    return 0;
  }
  const { queued } = await api.syncNow(target === undefined ? {} : { libraryId: target.libraryId });
  const wanted = new Set(target === undefined ? before.libraries.map((library) => library.libraryId) : [target.libraryId]);
  let settled: LibraryView[];
  for (;;) {
    const status = await api.getStatus({});
    const libraries = status.libraries.filter((library) => wanted.has(library.libraryId));
    // A library that was not queued (paused) is reported as it is.
    if (libraries.every((library) => !queued.includes(library.libraryId) || isSettled(library.state))) {
      settled = libraries;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, SYNC_NOW_POLL_MS));
  }
  let failed = 0;
  for (const library of settled) {
    if (context.json) context.out(JSON.stringify(library));
    else context.out(`${library.name}: ${describeState(library.state)}`);
    if (library.state.kind !== 'up-to-date' && library.state.kind !== 'needs-attention') {
      failed += 1;
      context.err(
        library.state.kind === 'paused'
          ? `cairn: "${library.name}" is paused (${library.state.reason}); \`cairn sync resume ${library.name}\` when ready`
          : `cairn: "${library.name}": ${describeState(library.state)}`,
      );
    }
  }
  return failed === 0 ? 0 : 1;
}

function isSettled(state: LibraryState): boolean {
  switch (state.kind) {
    case 'up-to-date':
    case 'needs-attention':
    case 'paused':
    case 'offline':
    case 'error':
      return true;
    case 'pending':
    case 'scanning':
    case 'syncing':
      return false;
    default:
      return state satisfies never;
  }
}

/** A synced library by id, name or local folder. */
function findSynced(status: SyncStatus, reference: string): LibraryView {
  const resolved = path.resolve(reference);
  const found =
    status.libraries.find((library) => library.libraryId === reference) ??
    status.libraries.find((library) => library.name === reference) ??
    status.libraries.find((library) => library.localRoot === resolved);
  if (found === undefined) throw new SyncApiError('not-found', `"${reference}" is not synced on this device (see \`cairn status\`)`);
  return found;
}

/** Which synced library a local path is in, and its path inside it. */
function locate(status: SyncStatus, localPath: string): { library: LibraryView; libraryPath: LibraryPath } {
  const absolute = path.resolve(localPath);
  for (const library of status.libraries) {
    const relative = path.relative(library.localRoot, absolute);
    if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) continue;
    return { library, libraryPath: relative.split(path.sep).join('/').normalize('NFC') as LibraryPath };
  }
  throw new SyncApiError('not-found', `${localPath} is not inside a synced library`);
}

export function describeState(state: LibraryState): string {
  switch (state.kind) {
    case 'up-to-date':
      return 'up to date';
    case 'pending':
      return `pending (${state.reason})`;
    case 'scanning':
      return `scanning${state.progress.filesTotal > 0 ? ` ${state.progress.filesDone}/${state.progress.filesTotal} files` : ''}`;
    case 'syncing': {
      const progress = state.progress;
      const rate = progress.bytesPerSecond === null ? '' : `, ${formatBytes(Math.round(progress.bytesPerSecond))}/s`;
      const left = progress.secondsLeft === null ? '' : `, about ${Math.ceil(progress.secondsLeft)} s left`;
      return `syncing (${state.phase} ${progress.filesDone}/${progress.filesTotal} files, ${formatBytes(progress.bytesDone)} of ${formatBytes(progress.bytesTotal)}${rate}${left})`;
    }
    case 'needs-attention':
      return 'needs attention (open conflicts or problems)';
    case 'paused':
      return `paused (${state.reason}) since ${formatTime(state.since)}`;
    case 'offline':
      return `offline since ${formatTime(state.since)}${state.retryAt === null ? '' : `; retrying at ${formatTime(state.retryAt)}`}`;
    case 'error':
      return `error: ${state.message} (${state.action === 'needs-user' ? 'needs you' : 'retrying by itself'})`;
    default:
      return state satisfies never;
  }
}

function describeStatus(status: SyncStatus): string {
  const account = status.account;
  const lines = [account === null ? 'not logged in' : `${account.user} on ${account.serverUrl} (device ${account.deviceName}); a daemon is running`];
  if (status.allPaused) lines.push('everything is paused');
  for (const library of status.libraries) {
    const last = library.lastSyncAt === null ? 'never synced' : `last sync ${formatTime(library.lastSyncAt)}`;
    lines.push(`${library.name}  ${library.state.kind}  ${library.localRoot}  (${last})`);
    if (library.state.kind !== 'up-to-date') lines.push(`  ${describeState(library.state)}`);
    if (library.openConflicts > 0) lines.push(`  ${library.openConflicts} open conflict(s): see \`cairn conflicts\``);
    if (library.problemCount > 0) lines.push(`  ${library.problemCount} problem(s)`);
  }
  if (status.libraries.length === 0) lines.push('no library is synced on this device: `cairn sync add LIBRARY DIR`');
  return lines.join('\n');
}
