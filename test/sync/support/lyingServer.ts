// A server in the middle: an HTTP proxy on 127.0.0.1 in front of a real cairn-server that
// passes everything through, except what the test's `intercept` answers itself, possibly
// after asking the real server (`forward`). It plays a compromised or broken server: lying
// entries, answers too long to hold, streams that never end a line.

import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface ProxiedRequest {
  readonly method: string;
  /** Path and query, as the client sent them. */
  readonly url: URL;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface ProxiedAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The bytes to send, as they are (a test sending gzip sets content-encoding itself). */
  readonly body: Buffer | Iterable<Buffer> | AsyncIterable<Buffer>;
}

/**
 * Answers a request instead of the real server, or returns undefined to pass it through.
 * `forward` asks the real server and returns its answer, decompressed.
 */
export type Intercept = (request: ProxiedRequest, forward: () => Promise<{ status: number; headers: Record<string, string>; body: Buffer }>) => Promise<ProxiedAnswer | undefined> | ProxiedAnswer | undefined;

export interface LyingServer {
  readonly url: string;
  /** What the test answers; replace it at any time. */
  intercept: Intercept;
  close(): Promise<void>;
}

export async function startLyingServer(target: string): Promise<LyingServer> {
  const targetUrl = new URL(target);
  const sockets = new Set<Socket>();

  const ask = (request: ProxiedRequest, decompress: boolean): Promise<http.IncomingMessage> =>
    new Promise((resolve, reject) => {
      const headers = { ...request.headers, host: targetUrl.host };
      if (decompress) delete headers['accept-encoding'];
      const upstream = http.request({ host: targetUrl.hostname, port: targetUrl.port, method: request.method, path: request.url.pathname + request.url.search, headers }, resolve);
      upstream.on('error', reject);
      upstream.end(request.body);
    });

  const server = http.createServer((incoming, outgoing) => {
    const parts: Buffer[] = [];
    incoming.on('data', (part: Buffer) => parts.push(part));
    incoming.on('end', () => {
      void (async () => {
        const request: ProxiedRequest = { method: incoming.method ?? 'GET', url: new URL(incoming.url ?? '/', 'http://proxy'), headers: incoming.headers, body: Buffer.concat(parts) };
        const forward = async () => {
          const answer = await ask(request, true);
          const chunks: Buffer[] = [];
          for await (const chunk of answer) chunks.push(chunk as Buffer);
          let body = Buffer.concat(chunks);
          if (answer.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(answer.headers)) {
            if (typeof value === 'string' && !['content-length', 'content-encoding', 'transfer-encoding', 'connection', 'keep-alive'].includes(name)) headers[name] = value;
          }
          return { status: answer.statusCode ?? 502, headers, body };
        };
        const answer = await proxy.intercept(request, forward);
        if (answer === undefined) {
          const passed = await ask(request, false);
          outgoing.writeHead(passed.statusCode ?? 502, passed.headers);
          passed.pipe(outgoing);
          return;
        }
        outgoing.writeHead(answer.status, answer.headers);
        if (Buffer.isBuffer(answer.body)) {
          outgoing.end(answer.body);
          return;
        }
        for await (const piece of answer.body) {
          if (outgoing.destroyed) return;
          if (!outgoing.write(piece)) await drainedOrClosed(outgoing);
        }
        outgoing.end();
      })().catch(() => outgoing.destroy());
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const proxy: LyingServer = {
    url: `http://127.0.0.1:${port}`,
    intercept: () => undefined,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}

function drainedOrClosed(outgoing: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      outgoing.off('drain', done);
      outgoing.off('close', done);
      resolve();
    };
    outgoing.on('drain', done);
    outgoing.on('close', done);
  });
}
