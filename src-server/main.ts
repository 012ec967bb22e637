// The cairn-server command line:
//
//   cairn-server [serve] [--data DIR] [--listen HOST:PORT] [--trust-proxy ADDRESSES] [--max-connections N]
//   cairn-server user add NAME [--admin] [--data DIR]     (password: one line on standard input)
//   cairn-server user passwd NAME [--data DIR]            (password: one line on standard input)
//   cairn-server user list [--data DIR]
//   cairn-server user remove NAME [--data DIR]
//   cairn-server user admin NAME on|off [--data DIR]
//
// main() returns the exit code: 0 success, 1 failure, 2 wrong usage.

import { realpathSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { defaultDataDir } from './dataDir.js';
import { dataFolderWarning } from './ownerOnlyFiles.js';
import { openEmbeddedStores, startServer } from './server.js';
import { NameTakenError } from './storage/metadataStore.js';
import { AdminError, addUser, removeUser, resetPassword, setAdmin } from './users.js';

const USAGE = `usage:
  cairn-server [serve] [--data DIR] [--listen HOST:PORT] [--trust-proxy ADDRESSES] [--max-connections N]
  cairn-server user add NAME [--admin] [--data DIR]   reads the password from standard input
  cairn-server user passwd NAME [--data DIR]          reads the new password from standard input; signs out all devices
  cairn-server user list [--data DIR]
  cairn-server user remove NAME [--data DIR]          signs the user out and trashes their libraries (nothing is deleted)
  cairn-server user admin NAME on|off [--data DIR]

  --data DIR           data folder (default: $CAIRN_SERVER_DATA or the user data folder)
  --listen HOST:PORT   address to serve on (default 127.0.0.1:8080; port 0 picks a free port)
  --trust-proxy ADDRESSES
                       IP addresses (comma-separated) of reverse proxies whose X-Forwarded-For
                       names the client; set it behind a proxy, or failed logins of one client
                       lock out everyone behind it
  --max-connections N  most connections open at once (default 1024)`;

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

/** The serve command's options beyond the data folder. */
interface ServeFlags {
  readonly listen: string;
  readonly trustProxy: string | undefined;
  readonly maxConnections: string | undefined;
}

async function serve(io: CommandIo, dataDir: string, flags: ServeFlags): Promise<number> {
  const { host, port } = parseListen(flags.listen);
  const trustedProxies = flags.trustProxy === undefined ? [] : flags.trustProxy.split(',').map((address) => address.trim()).filter((address) => address !== '');
  let maxConnections: number | undefined;
  if (flags.maxConnections !== undefined) {
    maxConnections = Number(flags.maxConnections);
    if (!/^[1-9][0-9]{0,6}$/.test(flags.maxConnections)) throw new UsageError(`--max-connections wants a positive whole number, not ${JSON.stringify(flags.maxConnections)}`);
  }
  let server;
  try {
    server = await startServer({ dataDir, host, port, trustedProxies, ...(maxConnections === undefined ? {} : { connectionLimits: { maxConnections } }) });
  } catch (error) {
    if (error instanceof TypeError && /trusted proxy/.test(error.message)) throw new UsageError(`--trust-proxy: ${error.message}`);
    throw error;
  }
  io.stdout.write(`listening on ${server.url}\n`);
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  io.stderr.write(`cairn-server: ${signal} received, stopping after the requests in flight\n`);
  await server.close();
  return 0;
}

async function user(io: CommandIo, args: readonly string[], dataDir: string, admin: boolean): Promise<number> {
  const [command, name, extra] = args;
  const stores = await openEmbeddedStores(dataDir);
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
          io.stdout.write(`${record.name}${flags.length > 0 ? ` (${flags.join(', ')})` : ''}\n`);
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
      default:
        throw new UsageError(`unknown user command ${JSON.stringify(command ?? '')}`);
    }
  } finally {
    await stores.metadata.close();
    await stores.chunks.close();
  }
}

export async function main(argv: readonly string[], io: CommandIo = processIo): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        data: { type: 'string' },
        listen: { type: 'string', default: '127.0.0.1:8080' },
        'trust-proxy': { type: 'string' },
        'max-connections': { type: 'string' },
        admin: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (values.help) {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const dataDir = values.data ?? defaultDataDir();
    const [command = 'serve', ...rest] = positionals;
    const warning = await dataFolderWarning(dataDir);
    if (warning !== null) io.stderr.write(`cairn-server: warning: ${warning}\n`);
    switch (command) {
      case 'serve':
        if (rest.length > 0) throw new UsageError(`serve takes no arguments, got ${rest.join(' ')}`);
        return await serve(io, dataDir, { listen: values.listen, trustProxy: values['trust-proxy'], maxConnections: values['max-connections'] });
      case 'user':
        return await user(io, rest, dataDir, values.admin);
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true) {
      io.stderr.write(`cairn-server: ${(error as Error).message}\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof AdminError || error instanceof NameTakenError) {
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
