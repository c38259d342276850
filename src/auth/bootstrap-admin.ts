import { sql } from 'kysely';

import type { AppStore } from '../store/app-store.js';
import { UserRepository } from '../store/user-repository.js';
import { generatePassword, hashPassword } from './password-hash.js';

export const firstAdminUsername = 'admin';

/**
 * On the first start of an embedded installation, creates `admin` with a generated password
 * and returns it (the caller prints it once; it is never logged). Does nothing once any user
 * exists. The advisory lock keeps two processes starting together from both creating one.
 */
export async function ensureFirstAdmin(store: AppStore): Promise<{ username: string; password: string } | undefined> {
  return store.db.transaction().execute(async (tx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext('pgferry.first_admin'))`.execute(tx);
    if ((await new UserRepository(tx).count()) > 0) return undefined;
    const password = generatePassword();
    await new UserRepository(tx).create({ username: firstAdminUsername, passwordHash: await hashPassword(password), role: 'admin' });
    return { username: firstAdminUsername, password };
  });
}

export function firstAdminNotice(admin: { username: string; password: string }, url: string): string {
  return [
    '',
    '  pgferry created the first admin user (shown this once, not logged):',
    `    username: ${admin.username}`,
    `    password: ${admin.password}`,
    `  Log in at ${url} and change it, or run \`pgferry users reset-password ${admin.username}\`.`,
    '',
  ].join('\n');
}
