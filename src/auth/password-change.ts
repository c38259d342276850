import type { Config } from '../config/config-schema.js';
import { PgferryError } from '../errors/pgferry-error.js';
import type { AppStore } from '../store/app-store.js';
import { UserRepository } from '../store/user-repository.js';
import { AttemptLimiter } from './attempt-limiter.js';
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
  const limiter = new AttemptLimiter(store, config, { prefix: 'password-change:', username: input.username, ip: input.ip, what: 'wrong current passwords' });
  await limiter.assertAllowed();

  const user = await new UserRepository(store.db).findByUsernameWithHash(input.username);
  if (!user || !(await verifyPassword(user.password_hash, input.currentPassword))) {
    await limiter.recordFailure();
    throw new PgferryError('PGF_VALIDATION_FAILED', 'the current password is wrong', { details: { field: 'current_password' } });
  }
  await limiter.clearUser();
  await updateUser(store, user.id, { password: input.newPassword });
  return { userId: user.id };
}
