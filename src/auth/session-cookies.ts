import type { FastifyReply, FastifyRequest } from 'fastify';

import type { Config } from '../config/config-schema.js';

export const sessionCookie = 'pgferry_session';
/** Readable by the web UI, which echoes it in the `X-CSRF-Token` header on changes. */
export const csrfCookie = 'pgferry_csrf';
export const csrfHeader = 'x-csrf-token';

/** The Secure flag pgferry's cookies get (PGFERRY_COOKIE_SECURE). */
export function cookieSecure(config: Config, request: FastifyRequest): boolean {
  if (config.PGFERRY_COOKIE_SECURE === 'auto') return request.protocol === 'https';
  return config.PGFERRY_COOKIE_SECURE === 'true';
}

export function setSessionCookies(reply: FastifyReply, request: FastifyRequest, config: Config, sessionId: string, csrfToken: string): void {
  const common = { path: '/', sameSite: 'strict' as const, secure: cookieSecure(config, request), maxAge: config.PGFERRY_SESSION_TTL_HOURS * 3600 };
  reply.setCookie(sessionCookie, sessionId, { ...common, httpOnly: true });
  reply.setCookie(csrfCookie, csrfToken, { ...common, httpOnly: false });
}

export function clearSessionCookies(reply: FastifyReply): void {
  reply.clearCookie(sessionCookie, { path: '/' });
  reply.clearCookie(csrfCookie, { path: '/' });
}
