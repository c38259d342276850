import type { Config } from '../../config/config-schema.js';
import type { OidcRole } from '../../config/oidc-config.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import type { AppStore } from '../../store/app-store.js';
import { OidcRepository } from '../../store/oidc-repository.js';
import { type PublicUser, UserRepository } from '../../store/user-repository.js';

/** Stored as the password hash of a user created by SSO: not argon2, so no password matches it. */
const noPassword = '!oidc';
const usernamePattern = /^[A-Za-z0-9_.@-]{1,100}$/;

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** Names a pre-created user may be matched by: the preferred username, and a verified email. */
function candidateNames(claims: Record<string, unknown>): string[] {
  const email = claims.email_verified === false ? undefined : text(claims.email);
  return [text(claims.preferred_username), email].filter((name): name is string => name !== undefined && usernamePattern.test(name));
}

/**
 * The pgferry user an SSO identity signs in as: the one linked to (issuer, subject), else a
 * user an admin created with the same username or email (then linked), else — only with
 * PGFERRY_OIDC_AUTO_CREATE=true — a new user without a password. The break-glass user is
 * never matched by name, so a provider cannot take it over. The role follows the claims.
 */
export async function resolveOidcUser(store: AppStore, config: Config, identity: { issuer: string; subject: string; claims: Record<string, unknown>; role: OidcRole }): Promise<PublicUser> {
  const links = new OidcRepository(store.db);
  const users = new UserRepository(store.db);
  let user = await links.findUser(identity.issuer, identity.subject);
  if (!user) {
    const names = candidateNames(identity.claims).filter((name) => name.toLowerCase() !== config.PGFERRY_BREAK_GLASS_USER.toLowerCase());
    for (const name of names) {
      user = await users.findByUsername(name);
      if (user) break;
    }
    if (!user && config.PGFERRY_OIDC_AUTO_CREATE && names[0] !== undefined) {
      user = await users.create({ username: names[0], passwordHash: noPassword, role: identity.role, displayName: text(identity.claims.name)?.slice(0, 200) ?? null });
    }
    if (!user) {
      throw new PgferryError('PGF_OIDC_USER_UNKNOWN', `no pgferry user matches this SSO user (${names.join(', ') || 'no usable preferred_username or email claim'}); an admin must create the user first, or set PGFERRY_OIDC_AUTO_CREATE=true`);
    }
    await links.link(identity.issuer, identity.subject, user.id);
  }
  if (user.disabled_at !== null) throw new PgferryError('PGF_OIDC_USER_UNKNOWN', `the pgferry user "${user.username}" is disabled; an admin must enable it`);
  if (user.role !== identity.role) user = (await users.update(user.id, { role: identity.role })) ?? user;
  return user;
}
