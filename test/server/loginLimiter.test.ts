// The failed-login limiter with a controlled clock.

import { describe, expect, it } from 'vitest';
import { DEFAULT_LOGIN_LIMITS, LoginLimiter } from '../../src-server/loginLimiter.js';

function limiterAt(start = 1_000_000, options = {}) {
  const clock = { now: start };
  const limiter = new LoginLimiter({ ...DEFAULT_LOGIN_LIMITS, ...options }, () => clock.now);
  return { clock, limiter };
}

describe('login limiter', () => {
  it('allows four failures, then locks out for 1 s, 2 s, 4 s ...', () => {
    const { clock, limiter } = limiterAt();
    for (let failure = 1; failure <= 4; failure++) {
      limiter.recordFailure('alice', '10.0.0.1');
      expect(limiter.retryAfterMs('alice', '10.0.0.1')).toBe(0);
    }
    const lockouts = [1000, 2000, 4000, 8000];
    for (const lockout of lockouts) {
      limiter.recordFailure('alice', '10.0.0.1');
      expect(limiter.retryAfterMs('alice', '10.0.0.1')).toBe(lockout);
      clock.now += lockout;
      expect(limiter.retryAfterMs('alice', '10.0.0.1')).toBe(0);
    }
  });

  it('caps the lockout', () => {
    const { limiter } = limiterAt(0, { maxLockoutMs: 5000 });
    for (let failure = 0; failure < 40; failure++) limiter.recordFailure('alice', 'a');
    expect(limiter.retryAfterMs('alice', 'a')).toBe(5000);
  });

  it('limits an address across user names', () => {
    const { limiter } = limiterAt();
    for (let failure = 0; failure < 20; failure++) limiter.recordFailure(`user${failure}`, '10.0.0.2');
    expect(limiter.retryAfterMs('someone-else', '10.0.0.2')).toBe(1000);
    expect(limiter.retryAfterMs('someone-else', '10.0.0.3')).toBe(0);
  });

  it('forgets a user name after a success and everything after an idle hour', () => {
    const { clock, limiter } = limiterAt();
    for (let failure = 0; failure < 5; failure++) limiter.recordFailure('alice', 'a');
    limiter.recordSuccess('alice');
    expect(limiter.retryAfterMs('alice', 'b')).toBe(0);
    for (let failure = 0; failure < 25; failure++) limiter.recordFailure('bob', 'c');
    clock.now += DEFAULT_LOGIN_LIMITS.forgetAfterMs + 1;
    expect(limiter.retryAfterMs('bob', 'c')).toBe(0);
  });

  it('keeps at most maxKeys records', () => {
    const { limiter } = limiterAt(0, { maxKeys: 10, freeFailuresPerUser: 1 });
    limiter.recordFailure('first', 'x');
    for (let user = 0; user < 20; user++) limiter.recordFailure(`user${user}`, 'x');
    expect(limiter.retryAfterMs('first', 'y')).toBe(0);
    expect(limiter.retryAfterMs('user19', 'y')).toBe(1000);
  });
});
