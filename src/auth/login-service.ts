import type { AppStore } from '../store/app-store.js';
import type { Config } from '../config/config-schema.js';
import { PgferryError } from '../errors/pgferry-error.js';
import { LoginChallengeRepository } from '../store/login-challenge-repository.js';
import { TotpRepository } from '../store/totp-repository.js';
import { type PublicUser, UserRepository } from '../store/user-repository.js';
import { AttemptLimiter } from './attempt-limiter.js';
import { burnPasswordCheck, verifyPassword } from './password-hash.js';
import { openSession } from './open-session.js';
import { hashSecret, randomSecret } from './secret-token.js';

export { LoginRateLimitedError } from './attempt-limiter.js';

export interface LoginInput {
  username: string;
  password: string;
  ip: string | null;
  userAgent: string | null;
}

export interface SessionOpened {
  kind: 'session';
  user: PublicUser;
  sessionId: string;
  csrfToken: string;
  expiresAt: Date;
}

/** The password was right and the user has TOTP: no session yet, only a single-use challenge. */
export interface SecondFactorRequired {
  kind: 'second_factor';
  userId: string;
  challengeToken: string;
  expiresAt: Date;
}

/** Long enough to open an authenticator app, short enough that a leaked challenge is stale. */
const challengeTtlSeconds = 300;

/** Logins count their failures per user and address; the second factor shares these counters. */
export function loginLimiter(store: AppStore, config: Config, username: string, ip: string | null): AttemptLimiter {
  return new AttemptLimiter(store, config, { prefix: '', username, ip, what: 'failed logins' });
}

/**
 * Checks the per-IP and per-user failure counters first (shared by all API processes), then
 * the password. Without TOTP a success opens a session and clears the user's counter; with
 * TOTP it answers a challenge and leaves the counter alone, so a known password cannot reset
 * the count of wrong codes.
 */
export async function login(store: AppStore, config: Config, input: LoginInput): Promise<SessionOpened | SecondFactorRequired> {
  if (config.PGFERRY_LOCAL_LOGIN === 'off' && input.username.toLowerCase() !== config.PGFERRY_BREAK_GLASS_USER.toLowerCase()) {
    throw new PgferryError('PGF_LOCAL_LOGIN_DISABLED', `password login is off here (PGFERRY_LOCAL_LOGIN=off); sign in with SSO instead, or as the break-glass user`);
  }
  const limiter = loginLimiter(store, config, input.username, input.ip);
  await limiter.assertAllowed();

  const user = await new UserRepository(store.db).findByUsernameWithHash(input.username);
  let ok = false;
  if (user) ok = await verifyPassword(user.password_hash, input.password);
  else await burnPasswordCheck(input.password);
  if (!user || !ok || user.disabled_at !== null) {
    await limiter.recordFailure();
    // One message for unknown user, wrong password and disabled user: no account probing.
    throw new PgferryError('PGF_LOGIN_FAILED', 'wrong username or password, or the user is disabled');
  }
  const totp = await new TotpRepository(store.db).find(user.id);
  if (totp?.confirmed_at) {
    const challengeToken = randomSecret();
    const expiresAt = await new LoginChallengeRepository(store.db).create(hashSecret(challengeToken), user.id, challengeTtlSeconds);
    return { kind: 'second_factor', userId: user.id, challengeToken, expiresAt };
  }
  await limiter.clearUser();
  const { password_hash: _hash, ...publicUser } = user;
  return openUserSession(store, config, publicUser, input);
}

/** Opens a server-side session for a user who has passed every factor. */
export async function openUserSession(store: AppStore, config: Config, user: PublicUser, input: { ip: string | null; userAgent: string | null }): Promise<SessionOpened> {
  const opened = await openSession(store, config, { userId: user.id, ip: input.ip, userAgent: input.userAgent });
  return { kind: 'session', user: { ...user, last_login_at: new Date() }, ...opened };
}
