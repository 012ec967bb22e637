// Rate limiting of failed logins. Three counts, each with its own allowance of free failures,
// after which a count is locked out for firstLockoutMs (1 s), then twice as long after each
// further failure, up to its cap:
//
// - per user name and client address (5 free, up to 15 minutes): a guesser locks only their
//   own address out of that name; the owner, elsewhere, still logs in;
// - per client address (20 free, up to 15 minutes): one address trying many names;
// - per user name over all addresses (100 free, up to 1 minute): a slower backstop against
//   guesses spread over many addresses. It never applies to an address the user logged in
//   from before (while the server remembers it), so it cannot lock the owner out either.
//
// An attempt is counted as a failure when it starts (reserved), before the password is
// checked, and given back if it succeeds: a burst of parallel guesses is limited exactly like
// the same guesses one after another. A success also clears that name's count at that
// address. Records are forgotten after forgetAfterMs without failures. The state is in
// memory: several server instances would each keep their own (noted in the docs).

export interface LoginLimiterOptions {
  /** Failures allowed per user name and client address before lockouts start. */
  readonly freeFailuresPerUserAddress: number;
  /** Failures allowed per client address (over all user names) before lockouts start. */
  readonly freeFailuresPerAddress: number;
  /** Failures allowed per user name over all addresses (the backstop) before lockouts start. */
  readonly freeFailuresPerUser: number;
  readonly firstLockoutMs: number;
  /** Longest lockout of a name at an address, and of an address. */
  readonly maxLockoutMs: number;
  /** Longest lockout of the backstop per user name. */
  readonly maxUserLockoutMs: number;
  readonly forgetAfterMs: number;
  /** How long an address a user logged in from stays exempt from that user's backstop. */
  readonly rememberSuccessMs: number;
  /** Most keys remembered; the oldest are dropped first so memory stays bounded. */
  readonly maxKeys: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimiterOptions = {
  freeFailuresPerUserAddress: 5,
  freeFailuresPerAddress: 20,
  freeFailuresPerUser: 100,
  firstLockoutMs: 1000,
  maxLockoutMs: 15 * 60_000,
  maxUserLockoutMs: 60_000,
  forgetAfterMs: 60 * 60_000,
  rememberSuccessMs: 30 * 24 * 60 * 60_000,
  maxKeys: 100_000,
};

interface FailureRecord {
  failures: number;
  lastFailure: number;
}

interface CountKey {
  readonly key: string;
  readonly freeFailures: number;
  readonly maxLockoutMs: number;
}

/** What begin() answers: wait this long, or go ahead and report how the attempt ended. */
export type LoginAttemptStart = { readonly kind: 'wait'; readonly retryAfterMs: number } | { readonly kind: 'go'; readonly attempt: LoginAttempt };

export interface LoginAttempt {
  /** The password was right: the reserved failure is given back and this name's count at this address cleared. */
  succeeded(): void;
  /** The password was wrong: the reserved failure stays. */
  failed(): void;
}

export class LoginLimiter {
  private readonly records = new Map<string, FailureRecord>();
  /** When each user name last logged in from each address. */
  private readonly successes = new Map<string, number>();

  constructor(
    private readonly options: LoginLimiterOptions = DEFAULT_LOGIN_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Starts a login attempt of `userName` from `address`: either the wait before one is
   * allowed, or the attempt, already counted as a failure until it reports success.
   */
  begin(userName: string, address: string): LoginAttemptStart {
    const keys = this.keysFor(userName, address);
    const wait = this.retryAfterMs(keys);
    if (wait > 0) return { kind: 'wait', retryAfterMs: wait };
    for (const key of keys) this.bump(key.key);
    let settled = false;
    return {
      kind: 'go',
      attempt: {
        succeeded: () => {
          if (settled) return;
          settled = true;
          for (const key of keys) this.giveBack(key.key);
          this.records.delete(this.userAddressKey(userName, address));
          this.remember(this.successes, this.successKey(userName, address), this.now());
        },
        failed: () => {
          settled = true;
        },
      },
    };
  }

  /** Milliseconds until this user name may try again from this address; 0 when it may now. */
  retryAfterMsFor(userName: string, address: string): number {
    return this.retryAfterMs(this.keysFor(userName, address));
  }

  private keysFor(userName: string, address: string): CountKey[] {
    const { options } = this;
    const keys: CountKey[] = [
      { key: this.userAddressKey(userName, address), freeFailures: options.freeFailuresPerUserAddress, maxLockoutMs: options.maxLockoutMs },
      { key: JSON.stringify(['address', address]), freeFailures: options.freeFailuresPerAddress, maxLockoutMs: options.maxLockoutMs },
    ];
    const lastSuccess = this.successes.get(this.successKey(userName, address));
    if (lastSuccess === undefined || this.now() - lastSuccess > options.rememberSuccessMs) {
      keys.push({ key: JSON.stringify(['user', userName]), freeFailures: options.freeFailuresPerUser, maxLockoutMs: options.maxUserLockoutMs });
    }
    return keys;
  }

  private userAddressKey(userName: string, address: string): string {
    return JSON.stringify(['user-address', userName, address]);
  }

  private successKey(userName: string, address: string): string {
    return JSON.stringify([userName, address]);
  }

  private retryAfterMs(keys: readonly CountKey[]): number {
    const now = this.now();
    let wait = 0;
    for (const { key, freeFailures, maxLockoutMs } of keys) {
      const record = this.records.get(key);
      if (record === undefined) continue;
      if (now - record.lastFailure > this.options.forgetAfterMs) {
        this.records.delete(key);
        continue;
      }
      wait = Math.max(wait, record.lastFailure + this.lockoutMs(record.failures, freeFailures, maxLockoutMs) - now);
    }
    return wait;
  }

  /** How long `failures` failures lock a count out, counted from the last one. */
  private lockoutMs(failures: number, freeFailures: number, maxLockoutMs: number): number {
    if (failures < freeFailures) return 0;
    return Math.min(this.options.firstLockoutMs * 2 ** Math.min(failures - freeFailures, 30), maxLockoutMs);
  }

  private bump(key: string): void {
    const record = this.records.get(key) ?? { failures: 0, lastFailure: 0 };
    record.failures += 1;
    record.lastFailure = this.now();
    this.remember(this.records, key, record);
  }

  private giveBack(key: string): void {
    const record = this.records.get(key);
    if (record === undefined) return;
    record.failures -= 1;
    if (record.failures <= 0) this.records.delete(key);
  }

  /** Sets a key as the most recent one of the map, dropping the oldest beyond maxKeys. */
  private remember<Value>(map: Map<string, Value>, key: string, value: Value): void {
    map.delete(key);
    map.set(key, value);
    while (map.size > this.options.maxKeys) {
      const oldest = map.keys().next().value;
      if (oldest === undefined) break;
      map.delete(oldest);
    }
  }
}
