// Why connecting failed, named from real sockets on 127.0.0.1: a web server answering HTML or
// JSON that is not Cairn's, a Cairn server behind a wrong path, https:// to a plain HTTP port,
// http:// to a TLS port, a self-signed certificate, a closed port, a server that never answers
// and one that cuts the connection. Causes that need the outside world (an unknown host name,
// an expired certificate, one issued for another name) are checked from the error codes alone.

import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import type { RequestListener, Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer } from 'node:net';
import os from 'node:os';
import type { AddressInfo, Server as TcpServer, Socket } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConnectCause } from '../../../shared/api/index.js';
import { routes } from '../../../shared/protocol/index.js';
import { connectCauseOf, diagnoseConnect } from '../../../src-main/engine/remote/connectError.js';
import { RemoteError } from '../../../src-main/engine/remote/remoteError.js';
import { ServerClient } from '../../../src-main/engine/remote/serverClient.js';
import { openEmbeddedStores, startServer } from '../../../src-server/server.js';

const TLS_FOLDER = path.join(import.meta.dirname, '..', '..', 'support', 'tls');
const tls = { key: readFileSync(path.join(TLS_FOLDER, 'self-signed.key.pem')), cert: readFileSync(path.join(TLS_FOLDER, 'self-signed.cert.pem')) };

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function listen(server: Server | TcpServer): Promise<number> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stops.push(async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  });
  return (server.address() as AddressInfo).port;
}

const answering = (status: number, type: string, body: string): RequestListener => (_request, response) => response.writeHead(status, { 'content-type': type }).end(body);

/** The cause a login's health check at `url` fails with (as Engine.login diagnoses it). */
async function causeAt(url: string, timeoutMs = 5000): Promise<{ failure: string; cause: ConnectCause } | 'no failure' | 'not a connect failure'> {
  const client = new ServerClient({ baseUrl: url, timeoutMs });
  try {
    await client.call(routes.health);
    return 'no failure';
  } catch (error) {
    if (!(error instanceof RemoteError)) throw error;
    const diagnosed = await diagnoseConnect(error, url, 2000);
    return diagnosed === null ? 'not a connect failure' : { failure: diagnosed.failure, cause: diagnosed.connectCause };
  } finally {
    await client.close();
  }
}

describe('the cause of a failed connect, from real sockets', () => {
  it('a web server answering an HTML page is a web page, not Cairn', async () => {
    const port = await listen(createHttpServer(answering(200, 'text/html', '<!DOCTYPE html><html><body>Welcome to nginx!</body></html>')));
    expect(await causeAt(`http://127.0.0.1:${port}`)).toEqual({ failure: 'not-cairn-server', cause: 'html-page' });
  });

  it('a server answering JSON of its own is something else, not Cairn', async () => {
    const port = await listen(createHttpServer(answering(200, 'application/json', '{"status":"UP","components":{}}')));
    expect(await causeAt(`http://127.0.0.1:${port}`)).toEqual({ failure: 'not-cairn-server', cause: 'other-answer' });
    const notFound = await listen(createHttpServer(answering(404, 'application/json', '{"message":"Not Found"}')));
    expect(await causeAt(`http://127.0.0.1:${notFound}`)).toEqual({ failure: 'not-cairn-server', cause: 'other-answer' });
  });

  it('an address with a path that 404s is a wrong path, on a Cairn server and on any other', async () => {
    const base = await mkdtemp(path.join(os.tmpdir(), 'cairn-connect-'));
    stops.push(() => rm(base, { recursive: true, force: true }));
    const cairn = await startServer({ stores: await openEmbeddedStores(base), host: '127.0.0.1', port: 0 });
    stops.push(() => cairn.close());
    expect(await causeAt(cairn.url)).toBe('no failure');
    expect(await causeAt(`${cairn.url}/cairn`)).toEqual({ failure: 'not-cairn-server', cause: 'wrong-path' });
    const web = await listen(createHttpServer(answering(404, 'text/html', '<html><body>404 Not Found</body></html>')));
    expect(await causeAt(`http://127.0.0.1:${web}/sync/`)).toEqual({ failure: 'not-cairn-server', cause: 'wrong-path' });
  });

  it('https:// to a plain HTTP port, and http:// to an HTTPS port', async () => {
    const plain = await listen(createHttpServer(answering(200, 'text/html', '<html></html>')));
    expect(await causeAt(`https://127.0.0.1:${plain}`)).toEqual({ failure: 'not-cairn-server', cause: 'https-to-http-port' });
    const secure = await listen(createHttpsServer(tls, answering(200, 'application/json', '{}')));
    expect(await causeAt(`http://127.0.0.1:${secure}`)).toEqual({ failure: 'not-cairn-server', cause: 'http-to-https-port' });
  });

  it('a self-signed certificate', async () => {
    const secure = await listen(createHttpsServer(tls, answering(200, 'application/json', '{}')));
    expect(await causeAt(`https://127.0.0.1:${secure}`)).toEqual({ failure: 'certificate', cause: 'self-signed' });
    expect(await causeAt(`https://localhost:${secure}`)).toEqual({ failure: 'certificate', cause: 'self-signed' });
  });

  it('a closed port is refused', async () => {
    const closed = createTcpServer();
    const port = await listen(closed);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    expect(await causeAt(`http://127.0.0.1:${port}`)).toEqual({ failure: 'unreachable', cause: 'refused' });
  });

  it('a server that never answers times out; one that cuts the connection is a reset', async () => {
    const silent = await listen(createTcpServer(() => {}));
    expect(await causeAt(`http://127.0.0.1:${silent}`, 300)).toEqual({ failure: 'unreachable', cause: 'timeout' });
    const cutting = await listen(createTcpServer((socket) => socket.destroy()));
    expect(await causeAt(`http://127.0.0.1:${cutting}`)).toEqual({ failure: 'unreachable', cause: 'reset' });
  });

  it('a wrong password is no connect failure', async () => {
    const base = await mkdtemp(path.join(os.tmpdir(), 'cairn-connect-'));
    stops.push(() => rm(base, { recursive: true, force: true }));
    const cairn = await startServer({ stores: await openEmbeddedStores(base), host: '127.0.0.1', port: 0 });
    stops.push(() => cairn.close());
    const client = new ServerClient({ baseUrl: cairn.url });
    stops.push(() => client.close());
    const error = await client.call(routes.login, { body: { user: 'nobody', password: 'x', deviceName: 'd' } }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RemoteError);
    expect(await diagnoseConnect(error as RemoteError, cairn.url)).toBeNull();
  });
});

describe('the cause of a failed connect, from the error codes alone', () => {
  const transportError = (code: string, transport: 'unreachable' | 'certificate'): RemoteError =>
    new RemoteError('unavailable', 'failed', null, undefined, transport, { cause: Object.assign(new Error('fetch failed'), { cause: Object.assign(new Error(code), { code }) }) });
  const cases: [string, RemoteError, ConnectCause][] = [
    ['an unknown host name', transportError('ENOTFOUND', 'unreachable'), 'dns'],
    ['a failed name lookup', transportError('EAI_AGAIN', 'unreachable'), 'dns'],
    ['no route to the host', transportError('EHOSTUNREACH', 'unreachable'), 'network'],
    ['an expired certificate', transportError('CERT_HAS_EXPIRED', 'certificate'), 'expired'],
    ['a certificate for another name', transportError('ERR_TLS_CERT_ALTNAME_INVALID', 'certificate'), 'wrong-name'],
    ['a revoked certificate', transportError('CERT_REVOKED', 'certificate'), 'untrusted'],
  ];
  for (const [name, error, cause] of cases) {
    it(name, () => expect(connectCauseOf(error, 'https://cairn.example.com')?.cause).toBe(cause));
  }
});
