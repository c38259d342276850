import type { Config } from '../config/config-schema.js';
import { PgferryError } from '../errors/pgferry-error.js';
import type { AppStore } from '../store/app-store.js';
import { LoginThrottleRepository } from '../store/login-throttle-repository.js';

/** Thrown with the wait in seconds so the route can answer `Retry-After`. */
export class LoginRateLimitedError extends PgferryError {
  constructor(
    readonly retryAfterSeconds: number,
    what = 'failed logins',
  ) {
    super('PGF_RATE_LIMITED', `too many ${what}; try again in ${retryAfterSeconds} s`, { details: { retryAfterSeconds } });
  }
}

/**
 * Failed attempts of one kind (logins, wrong current passwords), counted per user and per
 * client address in login_throttle, so every API process shares them. `prefix` keeps the
 * kinds apart; logins use none, so a second factor shares the password's counters.
 */
export class AttemptLimiter {
  private readonly throttle: LoginThrottleRepository;
  private readonly userKey: string;
  private readonly ipKey: string | undefined;
  private readonly what: string;

  constructor(
    store: AppStore,
    private readonly config: Config,
    input: { prefix: string; username: string; ip: string | null; what: string },
  ) {
    this.throttle = new LoginThrottleRepository(store.db);
    this.userKey = `${input.prefix}user:${input.username.toLowerCase().slice(0, 200)}`;
    this.ipKey = input.ip ? `${input.prefix}ip:${input.ip.slice(0, 100)}` : undefined;
    this.what = input.what;
  }

  async assertAllowed(): Promise<void> {
    const limits = [{ key: this.userKey, maxFailures: this.config.PGFERRY_LOGIN_MAX_ATTEMPTS }];
    if (this.ipKey) limits.push({ key: this.ipKey, maxFailures: this.config.PGFERRY_LOGIN_MAX_ATTEMPTS_PER_IP });
    const wait = await this.throttle.lockedForSeconds(limits, this.config.PGFERRY_LOGIN_WINDOW_SECONDS);
    if (wait > 0) throw new LoginRateLimitedError(wait, this.what);
  }

  async recordFailure(): Promise<void> {
    await this.throttle.recordFailure(this.ipKey ? [this.userKey, this.ipKey] : [this.userKey], this.config.PGFERRY_LOGIN_WINDOW_SECONDS);
  }

  /** After a full success only: the address counter keeps counting guesses at other users. */
  async clearUser(): Promise<void> {
    await this.throttle.clear(this.userKey);
  }
}
