// The cairn-server command line:
//
//   cairn-server [serve] [BACKEND] [--listen HOST:PORT] [--gc-hours N] [--trust-proxy ADDRESSES] [--max-connections N]
//   cairn-server user add NAME [--admin] [BACKEND]     (password: one line on standard input)
//   cairn-server user passwd NAME [BACKEND]            (password: one line on standard input)
//   cairn-server user list [BACKEND]
//   cairn-server user remove NAME [BACKEND]
//   cairn-server user admin NAME on|off [BACKEND]
//   cairn-server user quota NAME SIZE|none [BACKEND]
//   cairn-server fsck [--repair] [BACKEND]
//   cairn-server gc [BACKEND]
//   cairn-server migrate --from DIR SCALE-OUT-BACKEND
//
// BACKEND is --data DIR (the embedded SQLite + folder backend, the default) or
// --metadata postgres://... --chunks s3://... (the scale-out backend; see storage/scaleOutStores.ts).
//
// main() returns the exit code: 0 success, 1 failure, 2 wrong usage.

import { realpathSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { defaultDataDir } from './dataDir.js';
import { dataFolderWarning } from './ownerOnlyFiles.js';
import { jsonLogger } from './log.js';
import { fsck } from './maintenance/fsck.js';
import { dataPaths, openEmbeddedStores, startServer } from './server.js';
import { NameTakenError } from './storage/metadataStore.js';
import { SqliteMetadataStore } from './storage/sqliteMetadataStore.js';
import { closeStores } from './storage/stores.js';
import type { Stores } from './storage/stores.js';
import { AdminError, addUser, describeStorage, removeUser, resetPassword, setAdmin, setQuota } from './users.js';

const USAGE = `usage:
  cairn-server [serve] [BACKEND] [--listen HOST:PORT] [--gc-hours N] [--trust-proxy ADDRESSES] [--max-connections N]
  cairn-server user add NAME [--admin] [BACKEND]   reads the password from standard input
  cairn-server user passwd NAME [BACKEND]          reads the new password from standard input; signs out all devices
  cairn-server user list [BACKEND]
  cairn-server user remove NAME [BACKEND]          signs the user out and trashes their libraries (nothing is deleted)
  cairn-server user admin NAME on|off [BACKEND]
  cairn-server user quota NAME SIZE|none [BACKEND] limits the current files of the libraries NAME owns
                                                   (e.g. 10GB, 500MiB; none: no limit); user list shows usage
  cairn-server fsck [--repair] [BACKEND]           checks every stored chunk and every library; exits 1 if
                                                   anything is wrong. --repair marks damaged chunks missing,
                                                   so the next client that has them uploads them again
  cairn-server gc [BACKEND]                        reclaims uploads never committed, dead pack bytes and
                                                   unfinished uploads (scale-out backend; run it daily)
  cairn-server migrate --from DIR --metadata URL --chunks URL
                                                   copies a stopped embedded server's data folder into an
                                                   empty scale-out backend, hashing every chunk, then reads
                                                   it all back; run it again to resume if interrupted
  cairn-server --version                           prints the version

  BACKEND, the embedded default:
  --data DIR           data folder (default: $CAIRN_SERVER_DATA or the user data folder)
  BACKEND, scale-out (any number of instances on one database and one bucket):
  --metadata URL       postgres://USER@HOST:PORT/DATABASE (password: PGPASSWORD, PGPASSWORD_FILE or ~/.pgpass)
  --chunks URL         's3://BUCKET?endpoint=http://HOST:PORT&region=REGION&forcePathStyle=true'
                       (keys: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or their _FILE variants)
  --listen HOST:PORT   address to serve on (default 127.0.0.1:8080; port 0 picks a free port)
  --trust-proxy ADDRESSES
                       IP addresses (comma-separated) of reverse proxies whose X-Forwarded-For
                       names the client; set it behind a proxy, or failed logins of one client
                       lock out everyone behind it
  --max-connections N  most connections open at once (default 1024)
  --gc-hours N         scale-out backend: collect garbage every N hours (default 24; 0: never,
                       run cairn-server gc instead); one instance at a time collects`;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Parses HOST:PORT, with IPv6 hosts in brackets ([::1]:8080). */
export function parseListen(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value);
  const port = match === null ? NaN : Number(match[3]);
  if (match === null || port > 65535) throw new UsageError(`--listen wants HOST:PORT (for example 127.0.0.1:8080), not ${JSON.stringify(value)}`);
  return { host: match[1] ?? match[2]!, port };
}

/** The streams a command talks to: the process's own, or a test's. */
export interface CommandIo {
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean; setRawMode?(mode: boolean): unknown };
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

const processIo: CommandIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

/** Reads one line from standard input, without echoing it when it is a terminal. */
async function readPasswordLine(io: CommandIo, prompt: string): Promise<string> {
  const input = io.stdin;
  const terminal = input.isTTY === true && input.setRawMode !== undefined;
  if (terminal) {
    io.stderr.write(prompt);
    input.setRawMode!(true);
  }
  input.setEncoding('utf8');
  let line = '';
  try {
    for await (const piece of input) {
      for (const char of piece as string) {
        if (char === '\n' || char === '\r') return line;
        if (char === '\u0003') throw new UsageError('cancelled');
        if (terminal && (char === '\u007f' || char === '\b')) line = line.slice(0, -1);
        else line += char;
      }
    }
    if (line === '') throw new UsageError('no password on standard input: send it as one line');
    return line;
  } finally {
    if (terminal) {
      input.setRawMode!(false);
      io.stderr.write('\n');
    }
    input.pause();
  }
}

interface BackendChoice {
  readonly dataDir: string;
  readonly metadata: string | undefined;
  readonly chunks: string | undefined;
}

/** Opens the backend the flags name; a server also listens for other instances' announcements. */
async function openBackend(choice: BackendChoice, listen: boolean): Promise<Stores> {
  if (choice.metadata === undefined && choice.chunks === undefined) return openEmbeddedStores(choice.dataDir);
  // The scale-out backend's modules (PostgreSQL, S3, its garbage collector) are loaded only
  // when it is chosen: an embedded server never holds them in memory (some 9 MiB).
  const { openScaleOutStores, scaleOutTarget } = await import('./storage/scaleOutStores.js');
  let target;
  try {
    target = scaleOutTarget(choice.metadata, choice.chunks);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (target === null) return openEmbeddedStores(choice.dataDir);
  const log = jsonLogger();
  return openScaleOutStores(target, { listen, log: (message, fields) => log('warn', message, fields) });
}

/** Parses --gc-hours: a number of hours from 0 (never) up to a year. */
export function parseGcHours(value: string): number {
  const hours = Number(value);
  if (value.trim() === '' || !Number.isFinite(hours) || hours < 0 || hours > 24 * 366) throw new UsageError(`--gc-hours wants a number of hours (0 for never), not ${JSON.stringify(value)}`);
  return hours;
}

/** The serve command's options beyond the backend. */
interface ServeFlags {
  readonly listen: string;
  readonly gcHours: number;
  readonly trustProxy: string | undefined;
  readonly maxConnections: string | undefined;
}

async function serve(io: CommandIo, choice: BackendChoice, flags: ServeFlags): Promise<number> {
  const { host, port } = parseListen(flags.listen);
  const trustedProxies = flags.trustProxy === undefined ? [] : flags.trustProxy.split(',').map((address) => address.trim()).filter((address) => address !== '');
  let maxConnections: number | undefined;
  if (flags.maxConnections !== undefined) {
    maxConnections = Number(flags.maxConnections);
    if (!/^[1-9][0-9]{0,6}$/.test(flags.maxConnections)) throw new UsageError(`--max-connections wants a positive whole number, not ${JSON.stringify(flags.maxConnections)}`);
  }
  const stores = await openBackend(choice, true);
  const log = jsonLogger((line) => io.stderr.write(line));
  let server;
  try {
    server = await startServer({ stores, host, port, log, trustedProxies, ...(maxConnections === undefined ? {} : { connectionLimits: { maxConnections } }) });
  } catch (error) {
    await closeStores(stores);
    if (error instanceof TypeError && /trusted proxy/.test(error.message)) throw new UsageError(`--trust-proxy: ${error.message}`);
    throw error;
  }
  const collectGarbage = stores.collectGarbage;
  const schedule =
    collectGarbage === undefined || flags.gcHours === 0
      ? null
      : (await import('./maintenance/gcSchedule.js')).scheduleGarbageCollection(collectGarbage, { intervalMs: flags.gcHours * 60 * 60 * 1000, log });
  io.stdout.write(`listening on ${server.url}\n`);
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  io.stderr.write(`cairn-server: ${signal} received, stopping after the requests in flight\n`);
  await schedule?.stop();
  await server.close();
  return 0;
}

async function user(io: CommandIo, args: readonly string[], choice: BackendChoice, admin: boolean): Promise<number> {
  const [command, name, extra] = args;
  const stores = await openBackend(choice, false);
  try {
    switch (command) {
      case 'add': {
        if (name === undefined) throw new UsageError('user add needs a NAME');
        const password = await readPasswordLine(io, `password for ${name}: `);
        await addUser(stores.metadata, name, password, { admin });
        io.stdout.write(`added user ${name}${admin ? ' (admin)' : ''}\n`);
        return 0;
      }
      case 'passwd': {
        if (name === undefined) throw new UsageError('user passwd needs a NAME');
        const password = await readPasswordLine(io, `new password for ${name}: `);
        const revoked = await resetPassword(stores.metadata, name, password);
        io.stdout.write(`changed the password of ${name}; signed out ${revoked} device(s)\n`);
        return 0;
      }
      case 'list': {
        for (const record of await stores.metadata.users.list()) {
          const flags = [record.admin ? 'admin' : '', record.removedAt !== null ? 'removed' : ''].filter((flag) => flag !== '');
          const usage = await stores.metadata.users.usage(record.id);
          io.stdout.write(`${record.name}${flags.length > 0 ? ` (${flags.join(', ')})` : ''}  ${describeStorage(usage)}\n`);
        }
        return 0;
      }
      case 'remove': {
        if (name === undefined) throw new UsageError('user remove needs a NAME');
        await removeUser(stores.metadata, name);
        io.stdout.write(`removed user ${name}; their libraries are in the trash and their data is kept\n`);
        return 0;
      }
      case 'admin': {
        if (name === undefined || (extra !== 'on' && extra !== 'off')) throw new UsageError('user admin needs a NAME and on or off');
        await setAdmin(stores.metadata, name, extra === 'on');
        io.stdout.write(`${name} is ${extra === 'on' ? 'now' : 'no longer'} an admin\n`);
        return 0;
      }
      case 'quota': {
        if (name === undefined || extra === undefined) throw new UsageError('user quota needs a NAME and a SIZE (e.g. 10GB, 500MiB) or none');
        const usage = await setQuota(stores.metadata, name, extra);
        io.stdout.write(`${name}: ${describeStorage(usage)}\n`);
        return 0;
      }
      default:
        throw new UsageError(`unknown user command ${JSON.stringify(command ?? '')}`);
    }
  } finally {
    await closeStores(stores);
  }
}

async function checkBackend(io: CommandIo, choice: BackendChoice, repair: boolean): Promise<number> {
  const stores = await openBackend(choice, false);
  try {
    const report = await fsck(stores, { repair });
    for (const problem of report.problems) io.stdout.write(`${problem.kind}: ${problem.detail}\n`);
    io.stdout.write(
      `checked ${report.packs} packs (${report.chunks} chunks, ${report.bytes} bytes) and ${report.libraries} libraries: ${report.problems.length} problem(s)` +
        `${repair ? `; ${report.repaired} chunk(s) now count as missing until a client uploads them again` : ''}\n`,
    );
    return report.problems.length === 0 ? 0 : 1;
  } finally {
    await closeStores(stores);
  }
}

async function garbageCollect(io: CommandIo, choice: BackendChoice): Promise<number> {
  const stores = await openBackend(choice, false);
  try {
    if (stores.collectGarbage === undefined) {
      io.stdout.write('the embedded backend keeps every chunk it stored; nothing to collect\n');
      return 0;
    }
    const { DEFAULT_GC_OPTIONS } = await import('./storage/scaleOutGarbageCollector.js');
    const report = await stores.collectGarbage({ ...DEFAULT_GC_OPTIONS, now: Date.now() });
    io.stdout.write(
      `unlinked ${report.unlinked} uncommitted chunk(s), swept ${report.swept} location(s), repacked ${report.repacked} pack(s), ` +
        `retired ${report.retired}, deleted ${report.deletedPacks} pack(s) (${report.freedBytes} bytes) and ${report.deletedPending} unfinished upload(s)\n`,
    );
    return 0;
  } finally {
    await closeStores(stores);
  }
}

async function migrateCommand(io: CommandIo, from: string, choice: BackendChoice): Promise<number> {
  const paths = dataPaths(from);
  let name: string;
  try {
    name = realpathSync(from);
    statSync(paths.metadata);
  } catch {
    throw new UsageError(`${from} is not an embedded server's data folder (no ${paths.metadata})`);
  }
  const source = await openEmbeddedStores(name);
  try {
    const target = await openBackend(choice, false);
    try {
      const [{ migrateEmbedded }, { PostgresMetadataStore }, { S3ChunkStore }] = await Promise.all([
        import('./maintenance/migrate.js'),
        import('./storage/postgres/postgresMetadataStore.js'),
        import('./storage/s3/s3ChunkStore.js'),
      ]);
      if (!(source.metadata instanceof SqliteMetadataStore) || !(target.metadata instanceof PostgresMetadataStore) || !(target.chunks instanceof S3ChunkStore)) {
        throw new UsageError('migrate copies an embedded data folder into the scale-out backend');
      }
      const report = await migrateEmbedded(
        { name, metadata: source.metadata, chunks: source.chunks },
        { metadata: target.metadata, chunks: target.chunks, stores: target },
        { progress: (line) => io.stdout.write(`${line}\n`) },
      );
      for (const item of report.damaged) io.stdout.write(`damaged-chunk: ${item.reason} (owner ${item.ownerId}); marked missing\n`);
      for (const problem of [...report.problems, ...report.inherited]) io.stdout.write(`${problem.kind}: ${problem.detail}\n`);
      io.stdout.write(
        report.completed
          ? `migration complete: ${report.chunksNeeded} chunks in place (${report.chunksCopied} copied now, ${report.chunksSkipped} before), ${report.damaged.length} damaged; servers may now serve from the new backend\n`
          : 'migration NOT complete: the copied chunks have the problems above; fix them and run migrate again\n',
      );
      return report.completed ? 0 : 1;
    } finally {
      await closeStores(target);
    }
  } finally {
    await closeStores(source);
  }
}

export async function main(argv: readonly string[], io: CommandIo = processIo): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        data: { type: 'string' },
        metadata: { type: 'string' },
        chunks: { type: 'string' },
        listen: { type: 'string', default: '127.0.0.1:8080' },
        'trust-proxy': { type: 'string' },
        'max-connections': { type: 'string' },
        admin: { type: 'boolean', default: false },
        repair: { type: 'boolean', default: false },
        from: { type: 'string' },
        'gc-hours': { type: 'string', default: '24' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (values.help) {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (values.data !== undefined && (values.metadata !== undefined || values.chunks !== undefined)) {
      throw new UsageError('choose one backend: --data DIR, or --metadata and --chunks');
    }
    const choice: BackendChoice = { dataDir: values.data ?? defaultDataDir(), metadata: values.metadata, chunks: values.chunks };
    const [command = 'serve', ...rest] = positionals;
    if (choice.metadata === undefined && choice.chunks === undefined) {
      const warning = await dataFolderWarning(choice.dataDir);
      if (warning !== null) io.stderr.write(`cairn-server: warning: ${warning}\n`);
    }
    switch (command) {
      case 'serve':
        if (rest.length > 0) throw new UsageError(`serve takes no arguments, got ${rest.join(' ')}`);
        return await serve(io, choice, { listen: values.listen, gcHours: parseGcHours(values['gc-hours']), trustProxy: values['trust-proxy'], maxConnections: values['max-connections'] });
      case 'user':
        return await user(io, rest, choice, values.admin);
      case 'gc':
        if (rest.length > 0) throw new UsageError(`gc takes no arguments, got ${rest.join(' ')}`);
        return await garbageCollect(io, choice);
      case 'migrate':
        if (rest.length > 0) throw new UsageError(`migrate takes no arguments, got ${rest.join(' ')}`);
        if (values.from === undefined) throw new UsageError('migrate needs --from DIR, the embedded data folder');
        if (values.data !== undefined || values.metadata === undefined || values.chunks === undefined) {
          throw new UsageError('migrate copies into the scale-out backend: give --metadata and --chunks (and --from DIR for the data folder)');
        }
        return await migrateCommand(io, values.from, choice);
      case 'fsck':
        if (rest.length > 0) throw new UsageError(`fsck takes no arguments, got ${rest.join(' ')}`);
        return await checkBackend(io, choice, values.repair);
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true) {
      io.stderr.write(`cairn-server: ${(error as Error).message}\n${USAGE}\n`);
      return 2;
    }
    // The last two are told by name: their modules are loaded only with the scale-out backend.
    if (error instanceof AdminError || error instanceof NameTakenError || (error instanceof Error && (error.name === 'GarbageCollectionBusyError' || error.name === 'MigrationRefusedError'))) {
      io.stderr.write(`cairn-server: ${error.message}\n`);
      return 1;
    }
    io.stderr.write(`cairn-server: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  process.exitCode = await main(process.argv.slice(2));
}
