// The address of the client a request comes from, for the login limiter. Directly connected
// clients are their socket's peer. Behind a reverse proxy every request comes from the proxy,
// so the limiter would count all users as one address and lock everyone out together: a proxy
// the admin names as trusted (--trust-proxy) reports the client in X-Forwarded-For, each proxy
// appending the address it received the request from. Only what trusted proxies appended can
// be believed, so the client is the nearest address, from the right, that is not a trusted
// proxy; what anyone else sends in that header is ignored.

import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** One spelling per address: lower case, and IPv4 without the IPv6 mapping prefix. */
export function normalizeAddress(address: string): string {
  const lower = address.trim().toLowerCase();
  return lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4 ? lower.slice(7) : lower;
}

/** The trusted proxy addresses as given (IPv4 or IPv6 addresses); throws on anything else. */
export function parseTrustedProxies(addresses: readonly string[]): ReadonlySet<string> {
  const trusted = new Set<string>();
  for (const address of addresses) {
    const normalized = normalizeAddress(address);
    if (isIP(normalized) === 0) throw new TypeError(`a trusted proxy is given by its IP address, not ${JSON.stringify(address)}`);
    trusted.add(normalized);
  }
  return trusted;
}

export function clientAddress(request: IncomingMessage, trustedProxies: ReadonlySet<string>): string {
  const peer = normalizeAddress(request.socket.remoteAddress ?? 'unknown');
  if (!trustedProxies.has(peer)) return peer;
  const header = request.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map(normalizeAddress)
    .filter((hop) => hop !== '');
  for (let index = hops.length - 1; index >= 0; index--) {
    const hop = hops[index]!;
    if (trustedProxies.has(hop)) continue;
    // A trusted proxy appends a real address; anything else means the chain is not what it
    // seems, and the proxy itself is the most that can be said.
    return isIP(hop) === 0 ? peer : hop;
  }
  return peer;
}
