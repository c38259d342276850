import type { AppStore } from '../store/app-store.js';
import { PgferryError } from '../errors/pgferry-error.js';
import { ApiTokenRepository, type ApiTokenView } from '../store/api-token-repository.js';
import type { Role } from '../store/store-types.js';
import { type PublicUser, UserRepository } from '../store/user-repository.js';
import { hashPassword, minimumPasswordLength } from './password-hash.js';
import { lowerRole } from './roles.js';
import { generateApiToken } from './secret-token.js';
import { isUuid } from '../store/uuid.js';

// User and token administration shared by the API routes and the local CLI.

export function assertPasswordStrength(password: string): void {
  if (password.length < minimumPasswordLength) {
    throw new PgferryError('PGF_VALIDATION_FAILED', `the password is too short: use at least ${minimumPasswordLength} characters`, {
      details: { field: 'password', minimum: minimumPasswordLength },
    });
  }
  if (password.length > 1000) {
    throw new PgferryError('PGF_VALIDATION_FAILED', 'the password is too long: use at most 1000 characters', { details: { field: 'password' } });
  }
}

export async function createUser(
  store: AppStore,
  input: { username: string; password: string; role: Role; displayName?: string | null },
): Promise<PublicUser> {
  assertPasswordStrength(input.password);
  return new UserRepository(store.db).create({
    username: input.username,
    passwordHash: await hashPassword(input.password),
    role: input.role,
    displayName: input.displayName ?? null,
  });
}

export async function updateUser(
  store: AppStore,
  id: string,
  changes: { role?: Role | undefined; displayName?: string | null | undefined; disabled?: boolean | undefined; password?: string | undefined },
): Promise<PublicUser> {
  if (changes.password !== undefined) assertPasswordStrength(changes.password);
  const updated = await new UserRepository(store.db).update(id, {
    ...(changes.role !== undefined ? { role: changes.role } : {}),
    ...(changes.displayName !== undefined ? { displayName: changes.displayName } : {}),
    ...(changes.disabled !== undefined ? { disabled: changes.disabled } : {}),
    ...(changes.password !== undefined ? { passwordHash: await hashPassword(changes.password) } : {}),
  });
  if (!updated) throw new PgferryError('PGF_NOT_FOUND', `user ${id} does not exist; list users with GET /api/v1/users`);
  return updated;
}

export async function findUserOrThrow(store: AppStore, usernameOrId: string): Promise<PublicUser> {
  const users = new UserRepository(store.db);
  const user = (isUuid(usernameOrId) ? await users.findById(usernameOrId) : undefined) ?? (await users.findByUsername(usernameOrId));
  if (!user) throw new PgferryError('PGF_NOT_FOUND', `user "${usernameOrId}" does not exist; see \`pgferry users list\``);
  return user;
}

/** The token's role may not exceed its user's; the plaintext is returned once and never stored. */
export async function createApiToken(
  store: AppStore,
  input: { user: PublicUser; name: string; role: Role; expiresInDays?: number | undefined },
): Promise<{ token: string; view: ApiTokenView }> {
  if (input.user.disabled_at !== null) {
    throw new PgferryError('PGF_CONFLICT', `user "${input.user.username}" is disabled; enable it before giving it a token`);
  }
  if (lowerRole(input.role, input.user.role) !== input.role) {
    throw new PgferryError(
      'PGF_VALIDATION_FAILED',
      `a token cannot have more rights than its user: "${input.user.username}" is ${input.user.role}, the token asked for ${input.role}`,
      { details: { field: 'role' } },
    );
  }
  const secret = generateApiToken();
  const expiresAt = input.expiresInDays === undefined ? null : new Date(Date.now() + input.expiresInDays * 86_400_000);
  const view = await new ApiTokenRepository(store.db).create({
    userId: input.user.id,
    name: input.name,
    role: input.role,
    prefix: secret.prefix,
    hash: secret.hash,
    expiresAt,
  });
  return { token: secret.token, view };
}
