// Handlers of health, login, logout, the caller's identity and their device tokens.

import { randomBytes } from 'node:crypto';
import { PROTOCOL_VERSION } from '../shared/protocol/index.js';
import type { Routes } from '../shared/protocol/index.js';
import { ApiError } from './apiError.js';
import { clientAddress } from './clientAddress.js';
import { newId } from './ids.js';
import { verifyPassword } from './passwordHash.js';
import { hashToken } from './router.js';
import type { Handler } from './router.js';

export const authHandlers: {
  readonly [Name in 'health' | 'live' | 'login' | 'logout' | 'me' | 'listTokens' | 'revokeToken']: Handler<Routes[Name]>;
} = {
  async health({ services }) {
    const problems = await services.readiness();
    // A load balancer stops sending requests here; clients retry later (or reach another instance).
    if (problems.length > 0) throw new ApiError('unavailable', `not ready: ${problems.join('; ')}`);
    return { status: 'ok', protocolVersion: PROTOCOL_VERSION, serverVersion: services.serverVersion };
  },

  async live({ services }) {
    return { status: 'ok', protocolVersion: PROTOCOL_VERSION, serverVersion: services.serverVersion };
  },

  async login({ services, body, request, now }) {
    // The attempt counts as a failure from here on, before the password is checked, so a
    // burst of parallel guesses is limited like the same guesses in a row.
    const start = services.loginLimiter.begin(body.user, clientAddress(request, services.trustedProxies));
    if (start.kind === 'wait') {
      const retryAfterSeconds = Math.ceil(start.retryAfterMs / 1000);
      throw new ApiError(
        'rate-limited',
        `too many failed logins: try again in ${retryAfterSeconds} s`,
        { retryAfterSeconds },
        { 'Retry-After': String(retryAfterSeconds) },
      );
    }
    const { attempt } = start;
    let user;
    try {
      const found = await services.store.users.byName(body.user);
      user = found !== null && found.removedAt === null ? found : null;
      // verifyPassword spends the same time for an unknown user as for a wrong password.
      const valid = await verifyPassword(body.password, user?.passwordHash ?? null);
      if (user === null || !valid) throw new ApiError('unauthorized', 'wrong user name or password');
    } catch (error) {
      attempt.failed();
      throw error;
    }
    attempt.succeeded();
    const token = randomBytes(32).toString('base64url');
    const deviceId = newId();
    await services.store.tokens.create({
      id: deviceId,
      userId: user.id,
      tokenHash: hashToken(token),
      deviceName: body.deviceName,
      createdAt: now,
      lastUsedAt: now,
    });
    return { token, userId: user.id, user: user.name, deviceId };
  },

  async logout({ services, caller }) {
    await services.store.tokens.revoke(caller.userId, caller.deviceId);
    return { ok: true };
  },

  async me({ caller }) {
    return { userId: caller.userId, user: caller.userName, admin: caller.admin, deviceId: caller.deviceId, deviceName: caller.deviceName };
  },

  async listTokens({ services, caller }) {
    const tokens = await services.store.tokens.listForUser(caller.userId);
    return {
      tokens: tokens.map((token) => ({
        deviceId: token.id,
        deviceName: token.deviceName,
        createdAt: token.createdAt,
        lastUsedAt: token.lastUsedAt,
        current: token.id === caller.deviceId,
      })),
    };
  },

  async revokeToken({ services, caller, params }) {
    if (!(await services.store.tokens.revoke(caller.userId, params.tokenId))) {
      throw new ApiError('not-found', 'you have no device token with this id');
    }
    return { ok: true };
  },
};
