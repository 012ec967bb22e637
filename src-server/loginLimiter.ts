// Rate limiting of failed logins, per user name and per remote address. After `freeFailures`
// failures a key is locked out for firstLockoutMs (1 s), then twice as long after each further
// failure, up to maxLockoutMs; a success clears
// the user name's record. Records are forgotten after forgetAfterMs without failures. The
// state is in memory: several server instances would each keep their own (noted in the docs).

export interface LoginLimiterOptions {
  /** Failures allowed per user name before lockouts start. */
  readonly freeFailuresPerUser: number;
  /** Failures allowed per remote address (higher: many users may share one address). */
  readonly freeFailuresPerAddress: number;
  readonly firstLockoutMs: number;
  readonly maxLockoutMs: number;
  readonly forgetAfterMs: number;
  /** Most keys remembered; the oldest are dropped first so memory stays bounded. */
  readonly maxKeys: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimiterOptions = {
  freeFailuresPerUser: 5,
  freeFailuresPerAddress: 20,
  firstLockoutMs: 1000,
  maxLockoutMs: 15 * 60_000,
  forgetAfterMs: 60 * 60_000,
  maxKeys: 100_000,
};

interface FailureRecord {
  failures: number;
  lockedUntil: number;
  lastFailure: number;
}

export class LoginLimiter {
  private readonly records = new Map<string, FailureRecord>();

  constructor(
    private readonly options: LoginLimiterOptions = DEFAULT_LOGIN_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until this user name and address may try again; 0 when they may now. */
  retryAfterMs(userName: string, address: string): number {
    const now = this.now();
    let wait = 0;
    for (const key of [`user:${userName}`, `address:${address}`]) {
      const record = this.records.get(key);
      if (record === undefined) continue;
      if (now - record.lastFailure > this.options.forgetAfterMs) {
        this.records.delete(key);
        continue;
      }
      wait = Math.max(wait, record.lockedUntil - now);
    }
    return wait;
  }

  recordFailure(userName: string, address: string): void {
    this.bump(`user:${userName}`, this.options.freeFailuresPerUser);
    this.bump(`address:${address}`, this.options.freeFailuresPerAddress);
  }

  recordSuccess(userName: string): void {
    this.records.delete(`user:${userName}`);
  }

  private bump(key: string, freeFailures: number): void {
    const now = this.now();
    const record = this.records.get(key) ?? { failures: 0, lockedUntil: 0, lastFailure: now };
    record.failures += 1;
    record.lastFailure = now;
    if (record.failures >= freeFailures) {
      const exponent = Math.min(record.failures - freeFailures, 30);
      record.lockedUntil = now + Math.min(this.options.firstLockoutMs * 2 ** exponent, this.options.maxLockoutMs);
    }
    // Re-insert so the map's order is least recently failed first, then trim the oldest.
    this.records.delete(key);
    this.records.set(key, record);
    while (this.records.size > this.options.maxKeys) {
      const oldest = this.records.keys().next().value;
      if (oldest === undefined) break;
      this.records.delete(oldest);
    }
  }
}
