import type { Config } from '../config/config-schema.js';
import type { AppStore } from '../store/app-store.js';
import { SessionRepository } from '../store/session-repository.js';
import { UserRepository } from '../store/user-repository.js';
import { hashSecret, randomSecret } from './secret-token.js';

export interface OpenedSession {
  sessionId: string;
  csrfToken: string;
  expiresAt: Date;
}

/** A server-side session for a user who has proven who they are (password or SSO). */
export async function openSession(store: AppStore, config: Config, input: { userId: string; ip: string | null; userAgent: string | null }): Promise<OpenedSession> {
  const sessionId = randomSecret();
  const csrfToken = randomSecret();
  const expiresAt = await new SessionRepository(store.db).create({
    idHash: hashSecret(sessionId),
    userId: input.userId,
    csrfTokenHash: hashSecret(csrfToken),
    ip: input.ip,
    userAgent: input.userAgent?.slice(0, 500) ?? null,
    ttlMs: config.PGFERRY_SESSION_TTL_HOURS * 3600 * 1000,
  });
  await new UserRepository(store.db).recordLogin(input.userId);
  return { sessionId, csrfToken, expiresAt };
}
