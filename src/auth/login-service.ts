import type { AppStore } from '../store/app-store.js';
import type { Config } from '../config/config-schema.js';
import { PgferryError } from '../errors/pgferry-error.js';
import { LoginThrottleRepository } from '../store/login-throttle-repository.js';
import { type PublicUser, UserRepository } from '../store/user-repository.js';
import { burnPasswordCheck, verifyPassword } from './password-hash.js';
import { openSession } from './open-session.js';

export interface LoginInput {
  username: string;
  password: string;
  ip: string | null;
  userAgent: string | null;
}

export interface LoginResult {
  user: PublicUser;
  sessionId: string;
  csrfToken: string;
  expiresAt: Date;
}

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
 * Checks the per-IP and per-user failure counters first (shared by all API processes), then
 * the password; a success opens a server-side session and clears the user's counter.
 */
export async function login(store: AppStore, config: Config, input: LoginInput): Promise<LoginResult> {
  const throttle = new LoginThrottleRepository(store.db);
  const window = config.PGFERRY_LOGIN_WINDOW_SECONDS;
  const userKey = `user:${input.username.toLowerCase().slice(0, 200)}`;
  const ipKey = input.ip ? `ip:${input.ip.slice(0, 100)}` : undefined;
  const limits = [{ key: userKey, maxFailures: config.PGFERRY_LOGIN_MAX_ATTEMPTS }];
  if (ipKey) limits.push({ key: ipKey, maxFailures: config.PGFERRY_LOGIN_MAX_ATTEMPTS_PER_IP });
  if (config.PGFERRY_LOCAL_LOGIN === 'off' && input.username.toLowerCase() !== config.PGFERRY_BREAK_GLASS_USER.toLowerCase()) {
    throw new PgferryError('PGF_LOCAL_LOGIN_DISABLED', `password login is off here (PGFERRY_LOCAL_LOGIN=off); sign in with SSO instead, or as the break-glass user`);
  }
  const wait = await throttle.lockedForSeconds(limits, window);
  if (wait > 0) throw new LoginRateLimitedError(wait);

  const users = new UserRepository(store.db);
  const user = await users.findByUsernameWithHash(input.username);
  let ok = false;
  if (user) ok = await verifyPassword(user.password_hash, input.password);
  else await burnPasswordCheck(input.password);
  if (!user || !ok || user.disabled_at !== null) {
    await throttle.recordFailure(ipKey ? [userKey, ipKey] : [userKey], window);
    // One message for unknown user, wrong password and disabled user: no account probing.
    throw new PgferryError('PGF_LOGIN_FAILED', 'wrong username or password, or the user is disabled');
  }
  await throttle.clear(userKey);

  const { sessionId, csrfToken, expiresAt } = await openSession(store, config, { userId: user.id, ip: input.ip, userAgent: input.userAgent });
  const { password_hash: _hash, ...publicUser } = user;
  return { user: { ...publicUser, last_login_at: new Date() }, sessionId, csrfToken, expiresAt };
}
