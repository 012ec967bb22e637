// The failed-login lockout against a real server on 127.0.0.1: a burst of parallel guesses is
// limited like the same guesses one after another, a guesser never locks the owner out of
// their own address, the client address behind a trusted reverse proxy is the one it names
// (and nobody else can name one), and a slower backstop per user name holds against guesses
// from many addresses without denying an address the user logged in from before.

import { afterEach, describe, expect, it } from 'vitest';
import { routes } from '../../shared/protocol/index.js';
import type { LoginLimiterOptions } from '../../src-server/loginLimiter.js';
import { TEST_PASSWORD, startTestServer } from './testServer.js';
import type { TestServer } from './testServer.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

// Lockouts last a minute here, so no test races a lockout that expires.
const MINUTE_LOCKOUTS: Partial<LoginLimiterOptions> = { firstLockoutMs: 60_000, maxLockoutMs: 15 * 60_000, maxUserLockoutMs: 60_000 };

async function serverWith(options: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  server = await startTestServer({ ...options, loginLimits: { ...MINUTE_LOCKOUTS, ...options.loginLimits } });
  for (const name of ['alice', 'bob']) await server.addUser(name);
  return server;
}

/** One login attempt as sent through a proxy that names the client `from` (or directly). */
async function login(target: TestServer, user: string, password: string, from?: string): Promise<number> {
  const response = await target.raw(routes.login.path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(from === undefined ? {} : { 'x-forwarded-for': from }) },
    body: JSON.stringify({ user, password, deviceName: 'x' }),
  });
  await response.arrayBuffer();
  return response.status;
}

describe('a burst of parallel guesses (item 6)', () => {
  it('checks no more passwords than the same guesses one after another would, and the right one comes too late', async () => {
    const target = await serverWith();
    const guesses = Array.from({ length: 12 }, (_, index) => login(target, 'alice', `guess ${index}`));
    const right = login(target, 'alice', TEST_PASSWORD);
    const statuses = await Promise.all([...guesses, right]);
    expect(statuses.filter((status) => status === 401)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(8);
    expect(statuses.at(-1)).toBe(429);
  });

  it('lets a right password through a burst that stays under the limit, and releases its place', async () => {
    const target = await serverWith();
    const statuses = await Promise.all([login(target, 'alice', 'wrong 1'), login(target, 'alice', TEST_PASSWORD), login(target, 'alice', 'wrong 2')]);
    expect(statuses.sort()).toEqual([200, 401, 401]);
    // The success cleared this address's failures for alice: five more are free again, or
    // four when the second wrong guess was counted after the success (the three run at once).
    // Without the clearing only three would be left.
    let free = 0;
    while (free < 10 && (await login(target, 'alice', `again ${free}`)) === 401) free++;
    expect(free).toBeGreaterThanOrEqual(4);
    expect(free).toBeLessThanOrEqual(5);
    expect(await login(target, 'alice', TEST_PASSWORD)).toBe(429);
  });
});

describe('a lockout that does not deny the owner (item 15)', () => {
  it('locks a guesser’s address out of a user name, not the owner at another address', async () => {
    const target = await serverWith({ trustedProxies: ['127.0.0.1'] });
    for (let attempt = 0; attempt < 10; attempt++) await login(target, 'alice', `guess ${attempt}`, '203.0.113.7');
    expect(await login(target, 'alice', TEST_PASSWORD, '203.0.113.7')).toBe(429);
    expect(await login(target, 'alice', TEST_PASSWORD, '198.51.100.2')).toBe(200);
  });

  it('behind a trusted proxy, limits each client address on its own, not the proxy’s', async () => {
    const target = await serverWith({ trustedProxies: ['127.0.0.1'], loginLimits: { freeFailuresPerAddress: 3 } });
    for (let attempt = 0; attempt < 3; attempt++) expect(await login(target, 'alice', `guess ${attempt}`, '203.0.113.7')).toBe(401);
    expect(await login(target, 'bob', TEST_PASSWORD, '203.0.113.7')).toBe(429);
    expect(await login(target, 'bob', TEST_PASSWORD, '198.51.100.2')).toBe(200);
    // A proxy chain: the nearest address that is not a trusted proxy is the client.
    expect(await login(target, 'bob', TEST_PASSWORD, '203.0.113.7, 198.51.100.9, 127.0.0.1')).toBe(200);
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    const target = await serverWith();
    for (let attempt = 0; attempt < 5; attempt++) expect(await login(target, 'alice', `guess ${attempt}`, `203.0.113.${attempt}`)).toBe(401);
    expect(await login(target, 'alice', TEST_PASSWORD, '198.51.100.2')).toBe(429);
  });

  it('holds guesses from many addresses with a slower backstop per user name, except where the user logged in before', async () => {
    const target = await serverWith({ trustedProxies: ['127.0.0.1'], loginLimits: { freeFailuresPerUser: 12 } });
    expect(await login(target, 'alice', TEST_PASSWORD, '198.51.100.2')).toBe(200);
    for (let attempt = 0; attempt < 12; attempt++) expect(await login(target, 'alice', 'guess', `203.0.113.${attempt}`)).toBe(401);
    expect(await login(target, 'alice', TEST_PASSWORD, '203.0.113.200')).toBe(429);
    expect(await login(target, 'alice', TEST_PASSWORD, '198.51.100.2')).toBe(200);
  });
});
