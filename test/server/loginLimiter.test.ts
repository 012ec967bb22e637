// The failed-login limiter with a controlled clock.

import { describe, expect, it } from 'vitest';
import { DEFAULT_LOGIN_LIMITS, LoginLimiter } from '../../src-server/loginLimiter.js';
import type { LoginLimiterOptions } from '../../src-server/loginLimiter.js';

function limiterAt(start = 1_000_000, options: Partial<LoginLimiterOptions> = {}) {
  const clock = { now: start };
  const limiter = new LoginLimiter({ ...DEFAULT_LOGIN_LIMITS, ...options }, () => clock.now);
  return { clock, limiter };
}

/** One whole attempt; false when it had to wait instead. */
function attempt(limiter: LoginLimiter, user: string, address: string, outcome: 'fail' | 'succeed' = 'fail'): boolean {
  const start = limiter.begin(user, address);
  if (start.kind === 'wait') return false;
  if (outcome === 'fail') start.attempt.failed();
  else start.attempt.succeeded();
  return true;
}

describe('login limiter', () => {
  it('allows four failures, then locks out for 1 s, 2 s, 4 s ...', () => {
    const { clock, limiter } = limiterAt();
    for (let failure = 1; failure <= 4; failure++) {
      attempt(limiter, 'alice', '10.0.0.1');
      expect(limiter.retryAfterMsFor('alice', '10.0.0.1')).toBe(0);
    }
    const lockouts = [1000, 2000, 4000, 8000];
    for (const lockout of lockouts) {
      expect(attempt(limiter, 'alice', '10.0.0.1')).toBe(true);
      expect(limiter.retryAfterMsFor('alice', '10.0.0.1')).toBe(lockout);
      expect(attempt(limiter, 'alice', '10.0.0.1')).toBe(false);
      clock.now += lockout;
      expect(limiter.retryAfterMsFor('alice', '10.0.0.1')).toBe(0);
    }
  });

  it('counts an attempt when it starts: parallel attempts are limited like attempts in a row', () => {
    const { limiter } = limiterAt();
    const started = Array.from({ length: 8 }, () => limiter.begin('alice', '10.0.0.1'));
    expect(started.map((start) => start.kind)).toEqual(['go', 'go', 'go', 'go', 'go', 'wait', 'wait', 'wait']);
  });

  it('gives a successful attempt’s place back and clears the name at that address', () => {
    const { limiter } = limiterAt();
    for (let failure = 0; failure < 4; failure++) attempt(limiter, 'alice', 'a');
    expect(attempt(limiter, 'alice', 'a', 'succeed')).toBe(true);
    for (let failure = 0; failure < 4; failure++) attempt(limiter, 'alice', 'a');
    expect(limiter.retryAfterMsFor('alice', 'a')).toBe(0);
  });

  it('caps the lockout', () => {
    const { clock, limiter } = limiterAt(0, { maxLockoutMs: 5000 });
    for (let failure = 0; failure < 40; failure++) {
      attempt(limiter, 'alice', 'a');
      clock.now += limiter.retryAfterMsFor('alice', 'a');
    }
    attempt(limiter, 'alice', 'a');
    expect(limiter.retryAfterMsFor('alice', 'a')).toBe(5000);
  });

  it('locks a name out at one address only', () => {
    const { limiter } = limiterAt();
    for (let failure = 0; failure < 5; failure++) attempt(limiter, 'alice', 'attacker');
    expect(limiter.retryAfterMsFor('alice', 'attacker')).toBe(1000);
    expect(limiter.retryAfterMsFor('alice', 'owner')).toBe(0);
  });

  it('limits an address across user names', () => {
    const { limiter } = limiterAt();
    for (let failure = 0; failure < 20; failure++) attempt(limiter, `user${failure}`, '10.0.0.2');
    expect(limiter.retryAfterMsFor('someone-else', '10.0.0.2')).toBe(1000);
    expect(limiter.retryAfterMsFor('someone-else', '10.0.0.3')).toBe(0);
  });

  it('holds a name guessed from many addresses with a slower, shorter backstop, except where it logged in before', () => {
    const { clock, limiter } = limiterAt(0, { freeFailuresPerUser: 10, maxUserLockoutMs: 4000 });
    attempt(limiter, 'alice', 'home', 'succeed');
    for (let failure = 0; failure < 14; failure++) {
      attempt(limiter, 'alice', `botnet${failure}`);
      clock.now += limiter.retryAfterMsFor('alice', 'fresh');
    }
    attempt(limiter, 'alice', 'botnet-last');
    expect(limiter.retryAfterMsFor('alice', 'fresh')).toBe(4000);
    expect(limiter.retryAfterMsFor('alice', 'home')).toBe(0);
  });

  it('forgets everything after an idle hour', () => {
    const { clock, limiter } = limiterAt();
    for (let failure = 0; failure < 25; failure++) attempt(limiter, 'bob', 'c');
    clock.now += DEFAULT_LOGIN_LIMITS.forgetAfterMs + 1;
    expect(limiter.retryAfterMsFor('bob', 'c')).toBe(0);
  });

  it('keeps at most maxKeys records', () => {
    const { limiter } = limiterAt(0, { maxKeys: 10, freeFailuresPerUserAddress: 1 });
    attempt(limiter, 'first', 'x');
    for (let user = 0; user < 20; user++) attempt(limiter, `user${user}`, 'y');
    expect(limiter.retryAfterMsFor('first', 'x')).toBe(0);
    expect(limiter.retryAfterMsFor('user19', 'y')).toBe(1000);
  });
});
