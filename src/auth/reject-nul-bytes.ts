import type { FastifyInstance } from 'fastify';

import { PgferryError } from '../errors/pgferry-error.js';

/** PostgreSQL text cannot hold U+0000; finding it early gives a 400 instead of a driver error (500). */
function containsNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (depth > 50 || value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some((item) => containsNul(item, depth + 1));
  return Object.entries(value).some(([key, item]) => key.includes('\u0000') || containsNul(item, depth + 1));
}

export function rejectNulBytes(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    if (containsNul(request.query) || containsNul(request.params) || containsNul(request.body)) {
      throw new PgferryError('PGF_VALIDATION_FAILED', 'the request contains a NUL character (\\u0000), which no stored text may hold; remove it');
    }
  });
}
