import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

import type { FastifyInstance } from 'fastify';

// The UI is one origin's own scripts and styles (Vite output, no inline script); Mantine
// writes <style> elements, hence 'unsafe-inline' for styles only. Nothing may frame it.
const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The headers of an answer to a request made over `protocol`; HSTS only over HTTPS. */
export function securityHeaders(protocol: string): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    ...(protocol === 'https' ? { 'strict-transport-security': 'max-age=31536000; includeSubDomains' } : {}),
  };
}

/** Headers on every answer, API and UI alike. */
export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    reply.headers(securityHeaders(request.protocol));
    return payload;
  });
}

// A client-chosen request id is kept (it ties a proxy's log to ours) only when it is a plain
// token: it is stored in audit rows and echoed in headers and error bodies.
const acceptableRequestId = /^[A-Za-z0-9._:-]{1,64}$/;

/** The request's id: the client's X-Request-Id when it is a plain token, else a new UUID. */
export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && acceptableRequestId.test(given) ? given : randomUUID();
}
