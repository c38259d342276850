import type { Config } from '../config/config-schema.js';
import { PgferryError } from '../errors/pgferry-error.js';
import type { AppStore } from '../store/app-store.js';
import { LoginThrottleRepository } from '../store/login-throttle-repository.js';
import { UserRepository } from '../store/user-repository.js';
import { LoginRateLimitedError } from './login-service.js';
import { verifyPassword } from './password-hash.js';
import { updateUser } from './user-admin.js';

/**
 * Changes the caller's password after checking the current one, throttled like login: wrong
 * current passwords count per user and per address (shared by all API processes), so a stolen
 * session or token cannot be used to guess the password behind it.
 */
export async function changeOwnPassword(
  store: AppStore,
  config: Config,
  input: { username: string; currentPassword: string; newPassword: string; ip: string | null },
): Promise<{ userId: string }> {
  const throttle = new LoginThrottleRepository(store.db);
  const window = config.PGFERRY_LOGIN_WINDOW_SECONDS;
  const userKey = `password-change:user:${input.username.toLowerCase().slice(0, 200)}`;
  const ipKey = input.ip ? `password-change:ip:${input.ip.slice(0, 100)}` : undefined;
  const limits = [{ key: userKey, maxFailures: config.PGFERRY_LOGIN_MAX_ATTEMPTS }];
  if (ipKey) limits.push({ key: ipKey, maxFailures: config.PGFERRY_LOGIN_MAX_ATTEMPTS_PER_IP });
  const wait = await throttle.lockedForSeconds(limits, window);
  if (wait > 0) throw new LoginRateLimitedError(wait, 'wrong current passwords');

  const user = await new UserRepository(store.db).findByUsernameWithHash(input.username);
  if (!user || !(await verifyPassword(user.password_hash, input.currentPassword))) {
    await throttle.recordFailure(ipKey ? [userKey, ipKey] : [userKey], window);
    throw new PgferryError('PGF_VALIDATION_FAILED', 'the current password is wrong', { details: { field: 'current_password' } });
  }
  await throttle.clear(userKey);
  await updateUser(store, user.id, { password: input.newPassword });
  return { userId: user.id };
}
