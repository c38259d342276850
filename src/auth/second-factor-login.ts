import type { Config } from '../config/config-schema.js';
import { PgferryError } from '../errors/pgferry-error.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { AppStore } from '../store/app-store.js';
import { LoginChallengeRepository } from '../store/login-challenge-repository.js';
import { UserRepository } from '../store/user-repository.js';
import { type SessionOpened, loginLimiter, openUserSession } from './login-service.js';
import { hashSecret } from './secret-token.js';
import { checkSecondFactor } from './totp-service.js';

export interface SecondFactorInput {
  challengeToken: string;
  code: string;
  method: 'totp' | 'recovery';
  ip: string | null;
  userAgent: string | null;
  /** Told whose challenge it is, before the code is checked (for the audit row of a failure). */
  identify?: (user: { userId: string; username: string }) => void;
}

/**
 * The second login step: the challenge from the password step plus a code. Wrong codes count
 * against the same per-user and per-address limits as wrong passwords; the challenge survives
 * a typo but is used up by the success that opens the session.
 */
export async function completeSecondFactor(store: AppStore, secrets: SecretBox, config: Config, input: SecondFactorInput): Promise<SessionOpened> {
  const challenges = new LoginChallengeRepository(store.db);
  const idHash = hashSecret(input.challengeToken);
  const pending = await challenges.findActive(idHash);
  if (!pending) throw expired();
  input.identify?.({ userId: pending.user_id, username: pending.username });
  const limiter = loginLimiter(store, config, pending.username, input.ip);
  await limiter.assertAllowed();
  const user = { userId: pending.user_id, username: pending.username };
  if (!(await checkSecondFactor(store, secrets, user, input.code, input.method))) {
    await limiter.recordFailure();
    throw new PgferryError(
      'PGF_SECOND_FACTOR_FAILED',
      input.method === 'recovery' ? 'the recovery code is wrong or was already used' : 'the code is wrong or was already used; enter the current 6-digit code from your authenticator app',
    );
  }
  if (!(await challenges.consume(idHash))) throw expired();
  await limiter.clearUser();
  const found = await new UserRepository(store.db).findById(pending.user_id);
  if (!found) throw expired();
  return openUserSession(store, config, found, input);
}

function expired(): PgferryError {
  return new PgferryError('PGF_UNAUTHENTICATED', 'this sign-in has expired or was already completed; log in again with your password');
}
