import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyRequest } from 'fastify';

import type { AppStore } from '../store/app-store.js';
import { registerAuditHooks } from '../audit/audit-hooks.js';
import { scheduleAuthHousekeeping } from '../audit/audit-retention.js';
import type { Config } from '../config/config-schema.js';
import { PgferryError } from '../errors/pgferry-error.js';
import { translateStoreError } from '../store/open-store.js';
import { authenticateRequest } from './authenticate-request.js';
import { rejectNulBytes } from './reject-nul-bytes.js';
import type { Principal, RegisteredRoute } from './principal.js';
import { effectiveAccess, roleSatisfies } from './roles.js';
import { secretMatchesHash } from './secret-token.js';
import { csrfHeader } from './session-cookies.js';

export interface RegisterAuthOptions {
  config: Config;
  store: AppStore;
  /** Background pruning of audit rows, expired sessions and login counters (default: on). */
  housekeeping?: boolean;
}

export const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The one place that enforces `config.access` for every route, existing and future:
 * register before any route. A route without `access` is admin-only (fail closed).
 */
export async function registerAuth(app: FastifyInstance, options: RegisterAuthOptions): Promise<void> {
  const { config, store } = options;
  const routes: RegisteredRoute[] = [];
  app.decorate('registeredRoutes', routes);
  app.decorateRequest('principal', null);
  app.decorateRequest('auditContext', null);

  app.addHook('onRoute', (route) => {
    // The swagger-ui pages render the public OpenAPI document, so they are public too.
    if (route.url.startsWith('/docs') && route.config?.access === undefined) {
      route.config = { ...route.config, access: 'public' };
    }
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      routes.push({
        method,
        url: route.url,
        declaredAccess: route.config?.access,
        auditResource: route.config?.auditResource,
        querystring: route.schema?.querystring,
      });
    }
  });

  await app.register(cookie);

  app.addHook('onRequest', async (request) => {
    // Unknown paths answer 404; CORS preflights (the cors plugin's `OPTIONS *`) carry no credentials.
    if (request.is404 || (request.method === 'OPTIONS' && request.routeOptions.url === '*')) return;
    const access = effectiveAccess(request.routeOptions.config.access);
    if (access === 'public') {
      // Public routes (health, readiness, login) must answer even when the store does not:
      // the caller is only identified for the audit log, when that is possible.
      request.principal = (await authenticateRequest(request, store).catch(() => undefined))?.principal ?? null;
      return;
    }
    const { principal, presented } = await authenticateRequest(request, store).catch((error: unknown) => {
      throw translateStoreError(error);
    });
    request.principal = principal;
    if (!principal) {
      throw new PgferryError(
        'PGF_UNAUTHENTICATED',
        presented
          ? 'the session or API token is invalid, expired or revoked, or its user is disabled; log in again or create a new token'
          : 'this route needs a login (POST /api/v1/auth/login) or an `Authorization: Bearer <token>` header',
      );
    }
    if (!roleSatisfies(principal.role, access)) {
      throw new PgferryError(
        'PGF_FORBIDDEN',
        `${request.method} ${request.routeOptions.url ?? ''} needs the ${access} role and ${principal.username} has ${principal.role}; ask an admin`,
        { details: { required: access, role: principal.role } },
      );
    }
    if (!safeMethods.has(request.method)) assertCsrf(request, principal);
    assertTotpEnrolledIfRequired(request, principal, config);
  });

  rejectNulBytes(app);
  registerAuditHooks(app, store);
  if (options.housekeeping !== false) scheduleAuthHousekeeping(app, store, config);
}

/**
 * PGFERRY_REQUIRE_2FA_FOR_ADMINS: an admin's password session reaches only the routes that let
 * them enrol (and see who they are, or log out) until their TOTP is confirmed. Checked on every
 * request, so turning the setting on holds back sessions opened before. Tokens are not sessions.
 */
function assertTotpEnrolledIfRequired(request: FastifyRequest, principal: Principal, config: Config): void {
  if (!config.PGFERRY_REQUIRE_2FA_FOR_ADMINS || principal.kind !== 'session' || principal.role !== 'admin') return;
  if (principal.totpEnabled || request.routeOptions.config.allowedBeforeTotp === true) return;
  throw new PgferryError(
    'PGF_TOTP_ENROLMENT_REQUIRED',
    `admins must set up two-factor sign-in first (PGFERRY_REQUIRE_2FA_FOR_ADMINS is on): enrol an authenticator app on the Account page (POST /api/v1/auth/totp/enrol), then retry ${request.method} ${request.routeOptions.url ?? ''}`,
  );
}

/** Cookie sessions must echo the session's CSRF token in a header a cross-site form cannot set. */
function assertCsrf(request: FastifyRequest, principal: Principal): void {
  if (principal.kind !== 'session' || principal.csrfTokenHash === undefined) return;
  const sent = request.headers[csrfHeader];
  if (typeof sent !== 'string' || sent === '' || !secretMatchesHash(sent, principal.csrfTokenHash)) {
    throw new PgferryError(
      'PGF_CSRF_FAILED',
      `changes made with a session cookie need the ${csrfHeader} header holding the pgferry_csrf cookie's value; reload the page or log in again`,
    );
  }
}
