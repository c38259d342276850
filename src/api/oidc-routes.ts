import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

import { OidcClient, oidcSettings } from '../auth/oidc/oidc-client.js';
import { finishOidcSignIn, signInTtlMs, startOidcSignIn } from '../auth/oidc/oidc-sign-in.js';
import { cookieSecure, setSessionCookies } from '../auth/session-cookies.js';
import type { Config } from '../config/config-schema.js';
import { errorCodes } from '../errors/error-codes.js';
import { PgferryError } from '../errors/pgferry-error.js';
import type { AppStore } from './app-context.js';
import { errorBodySchema } from './api-schemas.js';
import { escapeHtml } from './html-text.js';

const stateCookie = 'pgferry_oidc_state';
const callbackPath = '/api/v1/auth/oidc';

/**
 * The provider sends the browser back cross-site, and a SameSite=strict session cookie set
 * during such a navigation is not sent on a redirect that follows it: a page that navigates
 * from here makes the next request same-site, so the new session is used at once.
 */
function navigateTo(reply: FastifyReply, location: string): FastifyReply {
  const escaped = escapeHtml(location);
  return reply
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(`<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${escaped}"><title>pgferry</title><a href="${escaped}">pgferry</a>`);
}

/** A failed SSO step lands on the login page with its error code (shown translated), audited with the code's status. */
function failTo(request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
  if (!(error instanceof PgferryError)) throw error;
  request.log.warn({ code: error.code, reason: error.message }, 'SSO sign-in refused');
  request.auditContext = { ...request.auditContext, outcomeStatus: errorCodes[error.code].status };
  return navigateTo(reply, `/login?sso_error=${encodeURIComponent(error.code)}`);
}

export function oidcRoutes(deps: { config: Config; store: AppStore }): FastifyPluginAsyncZod {
  const { config, store } = deps;
  const settings = oidcSettings(config);
  const oidc = settings ? new OidcClient(settings) : undefined;
  const requireOidc = (): OidcClient => {
    if (!oidc) throw new PgferryError('PGF_OIDC_NOT_CONFIGURED', 'SSO sign-in is not configured on this pgferry; set PGFERRY_OIDC_ISSUER, PGFERRY_OIDC_CLIENT_ID and PGFERRY_OIDC_REDIRECT_URL');
    return oidc;
  };
  const html = z.string().describe('An HTML page that navigates on (to the UI, or to /login?sso_error=<code>)');

  return async (app) => {
    app.get(
      '/api/v1/auth/providers',
      {
        config: { access: 'public' },
        schema: {
          tags: ['auth'],
          summary: 'How one may sign in here: SSO (with its button label) and whether password login is on',
          response: {
            200: z.object({
              sso: z.object({ enabled: z.boolean(), label: z.string(), login_url: z.string() }),
              local_login: z.enum(['on', 'off']).describe('off: only the break-glass user may log in with a password'),
            }),
          },
        },
      },
      async () => ({
        sso: { enabled: oidc !== undefined, label: config.PGFERRY_OIDC_LABEL, login_url: `${callbackPath}/login` },
        local_login: config.PGFERRY_LOCAL_LOGIN,
      }),
    );

    app.get(
      `${callbackPath}/login`,
      {
        // No HEAD twin: a prefetcher's HEAD would run the handler and use up the sign-in's state.
        exposeHeadRoute: false,
        config: { access: 'public' },
        schema: { tags: ['auth'], summary: 'Start an SSO sign-in: redirects to the identity provider (state, nonce and PKCE)', response: { 200: html, 302: z.null(), 404: errorBodySchema } },
      },
      async (request, reply) => {
        const client = requireOidc();
        try {
          const { url, state } = await startOidcSignIn(store, client);
          // Lax, not strict: the provider's redirect back is a cross-site navigation that must carry it.
          reply.setCookie(stateCookie, state, { path: callbackPath, httpOnly: true, sameSite: 'lax', secure: cookieSecure(config, request), maxAge: signInTtlMs / 1000 });
          return reply.redirect(url, 302);
        } catch (error) {
          return failTo(request, reply, error);
        }
      },
    );

    app.get(
      `${callbackPath}/callback`,
      {
        // No HEAD twin: a prefetcher's HEAD would run the handler and use up the sign-in's state.
        exposeHeadRoute: false,
        config: { access: 'public', auditResource: 'session', auditAction: 'auth.oidc_login', auditRead: true },
        schema: { tags: ['auth'], summary: 'The identity provider sends the browser back here; starts a pgferry session', response: { 200: html, 404: errorBodySchema } },
      },
      async (request, reply) => {
        const client = requireOidc();
        const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
        reply.clearCookie(stateCookie, { path: callbackPath });
        try {
          const { user, session } = await finishOidcSignIn(store, config, client, {
            query,
            browserState: request.cookies[stateCookie],
            ip: request.ip ?? null,
            userAgent: request.headers['user-agent'] ?? null,
          });
          request.auditContext = { actorName: user.username, resourceId: user.id };
          setSessionCookies(reply, request, config, session.sessionId, session.csrfToken);
          return navigateTo(reply, '/');
        } catch (error) {
          return failTo(request, reply, error);
        }
      },
    );
  };
}
