import type { FastifyRequest } from 'fastify';

import { ApiTokenRepository } from '../store/api-token-repository.js';
import { SessionRepository } from '../store/session-repository.js';
import type { AppStore } from '../store/app-store.js';
import type { Principal } from './principal.js';
import { lowerRole } from './roles.js';
import { hashSecret } from './secret-token.js';
import { sessionCookie } from './session-cookies.js';

export interface Authentication {
  principal: Principal | null;
  /** Credentials were sent (and were wrong): the answer names that instead of "log in". */
  presented: boolean;
}

/**
 * A bearer token wins over a cookie (browsers never add Authorization on their own, so a
 * token request needs no CSRF check). Every check runs against the store on each request,
 * so a revoked token, a logout or a disabled user takes effect at once.
 */
export async function authenticateRequest(request: FastifyRequest, store: AppStore): Promise<Authentication> {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+([A-Za-z0-9_\-.~+/]+=*)\s*$/i.exec(header);
    if (!match?.[1]) return { principal: null, presented: true };
    const tokens = new ApiTokenRepository(store.db);
    const row = await tokens.findActiveByHash(hashSecret(match[1]));
    if (!row) return { principal: null, presented: true };
    await tokens.touch(row.id);
    return {
      presented: true,
      principal: {
        kind: 'token',
        userId: row.user_id,
        username: row.username,
        role: lowerRole(row.role, row.user_role),
        tokenId: row.id,
        tokenName: row.name,
      },
    };
  }
  const sessionId = request.cookies[sessionCookie];
  if (!sessionId) return { principal: null, presented: false };
  const sessions = new SessionRepository(store.db);
  const row = await sessions.findActive(hashSecret(sessionId));
  if (!row) return { principal: null, presented: true };
  await sessions.touch(row.id_hash);
  return {
    presented: true,
    principal: {
      kind: 'session',
      userId: row.user_id,
      username: row.username,
      role: row.role,
      sessionIdHash: row.id_hash,
      csrfTokenHash: row.csrf_token_hash,
      totpEnabled: row.totp_enabled,
    },
  };
}
