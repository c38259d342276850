import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

import { LoginRateLimitedError, login } from '../auth/login-service.js';
import { changeOwnPassword } from '../auth/password-change.js';
import { clearSessionCookies } from '../auth/session-cookies.js';
import type { Config } from '../config/config-schema.js';
import { PgferryError } from '../errors/pgferry-error.js';
import { SessionRepository } from '../store/session-repository.js';
import { UserRepository } from '../store/user-repository.js';
import type { AppStore } from './app-context.js';
import { errorBodySchema } from './api-schemas.js';
import { roleSchema, toUserBody, userSchema } from './auth-schemas.js';
import { secondFactorRequiredSchema, sessionAnswerSchema, startSession } from './session-answer.js';

export function authRoutes(deps: { config: Config; store: AppStore }): FastifyPluginAsyncZod {
  const { config, store } = deps;
  return async (app) => {
    app.post(
      '/api/v1/auth/login',
      {
        config: { access: 'public', auditResource: 'session', auditAction: 'auth.login' },
        schema: {
          tags: ['auth'],
          summary: 'Log in: sets an HttpOnly session cookie and a readable pgferry_csrf cookie, or (202) asks for the second factor',
          description:
            'Send the csrf_token (also in the pgferry_csrf cookie) as `X-CSRF-Token` on every change made with the cookie. Failed attempts are limited per IP and per user (429 with Retry-After). A user with two-factor sign-in gets 202 and no session: send the challenge_token with a code to POST /api/v1/auth/login/totp (or /login/recovery-code) within 5 minutes.',
          body: z.object({ username: z.string().min(1).max(200), password: z.string().min(1).max(1000) }),
          response: {
            200: sessionAnswerSchema,
            202: secondFactorRequiredSchema,
            400: errorBodySchema,
            401: errorBodySchema,
            403: errorBodySchema,
            429: errorBodySchema,
          },
        },
      },
      async (request, reply) => {
        request.auditContext = { actorName: request.body.username };
        try {
          const result = await login(store, config, {
            username: request.body.username,
            password: request.body.password,
            ip: request.ip ?? null,
            userAgent: request.headers['user-agent'] ?? null,
          });
          if (result.kind === 'second_factor') {
            request.auditContext = { actorName: request.body.username, resourceId: result.userId };
            return reply.status(202).send({ second_factor_required: true, challenge_token: result.challengeToken, expires_at: result.expiresAt.toISOString() });
          }
          return startSession(request, reply, config, result);
        } catch (error) {
          if (error instanceof LoginRateLimitedError) reply.header('retry-after', String(error.retryAfterSeconds));
          throw error;
        }
      },
    );

    app.post(
      '/api/v1/auth/logout',
      {
        config: { access: 'viewer', auditResource: 'session', auditAction: 'auth.logout', allowedBeforeTotp: true },
        schema: { tags: ['auth'], summary: 'End the current session (a bearer token is unaffected; revoke it instead)', response: { 204: z.null(), 401: errorBodySchema, 403: errorBodySchema } },
      },
      async (request, reply) => {
        if (request.principal?.sessionIdHash) await new SessionRepository(store.db).delete(request.principal.sessionIdHash);
        clearSessionCookies(reply);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/api/v1/auth/me',
      {
        config: { access: 'viewer', allowedBeforeTotp: true },
        schema: {
          tags: ['auth'],
          summary: 'Who am I: the user, the effective role and how the request authenticated',
          response: {
            200: z.object({
              user: userSchema,
              role: roleSchema.describe('Effective role (a token can have less than its user)'),
              auth: z.object({ kind: z.enum(['session', 'token']), token_id: z.string().nullable(), token_name: z.string().nullable() }),
            }),
            401: errorBodySchema,
          },
        },
      },
      async (request) => {
        const principal = request.principal;
        const user = principal ? await new UserRepository(store.db).findById(principal.userId) : undefined;
        if (!principal || !user) throw new PgferryError('PGF_UNAUTHENTICATED', 'the user of this session no longer exists; log in again');
        return {
          user: toUserBody(user),
          role: principal.role,
          auth: { kind: principal.kind, token_id: principal.tokenId ?? null, token_name: principal.tokenName ?? null },
        };
      },
    );

    app.post(
      '/api/v1/auth/password',
      {
        config: { access: 'viewer', auditResource: 'user', auditAction: 'auth.change_password' },
        schema: {
          tags: ['auth'],
          summary: 'Change your own password (ends all your sessions; log in again); wrong current passwords are limited like logins (429 with Retry-After)',
          body: z.object({ current_password: z.string().min(1).max(1000), new_password: z.string().min(1).max(1000) }),
          response: { 204: z.null(), 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 429: errorBodySchema },
        },
      },
      async (request, reply) => {
        const principal = request.principal;
        if (!principal) throw new PgferryError('PGF_UNAUTHENTICATED', 'log in first');
        let changed: { userId: string };
        try {
          changed = await changeOwnPassword(store, config, { username: principal.username, currentPassword: request.body.current_password, newPassword: request.body.new_password, ip: request.ip ?? null });
        } catch (error) {
          if (error instanceof LoginRateLimitedError) reply.header('retry-after', String(error.retryAfterSeconds));
          throw error;
        }
        request.auditContext = { resourceId: changed.userId };
        clearSessionCookies(reply);
        return reply.status(204).send(null);
      },
    );
  };
}
