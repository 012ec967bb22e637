// A TCP proxy on 127.0.0.1 between clients and a server, which counts the bytes in each
// direction and limits their rate. Over loopback an upload of tens of MiB takes milliseconds,
// too short a moment to kill a process in the middle of it; through this proxy it takes long
// enough, and the byte counts tell the test how far the transfer has come.

import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface ThrottlingProxy {
  /** `http://127.0.0.1:PORT`, to log clients in with instead of the server's own URL. */
  readonly url: string;
  /** Bytes sent by clients towards the server so far. */
  upstreamBytes(): number;
  /** Bytes sent by the server towards clients so far. */
  downstreamBytes(): number;
  /** Stops accepting, and cuts every open connection. */
  close(): Promise<void>;
}

/** A shared budget of bytes per second for one direction of every connection. */
class RateLimit {
  private nextFreeAt = 0;

  constructor(private readonly bytesPerSecond: number) {}

  /** Milliseconds the sender of `bytes` bytes should wait before sending more. */
  delayFor(bytes: number): number {
    const now = performance.now();
    this.nextFreeAt = Math.max(now, this.nextFreeAt) + (bytes / this.bytesPerSecond) * 1000;
    return this.nextFreeAt - now;
  }
}

/**
 * Starts a proxy to `target` (host and port; connections are made anew for each client
 * connection, so the server may stop and start again on the same port meanwhile).
 */
export async function startThrottlingProxy(target: { readonly host: string; readonly port: number }, options: { readonly bytesPerSecond: number }): Promise<ThrottlingProxy> {
  let upstream = 0;
  let downstream = 0;
  const upLimit = new RateLimit(options.bytesPerSecond);
  const downLimit = new RateLimit(options.bytesPerSecond);
  const sockets = new Set<net.Socket>();

  /** Copies `from` to `to`, counting and pausing `from` while over the rate. */
  const relay = (from: net.Socket, to: net.Socket, limit: RateLimit, count: (bytes: number) => void): void => {
    from.on('data', (data: Buffer) => {
      count(data.length);
      to.write(data);
      const delay = limit.delayFor(data.length);
      if (delay > 1) {
        from.pause();
        setTimeout(() => from.resume(), delay).unref();
      }
    });
    from.on('end', () => to.end());
  };

  const server = net.createServer((client) => {
    const toServer = net.connect(target.port, target.host);
    sockets.add(client).add(toServer);
    const cut = (): void => {
      client.destroy();
      toServer.destroy();
      sockets.delete(client);
      sockets.delete(toServer);
    };
    client.on('error', cut).on('close', cut);
    toServer.on('error', cut).on('close', cut);
    relay(client, toServer, upLimit, (bytes) => (upstream += bytes));
    relay(toServer, client, downLimit, (bytes) => (downstream += bytes));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    upstreamBytes: () => upstream,
    downstreamBytes: () => downstream,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
