// The engine's one public surface: a client profile (a home folder holding the index and the
// device token) and the operations the CLI, the daemon and the desktop app perform on it.
// It owns the lifetimes of what it opens (index, chunker pool, HTTP pools) and closes them.

import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readFile, realpath, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ConflictDetails, FileListing, VersionPreview, VersionTokens } from '../../shared/api/index.js';
import { MAX_PREVIEW_IMAGE_BYTES, MAX_PREVIEW_TEXT_BYTES } from '../../shared/api/index.js';
import type { ConflictChoice } from '../../shared/merge/index.js';
import type { LibraryPath } from '../../shared/paths.js';
import { ancestorPaths, canonicalizeLocalPath, checkPortableName, isSameOrBelow } from '../../shared/paths.js';
import { comparePaths } from '../../shared/pathOrder.js';
import { PROTOCOL_LIMITS, routes } from '../../shared/protocol/index.js';
import type { Entry, Library, LibraryListResponse, Member, MemberRole, TrashItem } from '../../shared/protocol/index.js';
import type { ChunkerPool } from './chunker/index.js';
import { openIndex } from './indexStore/index.js';
import type { AccountRecord, ConflictRecord, Index, LibraryRecord, ProblemKey, ProblemRecord } from './indexStore/index.js';
import { IGNORE_FILE_NAME, previewIgnoreRules } from './ignore/index.js';
import type { IgnorePreview } from './ignore/index.js';
import {
  cleanupTempFiles,
  fsErrorCode,
  observe,
  renameInFolder,
  writeFileAtomic,
} from './localfs/index.js';
import { RemoteError } from './remote/remoteError.js';
import type * as RemoteModule from './remote/serverClient.js';
import type { ServerClient } from './remote/serverClient.js';
import { ownerOnlyFileSecretStore } from '../profile/secretStore.js';
import type { SecretStore } from '../profile/secretStore.js';
import { parseAccountTokens, serializeAccountTokens } from '../profile/accountTokens.js';
import type { FileProgress, RoundProgress, RoundSummary } from './sync/roundSummary.js';
import type { ConflictReader } from './conflicts/conflictDetails.js';
import type { ChunkFileFunction } from './conflicts/conflictVersions.js';
import type { ResolveRequest } from './conflicts/resolveConflict.js';
import type { PendingWork } from './sync/pendingWork.js';
import type { SnapshotProgress, SnapshotResult } from './restore/restoreSnapshot.js';
import type { SyncDependencies } from './sync/syncLibrary.js';
import { UserError } from './userError.js';

export interface EngineOptions {
  /** The client profile folder (index, credentials). Created if missing. */
  readonly home: string;
  /** This device's name, recorded on its commits and in conflict names. Default: host name. */
  readonly deviceName?: string;
  /** Circuit breaker: most files one round may delete before the library pauses. */
  readonly maxDeletes?: number;
  /** Where the device token is kept. Default: the owner-only file `credentials` in home. */
  readonly secretStore?: SecretStore;
  /**
   * True when this process serves nothing else while a round runs (a one-shot `cairn`
   * command): scans and the removal of left-over temp files then list folders and lstat files
   * with synchronous calls (see ScanOptions.statOnThisThread), and groups of small downloads
   * are written with synchronous calls (SyncDependencies.writeOnThisThread). A daemon leaves it
   * false, keeping its event loop free.
   */
  readonly oneShot?: boolean;
}

export { UserError } from './userError.js';
export type { UserErrorReason } from './userError.js';

/** The live entries of a library on the server at or below a folder ('' for all of it). */
export interface RemoteSnapshot {
  readonly seq: number;
  readonly entries: readonly Entry[];
}

/**
 * What the index knows about a synced library, for the state the user sees: the daemon's
 * libraryStateOf (src-main/daemon/syncViews.ts) is the one function that turns these facts
 * and what the daemon is doing into that state.
 */
export interface LibraryFacts {
  readonly libraryId: string;
  readonly name: string;
  readonly localRoot: string;
  readonly selection: readonly string[] | null;
  readonly pause: LibraryRecord['pause'];
  readonly lastSyncAt: number | null;
  readonly lastError: LibraryRecord['lastError'];
  readonly openConflicts: number;
  readonly problems: readonly ProblemRecord[];
  /** Clean merges of text conflicts are applied without asking (see setAutoMerge). */
  readonly autoMerge: boolean;
  /** This account's role in the library and its owner, as the server last said (null: not asked yet). */
  readonly role: LibraryRecord['role'];
  readonly owner: string | null;
  /** The account the library is bound to (null: unknown), and whether it is signed in here. */
  readonly accountId: string | null;
  readonly signedIn: boolean;
}

export type KeepChoice = 'local' | 'remote' | 'both' | 'merged';

/**
 * What a resolution may add to its keep choice: the version tokens of the preview it was
 * decided on (required for 'merged'), and for 'merged' one choice per conflicting region.
 */
export interface ResolveOptions {
  readonly versions?: VersionTokens;
  readonly choices?: readonly ConflictChoice[];
}

/**
 * Runs one round of a library the way the caller runs rounds (the daemon: through the
 * library's runner, with its bandwidth limits, activity log and progress), without automatic
 * merges: a resolution in progress decides for itself.
 */
export type ResolutionRound = (libraryId: string) => Promise<unknown>;

/** How one conflict of a batch went; `error` is what resolving it threw. */
export type BatchOutcome =
  | { readonly conflictId: number; readonly outcome: 'resolved'; readonly conflict: ConflictRecord }
  | { readonly conflictId: number; readonly outcome: 'failed'; readonly error: unknown };

/** An account of the profile, and whether it is signed in (holds a device token) on this device. */
export interface AccountInfo extends AccountRecord {
  readonly signedIn: boolean;
}

/** A server address as the server client writes it (origin and path, no trailing slash). */
export function normalizeServerUrl(serverUrl: string): string {
  try {
    const url = new URL(serverUrl);
    return url.origin + url.pathname.replace(/\/+$/, '');
  } catch {
    return serverUrl;
  }
}

/**
 * The health check and the login itself; a failure to reach a Cairn server at all is diagnosed
 * into a ConnectError naming its cause (refused, unknown host, a web page, https to an http
 * port, a certificate...), anything else (a wrong password) is thrown as it came.
 */
async function connectAndLogin(client: ServerClient, serverUrl: string, body: { user: string; password: string; deviceName: string }) {
  try {
    await client.call(routes.health);
    return await client.call(routes.login, { body });
  } catch (error) {
    if (!(error instanceof RemoteError)) throw error;
    const { diagnoseConnect } = await import('./remote/connectError.js');
    throw (await diagnoseConnect(error, serverUrl)) ?? error;
  }
}

const CREDENTIALS_FILE = 'credentials';
const INDEX_FILE = 'index.sqlite';

// The parts a command may not need are loaded on first use: the server client (undici), the
// sync round (planner, scanner, chunker) and conflict resolution. `cairn status` needs none.
let remoteModule: typeof RemoteModule | undefined;

async function loadRemote(): Promise<typeof RemoteModule> {
  remoteModule ??= await import('./remote/serverClient.js');
  return remoteModule;
}

/** Synced files a new selection takes off this computer, under one topmost path. */
export interface SelectionLeaving {
  readonly path: LibraryPath;
  readonly files: number;
  readonly bytes: number;
}

export class Engine {
  /** One server client per signed-in account, made on first use. */
  private readonly clients = new Map<string, ServerClient>();
  private pool: ChunkerPool | null = null;
  /** The device name a login chose for this device, which wins over the one the engine was opened with. */
  private loginDeviceName: string | undefined;
  /** Libraries whose leftover temp files were removed since this engine opened. */
  private readonly cleaned = new Set<string>();
  /** Accounts whose server keeps no conflicts (an older one): they stay this device's own until a new login. */
  private readonly conflictsUnsupported = new Set<string>();
  /** Conflicts an automatic merge declined, with the versions it tried (see autoMergeConflicts). */
  private readonly declinedMerges = new Map<number, string>();
  /** Serializes changes of the stored tokens (see changeTokens). */
  private tokenWrites: Promise<void> = Promise.resolve();

  private constructor(
    readonly home: string,
    private readonly index: Index,
    private readonly options: EngineOptions,
    private readonly secrets: SecretStore,
    /** The device token of each signed-in account, by account id (what the secret store holds). */
    private readonly tokens: Map<string, string>,
  ) {}

  static async open(options: EngineOptions): Promise<Engine> {
    await mkdir(options.home, { recursive: true, mode: 0o700 });
    const index = openIndex(path.join(options.home, INDEX_FILE));
    const secrets = options.secretStore ?? ownerOnlyFileSecretStore(path.join(options.home, CREDENTIALS_FILE));
    const tokens = new Map<string, string>();
    try {
      const stored = parseAccountTokens(await secrets.read());
      const legacyAccount = index.profile.get().legacyTokenAccount;
      if (stored.legacy !== undefined && legacyAccount !== undefined && index.accounts.get(legacyAccount) !== undefined) {
        // A one-account profile's token moves to its account (the index was migrated already).
        // Both steps are idempotent: a crash between them repeats neither harmfully.
        stored.tokens.set(legacyAccount, stored.legacy);
        await secrets.write(serializeAccountTokens(stored.tokens));
      }
      if (legacyAccount !== undefined) index.profile.set({ legacyTokenAccount: null });
      for (const [accountId, token] of stored.tokens) {
        if (index.accounts.get(accountId) !== undefined) tokens.set(accountId, token);
      }
      // A token whose account is gone (a removal interrupted after its transaction) is dropped.
      if (tokens.size < stored.tokens.size) await secrets.write(serializeAccountTokens(tokens));
    } catch (error) {
      index.close();
      throw error;
    }
    return new Engine(options.home, index, options, secrets, tokens);
  }

  async close(): Promise<void> {
    for (const client of this.clients.values()) await client.close();
    this.clients.clear();
    await this.pool?.close();
    this.pool = null;
    this.index.close();
  }

  get deviceName(): string {
    return this.loginDeviceName ?? this.options.deviceName ?? this.index.profile.get().deviceName ?? os.hostname();
  }

  // ---- accounts -----------------------------------------------------------------------------

  /** Every account of the profile, in the order they were added, and whether each is signed in. */
  accounts(): AccountInfo[] {
    return this.index.accounts.list().map((account) => ({ ...account, signedIn: this.tokens.has(account.accountId) }));
  }

  /**
   * The first signed-in account, or null when none is: for callers that show one account
   * (the connect screen opens while this is null).
   */
  account(): { accountId: string; serverUrl: string; user: string; deviceName: string } | null {
    const account = this.accounts().find((candidate) => candidate.signedIn);
    return account === undefined ? null : { accountId: account.accountId, serverUrl: account.serverUrl, user: account.user, deviceName: account.deviceName ?? this.deviceName };
  }

  /**
   * The account a request names, or the default: the only signed-in account (the only account,
   * when none is signed in). Several and none named is refused: the caller must choose.
   */
  resolveAccount(accountId?: string): AccountInfo {
    const accounts = this.accounts();
    if (accountId !== undefined) {
      const found = accounts.find((account) => account.accountId === accountId);
      if (found === undefined) throw new UserError(`there is no account ${JSON.stringify(accountId)} in this profile (see \`cairn account list\`)`, 'not-found');
      return found;
    }
    const signedIn = accounts.filter((account) => account.signedIn);
    if (signedIn.length === 1) return signedIn[0]!;
    if (signedIn.length > 1) {
      throw new UserError(
        `several accounts are signed in (${signedIn.map((account) => `${account.user}@${account.serverUrl}`).join(', ')}): choose one (--account)`,
        'invalid',
        { reason: 'account-ambiguous' },
      );
    }
    if (accounts.length === 1) return accounts[0]!;
    throw new UserError('not logged in: run `cairn login URL --user NAME` first', 'not-logged-in');
  }

  /** The account a synced library belongs to; a library of no known account is refused. */
  accountOfLibrary(library: LibraryRecord): AccountInfo {
    const account = library.accountId === null ? undefined : this.accounts().find((candidate) => candidate.accountId === library.accountId);
    if (account === undefined) {
      throw new UserError(`library "${library.name}" belongs to no known account: remove it from this device and add it again`, 'not-logged-in', { reason: 'signed-out' });
    }
    return account;
  }

  /** Whether the account of a synced library is signed in here (false: "signed out"). */
  librarySignedIn(libraryId: string): boolean {
    const library = this.index.libraries.get(libraryId);
    return library !== undefined && library.accountId !== null && this.tokens.has(library.accountId);
  }

  /**
   * Logs in, adding the account to the profile; `deviceName` names this device on the server
   * (default: `this.deviceName`). The same user at the same server again only replaces the
   * account's token (the old one is revoked on the server when it answers). Other accounts and
   * their libraries are not touched: each library syncs with its own account's token only.
   */
  async login(
    serverUrl: string,
    user: string,
    password: string,
    chosenDeviceName?: string,
  ): Promise<{ accountId: string; user: string; deviceId: string; added: boolean }> {
    const deviceName = chosenDeviceName ?? this.deviceName;
    const { ServerClient } = await loadRemote();
    const anonymous = new ServerClient({ baseUrl: serverUrl });
    try {
      const answer = await connectAndLogin(anonymous, serverUrl, { user, password, deviceName });
      const known = this.index.accounts.find(anonymous.baseUrl, answer.user);
      const accountId = known?.accountId ?? `a${randomBytes(8).toString('hex')}`;
      const previousToken = this.tokens.get(accountId);
      await this.dropClient(accountId);
      this.index.transaction(() => {
        if (known === undefined) this.index.accounts.add({ accountId, serverUrl: anonymous.baseUrl, user: answer.user, deviceId: answer.deviceId, deviceName });
        else this.index.accounts.setDevice(accountId, answer.deviceId, deviceName);
        this.index.profile.set({ serverUrl: anonymous.baseUrl, deviceName });
      });
      await this.changeTokens((tokens) => tokens.set(accountId, answer.token));
      // A client made meanwhile (a round of the account) holds the old token: it goes too.
      await this.dropClient(accountId);
      if (chosenDeviceName !== undefined) this.loginDeviceName = chosenDeviceName;
      this.conflictsUnsupported.delete(accountId);
      if (previousToken !== undefined && previousToken !== answer.token) {
        // The replaced token is this device's old registration: revoke it, when the server answers.
        const old = new ServerClient({ baseUrl: anonymous.baseUrl, token: previousToken });
        await old.call(routes.logout).catch(() => undefined);
        await old.close();
      }
      return { accountId, user: answer.user, deviceId: answer.deviceId, added: known === undefined };
    } finally {
      await anonymous.close();
    }
  }

  /**
   * Signs one account out (default: the only signed-in one): its token is revoked on the server
   * (when reachable) and forgotten here. The account and its libraries stay in the profile,
   * bound to it, and sync again after a new login of that account; no other account's token
   * is ever used for them.
   */
  async logout(accountId?: string): Promise<{ account: AccountInfo; libraries: LibraryRecord[] }> {
    const account = this.resolveAccount(accountId);
    await this.revokeTokenOnServer(account.accountId);
    await this.changeTokens((tokens) => tokens.delete(account.accountId));
    await this.dropClient(account.accountId);
    return { account: { ...account, signedIn: false }, libraries: this.librariesOf(account.accountId) };
  }

  /** Revokes an account's token on its server when it has one and the server answers; a server that refuses or cannot be reached changes nothing here. */
  private async revokeTokenOnServer(accountId: string): Promise<void> {
    if (!this.tokens.has(accountId)) return;
    try {
      await (await this.server(accountId)).call(routes.logout);
    } catch (error) {
      if (!(error instanceof RemoteError)) throw error;
    }
  }

  /**
   * Removes an account from the profile: the libraries bound to it stop syncing here (their
   * local files stay, as with removeSync) and the account row goes, in one transaction; then its
   * token is revoked on the server (when it answers) and deleted from the secret store. A crash
   * after the transaction leaves a token without an account, which open() ignores and deletes.
   * Answers the account and the libraries removed.
   */
  async removeAccount(accountId: string): Promise<{ account: AccountInfo; libraries: LibraryRecord[] }> {
    const account = this.resolveAccount(accountId);
    await this.revokeTokenOnServer(account.accountId);
    const libraries = this.librariesOf(account.accountId);
    this.index.transaction(() => {
      for (const library of libraries) this.index.libraries.remove(library.libraryId);
      this.index.accounts.remove(account.accountId);
    });
    await this.changeTokens((tokens) => tokens.delete(account.accountId));
    await this.dropClient(account.accountId);
    this.conflictsUnsupported.delete(account.accountId);
    return { account: { ...account, signedIn: false }, libraries };
  }

  /**
   * The signed-in accounts that can see a library on their own server (each asked with its own
   * token), and whether every one of them answered: an account whose server did not answer
   * is neither counted nor ruled out.
   */
  async accountsSeeing(libraryId: string): Promise<{ seeing: AccountInfo[]; allAnswered: boolean }> {
    const seeing: AccountInfo[] = [];
    let allAnswered = true;
    for (const account of this.accounts().filter((candidate) => candidate.signedIn)) {
      try {
        await (await this.server(account.accountId)).call(routes.getLibrary, { params: { libraryId } });
        seeing.push(account);
      } catch (error) {
        if (!(error instanceof RemoteError)) throw error;
        if (error.code !== 'not-found' && error.code !== 'forbidden') allAnswered = false;
      }
    }
    return { seeing, allAnswered };
  }

  /**
   * Links a synced library bound to no account (an older profile's, whose account was never
   * recorded) to an account, which must be signed in and able to see it on its server (asked
   * now). A library bound already is never rebound.
   */
  async linkLibrary(reference: string, accountId: string): Promise<LibraryRecord> {
    const library = this.findSyncedLibrary(reference);
    if (library.accountId !== null) {
      throw new UserError(`library "${library.name}" is linked to an account already`, 'conflict', { reason: 'linked-already' });
    }
    const account = this.resolveAccount(accountId);
    try {
      await (await this.server(account.accountId)).call(routes.getLibrary, { params: { libraryId: library.libraryId } });
    } catch (error) {
      if (error instanceof RemoteError && (error.code === 'not-found' || error.code === 'forbidden')) {
        throw new UserError(`${account.user} at ${account.serverUrl} cannot see library "${library.name}": choose an account that can`, 'invalid', { reason: 'cannot-see' });
      }
      throw error;
    }
    this.index.libraries.bindAccount(library.libraryId, account.accountId);
    return this.findSyncedLibrary(library.libraryId);
  }

  /** The synced libraries bound to no account. */
  unlinkedLibraries(): LibraryRecord[] {
    return this.index.libraries.list().filter((library) => library.accountId === null);
  }

  /**
   * The server refused an account's token (revoked or expired): the account is signed out
   * here, without asking the server, so its libraries say "signed out" until it logs in again.
   * Only a token still equal to `token` is dropped (a login meanwhile wins).
   */
  async tokenRefused(accountId: string, token: string): Promise<boolean> {
    let dropped = false;
    await this.changeTokens((tokens) => {
      // Decided when the change runs: a login finished meanwhile keeps its new token.
      if (tokens.get(accountId) === token) dropped = tokens.delete(accountId);
    });
    if (dropped) await this.dropClient(accountId);
    return dropped;
  }

  /** The token an account holds now (to tell later whether a refusal concerned it), or undefined. */
  tokenOf(accountId: string): string | undefined {
    return this.tokens.get(accountId);
  }

  /**
   * Changes the stored tokens: one change at a time (two logins at once would otherwise each
   * write a map missing the other's token), durable in the secret store before it is used.
   */
  private changeTokens(change: (tokens: Map<string, string>) => void): Promise<void> {
    const run = this.tokenWrites.then(async () => {
      const next = new Map(this.tokens);
      change(next);
      await this.secrets.write(serializeAccountTokens(next));
      this.tokens.clear();
      for (const [accountId, token] of next) this.tokens.set(accountId, token);
    });
    this.tokenWrites = run.catch(() => undefined);
    return run;
  }

  /** The synced libraries bound to an account. */
  librariesOf(accountId: string): LibraryRecord[] {
    return this.index.libraries.list().filter((library) => library.accountId === accountId);
  }

  private async dropClient(accountId: string): Promise<void> {
    const client = this.clients.get(accountId);
    this.clients.delete(accountId);
    await client?.close();
  }

  /** The server client of an account (default: see resolveAccount); it must be signed in. */
  async server(accountId?: string): Promise<ServerClient> {
    await loadRemote();
    return this.loadedServer(this.resolveAccount(accountId));
  }

  /** The server client of a synced library's own account: its server, its token, nothing else. */
  async libraryServer(library: LibraryRecord): Promise<ServerClient> {
    await loadRemote();
    return this.loadedServer(this.accountOfLibrary(library));
  }

  /** server(), once the server client's module is loaded (see loadRemote). */
  private loadedServer(account: AccountInfo): ServerClient {
    const token = this.tokens.get(account.accountId);
    if (token === undefined) {
      throw new UserError(`${account.user} at ${account.serverUrl} is signed out: log in again (\`cairn login ${account.serverUrl} --user ${account.user}\`)`, 'not-logged-in', {
        reason: 'signed-out',
        accountId: account.accountId,
      });
    }
    if (remoteModule === undefined) throw new Error('the server client is used before its module was loaded');
    let client = this.clients.get(account.accountId);
    if (client === undefined) {
      client = new remoteModule.ServerClient({ baseUrl: account.serverUrl, token });
      this.clients.set(account.accountId, client);
    }
    return client;
  }

  // ---- libraries ----------------------------------------------------------------------------

  /**
   * The server client for a server library: a library synced here is reached only through its
   * own account (naming another account is refused); any other through the account named (or
   * the default account, see resolveAccount).
   */
  async serverForLibrary(libraryId: string, accountId?: string): Promise<ServerClient> {
    const synced = this.index.libraries.get(libraryId);
    if (synced === undefined) return this.server(accountId);
    if (accountId !== undefined && synced.accountId !== accountId) {
      throw new UserError(`library "${synced.name}" is synced here by another account of this profile`, 'conflict', { reason: 'other-account' });
    }
    return this.libraryServer(synced);
  }

  async listRemoteLibraries(accountId?: string): Promise<Library[]> {
    return (await this.remoteLibraryList(accountId)).libraries;
  }

  /** The server's libraries of an account, with that account's storage when the server says. */
  async remoteLibraryList(accountId?: string): Promise<LibraryListResponse> {
    return (await this.server(accountId)).call(routes.listLibraries);
  }

  async createLibrary(name: string, accountId?: string): Promise<Library> {
    return (await this.server(accountId)).call(routes.createLibrary, { body: { name } });
  }

  /** Who can use a server library: the owner first, then the members by name. */
  async members(libraryId: string, accountId?: string): Promise<Member[]> {
    return (await (await this.serverForLibrary(libraryId, accountId)).call(routes.listMembers, { params: { libraryId } })).members;
  }

  /** Shares a library (the caller owns it) with `user` as `role`, or changes their role. */
  async setMember(libraryId: string, user: string, role: MemberRole, accountId?: string): Promise<Member[]> {
    return (await (await this.serverForLibrary(libraryId, accountId)).call(routes.setMember, { params: { libraryId, userName: user }, body: { role } })).members;
  }

  /** Stops sharing a library with `user` (the owner may remove anyone; a member only themselves). */
  async removeMember(libraryId: string, user: string, accountId?: string): Promise<Member[]> {
    return (await (await this.serverForLibrary(libraryId, accountId)).call(routes.removeMember, { params: { libraryId, userName: user } })).members;
  }

  /** Finds a server library of an account (see resolveAccount) by id or by (unique) name. */
  async findRemoteLibrary(reference: string, accountId?: string): Promise<Library> {
    const libraries = await this.listRemoteLibraries(accountId);
    const byId = libraries.find((library) => library.id === reference);
    if (byId) return byId;
    const byName = libraries.filter((library) => library.name === reference);
    if (byName.length === 1) return byName[0]!;
    if (byName.length > 1) throw new UserError(`several libraries are named "${reference}"; use the id (see \`cairn library list\`)`, 'conflict');
    throw new UserError(`no library "${reference}" on the server`, 'not-found');
  }

  /** Finds a library synced on this device by id, name or local folder. */
  findSyncedLibrary(reference: string): LibraryRecord {
    const libraries = this.index.libraries.list();
    const resolved = path.resolve(reference);
    const found =
      libraries.find((library) => library.libraryId === reference) ??
      libraries.find((library) => library.name === reference) ??
      libraries.find((library) => library.localRoot === resolved);
    if (found === undefined) throw new UserError(`"${reference}" is not synced on this device (see \`cairn status\`)`, 'not-found');
    return found;
  }

  /**
   * Starts syncing a server library of an account (see resolveAccount) into a local folder
   * (created if missing). The library is bound to that account: its rounds use that account's
   * server, token and device only. One library syncs once per device, whichever account adds it.
   */
  async addSync(reference: string, localDir: string, only: readonly string[] = [], accountId?: string): Promise<LibraryRecord> {
    const account = this.resolveAccount(accountId);
    const library = await this.findRemoteLibrary(reference, account.accountId);
    const synced = this.index.libraries.get(library.id);
    if (synced !== undefined) {
      const other = synced.accountId !== account.accountId ? this.accounts().find((candidate) => candidate.accountId === synced.accountId) : undefined;
      throw new UserError(
        other === undefined ? `library "${library.name}" is already synced on this device` : `library "${library.name}" is already synced on this device by ${other.user} at ${other.serverUrl}`,
        'conflict',
      );
    }
    const absolute = path.resolve(localDir);
    await mkdir(absolute, { recursive: true });
    const root = await realpath(absolute);
    if (!(await stat(root)).isDirectory()) throw new UserError(`${root} is not a folder`);
    // The profile (index, credentials) must never be synced, nor hold a library.
    const profile = await realpath(this.home);
    if (root === profile || root.startsWith(profile + path.sep) || profile.startsWith(root + path.sep)) {
      throw new UserError(`${root} overlaps Cairn's profile folder (${profile}): pick another folder`, 'conflict');
    }
    for (const other of this.index.libraries.list()) {
      if (root === other.localRoot || root.startsWith(other.localRoot + path.sep) || other.localRoot.startsWith(root + path.sep)) {
        throw new UserError(`${root} overlaps the folder of library "${other.name}" (${other.localRoot}): pick another folder`, 'conflict');
      }
    }
    const selection = only.length === 0 ? null : only.map((item) => parseSelectionPath(item));
    return this.index.libraries.add({
      libraryId: library.id,
      name: library.name,
      localRoot: root,
      chunking: library.chunking,
      selection,
      role: library.role,
      owner: library.owner,
      accountId: account.accountId,
    });
  }

  /** Stops syncing a library on this device. Its local files stay where they are. */
  removeSync(reference: string): LibraryRecord {
    const library = this.findSyncedLibrary(reference);
    this.index.libraries.remove(library.libraryId);
    return library;
  }

  /**
   * Changes the selective-sync selection (empty = the whole library). Deselected folders are
   * no longer synced; their local files stay on disk (nothing is ever deleted by deselecting).
   */
  select(reference: string, paths: readonly string[]): LibraryRecord {
    const library = this.findSyncedLibrary(reference);
    const selection = paths.length === 0 ? null : paths.map((item) => parseSelectionPath(item));
    return this.index.libraries.update(library.libraryId, { selection });
  }

  /**
   * What a new selection (empty = the whole library) would take off this computer: the synced
   * files it no longer covers that are unchanged here (a changed one stays on disk), grouped by
   * the topmost path that leaves, in path order. Nothing is changed.
   */
  selectionLeaving(reference: string, paths: readonly string[]): SelectionLeaving[] {
    const library = this.findSyncedLibrary(reference);
    const next = paths.length === 0 ? null : paths.map((item) => parseSelectionPath(item));
    if (next === null) return [];
    const covered = (selection: readonly LibraryPath[] | null, candidate: LibraryPath) => selection === null || selection.some((selected) => isSameOrBelow(candidate, selected));
    const groups = new Map<LibraryPath, { files: number; bytes: number }>();
    for (const synced of this.index.synced.iterate(library.libraryId)) {
      if (synced.node.kind !== 'file' || !covered(library.selection, synced.path) || covered(next, synced.path)) continue;
      const local = this.index.local.get(library.libraryId, synced.path);
      if (local === undefined || local.node.kind !== 'file' || local.node.contentHash !== synced.node.contentHash) continue;
      // The topmost path that was synced and holds nothing the new selection keeps.
      const chain = [...ancestorPaths(synced.path).filter((folder): folder is LibraryPath => folder !== ''), synced.path];
      const top = chain.find((candidate) => covered(library.selection, candidate) && !next.some((kept) => isSameOrBelow(kept, candidate))) ?? synced.path;
      const group = groups.get(top) ?? { files: 0, bytes: 0 };
      group.files += 1;
      group.bytes += synced.node.size;
      groups.set(top, group);
    }
    return [...groups].map(([path, group]) => ({ path, ...group })).sort((a, b) => comparePaths(a.path, b.path));
  }

  /**
   * Pauses or resumes a library. Resuming a library that a circuit breaker paused (an emptied
   * folder, a mass deletion) is the user's confirmation: the next round goes ahead once.
   */
  setPaused(reference: string, paused: boolean): LibraryRecord {
    const library = this.findSyncedLibrary(reference);
    if (paused) return this.index.libraries.update(library.libraryId, { pause: { reason: 'user', since: Date.now() } });
    const reason = library.pause?.reason;
    const confirmed = reason === 'root-emptied' || reason === 'mass-delete' ? { reason, at: Date.now() } : null;
    return this.index.libraries.update(library.libraryId, { pause: null, lastError: null, breakerOverride: confirmed });
  }

  // ---- syncing ------------------------------------------------------------------------------

  /** One complete round for every synced library (or the one named). */
  async syncNow(
    options: {
      readonly only?: string;
      readonly onProgress?: (progress: RoundProgress) => void;
      /** Per-file transfer progress of large files, at most a few reports a second per file. */
      readonly onFileProgress?: (progress: FileProgress) => void;
      /** What to scan (see SyncDependencies.scope); the daemon passes what its watcher saw. */
      readonly scope?: readonly LibraryPath[] | 'all';
      /**
       * Wraps the server client the rounds use, for a caller that observes or paces their
       * requests (the daemon records activity and applies bandwidth limits this way).
       */
      readonly wrapClient?: (client: ServerClient) => ServerClient;
      /** False: no automatic merges after these rounds (a resolution in progress decides itself). */
      readonly autoMerge?: boolean;
      /** Aborting it stops the rounds within moments, as paused (see SyncDependencies.signal). */
      readonly signal?: AbortSignal;
    } = {},
  ): Promise<RoundSummary[]> {
    let libraries: LibraryRecord[];
    if (options.only !== undefined) libraries = [this.findSyncedLibrary(options.only)];
    else {
      if (this.tokens.size === 0) throw new UserError('not logged in: run `cairn login URL --user NAME` first', 'not-logged-in');
      // Every library of a signed-in account; a signed-out account's libraries wait for its login.
      libraries = this.index.libraries.list().filter((library) => this.librarySignedIn(library.libraryId));
    }
    // Each library's client is its own account's (checked before any round starts).
    const servers = new Map<string, ServerClient>();
    for (const library of libraries) servers.set(library.libraryId, await this.libraryServer(library));
    const [{ syncLibrary }, { afterRound }, { createLocalScanner }] = await Promise.all([
      import('./sync/syncLibrary.js'),
      import('./conflicts/afterRound.js'),
      import('./sync/createLocalScanner.js'),
    ]);
    const scanner = createLocalScanner(await this.chunkerPool(), { statOnThisThread: this.options.oneShot === true });
    const summaries: RoundSummary[] = [];
    for (const library of libraries) {
      // A crash can leave temp files of half-done downloads; none of ours is in flight yet. The
      // first round's scan of the whole folder removes them (see SyncDependencies.leftoverTemps);
      // a round that scans only some paths has them removed by a walk of their own first.
      if (!this.cleaned.has(library.libraryId) && options.scope !== undefined && options.scope !== 'all') {
        await cleanupTempFiles(library.localRoot, { listOnThisThread: this.options.oneShot === true }).catch(() => undefined);
        this.cleaned.add(library.libraryId);
      }
      const libraryId = library.libraryId;
      const server = servers.get(library.libraryId)!;
      const abortable = options.signal === undefined ? server : server.withSignal(options.signal);
      const client = options.wrapClient === undefined ? abortable : options.wrapClient(abortable);
      const accountId = library.accountId ?? '';
      /** The server's count of the library's open conflicts, from the round's first request (older servers: undefined). */
      let openOnServer: number | undefined;
      const deps: SyncDependencies = {
        index: this.index,
        client,
        deviceName: this.deviceName,
        scanner,
        ...(this.options.maxDeletes === undefined ? {} : { maxDeletes: this.options.maxDeletes }),
        ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
        ...(options.onFileProgress === undefined ? {} : { onFileProgress: options.onFileProgress }),
        ...(options.scope === undefined ? {} : { scope: options.scope }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        onLibrary: (described) => {
          openOnServer = described.openConflicts;
        },
        ...(this.cleaned.has(libraryId) ? {} : { leftoverTemps: { done: () => this.cleaned.add(libraryId) } }),
        ...(this.options.oneShot === true ? { writeOnThisThread: true } : {}),
      };
      const summary = await syncLibrary(deps, library.libraryId);
      const finished = await afterRound(deps, library.libraryId, summary, { chunkFile: this.chunkFile, autoMerge: options.autoMerge !== false, declined: this.declinedMerges });
      if (finished.outcome === 'synced' && !this.conflictsUnsupported.has(accountId)) {
        const { shareConflicts } = await import('./conflicts/sharedConflicts.js');
        const shared = await shareConflicts(
          {
            index: this.index,
            client,
            deviceName: this.deviceName,
            readOnly: this.index.libraries.get(library.libraryId)?.role === 'ro',
            ...(openOnServer === undefined ? {} : { openOnServer }),
          },
          library.libraryId,
        );
        if (shared.unsupported) this.conflictsUnsupported.add(accountId);
      }
      summaries.push(finished);
    }
    return summaries;
  }

  /** The libraries synced on this device, in the order they were added. */
  libraries(): LibraryRecord[] {
    return this.index.libraries.list();
  }

  /** A synced library by id, or undefined. */
  library(libraryId: string): LibraryRecord | undefined {
    return this.index.libraries.get(libraryId);
  }

  /** A synced library's open conflicts. */
  openConflicts(libraryId: string): ConflictRecord[] {
    return this.index.conflicts.list(libraryId);
  }

  /** A synced library's problems, as the last round saw them. */
  problems(libraryId: string): ProblemRecord[] {
    return this.index.problems.list(libraryId);
  }

  /**
   * Dismisses a problem the user understands (it no longer makes the library need attention)
   * or brings it back. The dismissal lasts while the same problem does: once it is gone, or
   * becomes another kind, it is a new problem.
   */
  setProblemDismissed(libraryId: string, problem: ProblemKey, dismissed: boolean): void {
    const library = this.findSyncedLibrary(libraryId);
    if (!this.index.problems.setDismissed(library.libraryId, problem, dismissed ? Date.now() : null)) {
      throw new UserError(`no such problem in ${library.name}: ${problem.kind} at ${JSON.stringify(problem.path || problem.name)}`, 'not-found');
    }
  }

  /**
   * Renames `name` in `folder` of a synced library's local folder to `newName` (NFC), a name
   * every system accepts, never replacing another file. The next scan sees the result.
   */
  async renameLocalItem(libraryId: string, folder: LibraryPath | '', name: string, newName: string): Promise<void> {
    const library = this.findSyncedLibrary(libraryId);
    const target = newName.normalize('NFC');
    const check = checkPortableName(target);
    if (!check.ok) throw new UserError(`${JSON.stringify(newName)} cannot be a name on every computer (${check.problem})`, 'invalid');
    if (name.includes('/') || name === '.' || name === '..') throw new UserError(`${JSON.stringify(name)} is not a single name`, 'invalid');
    const result = await renameInFolder(library.localRoot, folder, name, target);
    if (result === 'missing') throw new UserError(`${JSON.stringify(name)} is no longer in ${folder === '' ? 'the library folder' : folder}`, 'not-found');
    if (result === 'taken') throw new UserError(`${JSON.stringify(target)} already exists in ${folder === '' ? 'the library folder' : folder}`, 'conflict', { reason: 'name-taken' });
  }

  /**
   * What ignore rules being typed would do: their lines that are not what they seem, and which
   * of the library's files and folders (as last scanned: the index, no disk walk) they match.
   */
  previewIgnoreRules(libraryId: string, text: string, limit: number): IgnorePreview {
    const library = this.findSyncedLibrary(libraryId);
    const entries = this.index.local.iterate(library.libraryId);
    function* shapes() {
      for (const entry of entries) yield { path: entry.path, isDirectory: entry.node.kind === 'dir' };
    }
    return previewIgnoreRules(text, shapes(), limit);
  }

  /** What the index knows about each synced library (see LibraryFacts). */
  facts(): LibraryFacts[] {
    return this.index.libraries.list().map((library) => {
      const openConflicts = this.index.conflicts.list(library.libraryId).length;
      const problems = this.index.problems.list(library.libraryId);
      return {
        libraryId: library.libraryId,
        name: library.name,
        localRoot: library.localRoot,
        selection: library.selection,
        pause: library.pause,
        lastSyncAt: library.lastSyncAt,
        lastError: library.lastError,
        openConflicts,
        problems,
        autoMerge: library.autoMerge,
        role: library.role,
        owner: library.owner,
        accountId: library.accountId,
        signedIn: this.librarySignedIn(library.libraryId),
      };
    });
  }

  // ---- conflicts, history -------------------------------------------------------------------

  conflicts(): ConflictRecord[] {
    return this.index.libraries.list().flatMap((library) => this.index.conflicts.list(library.libraryId));
  }

  /** The open conflict with this id, or undefined. */
  findConflict(conflictId: number): ConflictRecord | undefined {
    const found = this.index.conflicts.get(conflictId);
    if (found === undefined || found.resolvedAt !== null || this.index.libraries.get(found.libraryId) === undefined) return undefined;
    return found;
  }

  /**
   * Both versions of an open conflict as they are on disk now, the merge base when the server's
   * history holds it, and a preview (see shared/api's ConflictDetails). Changes nothing.
   */
  async conflictDetails(conflictId: number): Promise<ConflictDetails> {
    const { conflict, library } = this.openConflict(conflictId);
    const { conflictDetails } = await import('./conflicts/conflictDetails.js');
    return conflictDetails(await this.conflictReader(library), conflict, library);
  }

  /**
   * Resolves an open conflict. keep 'remote' deletes the conflict copy; 'local' puts the copy's
   * content back under the name; 'both' keeps both files; 'merged' writes the three-way merge of
   * both (with `options.choices` for overlapping changes) under the name and deletes the copy.
   * `options.versions` (required for 'merged') must match the files, or nothing is done. The
   * library is synced by `round` before (so both versions are current and on the server) and
   * after (so the resolution reaches the server at once); the versions replaced stay in the
   * server's history. `round` is the caller's: the daemon runs it through the library's
   * runner, which holds its other rounds back meanwhile. `wrapClient` wraps the server client
   * the resolution reads versions with (the daemon paces it by the bandwidth limits).
   */
  async resolveConflict(
    conflictId: number,
    keep: KeepChoice,
    options: ResolveOptions,
    round: ResolutionRound,
    wrapClient?: (client: ServerClient) => ServerClient,
  ): Promise<ConflictRecord> {
    const { conflict, library } = this.openConflict(conflictId);
    if (keep === 'merged' && options.versions === undefined) throw new UserError('a merge needs the version tokens of the preview it was decided on', 'invalid');
    if (keep !== 'merged' && options.choices !== undefined) throw new UserError(`merge choices belong to keep 'merged', not '${keep}'`, 'invalid');
    await round(library.libraryId);
    const current = this.findConflict(conflictId);
    if (current === undefined) throw new UserError(`conflict ${conflictId} is not open (resolved already?)`, 'not-found');
    const request: ResolveRequest =
      keep === 'merged'
        ? { keep, choices: options.choices ?? [], ...(options.versions === undefined ? {} : { versions: options.versions }) }
        : { keep, ...(options.versions === undefined ? {} : { versions: options.versions }) };
    const { resolveOnDisk } = await import('./conflicts/resolveConflict.js');
    await resolveOnDisk(await this.conflictReader(library, wrapClient), current, library, request);
    await round(library.libraryId);
    return conflict;
  }

  /**
   * Resolves many conflicts the same way ("apply this choice to all similar conflicts"), each
   * on its own: one that fails does not stop the others. keep 'merged' resolves clean merges
   * only. Each library is synced by `round` once before and once after its conflicts (see
   * resolveConflict).
   */
  async resolveConflicts(
    conflictIds: readonly number[],
    keep: KeepChoice,
    round: ResolutionRound,
    wrapClient?: (client: ServerClient) => ServerClient,
  ): Promise<BatchOutcome[]> {
    const outcomes = new Map<number, BatchOutcome>();
    const byLibrary = new Map<string, ConflictRecord[]>();
    for (const conflictId of conflictIds) {
      const conflict = this.findConflict(conflictId);
      if (conflict === undefined) {
        outcomes.set(conflictId, { conflictId, outcome: 'failed', error: new UserError(`conflict ${conflictId} is not open (resolved already?)`, 'not-found') });
        continue;
      }
      byLibrary.set(conflict.libraryId, [...(byLibrary.get(conflict.libraryId) ?? []), conflict]);
    }
    const { resolveOnDisk } = await import('./conflicts/resolveConflict.js');
    for (const [libraryId, conflicts] of byLibrary) {
      const library = this.index.libraries.get(libraryId);
      if (library === undefined) continue;
      const reader = await this.conflictReader(library, wrapClient);
      await round(libraryId);
      for (const conflict of conflicts) {
        try {
          const current = this.findConflict(conflict.conflictId);
          if (current === undefined) throw new UserError(`conflict ${conflict.conflictId} is not open (resolved already?)`, 'not-found');
          await resolveOnDisk(reader, current, library, keep === 'merged' ? { keep, choices: 'clean-only' } : { keep });
          outcomes.set(conflict.conflictId, { conflictId: conflict.conflictId, outcome: 'resolved', conflict });
        } catch (error) {
          outcomes.set(conflict.conflictId, { conflictId: conflict.conflictId, outcome: 'failed', error });
        }
      }
      await round(libraryId);
    }
    return conflictIds.map((conflictId) => outcomes.get(conflictId) ?? { conflictId, outcome: 'failed', error: new UserError(`conflict ${conflictId} is not open`, 'not-found') });
  }

  /** Allows, or stops, automatic clean merges of a synced library's text conflicts. */
  setAutoMerge(reference: string, autoMerge: boolean): LibraryRecord {
    const library = this.findSyncedLibrary(reference);
    return this.index.libraries.update(library.libraryId, { autoMerge });
  }

  private openConflict(conflictId: number): { conflict: ConflictRecord; library: LibraryRecord } {
    const conflict = this.findConflict(conflictId);
    if (conflict === undefined) throw new UserError(`conflict ${conflictId} is not open (resolved already?)`, 'not-found');
    const library = this.index.libraries.get(conflict.libraryId);
    if (library === undefined) throw new UserError(`the library of conflict ${conflictId} is not synced any more`, 'not-found');
    return { conflict, library };
  }

  /** What conflict work of one library reads with: that library's own account's client. */
  private async conflictReader(library: LibraryRecord, wrapClient?: (client: ServerClient) => ServerClient): Promise<ConflictReader> {
    await loadRemote();
    const account = this.accountOfLibrary(library);
    return { index: this.index, server: () => (wrapClient === undefined ? this.loadedServer(account) : wrapClient(this.loadedServer(account))), chunkFile: this.chunkFile };
  }

  /** The engine's chunker worker pool, started on first use. */
  private async chunkerPool(): Promise<ChunkerPool> {
    const { createChunkerPool } = await import('./chunker/chunkerPool.js');
    this.pool ??= createChunkerPool();
    return this.pool;
  }

  /** Chunks a file on the engine's worker pool. */
  private readonly chunkFile: ChunkFileFunction = async (file, params, options) => (await this.chunkerPool()).chunkFile(file, params, options);

  /**
   * What a library has waiting to go up and down if a round ran now (see sync/pendingWork.ts);
   * null when its folder cannot be read. Changes nothing; the download side is null offline.
   */
  async pendingWork(reference: string): Promise<PendingWork | null> {
    const library = this.findSyncedLibrary(reference);
    const [{ pendingWork }, { createLocalScanner }] = await Promise.all([import('./sync/pendingWork.js'), import('./sync/createLocalScanner.js')]);
    // Not logged in (or the client cannot be made): only the way up is counted.
    const client: ServerClient | null = await this.libraryServer(library).catch(() => null);
    return pendingWork({ index: this.index, library, scanner: createLocalScanner(await this.chunkerPool()), client, deviceName: this.deviceName });
  }

  /** Every version of a path of a synced library, newest first, from the server's history. */
  async history(libraryId: string, libraryPath: LibraryPath): Promise<Entry[]> {
    const library = this.findSyncedLibrary(libraryId);
    return (await (await this.libraryServer(library)).call(routes.history, { params: { libraryId: library.libraryId }, query: { path: libraryPath } })).versions;
  }

  /**
   * Restores a version of a path (default: the newest live version before the current one) on
   * the server, as a new version. Bringing it to this disk is the next round's work.
   */
  async restore(libraryId: string, libraryPath: LibraryPath, rev?: number): Promise<Entry> {
    const library = this.findSyncedLibrary(libraryId);
    const versions = await this.history(library.libraryId, libraryPath);
    const latest = versions[0];
    const target = rev === undefined ? versions.find((version, position) => !version.deleted && (position > 0 || latest?.deleted)) : versions.find((version) => version.rev === rev);
    if (target === undefined || target.deleted) throw new UserError(rev === undefined ? `no earlier version of ${libraryPath} to restore` : `${libraryPath} has no live version ${rev}`, 'not-found');
    const answer = await (await this.libraryServer(library)).call(routes.restore, {
      params: { libraryId: library.libraryId },
      body: { path: libraryPath, rev: target.rev, baseRev: latest === undefined ? null : latest.rev },
    });
    const result = answer.results[0];
    if (result === undefined || result.status !== 'applied') throw new UserError(`the server refused to restore ${libraryPath}: it changed meanwhile, try again`, 'conflict');
    return result.entry;
  }

  /**
   * Writes version `rev` of a file beside it as a new file, `name (restored YYYY-MM-DD HH.MM).ext`
   * (unique, never replacing anything), atomically and from verified chunks; the next round
   * uploads it. Answers the copy's path (see restore/restoreCopy.ts).
   */
  async restoreAsCopy(libraryId: string, libraryPath: LibraryPath, rev: number): Promise<LibraryPath> {
    const library = this.findSyncedLibrary(libraryId);
    const version = (await this.history(library.libraryId, libraryPath)).find((candidate) => candidate.rev === rev);
    if (version === undefined) throw new UserError(`${libraryPath} has no version ${rev}`, 'not-found');
    const { restoreCopy } = await import('./restore/restoreCopy.js');
    return restoreCopy({ index: this.index, client: await this.libraryServer(library), library, path: libraryPath, version });
  }

  /**
   * Writes the whole library as it was at `at` (ms) into `target`, a new or empty folder outside
   * every synced library and the profile (see restore/restoreSnapshot.ts).
   */
  async restoreSnapshot(libraryId: string, at: number, target: string, onProgress?: (progress: SnapshotProgress) => void): Promise<SnapshotResult> {
    const library = this.findSyncedLibrary(libraryId);
    const { restoreSnapshot } = await import('./restore/restoreSnapshot.js');
    return restoreSnapshot({ index: this.index, client: await this.libraryServer(library), library, at, target, forbidden: [this.home], ...(onProgress === undefined ? {} : { onProgress }) });
  }

  /**
   * Writes version `rev` of a file into a private, read-only file under the profile, for the
   * OS's app to open (see restore/openedVersions.ts). Answers its absolute path.
   */
  async exportVersion(libraryId: string, libraryPath: LibraryPath, rev: number): Promise<string> {
    const library = this.findSyncedLibrary(libraryId);
    const version = (await this.history(library.libraryId, libraryPath)).find((candidate) => candidate.rev === rev);
    if (version === undefined) throw new UserError(`${libraryPath} has no version ${rev}`, 'not-found');
    const { exportVersion } = await import('./restore/openedVersions.js');
    return exportVersion({ home: this.home, index: this.index, client: await this.libraryServer(library), library, path: libraryPath, version });
  }

  /** Removes opened versions (see exportVersion) older than a day. */
  async removeOldOpenedVersions(): Promise<void> {
    const { removeOldOpenedVersions } = await import('./restore/openedVersions.js');
    await removeOldOpenedVersions(this.home, Date.now());
  }

  /**
   * What version `rev` of a file holds, for a preview: its text, its picture (the type sniffed
   * from the bytes), or only that it is binary or too large to read. The bytes come from the
   * server, verified chunk by chunk and as a whole.
   */
  async versionPreview(libraryId: string, libraryPath: LibraryPath, rev: number): Promise<VersionPreview> {
    const library = this.findSyncedLibrary(libraryId);
    const version = (await this.history(library.libraryId, libraryPath)).find((candidate) => candidate.rev === rev);
    if (version === undefined) throw new UserError(`${libraryPath} has no version ${rev}`, 'not-found');
    if (version.deleted) return { kind: 'none', reason: 'deleted' };
    if (version.kind === 'dir') return { kind: 'none', reason: 'folder' };
    const { downloadContent } = await import('./conflicts/conflictVersions.js');
    const { sniffImageType } = await import('./conflicts/contentKind.js');
    const { decodeText } = await import('../../shared/merge/index.js');
    if (version.size > Math.max(MAX_PREVIEW_IMAGE_BYTES, MAX_PREVIEW_TEXT_BYTES)) return { kind: 'binary', reason: 'too-large' };
    const bytes = await downloadContent(await this.libraryServer(library), library.libraryId, version.chunks, version.contentHash, version.size);
    const mimeType = sniffImageType(bytes);
    if (mimeType !== null && bytes.length <= MAX_PREVIEW_IMAGE_BYTES) {
      return { kind: 'image', image: { mimeType, dataUrl: `data:${mimeType};base64,${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}` } };
    }
    if (bytes.length > MAX_PREVIEW_TEXT_BYTES) return { kind: 'binary', reason: 'too-large' };
    if (decodeText(bytes) === null) return { kind: 'binary', reason: 'not-text' };
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    return { kind: 'text', text: text.startsWith('\uFEFF') ? text.slice(1) : text };
  }

  /** The library's trash (deleted paths with the version a restore brings back), newest deletion first. */
  async trash(libraryId: string): Promise<{ readonly items: TrashItem[]; readonly hasMore: boolean }> {
    const library = this.findSyncedLibrary(libraryId);
    const answer = await (await this.libraryServer(library)).call(routes.trash, { params: { libraryId: library.libraryId }, query: { limit: PROTOCOL_LIMITS.maxPageSize } });
    return { items: [...answer.items].sort((a, b) => b.deleted.committedAt - a.deleted.committedAt), hasMore: answer.hasMore };
  }

  /**
   * One page of one folder of a synced library ('' for its root) with each path's state on
   * this computer, from the index and the folder on disk (see browse/listFolder.ts).
   */
  async listFolder(libraryId: string, folder: LibraryPath | '', cursor?: string): Promise<FileListing> {
    const library = this.findSyncedLibrary(libraryId);
    const { listFolder } = await import('./browse/listFolder.js');
    return listFolder({ index: this.index, library, ignoreText: await readIgnoreFile(library.localRoot), folder, ...(cursor === undefined ? {} : { cursor }) });
  }

  // ---- ignore rules, remote folders ---------------------------------------------------------

  /** The text of a synced library's `.cairnignore` ('' when it has none). */
  async readIgnoreRules(reference: string): Promise<string> {
    const library = this.findSyncedLibrary(reference);
    return (await readIgnoreFile(library.localRoot)) ?? '';
  }

  /**
   * Replaces a synced library's `.cairnignore` atomically (temp file, fsync, rename). It is
   * refused, as a 'conflict', when the file changed on disk between our look and the rename.
   * The file is part of the library, so the rules reach the other devices too.
   */
  async writeIgnoreRules(reference: string, text: string): Promise<void> {
    const library = this.findSyncedLibrary(reference);
    const file = path.join(library.localRoot, IGNORE_FILE_NAME);
    const found = observe(await lstat(file).catch((error: unknown) => {
      if (fsErrorCode(error) === 'ENOENT') return undefined;
      throw error;
    }));
    if (found.kind !== 'absent' && found.kind !== 'file') throw new UserError(`${file} is not a plain file; remove it first`, 'conflict');
    const bytes = Buffer.from(text, 'utf8');
    async function* content(): AsyncGenerator<Uint8Array> {
      yield bytes;
    }
    const result = await writeFileAtomic(library.localRoot, IGNORE_FILE_NAME as LibraryPath, content(), {
      mtimeMs: Date.now(),
      executable: false,
      expect: found,
    });
    switch (result.status) {
      case 'written':
        return;
      case 'changed':
        throw new UserError(`${file} changed while it was being saved; read the rules again and retry`, 'conflict');
      default:
        throw new UserError(`${file} cannot be written: ${result.message}`, 'conflict');
    }
  }

  /**
   * The live entries of a server library (synced here or not) at or below `folder` ('' for
   * the whole library), read from the server's snapshot at one sequence number.
   */
  async remoteSnapshot(libraryId: string, folder: LibraryPath | '', accountId?: string): Promise<RemoteSnapshot> {
    const client = await this.serverForLibrary(libraryId, accountId);
    const prefix = folder === '' ? '' : `${folder}/`;
    const entries: Entry[] = [];
    let seq: number | undefined;
    // Snapshots are ordered by the UTF-8 bytes of their paths, so the entries below a folder
    // follow the folder itself: start after it and stop at the first path past its subtree.
    let after: LibraryPath | undefined = folder === '' ? undefined : folder;
    for (;;) {
      const page = await client.call(routes.snapshot, {
        params: { libraryId },
        query: { limit: PROTOCOL_LIMITS.maxPageSize, ...(seq === undefined ? {} : { seq }), ...(after === undefined ? {} : { after }) },
      });
      seq = page.seq;
      let passed = false;
      for (const entry of page.entries) {
        if (prefix === '' || entry.path.startsWith(prefix)) entries.push(entry);
        else if (entry.path !== folder && comparePaths(entry.path, prefix) > 0) {
          passed = true;
          break;
        }
      }
      const last = page.entries.at(-1);
      if (passed || !page.hasMore || last === undefined) break;
      after = last.path;
    }
    if (folder !== '') {
      // An empty folder has nothing below it; its own history says whether it is live.
      const exists = entries.length > 0 || (await this.remoteEntryExists(client, libraryId, folder));
      if (!exists) throw new UserError(`there is no folder ${folder} in this library on the server`, 'not-found');
    }
    return { seq: seq ?? 0, entries };
  }

  private async remoteEntryExists(client: ServerClient, libraryId: string, folder: LibraryPath): Promise<boolean> {
    const { versions } = await client.call(routes.history, { params: { libraryId }, query: { path: folder } });
    const latest = versions[0];
    return latest !== undefined && !latest.deleted && latest.kind === 'dir';
  }
}

/** The text of `.cairnignore` at a library root, or undefined when there is none. */
export async function readIgnoreFile(root: string): Promise<string | undefined> {
  try {
    return await readFile(path.join(root, IGNORE_FILE_NAME), 'utf8');
  } catch (error) {
    if (fsErrorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

function parseSelectionPath(raw: string): LibraryPath {
  const check = canonicalizeLocalPath(raw.replace(/^\/+|\/+$/g, ''), '/');
  if (!check.ok) throw new UserError(`"${raw}" is not a valid path inside the library (${check.problem})`, 'invalid');
  return check.path;
}

