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
  });

  rejectNulBytes(app);
  registerAuditHooks(app, store);
  if (options.housekeeping !== false) scheduleAuthHousekeeping(app, store, config);
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
