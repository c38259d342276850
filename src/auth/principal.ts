import type { RouteAccess } from './route-access.js';
import type { Role } from '../store/store-types.js';

/** Who is calling: a user through a login session, or through one of their API tokens. */
export interface Principal {
  kind: 'session' | 'token';
  userId: string;
  username: string;
  /** Effective role: for a token, the lower of the token's role and its user's. */
  role: Role;
  sessionIdHash?: string;
  csrfTokenHash?: string;
  /** Sessions only: the user has a confirmed TOTP second factor. */
  totpEnabled?: boolean;
  tokenId?: string;
  tokenName?: string;
}

/** What a route handler may add to its audit row (the hook fills in everything else). */
export interface AuditContext {
  /** For attempts without a principal, e.g. the username of a failed login. */
  actorName?: string;
  resourceId?: string;
  /** The status the audit row records when the answer's own (200) hides a failed outcome, e.g. a failed connection test. */
  outcomeStatus?: number;
}

/** A route as registered, kept for the route-walk tests and for operators who list routes. */
export interface RegisteredRoute {
  method: string;
  url: string;
  /** As declared; `undefined` means the route forgot, and is treated as admin-only. */
  declaredAccess: RouteAccess | undefined;
  auditResource: string | undefined;
  querystring: unknown;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    auditContext: AuditContext | null;
  }
  interface FastifyInstance {
    registeredRoutes: RegisteredRoute[];
  }
  interface FastifyContextConfig {
    /** Overrides the derived `<resource>.<verb>` audit action, e.g. `auth.login`. */
    auditAction?: string;
    /** Audit this read route too (downloads of backups, say); mutating routes always are. */
    auditRead?: boolean;
    /** Reachable by an admin session that PGFERRY_REQUIRE_2FA_FOR_ADMINS holds back until TOTP is enrolled. */
    allowedBeforeTotp?: boolean;
  }
}
