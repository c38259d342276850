import QRCode from 'qrcode';

import type { Config } from '../config/config-schema.js';
import { PgferryError } from '../errors/pgferry-error.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { AppStore } from '../store/app-store.js';
import { TotpRepository } from '../store/totp-repository.js';
import { UserRepository } from '../store/user-repository.js';
import { AttemptLimiter } from './attempt-limiter.js';
import { verifyPassword } from './password-hash.js';
import { hashRecoveryCode, newRecoveryCodes } from './recovery-codes.js';
import { matchTotpStep, newTotpSecret, totpUri } from './totp-code.js';

export interface TotpCaller {
  userId: string;
  username: string;
  ip: string | null;
}

export interface TotpStatus {
  enabled: boolean;
  pending: boolean;
  recoveryCodesLeft: number;
}

const secretLabel = (username: string) => `TOTP secret of user "${username}"`;

export async function totpStatus(store: AppStore, userId: string): Promise<TotpStatus> {
  const repository = new TotpRepository(store.db);
  const row = await repository.find(userId);
  const enabled = Boolean(row?.confirmed_at);
  return { enabled, pending: row !== undefined && !enabled, recoveryCodesLeft: enabled ? await repository.countUnusedRecoveryCodes(userId) : 0 };
}

/** A new pending secret (replacing an unconfirmed one): the only time the secret is shown. */
export async function startTotpEnrolment(store: AppStore, secrets: SecretBox, caller: TotpCaller): Promise<{ secret: string; uri: string; qrDataUrl: string }> {
  const secret = newTotpSecret();
  if (!(await new TotpRepository(store.db).savePending(caller.userId, secrets.seal(secret)))) {
    throw new PgferryError('PGF_CONFLICT', `user "${caller.username}" already has two-factor sign-in; disable it first to enrol a new authenticator`);
  }
  const uri = totpUri(secret, caller.username);
  return { secret, uri, qrDataUrl: await QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 2, width: 240 }) };
}

/** Confirms the pending secret with a code from the app; answers the recovery codes, once. */
export async function confirmTotpEnrolment(store: AppStore, secrets: SecretBox, config: Config, caller: TotpCaller, code: string): Promise<{ recoveryCodes: string[] }> {
  const repository = new TotpRepository(store.db);
  const row = await repository.find(caller.userId);
  if (!row || row.confirmed_at) {
    throw new PgferryError('PGF_CONFLICT', `user "${caller.username}" has no pending two-factor enrolment; start one first (POST /api/v1/auth/totp/enrol)`);
  }
  const limiter = codeLimiter(store, config, caller);
  await limiter.assertAllowed();
  const step = matchTotpStep(secrets.open(row.secret_encrypted, secretLabel(caller.username)), code, null);
  if (step === null || !(await repository.useStep(caller.userId, step, { confirm: true }))) {
    await limiter.recordFailure();
    throw wrongCode();
  }
  await limiter.clearUser();
  return { recoveryCodes: await replaceRecoveryCodes(repository, caller.userId) };
}

/** Turns two-factor sign-in off; needs the current password or a current code. */
export async function disableTotp(store: AppStore, secrets: SecretBox, config: Config, caller: TotpCaller, proof: { password?: string | undefined; code?: string | undefined }): Promise<void> {
  const repository = new TotpRepository(store.db);
  if (!(await repository.find(caller.userId))) {
    throw new PgferryError('PGF_CONFLICT', `user "${caller.username}" has no two-factor sign-in to disable`);
  }
  await assertProof(store, secrets, config, caller, proof);
  await repository.remove(caller.userId);
}

/** An admin turns a user's two-factor sign-in off (a lost phone and lost recovery codes). */
export async function resetTotp(store: AppStore, userId: string): Promise<void> {
  const user = await new UserRepository(store.db).findById(userId);
  if (!user) throw new PgferryError('PGF_NOT_FOUND', `user ${userId} does not exist; list users with GET /api/v1/users`);
  if (!(await new TotpRepository(store.db).remove(userId))) {
    throw new PgferryError('PGF_CONFLICT', `user "${user.username}" has no two-factor sign-in to reset`);
  }
}

/** New recovery codes (the old ones stop working); needs a current code. */
export async function regenerateRecoveryCodes(store: AppStore, secrets: SecretBox, config: Config, caller: TotpCaller, code: string): Promise<{ recoveryCodes: string[] }> {
  const repository = new TotpRepository(store.db);
  const row = await repository.find(caller.userId);
  if (!row?.confirmed_at) throw new PgferryError('PGF_CONFLICT', `user "${caller.username}" has no confirmed two-factor sign-in; enrol first`);
  await assertProof(store, secrets, config, caller, { code });
  return { recoveryCodes: await replaceRecoveryCodes(repository, caller.userId) };
}

/**
 * Checks a second factor for `userId`: a 6-digit code from the app (each accepted once) or an
 * unused recovery code (then used up).
 */
export async function checkSecondFactor(store: AppStore, secrets: SecretBox, user: { userId: string; username: string }, code: string, method: 'totp' | 'recovery'): Promise<boolean> {
  const repository = new TotpRepository(store.db);
  if (method === 'recovery') return repository.useRecoveryCode(user.userId, hashRecoveryCode(code));
  const row = await repository.find(user.userId);
  if (!row?.confirmed_at) return false;
  const step = matchTotpStep(secrets.open(row.secret_encrypted, secretLabel(user.username)), code, row.last_used_step === null ? null : Number(row.last_used_step));
  return step !== null && repository.useStep(user.userId, step, { confirm: false });
}

async function replaceRecoveryCodes(repository: TotpRepository, userId: string): Promise<string[]> {
  const codes = newRecoveryCodes();
  await repository.replaceRecoveryCodes(userId, codes.map(hashRecoveryCode));
  return codes;
}

/** Wrong codes and passwords on these routes count like wrong current passwords. */
function codeLimiter(store: AppStore, config: Config, caller: TotpCaller): AttemptLimiter {
  return new AttemptLimiter(store, config, { prefix: 'password-change:', username: caller.username, ip: caller.ip, what: 'wrong passwords or codes' });
}

function wrongCode(): PgferryError {
  return new PgferryError('PGF_TOTP_CODE_INVALID', 'the code is wrong or was already used; enter the current 6-digit code from your authenticator app (check its clock)', { details: { field: 'code' } });
}

async function assertProof(store: AppStore, secrets: SecretBox, config: Config, caller: TotpCaller, proof: { password?: string | undefined; code?: string | undefined }): Promise<void> {
  if (!proof.password && !proof.code) {
    throw new PgferryError('PGF_VALIDATION_FAILED', 'give your current password or a current code from your authenticator app');
  }
  const limiter = codeLimiter(store, config, caller);
  await limiter.assertAllowed();
  if (proof.password) {
    const user = await new UserRepository(store.db).findByUsernameWithHash(caller.username);
    if (!user || !(await verifyPassword(user.password_hash, proof.password))) {
      await limiter.recordFailure();
      throw new PgferryError('PGF_VALIDATION_FAILED', 'the current password is wrong', { details: { field: 'password' } });
    }
  } else if (!(await checkSecondFactor(store, secrets, caller, proof.code ?? '', 'totp'))) {
    await limiter.recordFailure();
    throw wrongCode();
  }
  await limiter.clearUser();
}
