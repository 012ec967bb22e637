// Login, device tokens, logout and the rate limit on failed logins.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../shared/protocol/index.js';
import { hashToken } from '../../src-server/router.js';
import { removeUser } from '../../src-server/users.js';
import { TEST_PASSWORD, startTestServer } from './testServer.js';
import type { TestServer } from './testServer.js';

let server: TestServer;

beforeAll(async () => {
  // Lockouts last a minute here, so the test never races a lockout that expires.
  server = await startTestServer({ loginLimits: { freeFailuresPerUserAddress: 5, freeFailuresPerAddress: 1000, firstLockoutMs: 60_000 } });
  for (const name of ['alice', 'bob', 'carol', 'dave', 'erin']) await server.addUser(name, name === 'alice');
});
afterAll(async () => server.stop());

describe('health', () => {
  it('answers without a token', async () => {
    const health = await server.ok(routes.health);
    expect(health).toMatchObject({ status: 'ok', protocolVersion: 1 });
  });
});

describe('login', () => {
  it('returns a device token that authenticates the user', async () => {
    const login = await server.ok(routes.login, { body: { user: 'alice', password: TEST_PASSWORD, deviceName: 'laptop' } });
    expect(login.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const me = await server.ok(routes.me, { token: login.token });
    expect(me).toEqual({ userId: login.userId, user: 'alice', admin: true, deviceId: login.deviceId, deviceName: 'laptop' });
  });

  it('stores only the hash of the token', async () => {
    const login = await server.ok(routes.login, { body: { user: 'bob', password: TEST_PASSWORD, deviceName: 'phone' } });
    const found = await server.stores.metadata.tokens.findByHash(hashToken(login.token));
    expect(found?.id).toBe(login.deviceId);
    expect(JSON.stringify(found)).not.toContain(login.token);
  });

  it.each([
    ['a wrong password', 'bob', 'wrong password!'],
    ['an unknown user', 'nobody', TEST_PASSWORD],
  ])('answers 401 for %s, with the same message', async (_name, user, password) => {
    const answer = await server.call(routes.login, { body: { user, password, deviceName: 'x' } });
    expect(answer.status).toBe(401);
    expect(!answer.ok && answer.body.error).toEqual({ code: 'unauthorized', message: 'wrong user name or password' });
  });

  it('locks a user name out at an address after five failures, even for the right password', async () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const answer = await server.call(routes.login, { body: { user: 'carol', password: 'not her password', deviceName: 'x' } });
      expect(answer.status).toBe(401);
    }
    const locked = await server.call(routes.login, { body: { user: 'carol', password: TEST_PASSWORD, deviceName: 'x' } });
    expect(locked.status).toBe(429);
    expect(!locked.ok && locked.body.error.code).toBe('rate-limited');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(!locked.ok && locked.body.error.details).toEqual({ retryAfterSeconds: Number(locked.headers.get('retry-after')) });
    // Other users are not affected.
    expect((await server.call(routes.login, { body: { user: 'dave', password: TEST_PASSWORD, deviceName: 'x' } })).status).toBe(200);
  });

  it('refuses a removed user and their old tokens', async () => {
    const token = await server.login('erin');
    await removeUser(server.stores.metadata, 'erin');
    expect((await server.call(routes.me, { token })).status).toBe(401);
    expect((await server.call(routes.login, { body: { user: 'erin', password: TEST_PASSWORD, deviceName: 'x' } })).status).toBe(401);
  });
});

describe('device tokens', () => {
  it('lists the devices without their secrets and marks the current one', async () => {
    const first = await server.ok(routes.login, { body: { user: 'dave', password: TEST_PASSWORD, deviceName: 'desktop' } });
    const second = await server.ok(routes.login, { body: { user: 'dave', password: TEST_PASSWORD, deviceName: 'nas' } });
    const list = await server.ok(routes.listTokens, { token: second.token });
    const mine = list.tokens.filter((token) => token.deviceId === first.deviceId || token.deviceId === second.deviceId);
    expect(mine.map((token) => [token.deviceName, token.current])).toEqual([
      ['desktop', false],
      ['nas', true],
    ]);
    const text = JSON.stringify(list);
    expect(text).not.toContain(first.token);
    expect(text).not.toContain(second.token);
  });

  it('revokes one device by id, and only the caller can revoke their own', async () => {
    const laptop = await server.ok(routes.login, { body: { user: 'bob', password: TEST_PASSWORD, deviceName: 'laptop' } });
    const tablet = await server.ok(routes.login, { body: { user: 'bob', password: TEST_PASSWORD, deviceName: 'tablet' } });
    const alice = await server.login('alice');
    expect((await server.call(routes.revokeToken, { token: alice, params: { tokenId: tablet.deviceId } })).status).toBe(404);
    expect(await server.ok(routes.revokeToken, { token: laptop.token, params: { tokenId: tablet.deviceId } })).toEqual({ ok: true });
    const revoked = await server.call(routes.me, { token: tablet.token });
    expect(revoked.status).toBe(401);
    expect(revoked.headers.get('www-authenticate')).toBe('Bearer');
    expect((await server.call(routes.me, { token: laptop.token })).status).toBe(200);
    expect((await server.call(routes.revokeToken, { token: laptop.token, params: { tokenId: tablet.deviceId } })).status).toBe(404);
  });

  it('logout revokes the calling token only', async () => {
    const one = await server.login('bob', 'one');
    const two = await server.login('bob', 'two');
    expect(await server.ok(routes.logout, { token: one })).toEqual({ ok: true });
    expect((await server.call(routes.me, { token: one })).status).toBe(401);
    expect((await server.call(routes.me, { token: two })).status).toBe(200);
  });

  it.each([
    ['no Authorization header', {}],
    ['a malformed header', { authorization: 'Token abc' }],
    ['an unknown token', { authorization: 'Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }],
  ])('answers 401 to %s', async (_name, headers: Record<string, string>) => {
    const response = await server.raw('/api/v1/libraries', { headers });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });
});
