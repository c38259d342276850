import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

import { LoginRateLimitedError } from '../auth/login-service.js';
import type { Principal } from '../auth/principal.js';
import { completeSecondFactor } from '../auth/second-factor-login.js';
import { confirmTotpEnrolment, disableTotp, regenerateRecoveryCodes, resetTotp, startTotpEnrolment, totpStatus, type TotpCaller } from '../auth/totp-service.js';
import type { Config } from '../config/config-schema.js';
import { PgferryError } from '../errors/pgferry-error.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { AppStore } from './app-context.js';
import { errorBodySchema } from './api-schemas.js';
import { idParamsSchema } from './auth-schemas.js';
import { sessionAnswerSchema, startSession } from './session-answer.js';

const codeSchema = z.string().trim().min(1).max(100);
const recoveryCodesSchema = z.object({ recovery_codes: z.array(z.string()).describe('Shown once: store them somewhere safe; each works once') });
const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 409: errorBodySchema, 429: errorBodySchema };
// Every TOTP route may be reached before enrolment, so PGFERRY_REQUIRE_2FA_FOR_ADMINS can be satisfied.
const own = (auditAction: string) => ({ access: 'viewer' as const, auditResource: 'user', auditAction, allowedBeforeTotp: true });

function caller(principal: Principal | null, ip: string | undefined): TotpCaller {
  if (!principal) throw new PgferryError('PGF_UNAUTHENTICATED', 'log in first');
  return { userId: principal.userId, username: principal.username, ip: ip ?? null };
}

/** Two-factor sign-in: enrolment of the caller's own authenticator, and the second login step. */
export function totpRoutes(deps: { config: Config; store: AppStore; secrets: SecretBox }): FastifyPluginAsyncZod {
  const { config, store, secrets } = deps;
  return async (app) => {
    // Rate-limited answers carry Retry-After, like the password step.
    app.addHook('onError', async (_request, reply, error) => {
      if (error instanceof LoginRateLimitedError) reply.header('retry-after', String(error.retryAfterSeconds));
    });

    app.get(
      '/api/v1/auth/totp',
      {
        config: { access: 'viewer', allowedBeforeTotp: true },
        schema: {
          tags: ['auth'],
          summary: "Your two-factor sign-in: enabled, an enrolment pending, recovery codes left, and whether it is required of you",
          response: {
            200: z.object({ enabled: z.boolean(), pending: z.boolean(), recovery_codes_left: z.number().int(), required: z.boolean() }),
            401: errorBodySchema,
          },
        },
      },
      async (request) => {
        const me = caller(request.principal, request.ip);
        const status = await totpStatus(store, me.userId);
        const required = config.PGFERRY_REQUIRE_2FA_FOR_ADMINS && request.principal?.role === 'admin';
        return { enabled: status.enabled, pending: status.pending, recovery_codes_left: status.recoveryCodesLeft, required };
      },
    );

    app.post(
      '/api/v1/auth/totp/enrol',
      {
        config: own('auth.totp_enrol_start'),
        schema: {
          tags: ['auth'],
          summary: 'Start enrolling an authenticator app: answers the secret (only now) as text, otpauth URI and QR code; confirm with a code',
          response: { 200: z.object({ secret: z.string(), otpauth_uri: z.string(), qr_data_url: z.string().describe('PNG data URL of the otpauth URI') }), ...errors },
        },
      },
      async (request) => {
        const me = caller(request.principal, request.ip);
        request.auditContext = { resourceId: me.userId };
        const started = await startTotpEnrolment(store, secrets, me);
        return { secret: started.secret, otpauth_uri: started.uri, qr_data_url: started.qrDataUrl };
      },
    );

    app.post(
      '/api/v1/auth/totp/disable',
      {
        config: own('auth.totp_disable'),
        schema: {
          tags: ['auth'],
          summary: 'Turn two-factor sign-in off (or drop a pending enrolment); needs your current password or a current code',
          body: z.object({ password: z.string().min(1).max(1000).optional(), code: codeSchema.optional() }),
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) => {
        const me = caller(request.principal, request.ip);
        request.auditContext = { resourceId: me.userId };
        await disableTotp(store, secrets, config, me, request.body);
        return reply.status(204).send(null);
      },
    );

    // Both answer fresh recovery codes, once: confirming an enrolment, and replacing the codes.
    const codeSteps = [
      { path: 'confirm', action: 'auth.totp_confirm', run: confirmTotpEnrolment, summary: 'Confirm enrolment with a current code: two-factor sign-in is on and the recovery codes are answered, once' },
      { path: 'recovery-codes', action: 'auth.totp_recovery_regenerate', run: regenerateRecoveryCodes, summary: 'Replace your recovery codes (the old ones stop working); needs a current code; the new ones are answered once' },
    ];
    for (const step of codeSteps) {
      app.post(
        `/api/v1/auth/totp/${step.path}`,
        {
          config: own(step.action),
          schema: { tags: ['auth'], summary: step.summary, body: z.object({ code: codeSchema }), response: { 200: recoveryCodesSchema, ...errors } },
        },
        async (request) => {
          const me = caller(request.principal, request.ip);
          request.auditContext = { resourceId: me.userId };
          const { recoveryCodes } = await step.run(store, secrets, config, me, request.body.code);
          return { recovery_codes: recoveryCodes };
        },
      );
    }

    app.delete(
      '/api/v1/users/:id/totp',
      {
        config: { access: 'admin', auditResource: 'user', auditAction: 'user.totp_reset' },
        schema: {
          tags: ['users'],
          summary: "Turn off a user's two-factor sign-in (they lost the phone and the recovery codes); they sign in with the password alone until they enrol again",
          params: idParamsSchema,
          response: { 204: z.null(), 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema, 409: errorBodySchema },
        },
      },
      async (request, reply) => {
        await resetTotp(store, request.params.id);
        return reply.status(204).send(null);
      },
    );

    for (const method of ['totp', 'recovery'] as const) {
      app.post(
        method === 'totp' ? '/api/v1/auth/login/totp' : '/api/v1/auth/login/recovery-code',
        {
          config: { access: 'public', auditResource: 'session', auditAction: method === 'totp' ? 'auth.login_totp' : 'auth.login_recovery_code' },
          schema: {
            tags: ['auth'],
            summary:
              method === 'totp'
                ? 'Second login step: the challenge_token from POST /auth/login (202) and the 6-digit code from the authenticator app; each code works once'
                : 'Second login step with a recovery code instead of the app (the code is used up)',
            body: z.object({ challenge_token: z.string().min(1).max(200), code: codeSchema }),
            response: { 200: sessionAnswerSchema, 400: errorBodySchema, 401: errorBodySchema, 429: errorBodySchema },
          },
        },
        async (request, reply) => {
          const result = await completeSecondFactor(store, secrets, config, {
            challengeToken: request.body.challenge_token,
            code: request.body.code,
            method,
            ip: request.ip ?? null,
            userAgent: request.headers['user-agent'] ?? null,
            identify: (user) => {
              request.auditContext = { actorName: user.username, resourceId: user.userId };
            },
          });
          return startSession(request, reply, config, result);
        },
      );
    }
  };
}
