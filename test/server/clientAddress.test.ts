// The client address behind trusted reverse proxies: only what trusted proxies appended to
// X-Forwarded-For is believed.

import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clientAddress, parseTrustedProxies } from '../../src-server/clientAddress.js';

function requestFrom(peer: string, forwardedFor?: string): IncomingMessage {
  return { socket: { remoteAddress: peer }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } } as unknown as IncomingMessage;
}

describe('clientAddress', () => {
  const trusted = parseTrustedProxies(['127.0.0.1', '10.0.0.5']);
  const cases: { name: string; peer: string; forwardedFor?: string; expected: string }[] = [
    { name: 'a direct client', peer: '203.0.113.7', expected: '203.0.113.7' },
    { name: 'a direct client naming someone else', peer: '203.0.113.7', forwardedFor: '198.51.100.2', expected: '203.0.113.7' },
    { name: 'an IPv4-mapped peer', peer: '::ffff:203.0.113.7', expected: '203.0.113.7' },
    { name: 'a client behind a trusted proxy', peer: '127.0.0.1', forwardedFor: '198.51.100.2', expected: '198.51.100.2' },
    { name: 'a forged entry before the one the proxy appended', peer: '127.0.0.1', forwardedFor: '1.2.3.4, 198.51.100.2', expected: '198.51.100.2' },
    { name: 'two trusted proxies in a row', peer: '127.0.0.1', forwardedFor: '198.51.100.2, 10.0.0.5', expected: '198.51.100.2' },
    { name: 'a trusted proxy without the header', peer: '127.0.0.1', expected: '127.0.0.1' },
    { name: 'a trusted proxy appending something that is no address', peer: '127.0.0.1', forwardedFor: 'unknown', expected: '127.0.0.1' },
    { name: 'an IPv6 client in upper case', peer: '::ffff:127.0.0.1', forwardedFor: '2001:DB8::1', expected: '2001:db8::1' },
  ];
  for (const testCase of cases) {
    it(`finds ${testCase.name}`, () => {
      expect(clientAddress(requestFrom(testCase.peer, testCase.forwardedFor), trusted)).toBe(testCase.expected);
    });
  }

  it('takes trusted proxies as IP addresses only', () => {
    expect(() => parseTrustedProxies(['proxy.example'])).toThrow(/IP address/);
    expect([...parseTrustedProxies(['::FFFF:10.0.0.1', '::1'])]).toEqual(['10.0.0.1', '::1']);
  });
});
