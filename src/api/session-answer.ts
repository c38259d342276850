import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

import type { SessionOpened } from '../auth/login-service.js';
import { setSessionCookies } from '../auth/session-cookies.js';
import type { Config } from '../config/config-schema.js';
import { toUserBody, userSchema } from './auth-schemas.js';

export const sessionAnswerSchema = z.object({ user: userSchema, csrf_token: z.string(), expires_at: z.string() });

export const secondFactorRequiredSchema = z
  .object({
    second_factor_required: z.literal(true),
    challenge_token: z.string().describe('Single use; send it with the code to POST /api/v1/auth/login/totp or /login/recovery-code'),
    expires_at: z.string(),
  })
  .describe('SecondFactorRequired');

/** Sets the session cookies of a completed login and answers its body (audited as that user). */
export function startSession(request: FastifyRequest, reply: FastifyReply, config: Config, result: SessionOpened): z.infer<typeof sessionAnswerSchema> {
  request.principal = { kind: 'session', userId: result.user.id, username: result.user.username, role: result.user.role };
  request.auditContext = { resourceId: result.user.id };
  setSessionCookies(reply, request, config, result.sessionId, result.csrfToken);
  return { user: toUserBody(result.user), csrf_token: result.csrfToken, expires_at: result.expiresAt.toISOString() };
}
