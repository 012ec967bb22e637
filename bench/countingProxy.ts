// A TCP proxy on 127.0.0.1 that forwards every connection to the server and counts the bytes
// that pass each way. The benchmark points its clients at the proxy, so "bytes on the wire"
// means everything the HTTP exchange really moved (request lines, headers, JSON, chunk frames),
// not only the chunk payloads the engine reports in its round summary.

import net from 'node:net';
import type { AddressInfo, Socket } from 'node:net';

export interface WireBytes {
  /** Bytes sent by clients towards the server. */
  readonly sent: number;
  /** Bytes sent by the server towards clients. */
  readonly received: number;
}

export interface CountingProxy {
  /** http://127.0.0.1:PORT of the proxy. */
  readonly url: string;
  /** Bytes moved since the proxy started. Callers subtract two readings to measure a step. */
  counters(): WireBytes;
  close(): Promise<void>;
}

export async function startCountingProxy(target: { readonly host: string; readonly port: number }): Promise<CountingProxy> {
  let sent = 0;
  let received = 0;
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  const server = net.createServer((client) => {
    track(client);
    const upstream = net.connect({ host: target.host, port: target.port });
    track(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    // Counting on 'data' sees every byte exactly once; pipe handles back-pressure both ways.
    client.on('data', (bytes: Buffer) => (sent += bytes.length));
    upstream.on('data', (bytes: Buffer) => (received += bytes.length));
    client.pipe(upstream);
    upstream.pipe(client);
    // Either side failing or closing ends the pair, as a direct connection would end.
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });

  const address = await new Promise<AddressInfo>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });

  return {
    url: `http://127.0.0.1:${address.port}`,
    counters: () => ({ sent, received }),
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
