// Every `cairn` command but `daemon`, spoken to the SyncApi: a running daemon's (through its
// control API) or, when none runs, the one the command starts in its own process (see
// cli/profileSession.ts). The output is the same either way; only a few sentences say that a
// running daemon goes on with the work after the command ends.

import path from 'node:path';
import type { LibraryState, LibraryView, RoundProgressView, RoundSummaryView, SyncApi, SyncEvent, SyncStatus } from '../../shared/api/index.js';
import { SyncApiError, emptyRoundSummary } from '../../shared/api/index.js';
import type { LibraryPath } from '../../shared/paths.js';
import { canonicalizeLocalPath } from '../../shared/paths.js';
import { describeAutoMerge, describeConflicts, parseOnOff, parseResolveOptions, resolveWith } from './conflictCommands.js';
import { readPassword } from './readPassword.js';
import { createProgressLine, formatBytes, formatTime } from './terminalOutput.js';
import { UsageError } from './usageError.js';

export interface CommandContext {
  readonly api: SyncApi;
  /** True when the SyncApi is a running daemon's, which goes on syncing after the command. */
  readonly viaDaemon: boolean;
  readonly deviceName: string | undefined;
  readonly json: boolean;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly stdin: NodeJS.ReadableStream;
  /** Where `sync now` draws its progress line (a terminal), or null for none. */
  readonly progress: NodeJS.WriteStream | null;
  /** Told of the totals of a round run by this process while it transfers files (see oneShotHeap.ts). */
  readonly roundTransfers?: (progress: RoundProgressView) => void;
}

export interface CommandValues {
  readonly user?: string | undefined;
  readonly 'switch-account'?: boolean | undefined;
  readonly only?: string[] | undefined;
  readonly keep?: string | undefined;
  readonly take?: string | undefined;
  readonly rev?: string | undefined;
  readonly role?: string | undefined;
  readonly 'as-copy'?: boolean | undefined;
  readonly at?: string | undefined;
  readonly to?: string | undefined;
  readonly account?: string | undefined;
  readonly yes?: boolean | undefined;
}

/** The commands and subcommands this module runs ('daemon' is the CLI's own). */
const COMMANDS: Readonly<Record<string, readonly string[] | null>> = {
  login: null,
  logout: null,
  account: ['list', 'remove'],
  library: ['create', 'list', 'add', 'share', 'members', 'unshare', 'link'],
  sync: ['add', 'remove', 'select', 'pause', 'resume', 'automerge', 'now'],
  status: null,
  conflicts: null,
  resolve: null,
  history: null,
  restore: null,
};

/**
 * Checks the command line before anything is opened: an unknown command, or one missing what
 * it needs, is a UsageError.
 */
export function checkCommandLine(positionals: readonly string[], values: CommandValues): void {
  const [command, sub, ...rest] = positionals;
  if (command === undefined || !Object.hasOwn(COMMANDS, command)) throw new UsageError(`unknown command: ${command ?? ''}`);
  const subcommands = COMMANDS[command];
  if (subcommands !== null && subcommands !== undefined && (sub === undefined || !subcommands.includes(sub))) throw new UsageError(`unknown command: ${command} ${sub ?? ''}`);
  const need = (count: number, what: string): void => {
    if (positionals.length < count) throw new UsageError(`missing ${what}`);
  };
  switch (command) {
    case 'login':
      need(2, 'the server URL');
      if (values.user === undefined) throw new UsageError('login needs --user NAME');
      return;
    case 'library':
      if (sub === 'create') need(3, 'the library name');
      if (sub === 'add' && rest.length < 2) throw new UsageError('missing LIBRARY and DIR');
      if (sub === 'members') need(3, 'LIBRARY');
      if (sub === 'link') need(3, 'LIBRARY');
      if (sub === 'share' || sub === 'unshare') need(4, 'LIBRARY and USER');
      if (sub === 'share') parseRole(values.role);
      return;
    case 'account':
      if (sub === 'remove') need(3, 'the account (ID or USER@SERVER)');
      return;
    case 'resolve':
      need(2, 'the path');
      parseResolveOptions(values.keep, values.take);
      return;
    case 'history':
      need(2, 'the path');
      return;
    case 'restore':
      need(2, 'the path');
      parseRevision(values.rev);
      if (values.at !== undefined || values.to !== undefined) {
        if (values.at === undefined || values.to === undefined) throw new UsageError('a library snapshot needs --at TIME and --to DIR');
        if (positionals.length !== 2 || values.rev !== undefined || values['as-copy'] === true) throw new UsageError('restore LIBRARY --at TIME --to DIR takes the library only');
        parseMoment(values.at);
        return;
      }
      if (positionals.length > 3) throw new UsageError('restore takes PATH, or LIBRARY and a path inside it');
      return;
    case 'sync':
      if (sub === 'add' && rest.length < 2) throw new UsageError('missing LIBRARY and DIR');
      if (sub === 'automerge') {
        if (rest.length < 2) throw new UsageError('missing LIBRARY and on|off');
        parseOnOff(rest[1]!);
      }
      if (sub !== 'now' && rest.length < 1) throw new UsageError('missing LIBRARY');
      return;
    default:
      return;
  }
}

function parseRole(raw: string | undefined): 'rw' | 'ro' {
  if (raw !== 'rw' && raw !== 'ro') throw new UsageError('share needs --role rw (read-write) or --role ro (read-only)');
  return raw;
}

/**
 * The account `--account` names: its id, USER@SERVER (the server as a URL or as host:port), or
 * a user name only one account has. Undefined when not given (the service picks the only one).
 */
async function accountOption(api: SyncApi, reference: string | undefined): Promise<{ accountId: string } | Record<string, never>> {
  if (reference === undefined) return {};
  const { accounts } = await api.listAccounts({});
  const byId = accounts.find((account) => account.accountId === reference);
  if (byId !== undefined) return { accountId: byId.accountId };
  const at = reference.lastIndexOf('@');
  const user = at < 0 ? reference : reference.slice(0, at);
  const server = at < 0 ? null : reference.slice(at + 1).replace(/\/+$/, '');
  const matches = accounts.filter((account) => {
    if (account.user !== user) return false;
    if (server === null) return true;
    const url = new URL(account.serverUrl);
    return account.serverUrl === server || url.host === server || url.hostname === server || `${url.host}${url.pathname.replace(/\/+$/, '')}` === server;
  });
  if (matches.length === 1) return { accountId: matches[0]!.accountId };
  if (matches.length > 1) throw new SyncApiError('invalid-argument', `several accounts match "${reference}": use USER@SERVER or the id (see \`cairn account list\`)`);
  throw new SyncApiError('not-found', `no account "${reference}" in this profile (see \`cairn account list\`)`);
}

function accountName(account: { readonly user: string; readonly serverUrl: string }): string {
  return `${account.user}@${account.serverUrl}`;
}

/** A server library by id or (unique) name. */
async function findRemoteLibrary(api: SyncApi, reference: string, account: { accountId?: string } = {}): Promise<{ readonly libraryId: string; readonly name: string }> {
  const { libraries } = await api.listRemoteLibraries(account);
  const byName = libraries.filter((library) => library.name === reference);
  const remote = libraries.find((library) => library.libraryId === reference) ?? (byName.length === 1 ? byName[0] : undefined);
  if (remote === undefined) {
    throw new SyncApiError(byName.length > 1 ? 'conflict' : 'not-found', byName.length > 1 ? `several libraries are named "${reference}"; use the id (see \`cairn library list\`)` : `no library "${reference}" on the server`);
  }
  return remote;
}

const ROLE_NAMES: Readonly<Record<'owner' | 'rw' | 'ro', string>> = { owner: 'owner', rw: 'read-write', ro: 'read-only' };

function describeMembers(name: string, members: readonly { readonly user: string; readonly role: 'owner' | 'rw' | 'ro' }[]): string {
  return [`members of "${name}":`, ...members.map((member) => `  ${member.user}  ${ROLE_NAMES[member.role]}`)].join('\n');
}

function parseRevision(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const rev = Number(raw);
  if (!Number.isInteger(rev) || rev < 1) throw new UsageError('--rev takes a revision number');
  return rev;
}

/** Runs a command line that checkCommandLine accepted; returns the exit code. */
export async function runCommand(context: CommandContext, positionals: readonly string[], values: CommandValues): Promise<number> {
  const { api } = context;
  const [command, sub, ...rest] = positionals;
  const print = (human: string, data: unknown): void => context.out(context.json ? JSON.stringify(data, null, 2) : human);
  switch (command) {
    case 'login': {
      const password = await readPassword(context.stdin, 'Password: ');
      const account = await api.login({
        serverUrl: sub!,
        user: values.user!,
        password,
        ...(context.deviceName === undefined ? {} : { deviceName: context.deviceName }),
        ...(values['switch-account'] === true ? { switchAccount: true } : {}),
      });
      const { accounts } = await api.listAccounts({});
      const others = accounts.filter((other) => other.accountId !== account.accountId);
      print(
        `logged in to ${account.serverUrl} as ${account.user} (device ${account.deviceName})${context.viaDaemon ? '; the running daemon syncs with it' : ''}` +
          (others.length === 0 ? '' : `\nother accounts of this profile: ${others.map((other) => `${accountName(other)} (${other.signedIn ? 'signed in' : 'signed out'})`).join(', ')}`),
        account,
      );
      return 0;
    }
    case 'logout': {
      const chosen = await accountOption(api, values.account);
      const { accounts } = await api.listAccounts({});
      const signedIn = accounts.filter((account) => account.signedIn);
      const target = 'accountId' in chosen ? accounts.find((account) => account.accountId === chosen.accountId) : signedIn.length === 1 ? signedIn[0] : undefined;
      if (target !== undefined && target.libraries.length > 0 && !context.json) {
        // Said before it happens: which libraries stop, and that their files stay.
        context.out(`signing out ${accountName(target)}: ${target.libraries.map((library) => `"${library.name}" (${library.localRoot})`).join(', ')} stop syncing here; their files stay`);
      }
      const answer = await api.logout(chosen);
      print(target === undefined ? 'logged out' : `logged out ${accountName(target)}`, answer);
      return 0;
    }
    case 'account': {
      if (sub === 'remove') {
        const { accountId } = (await accountOption(api, rest.join(' '))) as { accountId: string };
        const { accounts } = await api.listAccounts({});
        const target = accounts.find((account) => account.accountId === accountId)!;
        const bound = target.libraries.map((library) => `"${library.name}" (${library.localRoot})`).join(', ');
        if (target.libraries.length > 0 && values.yes !== true) {
          // Asked before it happens: which libraries leave this computer's sync.
          context.err(`cairn: removing ${accountName(target)} also stops syncing ${bound} here (their files stay): nothing was done; run it again with --yes`);
          return 1;
        }
        const answer = await api.removeAccount({ accountId });
        print(`removed ${accountName(target)}${target.libraries.length === 0 ? '' : `; ${bound} no longer sync here, their files stay`}`, answer);
        return 0;
      }
      const { accounts } = await api.listAccounts({});
      print(
        accounts.length === 0
          ? 'no account yet: `cairn login URL --user NAME`'
          : accounts
              .map((account) =>
                [
                  `${account.accountId}  ${accountName(account)}  ${account.signedIn ? 'signed in' : 'signed out'}`,
                  ...account.libraries.map((library) => `  ${library.name}  ${library.localRoot}`),
                ].join('\n'),
              )
              .join('\n'),
        accounts,
      );
      return 0;
    }
    case 'library':
      if (sub === 'add') return runSync(context, 'add', rest, values, print);
      if (sub === 'link') {
        const library = findSynced(await api.getStatus({}), rest.join(' '));
        const { accounts } = await api.listLinkCandidates({ libraryId: library.libraryId });
        const names = accounts.map((account) => accountName(account)).join(', ');
        if (values.account === undefined) {
          // Without --account the choice is the user's: say which accounts can see it.
          if (accounts.length === 0) throw new SyncApiError('not-found', `no signed-in account can see "${library.name}" on its server: log in with one that can`);
          context.err(`cairn: choose the account for "${library.name}" with --account; the accounts that can see it: ${names}`);
          return 1;
        }
        const { accountId } = (await accountOption(api, values.account)) as { accountId: string };
        const view = await api.linkLibrary({ libraryId: library.libraryId, accountId });
        const account = accounts.find((candidate) => candidate.accountId === accountId);
        print(`"${view.name}" now syncs with ${account === undefined ? accountId : accountName(account)}`, view);
        return 0;
      }
      if (sub === 'create') {
        const library = await api.createLibrary({ name: rest.join(' '), ...(await accountOption(api, values.account)) });
        print(library.libraryId, library);
        return 0;
      }
      if (sub === 'members' || sub === 'share' || sub === 'unshare') {
        const library = await findRemoteLibrary(api, rest[0]!, await accountOption(api, values.account));
        const answer =
          sub === 'members'
            ? await api.listMembers({ libraryId: library.libraryId })
            : sub === 'share'
              ? await api.setMember({ libraryId: library.libraryId, user: rest[1]!, role: parseRole(values.role) })
              : await api.removeMember({ libraryId: library.libraryId, user: rest[1]! });
        print(describeMembers(library.name, answer.members), answer);
        return 0;
      }
      {
        const { libraries, storage } = await api.listRemoteLibraries(await accountOption(api, values.account));
        const lines = libraries.map(
          (library) =>
            `${library.libraryId}  ${library.name}  (${library.role}${library.role === 'owner' ? '' : ` of ${library.owner}`})${library.sizeBytes === null || library.sizeBytes === undefined ? '' : `  ${formatBytes(library.sizeBytes)} on the server`}${library.syncedTo === null ? '' : `  -> ${library.syncedTo}`}`,
        );
        if (storage !== null && storage !== undefined) lines.push(describeStorage(storage));
        print(libraries.length === 0 ? ['no libraries yet: create one with `cairn library create NAME`', ...lines].join('\n') : lines.join('\n'), libraries);
        return 0;
      }
    case 'status': {
      const status = await api.getStatus({});
      print(await describeStatus(api, status, context.viaDaemon), status);
      return 0;
    }
    case 'conflicts': {
      const { conflicts } = await api.listConflicts({});
      print(describeConflicts(conflicts), conflicts);
      return 0;
    }
    case 'resolve': {
      const options = parseResolveOptions(values.keep, values.take);
      const { library, libraryPath } = locate(await api.getStatus({}), sub!);
      const { conflicts } = await api.listConflicts({ libraryId: library.libraryId });
      const conflict = conflicts.find((candidate) => candidate.path === libraryPath || candidate.conflictPath === libraryPath);
      if (conflict === undefined) throw new SyncApiError('not-found', `no open conflict at ${sub}`);
      return resolveWith(api, conflict, { ...options, where: sub! }, context);
    }
    case 'history': {
      const { library, libraryPath } = locate(await api.getStatus({}), sub!);
      const { versions } = await api.getHistory({ libraryId: library.libraryId, path: libraryPath });
      print(
        versions.length === 0
          ? `${libraryPath} has no history`
          : versions
              .map((version) => `rev ${version.rev}  ${formatTime(version.committedAt)}  ${version.deleted ? 'deleted' : version.kind === 'dir' ? 'folder' : formatBytes(version.size)}  by ${version.userName} on ${version.device}${version.movedFrom === null ? '' : `  (moved from ${version.movedFrom})`}`)
              .join('\n'),
        versions,
      );
      return 0;
    }
    case 'restore': {
      if (values.at !== undefined && values.to !== undefined) {
        const library = syncedLibrary(await api.getStatus({}), sub!);
        const at = parseMoment(values.at);
        const result = await api.restoreSnapshot({ libraryId: library.libraryId, at, target: path.resolve(values.to) });
        print(
          `restored "${library.name}" as it was at ${formatTime(at)} (rev ${result.seq}) into ${result.target}: ${result.files} file(s), ${result.folders} folder(s), ${formatBytes(result.bytes)}` +
            (result.skipped.length === 0 ? '' : `\nnot written (names this computer cannot hold): ${result.skipped.join(', ')}`),
          result,
        );
        return 0;
      }
      const rev = parseRevision(values.rev);
      const status = await api.getStatus({});
      // `restore PATH` names a file on disk; `restore LIBRARY PATH` a library and a path inside it.
      const { library, libraryPath } = rest.length === 1 ? locateInLibrary(status, sub!, rest[0]!) : locate(status, sub!);
      if (values['as-copy'] === true) {
        const { path: copy } = await api.restoreCopy({ libraryId: library.libraryId, path: libraryPath, rev: rev ?? (await previousRevision(api, library.libraryId, libraryPath)) });
        if (!context.viaDaemon) await syncRounds({ ...context, json: true, out: () => undefined, err: () => undefined, progress: null }, library.libraryId);
        // A read-only library never uploads it: it stays here, listed as a problem.
        const where = library.role === 'ro' ? '; kept on this computer only: this library is read-only' : context.viaDaemon ? '; the daemon uploads it' : '';
        print(`restored a copy of ${libraryPath} as ${copy}${where}`, { path: copy });
        return 0;
      }
      const version = await api.restoreVersion({ libraryId: library.libraryId, path: libraryPath, ...(rev === undefined ? {} : { rev }) });
      if (context.viaDaemon) {
        print(`restored ${version.path} as rev ${version.rev}; the daemon brings it here`, version);
        return 0;
      }
      // The restored version is on the server; one round brings it to this disk.
      await syncRounds({ ...context, json: true, out: () => undefined, err: () => undefined, progress: null }, library.libraryId);
      print(`restored ${version.path} as rev ${version.rev}`, version);
      return 0;
    }
    case 'sync':
      return runSync(context, sub!, rest, values, print);
    default:
      throw new UsageError(`unknown command: ${command ?? ''}`);
  }
}

async function runSync(context: CommandContext, sub: string, rest: readonly string[], values: CommandValues, print: (human: string, data: unknown) => void): Promise<number> {
  const { api } = context;
  switch (sub) {
    case 'add': {
      const account = await accountOption(api, values.account);
      const { libraries } = await api.listRemoteLibraries(account);
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
        ...account,
      });
      const next = context.viaDaemon ? 'the running daemon syncs it now' : 'run `cairn sync now`';
      print(`syncing "${library.name}" into ${library.localRoot}${library.selection ? ` (only ${library.selection.join(', ')})` : ''}; ${next}`, library);
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
      const on = parseOnOff(rest[1]!);
      const library = findSynced(await api.getStatus({}), rest[0]!);
      const view = await api.setAutoMerge({ libraryId: library.libraryId, autoMerge: on });
      print(describeAutoMerge(view.name, on), view);
      return 0;
    }
    case 'now':
      return syncRounds(context, rest[0]);
    default:
      throw new UsageError(`unknown command: sync ${sub}`);
  }
}

/** How long `sync now` waits for an event before it reads the status again. */
const SYNC_NOW_RECHECK_MS = 1_000;

/**
 * `sync now`: asks for a round of every library (or one) and waits until each has run one and
 * settled: in sync (perhaps with conflicts to look at), or stopped by something the user should
 * know (paused, offline, an error). Prints what each round did (one JSON summary a line with
 * --json). Exit code 0 only when every round synced.
 */
async function syncRounds(context: CommandContext, reference: string | undefined): Promise<number> {
  const { api } = context;
  const rounds = new Map<string, RoundSummaryView>();
  const views = new Map<string, LibraryView>();
  const progress = context.progress === null ? null : createProgressLine(context.progress);
  let connected = !context.viaDaemon;
  let lost = false;
  let wake: (() => void) | null = null;
  /** Events seen so far: a status read while one arrived is older than what the event said. */
  let eventsSeen = 0;
  const onEvent = (event: SyncEvent): void => {
    eventsSeen += 1;
    switch (event.kind) {
      case 'roundFinished':
        rounds.set(event.summary.libraryId, event.summary);
        break;
      case 'libraryChanged': {
        views.set(event.library.libraryId, event.library);
        const state = event.library.state;
        if (state.kind === 'syncing' && (state.phase === 'uploading' || state.phase === 'downloading')) context.roundTransfers?.(state.progress);
        if (state.kind === 'scanning' || state.kind === 'syncing') progress?.update({ libraryId: event.library.libraryId, phase: state.kind === 'syncing' ? state.phase : 'scanning', ...state.progress });
        break;
      }
      case 'statusChanged':
        // A daemon's event stream opens with the whole status: from here on nothing is missed.
        connected = true;
        for (const library of event.status.libraries) views.set(library.libraryId, library);
        break;
      case 'connectionChanged':
        if (event.connected) connected = true;
        else lost = true;
        break;
      default:
        break;
    }
    wake?.();
  };
  const pause = (): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(finish, SYNC_NOW_RECHECK_MS);
      function finish(): void {
        clearTimeout(timer);
        wake = null;
        resolve();
      }
      wake = finish;
    });
  const unsubscribe = api.subscribe(onEvent);
  try {
    while (!connected) {
      if (lost) throw new SyncApiError('unavailable', 'the Cairn daemon closed its event stream; see `cairn status`');
      await pause();
    }
    const before = await api.getStatus({});
    const targets = reference === undefined ? before.libraries : [findSynced(before, reference)];
    if (targets.length === 0) {
      if (!context.json) context.out('no library is synced on this device: `cairn sync add LIBRARY DIR`');
      return 0;
    }
    for (const library of targets) if (!views.has(library.libraryId)) views.set(library.libraryId, library);
    const { queued } = await api.syncNow(reference === undefined ? {} : { libraryId: targets[0]!.libraryId });
    const waiting = (): string[] => queued.filter((libraryId) => !(rounds.has(libraryId) && isSettled(views.get(libraryId)?.state)));
    while (waiting().length > 0) {
      if (lost) throw new SyncApiError('unavailable', 'lost the connection to the Cairn daemon while it synced; see `cairn status`');
      await pause();
      if (waiting().length === 0) break;
      // An event missed for any reason must not hold the command forever. A status read while
      // an event arrived is not applied: it may predate the event (a round's "up to date" would
      // be overwritten by the "pending" before it, and the command would wait a recheck more).
      const seenBefore = eventsSeen;
      const status = await api.getStatus({});
      if (eventsSeen === seenBefore) for (const library of status.libraries) views.set(library.libraryId, library);
    }
    progress?.done();
    // A library that was not queued is paused or signed out: that is what a round of it would say.
    const summaries = targets.map((library) => rounds.get(library.libraryId) ?? notQueuedSummary(views.get(library.libraryId) ?? library, before));
    if (context.json) {
      for (const summary of summaries) context.out(JSON.stringify(summary));
    } else {
      for (const summary of summaries) context.out(describeSummary(summary));
    }
    const failed = summaries.filter((summary) => summary.outcome !== 'synced');
    for (const summary of failed) {
      context.err(
        summary.outcome === 'paused'
          ? `cairn: "${summary.name}" is paused (${summary.pauseReason}); \`cairn sync resume ${summary.name}\` when ready`
          : `cairn: "${summary.name}": ${summary.error?.message ?? 'failed'}`,
      );
    }
    return failed.length === 0 ? 0 : 1;
  } finally {
    progress?.done();
    unsubscribe();
  }
}

/** What `sync now` says of a library it did not sync because it is paused, or its account signed out. */
function notQueuedSummary(library: LibraryView, status: SyncStatus): RoundSummaryView {
  if (library.state.kind === 'signed-out') {
    const account = status.accounts?.find((candidate) => candidate.accountId === library.accountId);
    const who = account === undefined ? 'its account' : accountName(account);
    const login = account === undefined ? '' : `: \`cairn login ${account.serverUrl} --user ${account.user}\``;
    return { ...emptyRoundSummary(library.libraryId, library.name), outcome: 'error', error: { code: 'not-logged-in', message: `not synced: ${who} is signed out on this device${login}` } };
  }
  return { ...emptyRoundSummary(library.libraryId, library.name), outcome: 'paused', pauseReason: library.state.kind === 'paused' ? library.state.reason : 'user' };
}

/** True once a library has stopped working on its own: nothing runs or waits to run now. */
export function isSettled(state: LibraryState | undefined): boolean {
  if (state === undefined) return false;
  switch (state.kind) {
    case 'up-to-date':
    case 'needs-attention':
    case 'paused':
    case 'offline':
    case 'error':
    case 'signed-out':
      return true;
    case 'pending':
    case 'scanning':
    case 'syncing':
      return false;
    default:
      return state satisfies never;
  }
}

export function describeSummary(summary: RoundSummaryView): string {
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
/** A moment given on the command line: an ISO 8601 time (`2026-12-07T05:04`, `...Z`), as ms. */
function parseMoment(raw: string): number {
  const at = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(raw.trim()) ? Date.parse(raw.trim().replace(' ', 'T')) : Number.NaN;
  if (!Number.isFinite(at) || at < 0) throw new UsageError(`--at takes an ISO time such as 2026-12-07T05:04 (local) or 2026-12-07T05:04:00Z, not "${raw}"`);
  return at;
}

/** A synced library by id or name, and a path inside it as the library spells it. */
function locateInLibrary(status: SyncStatus, reference: string, rawPath: string): { library: LibraryView; libraryPath: LibraryPath } {
  const library = syncedLibrary(status, reference);
  const check = canonicalizeLocalPath(rawPath.replace(/^\/+|\/+$/g, ''), '/');
  if (!check.ok) throw new SyncApiError('invalid-argument', `${rawPath} is not a valid library path (${check.problem})`);
  return { library, libraryPath: check.path };
}

/** A synced library by id or (unique) name. */
function syncedLibrary(status: SyncStatus, reference: string): LibraryView {
  const byName = status.libraries.filter((library) => library.name === reference);
  const library = status.libraries.find((candidate) => candidate.libraryId === reference) ?? (byName.length === 1 ? byName[0] : undefined);
  if (library === undefined) throw new SyncApiError(byName.length > 1 ? 'conflict' : 'not-found', byName.length > 1 ? `several synced libraries are named "${reference}"; use the id` : `no synced library "${reference}"`);
  return library;
}

/** The newest live version of a file before its current one (what restore brings back by default). */
async function previousRevision(api: SyncApi, libraryId: string, libraryPath: LibraryPath): Promise<number> {
  const { versions } = await api.getHistory({ libraryId, path: libraryPath });
  const target = versions.find((version, position) => !version.deleted && (position > 0 || versions[0]?.deleted === true));
  if (target === undefined) throw new SyncApiError('not-found', `no earlier version of ${libraryPath} to restore`);
  return target.rev;
}

function locate(status: SyncStatus, localPath: string): { library: LibraryView; libraryPath: LibraryPath } {
  const absolute = path.resolve(localPath);
  for (const library of status.libraries) {
    const relative = path.relative(library.localRoot, absolute);
    if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) continue;
    const check = canonicalizeLocalPath(relative, path.sep === '\\' ? '\\' : '/');
    if (!check.ok) throw new SyncApiError('invalid-argument', `${localPath} is not a valid library path (${check.problem})`);
    return { library, libraryPath: check.path };
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
      return state.stopping === true ? `pausing… (${state.reason}; the transfer in progress is stopping)` : `paused (${state.reason}) since ${formatTime(state.since)}`;
    case 'offline':
      return `offline since ${formatTime(state.since)}${state.retryAt === null ? '' : `; retrying at ${formatTime(state.retryAt)}`}`;
    case 'error':
      return `error: ${state.message} (${state.action === 'needs-user' ? 'needs you' : 'retrying by itself'})`;
    case 'signed-out':
      return state.unlinked === true
        ? 'not linked to an account: `cairn library link LIBRARY --account ID|USER@SERVER` (files kept)'
        : 'signed out: its account must log in again (files kept)';
    default:
      return state satisfies never;
  }
}

/** Problems listed per library in `cairn status`; `cairn status --json` and the app list them all. */
const PROBLEMS_SHOWN = 10;

async function describeStatus(api: SyncApi, status: SyncStatus, viaDaemon: boolean): Promise<string> {
  const account = status.account;
  const accounts = status.accounts ?? [];
  const lines =
    accounts.length <= 1
      ? [account === null ? 'not logged in' : `${account.user} on ${account.serverUrl} (device ${account.deviceName})${viaDaemon ? '; a daemon is running' : ''}`]
      : [`${accounts.length} accounts: ${accounts.map((candidate) => `${accountName(candidate)} (${candidate.signedIn ? 'signed in' : 'signed out'})`).join(', ')}${viaDaemon ? '; a daemon is running' : ''}`];
  if (status.allPaused) lines.push('everything is paused');
  // Sizes on the server and each signed-in account's storage, when the servers can be asked (not while one is known to be away).
  const reachable = !status.libraries.some((library) => library.state.kind === 'offline');
  const remotes = reachable
    ? await Promise.all(
        accounts
          .filter((candidate) => candidate.signedIn)
          .map(async (candidate) => ({ account: candidate, list: await api.listRemoteLibraries({ accountId: candidate.accountId }).catch(() => null) })),
      )
    : [];
  const sizes = new Map(remotes.flatMap(({ list }) => (list?.libraries ?? []).map((library) => [library.libraryId, library.sizeBytes ?? null] as const)));
  for (const library of status.libraries) {
    const last = library.lastSyncAt === null ? 'never synced' : `last sync ${formatTime(library.lastSyncAt)}`;
    const shared = library.owner === null || library.owner === undefined || library.role === 'owner' ? '' : `  [${library.role === 'ro' ? 'read-only' : 'read-write'}, shared by ${library.owner}]`;
    const owner = accounts.find((candidate) => candidate.accountId === library.accountId);
    const size = sizes.get(library.libraryId) ?? null;
    lines.push(`${library.name}  ${library.state.kind}  ${library.localRoot}  (${last})${shared}  account ${owner === undefined ? 'unknown' : accountName(owner)}${size === null ? '' : `  ${formatBytes(size)} on the server`}`);
    if (library.state.kind !== 'up-to-date') lines.push(`  ${describeState(library.state)}`);
    if (library.openConflicts > 0) lines.push(`  ${library.openConflicts} open conflict(s): see \`cairn conflicts\``);
    if (library.problemCount > 0) {
      const { problems } = await api.listProblems({ libraryId: library.libraryId });
      for (const problem of problems.slice(0, PROBLEMS_SHOWN)) lines.push(`  problem: ${problem.path || problem.name} ${problem.kind}: ${problem.message}`);
      if (problems.length > PROBLEMS_SHOWN) lines.push(`  ... and ${problems.length - PROBLEMS_SHOWN} more problems`);
    }
  }
  if (status.libraries.length === 0) lines.push('no library is synced on this device: `cairn sync add LIBRARY DIR`');
  // The account's storage, when the server can be asked (not while it is known to be away).
  for (const { account: owner, list } of remotes) {
    if (list?.storage === null || list?.storage === undefined) continue;
    lines.push(remotes.length === 1 ? describeStorage(list.storage) : `${accountName(owner)} ${describeStorage(list.storage)}`);
  }
  return lines.join('\n');
}

/** "storage: 3.2 GiB of 10 GiB used (32%)", or "storage: 3.2 GiB used, no quota". */
function describeStorage(storage: { readonly usedBytes: number; readonly quotaBytes: number | null }): string {
  if (storage.quotaBytes === null) return `storage: ${formatBytes(storage.usedBytes)} used, no quota`;
  const percent = storage.quotaBytes === 0 ? 100 : Math.floor((storage.usedBytes / storage.quotaBytes) * 100);
  return `storage: ${formatBytes(storage.usedBytes)} of ${formatBytes(storage.quotaBytes)} used (${percent}%)${storage.usedBytes >= storage.quotaBytes ? ': full, new files are not uploaded' : ''}`;
}
