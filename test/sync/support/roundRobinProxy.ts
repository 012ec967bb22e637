// An HTTP proxy on 127.0.0.1 that sends each request to the next of several server instances in
// turn, as a load balancer does: one client's round then spans every instance, and consecutive
// requests (missing chunks, upload, commit, feed) land on different ones. Bodies stream both
// ways unbuffered, so event streams and long-polls pass through. A request whose instance
// refuses the connection fails with 502, as behind a real balancer; `pin` sends everything to
// one instance (or back to all with null).

import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RoundRobinProxy {
  readonly url: string;
  /** Requests sent to each instance so far, by index. */
  readonly counts: readonly number[];
  pin(index: number | null): void;
  close(): Promise<void>;
}

export async function startRoundRobinProxy(upstreams: readonly { readonly host: string; readonly port: number }[]): Promise<RoundRobinProxy> {
  const agent = new http.Agent({ keepAlive: true });
  const counts = upstreams.map(() => 0);
  let next = 0;
  let pinned: number | null = null;
  const open = new Set<http.ClientRequest>();

  const server = http.createServer((request, response) => {
    const index = pinned ?? next++ % upstreams.length;
    counts[index]! += 1;
    const upstream = upstreams[index]!;
    const forward = http.request({ host: upstream.host, port: upstream.port, method: request.method, path: request.url, headers: request.headers, agent }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    open.add(forward);
    forward.on('close', () => open.delete(forward));
    forward.on('error', () => {
      if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' }).end('the instance did not answer');
      else response.destroy();
    });
    // The client left (or the stream ended): stop the upstream request too.
    response.on('close', () => forward.destroy());
    request.pipe(forward);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    pin(index) {
      pinned = index;
    },
    async close() {
      for (const forward of open) forward.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
